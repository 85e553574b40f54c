/**
 * Fast Fourier transforms for any length, and MATLAB's centred orthonormal 2-D transforms
 * `fft2c` / `ifft2c` on complex interleaved column-major arrays.
 *
 * 1-D engine: a self-sorting (Stockham) mixed-radix FFT with radix-4, 2, 3 and 5 kernels
 * and a generic kernel for small odd prime factors; lengths with a large prime factor
 * use Bluestein's chirp-z algorithm on a power-of-two FFT. Plans are built once per length
 * and cached. All work buffers are `Float64Array`. This file holds the plans, the public 1-D
 * and 2-D API; the butterfly passes the plans run are in `fft_kernels.ts`.
 *
 * Sign convention (numpy / MATLAB): forward `X[k] = sum_j x[j] exp(-2 pi i j k / n)`,
 * inverse `x[j] = sum_k X[k] exp(+2 pi i j k / n)` (unnormalised; the 2-D centred
 * transforms apply the orthonormal `1/sqrt(nx*ny)`).
 *
 * @module
 */

import { ShapeError } from "../errors.ts";
import {
  pass2,
  pass3,
  pass4,
  pass5,
  pass7,
  passGeneric,
  passRader,
  type Rader,
  RADER_BLOCK,
  RADER_MIN_BATCH,
  type Stage,
} from "./fft_kernels.ts";

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

/** Smallest prime radix done with Rader's algorithm instead of the O(r^2) generic kernel. */
const MIN_RADER_RADIX = 17;

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
