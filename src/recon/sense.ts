/**
 * CG-SENSE with Tikhonov regularisation (Pruessmann et al. 2001, with the l2 penalty of
 * BART `pics -l2`): for each frame `t`,
 *
 * `x_t = argmin ||E_t x - y_t||^2 + mu ||x||^2`, i.e. `(E^H E + mu I) x = E^H y_t`,
 *
 * solved by conjugate gradients, `E_t = M_t F S` ({@link EncodingOperator}). Frame `t`
 * starts from the solution of frame `t - 1` (warm start: neighbouring frames are alike, so
 * CG starts closer and stops earlier).
 *
 * Scale: `mu = lambda * L` with `L = max_p sum_c |S_c(p)|^2`, an upper bound of the largest
 * eigenvalue of `E^H E` (1 for maps of unit root-sum-of-squares). Because the problem is
 * linear and the penalty pulls towards 0, the result scales with the data, so `lambda` is
 * independent of the k-space scale and of the map scaling.
 *
 * Single-coil data is refused: with one coil of sensitivity 1, `E^H E = F^H M F` is
 * diagonal in k-space and the solution is the zero-filled image times `1 / (1 + mu)`,
 * nothing SENSE can add. Use `zerofill` or `lps` (which does work on single-coil data).
 *
 * Output: the magnitude of the coil images `S_c x` combined by root-sum-of-squares,
 * `|x| sqrt(sum_c |S_c|^2)`, i.e. `|x|` for unit-RSS maps — the quantity the official ground
 * truth takes from fully sampled data.
 *
 * @module
 */

import { ShapeError } from "../errors.ts";
import type { SensitivityOptions } from "../kspace/coils/mod.ts";
import { EncodingOperator } from "../kspace/encoding.ts";
import { CgWork, conjugateGradient } from "../linalg/cg.ts";
import {
  checkSlice,
  defaultOutput,
  type MagnitudeOutput,
  type MapsChoice,
  resolveMaps,
} from "./iterative.ts";
import type { Reconstructor, SliceInput, SliceOutput } from "../kspace/slice.ts";

/** Options of CG-SENSE. */
export interface SenseOptions {
  /** Coil maps: `"acs"` (default), `"espirit"`, or explicit `(x, y, coil)` maps. */
  maps?: MapsChoice;
  /** Options passed to the map estimator. */
  mapOptions?: SensitivityOptions;
  /** Tikhonov weight relative to the largest eigenvalue bound of `E^H E` (default 0.003). */
  lambda?: number;
  /** Most CG iterations per frame (default 20). */
  maxIter?: number;
  /**
   * CG stops when `||E^H y - (E^H E + mu) x|| <= tol ||E^H y||` (default 3e-3; CG on
   * undersampled data semi-converges, and iterating much further amplifies noise).
   */
  tol?: number;
  /** Start frame `t` from the solution of `t - 1` (default true). */
  warmStart?: boolean;
  /**
   * Magnitude output: `"rss"`, the RSS of the coil images `S_c x`, or `"dc-rss"`, the same
   * with the measured samples put back into their k-space first (see
   * `EncodingOperator.dataConsistentRss`). Default: `"dc-rss"` for mapping, `"rss"` for cine.
   */
  output?: MagnitudeOutput;
}

/** Default Tikhonov weight for mapping data (cine uses SENSE_DEFAULTS.lambda). */
export const SENSE_MAPPING_LAMBDA = 0.03;

/** Defaults of {@link SenseOptions}. */
export const SENSE_DEFAULTS = {
  maps: "acs",
  lambda: 0.003,
  maxIter: 20,
  tol: 3e-3,
  warmStart: true,
} as const;

/** What {@link cgSense} returns. */
export interface SenseResult {
  /** Complex image `x`, interleaved, MATLAB dims `(x, y, frame)`. */
  image: Float32Array;
  /** RSS magnitude of the coil images `S_c x`, MATLAB dims `(x, y, frame)`. */
  magnitude: Float32Array;
  /** CG iterations per frame. */
  iterations: number[];
  /** Final relative CG residual per frame. */
  relResidual: number[];
}

/**
 * CG-SENSE of one slice with given coil maps.
 *
 * @param input one slice: k-space `(kx, ky, coil, frame)`, mask `(kx, ky)` or
 *   `(kx, ky, frame)`
 * @param maps complex interleaved coil maps, MATLAB dims `(x, y, coil)`
 * @param opts regularisation and stopping rule (`maps` is ignored here)
 * @returns complex and magnitude images `(x, y, frame)` and per-frame CG figures
 * @throws {ShapeError} for inconsistent sizes, non-finite data or single-coil data
 */
export function cgSense(
  input: SliceInput,
  maps: Float32Array,
  opts: SenseOptions = {},
): SenseResult {
  checkSlice(input);
  return solve(input, maps, opts);
}

function solve(input: SliceInput, maps: Float32Array, opts: SenseOptions): SenseResult {
  const [nx, ny, nc, nt] = input.dims;
  if (nc === 1) throw singleCoilError();
  // Mapping weightings are noise-dominated near the inversion null: regularise 10x more.
  const lambda = opts.lambda ??
    (input.task === "mapping" ? SENSE_MAPPING_LAMBDA : SENSE_DEFAULTS.lambda);
  const maxIter = opts.maxIter ?? SENSE_DEFAULTS.maxIter;
  const tol = opts.tol ?? SENSE_DEFAULTS.tol;
  const warm = opts.warmStart ?? SENSE_DEFAULTS.warmStart;
  const output = opts.output ?? defaultOutput(input);
  if (!(lambda >= 0) || !(maxIter >= 0) || !(tol >= 0)) {
    throw new ShapeError(
      `sense: lambda, maxIter and tol must be >= 0 (got ${lambda}, ${maxIter}, ${tol})`,
    );
  }
  const op = new EncodingOperator(maps, nx, ny, nc, input.mask, input.maskDims);
  const npix = nx * ny;
  const mu = lambda * op.lipschitz;
  const bRe = new Float64Array(npix), bIm = new Float64Array(npix);
  const xRe = new Float64Array(npix), xIm = new Float64Array(npix);
  const work = new CgWork(npix);
  let frame = 0;
  const apply = (re: Float64Array, im: Float64Array, oRe: Float64Array, oIm: Float64Array) =>
    op.normal(re, im, frame, oRe, oIm, mu);
  const image = new Float32Array(2 * npix * nt);
  const magnitude = new Float32Array(npix * nt);
  const iterations: number[] = [];
  const relResidual: number[] = [];
  const perFrame = 2 * npix * nc;
  for (frame = 0; frame < nt; frame++) {
    op.adjointToSolver(
      input.kspace.subarray(perFrame * frame, perFrame * (frame + 1)),
      frame,
      bRe,
      bIm,
    );
    if (!warm) {
      xRe.fill(0);
      xIm.fill(0);
    }
    const r = conjugateGradient(apply, bRe, bIm, xRe, xIm, { maxIter, tol, work });
    iterations.push(r.iterations);
    relResidual.push(r.relResidual);
    op.fromSolver(xRe, xIm, image.subarray(2 * npix * frame, 2 * npix * (frame + 1)));
    const mag = magnitude.subarray(npix * frame, npix * (frame + 1));
    if (output === "dc-rss") {
      op.dataConsistentRss(
        xRe,
        xIm,
        input.kspace.subarray(perFrame * frame, perFrame * (frame + 1)),
        frame,
        mag,
      );
    } else op.coilRss(xRe, xIm, mag);
  }
  return { image, magnitude, iterations, relResidual };
}

function singleCoilError(): ShapeError {
  return new ShapeError("CG-SENSE needs multi-coil data; this slice has 1 coil", {
    hint: "with one coil SENSE reduces to a scaled zero-filled image: use zerofill or lps",
  });
}

/**
 * A CG-SENSE {@link Reconstructor} with the given options.
 * @param opts see {@link SenseOptions}; defaults in {@link SENSE_DEFAULTS}
 */
export function createSense(opts: SenseOptions = {}): Reconstructor {
  return {
    name: "sense",
    description: "CG-SENSE with Tikhonov regularisation, warm-started across frames",
    singleCoil: false,
    reconstruct(input: SliceInput): SliceOutput {
      checkSlice(input);
      if (input.dims[2] === 1) throw singleCoilError();
      const maps = resolveMaps(input, opts.maps ?? SENSE_DEFAULTS.maps, opts.mapOptions);
      const r = solve(input, maps, opts);
      const total = r.iterations.reduce((a, b) => a + b, 0);
      return {
        image: r.magnitude,
        info: {
          iterations: total,
          maxRelResidual: Math.max(...r.relResidual),
        },
      };
    },
  };
}
