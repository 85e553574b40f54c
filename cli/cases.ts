/**
 * `deno task cases --input ROOT [--task ...] [--split ...]`: the cases cmrxkit finds in a
 * dataset and where each would go in a submission.
 *
 * @module
 */

import { type Case, discover, type DiscoverOptions } from "../src/challenge/layout.ts";
import { UsageError } from "../src/errors.ts";
import { type Command, parseFlags } from "./command.ts";

/** Parses the shared dataset filters (--task, --split, --coil, --acc). */
export function datasetFilters(
  command: string,
  values: { task?: string; split?: string; coil?: string; acc?: string },
): DiscoverOptions {
  const opts: DiscoverOptions = {};
  if (values.task) {
    if (!["cine", "mapping", "both"].includes(values.task)) {
      throw new UsageError(`${command}: --task must be cine, mapping or both`);
    }
    opts.task = values.task as DiscoverOptions["task"];
  }
  if (values.split) {
    if (!["training", "validation", "test"].includes(values.split)) {
      throw new UsageError(`${command}: --split must be training, validation or test`);
    }
    opts.split = values.split as DiscoverOptions["split"];
  }
  if (values.coil) {
    if (!["multi", "single", "both"].includes(values.coil)) {
      throw new UsageError(`${command}: --coil must be multi, single or both`);
    }
    opts.coil = values.coil as DiscoverOptions["coil"];
  }
  if (values.acc) {
    const accs = values.acc.split(",").map(Number);
    if (accs.some((a) => !Number.isInteger(a) || a < 1)) {
      throw new UsageError(`${command}: --acc takes a list like 4,8,10`);
    }
    opts.acc = accs;
  }
  return opts;
}

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
--full includes FullSample (reference) files.`,
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
    const { cases: found, ignored } = await discover(values.input, opts);
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
    return 0;
  },
};
