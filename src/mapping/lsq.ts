/**
 * Small dense linear algebra for the per-pixel relaxometry fits: Levenberg–Marquardt steps
 * need a 2×2 or 3×3 symmetric solve per iteration, and nothing bigger.
 *
 * @module
 */

/**
 * Solves the damped normal equations `(M + lambda diag(M)) x = rhs` for a symmetric 3×3
 * `M` given by its upper triangle `[m00, m01, m02, m11, m12, m22]` (Marquardt's scaling,
 * which makes the step invariant to the scale of each parameter). Writes `x` into `out`.
 *
 * @returns false when the damped matrix is singular (then `out` is unchanged)
 */
export function solveDamped3(
  m: Float64Array,
  rhs: Float64Array,
  lambda: number,
  out: Float64Array,
): boolean {
  const a = m[0] * (1 + lambda), b = m[1], c = m[2];
  const d = m[3] * (1 + lambda), e = m[4];
  const f = m[5] * (1 + lambda);
  // cofactors of the symmetric matrix [[a b c] [b d e] [c e f]]
  const c00 = d * f - e * e, c01 = c * e - b * f, c02 = b * e - c * d;
  const det = a * c00 + b * c01 + c * c02;
  if (!(Math.abs(det) > 0) || !Number.isFinite(det)) return false;
  const c11 = a * f - c * c, c12 = b * c - a * e, c22 = a * d - b * b;
  const r0 = rhs[0], r1 = rhs[1], r2 = rhs[2];
  out[0] = (c00 * r0 + c01 * r1 + c02 * r2) / det;
  out[1] = (c01 * r0 + c11 * r1 + c12 * r2) / det;
  out[2] = (c02 * r0 + c12 * r1 + c22 * r2) / det;
  return true;
}

/**
 * Solves `(M + lambda diag(M)) x = rhs` for a symmetric 2×2 `M = [m00, m01, m11]`.
 *
 * @returns false when the damped matrix is singular (then `out` is unchanged)
 */
export function solveDamped2(
  m: Float64Array,
  rhs: Float64Array,
  lambda: number,
  out: Float64Array,
): boolean {
  const a = m[0] * (1 + lambda), b = m[1], d = m[2] * (1 + lambda);
  const det = a * d - b * b;
  if (!(Math.abs(det) > 0) || !Number.isFinite(det)) return false;
  out[0] = (d * rhs[0] - b * rhs[1]) / det;
  out[1] = (a * rhs[1] - b * rhs[0]) / det;
  return true;
}

/** Indices that sort `xs` ascending (stable). */
export function argsort(xs: readonly number[]): number[] {
  return xs.map((_, i) => i).sort((i, j) => xs[i] - xs[j] || i - j);
}
