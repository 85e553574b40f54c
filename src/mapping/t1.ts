/**
 * T1 from MOLLI: per-pixel fit of the three-parameter Look-Locker model
 *
 * ```
 * s(TI) = | A - B exp(-TI / T1*) |,      T1 = T1* (B / A - 1)
 * ```
 *
 * to magnitude images, with polarity restoration: the magnitude loses the sign of the
 * early inversion times (before the null), so for k = 0 .. n-1 the first k samples in TI
 * order are negated and the signed curve `A - B exp(-TI / T1*)` is fitted; the k with the
 * least squared residual wins. (The official CMRxRecon fitting code,
 * `CMRxRecon/Mapping/CalEvalMap.py`, loops over 1..6 flips with `curve_fit` but stops after the
 * first fit that succeeds, i.e. after flipping TI1 only; docs/mapping.md says where the two
 * differ.)
 *
 * How it is fast: for a fixed rate `R = 1/T1*` the model is linear in (A, B), so a grid over
 * R (log-spaced) gives the least-squares A, B and residual of every flip count k in closed
 * form, updating two running sums per flipped sample (the 2×2 Gram matrix depends only on R
 * and the slice's TIs, and is shared by all pixels). The best grid points then seed a
 * Levenberg–Marquardt refinement of (A, B, R) with the analytic Jacobian, in float64, per
 * pixel, on typed arrays.
 *
 * @module
 */

import { ShapeError } from "../errors.ts";
import { argsort, solveDamped3 } from "./lsq.ts";

/** Options of {@link fitMolli}. */
export interface MolliFitOptions {
  /** T1 outside this range (ms) is clamped to it; default `[0, 5000]`. */
  t1Range?: [number, number];
  /** Apparent T1* range (ms) of the initial grid search; default `[20, 6000]`. */
  t1StarRange?: [number, number];
  /** Grid points over the T1* range (log-spaced rates); default 64. */
  gridPoints?: number;
  /** Only pixels with a non-zero entry are fitted (others get 0); default all. */
  mask?: Uint8Array | null;
  /** Levenberg–Marquardt iterations per candidate; default 100. */
  maxIterations?: number;
}

/** Per-pixel result of {@link fitMolli}; every array has one value per pixel. */
export interface MolliFit {
  /** T1 = T1* (B/A - 1), ms, clamped to the range; 0 where not fitted or invalid. */
  t1: Float32Array;
  /** Steady-state amplitude A (signal units). */
  a: Float32Array;
  /** Inversion amplitude B (signal units). */
  b: Float32Array;
  /** Apparent (Look-Locker) T1*, ms. */
  t1star: Float32Array;
  /** Number of samples (in TI order) whose polarity was restored. */
  flips: Uint8Array;
  /** Residual sum of squares of the signed fit (signal units squared). */
  sse: Float64Array;
  /** Coefficient of determination of the signed fit (1 = perfect). */
  rsq: Float32Array;
}

/** One fitted pixel (the scalar form, also what the tests compare). */
export interface MolliPixelFit {
  /** Steady-state amplitude A (signal units). */
  a: number;
  /** Inversion amplitude B (signal units). */
  b: number;
  /** Apparent (Look-Locker) T1*, ms. */
  t1star: number;
  /** T1 = T1* (B/A - 1), ms, clamped to the range; 0 where the fit is invalid. */
  t1: number;
  /** Number of samples (in TI order) whose polarity was restored. */
  flips: number;
  /** Residual sum of squares of the signed fit (signal units squared). */
  sse: number;
}

/**
 * Precomputed, per set of inversion times: sorted order, the rate grid, `exp(-TI R)` per
 * grid point and the entries of the 2×2 Gram matrix of columns `[1, exp(-TI R)]`.
 */
class MolliGrid {
  readonly n: number;
  readonly order: number[];
  readonly ts: Float64Array;
  readonly rates: Float64Array;
  readonly e: Float64Array;
  readonly se: Float64Array;
  readonly se2: Float64Array;
  /** `1 / det` of the Gram matrix, 0 where it is singular. */
  readonly invDet: Float64Array;

  constructor(times: readonly number[], range: [number, number], points: number) {
    this.n = times.length;
    this.order = argsort(times);
    this.ts = Float64Array.from(this.order, (i) => times[i]);
    const [lo, hi] = range;
    this.rates = new Float64Array(points);
    for (let g = 0; g < points; g++) {
      const f = points === 1 ? 0.5 : g / (points - 1);
      this.rates[g] = Math.exp(-(Math.log(hi) + f * (Math.log(lo) - Math.log(hi))));
    }
    const n = this.n;
    this.e = new Float64Array(points * n);
    this.se = new Float64Array(points);
    this.se2 = new Float64Array(points);
    this.invDet = new Float64Array(points);
    for (let g = 0; g < points; g++) {
      let s = 0, s2 = 0;
      for (let i = 0; i < n; i++) {
        const v = Math.exp(-this.ts[i] * this.rates[g]);
        this.e[g * n + i] = v;
        s += v;
        s2 += v * v;
      }
      this.se[g] = s;
      this.se2[g] = s2;
      const det = n * s2 - s * s;
      this.invDet[g] = det > 1e-300 ? 1 / det : 0;
    }
  }
}

/** Scratch buffers of one fitter (no allocation per pixel). */
class MolliScratch {
  readonly y: Float64Array;
  readonly ys: Float64Array;
  readonly bestSse: Float64Array;
  readonly bestG: Int32Array;
  readonly bestA: Float64Array;
  readonly bestB: Float64Array;
  readonly jtj = new Float64Array(6);
  readonly jtr = new Float64Array(3);
  readonly step = new Float64Array(3);
  readonly p = new Float64Array(4);
  constructor(n: number) {
    this.y = new Float64Array(n);
    this.ys = new Float64Array(n);
    this.bestSse = new Float64Array(n);
    this.bestG = new Int32Array(n);
    this.bestA = new Float64Array(n);
    this.bestB = new Float64Array(n);
  }
}

function checkTimes(times: readonly number[], what: string, min: number): void {
  if (times.length < min) {
    throw new ShapeError(
      `${what}: ${times.length} time(s) given, the model needs at least ${min}`,
      {
        hint: "check the csv (trailing zero times are dropped with their images)",
      },
    );
  }
  for (const t of times) {
    if (!Number.isFinite(t) || t < 0) {
      throw new ShapeError(`${what}: times must be finite and >= 0 ms, got ${t}`);
    }
  }
}

/** Residual sum of squares of `A - B exp(-R t)` against signed samples. */
function sse3(ts: Float64Array, ys: Float64Array, n: number, a: number, b: number, r: number) {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const d = a - b * Math.exp(-r * ts[i]) - ys[i];
    s += d * d;
  }
  return s;
}

/**
 * Levenberg–Marquardt on `A - B exp(-R t)` (parameters A, B, R > 0) from a start point;
 * returns the refined parameters and residual in `p = [A, B, R, sse]`.
 */
function refine3(
  ts: Float64Array,
  ys: Float64Array,
  n: number,
  p: Float64Array,
  maxIt: number,
  s: MolliScratch,
): void {
  let a = p[0], b = p[1], r = p[2];
  let sse = sse3(ts, ys, n, a, b, r);
  let lambda = 1e-3;
  const m = s.jtj, g = s.jtr, d = s.step;
  for (let it = 0; it < maxIt; it++) {
    m.fill(0);
    g.fill(0);
    for (let i = 0; i < n; i++) {
      const e = Math.exp(-r * ts[i]);
      const res = a - b * e - ys[i];
      const j1 = -e, j2 = b * ts[i] * e; // d/dA = 1
      m[0] += 1;
      m[1] += j1;
      m[2] += j2;
      m[3] += j1 * j1;
      m[4] += j1 * j2;
      m[5] += j2 * j2;
      g[0] -= res;
      g[1] -= j1 * res;
      g[2] -= j2 * res;
    }
    let accepted = false;
    while (lambda < 1e12) {
      if (!solveDamped3(m, g, lambda, d)) {
        lambda *= 10;
        continue;
      }
      const na = a + d[0], nb = b + d[1], nr = r + d[2];
      const nsse = nr > 0 ? sse3(ts, ys, n, na, nb, nr) : Infinity;
      if (nsse <= sse) {
        const small = Math.abs(d[2]) <= 1e-12 * Math.abs(nr) && sse - nsse <= 1e-14 * sse;
        a = na;
        b = nb;
        r = nr;
        const drop = sse - nsse;
        sse = nsse;
        lambda = Math.max(lambda / 10, 1e-15);
        accepted = true;
        if (small || drop <= 1e-15 * sse || sse === 0) it = maxIt;
        break;
      }
      lambda *= 10;
    }
    if (!accepted) break;
  }
  p[0] = a;
  p[1] = b;
  p[2] = r;
  p[3] = sse;
}

/**
 * Fits one pixel (magnitudes `y` in the grid's TI order) and writes the result to `out`.
 * Returns false when nothing could be fitted (all-zero signal).
 */
function fitPixel(
  grid: MolliGrid,
  s: MolliScratch,
  maxIt: number,
  out: Float64Array,
): boolean {
  const n = grid.n, y = s.y;
  let s2 = 0, sumY = 0;
  for (let i = 0; i < n; i++) {
    s2 += y[i] * y[i];
    sumY += y[i];
  }
  if (!(s2 > 0)) return false;
  const sy0 = sumY;
  s.bestSse.fill(Infinity);
  const G = grid.rates.length;
  // Grid search: every rate, every flip count k, closed-form A and B.
  let anySse = Infinity, anyK = 0, anyG = 0, anyA = 0, anyB = 0;
  for (let g = 0; g < G; g++) {
    const inv = grid.invDet[g];
    if (inv === 0) continue;
    const se = grid.se[g], se2 = grid.se2[g], eo = g * n;
    let sy = sy0, sye = 0;
    for (let i = 0; i < n; i++) sye += y[i] * grid.e[eo + i];
    for (let k = 0; k < n; k++) {
      if (k > 0) {
        sy -= 2 * y[k - 1];
        sye -= 2 * y[k - 1] * grid.e[eo + k - 1];
      }
      // [n se; se se2] [c0; c1] = [sy; sye]; model c0 + c1 e = A - B e
      const c0 = (se2 * sy - se * sye) * inv;
      const c1 = (n * sye - se * sy) * inv;
      const sse = s2 - (c0 * sy + c1 * sye);
      if (sse < anySse) {
        anySse = sse;
        anyK = k;
        anyG = g;
        anyA = c0;
        anyB = -c1;
      }
      if (c0 > 0 && c1 < 0 && sse < s.bestSse[k]) {
        s.bestSse[k] = sse;
        s.bestG[k] = g;
        s.bestA[k] = c0;
        s.bestB[k] = -c1;
      }
    }
  }
  // Candidates: the physically valid (A, B > 0) flip counts whose grid residual is close
  // to the best one (neighbouring k can swap after refinement); else the best of any.
  let minSse = Infinity;
  for (let k = 0; k < n; k++) minSse = Math.min(minSse, s.bestSse[k]);
  out[3] = Infinity;
  if (Number.isFinite(minSse)) {
    const tol = 2 * minSse + 1e-12 * s2;
    for (let k = 0; k < n; k++) {
      if (s.bestSse[k] <= tol) {
        tryFlips(grid, s, k, s.bestA[k], s.bestB[k], grid.rates[s.bestG[k]], maxIt, out);
      }
    }
  } else {
    tryFlips(grid, s, anyK, anyA, anyB, grid.rates[anyG], maxIt, out);
  }
  return Number.isFinite(out[3]);
}

/** Refines flip count `k` from a grid start; keeps it in `out` when its residual is lower. */
function tryFlips(
  grid: MolliGrid,
  s: MolliScratch,
  k: number,
  a: number,
  b: number,
  r: number,
  maxIt: number,
  out: Float64Array,
): void {
  const n = grid.n, ys = s.ys, y = s.y, p = s.p;
  for (let i = 0; i < n; i++) ys[i] = i < k ? -y[i] : y[i];
  p[0] = a;
  p[1] = b;
  p[2] = r;
  refine3(grid.ts, ys, n, p, maxIt, s);
  if (p[3] < out[3]) {
    out[0] = p[0];
    out[1] = p[1];
    out[2] = p[2];
    out[3] = p[3];
    out[4] = k;
  }
}

/**
 * Fits the MOLLI model to every pixel of one slice.
 *
 * @param signals magnitude images, MATLAB dims `(npix, nw)` column-major (pixel fastest:
 *   an `(x, y, weighting)` slice with `npix = nx * ny`); values are taken as magnitudes
 *   (`abs`); only the first `times.length` weightings are used
 * @param npix pixels per weighting
 * @param times inversion time of each weighting, ms (any order; trailing zero times must be
 *   dropped before, see `usableTimes` in `src/challenge/maps/csv.ts`)
 * @param opts ranges, grid, mask, iterations
 * @returns per-pixel T1, A, B, T1*, flips, residual, R²
 * @throws {ShapeError} fewer than 3 times, negative/non-finite times, too few values
 */
export function fitMolli(
  signals: ArrayLike<number>,
  npix: number,
  times: readonly number[],
  opts: MolliFitOptions = {},
): MolliFit {
  checkTimes(times, "MOLLI T1 fit", 3);
  const n = times.length;
  if (signals.length < npix * n) {
    throw new ShapeError(
      `MOLLI T1 fit: ${n} weightings of ${npix} pixels need ${
        npix * n
      } values, got ${signals.length}`,
    );
  }
  const [t1Lo, t1Hi] = opts.t1Range ?? [0, 5000];
  const grid = new MolliGrid(times, opts.t1StarRange ?? [20, 6000], opts.gridPoints ?? 64);
  const maxIt = opts.maxIterations ?? 100;
  const mask = opts.mask ?? null;
  const out: MolliFit = {
    t1: new Float32Array(npix),
    a: new Float32Array(npix),
    b: new Float32Array(npix),
    t1star: new Float32Array(npix),
    flips: new Uint8Array(npix),
    sse: new Float64Array(npix),
    rsq: new Float32Array(npix),
  };
  const s = new MolliScratch(n);
  const res = new Float64Array(5);
  for (let px = 0; px < npix; px++) {
    if (mask && !mask[px]) continue;
    for (let i = 0; i < n; i++) s.y[i] = Math.abs(signals[px + npix * grid.order[i]]);
    if (!fitPixel(grid, s, maxIt, res)) continue;
    const [a, b, r, sse, k] = res;
    out.a[px] = a;
    out.b[px] = b;
    out.t1star[px] = 1 / r;
    out.flips[px] = k;
    out.sse[px] = sse;
    let mean = 0, ss = 0;
    for (let i = 0; i < n; i++) mean += i < k ? -s.y[i] : s.y[i];
    mean /= n;
    for (let i = 0; i < n; i++) ss += ((i < k ? -s.y[i] : s.y[i]) - mean) ** 2;
    out.rsq[px] = ss > 0 ? 1 - sse / ss : 0;
    const t1 = a > 0 && b > 0 ? (b / a - 1) / r : NaN;
    out.t1[px] = Number.isFinite(t1) ? Math.min(t1Hi, Math.max(t1Lo, t1)) : 0;
  }
  return out;
}

/**
 * Fits one pixel: magnitudes `y[w]` at inversion times `times[w]`.
 * The scalar form of {@link fitMolli} (same algorithm), for tests and tools.
 */
export function fitMolliPixel(
  y: readonly number[],
  times: readonly number[],
  opts: Omit<MolliFitOptions, "mask"> = {},
): MolliPixelFit {
  const f = fitMolli(Float64Array.from(y), 1, times, opts);
  return {
    a: f.a[0],
    b: f.b[0],
    t1star: f.t1star[0],
    t1: f.t1[0],
    flips: f.flips[0],
    sse: f.sse[0],
  };
}
