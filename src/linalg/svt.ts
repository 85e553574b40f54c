/**
 * Singular value soft-thresholding (the proximal map of the nuclear norm) of a tall complex
 * matrix with few columns, computed through the eigendecomposition of its small Gram
 * matrix instead of an SVD.
 *
 * The matrix `C` (npix x nt) is split complex: separate real and imaginary `Float64Array`s,
 * column-major (`C[p, t]` at `p + npix * t`), e.g. the Casorati matrix pixels x frames.
 *
 * @module
 */

import { symmetricJacobiEigen } from "./eigen.ts";

/**
 * Singular value soft-thresholding of a tall complex matrix `C` (npix x nt, column-major,
 * split re/im) through the eigendecomposition of its `nt x nt` Gram matrix.
 */
export class Svt {
  private readonly nt: number;
  private readonly gRe: Float64Array;
  private readonly gIm: Float64Array;
  /** Real symmetric embedding `[[Gr, -Gi], [Gi, Gr]]` of the Gram matrix (destroyed). */
  private readonly a: Float64Array;
  /** Its eigenvectors, as columns. */
  private readonly v: Float64Array;
  private readonly wRe: Float64Array;
  private readonly wIm: Float64Array;
  private readonly rowRe: Float64Array;
  private readonly rowIm: Float64Array;

  /**
   * Allocates the Gram matrix and work space.
   * @param nt columns of the matrices it will threshold (frames)
   */
  constructor(nt: number) {
    this.nt = nt;
    const m = 2 * nt;
    this.gRe = new Float64Array(nt * nt);
    this.gIm = new Float64Array(nt * nt);
    this.a = new Float64Array(m * m);
    this.v = new Float64Array(m * m);
    this.wRe = new Float64Array(nt * nt);
    this.wIm = new Float64Array(nt * nt);
    this.rowRe = new Float64Array(nt);
    this.rowIm = new Float64Array(nt);
  }

  /**
   * Largest singular value of `C`.
   * @param re real parts of C, column-major `(npix, nt)`
   * @param im imaginary parts of C
   * @param npix rows of C
   */
  sigmaMax(re: Float64Array, im: Float64Array, npix: number): number {
    this.gram(re, im, npix);
    const eig = this.eigen();
    return Math.sqrt(Math.max(0, ...eig));
  }

  /**
   * `C <- SVT(C, tau) = U max(Sigma - tau, 0) V^H` in place.
   * @param re real parts of C, column-major `(npix, nt)`; overwritten
   * @param im imaginary parts of C; overwritten
   * @param npix rows of C
   * @param tau threshold on the singular values (<= 0: C unchanged)
   * @returns the rank of the result
   */
  threshold(re: Float64Array, im: Float64Array, npix: number, tau: number): number {
    const { nt, v, wRe, wIm, rowRe, rowIm } = this;
    if (tau <= 0) return nt;
    this.gram(re, im, npix);
    const eig = this.eigen();
    const m = 2 * nt;
    const f = eig.map((l) => (l > 0 ? Math.max(Math.sqrt(l) - tau, 0) / Math.sqrt(l) : 0));
    let kept = 0;
    for (const x of f) if (x > 0) kept++;
    // embed(W) = V diag(f) V^T for W = f(G); Wr = top-left block, Wi = bottom-left block
    for (let s = 0; s < nt; s++) {
      for (let t = 0; t < nt; t++) {
        let r = 0, i = 0;
        for (let k = 0; k < m; k++) {
          const fk = f[k];
          if (fk === 0) continue;
          const vt = fk * v[t * m + k];
          r += v[s * m + k] * vt;
          i += v[(s + nt) * m + k] * vt;
        }
        wRe[s * nt + t] = r;
        wIm[s * nt + t] = i;
      }
    }
    // C <- C W, row by row
    for (let p = 0; p < npix; p++) {
      for (let t = 0; t < nt; t++) {
        rowRe[t] = re[p + npix * t];
        rowIm[t] = im[p + npix * t];
      }
      for (let t = 0; t < nt; t++) {
        let ar = 0, ai = 0;
        for (let s = 0; s < nt; s++) {
          const cr = rowRe[s], ci = rowIm[s];
          const w = s * nt + t;
          ar += cr * wRe[w] - ci * wIm[w];
          ai += cr * wIm[w] + ci * wRe[w];
        }
        re[p + npix * t] = ar;
        im[p + npix * t] = ai;
      }
    }
    return kept >> 1; // eigenvalues of the real embedding come in equal pairs
  }

  /** Gram matrix `G[s][t] = sum_p conj(C[p,s]) C[p,t]` into gRe/gIm. */
  private gram(re: Float64Array, im: Float64Array, npix: number): void {
    const { nt, gRe, gIm, rowRe, rowIm } = this;
    gRe.fill(0);
    gIm.fill(0);
    for (let p = 0; p < npix; p++) {
      for (let t = 0; t < nt; t++) {
        rowRe[t] = re[p + npix * t];
        rowIm[t] = im[p + npix * t];
      }
      for (let s = 0; s < nt; s++) {
        const ar = rowRe[s], ai = rowIm[s];
        const o = s * nt;
        for (let t = s; t < nt; t++) {
          const br = rowRe[t], bi = rowIm[t];
          gRe[o + t] += ar * br + ai * bi;
          gIm[o + t] += ar * bi - ai * br;
        }
      }
    }
    for (let s = 0; s < nt; s++) {
      for (let t = 0; t < s; t++) {
        gRe[s * nt + t] = gRe[t * nt + s];
        gIm[s * nt + t] = -gIm[t * nt + s];
      }
    }
  }

  /** Eigenvalues of the embedded Gram matrix (each twice); eigenvectors into `v`. */
  private eigen(): number[] {
    const { nt, gRe, gIm, a, v } = this;
    const m = 2 * nt;
    for (let s = 0; s < nt; s++) {
      for (let t = 0; t < nt; t++) {
        const r = gRe[s * nt + t], i = gIm[s * nt + t];
        a[s * m + t] = r;
        a[(s + nt) * m + t + nt] = r;
        a[(s + nt) * m + t] = i;
        a[s * m + t + nt] = -i;
      }
    }
    return symmetricJacobiEigen(a, m, v);
  }
}
