/**
 * GRAPPA kernel calibration (see `grappa.ts` for the method): the ACS band of a set of
 * frames, the circular kx cross-correlations of its lines, the regularised normal equations
 * of one kernel geometry and their complex Cholesky solve, and the choice of source lines
 * (the geometry) of a missing line.
 *
 * K-space is complex interleaved `Float32Array`, MATLAB dims `(kx, ky, coil, frame)`,
 * column-major; the band and the weights are `Float64Array`s (layouts at each function).
 *
 * @module
 */

import { choleskyInPlace, choleskySolve } from "../linalg/cholesky.ts";

/** Calibration data of one set of frames and everything derived from it. */
export class Calibration {
  private readonly pairs: (Float64Array | undefined)[];
  private readonly chol = new Map<string, Float64Array | null>();
  /** number of lag values `4h + 1` */
  private readonly nlag: number;
  factorisations = 0;

  /**
   * @param re real parts of the band lines, dims `(nx + 4h, nband, nc)` (circularly padded by
   *   `2h` on each side along kx)
   * @param im imaginary parts, same dims
   */
  constructor(
    private readonly re: Float64Array,
    private readonly im: Float64Array,
    readonly c0: number,
    readonly c1: number,
    private readonly nx: number,
    private readonly nc: number,
    private readonly h: number,
  ) {
    const nb = c1 - c0;
    this.pairs = new Array(nb * nb);
    this.nlag = 4 * h + 1;
  }

  /**
   * Circular kx cross-correlations of band lines `p <= q` (absolute ky):
   * `X(c1, p; c2, q; d) = sum_x conj(K[c1, p, x]) K[c2, q, x + d]`, d in [-2h, 2h], stored at
   * `((c1 * nc + c2) * nlag + d + 2h) * 2`.
   */
  private pair(p: number, q: number): Float64Array {
    const nb = this.c1 - this.c0;
    const key = (p - this.c0) * nb + (q - this.c0);
    let out = this.pairs[key];
    if (out) return out;
    const { nx, nc, h, nlag, re, im } = this;
    const lw = nx + 4 * h;
    out = new Float64Array(2 * nc * nc * nlag);
    for (let c1 = 0; c1 < nc; c1++) {
      const a0 = lw * (p - this.c0 + nb * c1) + 2 * h;
      for (let c2 = 0; c2 < nc; c2++) {
        const b0 = lw * (q - this.c0 + nb * c2) + 2 * h;
        for (let l = 0; l < nlag; l++) {
          const b = b0 + l - 2 * h;
          let sr = 0, si = 0;
          for (let x = 0; x < nx; x++) {
            const ar = re[a0 + x], ai = im[a0 + x], br = re[b + x], bi = im[b + x];
            sr += ar * br + ai * bi;
            si += ar * bi - ai * br;
          }
          const o = 2 * ((c1 * nc + c2) * nlag + l);
          out[o] = sr;
          out[o + 1] = si;
        }
      }
    }
    this.pairs[key] = out;
    return out;
  }

  /**
   * The correlations of lines `p`, `q` as `[array, swapped]`: for `p <= q` the array of
   * {@link pair}; for `p > q` that of `(q, p)` with `swapped` set, to be read through
   * `X(c1, p; c2, q; d) = conj(X(c2, q; c1, p; -d))`.
   */
  corr(p: number, q: number): [Float64Array, boolean] {
    return p <= q ? [this.pair(p, q), false] : [this.pair(q, p), true];
  }

  /**
   * Solves the kernel of a geometry.
   * @param offsets source ky offsets relative to the target, ascending
   * @param lambda relative Tikhonov weight
   * @returns weights `W[(k * kw + wi) * nc + c]` complex (k = j * nc + sourceCoil), or null
   */
  solve(offsets: number[], lambda: number): Float64Array | null {
    const { nc, h, nlag } = this;
    const kw = 2 * h + 1;
    const m = offsets.length;
    const n = m * nc * kw;
    const o1 = offsets[0], oL = offsets[m - 1];
    const ylo = this.c0 - Math.min(o1, 0), yhi = this.c1 - Math.max(oL, 0);
    if (yhi <= ylo) return null;
    const rel = offsets.map((o) => o - o1);
    const aLo = ylo + o1, aHi = yhi + o1;
    const key = `${rel.join(",")}|${aLo}|${aHi}`;
    let L = this.chol.get(key);
    if (L === undefined) {
      L = this.factor(rel, aLo, aHi, n, lambda);
      this.chol.set(key, L);
      this.factorisations++;
    }
    if (L === null) return null;
    // Right-hand sides A^H B: [(k * kw + wi) * nc + c] complex.
    const rhs = new Float64Array(2 * n * nc);
    for (let j = 0; j < m; j++) {
      for (let a = aLo; a < aHi; a++) {
        const [x, sw] = this.corr(a + rel[j], a - o1);
        for (let c1 = 0; c1 < nc; c1++) {
          for (let wi = 0; wi < kw; wi++) {
            const row = ((j * nc + c1) * kw + wi) * nc;
            const lag = -(wi - h);
            for (let c = 0; c < nc; c++) {
              // X(c1, p; c, q; lag)
              let vr: number, vi: number;
              if (!sw) {
                const i = 2 * ((c1 * nc + c) * nlag + lag + 2 * h);
                vr = x[i];
                vi = x[i + 1];
              } else {
                const i = 2 * ((c * nc + c1) * nlag - lag + 2 * h);
                vr = x[i];
                vi = -x[i + 1];
              }
              rhs[2 * (row + c)] += vr;
              rhs[2 * (row + c) + 1] += vi;
            }
          }
        }
      }
    }
    choleskySolve(L, n, rhs, nc);
    return rhs;
  }

  /** Assembles `A^H A + reg I` and factorises it; null when it is not positive definite. */
  private factor(
    rel: number[],
    aLo: number,
    aHi: number,
    n: number,
    lambda: number,
  ): Float64Array | null {
    const { nc, h, nlag } = this;
    const kw = 2 * h + 1;
    const m = rel.length;
    const A = new Float64Array(2 * n * n);
    for (let j1 = 0; j1 < m; j1++) {
      for (let j2 = 0; j2 < m; j2++) {
        for (let a = aLo; a < aHi; a++) {
          const [x, sw] = this.corr(a + rel[j1], a + rel[j2]);
          for (let c1 = 0; c1 < nc; c1++) {
            for (let c2 = 0; c2 < nc; c2++) {
              for (let w1 = 0; w1 < kw; w1++) {
                const row = ((j1 * nc + c1) * kw + w1) * n;
                for (let w2 = 0; w2 < kw; w2++) {
                  const lag = w2 - w1;
                  let vr: number, vi: number;
                  if (!sw) {
                    const i = 2 * ((c1 * nc + c2) * nlag + lag + 2 * h);
                    vr = x[i];
                    vi = x[i + 1];
                  } else {
                    const i = 2 * ((c2 * nc + c1) * nlag - lag + 2 * h);
                    vr = x[i];
                    vi = -x[i + 1];
                  }
                  const col = (j2 * nc + c2) * kw + w2;
                  A[2 * (row + col)] += vr;
                  A[2 * (row + col) + 1] += vi;
                }
              }
            }
          }
        }
      }
    }
    let tr = 0;
    for (let i = 0; i < n; i++) tr += A[2 * (i * n + i)];
    if (!(tr > 0) || !Number.isFinite(tr)) return null;
    const reg = (lambda * tr) / n;
    for (let i = 0; i < n; i++) A[2 * (i * n + i)] += reg;
    return choleskyInPlace(A, n) ? A : null;
  }
}

/**
 * Builds the calibration band of a set of frames: the lines `[c0, c1)` of every coil,
 * averaged over `frames`, as Float64 re/im padded circularly by `2h` along kx.
 */
export function calibrationFor(
  kspace: Float32Array,
  dims: [number, number, number, number],
  frames: number[],
  c0: number,
  c1: number,
  h: number,
): Calibration {
  const [nx, ny, nc] = dims;
  const nb = c1 - c0;
  const pad = 2 * h;
  const lw = nx + 2 * pad;
  const re = new Float64Array(lw * nb * nc);
  const im = new Float64Array(lw * nb * nc);
  const s = 1 / frames.length;
  for (let c = 0; c < nc; c++) {
    for (let y = c0; y < c1; y++) {
      const d0 = lw * (y - c0 + nb * c) + pad;
      for (const t of frames) {
        const s0 = 2 * nx * (y + ny * (c + nc * t));
        for (let x = 0; x < nx; x++) {
          re[d0 + x] += kspace[s0 + 2 * x] * s;
          im[d0 + x] += kspace[s0 + 2 * x + 1] * s;
        }
      }
      for (let x = 0; x < pad; x++) {
        re[d0 - pad + x] = re[d0 + ((nx - pad + x) % nx + nx) % nx];
        im[d0 - pad + x] = im[d0 + ((nx - pad + x) % nx + nx) % nx];
        re[d0 + nx + x] = re[d0 + (x % nx)];
        im[d0 + nx + x] = im[d0 + (x % nx)];
      }
    }
  }
  return new Calibration(re, im, c0, c1, nx, nc, h);
}

/**
 * The source offsets of a missing line: the `perSide` nearest acquired lines below and above,
 * reduced (farthest first) until the kernel fits `minPositions` times in the band
 * `[c0, c1)`. Null when even one source line does not fit.
 */
export function geometryOf(
  acq: number[],
  idx: number,
  y: number,
  perSide: number,
  c0: number,
  c1: number,
  minPositions: number,
): number[] | null {
  const off: number[] = [];
  for (let i = Math.max(0, idx - perSide); i < idx; i++) off.push(acq[i] - y);
  for (let i = idx; i < Math.min(acq.length, idx + perSide); i++) off.push(acq[i] - y);
  if (off.length === 0) return null;
  const positions = () => (c1 - c0) - (Math.max(off[off.length - 1], 0) - Math.min(off[0], 0));
  while (off.length > 1 && positions() < minPositions) {
    // drop the source farthest from the target (the one above on a tie)
    if (-off[0] > off[off.length - 1]) off.shift();
    else off.pop();
  }
  return positions() >= 1 ? off : null;
}
