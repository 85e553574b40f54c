/**
 * `deno task inspect FILE.mat [--var NAME] [--stats]`: what a MATLAB file holds.
 *
 * @module
 */

import { MatFormatError, UsageError } from "../src/errors.ts";
import { type MatReader, openMat } from "../src/mat/read.ts";
import { type MatVarInfo, numel } from "../src/mat/types.ts";
import type { Command } from "./command.ts";
import { parseFlags } from "./flags.ts";
import { formatBytes, reportError } from "./print.ts";

/** `deno task inspect`: the variables of a MAT file. */
export const inspect: Command = {
  name: "inspect",
  summary: "show the variables of a .mat file (v5 or v7.3): dims, class, complexity",
  help: `Usage: deno task inspect FILE.mat [FILE.mat ...] [--stats]

Prints the container format and, per variable, its MATLAB dims, class and whether it is
complex. Variables that cannot be read as numeric arrays are listed with the reason (a
corrupt or truncated variable makes the exit status 1). With --stats, also reads each variable (slice by slice for 5-D k-space) and prints
min / max / mean magnitude and whether it holds NaN or Inf.

Example:
  deno task inspect data/MultiCoil/Cine/TrainingSet/AccFactor04/P001/cine_sax.mat --stats`,
  async run(args) {
    const { values, positionals } = parseFlags("inspect", args, {
      stats: { type: "boolean", default: false },
    }, true);
    if (positionals.length === 0) {
      throw new UsageError("inspect: give at least one .mat file", {
        hint: "deno task inspect FILE.mat",
      });
    }
    let damaged = 0;
    for (const file of positionals) {
      using mat = await openMat(file);
      const size = (await Deno.stat(file)).size;
      console.log(`${file}  (MAT ${mat.format}, ${formatBytes(size)})`);
      const bad: MatVarInfo[] = [];
      for (const v of mat.variables()) {
        if (v.unusable) {
          const dims = v.damaged ? "" : v.dims.join(" x ");
          console.log(`  ${v.name.padEnd(22)} ${dims.padEnd(26)} cannot be used: ${v.unusable}`);
          if (v.damaged) bad.push(v);
          continue;
        }
        const kind = `${v.complex ? "complex " : ""}${v.matClass}`;
        let line = `  ${v.name.padEnd(22)} ${v.dims.join(" x ").padEnd(26)} ${kind}`;
        if (values.stats && numel(v.dims) > 0) line += `  ${stats(mat, v)}`;
        console.log(line);
      }
      if (bad.length > 0) {
        damaged++;
        reportError(
          new MatFormatError(
            `${bad.length} variable(s) cannot be read: ${bad.map((v) => v.name).join(", ")}`,
            { file, hint: "the file is corrupt or truncated: download or copy it again" },
          ),
        );
      }
    }
    return damaged > 0 ? 1 : 0;
  },
};

/** min / max / mean magnitude and NaN/Inf count, read along the last dim (bounded memory). */
function stats(mat: MatReader, v: MatVarInfo): string {
  const last = v.dims.length - 1;
  let min = Infinity, max = -Infinity, sum = 0, n = 0, bad = 0;
  for (let i = 0; i < v.dims[last]; i++) {
    const ranges = v.dims.map((_, k) => (k === last ? i : undefined));
    const a = mat.readSlab(v.name, ranges);
    const w = a.complex ? 2 : 1;
    for (let j = 0; j < a.data.length; j += w) {
      const m = w === 2 ? Math.hypot(a.data[j], a.data[j + 1]) : a.data[j];
      if (!Number.isFinite(m)) {
        bad++;
        continue;
      }
      if (m < min) min = m;
      if (m > max) max = m;
      sum += m;
      n++;
    }
  }
  const label = v.complex ? "|x|" : "x";
  return `${label} min ${min.toPrecision(4)} max ${max.toPrecision(4)} mean ${
    (sum / n).toPrecision(4)
  }${bad ? `  ${bad} NaN/Inf values` : ""}`;
}
