/**
 * Shared builders of the model tests: a random undersampled slice and the relative error
 * they compare outputs with.
 *
 * @module
 */

import { uniformMask2d } from "../../src/kspace/mask.ts";
import type { SliceInput } from "../../src/kspace/slice.ts";
import { Rng } from "../../src/synth/random.ts";

/**
 * A cine slice of Gaussian k-space (scale 1e-3, seeded) kept on a uniform R 4 mask with
 * `acs` central lines: MATLAB dims `(kx, ky, coil, frame)` = `[nx, ny, nc, nt]`.
 */
export function randomSlice(
  nx: number,
  ny: number,
  nc: number,
  nt: number,
  seed: number,
  acs: number,
): SliceInput {
  const rng = new Rng(seed);
  const mask = uniformMask2d(nx, ny, 4, acs);
  const k = new Float32Array(2 * nx * ny * nc * nt).map(() => rng.gaussian() * 1e-3);
  for (let i = 0; i < k.length / 2; i++) {
    if (!mask[i % (nx * ny)]) k[2 * i] = k[2 * i + 1] = 0;
  }
  return { kspace: k, dims: [nx, ny, nc, nt], mask, maskDims: [nx, ny], task: "cine" };
}

/** The largest absolute difference over the largest magnitude of `b`. */
export function maxRel(a: Float32Array, b: Float32Array): number {
  let e = 0, n = 0;
  for (let i = 0; i < a.length; i++) {
    e = Math.max(e, Math.abs(a[i] - b[i]));
    n = Math.max(n, Math.abs(b[i]));
  }
  return e / n;
}
