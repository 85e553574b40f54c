/**
 * Coil sensitivity maps: a fast low-resolution ACS / RSS estimate, ESPIRiT (Uecker et al.,
 * MRM 71:990, 2014), the time average of cine k-space both calibrate on, and the SENSE-1
 * coil combination that uses the maps.
 *
 * Maps have MATLAB dims `(x, y, coil)` (or `(x, y, coil, map)` for several ESPIRiT maps),
 * complex interleaved `Float32Array`, column-major (x fastest), the same grid as
 * `ifft2c` of the k-space. Both estimators remove the (arbitrary) common phase of the coils
 * the same way BART's `ecalib` does by default: per pixel, the maps are rotated so that
 * their projection on the first principal component of the calibration data (a "virtual
 * body coil") is real and positive. The coil-combined image then carries the phase of that
 * virtual coil, and the maps carry no object phase.
 *
 * @module
 */

import { ShapeError } from "../errors.ts";
import { ifft2c } from "./fft.ts";
import { acsRange, sampledLines } from "./mask.ts";
// Type-only: the slice container is defined beside the reconstructors that consume it.
import type { SliceInput } from "./slice.ts";

/** Fewest contiguous central k-space lines {@link sensitivityMaps} accepts as an ACS band. */
export const MIN_ACS_LINES = 8;

// =======================================================================================
// Time average
// =======================================================================================

/**
 * Time-averaged k-space of one slice, for calibrating coil sensitivities (which do not
 * change over frames or weightings).
 *
 * Sums the undersampled k-space over frames and divides each `(kx, ky)` location by the
 * number of frames whose mask sampled it (locations never sampled stay 0). For line masks
 * the count is per ky line; with a mask `(kx, ky)` that is the same in every frame (2023)
 * this is just the mean over frames; with k-t masks `(kx, ky, frame)` (2024/2025) it fills
 * every line that any frame sampled, each with the mean of the frames that have it.
 *
 * For mapping data the "frames" are the T1/T2 weightings; their complex images can differ
 * in sign (inversion recovery), so the average can lose signal in some tissues. Coil maps
 * are ratios and mostly insensitive to that; {@link sensitivityMaps} takes `frame` to
 * calibrate on one weighting instead.
 *
 * @param input one slice: k-space `(kx, ky, coil, frame)` and its mask
 * @returns complex interleaved k-space, MATLAB dims `(kx, ky, coil)`
 * @throws {ShapeError} when the k-space or mask length does not match their dims
 */
export function timeAveragedKspace(input: SliceInput): Float32Array {
  const [nx, ny, nc, nt] = input.dims;
  const npix = nx * ny;
  checkLength("timeAveragedKspace: kspace", input.kspace, 2 * npix * nc * nt);
  const mframes = input.maskDims.length > 2 ? input.maskDims[2] : 1;
  if (
    input.maskDims[0] !== nx || input.maskDims[1] !== ny ||
    (mframes !== 1 && mframes !== nt) || input.mask.length < npix * mframes
  ) {
    throw new ShapeError(
      `timeAveragedKspace: mask dims [${input.maskDims}] do not fit k-space dims ` +
        `[${input.dims}]; expected [${nx}, ${ny}] or [${nx}, ${ny}, ${nt}]`,
    );
  }
  const count = new Float64Array(npix);
  for (let t = 0; t < mframes; t++) {
    const m = input.mask.subarray(t * npix, (t + 1) * npix);
    for (let p = 0; p < npix; p++) if (m[p] !== 0) count[p] += mframes === 1 ? nt : 1;
  }
  const per = 2 * npix * nc;
  const acc = new Float64Array(per);
  for (let t = 0; t < nt; t++) {
    const src = input.kspace.subarray(t * per, (t + 1) * per);
    for (let i = 0; i < per; i++) acc[i] += src[i];
  }
  const out = new Float32Array(per);
  for (let c = 0; c < nc; c++) {
    for (let p = 0; p < npix; p++) {
      const n = count[p];
      if (n === 0) continue;
      const i = 2 * (c * npix + p);
      out[i] = acc[i] / n;
      out[i + 1] = acc[i + 1] / n;
    }
  }
  return out;
}

// =======================================================================================
// ACS / RSS maps
// =======================================================================================

/** Options of {@link acsRssMaps}. */
export interface AcsRssOptions {
  /**
   * Tukey taper of the window over the ACS band (across ky) and the kx extent: the
   * fraction (0..1) covered by the cosine roll-off, half at each edge; 0 = box (Gibbs
   * ringing at object edges), 1 = Hann. Default 1 (Hann): on the synthetic data it gives
   * the best agreement with the true maps near edges.
   */
  taper?: number;
  /**
   * Central kx extent kept (windowed like ky). Default twice the ACS band width (at most
   * `nx`): CMRxRecon readouts are 2x oversampled, so this gives a low-resolution image of
   * about equal resolution in x and y. Pass `nx` for every kx.
   */
  kxWidth?: number;
  /**
   * Regulariser of the RSS division relative to the largest low-resolution RSS value:
   * maps are `x_c / sqrt(rss^2 + (epsilon * max rss)^2)`, so noise-only background gets
   * maps of RSS well below 1 instead of unit-norm noise. Default 0.02.
   */
  epsilon?: number;
  /**
   * Zero the maps where the low-resolution RSS is below this fraction of its maximum
   * (a support mask for SENSE). Default 0 (no mask).
   */
  crop?: number;
  /** Rotate the common phase to the virtual body coil (default true); false keeps the
   * phase of the low-resolution coil images, object phase included. */
  normalizePhase?: boolean;
}

/**
 * Fast coil sensitivities from the ACS band alone: low-resolution coil images (k-space
 * outside the ACS band and a central kx extent zeroed, the rest Hann-windowed in kx and
 * ky by default, see {@link AcsRssOptions}), inverse-FFT'd and divided by their
 * root-sum-of-squares. The maps' RSS is `1/sqrt(1 + (epsilon max/rss)^2)`: above 0.99
 * inside the object, lower in weak background. This is DIRECT's and the learned models'
 * starting point; ESPIRiT is more accurate near edges (median per-pixel correlation with
 * the true synthetic maps 0.9997 here, 0.99996 for ESPIRiT).
 *
 * @param kspace complex interleaved k-space, MATLAB dims `(kx, ky, coil)` (e.g. from
 *   {@link timeAveragedKspace}); only the band `acs` is read
 * @param nx kx size
 * @param ny ky size
 * @param nc coils
 * @param acs fully sampled central ky band `[start, end)` (0-based, end exclusive), as
 *   `acsRange` returns it
 * @param opts taper, kx extent, regulariser, support mask, phase
 * @returns complex interleaved maps, MATLAB dims `(x, y, coil)`
 * @throws {ShapeError} for sizes that do not match or an empty band
 */
export function acsRssMaps(
  kspace: Float32Array,
  nx: number,
  ny: number,
  nc: number,
  acs: [number, number],
  opts: AcsRssOptions = {},
): Float32Array {
  checkLength("acsRssMaps: kspace", kspace, 2 * nx * ny * nc);
  const [y0, y1] = checkBand("acsRssMaps", acs, ny, 1);
  const taper = opts.taper ?? 1;
  const kxw = Math.min(nx, Math.max(1, Math.round(opts.kxWidth ?? 2 * (y1 - y0))));
  const eps = opts.epsilon ?? 0.02;
  const npix = nx * ny;
  const wy = tukey(y1 - y0, taper);
  const x0 = Math.floor(nx / 2) - Math.floor(kxw / 2);
  const wx = tukey(kxw, taper);
  const low = new Float32Array(2 * npix * nc);
  for (let c = 0; c < nc; c++) {
    for (let y = y0; y < y1; y++) {
      const fy = wy[y - y0];
      const row = 2 * (c * npix + y * nx);
      for (let i = 0; i < kxw; i++) {
        const j = row + 2 * (x0 + i), f = fy * wx[i];
        low[j] = kspace[j] * f;
        low[j + 1] = kspace[j + 1] * f;
      }
    }
  }
  ifft2c(low, nx, ny, nc, low);
  const rss = new Float64Array(npix);
  for (let c = 0; c < nc; c++) {
    for (let p = 0, j = 2 * c * npix; p < npix; p++, j += 2) {
      rss[p] += low[j] * low[j] + low[j + 1] * low[j + 1];
    }
  }
  let max = 0;
  for (let p = 0; p < npix; p++) {
    rss[p] = Math.sqrt(rss[p]);
    if (rss[p] > max) max = rss[p];
  }
  const e2 = (eps * max) ** 2, floor = (opts.crop ?? 0) * max;
  const inv = new Float64Array(npix);
  for (let p = 0; p < npix; p++) {
    inv[p] = rss[p] > 0 && rss[p] >= floor ? 1 / Math.sqrt(rss[p] * rss[p] + e2) : 0;
  }
  for (let c = 0; c < nc; c++) {
    for (let p = 0, j = 2 * c * npix; p < npix; p++, j += 2) {
      low[j] *= inv[p];
      low[j + 1] *= inv[p];
    }
  }
  if (opts.normalizePhase ?? true) {
    const w = virtualCoil(kspace, nx, ny, nc, [x0, x0 + kxw], [y0, y1]);
    rotateToVirtualCoil(low, npix, nc, 1, w);
  }
  return low;
}

// =======================================================================================
// ESPIRiT
// =======================================================================================

/** Options of {@link espirit}; flags mean what BART `ecalib`'s do, defaults differ. */
export interface EspiritOptions {
  /** Kernel size k (k x k in kx, ky), as BART `ecalib -k`. Default 6. */
  kernel?: number;
  /**
   * Signal-subspace threshold with the meaning of BART's `ecalib -t`: kernel i is kept when
   * `sigma_i / sigma_0 > sqrt(threshold)` (BART compares singular values with the square
   * root of t, i.e. it thresholds the covariance eigenvalues `sigma^2`). Default 0.0004,
   * which is a relative singular value of 0.02 (the value DIRECT / relax_qmri / sigpy apply
   * to `sigma` directly). BART's own default is 0.001; 0.02 on this scale keeps too few
   * kernels: on the synthetic data eigenvalues inside the body fall to 0.8 and a 0.95 crop
   * removes 3.5 % of the body.
   */
  threshold?: number;
  /** Eigenvalue crop (BART `ecalib -c`): maps are zero where their eigenvalue is below
   * it. Default 0.95. */
  crop?: number;
  /** Number of maps (eigenvectors) returned, by decreasing eigenvalue. Default 1. */
  maps?: number;
  /**
   * Calibration region `[kx, ky]` (a number means both), centred in kx and in the ACS band
   * (as BART `ecalib -r`). Default: ky = the whole band, kx = 24 central points (at least
   * `kernel + 4`, at most `nx`).
   */
  calibSize?: number | [number, number];
  /** Power (subspace) iterations per pixel refining the coarse-grid eigenvectors;
   * default 2. */
  iterations?: number;
}

/** What {@link espirit} returns. */
export interface EspiritResult {
  /** Complex interleaved maps, MATLAB dims `(x, y, coil, map)` (`map` = 1 by default). */
  maps: Float32Array;
  /** Eigenvalue of each map per pixel (about 1 inside the object), dims `(x, y, map)`. */
  eigenvalues: Float32Array;
  /** Number of kernels kept (the signal subspace dimension). */
  kernels: number;
  /** Singular values of the calibration matrix, descending. */
  singularValues: Float64Array;
}

/**
 * ESPIRiT coil sensitivities (Uecker et al. 2014).
 *
 * 1. Calibration: every k x k block of the calibration region (see `calibSize`) of every
 *    coil is a row of the calibration matrix A (`(ckx-k+1)(cky-k+1)` rows, `k*k*nc`
 *    columns). Its right singular vectors come from the Hermitian eigendecomposition of
 *    the block covariance `sum_q x_q x_q^H` (Householder tridiagonalisation + implicit QL);
 *    those with `sigma > sqrt(threshold) * sigma_max` (BART's rule) span the signal
 *    subspace, projector P.
 * 2. Image-domain operator: `(1/k^2) sum_q R_q^H P R_q` is a k-space convolution whose
 *    kernel between coils c, c' at lag d is `h_cc'[d] = sum_{p - p' = d} P[(p,c),(p',c')]`
 *    (`(2k-1)^2` lags). In the image it is a Hermitian nc x nc matrix per pixel,
 *    `G(r) = (1/k^2) sum_d h[d] exp(+2 pi i d.r / N)` (r centred as in `ifft2c`), a
 *    trigonometric polynomial of degree k-1, hence very smooth. Coil maps are its
 *    eigenvectors with eigenvalue 1.
 * 3. Eigenvectors: G is evaluated exactly (separably, not by FFT) on a coarse grid of at
 *    most `8(k-1)+1` points per dim and fully diagonalised there (complex Jacobi); the
 *    coarse eigenvectors are bilinearly interpolated as starting vectors and refined at
 *    every pixel by `iterations` power (subspace) iterations on the exact G(r), then
 *    Rayleigh-Ritz ordered. The phase is rotated to the virtual body coil (first principal
 *    component of the calibration data), as BART does without `-P`, and maps whose
 *    eigenvalue is below `crop` are zeroed.
 *
 * Cost at 512 x 246, 10 coils, k = 6 (360 x 360 covariance), single-threaded: about
 * 0.7-0.9 s (`bench/espirit.ts`; BART `ecalib` with the same flags took 1.2-2.1 s
 * wall in the same runs on a shared 2-core machine). Roughly a fifth each goes to
 * the block covariance, its eigendecomposition, evaluating G per pixel, and the per-pixel
 * iterations. The maps agree with BART's to a per-pixel correlation of 0.99998 or better
 * at the 5th percentile, and differ from them by a single global phase.
 *
 * @param kspace complex interleaved k-space, MATLAB dims `(kx, ky, coil)` (e.g. from
 *   {@link timeAveragedKspace}); the calibration region must be fully sampled
 * @param nx kx size
 * @param ny ky size
 * @param nc coils
 * @param acs fully sampled central ky band `[start, end)`, as `acsRange` returns it
 * @param opts kernel, threshold, crop, maps, calibration size, iterations
 * @returns maps `(x, y, coil, map)`, eigenvalues `(x, y, map)`, kernel count and
 *   singular values
 * @throws {ShapeError} when sizes do not match or the band / calibration region is
 *   smaller than the kernel
 */
export function espirit(
  kspace: Float32Array,
  nx: number,
  ny: number,
  nc: number,
  acs: [number, number],
  opts: EspiritOptions = {},
): EspiritResult {
  checkLength("espirit: kspace", kspace, 2 * nx * ny * nc);
  const k = opts.kernel ?? 6;
  const threshold = opts.threshold ?? 0.0004;
  const crop = opts.crop ?? 0.95;
  const nmaps = opts.maps ?? 1;
  const iters = opts.iterations ?? 2;
  if (!Number.isInteger(k) || k < 1) {
    throw new ShapeError(`espirit: kernel must be a positive integer, got ${k}`);
  }
  if (!Number.isInteger(nmaps) || nmaps < 1 || nmaps > nc) {
    throw new ShapeError(`espirit: maps must be an integer in 1..${nc} (coils), got ${nmaps}`);
  }
  const [b0, b1] = checkBand("espirit", acs, ny, k);
  const cs = opts.calibSize;
  let cx = Array.isArray(cs) ? cs[0] : cs ?? Math.max(24, k + 4);
  let cy = Array.isArray(cs) ? cs[1] : cs ?? b1 - b0;
  cx = Math.min(nx, Math.round(cx));
  cy = Math.min(b1 - b0, Math.round(cy));
  if (cx < k || cy < k) {
    throw new ShapeError(
      `espirit: calibration region ${cx} x ${cy} is smaller than the ${k} x ${k} kernel`,
      { hint: "use a smaller kernel or a larger calibSize / ACS band" },
    );
  }
  const x0 = Math.floor(nx / 2) - Math.floor(cx / 2);
  const y0 = b0 + Math.floor((b1 - b0 - cy) / 2);

  // --- 1. calibration: block covariance and its signal subspace -------------------------
  const kk = k * k, nker = kk * nc;
  const qx = cx - k + 1, qy = cy - k + 1, nq = qx * qy;
  // Block matrix X, column-major (nq, nker): X[q, (p, c)] = kspace_c[q + p].
  const xr = new Float64Array(nq * nker), xi = new Float64Array(nq * nker);
  const npix = nx * ny;
  for (let c = 0; c < nc; c++) {
    for (let py = 0; py < k; py++) {
      for (let px = 0; px < k; px++) {
        const col = (px + k * py + kk * c) * nq;
        for (let sy = 0; sy < qy; sy++) {
          for (let sx = 0; sx < qx; sx++) {
            const j = 2 * (c * npix + (y0 + sy + py) * nx + x0 + sx + px);
            xr[col + sx + qx * sy] = kspace[j];
            xi[col + sx + qx * sy] = kspace[j + 1];
          }
        }
      }
    }
  }
  // C = sum_q x_q x_q^H, C[a, b] = sum_q X[q, a] conj(X[q, b]); column-major (nker, nker).
  const cr = new Float64Array(nker * nker), ci = new Float64Array(nker * nker);
  for (let b = 0; b < nker; b++) {
    const ob = b * nq;
    for (let a = b; a < nker; a++) {
      const oa = a * nq;
      let sr = 0, si = 0;
      for (let q = 0; q < nq; q++) {
        const ar = xr[oa + q], ai = xi[oa + q], br = xr[ob + q], bi = xi[ob + q];
        sr += ar * br + ai * bi;
        si += ai * br - ar * bi;
      }
      cr[a + nker * b] = sr;
      ci[a + nker * b] = si;
      cr[b + nker * a] = sr;
      ci[b + nker * a] = -si;
    }
  }
  const vals = hermitianEigenvalues(cr, ci, nker);
  const sv = new Float64Array(nker);
  for (let i = 0; i < nker; i++) sv[i] = Math.sqrt(Math.max(0, vals.values[i]));
  let nk = 0;
  // BART's rule (calib.c): sigma_i / sigma_0 > sqrt(t), i.e. on the covariance eigenvalues.
  const svMin = Math.sqrt(threshold) * sv[0];
  while (nk < nker && sv[nk] > 0 && sv[nk] > svMin) nk++;
  if (nk === 0) {
    throw new ShapeError("espirit: the calibration region holds no signal (all zero)", {
      hint: "check that the ACS band passed is the sampled one",
    });
  }
  const { re: vr, im: vi } = vals.vectors(nk);

  // --- 2. convolution kernels h_cc'[d] of the projector, c <= c' ----------------------
  const nd = 2 * k - 1, nd2 = nd * nd;
  const npair = (nc * (nc + 1)) / 2;
  const hr = new Float64Array(npair * nd2), hi = new Float64Array(npair * nd2);
  {
    let e = 0;
    for (let c = 0; c < nc; c++) {
      for (let c2 = c; c2 < nc; c2++, e++) {
        for (let p = 0; p < kk; p++) {
          const a = p + kk * c;
          const px = p % k, py = (p - px) / k;
          for (let p2 = 0; p2 < kk; p2++) {
            const b = p2 + kk * c2;
            // P[a, b] = sum_j V[a, j] conj(V[b, j])
            let sr = 0, si = 0;
            for (let j = 0, oa = a, ob = b; j < nk; j++, oa += nker, ob += nker) {
              const ar = vr[oa], ai = vi[oa], br = vr[ob], bi = vi[ob];
              sr += ar * br + ai * bi;
              si += ai * br - ar * bi;
            }
            const qx2 = p2 % k, qy2 = (p2 - qx2) / k;
            const d = (px - qx2 + k - 1) + nd * (py - qy2 + k - 1);
            hr[e * nd2 + d] += sr;
            hi[e * nd2 + d] += si;
          }
        }
      }
    }
  }
  const w = virtualCoil(kspace, nx, ny, nc, [x0, x0 + cx], [y0, y0 + cy]);

  // --- 3. eigenvectors: coarse grid, interpolate, refine per pixel ---------------------
  const op = new ImageOperator(hr, hi, nc, k, nx, ny);
  const ncx = Math.min(nx, 8 * (k - 1) + 1), ncy = Math.min(ny, 8 * (k - 1) + 1);
  const coarse = coarseEigenvectors(op, ncx, ncy, nmaps, w);
  const maps = new Float32Array(2 * npix * nc * nmaps);
  const eig = new Float32Array(npix * nmaps);
  refine(op, coarse, ncx, ncy, nmaps, iters, w, crop, maps, eig);
  return { maps, eigenvalues: eig, kernels: nk, singularValues: sv };
}

/**
 * G(r) of ESPIRiT evaluated separably: for a set of x positions, the lag sums over dx are
 * precomputed once (`ax[e, dy, j]`); a row y then costs `npair * (2k-1)` complex
 * multiply-adds per pixel.
 */
class ImageOperator {
  readonly nc: number;
  readonly npair: number;
  private readonly nd: number;
  private readonly k: number;
  /** Image size along x. */
  readonly nx: number;
  /** Image size along y. */
  readonly ny: number;
  private readonly hr: Float64Array;
  private readonly hi: Float64Array;
  private axr = new Float64Array(0);
  private axi = new Float64Array(0);
  private nj = 0;

  constructor(
    hr: Float64Array,
    hi: Float64Array,
    nc: number,
    k: number,
    nx: number,
    ny: number,
  ) {
    this.hr = hr;
    this.hi = hi;
    this.nc = nc;
    this.k = k;
    this.nd = 2 * k - 1;
    this.npair = (nc * (nc + 1)) / 2;
    this.nx = nx;
    this.ny = ny;
  }

  /** Fix the x positions (pixel indices, may be fractional) that rows are evaluated at. */
  setColumns(xs: Float64Array): void {
    const { nd, k, npair } = this;
    const nj = xs.length;
    this.nj = nj;
    const er = new Float64Array(nd * nj), ei = new Float64Array(nd * nj);
    const cx = Math.floor(this.nx / 2);
    for (let dx = 0; dx < nd; dx++) {
      for (let j = 0; j < nj; j++) {
        const a = (2 * Math.PI * (dx - k + 1) * (xs[j] - cx)) / this.nx;
        er[dx * nj + j] = Math.cos(a);
        ei[dx * nj + j] = Math.sin(a);
      }
    }
    const axr = new Float64Array(npair * nd * nj), axi = new Float64Array(npair * nd * nj);
    for (let e = 0; e < npair; e++) {
      for (let dy = 0; dy < nd; dy++) {
        const o = (e * nd + dy) * nj;
        for (let dx = 0; dx < nd; dx++) {
          const hre = this.hr[e * nd * nd + dx + nd * dy];
          const him = this.hi[e * nd * nd + dx + nd * dy];
          if (hre === 0 && him === 0) continue;
          const oe = dx * nj;
          for (let j = 0; j < nj; j++) {
            const a = er[oe + j], b = ei[oe + j];
            axr[o + j] += hre * a - him * b;
            axi[o + j] += hre * b + him * a;
          }
        }
      }
    }
    this.axr = axr;
    this.axi = axi;
  }

  /**
   * Row `y` (pixel index, may be fractional) of G: `gr/gi[e * nj + j]` for the pairs
   * c <= c' in order (0,0), (0,1), ..., (0,nc-1), (1,1), ...
   */
  row(y: number, gr: Float64Array, gi: Float64Array): void {
    const { nd, k, npair, nj } = this;
    gr.fill(0, 0, npair * nj);
    gi.fill(0, 0, npair * nj);
    const scale = 1 / (k * k);
    const cy = Math.floor(this.ny / 2);
    for (let dy = 0; dy < nd; dy++) {
      const a = (2 * Math.PI * (dy - k + 1) * (y - cy)) / this.ny;
      const er = Math.cos(a) * scale, ei = Math.sin(a) * scale;
      for (let e = 0; e < npair; e++) {
        const o = (e * nd + dy) * nj, g = e * nj;
        for (let j = 0; j < nj; j++) {
          const ar = this.axr[o + j], ai = this.axi[o + j];
          gr[g + j] += ar * er - ai * ei;
          gi[g + j] += ar * ei + ai * er;
        }
      }
    }
  }

  /** Unpack column j of a row into a full Hermitian nc x nc matrix (column-major). */
  unpack(gr: Float64Array, gi: Float64Array, j: number, mr: Float64Array, mi: Float64Array) {
    const nc = this.nc, nj = this.nj;
    let e = 0;
    for (let c = 0; c < nc; c++) {
      for (let c2 = c; c2 < nc; c2++, e++) {
        const re = gr[e * nj + j], im = gi[e * nj + j];
        // entry (c, c2): row c, column c2
        mr[c + nc * c2] = re;
        mi[c + nc * c2] = im;
        mr[c2 + nc * c] = re;
        mi[c2 + nc * c] = -im;
      }
    }
    for (let c = 0; c < nc; c++) mi[c + nc * c] = 0;
  }
}

/** Positions of an `n`-point grid spanning pixel indices 0..size-1. */
function gridPositions(n: number, size: number): Float64Array {
  const xs = new Float64Array(n);
  for (let j = 0; j < n; j++) xs[j] = n === 1 ? 0 : (j * (size - 1)) / (n - 1);
  return xs;
}

/**
 * Full eigendecomposition of G on the coarse grid; returns the top `nmaps` eigenvectors,
 * phase-rotated to the virtual coil, dims `(ncx, ncy, coil, map)` complex (re, im arrays).
 */
function coarseEigenvectors(
  op: ImageOperator,
  ncx: number,
  ncy: number,
  nmaps: number,
  w: Float64Array,
): { re: Float64Array; im: Float64Array } {
  const nc = op.nc;
  op.setColumns(gridPositions(ncx, op.nx));
  const ys = gridPositions(ncy, op.ny);
  const gr = new Float64Array(op.npair * ncx), gi = new Float64Array(op.npair * ncx);
  const mr = new Float64Array(nc * nc), mi = new Float64Array(nc * nc);
  const vr = new Float64Array(nc * nc), vi = new Float64Array(nc * nc);
  const ev = new Float64Array(nc);
  const ncp = ncx * ncy;
  const re = new Float64Array(ncp * nc * nmaps), im = new Float64Array(ncp * nc * nmaps);
  for (let iy = 0; iy < ncy; iy++) {
    op.row(ys[iy], gr, gi);
    for (let ix = 0; ix < ncx; ix++) {
      op.unpack(gr, gi, ix, mr, mi);
      jacobiEigen(mr, mi, nc, ev, vr, vi);
      const p = ix + ncx * iy;
      for (let m = 0; m < nmaps; m++) {
        const col = m * nc;
        // phase to the virtual coil
        let sr = 0, si = 0;
        for (let c = 0; c < nc; c++) {
          sr += w[2 * c] * vr[col + c] + w[2 * c + 1] * vi[col + c];
          si += w[2 * c] * vi[col + c] - w[2 * c + 1] * vr[col + c];
        }
        const mag = Math.hypot(sr, si);
        const pr = mag > 0 ? sr / mag : 1, pi = mag > 0 ? -si / mag : 0;
        for (let c = 0; c < nc; c++) {
          const o = p + ncp * (c + nc * m);
          re[o] = vr[col + c] * pr - vi[col + c] * pi;
          im[o] = vr[col + c] * pi + vi[col + c] * pr;
        }
      }
    }
  }
  return { re, im };
}

/** Per-pixel refinement of interpolated coarse eigenvectors by subspace iteration. */
function refine(
  op: ImageOperator,
  coarse: { re: Float64Array; im: Float64Array },
  ncx: number,
  ncy: number,
  nmaps: number,
  iters: number,
  w: Float64Array,
  crop: number,
  maps: Float32Array,
  eig: Float32Array,
): void {
  const nc = op.nc;
  const nx = op.nx, ny = op.ny;
  const npix = nx * ny, ncp = ncx * ncy;
  const xs = new Float64Array(nx);
  for (let i = 0; i < nx; i++) xs[i] = i;
  op.setColumns(xs);
  // bilinear interpolation coordinates
  const lx = new Int32Array(nx), fx = new Float64Array(nx);
  for (let i = 0; i < nx; i++) {
    const t = nx === 1 ? 0 : (i * (ncx - 1)) / (nx - 1);
    lx[i] = Math.min(ncx - 2, Math.max(0, Math.floor(t)));
    fx[i] = ncx === 1 ? 0 : t - lx[i];
    if (ncx === 1) lx[i] = 0;
  }
  const gr = new Float64Array(op.npair * nx), gi = new Float64Array(op.npair * nx);
  const mr = new Float64Array(nc * nc), mi = new Float64Array(nc * nc);
  const vr = new Float64Array(nc * nmaps), vi = new Float64Array(nc * nmaps);
  const ur = new Float64Array(nc * nmaps), ui = new Float64Array(nc * nmaps);
  const hr = new Float64Array(nmaps * nmaps), hi = new Float64Array(nmaps * nmaps);
  const zr = new Float64Array(nmaps * nmaps), zi = new Float64Array(nmaps * nmaps);
  const hv = new Float64Array(nmaps);
  for (let y = 0; y < ny; y++) {
    op.row(y, gr, gi);
    const ty = ny === 1 ? 0 : (y * (ncy - 1)) / (ny - 1);
    let ly = Math.min(ncy - 2, Math.max(0, Math.floor(ty)));
    let fy = ty - ly;
    if (ncy === 1) {
      ly = 0;
      fy = 0;
    }
    for (let x = 0; x < nx; x++) {
      op.unpack(gr, gi, x, mr, mi);
      // starting subspace: interpolated coarse vectors
      const a = lx[x], b = fx[x];
      const w00 = (1 - b) * (1 - fy), w10 = b * (1 - fy), w01 = (1 - b) * fy, w11 = b * fy;
      const p00 = a + ncx * ly;
      const p10 = ncx > 1 ? p00 + 1 : p00, p01 = ncy > 1 ? p00 + ncx : p00;
      const p11 = ncy > 1 ? p10 + ncx : p10;
      for (let m = 0; m < nmaps; m++) {
        for (let c = 0; c < nc; c++) {
          const o = ncp * (c + nc * m);
          vr[c + nc * m] = w00 * coarse.re[o + p00] + w10 * coarse.re[o + p10] +
            w01 * coarse.re[o + p01] + w11 * coarse.re[o + p11];
          vi[c + nc * m] = w00 * coarse.im[o + p00] + w10 * coarse.im[o + p10] +
            w01 * coarse.im[o + p01] + w11 * coarse.im[o + p11];
        }
      }
      orthonormalize(vr, vi, nc, nmaps);
      for (let it = 0; it < iters; it++) {
        matmul(mr, mi, vr, vi, ur, ui, nc, nmaps);
        vr.set(ur);
        vi.set(ui);
        orthonormalize(vr, vi, nc, nmaps);
      }
      // Rayleigh-Ritz: H = V^H G V, eigenvalues and order
      matmul(mr, mi, vr, vi, ur, ui, nc, nmaps);
      const p = x + nx * y;
      if (nmaps === 1) {
        let sr = 0;
        for (let c = 0; c < nc; c++) sr += vr[c] * ur[c] + vi[c] * ui[c];
        hv[0] = sr;
      } else {
        for (let m2 = 0; m2 < nmaps; m2++) {
          for (let m1 = 0; m1 < nmaps; m1++) {
            let sr = 0, si = 0;
            for (let c = 0; c < nc; c++) {
              const ar = vr[c + nc * m1], ai = vi[c + nc * m1];
              const br = ur[c + nc * m2], bi = ui[c + nc * m2];
              sr += ar * br + ai * bi;
              si += ar * bi - ai * br;
            }
            hr[m1 + nmaps * m2] = sr;
            hi[m1 + nmaps * m2] = si;
          }
        }
        jacobiEigen(hr, hi, nmaps, hv, zr, zi);
        // V <- V Z
        for (let c = 0; c < nc; c++) {
          for (let m = 0; m < nmaps; m++) {
            let sr = 0, si = 0;
            for (let j = 0; j < nmaps; j++) {
              const ar = vr[c + nc * j], ai = vi[c + nc * j];
              const br = zr[j + nmaps * m], bi = zi[j + nmaps * m];
              sr += ar * br - ai * bi;
              si += ar * bi + ai * br;
            }
            ur[c + nc * m] = sr;
            ui[c + nc * m] = si;
          }
        }
        vr.set(ur);
        vi.set(ui);
      }
      for (let m = 0; m < nmaps; m++) {
        const lam = hv[m];
        eig[p + npix * m] = lam;
        if (!(lam >= crop)) continue;
        let sr = 0, si = 0;
        for (let c = 0; c < nc; c++) {
          const ar = vr[c + nc * m], ai = vi[c + nc * m];
          sr += w[2 * c] * ar + w[2 * c + 1] * ai;
          si += w[2 * c] * ai - w[2 * c + 1] * ar;
        }
        const mag = Math.hypot(sr, si);
        const pr = mag > 0 ? sr / mag : 1, pi = mag > 0 ? -si / mag : 0;
        for (let c = 0; c < nc; c++) {
          const ar = vr[c + nc * m], ai = vi[c + nc * m];
          const o = 2 * (p + npix * (c + nc * m));
          maps[o] = ar * pr - ai * pi;
          maps[o + 1] = ar * pi + ai * pr;
        }
      }
    }
  }
}

/** U = M V for a Hermitian n x n M and n x m V (column-major complex re/im arrays). */
function matmul(
  mr: Float64Array,
  mi: Float64Array,
  vr: Float64Array,
  vi: Float64Array,
  ur: Float64Array,
  ui: Float64Array,
  n: number,
  m: number,
): void {
  ur.fill(0, 0, n * m);
  ui.fill(0, 0, n * m);
  for (let j = 0; j < m; j++) {
    for (let c = 0; c < n; c++) {
      const br = vr[c + n * j], bi = vi[c + n * j];
      if (br === 0 && bi === 0) continue;
      const col = n * c, out = n * j;
      for (let r = 0; r < n; r++) {
        const ar = mr[col + r], ai = mi[col + r];
        ur[out + r] += ar * br - ai * bi;
        ui[out + r] += ar * bi + ai * br;
      }
    }
  }
}

/** Modified Gram-Schmidt on the m columns of an n x m complex matrix, in place. A column
 * that vanishes is replaced by a unit vector not in the span of the previous ones. */
function orthonormalize(vr: Float64Array, vi: Float64Array, n: number, m: number): void {
  for (let j = 0; j < m; j++) {
    const oj = n * j;
    for (let attempt = 0; attempt <= n; attempt++) {
      for (let i = 0; i < j; i++) {
        const oi = n * i;
        let sr = 0, si = 0; // <v_i, v_j> = v_i^H v_j
        for (let c = 0; c < n; c++) {
          sr += vr[oi + c] * vr[oj + c] + vi[oi + c] * vi[oj + c];
          si += vr[oi + c] * vi[oj + c] - vi[oi + c] * vr[oj + c];
        }
        for (let c = 0; c < n; c++) {
          vr[oj + c] -= sr * vr[oi + c] - si * vi[oi + c];
          vi[oj + c] -= sr * vi[oi + c] + si * vr[oi + c];
        }
      }
      let nrm = 0;
      for (let c = 0; c < n; c++) nrm += vr[oj + c] ** 2 + vi[oj + c] ** 2;
      nrm = Math.sqrt(nrm);
      if (nrm > 1e-30) {
        for (let c = 0; c < n; c++) {
          vr[oj + c] /= nrm;
          vi[oj + c] /= nrm;
        }
        break;
      }
      vr.fill(0, oj, oj + n);
      vi.fill(0, oj, oj + n);
      vr[oj + ((j + attempt) % n)] = 1;
    }
  }
}

// =======================================================================================
// Hermitian eigensolvers
// =======================================================================================

/**
 * Eigendecomposition of a small complex Hermitian matrix by cyclic complex Jacobi
 * rotations (each rotation is a diagonal phase that makes the pivot real, then a real
 * Givens rotation). Eigenvalues are returned in descending order with their eigenvectors.
 *
 * @param ar real part of A, column-major `(n, n)`; overwritten
 * @param ai imaginary part of A, column-major `(n, n)`; overwritten
 * @param n order
 * @param values out: eigenvalues, descending, length >= n
 * @param vr out: eigenvector real parts, column j = eigenvector j, `(n, n)`
 * @param vi out: eigenvector imaginary parts
 */
export function jacobiEigen(
  ar: Float64Array,
  ai: Float64Array,
  n: number,
  values: Float64Array,
  vr: Float64Array,
  vi: Float64Array,
): void {
  vr.fill(0, 0, n * n);
  vi.fill(0, 0, n * n);
  for (let i = 0; i < n; i++) vr[i + n * i] = 1;
  let diag = 0;
  for (let i = 0; i < n; i++) diag += ar[i + n * i] ** 2;
  for (let sweep = 0; sweep < 30; sweep++) {
    let off = 0;
    for (let q = 1; q < n; q++) {
      for (let p = 0; p < q; p++) off += ar[p + n * q] ** 2 + ai[p + n * q] ** 2;
    }
    if (off <= 1e-30 * diag || off === 0) break;
    for (let q = 1; q < n; q++) {
      for (let p = 0; p < q; p++) {
        const br = ar[p + n * q], bi = ai[p + n * q];
        const bm = Math.hypot(br, bi);
        if (bm === 0) continue;
        const app = ar[p + n * p], aqq = ar[q + n * q];
        // rotation of [[app, |b|], [|b|, aqq]] after the phase diag(1, e^{-i phi})
        const tau = (aqq - app) / (2 * bm);
        const t = (tau >= 0 ? 1 : -1) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
        const c = 1 / Math.sqrt(1 + t * t), s = t * c;
        const er = br / bm, ei = -bi / bm; // e^{-i phi}
        // J = [[c, s], [-s e, c e]] on columns p, q (e = e^{-i phi})
        const jqpr = -s * er, jqpi = -s * ei, jqqr = c * er, jqqi = c * ei;
        // A <- A J (columns)
        for (let r = 0; r < n; r++) {
          const xpr = ar[r + n * p], xpi = ai[r + n * p];
          const xqr = ar[r + n * q], xqi = ai[r + n * q];
          ar[r + n * p] = c * xpr + (xqr * jqpr - xqi * jqpi);
          ai[r + n * p] = c * xpi + (xqr * jqpi + xqi * jqpr);
          ar[r + n * q] = s * xpr + (xqr * jqqr - xqi * jqqi);
          ai[r + n * q] = s * xpi + (xqr * jqqi + xqi * jqqr);
        }
        // A <- J^H A (rows): row p = c row_p + conj(jqp) row_q ; row q = s row_p + conj(jqq) row_q
        for (let col = 0; col < n; col++) {
          const o = n * col;
          const xpr = ar[p + o], xpi = ai[p + o], xqr = ar[q + o], xqi = ai[q + o];
          ar[p + o] = c * xpr + (jqpr * xqr + jqpi * xqi);
          ai[p + o] = c * xpi + (jqpr * xqi - jqpi * xqr);
          ar[q + o] = s * xpr + (jqqr * xqr + jqqi * xqi);
          ai[q + o] = s * xpi + (jqqr * xqi - jqqi * xqr);
        }
        ar[p + n * q] =
          ai[p + n * q] =
          ar[q + n * p] =
          ai[q + n * p] =
            0;
        ai[p + n * p] = ai[q + n * q] = 0;
        // V <- V J
        for (let r = 0; r < n; r++) {
          const xpr = vr[r + n * p], xpi = vi[r + n * p];
          const xqr = vr[r + n * q], xqi = vi[r + n * q];
          vr[r + n * p] = c * xpr + (xqr * jqpr - xqi * jqpi);
          vi[r + n * p] = c * xpi + (xqr * jqpi + xqi * jqpr);
          vr[r + n * q] = s * xpr + (xqr * jqqr - xqi * jqqi);
          vi[r + n * q] = s * xpi + (xqr * jqqi + xqi * jqqr);
        }
      }
    }
  }
  // sort descending (selection sort; n is small)
  for (let i = 0; i < n; i++) values[i] = ar[i + n * i];
  for (let i = 0; i < n; i++) {
    let best = i;
    for (let j = i + 1; j < n; j++) if (values[j] > values[best]) best = j;
    if (best === i) continue;
    const tv = values[i];
    values[i] = values[best];
    values[best] = tv;
    for (let r = 0; r < n; r++) {
      const a = vr[r + n * i], b = vi[r + n * i];
      vr[r + n * i] = vr[r + n * best];
      vi[r + n * i] = vi[r + n * best];
      vr[r + n * best] = a;
      vi[r + n * best] = b;
    }
  }
}

/** Result of {@link hermitianEigenvalues}. */
export interface HermitianEigen {
  /** All eigenvalues, descending. */
  values: Float64Array;
  /**
   * The eigenvectors of the `count` largest eigenvalues, column-major `(n, count)` complex
   * (separate real and imaginary arrays).
   */
  vectors(count: number): { re: Float64Array; im: Float64Array };
}

/**
 * Eigendecomposition of a dense complex Hermitian matrix (e.g. the ESPIRiT block
 * covariance, 360 x 360): Householder reduction to a complex tridiagonal matrix, a
 * diagonal unitary scaling that makes it real, the implicit QL algorithm with Wilkinson
 * shifts on the real tridiagonal (accumulating the real rotations), and the back
 * transformation of only the eigenvectors asked for.
 *
 * @param ar real part, column-major `(n, n)` (only read; copied)
 * @param ai imaginary part, column-major `(n, n)`
 * @param n order
 * @returns eigenvalues (descending) and a function producing the leading eigenvectors
 */
export function hermitianEigenvalues(
  ar: Float64Array,
  ai: Float64Array,
  n: number,
): HermitianEigen {
  const a = Float64Array.from(ar.subarray(0, n * n)), b = Float64Array.from(ai.subarray(0, n * n));
  // Householder vectors u_k (unit, length n-k-1, stored in column k below the diagonal).
  const ur = new Float64Array(n * n), ui = new Float64Array(n * n);
  const has = new Uint8Array(n);
  const d = new Float64Array(n), er = new Float64Array(n), ei = new Float64Array(n);
  const pr = new Float64Array(n), pi = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    const col = n * k;
    let tail = 0;
    for (let i = k + 2; i < n; i++) tail += a[col + i] ** 2 + b[col + i] ** 2;
    const x0r = a[col + k + 1], x0i = b[col + k + 1];
    if (tail === 0) {
      er[k] = x0r;
      ei[k] = x0i;
      continue;
    }
    const x0m = Math.hypot(x0r, x0i);
    const xn = Math.sqrt(tail + x0m * x0m);
    // alpha = -e^{i arg x0} |x|
    const phr = x0m > 0 ? x0r / x0m : 1, phi = x0m > 0 ? x0i / x0m : 0;
    const alr = -phr * xn, ali = -phi * xn;
    // v = x - alpha e1, |v|^2 = 2 |x|^2 + 2 |x| |x0|
    const vn = Math.sqrt(2 * xn * xn + 2 * xn * x0m);
    const m0 = k + 1;
    for (let i = m0; i < n; i++) {
      ur[col + i] = a[col + i] / vn;
      ui[col + i] = b[col + i] / vn;
    }
    ur[col + m0] = (x0r - alr) / vn;
    ui[col + m0] = (x0i - ali) / vn;
    has[k] = 1;
    er[k] = alr;
    ei[k] = ali;
    // B = A[m0:, m0:] <- H B H = B - u q^H - q u^H, p = 2 B u, q = p - 2 (u^H B u) u
    let beta = 0;
    for (let i = m0; i < n; i++) {
      pr[i] = 0;
      pi[i] = 0;
    }
    for (let j = m0; j < n; j++) {
      const vjr = ur[col + j], vji = ui[col + j], oj = n * j;
      for (let i = m0; i < n; i++) {
        const xr = a[oj + i], xi = b[oj + i];
        pr[i] += xr * vjr - xi * vji;
        pi[i] += xr * vji + xi * vjr;
      }
    }
    for (let i = m0; i < n; i++) {
      // beta = u^H (B u)
      beta += ur[col + i] * pr[i] + ui[col + i] * pi[i];
    }
    for (let i = m0; i < n; i++) {
      pr[i] = 2 * pr[i] - 2 * beta * ur[col + i];
      pi[i] = 2 * pi[i] - 2 * beta * ui[col + i];
    }
    // B[i, j] -= u_i conj(q_j) + q_i conj(u_j)
    for (let j = m0; j < n; j++) {
      const ujr = ur[col + j], uji = ui[col + j], qjr = pr[j], qji = pi[j], oj = n * j;
      for (let i = m0; i < n; i++) {
        const uir = ur[col + i], uii = ui[col + i], qir = pr[i], qii = pi[i];
        a[oj + i] -= uir * qjr + uii * qji + qir * ujr + qii * uji;
        b[oj + i] -= uii * qjr - uir * qji + qii * ujr - qir * uji;
      }
    }
  }
  for (let i = 0; i < n; i++) d[i] = a[i + n * i];
  if (n >= 2) {
    er[n - 2] = a[n - 1 + n * (n - 2)];
    ei[n - 2] = b[n - 1 + n * (n - 2)];
  }
  // Diagonal unitary D making the subdiagonal real: D_{k+1} = D_k e_k / |e_k|.
  const dr = new Float64Array(n), di = new Float64Array(n);
  const e = new Float64Array(n);
  dr[0] = 1;
  for (let k = 0; k < n - 1; k++) {
    const m = Math.hypot(er[k], ei[k]);
    e[k] = m;
    const sr = m > 0 ? er[k] / m : 1, si = m > 0 ? ei[k] / m : 0;
    dr[k + 1] = dr[k] * sr - di[k] * si;
    di[k + 1] = dr[k] * si + di[k] * sr;
  }
  const z = new Float64Array(n * n);
  for (let i = 0; i < n; i++) z[i + n * i] = 1;
  tridiagonalQL(d, e, z, n);
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => d[j] - d[i]);
  const values = Float64Array.from(order, (i) => d[i]);
  return {
    values,
    vectors(count: number) {
      const re = new Float64Array(n * count), im = new Float64Array(n * count);
      for (let j = 0; j < count; j++) {
        const zc = n * order[j], o = n * j;
        for (let i = 0; i < n; i++) {
          re[o + i] = dr[i] * z[zc + i];
          im[o + i] = di[i] * z[zc + i];
        }
        // y <- H_0 H_1 ... H_{n-3} y, applying H_{n-3} first
        for (let k = n - 3; k >= 0; k--) {
          if (!has[k]) continue;
          const col = n * k;
          let sr = 0, si = 0; // u^H y
          for (let i = k + 1; i < n; i++) {
            sr += ur[col + i] * re[o + i] + ui[col + i] * im[o + i];
            si += ur[col + i] * im[o + i] - ui[col + i] * re[o + i];
          }
          sr *= 2;
          si *= 2;
          for (let i = k + 1; i < n; i++) {
            re[o + i] -= ur[col + i] * sr - ui[col + i] * si;
            im[o + i] -= ur[col + i] * si + ui[col + i] * sr;
          }
        }
      }
      return { re, im };
    },
  };
}

/**
 * Implicit QL with Wilkinson shifts on a real symmetric tridiagonal matrix (diagonal `d`,
 * off-diagonal `e[i]` between i and i+1). On return `d` holds the eigenvalues and column j
 * of `z` (column-major n x n, accumulated from its initial value) the j-th eigenvector.
 */
function tridiagonalQL(d: Float64Array, e: Float64Array, z: Float64Array, n: number): void {
  e[n - 1] = 0;
  for (let l = 0; l < n; l++) {
    for (let iter = 0; iter < 60; iter++) {
      let m = l;
      for (; m < n - 1; m++) {
        const dd = Math.abs(d[m]) + Math.abs(d[m + 1]);
        if (Math.abs(e[m]) <= Number.EPSILON * dd) break;
      }
      if (m === l) break;
      let g = (d[l + 1] - d[l]) / (2 * e[l]);
      let r = Math.hypot(g, 1);
      g = d[m] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
      let s = 1, c = 1, p = 0;
      let i = m - 1;
      let underflow = false;
      for (; i >= l; i--) {
        let f = s * e[i];
        const bb = c * e[i];
        r = Math.hypot(f, g);
        e[i + 1] = r;
        if (r === 0) {
          d[i + 1] -= p;
          e[m] = 0;
          underflow = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1] - p;
        r = (d[i] - g) * s + 2 * c * bb;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - bb;
        const o1 = n * (i + 1), o0 = n * i;
        for (let k = 0; k < n; k++) {
          f = z[o1 + k];
          z[o1 + k] = s * z[o0 + k] + c * f;
          z[o0 + k] = c * z[o0 + k] - s * f;
        }
      }
      if (underflow) continue;
      d[l] -= p;
      e[l] = g;
      e[m] = 0;
    }
  }
}

// =======================================================================================
// Convenience and combination
// =======================================================================================

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

/** Options of {@link coilCombine}. */
export interface CoilCombineOptions {
  /** Added to `sum_c |S_c|^2` in the denominator; default 1e-6 (maps are ~unit norm). */
  eps?: number;
}

/**
 * SENSE-1 coil combination: `sum_c conj(S_c) x_c / (sum_c |S_c|^2 + eps)` per pixel and
 * frame. With unit-norm maps (ESPIRiT, ACS/RSS) this is the optimal matched filter and its
 * magnitude equals the RSS of the coil images where the maps are exact; pixels whose maps
 * are zero (cropped) give 0.
 *
 * @param images complex interleaved coil images, MATLAB dims `(x, y, coil[, frame])`
 * @param maps complex interleaved sensitivities, dims `(x, y, coil)` (the first map)
 * @param nx x size
 * @param ny y size
 * @param nc coils
 * @param opts `eps`
 * @returns complex interleaved image, dims `(x, y[, frame])`
 * @throws {ShapeError} when the lengths do not match
 */
export function coilCombine(
  images: Float32Array,
  maps: Float32Array,
  nx: number,
  ny: number,
  nc: number,
  opts: CoilCombineOptions = {},
): Float32Array {
  const npix = nx * ny, per = 2 * npix * nc;
  checkLength("coilCombine: maps", maps, per);
  if (images.length === 0 || images.length % per !== 0) {
    throw new ShapeError(
      `coilCombine: images hold ${images.length / 2} complex values, not a multiple of ` +
        `${nx} x ${ny} x ${nc} coils`,
    );
  }
  const nt = images.length / per;
  const eps = opts.eps ?? 1e-6;
  const inv = new Float64Array(npix);
  for (let c = 0; c < nc; c++) {
    for (let p = 0, j = 2 * npix * c; p < npix; p++, j += 2) {
      inv[p] += maps[j] * maps[j] + maps[j + 1] * maps[j + 1];
    }
  }
  for (let p = 0; p < npix; p++) inv[p] = 1 / (inv[p] + eps);
  const out = new Float32Array(2 * npix * nt);
  const accr = new Float64Array(npix), acci = new Float64Array(npix);
  for (let t = 0; t < nt; t++) {
    accr.fill(0);
    acci.fill(0);
    for (let c = 0; c < nc; c++) {
      const oi = t * per + 2 * npix * c, om = 2 * npix * c;
      for (let p = 0; p < npix; p++) {
        const xr = images[oi + 2 * p], xi = images[oi + 2 * p + 1];
        const sr = maps[om + 2 * p], si = maps[om + 2 * p + 1];
        accr[p] += sr * xr + si * xi;
        acci[p] += sr * xi - si * xr;
      }
    }
    for (let p = 0, o = 2 * npix * t; p < npix; p++, o += 2) {
      out[o] = accr[p] * inv[p];
      out[o + 1] = acci[p] * inv[p];
    }
  }
  return out;
}

// =======================================================================================
// Helpers
// =======================================================================================

function checkLength(what: string, data: Float32Array, floats: number): void {
  if (data.length !== floats) {
    throw new ShapeError(
      `${what} holds ${data.length / 2} complex values, expected ${floats / 2}`,
    );
  }
}

function checkBand(
  what: string,
  acs: [number, number],
  ny: number,
  min: number,
): [number, number] {
  const [y0, y1] = acs;
  if (!Number.isInteger(y0) || !Number.isInteger(y1) || y0 < 0 || y1 > ny || y1 - y0 < min) {
    throw new ShapeError(
      `${what}: ACS band [${y0}, ${y1}) is not a band of at least ${min} lines within ` +
        `0..${ny}`,
    );
  }
  return [y0, y1];
}

/** Tukey window of length n with taper fraction alpha (0 = box, 1 = Hann), symmetric. */
function tukey(n: number, alpha: number): Float64Array {
  const w = new Float64Array(n).fill(1);
  const a = Math.min(1, Math.max(0, alpha));
  if (a === 0 || n < 2) return w;
  // positions in (0, 1) at sample centres, so no sample is exactly zero
  for (let i = 0; i < n; i++) {
    const u = (i + 0.5) / n;
    const edge = Math.min(u, 1 - u);
    if (edge < a / 2) w[i] = 0.5 * (1 - Math.cos((2 * Math.PI * edge) / a));
  }
  return w;
}

/**
 * First principal component of the coil covariance of a k-space region (by Parseval
 * the covariance of the low-resolution coil images): the virtual body coil whose phase
 * the maps are rotated to. Returned interleaved (re, im), normalised, w_0 real >= 0.
 */
function virtualCoil(
  kspace: Float32Array,
  nx: number,
  ny: number,
  nc: number,
  xr: [number, number],
  yr: [number, number],
): Float64Array {
  const npix = nx * ny;
  const mr = new Float64Array(nc * nc), mi = new Float64Array(nc * nc);
  for (let c = 0; c < nc; c++) {
    for (let c2 = c; c2 < nc; c2++) {
      let sr = 0, si = 0;
      for (let y = yr[0]; y < yr[1]; y++) {
        for (let x = xr[0]; x < xr[1]; x++) {
          const i = 2 * (c * npix + y * nx + x), j = 2 * (c2 * npix + y * nx + x);
          // x_c conj(x_c2)
          sr += kspace[i] * kspace[j] + kspace[i + 1] * kspace[j + 1];
          si += kspace[i + 1] * kspace[j] - kspace[i] * kspace[j + 1];
        }
      }
      mr[c + nc * c2] = sr;
      mi[c + nc * c2] = si;
      mr[c2 + nc * c] = sr;
      mi[c2 + nc * c] = -si;
    }
  }
  const vals = new Float64Array(nc), vr = new Float64Array(nc * nc);
  const vi = new Float64Array(nc * nc);
  jacobiEigen(mr, mi, nc, vals, vr, vi);
  const w = new Float64Array(2 * nc);
  const m = Math.hypot(vr[0], vi[0]);
  const pr = m > 0 ? vr[0] / m : 1, pi = m > 0 ? -vi[0] / m : 0;
  for (let c = 0; c < nc; c++) {
    w[2 * c] = vr[c] * pr - vi[c] * pi;
    w[2 * c + 1] = vr[c] * pi + vi[c] * pr;
  }
  return w;
}

/** Rotate each pixel's coil vector so that `w^H s` is real and positive. */
function rotateToVirtualCoil(
  maps: Float32Array,
  npix: number,
  nc: number,
  nmaps: number,
  w: Float64Array,
): void {
  for (let m = 0; m < nmaps; m++) {
    const base = 2 * npix * nc * m;
    for (let p = 0; p < npix; p++) {
      let sr = 0, si = 0;
      for (let c = 0; c < nc; c++) {
        const o = base + 2 * (p + npix * c);
        sr += w[2 * c] * maps[o] + w[2 * c + 1] * maps[o + 1];
        si += w[2 * c] * maps[o + 1] - w[2 * c + 1] * maps[o];
      }
      const mag = Math.hypot(sr, si);
      if (mag === 0) continue;
      const pr = sr / mag, pi = -si / mag;
      for (let c = 0; c < nc; c++) {
        const o = base + 2 * (p + npix * c);
        const ar = maps[o], ai = maps[o + 1];
        maps[o] = ar * pr - ai * pi;
        maps[o + 1] = ar * pi + ai * pr;
      }
    }
  }
}
