/**
 * SSIM exactly as scikit-image's `structural_similarity` with its defaults, on float32
 * images with MATLAB dims `(nx, ny)`, column-major (x fastest): the uniform filter of
 * `scipy.ndimage` (axis 0 then axis 1, mode `reflect`, float64 running sums stored in
 * float32 per pass) and the float32 SSIM algebra, emulated with `Math.fround` (see
 * `metrics/mod.ts` for why that is exact).
 *
 * Scratch buffers are kept between calls; not reentrant, which is fine in single-threaded
 * JavaScript.
 *
 * @module
 */

import { ShapeError } from "../../errors.ts";
import { asF32, checkImage, type ImageValues } from "./image.ts";

const fr = Math.fround;

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
