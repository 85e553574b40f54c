/**
 * Small dense complex matrix kernels for subspace (power) iterations: a matrix product and
 * modified Gram-Schmidt orthonormalisation of columns.
 *
 * Matrices are split complex: separate real and imaginary `Float64Array`s, column-major
 * (`(n, m)`: entry `(r, c)` at `r + n * c`).
 *
 * @module
 */

/**
 * `U = M V` for an `n x n` matrix M (e.g. a Hermitian one) and an `n x m` matrix V.
 * @param mr real part of M, column-major `(n, n)`
 * @param mi imaginary part of M
 * @param vr real part of V, column-major `(n, m)`
 * @param vi imaginary part of V
 * @param ur out: real part of U, column-major `(n, m)` (must not alias V)
 * @param ui out: imaginary part of U
 * @param n rows of M, V and U
 * @param m columns of V and U
 */
export function complexMatmul(
  mr: Float64Array,
  mi: Float64Array,
  vr: Float64Array,
  vi: Float64Array,
  ur: Float64Array,
  ui: Float64Array,
  n: number,
  m: number,
): void {
  ur.fill(0, 0, n * m);
  ui.fill(0, 0, n * m);
  for (let j = 0; j < m; j++) {
    for (let c = 0; c < n; c++) {
      const br = vr[c + n * j], bi = vi[c + n * j];
      if (br === 0 && bi === 0) continue;
      const col = n * c, out = n * j;
      for (let r = 0; r < n; r++) {
        const ar = mr[col + r], ai = mi[col + r];
        ur[out + r] += ar * br - ai * bi;
        ui[out + r] += ar * bi + ai * br;
      }
    }
  }
}

/**
 * Modified Gram-Schmidt on the m columns of an n x m complex matrix, in place. A column
 * that vanishes is replaced by a unit vector not in the span of the previous ones.
 * @param vr real part, column-major `(n, m)`; overwritten with orthonormal columns
 * @param vi imaginary part
 * @param n rows
 * @param m columns (at most n)
 */
export function orthonormalize(vr: Float64Array, vi: Float64Array, n: number, m: number): void {
  for (let j = 0; j < m; j++) {
    const oj = n * j;
    for (let attempt = 0; attempt <= n; attempt++) {
      for (let i = 0; i < j; i++) {
        const oi = n * i;
        let sr = 0, si = 0; // <v_i, v_j> = v_i^H v_j
        for (let c = 0; c < n; c++) {
          sr += vr[oi + c] * vr[oj + c] + vi[oi + c] * vi[oj + c];
          si += vr[oi + c] * vi[oj + c] - vi[oi + c] * vr[oj + c];
        }
        for (let c = 0; c < n; c++) {
          vr[oj + c] -= sr * vr[oi + c] - si * vi[oi + c];
          vi[oj + c] -= sr * vi[oi + c] + si * vr[oi + c];
        }
      }
      let nrm = 0;
      for (let c = 0; c < n; c++) nrm += vr[oj + c] ** 2 + vi[oj + c] ** 2;
      nrm = Math.sqrt(nrm);
      if (nrm > 1e-30) {
        for (let c = 0; c < n; c++) {
          vr[oj + c] /= nrm;
          vi[oj + c] /= nrm;
        }
        break;
      }
      vr.fill(0, oj, oj + n);
      vi.fill(0, oj, oj + n);
      vr[oj + ((j + attempt) % n)] = 1;
    }
  }
}
