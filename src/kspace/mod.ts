/**
 * K-space: the public API of src/kspace/. Centred 2-D FFTs and a 1-D FFT of any length,
 * complex element-wise helpers, undersampling masks and ACS detection, finding the k-space
 * variable of a file and its geometry, the one-slice contract every reconstruction
 * implements ({@link Reconstructor}, {@link SliceInput}, {@link SliceOutput}), zero-filled
 * RSS images, the multi-coil encoding operator, and coil sensitivity maps (ACS/RSS and
 * ESPIRiT) with SENSE-1 coil combination.
 *
 * Arrays are complex interleaved `(re, im)` `Float32Array`s with MATLAB dims in MATLAB's
 * column-major order (kx / x fastest), e.g. one slice of multi-coil k-space is
 * `(kx, ky, coil, frame)`.
 *
 * ```ts
 * import { ifft2c, rss, uniformMask2d } from "./mod.ts";
 *
 * const [nx, ny, nc] = [64, 48, 4];
 * const kspace = new Float32Array(2 * nx * ny * nc); // (kx, ky, coil), interleaved
 * const mask = uniformMask2d(nx, ny, 4, 16); // (kx, ky): R = 4, 16 ACS lines
 * for (let c = 0; c < nc; c++) {
 *   for (let i = 0; i < nx * ny; i++) {
 *     if (!mask[i]) kspace.fill(0, 2 * (c * nx * ny + i), 2 * (c * nx * ny + i) + 2);
 *   }
 * }
 * const coilImages = ifft2c(kspace, nx, ny, nc); // (x, y, coil), interleaved
 * const image = rss(coilImages, nx * ny, nc); // (x, y) magnitude
 * ```
 *
 * @module
 */

export { fft, fft2c, type FftPlan, fftPlan, ifft, ifft2c } from "./fft.ts";
export { abs, multiply, multiplyConj, rss } from "./complex.ts";
export { accelerationOf, acsRange, sampledLines, uniformLines, uniformMask2d } from "./mask.ts";
export {
  acsFullySampled,
  acsRegion,
  effectiveAcceleration,
  KT_EDITIONS,
  KT_PATTERNS,
  ktMask,
  type KtMaskOptions,
  type KtPattern,
  seededRandom,
} from "./masks_kt.ts";
export {
  findKspaceVariable,
  KSPACE_EXPECTED,
  type KspaceGeometry,
  kspaceGeometry,
  whyNotKspace,
} from "./geometry.ts";
export { lineSampled, type Reconstructor, type SliceInput, type SliceOutput } from "./slice.ts";
export { zeroFilledRss } from "./zerofill.ts";
export { EncodingOperator } from "./encoding.ts";
export * from "./coils/mod.ts";
// The MATLAB file types that findKspaceVariable and kspaceGeometry take (defined in src/mat/,
// re-exported so that every type in this entry point's signatures is reachable from it).
export type {
  DimRange,
  MatArray,
  MatClass,
  MatFormat,
  MatReader,
  MatVarInfo,
  ReadOptions,
} from "../mat/mod.ts";
