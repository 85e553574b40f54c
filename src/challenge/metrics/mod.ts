/**
 * The official CMRxRecon image metrics (SSIM, PSNR, NMSE) and the per-edition scoring of
 * one 2-D image or a whole `img4ranking` file, reproducing the Python scorers
 * (docs/challenge-rules.md, metrics).
 *
 * Every image is 2-D with MATLAB dims `(nx, ny)`, column-major (x fastest): exactly what
 * `scipy.io.loadmat(f)["img4ranking"][:, :, i, j]` is in numpy, with numpy axis 0 = x.
 *
 * Numerics follow the scorers' float32 pipeline so that results agree with
 * scikit-image to rounding of the final float64 mean:
 * - `scipy.ndimage.uniform_filter` (axis 0 then axis 1, mode `reflect`) keeps a float64
 *   running window sum per line, `sum += in[k + w] − in[k]`, writes `sum / w` and stores
 *   every pass in float32 (`scipy/ndimage/src/ni_filters.c`, `NI_UniformFilter1D`, as in
 *   scipy 1.10; older scipy added `(in[k + w] − in[k]) / w` to a running mean instead, which
 *   differs in the last float32 bit now and then); this module does the same operations in
 *   the same order, so the filtered maps are bit-identical;
 * - scikit-image's elementwise SSIM algebra is float32 (inputs are float32, the Python
 *   scalars `cov_norm`, `C1`, `C2` are cast to float32); each operation is emulated with
 *   `Math.fround` of the float64 result, which equals the float32 result (float64 has more
 *   than 2·24+2 bits, so the double rounding is innocuous for + − × ÷ and sqrt);
 * - numpy's float32 `mean`/`std` use pairwise summation with float32 accumulators over the
 *   memory order (x fastest for loadmat's Fortran arrays), in blocks of numpy's 8192-element
 *   buffer; {@link normalizeImage} emulates it.
 * Sums that numpy does with a BLAS dot in float32 (NMSE) are taken in float64 here: the
 * BLAS kernel order is not reproducible, and the difference is ~1e-6 relative.
 *
 * The module keeps scratch buffers between calls (no allocation per image once warm); it is
 * not reentrant, which is fine in single-threaded JavaScript.
 *
 * @module
 */

import { ShapeError } from "../../errors.ts";
import type { Year } from "../edition.ts";
import { editionOf } from "../editions/mod.ts";
import { asF32, checkImage, type ImageValues } from "./image.ts";
import { meanStd32, percentileAbs } from "./numpy32.ts";
import { ssim } from "./ssim.ts";

export type { ImageValues } from "./image.ts";
export { meanStd32, percentileAbs } from "./numpy32.ts";
export { ssim, type SsimOptions } from "./ssim.ts";

const fr = Math.fround;

/** The three metrics of one 2-D image or the per-file means. */
export interface ImageScores {
  /** Mean SSIM (1 = identical). */
  ssim: number;
  /** PSNR in dB (Infinity for identical images, as numpy gives). */
  psnr: number;
  /** Normalised MSE `‖a − b‖² / ‖a‖²`. */
  nmse: number;
}

/** Per-file result of {@link scoreVolume}. */
export interface VolumeScores extends ImageScores {
  /** Number of 2-D images scored (slices × frames). */
  images: number;
  /** Number of 2-D images with at least one NaN metric. */
  nanImages: number;
  /**
   * Per-image metrics, index `i + nz * j` for slice `i`, frame `j` (MATLAB order over the
   * image grid; `j` only for 4-D files).
   */
  perImage: { ssim: Float64Array; psnr: Float64Array; nmse: Float64Array };
}

/** Options of {@link scoreVolume}. */
export interface ScoreVolumeOptions {
  /**
   * How a NaN image metric enters the per-file mean. `"propagate"` (default) is `np.mean`,
   * what every per-file aggregation in the official scorers uses (2023
   * `Evaluation/Main_Score.py`, 2024 `evaluation-2024/Val_Score2024.py` and
   * `Test_Score2024.py`, 2025 `evaluation-2025/Val_Score2025.py` `compute_metrics`): one NaN
   * image makes the file NaN. `"omit"` is `np.nanmean` (the scorers use `nanmean` only one
   * level up, across groups).
   */
  nan?: "propagate" | "omit";
}

let scratchA = new Float32Array(0);
let scratchB = new Float32Array(0);

// ------------------------------------------------------------------ PSNR, NMSE

/**
 * Peak signal-to-noise ratio as scikit-image's
 * `peak_signal_noise_ratio(imageTrue, imageTest, data_range=dataRange)`:
 * `10·log10(L² / MSE)`, the differences and squares in float32, the mean in float64.
 * Identical images give `Infinity` (numpy divides by zero with a warning); `L = 0` gives
 * `-Infinity` or NaN, as numpy does.
 *
 * @param imageTrue reference image, any dims, column-major (only the values matter)
 * @param imageTest image under test, same length
 * @param dataRange `L` (the scorers pass the max of the wrapper's first image)
 * @returns PSNR in dB
 * @throws {ShapeError} when the lengths differ
 */
export function psnr(imageTrue: ImageValues, imageTest: ImageValues, dataRange: number): number {
  if (imageTrue.length !== imageTest.length) {
    throw new ShapeError(
      `psnr: the images have ${imageTrue.length} and ${imageTest.length} values`,
    );
  }
  const a = asF32(imageTrue), b = asF32(imageTest);
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = fr(a[i] - b[i]);
    s += fr(d * d);
  }
  const mse = s / a.length;
  return 10 * Math.log10((dataRange * dataRange) / mse);
}

/**
 * Normalised mean squared error of the official `Evaluation.py`:
 * `‖a − b‖² / ‖a‖²` (Frobenius norms), the denominator from the FIRST argument. The
 * differences are float32 as in numpy; the sums are float64 (numpy's BLAS float32 dot
 * differs by ~1e-6 relative).
 *
 * @param a the image supplying the denominator (the scorers' first argument), any dims
 * @param b the other image, same length
 * @returns NMSE (0 for identical images; Infinity/NaN when `a` is all zero)
 * @throws {ShapeError} when the lengths differ
 */
export function nmse(a: ImageValues, b: ImageValues): number {
  if (a.length !== b.length) {
    throw new ShapeError(`nmse: the images have ${a.length} and ${b.length} values`);
  }
  const fa = asF32(a), fb = asF32(b);
  let num = 0, den = 0;
  for (let i = 0; i < fa.length; i++) {
    const d = fr(fa[i] - fb[i]);
    num += d * d;
    den += fa[i] * fa[i];
  }
  return num / den;
}

// ------------------------------------------------------------------ normalisation

/**
 * One 2-D image normalised as the year's official scorer does it (each image by itself):
 * - 2023 `x / x.max()` (`CmrxRecon/CMRxRecon:Evaluation/Evaluation.py`, inline in
 *   `calmetric`);
 * - 2024 `(x − mean) / (std + 1e-8)`, population std, float32 mean/std as numpy
 *   (`CMRxRecon2025-snippets:evaluation-2024/Evaluation.py` `normalize_std`; one stored
 *   revision of that file omits the `+ 1e-8`, which matters only when std is ≲ 1e-3);
 * - 2025 `|x| / percentile(|x|, 99.5)`, returned unnormalised (`|x|`) when the percentile
 *   is 0 (`evaluation-2025/Evaluation.py` `normalize_percentile`).
 * All in float32, bit-identical to numpy 1.x for loadmat's column-major images.
 *
 * @param x the image, any dims (only the values matter), float32 values
 * @param year challenge year
 * @param out destination (may be `x` itself); allocated when omitted
 * @returns `out`, float32
 */
export function normalizeImage(x: ImageValues, year: Year, out?: Float32Array): Float32Array {
  const f = asF32(x);
  const n = f.length;
  const o = out ?? new Float32Array(n);
  if (o.length < n) throw new ShapeError(`normalizeImage: out has ${o.length} < ${n} values`);
  const rule = editionOf(year).metrics.normalisation;
  if (rule === "max") {
    let m = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = f[i];
      if (v > m || v !== v) m = v;
      if (m !== m) break;
    }
    for (let i = 0; i < n; i++) o[i] = f[i] / m;
  } else if (rule === "zscore") {
    const [mean, std] = meanStd32(f);
    const div = fr(std + 1e-8); // float64 sum, cast to float32 against the float32 array
    for (let i = 0; i < n; i++) o[i] = fr(f[i] - mean) / div;
  } else {
    const p = percentileAbs(f, 99.5);
    if (p === 0) {
      for (let i = 0; i < n; i++) o[i] = Math.abs(f[i]);
    } else {
      const pf = fr(p);
      for (let i = 0; i < n; i++) o[i] = Math.abs(f[i]) / pf;
    }
  }
  return o;
}

function maxOf(x: Float32Array, n: number): number {
  let m = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = x[i];
    if (v !== v) return NaN; // np.max propagates NaN
    if (v > m) m = v;
  }
  return m;
}

// ------------------------------------------------------------------ scoring

/**
 * Scores one 2-D image the way the year's official scorer does, normalisation and
 * argument-order quirks included. The wrapper's first image supplies
 * `data_range = max(first)` for SSIM and PSNR and the NMSE denominator:
 * - 2023: `calmetric(pred, gt)` in `CmrxRecon/CMRxRecon:Evaluation/Main_Score.py`; first =
 *   normalised GT (so `L = 1`), in both the 4-D and 3-D branch;
 * - 2024, `rank4` (4-D branch): `calmetric(gtmat, reconmat)` in
 *   `CMRxRecon2025-snippets:evaluation-2024/Val_Score2024.py` / `Test_Score2024.py` swaps
 *   the roles, so first = z-scored SUBMISSION;
 * - 2024, not `rank4` (3-D branch, BlackBlood): the branch swaps back, first = z-scored GT;
 * - 2025, `rank4`: `compute_metrics` in `evaluation-2025/Val_Score2025.py` calls
 *   `calmetric(gt, recon)`, so first = normalised SUBMISSION;
 * - 2025, 3-D or 2-D: first = normalised GT.
 *
 * @param pred submission image, MATLAB dims `(nx, ny)`, column-major
 * @param gt ground-truth image, same dims
 * @param nx size of MATLAB dim 1
 * @param ny size of MATLAB dim 2
 * @param year challenge year
 * @param rank4 true when the file is 4-D `(x, y, slice, frame)`; false for 3-D/2-D files
 * @returns SSIM, PSNR (dB) and NMSE of this image
 * @throws {ShapeError} on a length mismatch or an image smaller than 7×7
 */
export function scoreImage(
  pred: ImageValues,
  gt: ImageValues,
  nx: number,
  ny: number,
  year: Year,
  rank4 = true,
): ImageScores {
  checkImage("scoreImage pred", pred, nx, ny);
  checkImage("scoreImage gt", gt, nx, ny);
  if (nx < 7 || ny < 7) {
    throw new ShapeError(
      `scoreImage: a 7x7 SSIM window exceeds the image extent (${nx}, ${ny})`,
      { hint: "the official SSIM needs images of at least 7x7 pixels" },
    );
  }
  const n = nx * ny;
  if (scratchA.length < n) {
    scratchA = new Float32Array(n);
    scratchB = new Float32Array(n);
  }
  const pn = normalizeImage(pred, year, scratchA.subarray(0, n));
  const gn = normalizeImage(gt, year, scratchB.subarray(0, n));
  const swapped = editionOf(year).metrics.swapsArgumentsFor4d && rank4;
  const first = swapped ? pn : gn, second = swapped ? gn : pn;
  const L = maxOf(first, n);
  return {
    ssim: ssim(first, second, nx, ny, L),
    psnr: psnr(first, second, L),
    nmse: nmse(first, second),
  };
}

function volumeDims(
  dims: readonly number[] | { pred: readonly number[]; gt: readonly number[] },
): [readonly number[], readonly number[]] {
  if (Array.isArray(dims)) return [dims, dims];
  const d = dims as { pred: readonly number[]; gt: readonly number[] };
  return [d.pred, d.gt];
}

/**
 * Scores a whole `img4ranking` array the way the year's official `calmetric` does: every
 * 2-D image (slices `i` over MATLAB dim 3, frames `j` over dim 4) is normalised and scored
 * by {@link scoreImage}; the per-file value of each metric is the mean over the images
 * (`np.mean`, see {@link ScoreVolumeOptions.nan}).
 *
 * `rank4` is decided by the rank of the dims as given: pass them as the file declares them
 * (MATLAB drops trailing singleton dims when saving, so a 1-frame file is 3-D and takes the
 * 3-D branch). 2-D arrays are scored as one image with the 3-D orientation (the 2025
 * scorer's 2-D branch; the 2023/2024 scorers have none).
 *
 * @param pred submission, MATLAB dims `(x, y, slice, frame)`, `(x, y, n)` or `(x, y)`,
 *   column-major, float32 (other inputs are rounded to float32 per image)
 * @param gt ground truth, same dims
 * @param dims the common MATLAB dims, or `{ pred, gt }` when they may differ
 * @param year challenge year
 * @param opts NaN handling of the mean
 * @returns the per-file means, the image count and per-image metrics
 * @throws {ShapeError} naming both shapes when pred and gt dims differ, when a length does
 *   not match its dims, for ranks outside 2..4, or for images smaller than 7×7
 */
export function scoreVolume(
  pred: ImageValues,
  gt: ImageValues,
  dims: readonly number[] | { pred: readonly number[]; gt: readonly number[] },
  year: Year,
  opts: ScoreVolumeOptions = {},
): VolumeScores {
  const [pd, gd] = volumeDims(dims);
  const show = (d: readonly number[]) => `(${d.join(", ")})`;
  if (pd.length !== gd.length || pd.some((v, i) => v !== gd[i])) {
    throw new ShapeError(
      `scoreVolume: submission dims ${show(pd)} differ from ground-truth dims ${show(gd)}`,
      { hint: "apply the year's run4Ranking reduction to the submission (crop, slices, frames)" },
    );
  }
  if (gd.length < 2 || gd.length > 4 || gd.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new ShapeError(
      `scoreVolume: expected MATLAB dims (x, y[, slice[, frame]]), got ${show(gd)}`,
    );
  }
  const [nx, ny, nz = 1, nt = 1] = gd;
  const total = nx * ny * nz * nt;
  if (pred.length !== total || gt.length !== total) {
    throw new ShapeError(
      `scoreVolume: dims ${show(gd)} need ${total} values; submission has ${pred.length}, ` +
        `ground truth ${gt.length}`,
    );
  }
  const rank4 = gd.length === 4;
  const count = nz * nt;
  const npix = nx * ny;
  const out = {
    ssim: new Float64Array(count),
    psnr: new Float64Array(count),
    nmse: new Float64Array(count),
  };
  const p32 = pred instanceof Float32Array ? pred : null;
  const g32 = gt instanceof Float32Array ? gt : null;
  const tmpP = p32 ? null : new Float32Array(npix);
  const tmpG = g32 ? null : new Float32Array(npix);
  let nanImages = 0;
  for (let img = 0; img < count; img++) {
    const off = img * npix;
    let pi: Float32Array, gi: Float32Array;
    if (p32) pi = p32.subarray(off, off + npix);
    else {
      for (let k = 0; k < npix; k++) tmpP![k] = pred[off + k];
      pi = tmpP!;
    }
    if (g32) gi = g32.subarray(off, off + npix);
    else {
      for (let k = 0; k < npix; k++) tmpG![k] = gt[off + k];
      gi = tmpG!;
    }
    const s = scoreImage(pi, gi, nx, ny, year, rank4);
    out.ssim[img] = s.ssim;
    out.psnr[img] = s.psnr;
    out.nmse[img] = s.nmse;
    if (s.ssim !== s.ssim || s.psnr !== s.psnr || s.nmse !== s.nmse) nanImages++;
  }
  const omit = opts.nan === "omit";
  const mean = (v: Float64Array) => {
    let s = 0, c = 0;
    for (const x of v) {
      if (x !== x && omit) continue;
      s += x;
      c++;
    }
    return c === 0 ? NaN : s / c;
  };
  return {
    ssim: mean(out.ssim),
    psnr: mean(out.psnr),
    nmse: mean(out.nmse),
    images: count,
    nanImages,
    perImage: out,
  };
}
