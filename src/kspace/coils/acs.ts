/**
 * Fast low-resolution coil sensitivities from the ACS band alone ("ACS / RSS" maps): the
 * windowed central k-space of every coil, inverse-FFT'd and divided by the root-sum-of-
 * squares over coils.
 *
 * K-space and maps are complex interleaved `Float32Array`s, MATLAB dims `(kx, ky, coil)` /
 * `(x, y, coil)`, column-major (x fastest), on the grid of `ifft2c` of the k-space.
 *
 * @module
 */

import { ifft2c } from "../fft.ts";
import { checkBand, checkLength, rotateToVirtualCoil, virtualCoil } from "./calibration.ts";

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
