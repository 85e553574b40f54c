/**
 * The visual report: `deno task report --runs A,B --truth DIR --out DIR` writes a static
 * HTML page (inline CSS, no script, no external resource: it opens from disk, offline) and
 * the PNG images it shows:
 *
 * - figures of chosen cases: ground truth, zero-filled input, each run's reconstruction and
 *   |error| map of one frame, and the x-t profile through the heart with its |error|;
 * - the challenge metrics per task, view and acceleration with the official aggregation
 *   (from {@link scoreSubmission}), best values highlighted;
 * - the dynamic-region analysis of CRUNet-MR ({@link dynamicMask}, {@link regionScores});
 * - T1/T2 maps fitted from the weighted images ({@link fitMaps}) with a colour scale, map
 *   errors against the ground truth's maps;
 * - time and memory per run and view from the run logs, the model parameters from the
 *   manifests, and the time-budget verdict.
 *
 * ```
 * runs -> submission files (union) ; truth -> reference series ; input -> zero-filled series
 * scoreSubmission per run ; per file: series on the ranking grid -> regions, maps, figures
 * page + PNGs -> <out>.tmp-* -> rename to <out>
 * ```
 *
 * This file only orchestrates, in four steps of {@link buildReport}: gather the inputs
 * (`gather.ts`), analyse every file and draw the figures (`analyse.ts`, `figures.ts`), lay out
 * the page's sections (`sections.ts`), and write the folder (`folder.ts`). Series have MATLAB
 * dims `(x, y, slice, frame)`, column-major, real.
 *
 * @module
 */

import { DEFAULT_YEAR } from "../challenge/editions/mod.ts";
import type { Split } from "../challenge/edition.ts";
import type { Year } from "../challenge/edition.ts";
import type { TimeBudget } from "../pipeline/budget.ts";
import type { ScoreReport } from "../challenge/score.ts";
import type { SubmissionPathInfo } from "../challenge/paths.ts";
import { MapScorer } from "../challenge/maps/score.ts";
import { UsageError } from "../errors.ts";
import { type ModelEntry, SHIPPED_MODELS } from "../models/registry.ts";
import { analyseFiles, type Analysis, type ZeroFilledScore, zeroFilledScore } from "./analyse.ts";
import { type PngCollector, pngCollector } from "./figures.ts";
import { checkOutFolder, foreignEntries, writeReport } from "./folder.ts";
import {
  accName,
  figurePatient,
  type InputCases,
  labelsRoot,
  loadManifests,
  loadRuns,
  readInput,
  type Run,
  scoreRuns,
  splitOfRuns,
  type SubmissionFiles,
  submissionFiles,
  viewOf,
  zeroFilledRun,
} from "./gather.ts";
import { page, type Section } from "./html.ts";
import {
  dynamicSection,
  imagesSection,
  mapsSection,
  metricsSection,
  notesSection,
  overviewSection,
  timingSection,
} from "./sections.ts";
import { listForMessage } from "../written_files.ts";

/** Options of {@link buildReport}. */
export interface ReportOptions {
  /** Run folders written by `deno task submit` (or Submission folders). */
  runs: string[];
  /** Display names of the runs (default: the folder names). */
  names?: string[];
  /** Truth root: a dataset root with FullSample k-space, or official img4ranking files. */
  truth?: string;
  /** Input dataset root (default: the `input` of the first run log that exists). */
  input?: string;
  /** Output folder (created or replaced; must be empty, absent or an earlier report). */
  out: string;
  /** Challenge year of the rules (default 2023). */
  year?: Year;
  /** Patient of the figures (default: the first). */
  patient?: string;
  /** Views of the figures (default: all). */
  views?: string[];
  /** Accelerations of the figures (default: all). */
  accs?: number[];
  /** Which scored slice the figures show (0-based among the ranking slices; default 0). */
  slice?: number;
  /** Which frame the figures show (default 0). */
  frame?: number;
  /** |error| maps saturate at this fraction of the display range (default 0.2: "x5"). */
  errorScale?: number;
  /**
   * Labels root for the map errors in the LV myocardium (default: `<input>/Labels`, or
   * `Labels` beside or inside the truth root, when it exists).
   */
  labels?: string;
  /** Folders with model manifests, for the parameter counts (default: the shipped models). */
  models?: string[];
  /**
   * Seconds allowed for the test set, for runs whose log has no verdict; `edition`: the time
   * per task of the edition each run followed.
   */
  timeBudget?: TimeBudget;
  /** Called as work proceeds. */
  onProgress?: (stage: string, done: number, total: number) => void;
}

/** What {@link buildReport} wrote. */
export interface ReportResult {
  /** The report folder. */
  out: string;
  /** Its HTML file. */
  index: string;
  /** PNG files written. */
  images: number;
  /** Things the report could not show, also listed on the page. */
  warnings: string[];
  /** The numbers of the page (also written as `report.json`). */
  summary: ReportSummary;
}

/** The report's numbers, per source label (run names, and the zero-filled input). */
export interface ReportSummary {
  /** The official aggregate per source (runs: {@link scoreSubmission}). */
  scores: Record<string, ScoreReport["aggregate"]>;
  /** Dynamic-region analysis: `"cine|<view> <AccFactorNN>"` -> source -> means. */
  dynamic: Record<string, Record<string, Record<string, number>>>;
  /**
   * T1/T2 map errors (ms): `"<T1|T2>|<view> <AccFactorNN>"` -> source -> RMSE, MAE; in the LV
   * myocardium where labels exist, else in the ground truth's fitted pixels.
   */
  mapErrors: Record<string, Record<string, Record<string, number>>>;
}

/** Everything gathered before the per-file analysis (step 1 of {@link buildReport}). */
interface Gathered {
  runs: Run[];
  split: Split & ("validation" | "test");
  input?: string;
  inputCases: InputCases["cases"];
  zfRun?: Run;
  files: SubmissionFiles;
  patient: string;
}

/** Builds the report. See the module docs. */
export async function buildReport(opts: ReportOptions): Promise<ReportResult> {
  const year = opts.year ?? DEFAULT_YEAR;
  const warnings: string[] = [];
  const progress = opts.onProgress ?? (() => {});
  if (opts.runs.length === 0) {
    throw new UsageError("no runs given", { hint: "pass --runs DIR[,DIR...]" });
  }
  const out = opts.out.replace(/\/+$/, "");
  await checkOutput(out, warnings);
  const g = await gather(opts, year, progress, warnings);
  const pngs = pngCollector();
  const zfLabel = g.zfRun ? `${g.zfRun.name}` : "zero-filled input";
  const analysis = await analyse(opts, year, g, zfLabel, pngs, progress, warnings);
  const zf = zeroFilledScore(analysis.zfGroups);
  const models = await loadManifests(opts.models ?? [SHIPPED_MODELS], warnings);
  const sections = pageSections(opts, year, g, zfLabel, zf, analysis, models, pngs, warnings);
  const html = page({
    title: `cmrxkit report: ${g.runs.map((r) => r.name).join(" vs ")}`,
    subtitle: `${g.split} split, ${year} rules, ${g.files.all.size} file(s), made ${
      new Date().toISOString().replace("T", " ").slice(0, 16)
    } UTC`,
    sections,
  });
  const summary = summarize(g, zfLabel, zf, analysis);
  await writeReport(out, html, pngs.images, JSON.stringify(summary, null, 1));
  return {
    out,
    index: `${out}/index.html`,
    images: pngs.images.size,
    warnings: [...new Set(warnings)],
    summary,
  };
}

/** Refuses a foreign output folder; notes what an earlier report's folder holds besides it. */
async function checkOutput(out: string, warnings: string[]): Promise<void> {
  await checkOutFolder(out);
  const foreign = await foreignEntries(out);
  if (foreign.length) {
    warnings.push(
      `the output folder ${out} holds ${foreign.length} entr${
        foreign.length === 1 ? "y" : "ies"
      } cmrxkit did not write (${listForMessage(foreign)}): left as they are`,
    );
  }
}

/** Step 1: the runs, their split, the input dataset, the official scores, files, patient. */
async function gather(
  opts: ReportOptions,
  year: Year,
  progress: (stage: string, done: number, total: number) => void,
  warnings: string[],
): Promise<Gathered> {
  const runs = await loadRuns(opts.runs, opts.names, year);
  const split = splitOfRuns(runs);
  const { input, cases: inputCases } = await readInput(opts.input, runs, split, warnings);
  const zfRun = zeroFilledRun(runs);
  await scoreRuns(runs, opts.truth, { year, split, progress, warnings });
  const files = submissionFiles(runs);
  const patient = figurePatient(files.all, opts.patient);
  return { runs, split, input, inputCases, zfRun, files, patient };
}

/** Step 2: every file's series, regions, maps and the figures of the chosen files. */
async function analyse(
  opts: ReportOptions,
  year: Year,
  g: Gathered,
  zfLabel: string,
  pngs: PngCollector,
  progress: (stage: string, done: number, total: number) => void,
  warnings: string[],
): Promise<Analysis> {
  const chosen = (i: SubmissionPathInfo) =>
    i.patient === g.patient && (!opts.views || opts.views.includes(viewOf(i.name))) &&
    (!opts.accs || opts.accs.includes(i.acc));
  const coils = new Set([...g.files.all.values()].map((i) => i.coil));
  const groupKey = (i: SubmissionPathInfo) =>
    `${coils.size > 1 ? `${i.coil} ` : ""}${viewOf(i.name)} ${accName(i.acc)}`;
  const labels = await labelsRoot(opts.labels, g.input, opts.truth);
  const scorer = labels
    ? new MapScorer({ labels, year, timesRoots: g.input ? [g.input] : [] })
    : undefined;
  return await analyseFiles({
    truth: opts.truth,
    view: opts,
    year,
    split: g.split,
    runs: g.runs,
    zfRun: g.zfRun,
    zfLabel,
    inputCases: g.inputCases,
    files: g.files,
    chosen,
    groupKey,
    scorer,
    addPng: pngs.addPng,
    warnings,
    progress,
  });
}

/** Step 3: the page's sections in order; Notes last, when there are warnings. */
function pageSections(
  opts: ReportOptions,
  year: Year,
  g: Gathered,
  zfLabel: string,
  zf: ZeroFilledScore,
  a: Analysis,
  models: ModelEntry[],
  pngs: PngCollector,
  warnings: string[],
): Section[] {
  const { runs, zfRun, patient } = g;
  const sourceLabels = [...(zfRun ? [] : [zfLabel]), ...runs.map((r) => r.name)];
  const sections: Section[] = [
    overviewSection(runs, {
      input: g.input,
      truth: opts.truth,
      split: g.split,
      year,
      zfRun,
      patient,
    }),
    imagesSection(a.figures, { patient, year, errorScale: opts.errorScale, addPng: pngs.addPng }),
    metricsSection(
      runs,
      zf.aggregate && !zfRun
        ? { label: zfLabel, groups: zf.groups, aggregate: zf.aggregate }
        : undefined,
    ),
    dynamicSection(a.dyn, sourceLabels, a.locators),
    mapsSection(a.mapErr, sourceLabels, a.mapFigures, g.files.all, pngs.addPng, a.mapRegions),
    timingSection(runs, models, opts.timeBudget, year),
  ];
  const notes = notesSection(warnings);
  if (notes) sections.push(notes);
  return sections;
}

/** Step 4: the numbers of the page, written as `report.json`. */
function summarize(g: Gathered, zfLabel: string, zf: ZeroFilledScore, a: Analysis): ReportSummary {
  return {
    scores: Object.fromEntries([
      ...g.runs.filter((r) => r.score).map((r) => [r.name, r.score!.aggregate]),
      ...(zf.aggregate && !g.zfRun ? [[zfLabel, zf.aggregate]] : []),
    ]),
    dynamic: a.dyn.toRecord({
      dp: "psnrDynamic",
      sp: "psnrStatic",
      ds: "ssimDynamic",
      ss: "ssimStatic",
    }),
    mapErrors: a.mapErr.toRecord({ rmse: "rmse", mae: "mae" }),
  };
}
