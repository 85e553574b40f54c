/**
 * Complex Cholesky factorisation `A = L L^H` of a Hermitian positive definite matrix and
 * the solve of `L L^H X = B` with it (regularised least squares through the normal
 * equations, e.g. GRAPPA kernel calibration).
 *
 * Matrices are row-major complex interleaved `Float64Array`s: entry `(i, j)` of an `n x n`
 * matrix has real part at `2 * (i * n + j)` and imaginary part at the next index.
 *
 * @module
 */

/**
 * In-place complex Cholesky `A = L L^H` of a Hermitian matrix, row-major complex
 * interleaved `n x n`; the lower triangle receives L. False when not positive definite.
 */
export function choleskyInPlace(a: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    const rj = 2 * j * n;
    let d = a[rj + 2 * j];
    for (let k = 0; k < j; k++) d -= a[rj + 2 * k] ** 2 + a[rj + 2 * k + 1] ** 2;
    if (!(d > 0)) return false;
    const ljj = Math.sqrt(d);
    a[rj + 2 * j] = ljj;
    a[rj + 2 * j + 1] = 0;
    const inv = 1 / ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = 2 * i * n;
      let sr = a[ri + 2 * j], si = a[ri + 2 * j + 1];
      for (let k = 0; k < j; k++) {
        // L[i][k] * conj(L[j][k])
        const xr = a[ri + 2 * k], xi = a[ri + 2 * k + 1];
        const yr = a[rj + 2 * k], yi = a[rj + 2 * k + 1];
        sr -= xr * yr + xi * yi;
        si -= xi * yr - xr * yi;
      }
      a[ri + 2 * j] = sr * inv;
      a[ri + 2 * j + 1] = si * inv;
    }
  }
  return true;
}

/**
 * Solves `L L^H X = B` in place for `nrhs` right-hand sides stored as `B[i * nrhs + r]`
 * (complex interleaved), with `L` from {@link choleskyInPlace}.
 */
export function choleskySolve(l: Float64Array, n: number, b: Float64Array, nrhs: number): void {
  for (let r = 0; r < nrhs; r++) {
    // forward: L z = b
    for (let i = 0; i < n; i++) {
      const ri = 2 * i * n;
      let sr = b[2 * (i * nrhs + r)], si = b[2 * (i * nrhs + r) + 1];
      for (let k = 0; k < i; k++) {
        const lr = l[ri + 2 * k], li = l[ri + 2 * k + 1];
        const zr = b[2 * (k * nrhs + r)], zi = b[2 * (k * nrhs + r) + 1];
        sr -= lr * zr - li * zi;
        si -= lr * zi + li * zr;
      }
      const d = l[ri + 2 * i];
      b[2 * (i * nrhs + r)] = sr / d;
      b[2 * (i * nrhs + r) + 1] = si / d;
    }
    // backward: L^H x = z
    for (let i = n - 1; i >= 0; i--) {
      let sr = b[2 * (i * nrhs + r)], si = b[2 * (i * nrhs + r) + 1];
      for (let k = i + 1; k < n; k++) {
        // conj(L[k][i]) * x_k
        const lr = l[2 * (k * n + i)], li = l[2 * (k * n + i) + 1];
        const xr = b[2 * (k * nrhs + r)], xi = b[2 * (k * nrhs + r) + 1];
        sr -= lr * xr + li * xi;
        si -= lr * xi - li * xr;
      }
      const d = l[2 * (i * n + i)];
      b[2 * (i * nrhs + r)] = sr / d;
      b[2 * (i * nrhs + r) + 1] = si / d;
    }
  }
}
