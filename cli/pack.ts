/**
 * `deno task pack DIR [--out FILE.zip] [--team NAME] [--email ADDR] [--layout L] [--level 0-9]`:
 * zips a submission folder as `Submission/...` (or `MultiCoil/...` at the root) with a
 * readme.txt, after checking it. The task, split and edition come from the flags, else from
 * the run manifest `deno task submit` left beside the Submission folder, else from the
 * folder's content (`src/pipeline/context.ts`).
 *
 * @module
 */

import {
  blockingProblems,
  type PackLayout,
  type PackOptions,
  packSubmission,
  planPack,
} from "../src/challenge/pack.ts";
import { formatReport } from "../src/challenge/validate/report.ts";
import { UsageError } from "../src/errors.ts";
import { submissionContext } from "../src/pipeline/context.ts";
import { Progress } from "../src/progress.ts";
import type { Command } from "./command.ts";
import {
  choice,
  contextYear,
  datasetFilters,
  intFlag,
  parseFlags,
  SUBMISSION_YEARS,
  submissionSplit,
  submissionYear,
} from "./flags.ts";
import { contextLine, formatBytes, formatDuration } from "./print.ts";

/**
 * The selection (task, split, edition, coil, accelerations): flags, else the run manifest,
 * else the folder's content (see {@link submissionContext}); prints where each came from.
 */
async function selection(
  dir: string,
  values: { task?: string; split?: string; year?: string; coil?: string; acc?: string },
): Promise<Pick<PackOptions, "task" | "coil" | "acc" | "split" | "year">> {
  const flags = datasetFilters("pack", { task: values.task, coil: values.coil, acc: values.acc });
  const ctx = await submissionContext(dir, {
    task: flags.task as PackOptions["task"],
    coil: flags.coil,
    acc: flags.acc,
    split: submissionSplit("pack", values.split),
    year: values.year === undefined ? undefined : submissionYear("pack", values.year),
  });
  console.log(contextLine(ctx));
  const year = contextYear("pack", ctx, SUBMISSION_YEARS);
  return { task: ctx.task, coil: ctx.coil, acc: ctx.acc, split: ctx.split, year };
}

/** `deno task pack`: zips a checked submission folder. */
export const pack: Command = {
  name: "pack",
  summary: "zip a submission folder as Submission/... with readme.txt (checks it first)",
  help: `Usage: deno task pack DIR [--out FILE.zip] [--team NAME] [--email ADDR] [--level 0-9]
                       [--layout submission|root] [--force] [--input ROOT]
                       [--task cine|mapping|both] [--coil multi|single|both] [--acc 4,8,10]
                       [--split validation|test] [--year 2023|2024|2025] [--dry-run]

Zips the submission folder DIR (the Submission folder, or a folder holding it) with a
readme.txt holding the team name and a contact e-mail, as the official submission readme
asks. The zip is written to a temporary file and renamed when complete; an existing
FILE.zip is replaced. Packing the same files twice gives the same bytes: entries are in
name order and all carry one time, 1980-01-01 00:00:00, or SOURCE_DATE_EPOCH (seconds
since 1970, UTC) when set.

Archive layouts (the 2023 scorer accepts both):
  submission   Submission/MultiCoil/..., Submission/readme.txt (2023 default; the official
               readme: "The folder must be named 'Submission'")
  root         MultiCoil/..., SingleCoil/..., readme.txt at the archive root, as in the
               official example archives MultiCoil.zip and SingleCoil.zip (alias: official)
Each edition's default is where its scorer looks: 2024 root ({Modality}/ValidationSet/
TaskN/... at the zip root, as Val_Score2024.py reads it; pack warns that the 2024 documents
give three conflicting conventions); 2025 submission (Submission/TaskR1/..., a folder
directly holding the task folders, which Val_Score2025.py searches for).

The folder is validated first (structural checks; full checks with --input) and packing
stops if anything is wrong, unless --force. System and temporary files (.DS_Store, ._*,
*.tmp-*) are never packed. The task, split and edition come from the flags, else from the
run manifest (cmrxkit-run.json) that 'deno task submit' left in DIR or beside the
Submission folder (with its coil and acceleration filters), else from the folder's content.

  --out FILE     the zip (default: Submission.zip beside the Submission folder)
  --team NAME    team name for readme.txt (default: a readme.txt already in the Submission
                 folder or in DIR; one of them is required)
  --email ADDR   contact e-mail for readme.txt (asked for by the official readme; pack
                 warns when the readme has none)
  --layout L     submission or root (default: the edition's), see above
  --level N      0 = store (default: img4ranking float data compresses poorly, to about 0.74
                 at a sixth of the speed), 1-9 = deflate
  --force        pack even if validation finds problems
  --input ROOT   validate against the input dataset (every file, exact dims)
  --task T       pack only cine or mapping files (separate queues; also the way to split an
                 archive that would exceed the zip limits: 4 GiB, 65,535 entries)
  --coil C, --acc LIST, --split S, --year Y   as for 'deno task validate'
  --dry-run      check and print what would be packed, write nothing

Example:
  deno task pack out --team "Heart Hackers" --email team@example.org --input data/`,
  async run(args) {
    const { values, positionals } = parseFlags("pack", args, {
      out: { type: "string" },
      team: { type: "string" },
      email: { type: "string" },
      layout: { type: "string" },
      level: { type: "string" },
      force: { type: "boolean", default: false },
      input: { type: "string" },
      task: { type: "string" },
      coil: { type: "string" },
      acc: { type: "string" },
      split: { type: "string" },
      year: { type: "string" },
      "dry-run": { type: "boolean", default: false },
    }, true);
    if (positionals.length !== 1) {
      throw new UsageError("pack: give exactly one submission folder", {
        hint: 'deno task pack out/Submission --team "My Team"',
      });
    }
    const level = intFlag("pack", "level", values.level, 0);
    if (level > 9) throw new UsageError(`pack: --level must be 0-9, got '${values.level}'`);
    const dir = positionals[0];
    const layout = values.layout === undefined
      ? undefined
      : choice("pack", "layout", values.layout, ["submission", "root", "official"]);
    const opts: PackOptions = {
      ...await selection(dir, values),
      input: values.input,
      out: values.out,
      team: values.team,
      email: values.email,
      layout: layout === "official" ? "root" : layout as PackLayout | undefined,
      level,
      force: values.force,
    };
    const plan = await planPack(dir, { ...opts, force: true });
    const v = plan.validation;
    const blocking = v ? blockingProblems(v, opts.year) : [];
    if (v && (blocking.length || v.warnings.length)) console.log(formatReport(v));
    if (blocking.length) {
      if (!values.force) {
        console.error(
          "error: the submission is not valid; fix the problems above, or pass --force to pack " +
            "it anyway",
        );
        return 1;
      }
      console.error(`warning: packing an invalid submission (--force)`);
    }
    const mode = level === 0 ? "store" : `deflate level ${level}`;
    console.log(
      `${plan.root} -> ${plan.out}: ${plan.files} files, ${formatBytes(plan.dataBytes)}, ` +
        `${plan.entries.length} entries, ${mode}, layout ${plan.layout}` +
        (level === 0 ? "" : `, at most ${formatBytes(plan.archiveBytes)}`),
    );
    console.log(
      `readme.txt: ${plan.readme.source === "team" ? "from --team" : `from ${plan.readme.path}`} (${
        JSON.stringify(plan.readme.text.trim().split("\n")[0])
      })` +
        (plan.readme.replaced ? `; replaces ${plan.readme.replaced} in the archive` : ""),
    );
    for (const w of plan.warnings) console.error(`warning: ${w}`);
    if (plan.readme.email === undefined) {
      console.error(
        "warning: readme.txt has no contact e-mail; the official submission readme asks for " +
          "the team name and a contact e-mail: pass --email ADDR",
      );
    }
    if (plan.skipped.length) {
      console.log(`left out ${plan.skipped.length} files outside the --task/--coil/--acc filters`);
    }
    if (plan.junk.length) {
      console.log(
        `left out ${plan.junk.length} system/temporary files (e.g. ${plan.junk[0]})`,
      );
    }
    if (values["dry-run"]) {
      console.log("dry run: nothing written");
      return 0;
    }
    const bar = new Progress("pack", plan.dataBytes, "bytes");
    const r = await packSubmission(dir, {
      ...opts,
      validate: false,
      onProgress: (done) => bar.update(done),
    });
    bar.update(plan.dataBytes);
    const rate = r.seconds > 0 ? r.dataBytes / r.seconds : 0;
    console.log(
      `wrote ${r.out}: ${formatBytes(r.zipBytes)}, ${r.entries.length} entries in ${
        formatDuration(r.seconds * 1000)
      } (${formatBytes(rate)}/s)`,
    );
    return 0;
  },
};
