/**
 * `deno task cases --input ROOT [--task ...] [--split ...]`: the cases cmrxkit finds in a
 * dataset and where each would go in a submission.
 *
 * @module
 */

import { discover } from "../src/challenge/layout.ts";
import type { Case, DiscoveryProblem } from "../src/challenge/case.ts";
import { formatProblem } from "../src/challenge/problem_text.ts";
import { UsageError } from "../src/errors.ts";
import type { Command } from "./command.ts";
import { datasetFilters, parseFlags } from "./flags.ts";

/**
 * Prints the entries discovery could not use, as errors on stderr (`error: PATH: reason` and
 * the fix), then a line saying the case list is incomplete.
 */
export function printDiscoveryProblems(problems: readonly DiscoveryProblem[]): void {
  for (const p of problems) console.error(`error: ${formatProblem(p)}`);
  console.error(
    `error: ${problems.length} entr${
      problems.length === 1 ? "y" : "ies"
    } of the dataset cannot be read; the cases above are incomplete`,
  );
}

/** `deno task cases`: the cases of a dataset. */
export const cases: Command = {
  name: "cases",
  summary: "list the cases of a CMRxRecon dataset and their submission paths",
  help:
    `Usage: deno task cases --input ROOT [--task cine|mapping|both] [--split training|validation|test]
                        [--coil multi|single|both] [--acc 4,8,10] [--full] [--paths]

Finds k-space files in the official layout (2023: {MultiCoil|SingleCoil}/{Cine|Mapping}/
{TrainingSet|ValidationSet|TestSet}/{AccFactor04|08|10|FullSample}/Pxxx/*.mat; 2024:
UnderSample_TaskN/Pxxx/{name}_kus_{Pattern}{R}.mat) and prints a count per group; with
--paths, one line per case: input file, variable, mask and submission path.
--full includes FullSample (reference) files.
Entries that cannot be read where a file or folder of the layout belongs (dangling links,
link loops, folders, named pipes or devices) are printed as errors: exit code 1.`,
  async run(args) {
    const { values } = parseFlags("cases", args, {
      input: { type: "string" },
      task: { type: "string" },
      split: { type: "string" },
      coil: { type: "string" },
      acc: { type: "string" },
      full: { type: "boolean", default: false },
      paths: { type: "boolean", default: false },
    });
    if (!values.input) {
      throw new UsageError("cases: --input ROOT is required", {
        hint: "deno task cases --input data/",
      });
    }
    const opts = { ...datasetFilters("cases", values), fullSample: values.full };
    const { cases: found, ignored, problems } = await discover(values.input, opts);
    const groups = new Map<string, Case[]>();
    for (const c of found) {
      const key = `${c.coil}/${c.modality}/${c.split}/${c.accFolder}`;
      groups.set(key, [...(groups.get(key) ?? []), c]);
    }
    for (const [key, list] of groups) {
      const views = new Map<string, number>();
      for (const c of list) views.set(c.name, (views.get(c.name) ?? 0) + 1);
      const patients = new Set(list.map((c) => c.patient)).size;
      console.log(
        `${key.padEnd(48)} ${String(patients).padStart(4)} patients  ${
          [...views].map(([v, n]) => `${v} ${n}`).join(", ")
        }`,
      );
      if (values.paths) {
        for (const c of list) {
          console.log(`  ${c.file} [${c.variable}]${c.maskFile ? ` mask ${c.maskVariable}` : ""}`);
          console.log(`    -> Submission/${c.submissionPath}`);
        }
      }
    }
    console.log(`${found.length} files`);
    if (ignored.length) {
      console.log(
        `ignored ${ignored.length} unrecognised entries, e.g. ${ignored.slice(0, 3).join(", ")}`,
      );
    }
    if (problems.length) {
      printDiscoveryProblems(problems);
      return 1;
    }
    return 0;
  },
};
