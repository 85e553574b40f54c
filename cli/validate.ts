/**
 * `deno task validate DIR [--input ROOT] [...]`: checks a submission folder before it is
 * zipped and uploaded; exits 1 when anything is wrong.
 *
 * @module
 */

import type { Year } from "../src/challenge/reduce.ts";
import { formatReport, validateSubmission } from "../src/challenge/validate.ts";
import { UsageError } from "../src/errors.ts";
import { Progress } from "../src/progress.ts";
import { datasetFilters } from "./cases.ts";
import { type Command, parseFlags } from "./command.ts";

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
  --task T       cine, mapping or both (default both); files of the other task are skipped
  --split S      validation or test (default: from the folders present)
  --year Y       2023 (default) or 2024 layout and reduction rules
  --coil C       multi, single or both (default both)
  --acc LIST     acceleration factors to check, e.g. 4,8
  --json FILE    also write the full report as JSON
  --all          list every problem (default: the first 20 of each kind)

Exit code 0 when the submission is valid, 1 when anything is wrong.

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
    const split = submissionSplit("validate", values.split);
    const year = submissionYear("validate", values.year);
    let progress: Progress | undefined;
    const report = await validateSubmission(positionals[0], {
      ...filters,
      input: values.input,
      split,
      year,
      onProgress: (_done, total) => {
        if (total < 50) return;
        progress ??= new Progress("validate", total);
        progress.tick();
      },
    });
    console.log(formatReport(report, { limit: values.all ? Infinity : 20 }));
    if (values.json) {
      await writeTextAtomic(values.json, JSON.stringify(report, null, 2) + "\n");
      console.log(`report written to ${values.json}`);
    }
    return report.ok ? 0 : 1;
  },
};
