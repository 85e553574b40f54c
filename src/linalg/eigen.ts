/**
 * Eigendecompositions of small dense matrices: complex Hermitian ones by cyclic Jacobi
 * rotations ({@link jacobiEigen}, orders up to a few tens) or by Householder
 * tridiagonalisation and implicit QL ({@link hermitianEigenvalues}, hundreds), and real
 * symmetric ones by cyclic Jacobi ({@link symmetricJacobiEigen}).
 *
 * Complex matrices are split: separate real and imaginary `Float64Array`s, column-major
 * `(n, n)` (entry `(r, c)` at `r + n * c`); eigenvectors are returned as columns the same
 * way. The real symmetric solver works on one row-major `Float64Array`.
 *
 * @module
 */

/**
 * Eigendecomposition of a small complex Hermitian matrix by cyclic complex Jacobi
 * rotations (each rotation is a diagonal phase that makes the pivot real, then a real
 * Givens rotation). Eigenvalues are returned in descending order with their eigenvectors.
 *
 * @param ar real part of A, column-major `(n, n)`; overwritten
 * @param ai imaginary part of A, column-major `(n, n)`; overwritten
 * @param n order
 * @param values out: eigenvalues, descending, length >= n
 * @param vr out: eigenvector real parts, column j = eigenvector j, `(n, n)`
 * @param vi out: eigenvector imaginary parts
 */
export function jacobiEigen(
  ar: Float64Array,
  ai: Float64Array,
  n: number,
  values: Float64Array,
  vr: Float64Array,
  vi: Float64Array,
): void {
  vr.fill(0, 0, n * n);
  vi.fill(0, 0, n * n);
  for (let i = 0; i < n; i++) vr[i + n * i] = 1;
  let diag = 0;
  for (let i = 0; i < n; i++) diag += ar[i + n * i] ** 2;
  for (let sweep = 0; sweep < 30; sweep++) {
    let off = 0;
    for (let q = 1; q < n; q++) {
      for (let p = 0; p < q; p++) off += ar[p + n * q] ** 2 + ai[p + n * q] ** 2;
    }
    if (off <= 1e-30 * diag || off === 0) break;
    for (let q = 1; q < n; q++) {
      for (let p = 0; p < q; p++) {
        const br = ar[p + n * q], bi = ai[p + n * q];
        const bm = Math.hypot(br, bi);
        if (bm === 0) continue;
        const app = ar[p + n * p], aqq = ar[q + n * q];
        // rotation of [[app, |b|], [|b|, aqq]] after the phase diag(1, e^{-i phi})
        const tau = (aqq - app) / (2 * bm);
        const t = (tau >= 0 ? 1 : -1) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
        const c = 1 / Math.sqrt(1 + t * t), s = t * c;
        const er = br / bm, ei = -bi / bm; // e^{-i phi}
        // J = [[c, s], [-s e, c e]] on columns p, q (e = e^{-i phi})
        const jqpr = -s * er, jqpi = -s * ei, jqqr = c * er, jqqi = c * ei;
        // A <- A J (columns)
        for (let r = 0; r < n; r++) {
          const xpr = ar[r + n * p], xpi = ai[r + n * p];
          const xqr = ar[r + n * q], xqi = ai[r + n * q];
          ar[r + n * p] = c * xpr + (xqr * jqpr - xqi * jqpi);
          ai[r + n * p] = c * xpi + (xqr * jqpi + xqi * jqpr);
          ar[r + n * q] = s * xpr + (xqr * jqqr - xqi * jqqi);
          ai[r + n * q] = s * xpi + (xqr * jqqi + xqi * jqqr);
        }
        // A <- J^H A (rows): row p = c row_p + conj(jqp) row_q ; row q = s row_p + conj(jqq) row_q
        for (let col = 0; col < n; col++) {
          const o = n * col;
          const xpr = ar[p + o], xpi = ai[p + o], xqr = ar[q + o], xqi = ai[q + o];
          ar[p + o] = c * xpr + (jqpr * xqr + jqpi * xqi);
          ai[p + o] = c * xpi + (jqpr * xqi - jqpi * xqr);
          ar[q + o] = s * xpr + (jqqr * xqr + jqqi * xqi);
          ai[q + o] = s * xpi + (jqqr * xqi - jqqi * xqr);
        }
        ar[p + n * q] =
          ai[p + n * q] =
          ar[q + n * p] =
          ai[q + n * p] =
            0;
        ai[p + n * p] = ai[q + n * q] = 0;
        // V <- V J
        for (let r = 0; r < n; r++) {
          const xpr = vr[r + n * p], xpi = vi[r + n * p];
          const xqr = vr[r + n * q], xqi = vi[r + n * q];
          vr[r + n * p] = c * xpr + (xqr * jqpr - xqi * jqpi);
          vi[r + n * p] = c * xpi + (xqr * jqpi + xqi * jqpr);
          vr[r + n * q] = s * xpr + (xqr * jqqr - xqi * jqqi);
          vi[r + n * q] = s * xpi + (xqr * jqqi + xqi * jqqr);
        }
      }
    }
  }
  // sort descending (selection sort; n is small)
  for (let i = 0; i < n; i++) values[i] = ar[i + n * i];
  for (let i = 0; i < n; i++) {
    let best = i;
    for (let j = i + 1; j < n; j++) if (values[j] > values[best]) best = j;
    if (best === i) continue;
    const tv = values[i];
    values[i] = values[best];
    values[best] = tv;
    for (let r = 0; r < n; r++) {
      const a = vr[r + n * i], b = vi[r + n * i];
      vr[r + n * i] = vr[r + n * best];
      vi[r + n * i] = vi[r + n * best];
      vr[r + n * best] = a;
      vi[r + n * best] = b;
    }
  }
}

/** Result of {@link hermitianEigenvalues}. */
export interface HermitianEigen {
  /** All eigenvalues, descending. */
  values: Float64Array;
  /**
   * The eigenvectors of the `count` largest eigenvalues, column-major `(n, count)` complex
   * (separate real and imaginary arrays).
   */
  vectors(count: number): { re: Float64Array; im: Float64Array };
}

/**
 * Eigendecomposition of a dense complex Hermitian matrix (e.g. the ESPIRiT block
 * covariance, 360 x 360): Householder reduction to a complex tridiagonal matrix, a
 * diagonal unitary scaling that makes it real, the implicit QL algorithm with Wilkinson
 * shifts on the real tridiagonal (accumulating the real rotations), and the back
 * transformation of only the eigenvectors asked for.
 *
 * @param ar real part, column-major `(n, n)` (only read; copied)
 * @param ai imaginary part, column-major `(n, n)`
 * @param n order
 * @returns eigenvalues (descending) and a function producing the leading eigenvectors
 */
export function hermitianEigenvalues(
  ar: Float64Array,
  ai: Float64Array,
  n: number,
): HermitianEigen {
  const a = Float64Array.from(ar.subarray(0, n * n)), b = Float64Array.from(ai.subarray(0, n * n));
  // Householder vectors u_k (unit, length n-k-1, stored in column k below the diagonal).
  const ur = new Float64Array(n * n), ui = new Float64Array(n * n);
  const has = new Uint8Array(n);
  const d = new Float64Array(n), er = new Float64Array(n), ei = new Float64Array(n);
  const pr = new Float64Array(n), pi = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    const col = n * k;
    let tail = 0;
    for (let i = k + 2; i < n; i++) tail += a[col + i] ** 2 + b[col + i] ** 2;
    const x0r = a[col + k + 1], x0i = b[col + k + 1];
    if (tail === 0) {
      er[k] = x0r;
      ei[k] = x0i;
      continue;
    }
    const x0m = Math.hypot(x0r, x0i);
    const xn = Math.sqrt(tail + x0m * x0m);
    // alpha = -e^{i arg x0} |x|
    const phr = x0m > 0 ? x0r / x0m : 1, phi = x0m > 0 ? x0i / x0m : 0;
    const alr = -phr * xn, ali = -phi * xn;
    // v = x - alpha e1, |v|^2 = 2 |x|^2 + 2 |x| |x0|
    const vn = Math.sqrt(2 * xn * xn + 2 * xn * x0m);
    const m0 = k + 1;
    for (let i = m0; i < n; i++) {
      ur[col + i] = a[col + i] / vn;
      ui[col + i] = b[col + i] / vn;
    }
    ur[col + m0] = (x0r - alr) / vn;
    ui[col + m0] = (x0i - ali) / vn;
    has[k] = 1;
    er[k] = alr;
    ei[k] = ali;
    // B = A[m0:, m0:] <- H B H = B - u q^H - q u^H, p = 2 B u, q = p - 2 (u^H B u) u
    let beta = 0;
    for (let i = m0; i < n; i++) {
      pr[i] = 0;
      pi[i] = 0;
    }
    for (let j = m0; j < n; j++) {
      const vjr = ur[col + j], vji = ui[col + j], oj = n * j;
      for (let i = m0; i < n; i++) {
        const xr = a[oj + i], xi = b[oj + i];
        pr[i] += xr * vjr - xi * vji;
        pi[i] += xr * vji + xi * vjr;
      }
    }
    for (let i = m0; i < n; i++) {
      // beta = u^H (B u)
      beta += ur[col + i] * pr[i] + ui[col + i] * pi[i];
    }
    for (let i = m0; i < n; i++) {
      pr[i] = 2 * pr[i] - 2 * beta * ur[col + i];
      pi[i] = 2 * pi[i] - 2 * beta * ui[col + i];
    }
    // B[i, j] -= u_i conj(q_j) + q_i conj(u_j)
    for (let j = m0; j < n; j++) {
      const ujr = ur[col + j], uji = ui[col + j], qjr = pr[j], qji = pi[j], oj = n * j;
      for (let i = m0; i < n; i++) {
        const uir = ur[col + i], uii = ui[col + i], qir = pr[i], qii = pi[i];
        a[oj + i] -= uir * qjr + uii * qji + qir * ujr + qii * uji;
        b[oj + i] -= uii * qjr - uir * qji + qii * ujr - qir * uji;
      }
    }
  }
  for (let i = 0; i < n; i++) d[i] = a[i + n * i];
  if (n >= 2) {
    er[n - 2] = a[n - 1 + n * (n - 2)];
    ei[n - 2] = b[n - 1 + n * (n - 2)];
  }
  // Diagonal unitary D making the subdiagonal real: D_{k+1} = D_k e_k / |e_k|.
  const dr = new Float64Array(n), di = new Float64Array(n);
  const e = new Float64Array(n);
  dr[0] = 1;
  for (let k = 0; k < n - 1; k++) {
    const m = Math.hypot(er[k], ei[k]);
    e[k] = m;
    const sr = m > 0 ? er[k] / m : 1, si = m > 0 ? ei[k] / m : 0;
    dr[k + 1] = dr[k] * sr - di[k] * si;
    di[k + 1] = dr[k] * si + di[k] * sr;
  }
  const z = new Float64Array(n * n);
  for (let i = 0; i < n; i++) z[i + n * i] = 1;
  tridiagonalQL(d, e, z, n);
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => d[j] - d[i]);
  const values = Float64Array.from(order, (i) => d[i]);
  return {
    values,
    vectors(count: number) {
      const re = new Float64Array(n * count), im = new Float64Array(n * count);
      for (let j = 0; j < count; j++) {
        const zc = n * order[j], o = n * j;
        for (let i = 0; i < n; i++) {
          re[o + i] = dr[i] * z[zc + i];
          im[o + i] = di[i] * z[zc + i];
        }
        // y <- H_0 H_1 ... H_{n-3} y, applying H_{n-3} first
        for (let k = n - 3; k >= 0; k--) {
          if (!has[k]) continue;
          const col = n * k;
          let sr = 0, si = 0; // u^H y
          for (let i = k + 1; i < n; i++) {
            sr += ur[col + i] * re[o + i] + ui[col + i] * im[o + i];
            si += ur[col + i] * im[o + i] - ui[col + i] * re[o + i];
          }
          sr *= 2;
          si *= 2;
          for (let i = k + 1; i < n; i++) {
            re[o + i] -= ur[col + i] * sr - ui[col + i] * si;
            im[o + i] -= ur[col + i] * si + ui[col + i] * sr;
          }
        }
      }
      return { re, im };
    },
  };
}

/**
 * Implicit QL with Wilkinson shifts on a real symmetric tridiagonal matrix (diagonal `d`,
 * off-diagonal `e[i]` between i and i+1). On return `d` holds the eigenvalues and column j
 * of `z` (column-major n x n, accumulated from its initial value) the j-th eigenvector.
 */
function tridiagonalQL(d: Float64Array, e: Float64Array, z: Float64Array, n: number): void {
  e[n - 1] = 0;
  for (let l = 0; l < n; l++) {
    for (let iter = 0; iter < 60; iter++) {
      let m = l;
      for (; m < n - 1; m++) {
        const dd = Math.abs(d[m]) + Math.abs(d[m + 1]);
        if (Math.abs(e[m]) <= Number.EPSILON * dd) break;
      }
      if (m === l) break;
      let g = (d[l + 1] - d[l]) / (2 * e[l]);
      let r = Math.hypot(g, 1);
      g = d[m] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
      let s = 1, c = 1, p = 0;
      let i = m - 1;
      let underflow = false;
      for (; i >= l; i--) {
        let f = s * e[i];
        const bb = c * e[i];
        r = Math.hypot(f, g);
        e[i + 1] = r;
        if (r === 0) {
          d[i + 1] -= p;
          e[m] = 0;
          underflow = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1] - p;
        r = (d[i] - g) * s + 2 * c * bb;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - bb;
        const o1 = n * (i + 1), o0 = n * i;
        for (let k = 0; k < n; k++) {
          f = z[o1 + k];
          z[o1 + k] = s * z[o0 + k] + c * f;
          z[o0 + k] = c * z[o0 + k] - s * f;
        }
      }
      if (underflow) continue;
      d[l] -= p;
      e[l] = g;
      e[m] = 0;
    }
  }
}

/**
 * Eigenvalues and eigenvectors of a real symmetric `m x m` matrix (row-major) by cyclic
 * Jacobi rotations. `a` is destroyed; `v` receives the eigenvectors as columns.
 * @param a the matrix, row-major `(m, m)`; overwritten
 * @param m order
 * @param v out: eigenvectors as columns, row-major `(m, m)` (`v[k * m + j]` = component k of
 *   eigenvector j)
 * @returns the eigenvalues, in the order of the columns of `v` (not sorted)
 */
export function symmetricJacobiEigen(a: Float64Array, m: number, v: Float64Array): number[] {
  v.fill(0);
  for (let i = 0; i < m; i++) v[i * m + i] = 1;
  let total = 0;
  for (let i = 0; i < m * m; i++) total += a[i] * a[i];
  const eps = 1e-30 * total;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < m; p++) {
      for (let q = p + 1; q < m; q++) off += a[p * m + q] * a[p * m + q];
    }
    if (off <= eps) break;
    for (let p = 0; p < m - 1; p++) {
      for (let q = p + 1; q < m; q++) {
        const apq = a[p * m + q];
        if (apq === 0) continue;
        const app = a[p * m + p], aqq = a[q * m + q];
        // rotation [[c, s], [-s, c]] that zeroes a[p][q]
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < m; k++) {
          const akp = a[k * m + p], akq = a[k * m + q];
          a[k * m + p] = c * akp - s * akq;
          a[k * m + q] = s * akp + c * akq;
        }
        for (let k = 0; k < m; k++) {
          const apk = a[p * m + k], aqk = a[q * m + k];
          a[p * m + k] = c * apk - s * aqk;
          a[q * m + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < m; k++) {
          const vkp = v[k * m + p], vkq = v[k * m + q];
          v[k * m + p] = c * vkp - s * vkq;
          v[k * m + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const out: number[] = [];
  for (let i = 0; i < m; i++) out.push(a[i * m + i]);
  return out;
}
