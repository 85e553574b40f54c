/**
 * Coil sensitivities of one slice in one call: the calibration data (time average or one
 * frame), the ACS band found from the mask, and the chosen estimator (ACS / RSS or
 * ESPIRiT).
 *
 * K-space is complex interleaved, MATLAB dims `(kx, ky, coil, frame)`; maps are complex
 * interleaved `(x, y, coil, map)`, column-major (x fastest). Both estimators remove the
 * (arbitrary) common phase of the coils the way BART's `ecalib` does by default (see
 * `src/kspace/coils/mod.ts`).
 *
 * @module
 */

import { ShapeError } from "../../errors.ts";
import { acsRange, sampledLines } from "../mask.ts";
import type { SliceInput } from "../slice.ts";
import { acsRssMaps, type AcsRssOptions } from "./acs.ts";
import { checkLength, timeAveragedKspace } from "./calibration.ts";
import { espirit, type EspiritOptions } from "./espirit.ts";

/** Fewest contiguous central k-space lines {@link sensitivityMaps} accepts as an ACS band. */
export const MIN_ACS_LINES = 8;

/** Options of {@link sensitivityMaps}: those of the chosen method, plus `frame`. */
export interface SensitivityOptions extends AcsRssOptions, Omit<EspiritOptions, "crop"> {
  /** Eigenvalue crop (espirit) or RSS support threshold (acs); defaults as the method's. */
  crop?: number;
  /**
   * Calibrate on this frame / weighting only instead of the time average (e.g. the last,
   * fully recovered MOLLI weighting). Default: the average over all frames.
   */
  frame?: number;
}

/** What {@link sensitivityMaps} returns. */
export interface SensitivityMaps {
  /** Complex interleaved maps, MATLAB dims `(x, y, coil, map)`. */
  maps: Float32Array;
  /** `[nx, ny, nc, nmaps]`. */
  dims: [number, number, number, number];
  /** The ACS band used, `[start, end)` in ky. */
  acs: [number, number];
  /** ESPIRiT eigenvalues `(x, y, map)`; absent for `acs`. */
  eigenvalues?: Float32Array;
}

/**
 * Coil sensitivities of one slice. Time-averages the k-space over frames (cine frames and
 * mapping weightings alike: sensitivities are static; see {@link timeAveragedKspace}), or
 * takes `opts.frame`; finds the ACS band as the longest run of central ky lines sampled in
 * every frame (`acsRange` of `sampledLines`, intersected over frames for k-t masks); and
 * runs {@link acsRssMaps} (`"acs"`, fast) or {@link espirit} (`"espirit"`).
 *
 * The calibration region must be fully sampled along kx (true of all Cartesian line
 * masks; for 2-D radial-like masks the ACS method sees only what was sampled).
 *
 * @param input one slice: k-space `(kx, ky, coil, frame)` and its mask
 * @param method `"acs"` or `"espirit"`
 * @param opts options of the method, plus `frame`
 * @returns maps `(x, y, coil, map)`, their dims, the ACS band and (ESPIRiT) eigenvalues
 * @throws {ShapeError} when the mask has fewer than {@link MIN_ACS_LINES} contiguous
 *   central lines, or dims do not match
 */
export function sensitivityMaps(
  input: SliceInput,
  method: "acs" | "espirit",
  opts: SensitivityOptions = {},
): SensitivityMaps {
  const [nx, ny, nc, nt] = input.dims;
  const mframes = input.maskDims.length > 2 ? input.maskDims[2] : 1;
  let kspace: Float32Array;
  if (opts.frame !== undefined) {
    const f = opts.frame;
    if (!Number.isInteger(f) || f < 0 || f >= nt) {
      throw new ShapeError(`sensitivityMaps: frame ${f} is outside 0..${nt - 1}`);
    }
    checkLength("sensitivityMaps: kspace", input.kspace, 2 * nx * ny * nc * nt);
    kspace = input.kspace.slice(2 * nx * ny * nc * f, 2 * nx * ny * nc * (f + 1));
  } else {
    kspace = timeAveragedKspace(input);
  }
  // ACS: central lines sampled in every frame (of the frame used)
  const lines = new Uint8Array(ny).fill(1);
  const frames = opts.frame !== undefined && mframes > 1
    ? [opts.frame]
    : Array.from({ length: mframes }, (_, t) => t);
  for (const t of frames) {
    const l = sampledLines(input.mask, nx, ny, t);
    for (let y = 0; y < ny; y++) lines[y] &= l[y];
  }
  const acs = acsRange(lines);
  const width = acs[1] - acs[0];
  if (width < MIN_ACS_LINES) {
    let sampled = 0;
    for (let y = 0; y < ny; y++) sampled += lines[y];
    throw new ShapeError(
      `sensitivityMaps: the mask has no ACS band: ${width} contiguous sampled line(s) ` +
        `around the centre ky = ${Math.floor(ny / 2)} (${sampled} of ${ny} lines sampled` +
        `${mframes > 1 ? " in every frame" : ""}); need at least ${MIN_ACS_LINES}`,
      { hint: "coil sensitivities need a fully sampled central band; use a mask with ACS lines" },
    );
  }
  if (method === "acs") {
    const maps = acsRssMaps(kspace, nx, ny, nc, acs, opts);
    return { maps, dims: [nx, ny, nc, 1], acs };
  }
  if (method !== "espirit") {
    throw new ShapeError(`sensitivityMaps: unknown method "${method}"`, {
      hint: 'use "acs" or "espirit"',
    });
  }
  const r = espirit(kspace, nx, ny, nc, acs, opts);
  const nmaps = opts.maps ?? 1;
  return { maps: r.maps, dims: [nx, ny, nc, nmaps], acs, eigenvalues: r.eigenvalues };
}
