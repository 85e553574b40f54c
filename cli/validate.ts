/**
 * `deno task validate DIR [--input ROOT] [...]`: checks a submission folder before it is
 * zipped and uploaded; exits 1 when anything is wrong.
 *
 * @module
 */

import { validateSubmission } from "../src/challenge/validate/mod.ts";
import { formatReport } from "../src/challenge/validate/report.ts";
import { UsageError } from "../src/errors.ts";
import { checkOutputFile, writeTextAtomic } from "../src/output.ts";
import { Progress } from "../src/progress.ts";
import { submissionContext } from "../src/pipeline/context.ts";
import type { Command } from "./command.ts";
import {
  contextYear,
  datasetFilters,
  parseFlags,
  SUBMISSION_YEARS,
  submissionSplit,
  submissionYear,
} from "./flags.ts";
import { contextLine } from "./print.ts";

/** `deno task validate`: checks a submission folder. */
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
  --year Y       2023, 2024 or 2025 layout and reduction rules (--edition Y is the same).
                 An extra file (one the input does not call for) is an error in 2023 and
                 2025 (the 2025 scorer stops at "Extra file submitted"), a warning in 2024
  --coil C       multi, single or both (default both)
  --acc LIST     acceleration factors to check, e.g. 4,8
                 Without these flags: what the run manifest that 'deno task submit' wrote
                 beside Submission/ says, else what the folder holds (Cine / Mapping files,
                 ValidationSet / TestSet, 2023 / 2024 / 2025 layout), else both tasks, validation,
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
    const year = contextYear("validate", ctx, SUBMISSION_YEARS);
    if (values.json) await checkOutputFile(values.json, { flag: "--json", example: "report.json" });
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
