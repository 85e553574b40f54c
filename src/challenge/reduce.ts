/**
 * The official ranking reduction (`run4Ranking`): which slices and frames are scored, the
 * centre crop, magnitude and single precision, per challenge year.
 *
 * 2023 (`CMRxRecon/CMRxReconDemo/run4Ranking.m`): slices: all when fewer than 3, else the
 * 1-based pair `R(sz/2)-1, R(sz/2)` (0-based `c-2, c-1` with `c = R(sz/2)`); cine keeps
 * frames 1..3, mapping all weightings; crop to `[R(sx/3), R(sy/2)]` with `crop.m`'s rule
 * (0-based start `floor(m/2) - floor(s/2)`); `R` is MATLAB `round` (half away from zero).
 *
 * 2024 (`run4Ranking.m` of CMRxRecon2024): the same slice rule; BlackBlood keeps 1 frame and
 * gives `(x, y, slices)`; files named T1map/T2map keep all frames; others the first 3.
 * 2025 (`run4Ranking_2025.m`): single-frame types (blackblood, T1w, T2w) keep 1 frame;
 * T1map, T2map, T2smap, T1mappost, T1rho keep all; others `min(3, t)`; the output rank
 * drops a single slice or frame as documented in {@link reductionPlan}.
 *
 * Edge cases where the official MATLAB code errors (2023 cine with 1 slice; fewer than 3
 * frames; 2025 single frame and single slice of a multi-frame type) follow the later years'
 * fix: keep what exists. They are listed in the tests.
 *
 * @module
 */

import { ShapeError } from "../errors.ts";
import type { FrameRule, Year } from "./edition.ts";
import { editionOf } from "./editions/mod.ts";

/** MATLAB `round`: half away from zero (JS `Math.round` rounds -2.5 to -2). */
export function matlabRound(x: number): number {
  return Math.sign(x) * Math.floor(Math.abs(x) + 0.5);
}

/**
 * The 0-based half-open range `[start, end)` that MATLAB `crop.m` keeps when it crops a dim
 * of length `m` to `s`: `start = floor(m/2) - floor(s/2)`. Not `(m - s) / 2`: that differs
 * when m is even and s odd (512 -> 171 starts at 171, not 170).
 */
export function cropRange(m: number, s: number): [number, number] {
  if (s >= m) return [0, m];
  const start = Math.floor(m / 2) - Math.floor(s / 2);
  return [start, start + s];
}

/** The 0-based slices `run4Ranking` keeps out of `sz`. */
export function rankingSlices(sz: number): number[] {
  if (sz < 3) return Array.from({ length: sz }, (_, i) => i);
  const c = matlabRound(sz / 2);
  return [c - 2, c - 1];
}

/**
 * How a file's frames are treated, from its stem (e.g. `cine_sax`, `T1map`, `blackblood`):
 * the edition's rule. `mapping` forces "all" (2023 decides by task, not by name).
 */
export function frameRule(year: Year, name: string, mapping = false): FrameRule {
  return editionOf(year).frameRule(name, mapping);
}

/** What the reduction keeps of one image and the shape it writes. */
export interface ReductionPlan {
  /** 0-based slices kept. */
  slices: number[];
  /** 0-based frames kept. */
  frames: number[];
  /** `[start, end)` along x. */
  x: [number, number];
  /** `[start, end)` along y. */
  y: [number, number];
  /** MATLAB dims of `img4ranking` as scipy.io.loadmat returns them. */
  dims: number[];
}

/**
 * The reduction of an image with MATLAB dims `(sx, sy, sz, nt)` (coil-combined) for a year
 * and file. `name` is the file stem (`cine_sax`, `T1map`, ...); `mapping` says the file
 * belongs to the mapping task.
 */
export function reductionPlan(
  year: Year,
  dims: readonly number[],
  name: string,
  mapping = false,
): ReductionPlan {
  const [sx, sy, sz = 1, nt = 1] = dims;
  if (dims.length > 4 || [sx, sy, sz, nt].some((d) => !Number.isInteger(d) || d < 1)) {
    throw new ShapeError(
      `the ranking reduction takes a coil-combined image (x, y, slice, frame); got [${
        dims.join(", ")
      }]`,
    );
  }
  const slices = rankingSlices(sz);
  const rule = frameRule(year, name, mapping);
  const nf = rule === "all" ? nt : rule === "single" ? 1 : Math.min(3, nt);
  const frames = Array.from({ length: nf }, (_, i) => i);
  const cx = matlabRound(sx / 3), cy = matlabRound(sy / 2);
  const x = cropRange(sx, cx), y = cropRange(sy, cy);
  const out = [cx, cy, slices.length, nf];
  // MATLAB drops trailing singleton dims (beyond the second) when it saves.
  while (out.length > 2 && out[out.length - 1] === 1) out.pop();
  return { slices, frames, x, y, dims: out };
}

/**
 * Applies a reduction plan.
 *
 * @param image MATLAB dims `(sx, sy, sz, nt)` column-major, magnitude (real) or complex
 *   interleaved (then `complex` must be true; the magnitude is taken)
 * @param dims its dims `[sx, sy, sz, nt]`
 * @returns `Float32Array` with MATLAB dims `plan.dims` (single precision magnitude)
 */
export function applyReduction(
  image: Float32Array | Float64Array,
  dims: readonly number[],
  plan: ReductionPlan,
  complex = false,
): Float32Array {
  const [sx, sy, sz = 1, nt = 1] = dims;
  const w = complex ? 2 : 1;
  if (image.length !== w * sx * sy * sz * nt) {
    throw new ShapeError(
      `image has ${image.length / w} values, dims [${dims.join(", ")}] need ${sx * sy * sz * nt}`,
    );
  }
  const [x0, x1] = plan.x, [y0, y1] = plan.y;
  const nx = x1 - x0, ny = y1 - y0;
  const out = new Float32Array(nx * ny * plan.slices.length * plan.frames.length);
  let o = 0;
  for (const t of plan.frames) {
    for (const z of plan.slices) {
      const base = sx * sy * (z + sz * t);
      for (let y = y0; y < y1; y++) {
        let i = base + sx * y + x0;
        if (complex) {
          for (let x = 0; x < nx; x++, i++) out[o++] = Math.hypot(image[2 * i], image[2 * i + 1]);
        } else {
          for (let x = 0; x < nx; x++, i++) out[o++] = Math.abs(image[i]);
        }
      }
    }
  }
  return out;
}

/**
 * `run4Ranking` in one call: the reduced image and its dims.
 *
 * @param image coil-combined image, MATLAB dims `(sx, sy, sz, nt)`, magnitude or complex
 */
export function run4Ranking(
  image: Float32Array | Float64Array,
  dims: readonly number[],
  year: Year,
  name: string,
  mapping = false,
  complex = false,
): { data: Float32Array; dims: number[] } {
  const plan = reductionPlan(year, dims, name, mapping);
  return { data: applyReduction(image, dims, plan, complex), dims: plan.dims };
}
