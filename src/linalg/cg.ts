/**
 * Conjugate gradients for Hermitian positive (semi-)definite systems `A x = b`, with `A`
 * given as a function (matrix-free). Vectors are split complex: separate real and imaginary
 * `Float64Array`s of the same length `n`.
 *
 * @module
 */

/** Work space of {@link conjugateGradient}: three complex vectors, reusable across calls. */
export class CgWork {
  /** Residual `r = b - A x`, real parts. */
  readonly rRe: Float64Array;
  /** Residual, imaginary parts. */
  readonly rIm: Float64Array;
  /** Search direction `p`, real parts. */
  readonly pRe: Float64Array;
  /** Search direction, imaginary parts. */
  readonly pIm: Float64Array;
  /** `q = A p`, real parts. */
  readonly qRe: Float64Array;
  /** `q = A p`, imaginary parts. */
  readonly qIm: Float64Array;
  /**
   * Allocates the work space.
   * @param n vector length (complex elements)
   */
  constructor(readonly n: number) {
    this.rRe = new Float64Array(n);
    this.rIm = new Float64Array(n);
    this.pRe = new Float64Array(n);
    this.pIm = new Float64Array(n);
    this.qRe = new Float64Array(n);
    this.qIm = new Float64Array(n);
  }
}

/** Options of {@link conjugateGradient}. */
export interface CgOptions {
  /** Most iterations (default 30). */
  maxIter?: number;
  /** Stop when `||b - A x|| <= tol * ||b||` (default 1e-4). */
  tol?: number;
  /** Reusable work space of length n. */
  work?: CgWork;
}

/** What {@link conjugateGradient} did. */
export interface CgResult {
  /** Iterations run (0 when the start already met the tolerance). */
  iterations: number;
  /** Final `||b - A x|| / ||b||` (0 for b = 0). */
  relResidual: number;
}

/**
 * Conjugate gradients for `A x = b` with `A` Hermitian positive (semi-)definite, on split
 * complex vectors. `x` holds the start (warm start) and receives the solution.
 *
 * @param apply `apply(re, im, outRe, outIm)` writes `A (re + i im)`; outputs never alias inputs
 * @param bRe real parts of b (length n)
 * @param bIm imaginary parts of b
 * @param xRe real parts of x: start on entry, solution on return
 * @param xIm imaginary parts of x
 * @param opts iterations, tolerance, work space
 */
export function conjugateGradient(
  apply: (re: Float64Array, im: Float64Array, outRe: Float64Array, outIm: Float64Array) => void,
  bRe: Float64Array,
  bIm: Float64Array,
  xRe: Float64Array,
  xIm: Float64Array,
  opts: CgOptions = {},
): CgResult {
  const n = bRe.length;
  const maxIter = opts.maxIter ?? 30;
  const tol = opts.tol ?? 1e-4;
  const w = opts.work && opts.work.n === n ? opts.work : new CgWork(n);
  const { rRe, rIm, pRe, pIm, qRe, qIm } = w;
  let bb = 0;
  for (let i = 0; i < n; i++) bb += bRe[i] * bRe[i] + bIm[i] * bIm[i];
  if (bb === 0) {
    xRe.fill(0);
    xIm.fill(0);
    return { iterations: 0, relResidual: 0 };
  }
  apply(xRe, xIm, qRe, qIm);
  let rr = 0;
  for (let i = 0; i < n; i++) {
    const a = bRe[i] - qRe[i], b = bIm[i] - qIm[i];
    rRe[i] = a;
    rIm[i] = b;
    pRe[i] = a;
    pIm[i] = b;
    rr += a * a + b * b;
  }
  const stop = tol * tol * bb;
  let it = 0;
  while (it < maxIter && rr > stop) {
    apply(pRe, pIm, qRe, qIm);
    let pq = 0;
    for (let i = 0; i < n; i++) pq += pRe[i] * qRe[i] + pIm[i] * qIm[i];
    if (!(pq > 0)) break; // A singular along p (or numerical breakdown): keep x
    const alpha = rr / pq;
    let rrNew = 0;
    for (let i = 0; i < n; i++) {
      xRe[i] += alpha * pRe[i];
      xIm[i] += alpha * pIm[i];
      const a = rRe[i] - alpha * qRe[i], b = rIm[i] - alpha * qIm[i];
      rRe[i] = a;
      rIm[i] = b;
      rrNew += a * a + b * b;
    }
    const beta = rrNew / rr;
    rr = rrNew;
    for (let i = 0; i < n; i++) {
      pRe[i] = rRe[i] + beta * pRe[i];
      pIm[i] = rIm[i] + beta * pIm[i];
    }
    it++;
  }
  return { iterations: it, relResidual: Math.sqrt(rr / bb) };
}
