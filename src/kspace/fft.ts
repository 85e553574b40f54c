/**
 * Fast Fourier transforms for any length, and MATLAB's centred orthonormal 2-D transforms
 * `fft2c` / `ifft2c` on complex interleaved column-major arrays.
 *
 * 1-D engine: a self-sorting (Stockham) mixed-radix FFT with radix-4, 2, 3 and 5 kernels
 * and a generic kernel for small odd prime factors; lengths with a large prime factor
 * use Bluestein's chirp-z algorithm on a power-of-two FFT. Plans are built once per length
 * and cached. All work buffers are `Float64Array`.
 *
 * Sign convention (numpy / MATLAB): forward `X[k] = sum_j x[j] exp(-2 pi i j k / n)`,
 * inverse `x[j] = sum_k X[k] exp(+2 pi i j k / n)` (unnormalised; the 2-D centred
 * transforms apply the orthonormal `1/sqrt(nx*ny)`).
 *
 * @module
 */

import { ShapeError } from "../errors.ts";

/**
 * A precomputed transform for one length `n`. Methods work in place and are unnormalised.
 *
 * Batched layout: `re`/`im` hold `batch` independent sequences interleaved, element `j` of
 * sequence `b` at index `b + batch * j`, i.e. a column-major `(batch, n)` array transformed
 * along its second dim. `batch = 1` is a plain contiguous sequence.
 */
export interface FftPlan {
  /** Transform length. */
  readonly n: number;
  /**
   * Forward DFT in place: `X[k] = sum_j x[j] exp(-2 pi i j k / n)`.
   * @param re real parts, dims `(batch, n)`, length >= batch*n
   * @param im imaginary parts, dims `(batch, n)`
   * @param batch number of interleaved sequences (default 1)
   */
  forward(re: Float64Array, im: Float64Array, batch?: number): void;
  /**
   * Inverse DFT in place, unnormalised: `x[j] = sum_k X[k] exp(+2 pi i j k / n)`
   * (divide by n for numpy's `ifft`).
   * @param re real parts, dims `(batch, n)`, length >= batch*n
   * @param im imaginary parts, dims `(batch, n)`
   * @param batch number of interleaved sequences (default 1)
   */
  inverse(re: Float64Array, im: Float64Array, batch?: number): void;
}

// ---------------------------------------------------------------------------------------
// Stockham mixed-radix plan
// ---------------------------------------------------------------------------------------

/** Largest prime factor handled by the generic O(p^2) kernel; larger ones use Bluestein. */
const MAX_GENERIC_RADIX = 47;

interface Stage {
  /** Radix of this stage. */
  r: number;
  /** Sub-transform length after this stage (current length / r). */
  m: number;
  /** Stride (number of interleaved independent sequences) entering this stage. */
  s: number;
  /** Twiddles exp(-2 pi i p k / (r m)) for p < m, k = 1..r-1: [(p*(r-1)+k-1)*2] = re, +1 = im. */
  tw: Float64Array;
  /** Rader tables when this prime radix is done as a length r-1 cyclic convolution. */
  rader?: Rader;
}

/** Smallest prime radix done with Rader's algorithm instead of the O(r^2) generic kernel. */
const MIN_RADER_RADIX = 17;

/**
 * Rader's algorithm for a prime radix r with primitive root g: with u[b] = x[g^-b] and
 * v[c] = exp(-2 pi i g^c / r), X[g^a] = x[0] + (u (*) v)[a], a cyclic convolution of
 * length L = r - 1 done with a (batched) length-L FFT; X[0] = x[0] + sum u.
 */
interface Rader {
  /** Convolution length r - 1. */
  L: number;
  /** Cached plan for length L (distinct from any plan that uses this stage: L < r). */
  plan: StockhamPlan;
  /** gin[b] = g^-b mod r: input index gathered into slot b. */
  gin: Int32Array;
  /** gout[a] = g^a mod r: output index of convolution slot a. */
  gout: Int32Array;
  /** DFT_L(v) / L, real and imaginary parts. */
  vr: Float64Array;
  vi: Float64Array;
}

function primitiveRoot(p: number): number {
  const fs: number[] = [];
  let t = p - 1;
  for (let f = 2; f * f <= t; f++) {
    if (t % f === 0) {
      fs.push(f);
      while (t % f === 0) t /= f;
    }
  }
  if (t > 1) fs.push(t);
  for (let g = 2; g < p; g++) {
    if (fs.every((f) => powMod(g, (p - 1) / f, p) !== 1)) return g;
  }
  return 1; // p = 2 (never used: Rader is only for odd primes)
}

function powMod(b: number, e: number, m: number): number {
  let r = 1;
  b %= m;
  while (e > 0) {
    if (e & 1) r = (r * b) % m;
    b = (b * b) % m;
    e >>= 1;
  }
  return r;
}

function makeRader(r: number): Rader {
  const L = r - 1;
  const g = primitiveRoot(r);
  const gInv = powMod(g, r - 2, r);
  const gin = new Int32Array(L), gout = new Int32Array(L);
  const vr = new Float64Array(L), vi = new Float64Array(L);
  for (let a = 0, pg = 1, pi = 1; a < L; a++) {
    gout[a] = pg;
    gin[a] = pi;
    const ang = (-2 * Math.PI * pg) / r;
    vr[a] = Math.cos(ang);
    vi[a] = Math.sin(ang);
    pg = (pg * g) % r;
    pi = (pi * gInv) % r;
  }
  // L's prime factors are <= L / 2 <= MAX_GENERIC_RADIX / 2, so fftPlan(L) is a Stockham plan.
  const plan = fftPlan(L) as StockhamPlan;
  plan.forward(vr, vi);
  for (let a = 0; a < L; a++) {
    vr[a] /= L;
    vi[a] /= L;
  }
  return { L, plan, gin, gout, vr, vi };
}

/** Factor n into radices: 4s first, then 2, 3, 5, then remaining primes ascending. */
function factorize(n: number): number[] {
  const out: number[] = [];
  let rest = n;
  while (rest % 4 === 0) {
    out.push(4);
    rest /= 4;
  }
  if (rest % 2 === 0) {
    out.push(2);
    rest /= 2;
  }
  for (let p = 3; p * p <= rest; p += 2) {
    while (rest % p === 0) {
      out.push(p);
      rest /= p;
    }
  }
  if (rest > 1) out.push(rest);
  // Put the radix-2 stage last: its twiddles are then trivial for power-of-two sizes
  // (m = 1 on the last stage) and the radix-4 passes run first on long contiguous runs.
  const twos = out.filter((r) => r === 2);
  return [...out.filter((r) => r !== 2), ...twos];
}

class StockhamPlan implements FftPlan {
  readonly n: number;
  private readonly stages: Stage[];
  /** Work arrays (ping-pong buffers), at least n * batch long after `exec`. */
  wr: Float64Array;
  wi: Float64Array;
  /** Generic-kernel tables per radix: cos/sin(2 pi j k / r) for j, k < r. */
  private readonly gen = new Map<number, { c: Float64Array; s: Float64Array }>();
  private readonly tr: Float64Array;
  private readonly ti: Float64Array;
  /** Rader convolution work space (grown on demand). */
  private ur = new Float64Array(0);
  private ui = new Float64Array(0);

  constructor(n: number, radices: number[]) {
    this.n = n;
    this.wr = new Float64Array(n);
    this.wi = new Float64Array(n);
    this.stages = [];
    let len = n;
    let s = 1;
    let maxR = 1;
    for (const r of radices) {
      const m = len / r;
      const tw = new Float64Array(2 * m * (r - 1));
      for (let p = 0; p < m; p++) {
        for (let k = 1; k < r; k++) {
          // exp(-2 pi i p k / len); reduce p*k mod len for accuracy
          const a = (-2 * Math.PI * ((p * k) % len)) / len;
          const o = 2 * (p * (r - 1) + k - 1);
          tw[o] = Math.cos(a);
          tw[o + 1] = Math.sin(a);
        }
      }
      const rader = r >= MIN_RADER_RADIX ? makeRader(r) : undefined;
      this.stages.push({ r, m, s, tw, rader });
      if (r !== 2 && r !== 3 && r !== 4 && r !== 5 && r !== 7 && !this.gen.has(r)) {
        const c = new Float64Array(r * r);
        const sn = new Float64Array(r * r);
        for (let j = 0; j < r; j++) {
          for (let k = 0; k < r; k++) {
            const a = (2 * Math.PI * ((j * k) % r)) / r;
            c[j * r + k] = Math.cos(a);
            sn[j * r + k] = Math.sin(a);
          }
        }
        this.gen.set(r, { c, s: sn });
      }
      if (r > maxR) maxR = r;
      len = m;
      s *= r;
    }
    this.tr = new Float64Array(maxR);
    this.ti = new Float64Array(maxR);
  }

  forward(re: Float64Array, im: Float64Array, batch = 1): void {
    this.run(re, im, batch);
  }

  inverse(re: Float64Array, im: Float64Array, batch = 1): void {
    // Swapping re and im turns the forward transform into the unnormalised inverse.
    this.run(im, re, batch);
  }

  private run(re: Float64Array, im: Float64Array, batch: number): void {
    if (this.exec(re, im, batch)) {
      const total = this.n * batch;
      re.set(this.wr.subarray(0, total));
      im.set(this.wi.subarray(0, total));
    }
  }

  /**
   * Forward transform of `re`/`im` (batched); returns true when the result was left in the
   * work arrays `wr`/`wi` (odd number of stages) instead of `re`/`im`.
   */
  exec(re: Float64Array, im: Float64Array, batch: number): boolean {
    const n = this.n;
    if (n <= 1) return false;
    const total = n * batch;
    if (this.wr.length < total) {
      this.wr = new Float64Array(total);
      this.wi = new Float64Array(total);
    }
    let xr = re, xi = im, yr = this.wr, yi = this.wi;
    for (const st of this.stages) {
      const s = st.s * batch;
      switch (st.r) {
        case 4:
          pass4(st, s, xr, xi, yr, yi);
          break;
        case 2:
          pass2(st, s, xr, xi, yr, yi);
          break;
        case 3:
          pass3(st, s, xr, xi, yr, yi);
          break;
        case 5:
          pass5(st, s, xr, xi, yr, yi);
          break;
        case 7:
          pass7(st, s, xr, xi, yr, yi);
          break;
        default: {
          const rd = st.rader;
          if (rd && s * st.m >= RADER_MIN_BATCH) {
            const need = rd.L * Math.min(RADER_BLOCK, s * st.m);
            if (this.ur.length < need) {
              this.ur = new Float64Array(need);
              this.ui = new Float64Array(need);
            }
            passRader(st, rd, s, xr, xi, yr, yi, this.ur, this.ui);
            break;
          }
          const g = this.gen.get(st.r)!;
          passGeneric(st, s, xr, xi, yr, yi, g.c, g.s, this.tr, this.ti);
        }
      }
      const t0 = xr, t1 = xi;
      xr = yr;
      xi = yi;
      yr = t0;
      yi = t1;
    }
    return xr !== re;
  }
}

function pass2(
  st: Stage,
  s: number,
  xr: Float64Array,
  xi: Float64Array,
  yr: Float64Array,
  yi: Float64Array,
) {
  const { m, tw } = st;
  const sm = s * m;
  if (m === 1) {
    for (let q = 0; q < s; q++) {
      const ar = xr[q], ai = xi[q], br = xr[q + sm], bi = xi[q + sm];
      yr[q] = ar + br;
      yi[q] = ai + bi;
      yr[q + s] = ar - br;
      yi[q + s] = ai - bi;
    }
    return;
  }
  for (let p = 0; p < m; p++) {
    const wr = tw[2 * p], wi = tw[2 * p + 1];
    const i0 = s * p, o0 = 2 * s * p;
    for (let q = 0; q < s; q++) {
      const a = i0 + q, b = a + sm, o = o0 + q;
      const ar = xr[a], ai = xi[a], br = xr[b], bi = xi[b];
      yr[o] = ar + br;
      yi[o] = ai + bi;
      const dr = ar - br, di = ai - bi;
      yr[o + s] = dr * wr - di * wi;
      yi[o + s] = dr * wi + di * wr;
    }
  }
}

function pass4(
  st: Stage,
  s: number,
  xr: Float64Array,
  xi: Float64Array,
  yr: Float64Array,
  yi: Float64Array,
) {
  const { m, tw } = st;
  const sm = s * m;
  for (let p = 0; p < m; p++) {
    const t = 6 * p;
    const w1r = tw[t], w1i = tw[t + 1], w2r = tw[t + 2], w2i = tw[t + 3], w3r = tw[t + 4];
    const w3i = tw[t + 5];
    const i0 = s * p, o0 = 4 * s * p;
    for (let q = 0; q < s; q++) {
      const a0 = i0 + q, a1 = a0 + sm, a2 = a1 + sm, a3 = a2 + sm;
      const x0r = xr[a0], x0i = xi[a0], x1r = xr[a1], x1i = xi[a1];
      const x2r = xr[a2], x2i = xi[a2], x3r = xr[a3], x3i = xi[a3];
      const t0r = x0r + x2r, t0i = x0i + x2i, t1r = x0r - x2r, t1i = x0i - x2i;
      const t2r = x1r + x3r, t2i = x1i + x3i;
      // t3 = -i (x1 - x3)
      const t3r = x1i - x3i, t3i = x3r - x1r;
      const o = o0 + q;
      yr[o] = t0r + t2r;
      yi[o] = t0i + t2i;
      const b1r = t1r + t3r, b1i = t1i + t3i;
      const b2r = t0r - t2r, b2i = t0i - t2i;
      const b3r = t1r - t3r, b3i = t1i - t3i;
      yr[o + s] = b1r * w1r - b1i * w1i;
      yi[o + s] = b1r * w1i + b1i * w1r;
      yr[o + 2 * s] = b2r * w2r - b2i * w2i;
      yi[o + 2 * s] = b2r * w2i + b2i * w2r;
      yr[o + 3 * s] = b3r * w3r - b3i * w3i;
      yi[o + 3 * s] = b3r * w3i + b3i * w3r;
    }
  }
}

const C3 = Math.sqrt(3) / 2;

function pass3(
  st: Stage,
  s: number,
  xr: Float64Array,
  xi: Float64Array,
  yr: Float64Array,
  yi: Float64Array,
) {
  const { m, tw } = st;
  const sm = s * m;
  for (let p = 0; p < m; p++) {
    const t = 4 * p;
    const w1r = tw[t], w1i = tw[t + 1], w2r = tw[t + 2], w2i = tw[t + 3];
    const i0 = s * p, o0 = 3 * s * p;
    for (let q = 0; q < s; q++) {
      const a0 = i0 + q, a1 = a0 + sm, a2 = a1 + sm;
      const x0r = xr[a0], x0i = xi[a0];
      const sr = xr[a1] + xr[a2], si = xi[a1] + xi[a2];
      const dr = xr[a1] - xr[a2], di = xi[a1] - xi[a2];
      const o = o0 + q;
      yr[o] = x0r + sr;
      yi[o] = x0i + si;
      const mr = x0r - 0.5 * sr, mi = x0i - 0.5 * si;
      // b1 = m - i c d ; b2 = m + i c d
      const b1r = mr + C3 * di, b1i = mi - C3 * dr;
      const b2r = mr - C3 * di, b2i = mi + C3 * dr;
      yr[o + s] = b1r * w1r - b1i * w1i;
      yi[o + s] = b1r * w1i + b1i * w1r;
      yr[o + 2 * s] = b2r * w2r - b2i * w2i;
      yi[o + 2 * s] = b2r * w2i + b2i * w2r;
    }
  }
}

const C51 = Math.cos((2 * Math.PI) / 5), C52 = Math.cos((4 * Math.PI) / 5);
const S51 = Math.sin((2 * Math.PI) / 5), S52 = Math.sin((4 * Math.PI) / 5);

function pass5(
  st: Stage,
  s: number,
  xr: Float64Array,
  xi: Float64Array,
  yr: Float64Array,
  yi: Float64Array,
) {
  const { m, tw } = st;
  const sm = s * m;
  for (let p = 0; p < m; p++) {
    const t = 8 * p;
    const i0 = s * p, o0 = 5 * s * p;
    for (let q = 0; q < s; q++) {
      const a0 = i0 + q, a1 = a0 + sm, a2 = a1 + sm, a3 = a2 + sm, a4 = a3 + sm;
      const x0r = xr[a0], x0i = xi[a0];
      const t1r = xr[a1] + xr[a4], t1i = xi[a1] + xi[a4];
      const d1r = xr[a1] - xr[a4], d1i = xi[a1] - xi[a4];
      const t2r = xr[a2] + xr[a3], t2i = xi[a2] + xi[a3];
      const d2r = xr[a2] - xr[a3], d2i = xi[a2] - xi[a3];
      const o = o0 + q;
      yr[o] = x0r + t1r + t2r;
      yi[o] = x0i + t1i + t2i;
      const m1r = x0r + C51 * t1r + C52 * t2r, m1i = x0i + C51 * t1i + C52 * t2i;
      const m2r = x0r + C52 * t1r + C51 * t2r, m2i = x0i + C52 * t1i + C51 * t2i;
      // e1 = s1 d1 + s2 d2 ; e2 = s2 d1 - s1 d2 ; b1 = m1 - i e1, b4 = m1 + i e1, ...
      const e1r = S51 * d1r + S52 * d2r, e1i = S51 * d1i + S52 * d2i;
      const e2r = S52 * d1r - S51 * d2r, e2i = S52 * d1i - S51 * d2i;
      const b1r = m1r + e1i, b1i = m1i - e1r, b4r = m1r - e1i, b4i = m1i + e1r;
      const b2r = m2r + e2i, b2i = m2i - e2r, b3r = m2r - e2i, b3i = m2i + e2r;
      let wr = tw[t], wi = tw[t + 1];
      yr[o + s] = b1r * wr - b1i * wi;
      yi[o + s] = b1r * wi + b1i * wr;
      wr = tw[t + 2];
      wi = tw[t + 3];
      yr[o + 2 * s] = b2r * wr - b2i * wi;
      yi[o + 2 * s] = b2r * wi + b2i * wr;
      wr = tw[t + 4];
      wi = tw[t + 5];
      yr[o + 3 * s] = b3r * wr - b3i * wi;
      yi[o + 3 * s] = b3r * wi + b3i * wr;
      wr = tw[t + 6];
      wi = tw[t + 7];
      yr[o + 4 * s] = b4r * wr - b4i * wi;
      yi[o + 4 * s] = b4r * wi + b4i * wr;
    }
  }
}

const C71 = Math.cos((2 * Math.PI) / 7), C72 = Math.cos((4 * Math.PI) / 7);
const C73 = Math.cos((6 * Math.PI) / 7);
const S71 = Math.sin((2 * Math.PI) / 7), S72 = Math.sin((4 * Math.PI) / 7);
const S73 = Math.sin((6 * Math.PI) / 7);

/** Radix 7 on the pairs (j, 7 - j): sums t_j, differences d_j, j = 1..3. */
function pass7(
  st: Stage,
  s: number,
  xr: Float64Array,
  xi: Float64Array,
  yr: Float64Array,
  yi: Float64Array,
) {
  const { m, tw } = st;
  const sm = s * m;
  for (let p = 0; p < m; p++) {
    const t = 12 * p;
    const i0 = s * p, o0 = 7 * s * p;
    const w1r = tw[t], w1i = tw[t + 1], w2r = tw[t + 2], w2i = tw[t + 3];
    const w3r = tw[t + 4], w3i = tw[t + 5], w4r = tw[t + 6], w4i = tw[t + 7];
    const w5r = tw[t + 8], w5i = tw[t + 9], w6r = tw[t + 10], w6i = tw[t + 11];
    for (let q = 0; q < s; q++) {
      const a0 = i0 + q, a1 = a0 + sm, a2 = a1 + sm, a3 = a2 + sm;
      const a4 = a3 + sm, a5 = a4 + sm, a6 = a5 + sm;
      const x0r = xr[a0], x0i = xi[a0];
      const t1r = xr[a1] + xr[a6], t1i = xi[a1] + xi[a6];
      const d1r = xr[a1] - xr[a6], d1i = xi[a1] - xi[a6];
      const t2r = xr[a2] + xr[a5], t2i = xi[a2] + xi[a5];
      const d2r = xr[a2] - xr[a5], d2i = xi[a2] - xi[a5];
      const t3r = xr[a3] + xr[a4], t3i = xi[a3] + xi[a4];
      const d3r = xr[a3] - xr[a4], d3i = xi[a3] - xi[a4];
      const o = o0 + q;
      yr[o] = x0r + t1r + t2r + t3r;
      yi[o] = x0i + t1i + t2i + t3i;
      // A_k = x0 + sum_j cos(2 pi jk/7) t_j ; B_k = sum_j sin(2 pi jk/7) d_j
      const a1r = x0r + C71 * t1r + C72 * t2r + C73 * t3r;
      const a1i = x0i + C71 * t1i + C72 * t2i + C73 * t3i;
      const a2r = x0r + C72 * t1r + C73 * t2r + C71 * t3r;
      const a2i = x0i + C72 * t1i + C73 * t2i + C71 * t3i;
      const a3r = x0r + C73 * t1r + C71 * t2r + C72 * t3r;
      const a3i = x0i + C73 * t1i + C71 * t2i + C72 * t3i;
      const b1r = S71 * d1r + S72 * d2r + S73 * d3r, b1i = S71 * d1i + S72 * d2i + S73 * d3i;
      const b2r = S72 * d1r - S73 * d2r - S71 * d3r, b2i = S72 * d1i - S73 * d2i - S71 * d3i;
      const b3r = S73 * d1r - S71 * d2r + S72 * d3r, b3i = S73 * d1i - S71 * d2i + S72 * d3i;
      // X_k = A_k - i B_k ; X_{7-k} = A_k + i B_k, then twiddled
      let ur = a1r + b1i, ui = a1i - b1r;
      yr[o + s] = ur * w1r - ui * w1i;
      yi[o + s] = ur * w1i + ui * w1r;
      ur = a1r - b1i;
      ui = a1i + b1r;
      yr[o + 6 * s] = ur * w6r - ui * w6i;
      yi[o + 6 * s] = ur * w6i + ui * w6r;
      ur = a2r + b2i;
      ui = a2i - b2r;
      yr[o + 2 * s] = ur * w2r - ui * w2i;
      yi[o + 2 * s] = ur * w2i + ui * w2r;
      ur = a2r - b2i;
      ui = a2i + b2r;
      yr[o + 5 * s] = ur * w5r - ui * w5i;
      yi[o + 5 * s] = ur * w5i + ui * w5r;
      ur = a3r + b3i;
      ui = a3i - b3r;
      yr[o + 3 * s] = ur * w3r - ui * w3i;
      yi[o + 3 * s] = ur * w3i + ui * w3r;
      ur = a3r - b3i;
      ui = a3i + b3r;
      yr[o + 4 * s] = ur * w4r - ui * w4i;
      yi[o + 4 * s] = ur * w4i + ui * w4r;
    }
  }
}

/**
 * Fewest sub-sequences (m * s) for which a Rader stage beats the generic kernel (the
 * per-call overhead of the inner FFTs dominates single short transforms).
 */
const RADER_MIN_BATCH = 8;

/** Sub-sequences per Rader convolution block: keeps the work space cache-resident. */
const RADER_BLOCK = 32;

/**
 * Prime radix r by Rader's algorithm. For a fixed input index j the (p, q) pairs form the
 * contiguous block [j*sm, (j+1)*sm), so blocks of consecutive t = s*p + q are gathered,
 * convolved with one batched length-(r-1) FFT pair, and scattered with the twiddles.
 */
function passRader(
  st: Stage,
  rd: Rader,
  s: number,
  xr: Float64Array,
  xi: Float64Array,
  yr: Float64Array,
  yi: Float64Array,
  ur: Float64Array,
  ui: Float64Array,
) {
  const { r, m, tw } = st;
  const { L, plan, gin, gout, vr, vi } = rd;
  const sm = s * m;
  for (let t0 = 0; t0 < sm; t0 += RADER_BLOCK) {
    const nb = Math.min(RADER_BLOCK, sm - t0);
    for (let b = 0; b < L; b++) {
      const src = gin[b] * sm + t0 - b * nb;
      for (let u = b * nb, e = u + nb; u < e; u++) {
        ur[u] = xr[src + u];
        ui[u] = xi[src + u];
      }
    }
    let inWork = plan.exec(ur, ui, nb);
    const fr = inWork ? plan.wr : ur, fi = inWork ? plan.wi : ui;
    // X[0] = x[0] + sum u = x[0] + U[0] (no twiddle for k = 0); then U *= DFT(v) / L.
    const t1 = t0 + nb;
    for (let p = Math.floor(t0 / s), pe = Math.ceil(t1 / s); p < pe; p++) {
      const i0 = s * p, o0 = r * s * p - i0, ue = Math.min(i0 + s, t1) - t0;
      for (let u = Math.max(i0, t0) - t0; u < ue; u++) {
        yr[o0 + t0 + u] = xr[t0 + u] + fr[u];
        yi[o0 + t0 + u] = xi[t0 + u] + fi[u];
      }
    }
    for (let f = 0; f < L; f++) {
      const cr = vr[f], ci = vi[f];
      for (let u = f * nb, e = u + nb; u < e; u++) {
        const ar = fr[u], ai = fi[u];
        ur[u] = ar * cr - ai * ci;
        ui[u] = ar * ci + ai * cr;
      }
    }
    // Inverse = forward with re and im swapped.
    inWork = plan.exec(ui, ur, nb);
    const gr = inWork ? plan.wi : ur, gi = inWork ? plan.wr : ui;
    for (let a = 0; a < L; a++) {
      const k = gout[a];
      const c0 = a * nb - t0;
      for (let p = Math.floor(t0 / s), pe = Math.ceil(t1 / s); p < pe; p++) {
        const i0 = s * p, o = r * s * p + k * s - i0;
        const te = Math.min(i0 + s, t1);
        if (p === 0) {
          for (let t = Math.max(i0, t0); t < te; t++) {
            yr[o + t] = xr[t] + gr[c0 + t];
            yi[o + t] = xi[t] + gi[c0 + t];
          }
          continue;
        }
        const w = 2 * (p * (r - 1) + k - 1);
        const wr = tw[w], wi = tw[w + 1];
        for (let t = Math.max(i0, t0); t < te; t++) {
          const br = xr[t] + gr[c0 + t], bi = xi[t] + gi[c0 + t];
          yr[o + t] = br * wr - bi * wi;
          yi[o + t] = br * wi + bi * wr;
        }
      }
    }
  }
}

/** Generic odd radix r, using the symmetry of pairs (j, r - j). */
function passGeneric(
  st: Stage,
  s: number,
  xr: Float64Array,
  xi: Float64Array,
  yr: Float64Array,
  yi: Float64Array,
  cs: Float64Array,
  sn: Float64Array,
  tr: Float64Array,
  ti: Float64Array,
) {
  const { r, m, tw } = st;
  const sm = s * m;
  const h = (r - 1) >> 1;
  for (let p = 0; p < m; p++) {
    const t = 2 * p * (r - 1);
    const i0 = s * p, o0 = r * s * p;
    for (let q = 0; q < s; q++) {
      const a0 = i0 + q;
      const x0r = xr[a0], x0i = xi[a0];
      let sumr = x0r, sumi = x0i;
      // tr/ti[j] = x_j + x_{r-j} ; tr/ti[h + j] = x_j - x_{r-j}, j = 1..h
      for (let j = 1; j <= h; j++) {
        const aj = a0 + j * sm, bj = a0 + (r - j) * sm;
        const pr = xr[aj] + xr[bj], pi = xi[aj] + xi[bj];
        tr[j] = pr;
        ti[j] = pi;
        tr[h + j] = xr[aj] - xr[bj];
        ti[h + j] = xi[aj] - xi[bj];
        sumr += pr;
        sumi += pi;
      }
      const o = o0 + q;
      yr[o] = sumr;
      yi[o] = sumi;
      for (let k = 1; k <= h; k++) {
        let ar = x0r, ai = x0i, br = 0, bi = 0;
        const row = k * r;
        for (let j = 1; j <= h; j++) {
          const c = cs[row + j], sv = sn[row + j];
          ar += c * tr[j];
          ai += c * ti[j];
          br += sv * tr[h + j];
          bi += sv * ti[h + j];
        }
        // b_k = A - i B ; b_{r-k} = A + i B
        const ukr = ar + bi, uki = ai - br;
        const vkr = ar - bi, vki = ai + br;
        let wr = tw[t + 2 * (k - 1)], wi = tw[t + 2 * (k - 1) + 1];
        yr[o + k * s] = ukr * wr - uki * wi;
        yi[o + k * s] = ukr * wi + uki * wr;
        const k2 = r - k;
        wr = tw[t + 2 * (k2 - 1)];
        wi = tw[t + 2 * (k2 - 1) + 1];
        yr[o + k2 * s] = vkr * wr - vki * wi;
        yi[o + k2 * s] = vkr * wi + vki * wr;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// Bluestein (chirp-z) plan for lengths with a large prime factor
// ---------------------------------------------------------------------------------------

class BluesteinPlan implements FftPlan {
  readonly n: number;
  private readonly big: FftPlan;
  private readonly mlen: number;
  /** chirp w_k = exp(-i pi k^2 / n) */
  private readonly cr: Float64Array;
  private readonly ci: Float64Array;
  /** FFT of the conjugate chirp filter, divided by the padded length */
  private readonly br: Float64Array;
  private readonly bi: Float64Array;
  private ar = new Float64Array(0);
  private ai = new Float64Array(0);

  constructor(n: number) {
    this.n = n;
    let mlen = 1;
    while (mlen < 2 * n - 1) mlen *= 2;
    this.mlen = mlen;
    this.big = fftPlan(mlen);
    this.cr = new Float64Array(n);
    this.ci = new Float64Array(n);
    const twoN = 2 * n;
    for (let k = 0; k < n; k++) {
      // k^2 mod 2n keeps the angle small and exact (k^2 < 2^53 for any sane n)
      const a = (-Math.PI * ((k * k) % twoN)) / n;
      this.cr[k] = Math.cos(a);
      this.ci[k] = Math.sin(a);
    }
    this.br = new Float64Array(mlen);
    this.bi = new Float64Array(mlen);
    for (let k = 0; k < n; k++) {
      this.br[k] = this.cr[k];
      this.bi[k] = -this.ci[k];
      if (k > 0) {
        this.br[mlen - k] = this.cr[k];
        this.bi[mlen - k] = -this.ci[k];
      }
    }
    this.big.forward(this.br, this.bi);
    for (let k = 0; k < mlen; k++) {
      this.br[k] /= mlen;
      this.bi[k] /= mlen;
    }
  }

  forward(re: Float64Array, im: Float64Array, batch = 1): void {
    this.run(re, im, batch);
  }

  inverse(re: Float64Array, im: Float64Array, batch = 1): void {
    this.run(im, re, batch);
  }

  private run(re: Float64Array, im: Float64Array, batch: number): void {
    const { n, mlen, cr, ci, br, bi } = this;
    if (this.ar.length < mlen * batch) {
      this.ar = new Float64Array(mlen * batch);
      this.ai = new Float64Array(mlen * batch);
    }
    const ar = this.ar, ai = this.ai;
    for (let k = 0; k < n; k++) {
      const c = cr[k], s = ci[k];
      for (let b = 0, i = k * batch; b < batch; b++, i++) {
        const xr = re[i], xi = im[i];
        ar[i] = xr * c - xi * s;
        ai[i] = xr * s + xi * c;
      }
    }
    ar.fill(0, n * batch, mlen * batch);
    ai.fill(0, n * batch, mlen * batch);
    this.big.forward(ar, ai, batch);
    for (let k = 0; k < mlen; k++) {
      const c = br[k], s = bi[k];
      for (let b = 0, i = k * batch; b < batch; b++, i++) {
        const xr = ar[i], xi = ai[i];
        ar[i] = xr * c - xi * s;
        ai[i] = xr * s + xi * c;
      }
    }
    this.big.inverse(ar, ai, batch);
    for (let k = 0; k < n; k++) {
      const c = cr[k], s = ci[k];
      for (let b = 0, i = k * batch; b < batch; b++, i++) {
        const xr = ar[i], xi = ai[i];
        re[i] = xr * c - xi * s;
        im[i] = xr * s + xi * c;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// Plan cache and public 1-D API
// ---------------------------------------------------------------------------------------

const planCache = new Map<number, FftPlan>();

/**
 * The cached FFT plan for length `n` (any positive integer).
 * @throws {ShapeError} when n is not a positive safe integer
 */
export function fftPlan(n: number): FftPlan {
  let plan = planCache.get(n);
  if (plan) return plan;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new ShapeError(`FFT length must be a positive integer, got ${n}`);
  }
  const radices = factorize(n);
  const maxPrime = radices.length ? Math.max(...radices) : 1;
  plan = maxPrime > MAX_GENERIC_RADIX && n > 2 * MAX_GENERIC_RADIX
    ? new BluesteinPlan(n)
    : new StockhamPlan(n, radices);
  planCache.set(n, plan);
  return plan;
}

/**
 * Forward 1-D DFT in place (unnormalised, numpy `fft`): `X[k] = sum_j x[j] e^{-2 pi i jk/n}`.
 * @param re real parts, 1-D, length n
 * @param im imaginary parts, 1-D, length n
 */
export function fft(re: Float64Array, im: Float64Array): void {
  checkPair(re, im);
  fftPlan(re.length).forward(re, im);
}

/**
 * Inverse 1-D DFT in place, normalised by 1/n like numpy's `ifft`.
 * @param re real parts, 1-D, length n
 * @param im imaginary parts, 1-D, length n
 */
export function ifft(re: Float64Array, im: Float64Array): void {
  checkPair(re, im);
  const n = re.length;
  fftPlan(n).inverse(re, im);
  const s = 1 / n;
  for (let k = 0; k < n; k++) {
    re[k] *= s;
    im[k] *= s;
  }
}

function checkPair(re: Float64Array, im: Float64Array): void {
  if (re.length !== im.length) {
    throw new ShapeError(`re and im lengths differ (${re.length} vs ${im.length})`);
  }
}

// ---------------------------------------------------------------------------------------
// Centred orthonormal 2-D transforms (MATLAB fft2c / ifft2c)
// ---------------------------------------------------------------------------------------

/** Reusable Float64 work space for the 2-D transforms (grown on demand). */
let workRe = new Float64Array(0);
let workIm = new Float64Array(0);
let lineRe = new Float64Array(0);
let lineIm = new Float64Array(0);

function ensureWork(npix: number, nline: number): void {
  if (workRe.length < npix) {
    workRe = new Float64Array(npix);
    workIm = new Float64Array(npix);
  }
  if (lineRe.length < nline) {
    lineRe = new Float64Array(nline);
    lineIm = new Float64Array(nline);
  }
}

function resolveCount(what: string, data: Float32Array, nx: number, ny: number, count?: number) {
  for (const [name, v] of [["nx", nx], ["ny", ny]] as const) {
    if (!Number.isSafeInteger(v) || v < 1) {
      throw new ShapeError(`${what}: ${name} must be a positive integer, got ${v}`);
    }
  }
  const per = 2 * nx * ny;
  if (count === undefined) {
    if (data.length % per !== 0) {
      throw new ShapeError(
        `${what}: data length ${data.length} is not a multiple of 2*nx*ny = ${per}`,
        { hint: "pass interleaved complex (re, im) data of dims (nx, ny, ...)" },
      );
    }
    return data.length / per;
  }
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new ShapeError(`${what}: count must be a non-negative integer, got ${count}`);
  }
  if (data.length < per * count) {
    throw new ShapeError(
      `${what}: data length ${data.length} is shorter than 2*nx*ny*count = ${per * count}`,
    );
  }
  return count;
}

function transform2c(
  what: string,
  inverse: boolean,
  data: Float32Array,
  nx: number,
  ny: number,
  count: number | undefined,
  out: Float32Array | undefined,
): Float32Array {
  const nimg = resolveCount(what, data, nx, ny, count);
  const per = 2 * nx * ny;
  const dst = out ?? new Float32Array(per * nimg);
  if (dst.length < per * nimg) {
    throw new ShapeError(`${what}: out length ${dst.length} is shorter than ${per * nimg}`);
  }
  const px = fftPlan(nx), py = fftPlan(ny);
  ensureWork(nx * ny, nx);
  const wr = workRe, wi = workIm, lr = lineRe, li = lineIm;
  // ifftshift before and fftshift after, both with h = floor(n/2), as index remapping:
  //   line[k] = x[(k + h) mod n] ; y[(j + h) mod n] = F[j]
  const hx = nx >> 1, hy = ny >> 1;
  const nxA = nx - hx, nyA = ny - hy;
  const scale = 1 / Math.sqrt(nx * ny);
  for (let c = 0; c < nimg; c++) {
    const base = c * per;
    // Pass 1: along x (contiguous rows). Work row k holds input row (k + hy) mod ny.
    for (let k = 0; k < ny; k++) {
      const row = base + 2 * nx * (k < nyA ? k + hy : k - nyA);
      let src = row + 2 * hx;
      for (let i = 0; i < nxA; i++, src += 2) {
        lr[i] = data[src];
        li[i] = data[src + 1];
      }
      src = row;
      for (let i = nxA; i < nx; i++, src += 2) {
        lr[i] = data[src];
        li[i] = data[src + 1];
      }
      if (inverse) px.inverse(lr, li);
      else px.forward(lr, li);
      const wrow = nx * k;
      let d = wrow + hx;
      for (let j = 0; j < nxA; j++, d++) {
        wr[d] = lr[j];
        wi[d] = li[j];
      }
      d = wrow;
      for (let j = nxA; j < nx; j++, d++) {
        wr[d] = lr[j];
        wi[d] = li[j];
      }
    }
    // Pass 2: along y, all nx columns at once (batched, contiguous inner loops).
    if (inverse) py.inverse(wr, wi, nx);
    else py.forward(wr, wi, nx);
    // Pass 3: work row j -> output row (j + hy) mod ny, scaled, interleaved float32.
    for (let j = 0; j < ny; j++) {
      let d = base + 2 * nx * (j < nyA ? j + hy : j - nyA);
      for (let i = 0, src = nx * j; i < nx; i++, src++, d += 2) {
        dst[d] = wr[src] * scale;
        dst[d + 1] = wi[src] * scale;
      }
    }
  }
  return dst;
}

/**
 * MATLAB `fft2c`: centred orthonormal forward 2-D FFT over the first two dims,
 * `fftshift(fft2(ifftshift(x))) / sqrt(nx*ny)` per image, exact for odd and even sizes.
 *
 * @param data complex interleaved (re, im), MATLAB dims `(nx, ny, count)` column-major
 *   (x fastest); any trailing dims (coil, slice, frame) flattened into `count`
 * @param nx size of the first dim (e.g. kx / readout)
 * @param ny size of the second dim (e.g. ky / phase encode)
 * @param count number of stacked images; default `data.length / (2*nx*ny)`
 * @param out destination of the same layout (may be `data` itself); allocated when absent
 * @returns `out` (or a new array): k-space, dims `(nx, ny, count)`, complex interleaved
 * @throws {ShapeError} when the sizes do not match the data
 */
export function fft2c(
  data: Float32Array,
  nx: number,
  ny: number,
  count?: number,
  out?: Float32Array,
): Float32Array {
  return transform2c("fft2c", false, data, nx, ny, count, out);
}

/**
 * MATLAB `ifft2c` (the official image reconstruction): centred orthonormal inverse 2-D FFT
 * over the first two dims, `sqrt(nx*ny) * fftshift(ifft2(ifftshift(x)))` per image, exact
 * for odd and even sizes.
 *
 * @param data complex interleaved (re, im) k-space, MATLAB dims `(nx, ny, count)`
 *   column-major (kx fastest); trailing dims (coil, slice, frame) flattened into `count`
 * @param nx size of the first dim (kx)
 * @param ny size of the second dim (ky)
 * @param count number of stacked images; default `data.length / (2*nx*ny)`
 * @param out destination of the same layout (may be `data` itself); allocated when absent
 * @returns `out` (or a new array): images, dims `(nx, ny, count)`, complex interleaved
 * @throws {ShapeError} when the sizes do not match the data
 */
export function ifft2c(
  data: Float32Array,
  nx: number,
  ny: number,
  count?: number,
  out?: Float32Array,
): Float32Array {
  return transform2c("ifft2c", true, data, nx, ny, count, out);
}
