/**
 * `deno task maps --input RECON.mat --csv T1map.csv --out maps.mat`: fit T1 (MOLLI) or T2
 * (T2-prep) maps to a reconstructed mapping image.
 *
 * @module
 */

import { CmrxError, UsageError } from "../src/errors.ts";
import { openMat } from "../src/mat/read.ts";
import { readMappingCsv, sourceSlices, timesForSlices } from "../src/challenge/maps/csv.ts";
import { fitMaps, type MapKind, mapKindOf, writeMaps } from "../src/mapping/maps.ts";
import { Progress } from "../src/progress.ts";
import type { Command } from "./command.ts";
import { choice, parseFlags } from "./flags.ts";
import { formatDuration } from "./print.ts";

function rangeFlag(flag: string, v: string | undefined): [number, number] | undefined {
  if (v === undefined) return undefined;
  const r = v.split(",").map(Number);
  if (r.length !== 2 || r.some((x) => !Number.isFinite(x)) || r[0] >= r[1]) {
    throw new UsageError(`maps: --${flag} takes 'min,max' in ms, got '${v}'`, {
      hint: `e.g. --${flag} ${flag === "t1-range" ? "0,5000" : "0,500"}`,
    });
  }
  return [r[0], r[1]];
}

/** `deno task maps`: T1/T2 maps fitted to a reconstructed mapping image. */
export const maps: Command = {
  name: "maps",
  summary: "fit T1 (MOLLI) or T2 (T2-prep) maps to a reconstructed mapping image",
  help: `Usage: deno task maps --input RECON.mat --csv T1map.csv --out maps.mat [--kind T1|T2]
                      [--var NAME] [--slices 2,3] [--air 0.05] [--t1-range 0,5000] [--t2-range 0,500]

--input FILE   a reconstruction: img4ranking of a submission (validation: the two ranking
               slices; test: every slice) or any MAT variable with MATLAB dims
               (x, y, slice, weighting) or (x, y, weighting), magnitude
--csv FILE     the case's T1map.csv (inversion times per slice) or T2map.csv (prep times);
               trailing zero times are dropped together with their images
--out FILE     MAT v5 file: T1, A, B, T1star, flips, rsq (T1) or T2, S0, rsq (T2), each
               (x, y, slice), plus mask, times and slices (1-based source slices)
--kind K       T1 or T2 (default: from the csv or input file name)
--var NAME     the image variable (default img4ranking, else the only numeric one)
--slices LIST  1-based source slices the image holds (default: all, or the two ranking
               slices when the image has 2 and the csv more columns)
--air F        pixels below F x the slice's maximum are air and not fitted (default 0.05; 0: all)
--t1-range / --t2-range   clamp the maps to this range, ms (defaults 0,5000 and 0,500)

T1: |A - B exp(-TI/T1*)| with polarity restoration of the early TIs, T1 = T1* (B/A - 1).
T2: S0 exp(-TE/T2), log-linear start, then least squares on the magnitudes.

Example:
  deno task maps --input out/Submission/MultiCoil/Mapping/ValidationSet/AccFactor04/P001/T1map.mat \\
                 --csv data/MultiCoil/Mapping/ValidationSet/AccFactor04/P001/T1map.csv --out t1.mat`,
  async run(args) {
    const { values } = parseFlags("maps", args, {
      input: { type: "string" },
      csv: { type: "string" },
      out: { type: "string" },
      kind: { type: "string" },
      var: { type: "string" },
      slices: { type: "string" },
      air: { type: "string" },
      "t1-range": { type: "string" },
      "t2-range": { type: "string" },
    });
    if (!values.input || !values.csv || !values.out) {
      throw new UsageError("maps: --input FILE, --csv FILE and --out FILE are required", {
        hint: "deno task maps --input T1map.mat --csv T1map.csv --out t1maps.mat",
      });
    }
    let kind: MapKind | null = null;
    if (values.kind !== undefined) {
      kind = choice("maps", "kind", values.kind, ["T1", "T2"]);
    } else kind = mapKindOf(values.csv) ?? mapKindOf(values.input);
    if (!kind) {
      throw new UsageError("maps: cannot tell T1 from T2 by the file names", {
        hint: "give --kind T1 or --kind T2",
      });
    }
    const air = values.air === undefined ? 0.05 : Number(values.air);
    if (!(air >= 0 && air < 1)) {
      throw new UsageError(`maps: --air takes a fraction in [0, 1), got '${values.air}'`, {
        hint: "e.g. --air 0.05 (the default; 0 fits every pixel)",
      });
    }
    const t0 = performance.now();
    using mat = await openMat(values.input);
    const vars = mat.variables();
    const numeric = vars.filter((v) => !v.complex && v.dims.length >= 3);
    const name = values.var ??
      (vars.some((v) => v.name === "img4ranking")
        ? "img4ranking"
        : numeric.length === 1
        ? numeric[0].name
        : undefined);
    if (!name || !vars.some((v) => v.name === name)) {
      throw new CmrxError(
        `no image variable${values.var ? ` '${values.var}'` : ""} (found: ${
          vars.map((v) => `${v.name} [${v.dims}]`).join(", ") || "none"
        })`,
        { file: values.input, hint: "name it with --var" },
      );
    }
    const img = mat.read(name);
    if (img.complex) {
      throw new CmrxError(`'${name}' is complex; maps are fitted to magnitudes`, {
        file: values.input,
        hint: "save the magnitude (abs) of the reconstruction",
      });
    }
    const d = img.dims.length === 3 ? [img.dims[0], img.dims[1], 1, img.dims[2]] : img.dims;
    if (d.length !== 4) {
      throw new CmrxError(`'${name}' has dims [${img.dims}], expected (x, y, slice, weighting)`, {
        file: values.input,
      });
    }
    const table = await readMappingCsv(values.csv);
    let slices: number[];
    if (values.slices) {
      slices = values.slices.split(",").map((s) => Number(s) - 1);
      if (slices.length !== d[2] || slices.some((s) => !Number.isInteger(s) || s < 0)) {
        throw new UsageError(
          `maps: --slices needs ${d[2]} 1-based slice numbers, got '${values.slices}'`,
          {
            hint: `list the source slice of each of the image's ${
              d[2]
            } slice(s), e.g. --slices 2,3`,
          },
        );
      }
    } else slices = sourceSlices(table, d[2]);
    const times = timesForSlices(table, slices, d[3]);
    const progress = new Progress("maps", d[2], "slices");
    const result = fitMaps(kind, img.data, d, times, {
      airFraction: air,
      t1Range: rangeFlag("t1-range", values["t1-range"]),
      t2Range: rangeFlag("t2-range", values["t2-range"]),
      onSlice: () => progress.tick(),
    });
    await writeMaps(values.out, result, slices);
    const m = result.maps[kind];
    const fitted: number[] = [];
    for (let i = 0; i < m.length; i++) if (result.mask[i]) fitted.push(m[i]);
    fitted.sort((a, b) => a - b);
    const med = fitted.length ? fitted[fitted.length >> 1] : NaN;
    console.log(
      `${kind} maps of ${d[0]} x ${d[1]} x ${d[2]} slice(s), ${
        d[3]
      } weightings: ${fitted.length} ` +
        `pixels fitted (median ${kind} ${med.toFixed(0)} ms), written to ${values.out} in ${
          formatDuration(performance.now() - t0)
        }`,
    );
    return 0;
  },
};
