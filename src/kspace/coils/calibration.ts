/**
 * What both coil-map estimators calibrate on and share: the time average of a slice's
 * k-space, the "virtual body coil" whose phase the maps are rotated to (as BART's `ecalib`
 * does by default), and the size checks of their inputs.
 *
 * K-space and maps are complex interleaved `Float32Array`s, MATLAB dims `(kx, ky, coil)` /
 * `(x, y, coil[, map])`, column-major (x fastest).
 *
 * @module
 */

import { ShapeError } from "../../errors.ts";
import { jacobiEigen } from "../../linalg/eigen.ts";
import type { SliceInput } from "../slice.ts";

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

/**
 * Throws unless `data` holds exactly `floats` values.
 * @param what the name in the message
 * @param data complex interleaved array
 * @param floats expected length (twice the complex count)
 * @throws {ShapeError} when the length differs
 */
export function checkLength(what: string, data: Float32Array, floats: number): void {
  if (data.length !== floats) {
    throw new ShapeError(
      `${what} holds ${data.length / 2} complex values, expected ${floats / 2}`,
    );
  }
}

/**
 * Checks an ACS band `[y0, y1)` lies within `0..ny` and spans at least `min` lines.
 * @returns the band
 * @throws {ShapeError} otherwise
 */
export function checkBand(
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

/**
 * First principal component of the coil covariance of a k-space region (by Parseval
 * the covariance of the low-resolution coil images): the virtual body coil whose phase
 * the maps are rotated to.
 * @param kspace complex interleaved k-space, MATLAB dims `(kx, ky, coil)`
 * @param xr kx range `[start, end)` of the region
 * @param yr ky range `[start, end)` of the region
 * @returns the coil weights `w`, interleaved (re, im), length `2 nc`, normalised, `w_0`
 *   real >= 0
 */
export function virtualCoil(
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

/**
 * Rotates each pixel's coil vector so that `w^H s` is real and positive (pixels where it is
 * 0 are left alone).
 * @param maps complex interleaved maps, MATLAB dims `(x, y, coil, map)`; modified in place
 * @param npix pixels per map
 * @param nc coils
 * @param nmaps maps
 * @param w the virtual coil from {@link virtualCoil}
 */
export function rotateToVirtualCoil(
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
