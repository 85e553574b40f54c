/**
 * The dynamic-region analysis of CRUNet-MR (Lyu et al., Medical Physics 2025, §3.4): the
 * "dynamic region" of a cine slice is the set of pixels whose ground-truth intensity has a
 * temporal standard deviation above the 90th percentile of that slice; the rest is the
 * "static region". PSNR and SSIM are computed in each region separately.
 *
 * How cmrxkit computes them (the paper gives no code): every 2-D image (slice, frame) is
 * normalised as the challenge year's scorer does it ({@link normalizeImage}; 2023: each
 * image by its maximum), with `L` the maximum of the normalised ground truth (1 for 2023);
 * region PSNR is `10 log10(L² / MSE)` with the MSE over the region's pixels; region SSIM is
 * the mean, over the region's pixels, of scikit-image's SSIM map (7 x 7 uniform window,
 * K1 0.01, K2 0.03, sample covariance, reflected borders) restricted to the pixels
 * scikit-image's mean keeps (3 pixels from every border are dropped). Per file the image
 * values are averaged; per group the files, as the challenge aggregates.
 *
 * The SSIM map here is float64 (the challenge's SSIM in `metrics.ts` emulates float32 and
 * returns only the mean); over the whole image its mean agrees with it to ~1e-6.
 *
 * @module
 */

import { normalizeImage } from "../challenge/metrics/mod.ts";
import type { Year } from "../challenge/edition.ts";
import { ShapeError } from "../errors.ts";
import { percentile, type Series, temporalStd } from "./panels.ts";

/** The percentile of the temporal standard deviation above which a pixel is dynamic. */
export const DYNAMIC_PERCENTILE = 90;

/**
 * The dynamic region of every slice of a ground-truth series `(x, y, slice, frame)`:
 * `mask[x + nx * (y + ny * slice)]` is 1 where the temporal standard deviation exceeds the
 * slice's `q`-th percentile (default 90), else 0. MATLAB dims `(x, y, slice)`.
 */
export function dynamicMask(truth: Series, q = DYNAMIC_PERCENTILE): Uint8Array {
  const [nx, ny, nz] = truth.dims;
  const npix = nx * ny;
  const mask = new Uint8Array(npix * nz);
  for (let z = 0; z < nz; z++) {
    const std = temporalStd(truth, z);
    const thr = percentile(std, q);
    for (let i = 0; i < npix; i++) if (std[i] > thr) mask[npix * z + i] = 1;
  }
  return mask;
}

/** Reflect-extended index (scipy's `reflect`: `d c b a | a b c d | d c b a`). */
function reflect(i: number, n: number): number {
  while (i < 0 || i >= n) i = i < 0 ? -i - 1 : 2 * n - i - 1;
  return i;
}

/**
 * The SSIM map of two 2-D images, MATLAB dims `(nx, ny)`, float64: at every pixel the SSIM
 * of the `win` x `win` neighbourhoods (uniform weights, reflected at the borders), with
 * `C1 = (0.01 L)²`, `C2 = (0.03 L)²` and sample covariance (`N/(N-1)`), as scikit-image.
 */
export function ssimMap(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  nx: number,
  ny: number,
  L: number,
  win = 7,
): Float64Array {
  if (a.length !== nx * ny || b.length !== nx * ny) {
    throw new ShapeError(`ssimMap: (${nx}, ${ny}) images need ${nx * ny} values`);
  }
  const h = (win - 1) >> 1, np = win * win;
  const cn = np / (np - 1);
  const c1 = (0.01 * L) ** 2, c2 = (0.03 * L) ** 2;
  // Summed-area tables of a, b, a², b², ab over the reflect-padded image.
  const px = nx + 2 * h, py = ny + 2 * h;
  const W = px + 1;
  const tables = Array.from({ length: 5 }, () => new Float64Array(W * (py + 1)));
  const [ta, tb, taa, tbb, tab] = tables;
  for (let j = 0; j < py; j++) {
    const y = reflect(j - h, ny);
    let ra = 0, rb = 0, raa = 0, rbb = 0, rab = 0;
    for (let i = 0; i < px; i++) {
      const k = reflect(i - h, nx) + nx * y;
      const va = a[k], vb = b[k];
      ra += va;
      rb += vb;
      raa += va * va;
      rbb += vb * vb;
      rab += va * vb;
      const o = (i + 1) + W * (j + 1), up = (i + 1) + W * j;
      ta[o] = ta[up] + ra;
      tb[o] = tb[up] + rb;
      taa[o] = taa[up] + raa;
      tbb[o] = tbb[up] + rbb;
      tab[o] = tab[up] + rab;
    }
  }
  const box = (t: Float64Array, x: number, y: number) => {
    // window of padded rows x..x+win-1, columns y..y+win-1
    const x1 = x + win, y1 = y + win;
    return (t[x1 + W * y1] - t[x + W * y1] - t[x1 + W * y] + t[x + W * y]) / np;
  };
  const out = new Float64Array(nx * ny);
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      const ux = box(ta, x, y), uy = box(tb, x, y);
      const vx = cn * (box(taa, x, y) - ux * ux);
      const vy = cn * (box(tbb, x, y) - uy * uy);
      const vxy = cn * (box(tab, x, y) - ux * uy);
      out[x + nx * y] = ((2 * ux * uy + c1) * (2 * vxy + c2)) /
        ((ux * ux + uy * uy + c1) * (vx + vy + c2));
    }
  }
  return out;
}

/** PSNR and SSIM in the dynamic and the static region. */
export interface RegionScores {
  /** PSNR (dB) and SSIM in the dynamic region. */
  dynamic: { psnr: number; ssim: number };
  /** PSNR (dB) and SSIM in the static region (the pixels not in the dynamic one). */
  static: { psnr: number; ssim: number };
  /** Images averaged. */
  images: number;
}

/**
 * Region PSNR and SSIM of one 2-D image pair (see the module docs for the normalisation).
 *
 * @param pred reconstruction, MATLAB dims `(nx, ny)`
 * @param truth ground truth, same dims
 * @param mask dynamic region, same dims (non-zero = dynamic)
 */
export function regionScores2d(
  pred: ArrayLike<number>,
  truth: ArrayLike<number>,
  nx: number,
  ny: number,
  mask: ArrayLike<number>,
  year: Year = 2023,
): RegionScores {
  const p = normalizeImage(pred, year), g = normalizeImage(truth, year);
  let L = -Infinity;
  for (let i = 0; i < g.length; i++) if (g[i] > L) L = g[i];
  const map = ssimMap(g, p, nx, ny, L);
  const h = 3;
  const se = [0, 0], cnt = [0, 0], ss = [0, 0], scnt = [0, 0];
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      const i = x + nx * y, r = mask[i] ? 0 : 1;
      const d = p[i] - g[i];
      se[r] += d * d;
      cnt[r]++;
      if (x >= h && x < nx - h && y >= h && y < ny - h) {
        ss[r] += map[i];
        scnt[r]++;
      }
    }
  }
  const psnr = (r: number) => cnt[r] ? 10 * Math.log10((L * L) / (se[r] / cnt[r])) : NaN;
  const ssim = (r: number) => scnt[r] ? ss[r] / scnt[r] : NaN;
  return {
    dynamic: { psnr: psnr(0), ssim: ssim(0) },
    static: { psnr: psnr(1), ssim: ssim(1) },
    images: 1,
  };
}

/**
 * Region scores of a reconstructed series against the ground truth, averaged over its
 * images. `pred` may have fewer frames than `truth` (the validation reduction keeps 3 cine
 * frames): its frames are compared with the first frames of the truth. `mask` comes from
 * {@link dynamicMask} of the whole truth series, MATLAB dims `(x, y, slice)`.
 */
export function regionScores(
  pred: Series,
  truth: Series,
  mask: Uint8Array,
  year: Year = 2023,
): RegionScores {
  const [nx, ny, nz, nt] = pred.dims;
  const [tx, ty, tz, tt] = truth.dims;
  if (nx !== tx || ny !== ty || nz !== tz || nt > tt) {
    throw new ShapeError(
      `region scores: reconstruction [${pred.dims.join(", ")}] does not fit the ground truth [${
        truth.dims.join(", ")
      }]`,
    );
  }
  const npix = nx * ny;
  const acc = { dp: 0, ds: 0, sp: 0, ss: 0 };
  let n = 0;
  for (let t = 0; t < nt; t++) {
    for (let z = 0; z < nz; z++) {
      const o = npix * (z + nz * t);
      const r = regionScores2d(
        pred.data.subarray(o, o + npix),
        truth.data.subarray(o, o + npix),
        nx,
        ny,
        mask.subarray(npix * z, npix * (z + 1)),
        year,
      );
      acc.dp += r.dynamic.psnr;
      acc.ds += r.dynamic.ssim;
      acc.sp += r.static.psnr;
      acc.ss += r.static.ssim;
      n++;
    }
  }
  return {
    dynamic: { psnr: acc.dp / n, ssim: acc.ds / n },
    static: { psnr: acc.sp / n, ssim: acc.ss / n },
    images: n,
  };
}
