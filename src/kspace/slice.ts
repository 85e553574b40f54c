/**
 * One slice of undersampled k-space with its mask: what reconstruction methods and
 * coil-sensitivity estimators take.
 *
 * @module
 */

/** One slice to reconstruct. */
export interface SliceInput {
  /**
   * Undersampled k-space of one slice, complex interleaved, MATLAB dims
   * `(kx, ky, coil, frame)` column-major (kx fastest). Unsampled entries are zero.
   * Single-coil data has `coil = 1`.
   */
  kspace: Float32Array;
  /** `[nx, ny, nc, nt]`. */
  dims: [number, number, number, number];
  /**
   * Sampling mask, MATLAB dims `(kx, ky)` (the same for every frame, 2023) or
   * `(kx, ky, frame)` (k-t masks, 2024/2025); non-zero = sampled.
   */
  mask: Float32Array;
  /** `[nx, ny]` or `[nx, ny, nt]`. */
  maskDims: number[];
  /** `cine`: frames of a cardiac cycle (periodic); `mapping`: T1/T2 weightings. */
  kind: "cine" | "mapping";
}
