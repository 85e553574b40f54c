/**
 * The per-file analysis of the report: for every submission file of any run, in the order
 * of {@link submissionFiles}, read the series (ground truth, zero-filled input, each run)
 * on the ranking grid and
 *
 * - score the zero-filled input like a run (validation split, reference from k-space);
 * - measure the dynamic and static regions (cine, {@link dynamicMask}, {@link regionScores});
 * - fit T1/T2 maps and measure their errors (mapping; in the LV myocardium where labels
 *   exist, else in the ground truth's fitted pixels);
 * - draw the figures of the chosen files (patient, views, accelerations).
 *
 * Series have MATLAB dims `(x, y, slice, frame)`, column-major, real; maps `(x, y, slice)`.
 * A file that cannot be read is a warning, not an error: the report goes on with the rest.
 *
 * @module
 */

import type { Split } from "../challenge/edition.ts";
import type { Case } from "../challenge/case.ts";
import { scoreVolume } from "../challenge/metrics/mod.ts";
import { type ReductionPlan, reductionPlan } from "../challenge/reduce.ts";
import type { Year } from "../challenge/edition.ts";
import { aggregateGroups, type GroupScore, type Metrics } from "../challenge/aggregate.ts";
import type { ScoreReport } from "../challenge/score.ts";
import type { SubmissionPathInfo } from "../challenge/paths.ts";
import { readMappingCsv, timesForSlices } from "../challenge/maps/csv.ts";
import { type MapErrors, mapErrors, type MapScorer } from "../challenge/maps/score.ts";
import { CmrxError } from "../errors.ts";
import { fitMaps, type MapKind, mapKindOf } from "../mapping/maps.ts";
import { kspaceSeries, runSeries, scoredFrames, type SeriesKind, truthSeries } from "./data.ts";
import { dynamicMask, type RegionScores, regionScores } from "./dynamic.ts";
import {
  type AddPng,
  caseFigure,
  type FigureView,
  locatorFigure,
  mapFigure,
  type MapsOfFile,
  type Source,
} from "./figures.ts";
import { exists, type ProgressFn, type Run, type SubmissionFiles, viewOf } from "./gather.ts";
import { GroupMeans } from "./group_means.ts";
import { firstFrames, type Series } from "./panels.ts";

/** What {@link analyseFiles} needs: the gathered inputs and where its outputs go. */
export interface AnalysisContext {
  /** The truth root (none: no errors, scores or maps). */
  truth?: string;
  /** The slice, frame and error scale of the figures. */
  view: FigureView;
  year: Year;
  split: Split;
  runs: Run[];
  /** The run that stands for the zero-filled input, if any. */
  zfRun?: Run;
  /** The label of the zero-filled column. */
  zfLabel: string;
  /** Input dataset cases by submission path. */
  inputCases: Map<string, Case>;
  files: SubmissionFiles;
  /** Whether a file is shown in figures (patient, views, accelerations chosen). */
  chosen: (i: SubmissionPathInfo) => boolean;
  /** The row label of a file's group in the comparison tables. */
  groupKey: (i: SubmissionPathInfo) => string;
  /** Map errors in the LV myocardium (when a labels folder exists). */
  scorer?: MapScorer;
  addPng: AddPng;
  warnings: string[];
  progress: ProgressFn;
}

/** A zero-filled group of the scores: its identity and the metrics of its files. */
export interface ZeroFilledGroup {
  g: Omit<GroupScore, keyof Metrics>;
  s: Metrics[];
}

/** What {@link analyseFiles} found. */
export interface Analysis {
  /** Case figures (HTML) of the chosen files. */
  figures: string[];
  /** "Where the heart moves" figures, one per chosen cine file. */
  locators: string[];
  /** Map figures of the chosen mapping files. */
  mapFigures: string[];
  /** Dynamic-region means: keys dp, sp (PSNR dynamic/static), ds, ss (SSIM). */
  dyn: GroupMeans;
  /** Map error means: keys rmse, mae (ms). */
  mapErr: GroupMeans;
  /** Metrics of the zero-filled input per `coil|modality|view|acc`. */
  zfGroups: Map<string, ZeroFilledGroup>;
  /** Where map errors were measured. */
  mapRegions: Set<"myocardium" | "fitted">;
}

/** A reference series and how it was reduced (cached across accelerations of a file). */
interface Reference {
  file: string;
  series: Series;
  full?: number[];
  plan?: ReductionPlan;
}

/** State kept from file to file. */
interface Caches {
  truth?: Reference;
  csv: Map<string, Awaited<ReturnType<typeof readMappingCsv>>>;
  shownLocator: Set<string>;
  shownMap: Set<string>;
}

/** One submission file with its series read. */
interface FileSeries {
  rel: string;
  info: SubmissionPathInfo;
  kind: SeriesKind;
  /** Its input case, if the input dataset has it. */
  input?: Case;
  /** The reference and its truth file, when the truth has it. */
  gt?: Reference;
  truthFile?: string;
  /** The zero-filled input computed from k-space (when no run stands for it). */
  zf?: Source;
  /** The reduction plan (of the reference, else of the input). */
  plan?: ReductionPlan;
  /** The zero-filled input (if computed) and every run that has the file. */
  sources: Source[];
  /** Frames every source and the reference have. */
  nC: number;
}

/** Analyses every file; see the module docs. */
export async function analyseFiles(ctx: AnalysisContext): Promise<Analysis> {
  const out: Analysis = {
    figures: [],
    locators: [],
    mapFigures: [],
    dyn: new GroupMeans(),
    mapErr: new GroupMeans(),
    zfGroups: new Map(),
    mapRegions: new Set(),
  };
  const caches: Caches = { csv: new Map(), shownLocator: new Set(), shownMap: new Set() };
  const { rels } = ctx.files;
  for (const [n, rel] of rels.entries()) {
    ctx.progress("analysing files", n, rels.length);
    try {
      const f = await readFileSeries(ctx, caches, rel);
      if (!f) continue;
      if (f.zf && f.gt?.full && ctx.split === "validation") scoreZeroFilled(ctx, out, f);
      if (f.gt && f.info.task === "cine" && f.gt.series.dims[3] > 1) {
        analyseDynamic(ctx, out, caches, f, f.gt.series);
      }
      const mk: MapKind | null = f.info.task === "mapping" ? mapKindOf(f.info.name) : null;
      if (mk && f.gt && f.plan) await analyseMaps(ctx, out, caches, f, mk, f.gt.series, f.plan);
      if (ctx.chosen(f.info)) {
        out.figures.push(
          caseFigure(f.gt?.series, f.sources, f.nC, f.info, ctx.year, ctx.view, ctx.addPng),
        );
      }
    } catch (e) {
      if (!(e instanceof CmrxError)) throw e;
      ctx.warnings.push(`${rel}: ${e.message.split("\n")[0]}`);
    }
  }
  ctx.progress("analysing files", rels.length, rels.length);
  return out;
}

/** Where the reference of a submission file is under a truth root, or undefined. */
async function truthFile(truth: string, rel: string, i: SubmissionPathInfo) {
  const base = truth.replace(/\/+$/, "");
  const tail = `${i.coil}/${i.modality}/${i.split}/FullSample/${i.patient}/${i.name}.mat`;
  for (const p of [`${base}/${tail}`, `${base}/GroundTruth/${tail}`, `${base}/${rel}`]) {
    if (await exists(p)) return p;
  }
  return undefined;
}

/**
 * Reads the series of one file: the reference (cached across accelerations of the same
 * file), the zero-filled input from k-space when no run stands for it, and every run's
 * reconstruction on the reference's grid. Undefined when there is nothing to compare.
 */
async function readFileSeries(
  ctx: AnalysisContext,
  caches: Caches,
  rel: string,
): Promise<FileSeries | undefined> {
  const info = ctx.files.all.get(rel)!;
  const kind: SeriesKind = { name: info.name, task: info.task, coil: info.coil };
  const input = ctx.inputCases.get(rel);
  let gt: Reference | undefined;
  const tf = ctx.truth ? await truthFile(ctx.truth, rel, info) : undefined;
  if (ctx.truth && !tf) ctx.warnings.push(`${rel}: no ground truth under ${ctx.truth}`);
  if (tf) {
    if (caches.truth?.file !== tf) {
      caches.truth = { file: tf, ...await truthSeries(tf, kind, ctx.year) };
    }
    gt = caches.truth;
  }
  let zf: Source | undefined;
  let full = gt?.full, plan = gt?.plan;
  if (!ctx.zfRun && input) {
    const z = await kspaceSeries(input.file, kind, ctx.year, input.variable);
    zf = { label: ctx.zfLabel, series: z.series };
    full ??= z.full;
    plan ??= z.plan;
  }
  const grid = gt?.series.dims ?? zf?.series.dims;
  const sources: Source[] = [];
  if (zf) sources.push(zf);
  for (const r of ctx.runs) {
    if (!r.files.has(rel)) continue;
    try {
      const s = await runSeries(
        `${r.root}/${rel}`,
        grid ? { dims: grid, plan, full } : undefined,
      );
      sources.push({ label: r.name, series: s });
    } catch (e) {
      if (!(e instanceof CmrxError)) throw e;
      ctx.warnings.push(`${r.name}: ${rel}: ${e.message.split("\n")[0]}`);
    }
  }
  if (sources.length === 0 && !gt) return undefined;
  const nC = Math.min(...sources.map((s) => s.series.dims[3]), gt?.series.dims[3] ?? Infinity);
  return { rel, info, kind, input, gt, truthFile: tf, zf, plan, sources, nC };
}

/** Scores the zero-filled input of a file like a run (reference from k-space). */
function scoreZeroFilled(ctx: AnalysisContext, out: Analysis, f: FileSeries): void {
  const gt = f.gt!, zf = f.zf!, info = f.info;
  const nf = scoredFrames(ctx.year, gt.full!, f.kind);
  const dims = reductionPlan(ctx.year, gt.full!, f.kind.name, f.kind.task === "mapping").dims;
  const m = scoreVolume(
    firstFrames(zf.series, nf).data,
    firstFrames(gt.series, nf).data,
    dims,
    ctx.year,
  );
  const view = viewOf(info.name);
  const key = `${info.coil}|${info.modality}|${view}|${info.acc}`;
  const e = out.zfGroups.get(key) ?? {
    g: {
      coil: info.coil,
      modality: info.modality,
      view,
      acc: info.acc,
      files: 0,
      expected: 0,
    },
    s: [],
  };
  out.zfGroups.set(key, e);
  e.s.push(m);
}

/** Dynamic-region PSNR/SSIM of every source (cine), and the locator figure when chosen. */
function analyseDynamic(
  ctx: AnalysisContext,
  out: Analysis,
  caches: Caches,
  f: FileSeries,
  gt: Series,
): void {
  const info = f.info;
  const mask = dynamicMask(gt);
  for (const s of f.sources) {
    const r: RegionScores = regionScores(firstFrames(s.series, f.nC), gt, mask, ctx.year);
    out.dyn.add(`${info.task}|${ctx.groupKey(info)}`, s.label, {
      dp: r.dynamic.psnr,
      sp: r.static.psnr,
      ds: r.dynamic.ssim,
      ss: r.static.ssim,
    });
  }
  const lk = `${info.patient}|${info.coil}|${info.name}`;
  if (ctx.chosen(info) && !caches.shownLocator.has(lk)) {
    caches.shownLocator.add(lk);
    out.locators.push(locatorFigure(gt, mask, info, ctx.year, ctx.view, ctx.addPng));
  }
}

/**
 * T1/T2 maps of a mapping file: errors of every source's maps (the challenge's measure in
 * the LV myocardium where labels exist, else the ground truth's fitted pixels of maps fitted
 * here), and the map figure when chosen. Needs the csv times of the input dataset.
 */
async function analyseMaps(
  ctx: AnalysisContext,
  out: Analysis,
  caches: Caches,
  f: FileSeries,
  mk: MapKind,
  gt: Series,
  plan: ReductionPlan,
): Promise<void> {
  const { info, rel, sources } = f;
  const csvFile = f.input?.csvFile;
  if (!csvFile) {
    if (ctx.chosen(info)) ctx.warnings.push(`${rel}: no ${info.name}.csv in the input: no maps`);
    return;
  }
  let table = caches.csv.get(csvFile);
  if (!table) caches.csv.set(csvFile, table = await readMappingCsv(csvFile));
  const nw = Math.min(f.nC, gt.dims[3]);
  const times = timesForSlices(table, plan.slices, nw);
  const [nx, ny, nz] = gt.dims;
  const ref = { data: firstFrames(gt, nw).data, dims: [nx, ny, nz, nw] };
  // The challenge's measure where labels exist: RMSE in the LV myocardium (fitted
  // there only); else the ground truth's fitted (non-air) pixels of full maps.
  const scored = new Map<string, MapErrors>();
  if (ctx.scorer && f.truthFile) {
    const mc = { ...info, rel, truthFile: f.truthFile };
    try {
      for (const src of sources) {
        scored.set(
          src.label,
          await ctx.scorer.score(mc, firstFrames(src.series, nw).data, ref),
        );
      }
      out.mapRegions.add("myocardium");
    } catch (e) {
      if (!(e instanceof CmrxError)) throw e;
      scored.clear();
      ctx.warnings.push(`${rel}: map errors over fitted pixels: ${e.message.split("\n")[0]}`);
    }
  }
  let maps: MapsOfFile | undefined;
  if (scored.size === 0 || ctx.chosen(info)) maps = fitAll(mk, gt, sources, nw, times);
  if (scored.size === 0) {
    const gtMap = maps!.maps.get("ground truth")!;
    for (const src of sources) {
      scored.set(src.label, mapErrors(maps!.maps.get(src.label)!, gtMap, maps!.mask));
    }
    out.mapRegions.add("fitted");
  }
  for (const [label, e] of scored) {
    out.mapErr.add(`${mk}|${ctx.groupKey(info)}`, label, { rmse: e.rmse, mae: e.mae });
  }
  const mkey = `${info.patient}|${info.coil}|${info.name}|${info.acc}`;
  if (maps && ctx.chosen(info) && !caches.shownMap.has(mkey)) {
    caches.shownMap.add(mkey);
    out.mapFigures.push(mapFigure(mk, gt, sources, maps, info, ctx.view, ctx.addPng));
  }
}

/** Maps fitted to the first `nw` weighted images of the ground truth and of every source. */
function fitAll(
  kind: MapKind,
  gt: Series,
  sources: Source[],
  nw: number,
  times: number[][],
): MapsOfFile {
  const fit = (s: Series) => {
    const [nx, ny, nz] = s.dims;
    const w = firstFrames(s, nw);
    return fitMaps(kind, w.data, [nx, ny, nz, w.dims[3]], times).maps[kind];
  };
  const g = fitMaps(
    kind,
    firstFrames(gt, nw).data,
    [gt.dims[0], gt.dims[1], gt.dims[2], nw],
    times,
  );
  const maps = new Map<string, Float32Array>([["ground truth", g.maps[kind]]]);
  for (const s of sources) maps.set(s.label, fit(s.series));
  return { maps, mask: g.mask };
}

/** The zero-filled input's scores as the leaderboard aggregates them. */
export interface ZeroFilledScore {
  /** Group means (NaN-aware, as the official group means). */
  groups: GroupScore[];
  /** The official aggregate; undefined when no group was scored. */
  aggregate?: ScoreReport["aggregate"];
}

/** Group means and the official aggregate of the zero-filled input's metrics. */
export function zeroFilledScore(zfGroups: Map<string, ZeroFilledGroup>): ZeroFilledScore {
  const groups: GroupScore[] = [];
  for (const { g, s } of zfGroups.values()) {
    // NaN-aware, as the official group means
    const mean = (k: keyof Metrics) => {
      const ok = s.map((m) => m[k]).filter((x) => !Number.isNaN(x));
      return ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : NaN;
    };
    groups.push({
      ...g,
      files: s.length,
      expected: s.length,
      ssim: mean("ssim"),
      psnr: mean("psnr"),
      nmse: mean("nmse"),
    });
  }
  return { groups, aggregate: groups.length ? aggregateGroups(groups) : undefined };
}
