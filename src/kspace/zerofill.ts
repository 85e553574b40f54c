/**
 * Zero-filled root-sum-of-squares images: centred orthonormal inverse FFT of the
 * (undersampled) k-space of every coil, combined by root-sum-of-squares. The reference floor
 * of every comparison, and how the official ground truth is made from fully sampled
 * k-space.
 *
 * Arrays are complex interleaved `Float32Array`s, MATLAB dims, column-major (x fastest).
 *
 * @module
 */

import { ShapeError } from "../errors.ts";
import { rss } from "./complex.ts";
import { ifft2c } from "./fft.ts";

/**
 * Zero-filled RSS images of a k-space slab.
 *
 * @param kspace complex interleaved, MATLAB dims `(kx, ky, coil, ...rest)` column-major
 *   (e.g. one slice: `(kx, ky, coil, 1, frame)`); not modified
 * @param dims its MATLAB dims; `dims[2]` is the coil count (1 for single-coil data laid out
 *   as `(kx, ky, 1, ...)`)
 * @returns magnitude images, MATLAB dims `(x, y, ...rest)`, Float32Array
 */
export function zeroFilledRss(kspace: Float32Array, dims: number[]): Float32Array {
  const [nx, ny, nc = 1] = dims;
  const npix = nx * ny;
  const rest = dims.slice(3).reduce((a, b) => a * b, 1);
  if (kspace.length !== 2 * npix * nc * rest) {
    throw new ShapeError(
      `k-space has ${kspace.length / 2} complex values, dims [${dims.join(", ")}] need ${
        npix * nc * rest
      }`,
    );
  }
  const out = new Float32Array(npix * rest);
  const coilImages = new Float32Array(2 * npix * nc);
  for (let r = 0; r < rest; r++) {
    ifft2c(kspace.subarray(2 * npix * nc * r, 2 * npix * nc * (r + 1)), nx, ny, nc, coilImages);
    out.set(rss(coilImages, npix, nc), npix * r);
  }
  return out;
}
