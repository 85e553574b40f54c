/**
 * T2 from T2-prepared images: per-pixel fit of the mono-exponential
 *
 * ```
 * s(TE) = S0 exp(-TE / T2)
 * ```
 *
 * in the signal domain (least squares on the magnitudes, what `curve_fit` minimises),
 * initialised by the weighted log-linear fit (`ln s` against TE with weights `s²`, the
 * first-order equivalent of the signal-domain fit) and refined by Levenberg–Marquardt on
 * (S0, R2 = 1/T2) with the analytic Jacobian. T2 is clipped to a physiological range: the
 * official CMRxRecon code fits only the log-linear line and zeroes T2 outside (0, 200] ms
 * (`CMRxRecon/Mapping/CalEvalMap.py`); cmrxkit clamps to `t2Range` instead (blood is ~250 ms).
 *
 * @module
 */

import { ShapeError } from "../errors.ts";
import { solveDamped2 } from "./lsq.ts";

/** Options of {@link fitT2Prep}. */
export interface T2FitOptions {
  /** T2 outside this range (ms) is clamped to it; default `[0, 500]`. */
  t2Range?: [number, number];
  /** Only pixels with a non-zero entry are fitted (others get 0); default all. */
  mask?: Uint8Array | null;
  /** Levenberg–Marquardt iterations; default 100. */
  maxIterations?: number;
}

/** Per-pixel result of {@link fitT2Prep}; every array has one value per pixel. */
export interface T2Fit {
  /** T2, ms, clamped to the range; 0 where not fitted. */
  t2: Float32Array;
  /** Amplitude at TE = 0 (signal units). */
  s0: Float32Array;
  /** Residual sum of squares (signal units squared). */
  sse: Float64Array;
  /** Coefficient of determination (1 = perfect). */
  rsq: Float32Array;
}

function sse2(ts: Float64Array, y: Float64Array, n: number, s0: number, r: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const d = s0 * Math.exp(-r * ts[i]) - y[i];
    s += d * d;
  }
  return s;
}

/**
 * Fits the T2-prep model to every pixel of one slice.
 *
 * @param signals magnitude images, MATLAB dims `(npix, nw)` column-major (pixel fastest);
 *   values are taken as magnitudes (`abs`); only the first `times.length` weightings are used
 * @param npix pixels per weighting
 * @param times preparation (echo) time of each weighting, ms
 * @param opts range, mask, iterations
 * @throws {ShapeError} fewer than 2 times, negative/non-finite times, too few values
 */
export function fitT2Prep(
  signals: ArrayLike<number>,
  npix: number,
  times: readonly number[],
  opts: T2FitOptions = {},
): T2Fit {
  const n = times.length;
  if (n < 2) {
    throw new ShapeError(`T2 fit: ${n} time(s) given, the model needs at least 2`, {
      hint: "check the T2map.csv preparation times",
    });
  }
  for (const t of times) {
    if (!Number.isFinite(t) || t < 0) {
      throw new ShapeError(`T2 fit: times must be finite and >= 0 ms, got ${t}`);
    }
  }
  if (signals.length < npix * n) {
    throw new ShapeError(
      `T2 fit: ${n} weightings of ${npix} pixels need ${npix * n} values, got ${signals.length}`,
    );
  }
  const [lo, hi] = opts.t2Range ?? [0, 500];
  const maxIt = opts.maxIterations ?? 100;
  const mask = opts.mask ?? null;
  const ts = Float64Array.from(times);
  const y = new Float64Array(n);
  const m = new Float64Array(3), g = new Float64Array(2), d = new Float64Array(2);
  const out: T2Fit = {
    t2: new Float32Array(npix),
    s0: new Float32Array(npix),
    sse: new Float64Array(npix),
    rsq: new Float32Array(npix),
  };
  for (let px = 0; px < npix; px++) {
    if (mask && !mask[px]) continue;
    // Weighted log-linear start: ln y = ln S0 - R t, weights y^2.
    let sw = 0, swt = 0, swl = 0, swtt = 0, swtl = 0, mean = 0;
    for (let i = 0; i < n; i++) {
      const v = Math.abs(signals[px + npix * i]);
      y[i] = v;
      mean += v;
      if (v > 0) {
        const w = v * v, l = Math.log(v);
        sw += w;
        swt += w * ts[i];
        swl += w * l;
        swtt += w * ts[i] * ts[i];
        swtl += w * ts[i] * l;
      }
    }
    const det = sw * swtt - swt * swt;
    if (!(sw > 0)) continue;
    let r = det > 0 ? -(sw * swtl - swt * swl) / det : 0;
    let s0 = Math.exp(det > 0 ? (swtt * swl - swt * swtl) / det : swl / sw);
    let sse = sse2(ts, y, n, s0, r);
    let lambda = 1e-3;
    for (let it = 0; it < maxIt; it++) {
      m.fill(0);
      g.fill(0);
      for (let i = 0; i < n; i++) {
        const e = Math.exp(-r * ts[i]);
        const res = s0 * e - y[i];
        const j1 = -s0 * ts[i] * e; // d/dS0 = e
        m[0] += e * e;
        m[1] += e * j1;
        m[2] += j1 * j1;
        g[0] -= e * res;
        g[1] -= j1 * res;
      }
      let accepted = false;
      let done = false;
      while (lambda < 1e12) {
        if (!solveDamped2(m, g, lambda, d)) {
          lambda *= 10;
          continue;
        }
        const ns0 = s0 + d[0], nr = r + d[1];
        const nsse = sse2(ts, y, n, ns0, nr);
        if (nsse <= sse) {
          done = Math.abs(d[1]) <= 1e-12 * Math.abs(nr) || sse - nsse <= 1e-15 * sse ||
            nsse === 0;
          s0 = ns0;
          r = nr;
          sse = nsse;
          lambda = Math.max(lambda / 10, 1e-15);
          accepted = true;
          break;
        }
        lambda *= 10;
      }
      if (!accepted || done) break;
    }
    mean /= n;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += (y[i] - mean) ** 2;
    const t2 = r > 0 ? 1 / r : hi;
    out.t2[px] = Math.min(hi, Math.max(lo, t2));
    out.s0[px] = s0;
    out.sse[px] = sse;
    out.rsq[px] = ss > 0 ? 1 - sse / ss : 0;
  }
  return out;
}

/**
 * Fits one pixel: magnitudes `y[w]` at preparation times `times[w]`; returns T2 (clamped),
 * S0 and the residual. The scalar form of {@link fitT2Prep}.
 */
export function fitT2PrepPixel(
  y: readonly number[],
  times: readonly number[],
  opts: Omit<T2FitOptions, "mask"> = {},
): { t2: number; s0: number; sse: number } {
  const f = fitT2Prep(Float64Array.from(y), 1, times, opts);
  return { t2: f.t2[0], s0: f.s0[0], sse: f.sse[0] };
}
