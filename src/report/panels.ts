/**
 * The pictures of the report as numbers: 2-D images cut from image series, display windows,
 * |error| maps, the temporal standard deviation, the line through the heart and the x-t
 * profile along it, and overlays that mark the line and the dynamic region.
 *
 * Image series have MATLAB dims `(x, y, slice, frame)`, column-major, real (magnitude)
 * values: `v[x + nx * (y + ny * (slice + nz * frame))]`. A 2-D image is `(x, y)`. Pictures
 * are drawn as MATLAB's `imshow` does: x down the rows, y across the columns.
 *
 * @module
 */

import { ShapeError } from "../errors.ts";
import { applyColormap, GREY_MAP } from "./colormap.ts";
import type { RasterImage } from "./png.ts";

/** A real image series, MATLAB dims `(x, y, slice, frame)` (trailing dims may be 1). */
export interface Series {
  /** The values, column-major: `data[x + nx * (y + ny * (slice + nz * frame))]`. */
  data: Float32Array;
  /** `[nx, ny, nz, nt]`. */
  dims: [number, number, number, number];
}

/** A series from data and MATLAB dims of rank 2 to 4 (missing trailing dims are 1). */
export function series(data: Float32Array, dims: readonly number[]): Series {
  const [nx, ny, nz = 1, nt = 1] = dims;
  if (dims.length < 2 || dims.length > 4 || data.length !== nx * ny * nz * nt) {
    throw new ShapeError(
      `an image series has MATLAB dims (x, y[, slice[, frame]]); got [${
        dims.join(", ")
      }] for ${data.length} values`,
    );
  }
  return { data, dims: [nx, ny, nz, nt] };
}

/** The first `nt` frames of a series (a view, no copy: frames are the last dim). */
export function firstFrames(s: Series, nt: number): Series {
  const [nx, ny, nz, all] = s.dims;
  const n = Math.min(nt, all);
  return { data: s.data.subarray(0, nx * ny * nz * n), dims: [nx, ny, nz, n] };
}

/** The 2-D image `(x, y)` of one slice and frame (a view, no copy). */
export function imageAt(s: Series, slice: number, frame: number): Float32Array {
  const [nx, ny, nz, nt] = s.dims;
  if (slice < 0 || slice >= nz || frame < 0 || frame >= nt) {
    throw new ShapeError(
      `slice ${slice} / frame ${frame} is outside a series of ${nz} slice(s), ${nt} frame(s)`,
    );
  }
  const o = nx * ny * (slice + nz * frame);
  return s.data.subarray(o, o + nx * ny);
}

/**
 * The `q`-th percentile (0..100) of the finite values, with linear interpolation between
 * order statistics (numpy's default `linear` method). NaN when there is no finite value.
 */
export function percentile(values: ArrayLike<number>, q: number): number {
  const v = Float64Array.from(Array.prototype.filter.call(values, Number.isFinite) as number[]);
  if (v.length === 0) return NaN;
  v.sort();
  const pos = (Math.min(100, Math.max(0, q)) / 100) * (v.length - 1);
  const i = Math.floor(pos), f = pos - i;
  return i + 1 < v.length ? v[i] * (1 - f) + v[i + 1] * f : v[i];
}

/**
 * The display window of magnitude pictures: `[min(0, p0.5), p99.5]` of the reference's
 * values, so a few bright pixels do not darken the picture. Every picture of a figure uses
 * the same window, so brightness differences are real.
 */
export function displayWindow(reference: ArrayLike<number>): [number, number] {
  const lo = Math.min(0, percentile(reference, 0.5));
  let hi = percentile(reference, 99.5);
  if (!(hi > lo)) hi = lo + 1;
  return [lo, hi];
}

/** `|a - b|` elementwise. */
export function absError(a: ArrayLike<number>, b: ArrayLike<number>): Float32Array {
  if (a.length !== b.length) {
    throw new ShapeError(`|error| of images with ${a.length} and ${b.length} values`);
  }
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = Math.abs(a[i] - b[i]);
  return out;
}

/**
 * The standard deviation over frames (population, `np.std(axis=frame)`) of one slice:
 * MATLAB dims `(x, y)`, float64 sums.
 */
export function temporalStd(s: Series, slice: number): Float32Array {
  const [nx, ny, nz, nt] = s.dims;
  const npix = nx * ny;
  const sum = new Float64Array(npix), sq = new Float64Array(npix);
  for (let t = 0; t < nt; t++) {
    const o = npix * (slice + nz * t);
    for (let i = 0; i < npix; i++) {
      const v = s.data[o + i];
      sum[i] += v;
      sq[i] += v * v;
    }
  }
  const out = new Float32Array(npix);
  for (let i = 0; i < npix; i++) {
    const m = sum[i] / nt;
    out[i] = Math.sqrt(Math.max(0, sq[i] / nt - m * m));
  }
  return out;
}

/**
 * Where the heart moves: the pixel where a `box` x `box` mean of the temporal standard
 * deviation map (MATLAB dims `(x, y)`) is largest. The default box, a quarter of the smaller
 * side (odd), is about the size of the heart on the ranking crop, so the maximum sits in the
 * middle of the moving walls (the ventricle's centre) rather than on one wall. The x-t
 * profile runs along x (down the picture) through this pixel's column `y`.
 */
export function motionCentre(
  std: ArrayLike<number>,
  nx: number,
  ny: number,
  box: number = 2 * Math.floor(Math.min(nx, ny) / 8) + 1,
): { x: number; y: number } {
  const h = Math.max(0, Math.floor(box / 2));
  // Summed-area table, (nx + 1) x (ny + 1).
  const W = nx + 1;
  const sat = new Float64Array(W * (ny + 1));
  for (let y = 0; y < ny; y++) {
    let row = 0;
    for (let x = 0; x < nx; x++) {
      row += std[x + nx * y];
      sat[x + 1 + W * (y + 1)] = sat[x + 1 + W * y] + row;
    }
  }
  let best = -Infinity, bx = Math.floor(nx / 2), by = Math.floor(ny / 2);
  for (let y = 0; y < ny; y++) {
    const y0 = Math.max(0, y - h), y1 = Math.min(ny, y + h + 1);
    for (let x = 0; x < nx; x++) {
      const x0 = Math.max(0, x - h), x1 = Math.min(nx, x + h + 1);
      const s = sat[x1 + W * y1] - sat[x0 + W * y1] - sat[x1 + W * y0] + sat[x0 + W * y0];
      const m = s / ((x1 - x0) * (y1 - y0));
      if (m > best) {
        best = m;
        bx = x;
        by = y;
      }
    }
  }
  return { x: bx, y: by };
}

/**
 * The x-t profile of one slice along column `y`: MATLAB dims `(x, frame)` (drawn with x down
 * the rows and time across the columns), for the first `nt` frames (default all).
 */
export function xtProfile(s: Series, slice: number, y: number, nt = s.dims[3]): Float32Array {
  const [nx, ny, nz] = s.dims;
  if (y < 0 || y >= ny) throw new ShapeError(`profile column ${y} is outside 0..${ny - 1}`);
  const n = Math.min(nt, s.dims[3]);
  const out = new Float32Array(nx * n);
  for (let t = 0; t < n; t++) {
    const o = nx * (y + ny * (slice + nz * t));
    out.set(s.data.subarray(o, o + nx), nx * t);
  }
  return out;
}

/**
 * A grey picture of a 2-D image `(nx, ny)` with the profile column `y` drawn in colour and,
 * when given, the pixels of `mask` (same dims, non-zero = marked) tinted.
 */
export function locatorPicture(
  image: ArrayLike<number>,
  nx: number,
  ny: number,
  window: [number, number],
  y: number,
  mask?: ArrayLike<number>,
): RasterImage {
  const grey = applyColormap(image, nx, ny, window[0], window[1], GREY_MAP);
  const data = new Uint8Array(nx * ny * 3);
  for (let x = 0; x < nx; x++) {
    for (let c = 0; c < ny; c++) {
      const g = grey.data[x * ny + c], o = 3 * (x * ny + c);
      if (c === y) data.set([255, 64, 48], o);
      else if (mask && mask[x + nx * c]) {
        data.set([
          Math.round(0.55 * g + 0.45 * 255),
          Math.round(0.55 * g + 0.45 * 200),
          Math.round(0.55 * g),
        ], o);
      } else data.set([g, g, g], o);
    }
  }
  return { width: ny, height: nx, channels: 3, data };
}
