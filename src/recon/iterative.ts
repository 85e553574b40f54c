/**
 * What the iterative reconstructions (CG-SENSE, L+S) share besides the encoding operator
 * (`src/kspace/encoding.ts`) and the solvers (`src/linalg/`): the checks of a slice, the
 * choice and estimation of coil maps, and how a solver image becomes the output magnitude.
 *
 * Slices are `SliceInput`s: k-space complex interleaved, MATLAB dims `(kx, ky, coil, frame)`;
 * coil maps complex interleaved `(x, y, coil)`.
 *
 * @module
 */

import { ShapeError } from "../errors.ts";
import { sensitivityMaps, type SensitivityOptions } from "../kspace/coils/mod.ts";
import type { SliceInput } from "../kspace/slice.ts";

/**
 * How an iterative reconstruction turns its image into the output magnitude: `"rss"` is the
 * RSS of the coil images `S_c x`; `"dc-rss"` puts the measured samples back first
 * (`EncodingOperator.dataConsistentRss`, `src/kspace/encoding.ts`).
 */
export type MagnitudeOutput = "rss" | "dc-rss";

/**
 * The default {@link MagnitudeOutput}: `"dc-rss"` for mapping, `"rss"` for cine. On the
 * mapping weightings (all frames share one mask, so nothing temporal de-aliases them) the
 * regularised RSS lost SSIM to zero-filled at R = 10; putting the acquired samples back
 * restores the noise texture of the official reference (the RSS of noisy fully sampled coil
 * images) and fixed every such cell (docs/benchmarks.md, `deno task bench classical
 * --views T1,T2`).
 * @param input the slice (its `kind`)
 */
export function defaultOutput(input: SliceInput): MagnitudeOutput {
  return input.task === "mapping" ? "dc-rss" : "rss";
}

/**
 * Unit coil map for single-coil data: sensitivity 1 everywhere.
 * @returns complex interleaved, MATLAB dims `(x, y, 1)`
 */
export function unitMap(nx: number, ny: number): Float32Array {
  const m = new Float32Array(2 * nx * ny);
  for (let p = 0; p < m.length; p += 2) m[p] = 1;
  return m;
}

/**
 * Coil sensitivities to use: estimated from the data (`"acs"`: ACS images over their RSS;
 * `"espirit"`: ESPIRiT, both from `src/kspace/coils/`) or given explicitly as a
 * complex interleaved array, MATLAB dims `(x, y, coil)`.
 */
export type MapsChoice = "acs" | "espirit" | Float32Array;

/**
 * Checks a slice for the iterative methods: sizes of k-space and mask, finite values.
 * @throws {ShapeError} naming what is wrong
 */
export function checkSlice(input: SliceInput): void {
  const { dims, kspace, mask, maskDims } = input;
  if (dims.length !== 4 || dims.some((d) => !Number.isSafeInteger(d) || d < 1)) {
    throw new ShapeError(
      `slice dims must be 4 positive integers (kx, ky, coil, frame), got ` +
        `[${dims.join(", ")}]`,
    );
  }
  const [nx, ny, nc, nt] = dims;
  if (kspace.length !== 2 * nx * ny * nc * nt) {
    throw new ShapeError(
      `k-space has ${kspace.length / 2} complex values, dims [${dims.join(", ")}] need ` +
        `${nx * ny * nc * nt}`,
    );
  }
  const mf = maskDims[2] ?? 1;
  if (maskDims[0] !== nx || maskDims[1] !== ny || (mf !== 1 && mf !== nt)) {
    throw new ShapeError(
      `mask dims [${maskDims.join(", ")}] do not fit k-space dims [${dims.join(", ")}]`,
      { hint: "the mask must be (kx, ky) or (kx, ky, frame) matching the k-space" },
    );
  }
  if (mask.length !== nx * ny * mf) {
    throw new ShapeError(
      `mask has ${mask.length} values, dims [${maskDims.join(", ")}] need ${nx * ny * mf}`,
    );
  }
  for (let i = 0; i < kspace.length; i++) {
    if (!Number.isFinite(kspace[i])) {
      throw new ShapeError(`k-space holds a non-finite value (${kspace[i]}) at index ${i >> 1}`, {
        hint: "the input file is corrupt or was written with NaN/Inf; re-export it",
      });
    }
  }
}

/**
 * The coil maps a reconstruction uses for a slice: the given array, a unit map for
 * single-coil data, or the estimate `sensitivityMaps(input, choice, mapOptions)`.
 * @param input the slice (k-space `(kx, ky, coil, frame)` and mask)
 * @param choice estimation method or explicit maps `(x, y, coil)`
 * @param mapOptions passed to the estimator
 * @returns complex interleaved maps, MATLAB dims `(x, y, coil)`
 * @throws {ShapeError} when explicit maps have the wrong size
 */
export function resolveMaps(
  input: SliceInput,
  choice: MapsChoice,
  mapOptions: SensitivityOptions = {},
): Float32Array {
  const [nx, ny, nc] = input.dims;
  if (choice instanceof Float32Array) {
    if (choice.length !== 2 * nx * ny * nc) {
      throw new ShapeError(
        `coil maps have ${choice.length / 2} complex values; (x, y, coil) = ` +
          `(${nx}, ${ny}, ${nc}) needs ${nx * ny * nc}`,
      );
    }
    return choice;
  }
  if (nc === 1) return unitMap(nx, ny);
  return estimateMaps(input, choice, mapOptions);
}

function estimateMaps(
  input: SliceInput,
  choice: "acs" | "espirit",
  opts: SensitivityOptions,
): Float32Array {
  if (choice !== "acs" && choice !== "espirit") {
    throw new ShapeError(`unknown coil map method "${choice}"`, { hint: 'use "acs" or "espirit"' });
  }
  const [nx, ny, nc] = input.dims;
  // only the first map of a multi-map ESPIRiT result is used
  return sensitivityMaps(input, choice, opts).maps.subarray(0, 2 * nx * ny * nc);
}
