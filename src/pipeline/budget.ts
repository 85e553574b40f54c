/**
 * The time-budget verdict of `submit --time-budget`: the time measured per reconstructed
 * slice, scaled to the real sizes of the edition's test set (`Edition.testSet`: 2023, 2024 and
 * 2025; the counts and sizes the organisers did not publish are assumptions its `basis`
 * names). The budget is a duration or `edition`: the edition's time per task
 * (`Edition.limits.secondsPerTask`), with any conflict between its pages in the verdict.
 *
 * Assumption: the time to reconstruct one slice is linear in pixels x frames x coils (what an
 * FFT-based method or a convolutional network touches), so a measured time per
 * pixel-frame-coil is multiplied by the real image size, frames and coils of each view, its
 * slices and its number of files. Overheads that do not scale (model loading, file opening)
 * are scaled too, so small images overestimate a little; caches, GPU occupancy and memory
 * limits that only appear at real size are not seen at all, so an estimate from images much
 * smaller than the real ones (under a quarter of the pixels) is marked not reliable.
 *
 * Real sizes (2023, in `challenge/editions/2023.ts`; the challenge format reference, section
 * 2.5; `synth --size full` writes the same): cine SAX 512 x 246, 10 coils, up to 10 slices, 12 frames; cine LAX
 * 448 x 204, 10 coils, 3 views, 12 frames; T1 mapping 448 x 162, 10 coils, 6 slices, 9
 * weightings; T2 mapping the same with 3 weightings (the mapping in-plane size is the one of
 * `synth --size full`; the reference gives the slice and weighting counts only).
 *
 * @module
 */

import type { Edition, ViewSize } from "../challenge/edition.ts";
import { EDITION_2023 } from "../challenge/editions/mod.ts";
import { UsageError } from "../errors.ts";

export type { ViewSize } from "../challenge/edition.ts";

/** Below this fraction of the real pixels per image, a verdict is marked not reliable. */
export const RELIABLE_PIXEL_FRACTION = 0.25;

/** Measured time of one view. */
export interface ViewTiming {
  /** Written cases measured. */
  cases: number;
  /** Mean wall-clock seconds per written case. */
  meanSeconds: number;
  /** Seconds per reconstructed slice. */
  secondsPerSlice: number;
  /** Seconds per pixel x frame x coil of a reconstructed slice (what scales to the test set). */
  secondsPerUnit: number;
  /**
   * Mean image size of the measured cases (pixels of one frame); NaN when a case's size is
   * not known (logs of older versions).
   */
  pixels: number;
  /** The largest measured image as `WxH` (e.g. `512x246`), or `unknown size`. */
  size: string;
  /** Mean frames of the measured cases. */
  frames: number;
  /** Mean coils of the measured cases. */
  coils: number;
}

/** Whether a run of the whole test set fits the time budget. */
export interface BudgetVerdict {
  /** The time budget in seconds. */
  budgetSeconds: number;
  /** The edition whose test set the estimate is for: `CMRxRecon 2024`. */
  edition?: string;
  /**
   * Where the budget comes from: `--time-budget` (a duration given), or the edition's limit
   * with its source (`--time-budget edition`).
   */
  budgetFrom?: string;
  /** The organisers' pages disagree on the edition's time limit (2024: 12 h vs 4 h). */
  conflict?: string;
  /** Estimated seconds for the whole test set of the chosen task(s). */
  estimateSeconds: number;
  /** estimate / budget. */
  fraction: number;
  /** `fits` (fraction up to 0.8), `tight` (up to 1) or `exceeds`. */
  verdict: "fits" | "tight" | "exceeds";
  /** How the estimate was made (sizes, files, the scaling assumption). */
  basis: string;
  /** False when the measured images are far smaller than the real ones (see {@link warning}). */
  reliable: boolean;
  /** Why the verdict is not reliable, with the fix. */
  warning?: string;
}

/** One written case, for {@link viewTimings}. */
export interface TimedCase {
  /** Short view name (`lax`, `sax`, `T1`, `T2`, ...). */
  view: string;
  /** Wall-clock seconds the case took. */
  seconds: number;
  /** Slices reconstructed. */
  slices: number;
  /** Size of the file (absent in logs of older versions). */
  geometry?: Pick<ViewSize, "nx" | "ny" | "nc" | "nt">;
}

/**
 * Timing per view of written cases. Without geometry (logs of older versions) a case counts
 * as real size, and its view's verdict as not reliable.
 */
export function viewTimings(
  cases: readonly TimedCase[],
  edition: Edition = EDITION_2023,
): Record<string, ViewTiming> {
  // The real sizes stand in only for cases without geometry (logs of older versions, all
  // 2023): an edition without known test-set sizes still gets its measured timings.
  const sizes = (edition.testSet ?? EDITION_2023.testSet!).sizes;
  const byView = new Map<string, TimedCase[]>();
  for (const c of cases) byView.set(c.view, [...byView.get(c.view) ?? [], c]);
  const out: Record<string, ViewTiming> = {};
  for (const [view, ts] of byView) {
    const real = sizes[view] ?? sizes.sax;
    const g = (t: TimedCase) => t.geometry ?? real;
    const slices = ts.reduce((s, t) => s + t.slices, 0);
    const units = ts.reduce((s, t) => s + t.slices * sliceUnits(g(t)), 0);
    const seconds = ts.reduce((s, t) => s + t.seconds, 0);
    const known = ts.every((t) => t.geometry);
    const largest = ts.reduce((a, t) => (g(t).nx * g(t).ny > g(a).nx * g(a).ny ? t : a));
    out[view] = {
      cases: ts.length,
      meanSeconds: seconds / ts.length,
      secondsPerSlice: slices ? seconds / slices : 0,
      secondsPerUnit: units ? seconds / units : 0,
      pixels: known ? mean(ts.map((t) => g(t).nx * g(t).ny)) : NaN,
      size: known ? `${g(largest).nx}x${g(largest).ny}` : "unknown size",
      frames: mean(ts.map((t) => g(t).nt)),
      coils: mean(ts.map((t) => g(t).nc)),
    };
  }
  return out;
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
}

/** Work units of one slice of a file: pixels x frames x coils. */
export function sliceUnits(s: Pick<ViewSize, "nx" | "ny" | "nc" | "nt">): number {
  return s.nx * s.ny * s.nt * s.nc;
}

/** The test set of an edition, refused when its sizes are not known. */
function testSetOf(edition: Edition) {
  if (!edition.testSet) {
    throw new UsageError(`the test-set sizes of ${edition.title} are not known to cmrxkit`, {
      hint: "the time-budget verdict needs them (Edition.testSet); use another --year",
    });
  }
  return edition.testSet;
}

/**
 * A `--time-budget` value: a duration in seconds, or `edition`, the time per task of the
 * edition the run follows (`Edition.limits.secondsPerTask`).
 */
export type TimeBudget = number | "edition";

/**
 * Parses `--time-budget`: `edition` (the edition's limit per task), else a duration
 * ({@link parseDuration}).
 *
 * @throws {UsageError} for anything else
 */
export function parseTimeBudget(s: string): TimeBudget {
  return s.trim().toLowerCase() === "edition" ? "edition" : parseDuration(s);
}

/** Seconds of a {@link TimeBudget} under `edition`. */
export function budgetSecondsOf(budget: TimeBudget, edition: Edition): number {
  return budget === "edition" ? edition.limits.secondsPerTask : budget;
}

/** The views of the test set a `--task` covers: the test set's `taskOf`, else `views(task)`. */
function viewsOf(edition: Edition, task: "cine" | "mapping" | "both"): string[] {
  const taskOf = edition.testSet?.taskOf;
  if (!taskOf) return edition.views(task);
  return Object.keys(taskOf).filter((v) => task === "both" || taskOf[v] === task);
}

/**
 * Extrapolates measured time per pixel-frame-coil (by view) to the edition's test set of the
 * tasks run (see the module docs). Views never measured take the mean of the measured ones.
 */
export function budgetVerdict(
  perView: Record<string, ViewTiming>,
  task: "cine" | "mapping" | "both",
  budget: TimeBudget,
  edition: Edition = EDITION_2023,
): BudgetVerdict {
  const testSet = testSetOf(edition);
  const budgetSeconds = budgetSecondsOf(budget, edition);
  const measured = Object.values(perView).filter((v) => v.cases > 0);
  const cases = measured.reduce((s, v) => s + v.cases, 0);
  const fallback = cases ? measured.reduce((s, v) => s + v.secondsPerUnit * v.cases, 0) / cases : 0;
  let estimate = 0;
  let worst = 0, worstFrom = "";
  const parts: string[] = [];
  for (const v of viewsOf(edition, task)) {
    const real = testSet.sizes[v];
    const m = perView[v]?.cases ? perView[v] : undefined;
    const per = m ? m.secondsPerUnit : fallback;
    const n = testSet.files[v] * (testSet.versions ?? testSet.accs.length);
    const perSlice = per * sliceUnits(real);
    estimate += perSlice * n * real.nz;
    const from = m
      ? `measured on ${m.size} x ${fmt(m.frames)} frames x ${fmt(m.coils)} coils`
      : "no case measured: mean of the other views";
    parts.push(
      `${n} ${v} x ${real.nz} slices of ${real.nx}x${real.ny} x ${real.nt} frames x ${real.nc} ` +
        `coils at ${perSlice.toFixed(2)} s per slice (${from})`,
    );
    const sources = m ? [m] : measured;
    for (const s of sources) {
      const ratio = Number.isFinite(s.pixels)
        ? (real.nx * real.ny) / Math.max(1, s.pixels)
        : Infinity;
      if (ratio > worst) [worst, worstFrom] = [ratio, s.size];
    }
  }
  const fraction = budgetSeconds > 0 ? estimate / budgetSeconds : Infinity;
  const reliable = cases > 0 && worst <= 1 / RELIABLE_PIXEL_FRACTION;
  const limits = edition.limits;
  return {
    budgetSeconds,
    edition: edition.title,
    budgetFrom: budget === "edition"
      ? `the ${edition.title} limit per task (${limits.source})`
      : "--time-budget",
    ...(limits.conflict ? { conflict: limits.conflict } : {}),
    estimateSeconds: estimate,
    fraction,
    verdict: fraction <= 0.8 ? "fits" : fraction <= 1 ? "tight" : "exceeds",
    basis: `${testSet.basis}, time per slice assumed linear in ` +
      `pixels x frames x coils: ${parts.join(" + ")}`,
    reliable,
    warning: reliable
      ? undefined
      : cases === 0
      ? "not reliable: no case was reconstructed to measure; run some cases first"
      : `not reliable: extrapolated ${
        Number.isFinite(worst) ? `${worst.toFixed(0)}x` : ""
      } from images of ${worstFrom}; run on real-size data (synth --size full) for a ` +
        "reliable verdict",
  };
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(1);
}

/**
 * Parses `4h`, `90m`, `3600s`, `1h30m`, or plain seconds (`--time-budget`, `--time-limit`)
 * into seconds.
 *
 * @throws {UsageError} for anything else
 */
export function parseDuration(s: string): number {
  const t = s.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  const re = /(\d+(?:\.\d+)?)\s*(h|m|s)/g;
  let total = 0, seen = "";
  for (const m of t.matchAll(re)) {
    total += Number(m[1]) * (m[2] === "h" ? 3600 : m[2] === "m" ? 60 : 1);
    seen += m[0];
  }
  if (!seen || seen.replace(/\s/g, "") !== t.replace(/\s/g, "")) {
    throw new UsageError(`'${s}' is not a duration`, { hint: "use e.g. 4h, 90m, 1h30m or 3600s" });
  }
  return total;
}
