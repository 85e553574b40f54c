/**
 * `deno task validate DIR [--input ROOT] [...]`: checks a submission folder before it is
 * zipped and uploaded; exits 1 when anything is wrong.
 *
 * @module
 */

import type { Year } from "../src/challenge/reduce.ts";
import { formatReport, validateSubmission } from "../src/challenge/validate.ts";
import { CmrxError, UsageError } from "../src/errors.ts";
import { describeKind, entryKind } from "../src/fsutil.ts";
import { Progress } from "../src/progress.ts";
import { datasetFilters } from "./cases.ts";
import { type Command, parseFlags } from "./command.ts";
import { contextLine, submissionContext } from "./submission_context.ts";

/** Parses --year for the submission commands (2023 or 2024 layouts). */
export function submissionYear(command: string, value: string | undefined): Year {
  if (value === undefined) return 2023;
  if (value !== "2023" && value !== "2024") {
    throw new UsageError(`${command}: --year must be 2023 or 2024, got '${value}'`, {
      hint: "the 2025 submission layout is not supported",
    });
  }
  return Number(value) as Year;
}

/** Parses --split for the submission commands (validation or test). */
export function submissionSplit(
  command: string,
  value: string | undefined,
): "validation" | "test" | undefined {
  if (value === undefined) return undefined;
  if (value !== "validation" && value !== "test") {
    throw new UsageError(`${command}: --split must be validation or test, got '${value}'`, {
      hint: "training cases are not submitted",
    });
  }
  return value;
}

/**
 * Checks where an output file (`--json`, `--csv`) will go, before any work: a missing folder
 * is made (with its missing parents); a path naming a folder, a path under a file, anything
 * but a regular file at the path, or a folder that cannot be written in is refused naming
 * the path and the fix.
 *
 * @param flag the option, for the message (`--json`)
 * @returns the folder made, if one was
 * @throws {CmrxError} the path cannot be written
 */
export async function checkOutputPath(path: string, flag: string): Promise<string | undefined> {
  const example = `${flag} ${flag === "--csv" ? "scores.csv" : "report.json"}`;
  const cut = path.replace(/\/+$/, "").lastIndexOf("/");
  const folder = cut < 0 ? "." : cut === 0 ? "/" : path.slice(0, cut);
  const { kind, detail } = await entryKind(path);
  if (kind === "directory" || path.endsWith("/")) {
    throw new CmrxError(`${flag} names a folder; it must name the file to write`, {
      file: path,
      hint: `give a file name, e.g. ${flag} ${path.replace(/\/+$/, "")}/${example.split(" ")[1]}`,
    });
  }
  if (kind !== "file" && kind !== "missing") {
    const underFile = /not a directory/i.test(detail ?? "");
    throw new CmrxError(
      underFile
        ? `the folder of ${flag} is a file (or lies under one), not a folder`
        : `${flag} is ${describeKind(kind, detail)}, not a file cmrxkit can write`,
      {
        file: underFile ? folder : path,
        hint: kind === "dangling-link" || kind === "link-loop"
          ? "repair or remove the link, or choose another path"
          : `choose another path, e.g. ${example}`,
      },
    );
  }
  let made: string | undefined;
  const fk = await entryKind(folder);
  if (fk.kind === "missing") {
    try {
      await Deno.mkdir(folder, { recursive: true });
      made = folder;
    } catch (e) {
      throw new CmrxError(
        `cannot create the folder for ${flag} (${e instanceof Error ? e.message : e})`,
        { file: folder, hint: "check the path (a part of it may be a file), or create the folder" },
      );
    }
  } else if (fk.kind !== "directory") {
    throw new CmrxError(`the folder of ${flag} is ${describeKind(fk.kind, fk.detail)}`, {
      file: folder,
      hint: `choose an output path inside a folder, e.g. ${example}`,
    });
  }
  const probe = `${path}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await Deno.writeTextFile(probe, "", { createNew: true });
    await Deno.remove(probe);
  } catch (e) {
    await Deno.remove(probe).catch(() => {});
    throw new CmrxError(
      `cannot write in the folder of ${flag} (${e instanceof Error ? e.message : e})`,
      { file: folder, hint: "choose a folder you can write to" },
    );
  }
  return made;
}

/** Writes a file atomically (temporary file + rename). */
export async function writeTextAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await Deno.writeTextFile(tmp, text, { createNew: true });
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

export const validate: Command = {
  name: "validate",
  summary: "check a submission folder (layout, img4ranking content, dims against the input)",
  help: `Usage: deno task validate DIR [--input ROOT] [--task cine|mapping|both]
                           [--split validation|test] [--year 2023|2024]
                           [--coil multi|single|both] [--acc 4,8,10] [--json FILE] [--all]

Checks a submission before you zip and upload it. DIR is the Submission folder, or a folder
holding Submission/ (a folder holding MultiCoil/ and SingleCoil/ directly is accepted with a
warning: the 2023 rules ask for a folder named Submission).

Every file must be MAT v5 (not v7.3: the scorer would read it transposed) with one variable
img4ranking, class single, real magnitude (finite, not all zero, non-negative), in
{MultiCoil|SingleCoil}/{Cine|Mapping}/{ValidationSet|TestSet}/AccFactorNN/Pxxx/{name}.mat.

  --input ROOT   the dataset the submission was made from: every expected file must be
                 present with exactly the expected dims (the run4Ranking reduction for the
                 validation split, full size for the test split), and no other file.
                 Without it only structural checks run (naming, content, plausible dims).
  --task T       cine, mapping or both; files of the other task are skipped
  --split S      validation or test
  --year Y       2023 or 2024 layout and reduction rules
  --coil C       multi, single or both (default both)
  --acc LIST     acceleration factors to check, e.g. 4,8
                 Without these flags: what the run manifest that 'deno task submit' wrote
                 beside Submission/ says, else what the folder holds (Cine / Mapping files,
                 ValidationSet / TestSet, 2023 / 2024 layout), else both tasks, validation,
                 2023. The first line says what was used and where it came from.
  --json FILE    also write the full report as JSON
  --all          list every problem (default: the first 20 of each kind)

Exit code 0 when the submission is valid, 1 when anything is wrong (a folder with no
submission file is never valid).

Example:
  deno task validate out/Submission --input data/`,
  async run(args) {
    const { values, positionals } = parseFlags("validate", args, {
      input: { type: "string" },
      task: { type: "string" },
      split: { type: "string" },
      year: { type: "string" },
      coil: { type: "string" },
      acc: { type: "string" },
      json: { type: "string" },
      all: { type: "boolean", default: false },
    }, true);
    if (positionals.length !== 1) {
      throw new UsageError("validate: give exactly one submission folder", {
        hint: "deno task validate out/Submission --input data/",
      });
    }
    const filters = datasetFilters("validate", { ...values, split: undefined });
    const ctx = await submissionContext(positionals[0], {
      ...filters,
      split: submissionSplit("validate", values.split),
      year: values.year === undefined ? undefined : submissionYear("validate", values.year),
    });
    const year = submissionYear("validate", String(ctx.year));
    if (values.json) await checkOutputPath(values.json, "--json");
    let progress: Progress | undefined;
    const report = await validateSubmission(positionals[0], {
      task: ctx.task === "both" ? undefined : ctx.task,
      coil: ctx.coil,
      acc: ctx.acc,
      input: values.input,
      split: ctx.split,
      year,
      onProgress: (_done, total) => {
        if (total < 50) return;
        progress ??= new Progress("validate", total);
        progress.tick();
      },
    });
    console.log(contextLine(ctx));
    console.log(formatReport(report, { limit: values.all ? Infinity : 20 }));
    if (values.json) {
      await writeTextAtomic(values.json, JSON.stringify(report, null, 2) + "\n");
      console.log(`report written to ${values.json}`);
    }
    return report.ok ? 0 : 1;
  },
};
