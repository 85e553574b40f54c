/**
 * The official 2023 aggregation of scores (`CMRxRecon/Evaluation/Main_Score.py`): group means
 * per (coil, view, acceleration), the better of multi- and single-coil per (view,
 * acceleration) — `max` for every metric, NMSE included, as the official code does — the
 * NaN-aware mean over views per acceleration, then the mean over accelerations, rounded to 4
 * decimals.
 *
 * @module
 */

/** Metric triple. */
export interface Metrics {
  /** Mean SSIM (1 = identical). */
  ssim: number;
  /** Mean PSNR, dB. */
  psnr: number;
  /** Mean normalised MSE `‖ref − x‖² / ‖ref‖²`. */
  nmse: number;
}

/** One (coil, modality, view, acceleration) group. */
export interface GroupScore extends Metrics {
  /** Coil folder: `MultiCoil` or `SingleCoil`. */
  coil: string;
  /** Modality folder: `Cine` or `Mapping`. */
  modality: string;
  /** Short view name (`Edition.viewOf`): `lax`, `sax`, `T1`, `T2`. */
  view: string;
  /** Acceleration factor R (4 for `AccFactor04`). */
  acc: number;
  /** Files scored. */
  files: number;
  /** Files the truth expects. */
  expected: number;
}

/** Aggregate of one task (cine or mapping); its metrics are rounded to 4 decimals. */
export interface TaskScore extends Metrics {
  /** Per acceleration, keyed `AccFactor04` ... (after the coil max and the mean over views). */
  byAcc: Record<string, Metrics>;
  /** Files scored, over all groups of the task. */
  files: number;
  /** Files the truth expects, over all groups of the task. */
  expected: number;
}

/** The aggregate per task. */
export interface Aggregate {
  /** The cine task (groups of modality `Cine`); absent when none were scored. */
  cine?: TaskScore;
  /** The mapping task (groups of modality `Mapping`); absent when none were scored. */
  mapping?: TaskScore;
}

/** The NaN-aware mean (NaN when nothing is left). */
export function mean(xs: number[]): number {
  const ok = xs.filter((x) => !Number.isNaN(x));
  return ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : NaN;
}

/** The better of multi- and single-coil, as the official code does it (max, NaN ignored). */
export function coilMax(xs: number[]): number {
  const ok = xs.filter((x) => !Number.isNaN(x));
  return ok.length ? Math.max(...ok) : NaN;
}

/** Rounds to 4 decimals, as the leaderboard reports. */
export const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

/**
 * The official aggregation of group means: per (view, acceleration) the better of multi-
 * and single-coil (max for every metric, as the official code does), the NaN-aware mean over
 * views per acceleration, then the mean over accelerations, rounded to 4 decimals.
 */
export function aggregateGroups(all: GroupScore[]): Aggregate {
  const out: Aggregate = {};
  for (const task of ["cine", "mapping"] as const) {
    const modality = task === "cine" ? "Cine" : "Mapping";
    const groups = all.filter((g) => g.modality === modality);
    if (groups.length === 0) continue;
    const byAcc: Record<string, Metrics> = {};
    const accList = [...new Set(groups.map((g) => g.acc))].sort((a, b) => a - b);
    for (const acc of accList) {
      const views = [...new Set(groups.filter((g) => g.acc === acc).map((g) => g.view))];
      const perView = views.map((view) => {
        const gs = groups.filter((g) => g.acc === acc && g.view === view);
        return {
          ssim: coilMax(gs.map((g) => g.ssim)),
          psnr: coilMax(gs.map((g) => g.psnr)),
          nmse: coilMax(gs.map((g) => g.nmse)),
        };
      });
      byAcc[`AccFactor${String(acc).padStart(2, "0")}`] = {
        ssim: mean(perView.map((v) => v.ssim)),
        psnr: mean(perView.map((v) => v.psnr)),
        nmse: mean(perView.map((v) => v.nmse)),
      };
    }
    const accs = Object.values(byAcc);
    out[task] = {
      ssim: round4(mean(accs.map((a) => a.ssim))),
      psnr: round4(mean(accs.map((a) => a.psnr))),
      nmse: round4(mean(accs.map((a) => a.nmse))),
      byAcc,
      files: groups.reduce((s, g) => s + g.files, 0),
      expected: groups.reduce((s, g) => s + g.expected, 0),
    };
  }
  return out;
}
