/**
 * The official CMRxRecon image metrics (SSIM, PSNR, NMSE) and the per-year scoring of
 * one 2-D image or a whole `img4ranking` file, reproducing the Python scorers
 * (reference: `cmrxrecon-format.md` §4).
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

import { ShapeError } from "../errors.ts";
import type { Year } from "./reduce.ts";

const fr = Math.fround;

/** Values a metric accepts: converted to float32 first (the scorers read single data). */
export type ImageValues = Float32Array | Float64Array | ArrayLike<number>;

/** Options of {@link ssim}; the defaults are scikit-image's. */
export interface SsimOptions {
  /** Side of the square uniform window, odd and >= 3. Default 7. */
  winSize?: number;
  /** K1 of the SSIM constants `C1 = (K1 L)²`. Default 0.01. */
  k1?: number;
  /** K2 of the SSIM constants `C2 = (K2 L)²`. Default 0.03. */
  k2?: number;
  /** Sample covariance (`NP/(NP-1)`, NP = winSize²) when true (default), else population. */
  useSampleCovariance?: boolean;
}

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

// ------------------------------------------------------------------ scratch buffers

let scratchA = new Float32Array(0);
let scratchB = new Float32Array(0);
let scratchSel = new Float32Array(0);

function asF32(x: ImageValues): Float32Array {
  return x instanceof Float32Array ? x : Float32Array.from(x as ArrayLike<number>);
}

function checkImage(what: string, x: ArrayLike<number>, nx: number, ny: number): void {
  if (!Number.isInteger(nx) || !Number.isInteger(ny) || nx < 1 || ny < 1) {
    throw new ShapeError(`${what}: image dims must be positive integers, got (${nx}, ${ny})`);
  }
  if (x.length !== nx * ny) {
    throw new ShapeError(
      `${what}: an (${nx}, ${ny}) image has ${nx * ny} values, got ${x.length}`,
      { hint: "pass one 2-D image, MATLAB dims (nx, ny), column-major" },
    );
  }
}

// ------------------------------------------------------------------ SSIM

/**
 * Mean structural similarity of two 2-D images, exactly as scikit-image's
 * `structural_similarity(a, b, data_range=dataRange)` with its defaults: 7×7 uniform window
 * (`scipy.ndimage.uniform_filter`, mode `reflect`, axis 0 then axis 1), K1 0.01, K2 0.03,
 * sample covariance (`cov_norm = 49/48`), float32 arithmetic for float32 input, and the
 * float64 mean of the SSIM map after cropping `(winSize − 1)/2` pixels from every border.
 *
 * Cost: two running-sum passes of five maps (O(1) per pixel and axis), fused with the SSIM
 * algebra; no allocation once the scratch buffers are warm.
 *
 * SSIM is symmetric in `a` and `b` (bit for bit); only `dataRange` matters.
 *
 * @param a first image, MATLAB dims `(nx, ny)`, column-major; non-float32 input is rounded
 *   to float32 first
 * @param b second image, same dims
 * @param nx size of MATLAB dim 1 (numpy axis 0, contiguous)
 * @param ny size of MATLAB dim 2
 * @param dataRange `L` of `C1 = (K1 L)²`, `C2 = (K2 L)²` (the scorers pass the max of the
 *   wrapper's first image)
 * @param opts window and constants (defaults are scikit-image's)
 * @returns the mean SSIM (NaN when `dataRange` is 0 and a window is flat, as in numpy)
 * @throws {ShapeError} when a length differs from `nx·ny` or a dim is smaller than the
 *   window (scikit-image raises `win_size exceeds image extent`)
 */
export function ssim(
  a: ImageValues,
  b: ImageValues,
  nx: number,
  ny: number,
  dataRange: number,
  opts: SsimOptions = {},
): number {
  checkImage("ssim", a, nx, ny);
  checkImage("ssim", b, nx, ny);
  const w = opts.winSize ?? 7;
  if (!Number.isInteger(w) || w < 3 || w % 2 === 0) {
    throw new ShapeError(`ssim: the window size must be an odd integer >= 3, got ${w}`);
  }
  if (nx < w || ny < w) {
    throw new ShapeError(
      `ssim: a ${w}x${w} window exceeds the image extent (${nx}, ${ny})`,
      { hint: `SSIM needs images of at least ${w}x${w} pixels (scikit-image raises too)` },
    );
  }
  const fa = asF32(a), fb = asF32(b);
  const k1 = opts.k1 ?? 0.01, k2 = opts.k2 ?? 0.03;
  const np = w * w;
  // Python floats meeting a float32 array are cast to float32 (numpy 1.x value-based
  // casting); C1, C2 are computed in float64 from the (float32) data range first.
  const cn = fr((opts.useSampleCovariance ?? true) ? np / (np - 1) : 1);
  const c1 = fr((k1 * dataRange) * (k1 * dataRange));
  const c2 = fr((k2 * dataRange) * (k2 * dataRange));
  const h = (w - 1) >> 1;
  const n = nx * ny;
  if (maps.length < 5 * n) maps = new Float32Array(5 * n);
  if (lineA.length < nx + w - 1) {
    lineA = new Float64Array(nx + w - 1);
    lineB = new Float64Array(nx + w - 1);
  }
  if (sums.length < 5 * nx) sums = new Float64Array(5 * nx);
  filterAxis0(fa, fb, nx, ny, w, maps, lineA, lineB);
  startAxis1(maps, nx, ny, w, sums);
  // Axis 1 (y): output row y adds row y + h and drops row y − h − 1 (reflected), for the
  // x the crop keeps ([h, nx − h), interleaved index 5x + map); rows [h, ny − h) are kept.
  const i0 = 5 * h, i1 = 5 * (nx - h);
  let total = 0;
  for (let y = 1; y < ny - h; y++) {
    let jin = y + h, jout = y - h - 1;
    if (jin >= ny) jin = 2 * ny - jin - 1;
    if (jout < 0) jout = -jout - 1;
    if (y < h) advanceAxis1(maps, 5 * nx * jin, 5 * nx * jout, i0, i1, sums);
    else total += ssimRow(maps, 5 * nx * jin, 5 * nx * jout, i0, i1, sums, w, cn, c1, c2);
  }
  return total / ((nx - 2 * h) * (ny - 2 * h));
}

// The SSIM passes live in small functions so that V8 optimises each loop with complete type
// feedback (one big function deoptimises when on-stack replacement compiles it early).

/** Five filtered maps, interleaved `[ux, uy, uxx, uyy, uxy]` per pixel (float32). */
let maps = new Float32Array(0);
/** One reflect-extended line of each image (float64, as scipy's line buffers). */
let lineA = new Float64Array(0);
let lineB = new Float64Array(0);
/** Running window sums of the axis-1 pass, interleaved like `maps`, per x. */
let sums = new Float64Array(0);

/**
 * `uniform_filter1d(·, w, axis=0, mode="reflect")` of a, b, a², b², ab (products in
 * float32), written interleaved into `m` as float32: per line, the window sum of the first
 * output, then `sum += in[x + h] − in[x − h − 1]` and `out = sum / w`, in float64.
 */
function filterAxis0(
  fa: Float32Array,
  fb: Float32Array,
  nx: number,
  ny: number,
  w: number,
  m: Float32Array,
  ea: Float64Array,
  eb: Float64Array,
): void {
  const h = (w - 1) >> 1;
  for (let y = 0; y < ny; y++) {
    const base = y * nx;
    // reflect extension: (d c b a | a b c d | d c b a); nx >= w > h
    for (let x = 0; x < nx; x++) {
      ea[x + h] = fa[base + x];
      eb[x + h] = fb[base + x];
    }
    for (let k = 0; k < h; k++) {
      ea[h - 1 - k] = fa[base + k];
      eb[h - 1 - k] = fb[base + k];
      ea[nx + h + k] = fa[base + nx - 1 - k];
      eb[nx + h + k] = fb[base + nx - 1 - k];
    }
    let s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0;
    for (let k = 0; k < w; k++) {
      const va = ea[k], vb = eb[k];
      s1 += va;
      s2 += vb;
      s3 += fr(va * va);
      s4 += fr(vb * vb);
      s5 += fr(va * vb);
    }
    let o = 5 * base;
    m[o] = s1 / w; // a Float32Array store rounds to float32, as scipy's float32 output
    m[o + 1] = s2 / w;
    m[o + 2] = s3 / w;
    m[o + 3] = s4 / w;
    m[o + 4] = s5 / w;
    for (let x = 1; x < nx; x++) {
      const ai = ea[x + w - 1], bi = eb[x + w - 1], ao = ea[x - 1], bo = eb[x - 1];
      s1 += ai - ao;
      s2 += bi - bo;
      s3 += fr(ai * ai) - fr(ao * ao);
      s4 += fr(bi * bi) - fr(bo * bo);
      s5 += fr(ai * bi) - fr(ao * bo);
      o += 5;
      m[o] = s1 / w;
      m[o + 1] = s2 / w;
      m[o + 2] = s3 / w;
      m[o + 3] = s4 / w;
      m[o + 4] = s5 / w;
    }
  }
}

/** Window sums of output row 0 of the axis-1 pass: rows −h..h, reflected. */
function startAxis1(m: Float32Array, nx: number, ny: number, w: number, acc: Float64Array): void {
  const h = (w - 1) >> 1;
  const i0 = 5 * h, i1 = 5 * (nx - h);
  for (let i = i0; i < i1; i++) acc[i] = 0;
  for (let k = 0; k < w; k++) {
    let j = k - h;
    if (j < 0) j = -j - 1;
    else if (j >= ny) j = 2 * ny - j - 1;
    const o = 5 * nx * j;
    for (let i = i0; i < i1; i++) acc[i] += m[o + i];
  }
}

/** One step of the axis-1 running sums (a row outside the crop). */
function advanceAxis1(
  m: Float32Array,
  oi: number,
  oo: number,
  i0: number,
  i1: number,
  acc: Float64Array,
): void {
  for (let i = i0; i < i1; i++) acc[i] += m[oi + i] - m[oo + i];
}

/**
 * One step of the axis-1 running sums fused with scikit-image's SSIM algebra, every
 * operation rounded to float32 like numpy's float32 arrays; returns the row's sum of S.
 */
function ssimRow(
  m: Float32Array,
  oi: number,
  oo: number,
  i0: number,
  i1: number,
  acc: Float64Array,
  w: number,
  cn: number,
  c1: number,
  c2: number,
): number {
  let row = 0;
  for (let i = i0; i < i1; i += 5) {
    const s1 = acc[i] + (m[oi + i] - m[oo + i]);
    const s2 = acc[i + 1] + (m[oi + i + 1] - m[oo + i + 1]);
    const s3 = acc[i + 2] + (m[oi + i + 2] - m[oo + i + 2]);
    const s4 = acc[i + 3] + (m[oi + i + 3] - m[oo + i + 3]);
    const s5 = acc[i + 4] + (m[oi + i + 4] - m[oo + i + 4]);
    acc[i] = s1;
    acc[i + 1] = s2;
    acc[i + 2] = s3;
    acc[i + 3] = s4;
    acc[i + 4] = s5;
    const ux = fr(s1 / w), uy = fr(s2 / w), uxx = fr(s3 / w), uyy = fr(s4 / w);
    const uxy = fr(s5 / w);
    const vx = fr(cn * fr(uxx - fr(ux * ux)));
    const vy = fr(cn * fr(uyy - fr(uy * uy)));
    const vxy = fr(cn * fr(uxy - fr(ux * uy)));
    const A1 = fr(fr(2 * ux * uy) + c1);
    const A2 = fr(2 * vxy + c2);
    const B1 = fr(fr(fr(ux * ux) + fr(uy * uy)) + c1);
    const B2 = fr(fr(vx + vy) + c2);
    row += fr(fr(A1 * A2) / fr(B1 * B2));
  }
  return row;
}

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
 * numpy's float32 pairwise summation (`pairwise_sum` in numpy's `loops_utils.h.src`): blocks
 * of at most 128 with 8 float32 accumulators, split in halves (multiple of 8) above that.
 */
function pairwiseSum32(a: Float32Array, off: number, n: number): number {
  if (n < 8) {
    let r = 0;
    for (let i = 0; i < n; i++) r = fr(r + a[off + i]);
    return r;
  }
  if (n <= 128) {
    let r0 = a[off], r1 = a[off + 1], r2 = a[off + 2], r3 = a[off + 3];
    let r4 = a[off + 4], r5 = a[off + 5], r6 = a[off + 6], r7 = a[off + 7];
    const end = n - (n % 8);
    let i = 8;
    for (; i < end; i += 8) {
      const p = off + i;
      r0 = fr(r0 + a[p]);
      r1 = fr(r1 + a[p + 1]);
      r2 = fr(r2 + a[p + 2]);
      r3 = fr(r3 + a[p + 3]);
      r4 = fr(r4 + a[p + 4]);
      r5 = fr(r5 + a[p + 5]);
      r6 = fr(r6 + a[p + 6]);
      r7 = fr(r7 + a[p + 7]);
    }
    let res = fr(fr(fr(r0 + r1) + fr(r2 + r3)) + fr(fr(r4 + r5) + fr(r6 + r7)));
    for (; i < n; i++) res = fr(res + a[off + i]);
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return fr(pairwiseSum32(a, off, n2) + pairwiseSum32(a, off + n2, n - n2));
}

/**
 * `np.add.reduce` of a contiguous float32 array as numpy 1.x runs it: the reduction loop
 * sees blocks of the 8192-element buffer size, each summed pairwise, accumulated in float32.
 */
function sum32(a: Float32Array, n: number): number {
  let s = 0;
  for (let off = 0; off < n; off += 8192) {
    s = fr(s + pairwiseSum32(a, off, Math.min(8192, n - off)));
  }
  return s;
}

/**
 * `np.mean(x)` and `np.std(x)` (population) of a float32 image, with numpy's float32
 * pairwise sums in memory order (column-major, as loadmat's Fortran arrays).
 *
 * @param x float32 values, MATLAB dims (nx, ny), column-major
 * @returns `[mean, std]`, both float32 values
 */
export function meanStd32(x: Float32Array): [number, number] {
  const n = x.length;
  const mean = fr(sum32(x, n) / n);
  if (scratchSel.length < n) scratchSel = new Float32Array(n);
  const sq = scratchSel;
  for (let i = 0; i < n; i++) {
    const d = fr(x[i] - mean);
    sq[i] = d * d; // stored as float32: numpy squares in place in float32
  }
  const v = fr(sum32(sq, n) / n);
  return [mean, fr(Math.sqrt(v))];
}

/** Index of the k-th smallest (0-based) after partially ordering `a[0..n)` in place. */
function selectKth(a: Float32Array, n: number, k: number): number {
  let lo = 0, hi = n - 1;
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    // median of three as pivot
    let p = a[mid];
    const l = a[lo], r = a[hi];
    if ((l <= p && p <= r) || (r <= p && p <= l)) { /* p is the median */ }
    else if ((p <= l && l <= r) || (r <= l && l <= p)) p = l;
    else p = r;
    let i = lo, j = hi;
    while (i <= j) {
      while (a[i] < p) i++;
      while (a[j] > p) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

/**
 * `np.percentile(|x|, q)` with numpy's default `linear` method, as numpy 1.x computes it:
 * virtual index `(n−1)·q/100`, `d = b − a` in float32, then `a + d·γ` (γ < 0.5) or
 * `b − d·(1−γ)` in float64. NaN when any value is NaN.
 *
 * @param x float32 values (any dims; the magnitude is taken)
 * @param q percentile in [0, 100]
 * @returns the percentile as a float64 number
 */
export function percentileAbs(x: Float32Array, q: number): number {
  const n = x.length;
  if (n === 0) return NaN;
  if (scratchSel.length < n) scratchSel = new Float32Array(n);
  const s = scratchSel;
  for (let i = 0; i < n; i++) {
    const v = Math.abs(x[i]);
    if (v !== v) return NaN;
    s[i] = v;
  }
  const virt = (n - 1) * (q / 100);
  if (virt >= n - 1) {
    let m = s[0];
    for (let i = 1; i < n; i++) if (s[i] > m) m = s[i];
    return m;
  }
  const k = Math.floor(virt);
  const a = selectKth(s, n, k);
  // after selection every element above index k is >= a; the next order statistic is
  // their minimum
  let b = Infinity;
  for (let i = k + 1; i < n; i++) if (s[i] < b) b = s[i];
  const gamma = virt - k;
  const d = fr(b - a);
  return gamma >= 0.5 ? b - d * (1 - gamma) : a + d * gamma;
}

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
  if (year === 2023) {
    let m = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = f[i];
      if (v > m || v !== v) m = v;
      if (m !== m) break;
    }
    for (let i = 0; i < n; i++) o[i] = f[i] / m;
  } else if (year === 2024) {
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
  const swapped = year !== 2023 && rank4;
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
