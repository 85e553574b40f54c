/**
 * The butterfly passes of the Stockham mixed-radix FFT in `fft.ts`: fixed radix-2, 3, 4, 5
 * and 7 kernels, a generic kernel for small odd primes, and Rader's algorithm for larger
 * primes. Each pass reads one stage's input and writes its output (ping-pong buffers); the
 * plans in `fft.ts` choose and sequence them.
 *
 * Arrays are split complex `Float64Array`s (separate real and imaginary parts). A stage with
 * stride `s` sees `s` interleaved sequences: element `j` of sequence `q` at `q + s * j`.
 * Sign convention: forward, `exp(-2 pi i jk / n)`.
 *
 * @module
 */

/** What a Rader stage needs of its inner length-(r-1) plan. */
export interface RaderPlan {
  /**
   * Forward transform of `batch` interleaved sequences; true when the result was left in
   * the work arrays `wr`/`wi` instead of the inputs.
   */
  exec(re: Float64Array, im: Float64Array, batch: number): boolean;
  /** Work arrays (real, imaginary) holding the result when `exec` returns true. */
  readonly wr: Float64Array;
  readonly wi: Float64Array;
}

/** One radix stage of a Stockham plan: what the butterfly passes read. */
export interface Stage {
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

/**
 * Rader's algorithm for a prime radix r with primitive root g: with u[b] = x[g^-b] and
 * v[c] = exp(-2 pi i g^c / r), X[g^a] = x[0] + (u (*) v)[a], a cyclic convolution of
 * length L = r - 1 done with a (batched) length-L FFT; X[0] = x[0] + sum u.
 */
export interface Rader {
  /** Convolution length r - 1. */
  L: number;
  /** Cached plan for length L (distinct from any plan that uses this stage: L < r). */
  plan: RaderPlan;
  /** gin[b] = g^-b mod r: input index gathered into slot b. */
  gin: Int32Array;
  /** gout[a] = g^a mod r: output index of convolution slot a. */
  gout: Int32Array;
  /** DFT_L(v) / L, real and imaginary parts. */
  vr: Float64Array;
  vi: Float64Array;
}

/** Radix 2 butterfly of one stage: `s` interleaved sequences from `x` into `y`. */
export function pass2(
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

/** Radix 4 butterfly of one stage: `s` interleaved sequences from `x` into `y`. */
export function pass4(
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

/** Radix 3 butterfly of one stage: `s` interleaved sequences from `x` into `y`. */
export function pass3(
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

/** Radix 5 butterfly of one stage (pairs (1, 4) and (2, 3)): from `x` into `y`. */
export function pass5(
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
export function pass7(
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
export const RADER_MIN_BATCH = 8;

/** Sub-sequences per Rader convolution block: keeps the work space cache-resident. */
export const RADER_BLOCK = 32;

/**
 * Prime radix r by Rader's algorithm. For a fixed input index j the (p, q) pairs form the
 * contiguous block [j*sm, (j+1)*sm), so blocks of consecutive t = s*p + q are gathered,
 * convolved with one batched length-(r-1) FFT pair, and scattered with the twiddles.
 */
export function passRader(
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
export function passGeneric(
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
