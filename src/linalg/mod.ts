/**
 * Small dense linear algebra with no knowledge of MRI: complex Cholesky solves
 * (`cholesky.ts`), matrix-free conjugate gradients (`cg.ts`), eigendecompositions of
 * Hermitian and real symmetric matrices (`eigen.ts`), singular value soft-thresholding
 * (`svt.ts`) and complex matrix kernels for subspace iterations (`dense.ts`). This file only
 * re-exports them; each file states its array layout (split or interleaved complex,
 * row- or column-major).
 *
 * @module
 */

export { choleskyInPlace, choleskySolve } from "./cholesky.ts";
export { type CgOptions, type CgResult, CgWork, conjugateGradient } from "./cg.ts";
export {
  type HermitianEigen,
  hermitianEigenvalues,
  jacobiEigen,
  symmetricJacobiEigen,
} from "./eigen.ts";
export { complexMatmul, orthonormalize } from "./dense.ts";
export { Svt } from "./svt.ts";
