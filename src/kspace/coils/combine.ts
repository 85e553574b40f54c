/**
 * SENSE-1 coil combination: the coil images of a slice combined into one complex image
 * with the coil sensitivity maps.
 *
 * Images and maps are complex interleaved `Float32Array`s, MATLAB dims `(x, y, coil[, frame])`
 * and `(x, y, coil)`, column-major (x fastest).
 *
 * @module
 */

import { ShapeError } from "../../errors.ts";
import { checkLength } from "./calibration.ts";

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
