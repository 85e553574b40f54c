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
 * @module
 */

import { type Case, discover, formatProblem, type Split } from "../challenge/layout.ts";
import { scoreVolume } from "../challenge/metrics.ts";
import { reductionPlan, type Year } from "../challenge/reduce.ts";
import {
  aggregateGroups,
  type GroupScore,
  type Metrics,
  type ScoreReport,
  scoreSubmission,
} from "../challenge/score.ts";
import {
  listSubmissionFiles,
  locateSubmission,
  parseSubmissionPath,
  type SubmissionPathInfo,
} from "../challenge/validate.ts";
import { CmrxError, LayoutError, UsageError } from "../errors.ts";
import { formatBytes, formatDuration } from "../format.ts";
import { fitMaps, type MapKind, mapKindOf } from "../mapping/maps.ts";
import { readMappingCsv, timesForSlices } from "../mapping/csv.ts";
import { type MapErrors, mapErrors, MapEvaluator } from "../mapping/evaluate.ts";
import { listModels, type ModelEntry, SHIPPED_MODELS } from "../models/registry.ts";
import { type BudgetVerdict, budgetVerdict } from "../pipeline/submit.ts";
import { applyColormap, colorbar, ERROR_MAP, GREY_MAP, RELAX_MAP } from "./colormap.ts";
import {
  kspaceSeries,
  normalizedSeries,
  runSeries,
  scoredFrames,
  type SeriesKind,
  truthSeries,
} from "./data.ts";
import { dynamicMask, type RegionScores, regionScores } from "./dynamic.ts";
import {
  bestIndices,
  type Cell,
  colourScale,
  esc,
  figureGrid,
  type FigureSpec,
  type Img,
  page,
  type Section,
  table,
} from "./html.ts";
import {
  absError,
  displayWindow,
  firstFrames,
  imageAt,
  locatorPicture,
  motionCentre,
  type Series,
  temporalStd,
  xtProfile,
} from "./panels.ts";
import { encodePng, type RasterImage } from "./png.ts";
import { readRunLog, type RunLog, type RunTiming, runTiming } from "./runlog.ts";
import { tempPathFor } from "../tempname.ts";
import {
  checkNoForeignFiles,
  checkOwnedFolder,
  listForMessage,
  present,
  readWrittenList,
  removeWritten,
  unrecorded,
  writeMarker,
} from "../written_files.ts";

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
  /** Seconds allowed for the test set, for runs whose log has no verdict. */
  timeBudget?: number;
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

/** The file that marks a folder as a cmrxkit report (so a re-run may replace it). */
export const REPORT_MARKER = ".cmrxkit-report";

interface Run {
  name: string;
  dir: string;
  root: string;
  files: Map<string, SubmissionPathInfo>;
  log: RunLog;
  score?: ScoreReport;
  scoreError?: string;
}

interface Source {
  label: string;
  series: Series;
}

const VIEW_OF: Record<string, string> = {
  cine_lax: "lax",
  cine_sax: "sax",
  T1map: "T1",
  T2map: "T2",
};
const viewOf = (name: string) => VIEW_OF[name] ?? name;
const accName = (acc: number) => `AccFactor${String(acc).padStart(2, "0")}`;

const exists = (p: string): Promise<boolean> => Deno.stat(p).then(() => true, () => false);

/** The first of the paths that is a folder. */
async function firstFolder(paths: (string | undefined)[]): Promise<string | undefined> {
  for (const p of paths) {
    if (p && await Deno.stat(p).then((s) => s.isDirectory, () => false)) return p;
  }
  return undefined;
}

async function loadRun(dir: string, name: string, year: Year): Promise<Run> {
  const sub = await locateSubmission(dir, year);
  const base = dir.replace(/\/+$/, "");
  // Logs sit beside Submission/; a Submission folder passed directly has them one level up.
  let log = await readRunLog(base);
  if (log.files.length === 0 && sub.kind === "Submission") {
    log = await readRunLog(base.slice(0, base.lastIndexOf("/")) || ".");
  }
  const files = new Map<string, SubmissionPathInfo>();
  for (const f of (await listSubmissionFiles(sub.root)).files) {
    const p = parseSubmissionPath(f.rel, year);
    if (p.ok) files.set(f.rel, p.info);
  }
  if (files.size === 0) {
    throw new LayoutError("the submission holds no reconstruction files", {
      file: sub.root,
      hint: "pass the output folder of deno task submit",
    });
  }
  return { name, dir: base, root: sub.root, files, log };
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

function uniqueNames(dirs: string[], names?: string[]): string[] {
  if (names && names.length !== dirs.length) {
    throw new UsageError(`${names.length} name(s) for ${dirs.length} run(s)`, {
      hint: "give one name per run, in the order of --runs",
    });
  }
  const out = names ?? dirs.map((d) => {
    const parts = d.replace(/\/+$/, "").split("/");
    const last = parts.pop() || d;
    return last === "Submission" ? parts.pop() || last : last;
  });
  return out.map((n, i) => out.indexOf(n) === i ? n : `${n} (${i + 1})`);
}

const fmt = {
  ssim: (x: number) => (Number.isFinite(x) ? x.toFixed(4) : String(x)),
  psnr: (x: number) => (Number.isFinite(x) ? x.toFixed(2) : x > 0 ? "inf" : String(x)),
  nmse: (x: number) => (Number.isFinite(x) ? x.toFixed(4) : String(x)),
  ms: (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "-"),
};

/** One compared quantity of a {@link groupTable}. */
interface Part {
  k: string;
  name: string;
  f: (x: number) => string;
  better: "max" | "min";
}

/**
 * A table of group means: one row per group (label after the `|`), per part one column per
 * source that has values; best per row and part highlighted.
 */
function groupTable(t: Table2, labels: string[], parts: Part[]): string {
  const used = labels.filter((l) =>
    t.groups().some((g) => !Number.isNaN(t.mean(g, l, parts[0].k)))
  );
  return table({
    corner: "group",
    head: [
      parts.map((p) => ({ text: p.name, span: used.length })),
      parts.flatMap(() => used.map((l) => ({ text: l }))),
    ],
    rows: t.groups().sort().map((g) => ({
      label: g.split("|")[1],
      cells: parts.flatMap((p) => compareCells(used.map((l) => t.mean(g, l, p.k)), p.better, p.f)),
    })),
  });
}

/** Cells of one comparison row with the best highlighted. */
function compareCells(values: number[], better: "max" | "min", f: (x: number) => string): Cell[] {
  const best = bestIndices(values, better);
  return values.map((v, i) => ({ text: Number.isNaN(v) ? "-" : f(v), best: best.has(i) }));
}

/** Accumulates means of named values per group and source. */
class Table2 {
  #m = new Map<string, Map<string, Record<string, { s: number; n: number }>>>();
  add(group: string, source: string, values: Record<string, number>) {
    const g = this.#m.get(group) ?? new Map();
    this.#m.set(group, g);
    const r = g.get(source) ?? {};
    g.set(source, r);
    for (const [k, v] of Object.entries(values)) {
      const a = r[k] ??= { s: 0, n: 0 };
      if (!Number.isNaN(v)) {
        a.s += v;
        a.n++;
      }
    }
  }
  groups(): string[] {
    return [...this.#m.keys()];
  }
  mean(group: string, source: string, key: string): number {
    const a = this.#m.get(group)?.get(source)?.[key];
    return a && a.n ? a.s / a.n : NaN;
  }
  get size() {
    return this.#m.size;
  }
  /** `{group: {source: {name: mean}}}` with `keys` renamed to `names`. */
  toRecord(keys: Record<string, string>): Record<string, Record<string, Record<string, number>>> {
    const out: Record<string, Record<string, Record<string, number>>> = {};
    for (const [g, srcs] of this.#m) {
      out[g] = {};
      for (const s of srcs.keys()) {
        out[g][s] = Object.fromEntries(
          Object.entries(keys).map(([k, name]) => [name, this.mean(g, s, k)]),
        );
      }
    }
    return out;
  }
}

/** Builds the report. See the module docs. */
export async function buildReport(opts: ReportOptions): Promise<ReportResult> {
  const year = opts.year ?? 2023;
  const warnings: string[] = [];
  const progress = opts.onProgress ?? (() => {});
  if (opts.runs.length === 0) {
    throw new UsageError("no runs given", { hint: "pass --runs DIR[,DIR...]" });
  }
  const out = opts.out.replace(/\/+$/, "");
  await checkOutFolder(out);
  const foreign = await foreignEntries(out);
  if (foreign.length) {
    warnings.push(
      `the output folder ${out} holds ${foreign.length} entr${
        foreign.length === 1 ? "y" : "ies"
      } cmrxkit did not write (${listForMessage(foreign)}): left as they are`,
    );
  }
  const names = uniqueNames(opts.runs, opts.names);
  const runs: Run[] = [];
  for (const [i, d] of opts.runs.entries()) runs.push(await loadRun(d, names[i], year));

  // The split of the submission files (all runs must agree).
  const splits = new Set<string>();
  for (const r of runs) for (const i of r.files.values()) splits.add(i.split);
  if (splits.size > 1) {
    throw new UsageError("the runs mix the validation and test splits", {
      hint: "compare runs of one split",
    });
  }
  const split: Split = [...splits][0] === "TestSet" ? "test" : "validation";

  // Input dataset: for the zero-filled input and the mapping csv files.
  const input = opts.input ??
    (await Promise.all(
      runs.map(async (r) =>
        r.log.start?.input && await exists(r.log.start.input) ? r.log.start.input : undefined
      ),
    )).find((x) => x);
  const inputCases = new Map<string, Case>();
  if (input) {
    try {
      const found = await discover(input, { split });
      for (const c of found.cases) inputCases.set(c.submissionPath, c);
      // Broken entries of the input: their cases have no zero-filled column or map times.
      for (const p of found.problems) {
        warnings.push(
          `error: ${
            formatProblem(p, {
              entry: "input entry",
              consequence: "has no input here",
              oneLine: true,
            })
          }`,
        );
      }
    } catch (e) {
      if (!(e instanceof CmrxError)) throw e;
      warnings.push(`input dataset ${input} could not be read: ${e.message.split("\n")[0]}`);
    }
  } else {
    warnings.push(
      "no input dataset (pass --input ROOT): no zero-filled column, no T1/T2 times for maps",
    );
  }
  // A run that is zero-filled throughout serves as the zero-filled input.
  const zfRun = runs.find((r) =>
    r.log.cases.length > 0 && r.log.cases.every((c) => c.method === "zerofill")
  );

  // Official scores of every run.
  if (opts.truth) {
    for (const [k, r] of runs.entries()) {
      const infos = [...r.files.values()];
      const tasks = new Set(infos.map((i) => i.task));
      try {
        r.score = await scoreSubmission({
          submission: r.root,
          truth: opts.truth,
          year,
          split,
          task: tasks.size === 2 ? "both" : [...tasks][0],
          accs: [...new Set(infos.map((i) => i.acc))].sort((a, b) => a - b),
          onFile: (d, t) => progress(`scoring ${r.name} (${k + 1}/${runs.length})`, d, t),
        });
      } catch (e) {
        if (!(e instanceof CmrxError)) throw e;
        r.scoreError = e.message.split("\n")[0];
        warnings.push(`${r.name}: not scored: ${r.scoreError}`);
      }
    }
  } else warnings.push("no ground truth given (--truth DIR): no errors, metrics or maps errors");

  // Every file of any run, grouped so one reference series serves all its accelerations.
  const all = new Map<string, SubmissionPathInfo>();
  for (const r of runs) for (const [rel, i] of r.files) all.set(rel, i);
  const rels = [...all.keys()].sort((a, b) => {
    const x = all.get(a)!, y = all.get(b)!;
    return x.coil.localeCompare(y.coil) || x.modality.localeCompare(y.modality) ||
      x.patient.localeCompare(y.patient) || x.name.localeCompare(y.name) || x.acc - y.acc;
  });
  const patients = [...new Set([...all.values()].map((i) => i.patient))].sort();
  const patient = opts.patient ?? patients[0];
  if (!patients.includes(patient)) {
    throw new UsageError(`no files of patient ${patient} in the runs`, {
      hint: `choose one of: ${patients.join(", ")}`,
    });
  }
  const chosen = (i: SubmissionPathInfo) =>
    i.patient === patient && (!opts.views || opts.views.includes(viewOf(i.name))) &&
    (!opts.accs || opts.accs.includes(i.acc));

  const images = new Map<string, Uint8Array>();
  const addPng = (name: string, img: RasterImage, w: number, h: number, alt: string): Img => {
    const src = `img/${name}.png`;
    images.set(src, encodePng(img, { text: { Software: "cmrxkit report" } }));
    return { src, width: w, height: h, alt };
  };
  const figures: string[] = [];
  const locators: string[] = [];
  const mapFigures: string[] = [];
  const dyn = new Table2();
  const mapErr = new Table2();
  const zfGroups = new Map<string, { g: Omit<GroupScore, keyof Metrics>; s: Metrics[] }>();
  const coils = new Set([...all.values()].map((i) => i.coil));
  const groupKey = (i: SubmissionPathInfo) =>
    `${coils.size > 1 ? `${i.coil} ` : ""}${viewOf(i.name)} ${accName(i.acc)}`;
  const zfLabel = zfRun ? `${zfRun.name}` : "zero-filled input";
  let truthCache: {
    file: string;
    series: Series;
    full?: number[];
    plan?: ReturnType<typeof reductionPlan>;
  } | undefined;
  const csvCache = new Map<string, Awaited<ReturnType<typeof readMappingCsv>>>();
  const shownLocator = new Set<string>();
  const shownMap = new Set<string>();
  const mapRegions = new Set<"myocardium" | "fitted">();
  const labels = opts.labels ?? await firstFolder([
    input && `${input}/Labels`,
    opts.truth && `${opts.truth.replace(/\/+$/, "")}/../Labels`,
    opts.truth && `${opts.truth.replace(/\/+$/, "")}/Labels`,
  ]);
  const evaluator = labels
    ? new MapEvaluator({ labels, year, timesRoots: input ? [input] : [] })
    : undefined;

  for (const [n, rel] of rels.entries()) {
    progress("analysing files", n, rels.length);
    const info = all.get(rel)!;
    const kind: SeriesKind = { name: info.name, task: info.task, coil: info.coil };
    const view = viewOf(info.name);
    const c = inputCases.get(rel);
    try {
      // Reference series (cached across accelerations of the same file).
      let gt: typeof truthCache | undefined;
      const tf = opts.truth ? await truthFile(opts.truth, rel, info) : undefined;
      if (opts.truth && !tf) warnings.push(`${rel}: no ground truth under ${opts.truth}`);
      if (tf) {
        if (truthCache?.file !== tf) {
          truthCache = { file: tf, ...await truthSeries(tf, kind, year) };
        }
        gt = truthCache;
      }
      let zf: Source | undefined;
      let full = gt?.full, plan = gt?.plan;
      if (!zfRun && c) {
        const z = await kspaceSeries(c.file, kind, year, c.variable);
        zf = { label: zfLabel, series: z.series };
        full ??= z.full;
        plan ??= z.plan;
      }
      const grid = gt?.series.dims ?? zf?.series.dims;
      const sources: Source[] = [];
      if (zf) sources.push(zf);
      for (const r of runs) {
        if (!r.files.has(rel)) continue;
        try {
          const s = await runSeries(
            `${r.root}/${rel}`,
            grid ? { dims: grid, plan, full } : undefined,
          );
          sources.push({ label: r.name, series: s });
        } catch (e) {
          if (!(e instanceof CmrxError)) throw e;
          warnings.push(`${r.name}: ${rel}: ${e.message.split("\n")[0]}`);
        }
      }
      if (sources.length === 0 && !gt) continue;
      const nC = Math.min(...sources.map((s) => s.series.dims[3]), gt?.series.dims[3] ?? Infinity);

      // Zero-filled input scored like a run (validation, reference from k-space).
      if (zf && gt?.full && split === "validation") {
        const nf = scoredFrames(year, gt.full, kind);
        const dims = reductionPlan(year, gt.full, kind.name, kind.task === "mapping").dims;
        const m = scoreVolume(
          firstFrames(zf.series, nf).data,
          firstFrames(gt.series, nf).data,
          dims,
          year,
        );
        const key = `${info.coil}|${info.modality}|${view}|${info.acc}`;
        const e = zfGroups.get(key) ?? {
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
        zfGroups.set(key, e);
        e.s.push(m);
      }

      // Dynamic-region analysis (cine).
      if (gt && info.task === "cine" && gt.series.dims[3] > 1) {
        const mask = dynamicMask(gt.series);
        for (const s of sources) {
          const r: RegionScores = regionScores(firstFrames(s.series, nC), gt.series, mask, year);
          dyn.add(`${info.task}|${groupKey(info)}`, s.label, {
            dp: r.dynamic.psnr,
            sp: r.static.psnr,
            ds: r.dynamic.ssim,
            ss: r.static.ssim,
          });
        }
        const lk = `${info.patient}|${info.coil}|${info.name}`;
        if (chosen(info) && !shownLocator.has(lk)) {
          shownLocator.add(lk);
          locators.push(locatorFigure(gt.series, mask, info, year, opts, addPng));
        }
      }

      // T1/T2 maps (mapping).
      const mk: MapKind | null = info.task === "mapping" ? mapKindOf(info.name) : null;
      let maps: MapsOfFile | undefined;
      if (mk && gt && plan) {
        if (!c?.csvFile) {
          if (chosen(info)) warnings.push(`${rel}: no ${info.name}.csv in the input: no maps`);
        } else {
          let table = csvCache.get(c.csvFile);
          if (!table) csvCache.set(c.csvFile, table = await readMappingCsv(c.csvFile));
          const nw = Math.min(nC, gt.series.dims[3]);
          const times = timesForSlices(table, plan.slices, nw);
          const [nx, ny, nz] = gt.series.dims;
          const ref = { data: firstFrames(gt.series, nw).data, dims: [nx, ny, nz, nw] };
          // The challenge's measure where labels exist: RMSE in the LV myocardium (fitted
          // there only); else the ground truth's fitted (non-air) pixels of full maps.
          const scored = new Map<string, MapErrors>();
          if (evaluator && tf) {
            const mc = { ...info, rel, truthFile: tf };
            try {
              for (const src of sources) {
                scored.set(
                  src.label,
                  await evaluator.score(mc, firstFrames(src.series, nw).data, ref),
                );
              }
              mapRegions.add("myocardium");
            } catch (e) {
              if (!(e instanceof CmrxError)) throw e;
              scored.clear();
              warnings.push(`${rel}: map errors over fitted pixels: ${e.message.split("\n")[0]}`);
            }
          }
          if (scored.size === 0 || chosen(info)) maps = fitAll(mk, gt.series, sources, nw, times);
          if (scored.size === 0) {
            const gtMap = maps!.maps.get("ground truth")!;
            for (const src of sources) {
              scored.set(src.label, mapErrors(maps!.maps.get(src.label)!, gtMap, maps!.mask));
            }
            mapRegions.add("fitted");
          }
          for (const [label, e] of scored) {
            mapErr.add(`${mk}|${groupKey(info)}`, label, { rmse: e.rmse, mae: e.mae });
          }
          const mkey = `${info.patient}|${info.coil}|${info.name}|${info.acc}`;
          if (maps && chosen(info) && !shownMap.has(mkey)) {
            shownMap.add(mkey);
            mapFigures.push(mapFigure(mk, gt.series, sources, maps, info, opts, addPng));
          }
        }
      }

      if (chosen(info)) {
        figures.push(caseFigure(gt?.series, sources, nC, info, year, opts, addPng));
      }
    } catch (e) {
      if (!(e instanceof CmrxError)) throw e;
      warnings.push(`${rel}: ${e.message.split("\n")[0]}`);
    }
  }
  progress("analysing files", rels.length, rels.length);

  let zfScore: ScoreReport["aggregate"] | undefined;
  const zfGroupList: GroupScore[] = [];
  for (const { g, s } of zfGroups.values()) {
    // NaN-aware, as the official group means
    const mean = (k: keyof Metrics) => {
      const ok = s.map((m) => m[k]).filter((x) => !Number.isNaN(x));
      return ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : NaN;
    };
    zfGroupList.push({
      ...g,
      files: s.length,
      expected: s.length,
      ssim: mean("ssim"),
      psnr: mean("psnr"),
      nmse: mean("nmse"),
    });
  }
  if (zfGroupList.length) zfScore = aggregateGroups(zfGroupList);

  const sourceLabels = [...(zfRun ? [] : [zfLabel]), ...runs.map((r) => r.name)];
  const models = await loadManifests(opts.models ?? [SHIPPED_MODELS], warnings);
  const sections: Section[] = [
    overviewSection(runs, { input, truth: opts.truth, split, year, zfRun, patient }),
    {
      id: "images",
      title: `Images: ${patient}`,
      body: figures.length
        ? note(
          `Every picture is one 2-D image normalised as the ${year} scorer does it (${
            year === 2023
              ? "divided by its maximum"
              : year === 2024
              ? "z-scored"
              : "divided by its 99.5th percentile"
          }), on the ranking crop, all in the ground truth's window. |error| = |reconstruction - ground truth| after that normalisation, saturating at ${
            Math.round(100 * (opts.errorScale ?? 0.2))
          }% of the window (x${
            (1 / (opts.errorScale ?? 0.2)).toFixed(0)
          }). The x-t profile runs down the column through the centre of the largest temporal standard deviation of the ground truth (the red line in the dynamic-region section), across the frames every column has.`,
        ) + colourScale(barImg(ERROR_MAP, addPng, "error"), "0", "max", "|error| colour scale") +
          figures.join("\n")
        : note("No file of the chosen patient, views and accelerations is in the runs."),
    },
    metricsSection(
      runs,
      zfScore && !zfRun ? { label: zfLabel, groups: zfGroupList, aggregate: zfScore } : undefined,
    ),
    dynamicSection(dyn, sourceLabels, locators),
    mapsSection(mapErr, sourceLabels, mapFigures, all, addPng, mapRegions),
    timingSection(runs, models, opts.timeBudget),
  ];
  if (warnings.length) {
    sections.push({
      id: "notes",
      title: "Notes",
      body: `<ul>${[...new Set(warnings)].map((w) => `<li>${esc(w)}</li>`).join("")}</ul>`,
    });
  }
  const html = page({
    title: `cmrxkit report: ${runs.map((r) => r.name).join(" vs ")}`,
    subtitle: `${split} split, ${year} rules, ${all.size} file(s), made ${
      new Date().toISOString().replace("T", " ").slice(0, 16)
    } UTC`,
    sections,
  });
  const summary: ReportSummary = {
    scores: Object.fromEntries([
      ...runs.filter((r) => r.score).map((r) => [r.name, r.score!.aggregate]),
      ...(zfScore && !zfRun ? [[zfLabel, zfScore]] : []),
    ]),
    dynamic: dyn.toRecord({
      dp: "psnrDynamic",
      sp: "psnrStatic",
      ds: "ssimDynamic",
      ss: "ssimStatic",
    }),
    mapErrors: mapErr.toRecord({ rmse: "rmse", mae: "mae" }),
  };
  await writeReport(out, html, images, JSON.stringify(summary, null, 1));
  return {
    out,
    index: `${out}/index.html`,
    images: images.size,
    warnings: [...new Set(warnings)],
    summary,
  };
}

function note(text: string): string {
  return `<p class="note">${esc(text)}</p>`;
}

type AddPng = (name: string, img: RasterImage, w: number, h: number, alt: string) => Img;

function safe(s: string): string {
  return s.replace(/[^\w.-]+/g, "_");
}

function barImg(map: typeof ERROR_MAP, addPng: AddPng, name: string): Img {
  return addPng(`scale-${name}`, colorbar(map, 256, 12), 192, 12, `${name} colour scale`);
}

/** Display size of an (nx, ny) picture: integer zoom of small images to about 160 px. */
function zoom(nx: number, ny: number): number {
  const m = Math.max(nx, ny);
  return m >= 160 ? 1 : Math.max(1, Math.floor(160 / m));
}

function caseFigure(
  gt: Series | undefined,
  sources: Source[],
  nC: number,
  info: SubmissionPathInfo,
  year: Year,
  opts: ReportOptions,
  addPng: AddPng,
): string {
  const all: Source[] = gt ? [{ label: "ground truth", series: gt }, ...sources] : sources;
  const ref = all[0].series;
  const [nx, ny, nz] = ref.dims;
  const k = Math.min(opts.slice ?? 0, nz - 1);
  const f = Math.min(opts.frame ?? 0, nC - 1);
  const norm = all.map((s) => normalizedSeries(firstFrames(s.series, nC), year));
  const win = displayWindow(imageAt(norm[0], k, f));
  const emax = (opts.errorScale ?? 0.2) * (win[1] - win[0]);
  const z = zoom(nx, ny);
  const col = gt ? motionCentre(temporalStd(gt, k), nx, ny).y : Math.floor(ny / 2);
  const base = safe(`${info.patient}-${info.coil}-${info.name}-${accName(info.acc)}`);
  const xtW = Math.max(nC * z, Math.round((ny * z * 0.6) / nC) * nC);
  const cine = info.task === "cine";
  const rows: FigureSpec["rows"] = [
    { label: cine ? `frame ${f + 1}` : `weighting ${f + 1}`, cells: [] },
    { label: "|error|", cells: [] },
    { label: `x-t (column ${col + 1})`, cells: [] },
    { label: "x-t |error|", cells: [] },
  ];
  /** One picture of `(h, w)` values (MATLAB dims), shown `cssW` wide. */
  const pic = (
    row: number,
    name: string,
    v: Float32Array,
    h: number,
    w: number,
    error: boolean,
    cssW: number,
    alt: string,
  ) =>
    rows[row].cells.push(
      addPng(
        `${base}-${name}`,
        error ? applyColormap(v, h, w, 0, emax, ERROR_MAP) : applyColormap(v, h, w, win[0], win[1]),
        cssW,
        nx * z,
        alt,
      ),
    );
  const gtImg = imageAt(norm[0], k, f), gtXt = cine ? xtProfile(norm[0], k, col, nC) : null;
  for (const [j, s] of norm.entries()) {
    const im = imageAt(s, k, f);
    const lab = all[j].label;
    const err = gt !== undefined && j > 0;
    pic(0, `img-${j}`, im, nx, ny, false, ny * z, `${lab} image`);
    if (err) pic(1, `err-${j}`, absError(im, gtImg), nx, ny, true, ny * z, `${lab} error`);
    else rows[1].cells.push(null);
    if (!cine) continue;
    const xt = xtProfile(s, k, col, nC);
    pic(2, `xt-${j}`, xt, nx, nC, false, xtW, `${lab} x-t profile`);
    if (err) pic(3, `xterr-${j}`, absError(xt, gtXt!), nx, nC, true, xtW, `${lab} x-t error`);
    else rows[3].cells.push(null);
  }
  return figureGrid({
    title: `${info.patient} ${viewOf(info.name)} ${accName(info.acc)}`,
    caption: cine
      ? `(slice ${k + 1}, x-t over ${nC} frame${nC > 1 ? "s" : ""})`
      : `(slice ${k + 1}, weighting ${f + 1})`,
    columns: all.map((s) => s.label),
    rows: rows.filter((_, i) => (gt || i % 2 === 0) && (cine || i < 2)),
  });
}

function locatorFigure(
  gt: Series,
  mask: Uint8Array,
  info: SubmissionPathInfo,
  year: Year,
  opts: ReportOptions,
  addPng: AddPng,
): string {
  const [nx, ny, nz, nt] = gt.dims;
  const k = Math.min(opts.slice ?? 0, nz - 1);
  const f = Math.min(opts.frame ?? 0, nt - 1);
  const norm = normalizedSeries(gt, year);
  const std = temporalStd(gt, k);
  const col = motionCentre(std, nx, ny).y;
  const win = displayWindow(imageAt(norm, k, f));
  const z = zoom(nx, ny);
  const base = safe(`${info.patient}-${info.coil}-${info.name}-truth`);
  const m = mask.subarray(nx * ny * k, nx * ny * (k + 1));
  let smax = 0;
  for (const v of std) if (v > smax) smax = v;
  const xtW = Math.max(nt * z, Math.round((ny * z) / nt) * nt);
  return figureGrid({
    title: `${info.patient} ${viewOf(info.name)}: where the heart moves`,
    caption: `(ground truth, scored slice ${k + 1}, all ${nt} frames)`,
    columns: ["dynamic region + profile line", "temporal std", `x-t, ${nt} frames`],
    rows: [{
      label: "",
      cells: [
        addPng(
          `${base}-locator`,
          locatorPicture(imageAt(norm, k, f), nx, ny, win, col, m),
          ny * z,
          nx * z,
          "dynamic region and profile line",
        ),
        addPng(
          `${base}-std`,
          applyColormap(std, nx, ny, 0, smax, ERROR_MAP),
          ny * z,
          nx * z,
          "temporal standard deviation",
        ),
        addPng(
          `${base}-xtfull`,
          applyColormap(xtProfile(norm, k, col), nx, nt, win[0], win[1], GREY_MAP),
          xtW,
          nx * z,
          "ground truth x-t profile, all frames",
        ),
      ],
    }],
  });
}

interface MapsOfFile {
  /** Maps per label ("ground truth" first), MATLAB dims (x, y, slice). */
  maps: Map<string, Float32Array>;
  /** Fitted pixels of the ground truth. */
  mask: Uint8Array;
}

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

/** Display ranges of maps and their errors, ms. */
export const MAP_WINDOWS: Record<MapKind, { map: [number, number]; error: number }> = {
  T1: { map: [0, 2000], error: 200 },
  T2: { map: [0, 150], error: 30 },
};

function mapFigure(
  kind: MapKind,
  gt: Series,
  sources: Source[],
  maps: MapsOfFile,
  info: SubmissionPathInfo,
  opts: ReportOptions,
  addPng: AddPng,
): string {
  const [nx, ny, nz] = gt.dims;
  const k = Math.min(opts.slice ?? 0, nz - 1);
  const npix = nx * ny;
  const z = zoom(nx, ny);
  const wnd = MAP_WINDOWS[kind];
  const labels = ["ground truth", ...sources.map((s) => s.label)];
  const base = safe(`${info.patient}-${info.coil}-${info.name}-${accName(info.acc)}-map`);
  const gtMap = maps.maps.get("ground truth")!.subarray(npix * k, npix * (k + 1));
  const mask = maps.mask.subarray(npix * k, npix * (k + 1));
  const rows: FigureSpec["rows"] = [
    { label: `${kind} (ms)`, cells: [] },
    { label: `|${kind} error|`, cells: [] },
  ];
  for (const [j, lab] of labels.entries()) {
    const m = maps.maps.get(lab)!.subarray(npix * k, npix * (k + 1));
    rows[0].cells.push(
      addPng(
        `${base}-${j}`,
        applyColormap(m, nx, ny, wnd.map[0], wnd.map[1], RELAX_MAP),
        ny * z,
        nx * z,
        `${lab} ${kind} map`,
      ),
    );
    if (j === 0) rows[1].cells.push(null);
    else {
      const e = absError(m, gtMap);
      for (let i = 0; i < e.length; i++) if (!mask[i]) e[i] = 0;
      rows[1].cells.push(
        addPng(
          `${base}-err-${j}`,
          applyColormap(e, nx, ny, 0, wnd.error, ERROR_MAP),
          ny * z,
          nx * z,
          `${lab} ${kind} error`,
        ),
      );
    }
  }
  return figureGrid({
    title: `${info.patient} ${kind} map ${accName(info.acc)}`,
    caption: `(slice ${k + 1}; |error| in fitted pixels)`,
    columns: labels,
    rows,
  });
}

function overviewSection(
  runs: Run[],
  ctx: { input?: string; truth?: string; split: Split; year: Year; zfRun?: Run; patient: string },
): Section {
  const rows = runs.map((r) => {
    const methods = [...new Set(r.log.cases.map((c) => c.method))].join(", ") || "(no run log)";
    return {
      label: r.name,
      cells: [
        { text: r.dir },
        { text: methods },
        { text: String(r.files.size) },
        { text: r.log.start?.date?.replace("T", " ").slice(0, 19) ?? "-" },
        {
          text: r.log.ends.length
            ? r.log.ends.every((e) => e.validation) ? "valid" : "not valid"
            : "-",
        },
      ],
    };
  });
  const body = table({
    corner: "run",
    head: [[{ text: "folder" }, { text: "method" }, { text: "files" }, { text: "started" }, {
      text: "validation",
    }]],
    rows,
  }) +
    `<p class="note">Split: ${esc(ctx.split)} (${ctx.year} rules). Ground truth: ${
      esc(ctx.truth ?? "none")
    }. Input: ${esc(ctx.input ?? "none")}${
      ctx.zfRun ? `; run ${esc(ctx.zfRun.name)} is zero-filled and stands for the input` : ""
    }. Pictures show the official ranking crop and scored slices; figures: patient ${
      esc(ctx.patient)
    }.</p>`;
  return section("overview", "Runs", body);
}

interface Column {
  label: string;
  groups: GroupScore[];
  aggregate?: ScoreReport["aggregate"];
}

function metricsSection(runs: Run[], zf?: Column): Section {
  const cols: Column[] = runs.filter((r) => r.score).map((r) => ({
    label: r.name,
    groups: r.score!.groups,
    aggregate: r.score!.aggregate,
  }));
  if (zf) cols.push(zf);
  if (cols.length === 0) {
    return section(
      "metrics",
      "Metrics",
      note("No scores: pass the ground truth with --truth DIR."),
    );
  }
  const metrics = [
    { k: "ssim", name: "SSIM", better: "max", f: fmt.ssim },
    { k: "psnr", name: "PSNR (dB)", better: "max", f: fmt.psnr },
    { k: "nmse", name: "NMSE", better: "min", f: fmt.nmse },
  ] as const;
  let body = note(
    "The leaderboard's numbers (deno task score): per file the mean over its images, per group the mean over files, per acceleration the better coil type and the mean of the views, overall the mean of the accelerations. Best per row in green.",
  );
  for (const task of ["cine", "mapping"] as const) {
    const modality = task === "cine" ? "Cine" : "Mapping";
    const keys = new Map<string, { coil: string; view: string; acc: number }>();
    for (const c of cols) {
      for (const g of c.groups) {
        if (g.modality === modality) keys.set(`${g.coil}|${g.view}|${g.acc}`, g);
      }
    }
    if (keys.size === 0) continue;
    const coilsUsed = new Set([...keys.values()].map((k) => k.coil));
    const sorted = [...keys.entries()].sort(([, a], [, b]) =>
      a.acc - b.acc || a.view.localeCompare(b.view) || a.coil.localeCompare(b.coil)
    );
    const rows: { label: string; cells: Cell[]; strong?: boolean }[] = [];
    const row = (label: string, get: (c: Column) => Metrics | undefined, strong = false) => {
      const cells: Cell[] = [];
      for (const m of metrics) {
        cells.push(...compareCells(cols.map((c) => get(c)?.[m.k] ?? NaN), m.better, m.f));
      }
      rows.push({ label, cells, strong });
    };
    for (const [key, g] of sorted) {
      row(
        `${coilsUsed.size > 1 ? `${g.coil} ` : ""}${g.view} ${accName(g.acc)}`,
        (c) => c.groups.find((x) => `${x.coil}|${x.view}|${x.acc}` === key),
      );
    }
    const accs = [...new Set(sorted.map(([, g]) => accName(g.acc)))];
    for (const a of accs) row(`${a}: mean of views`, (c) => c.aggregate?.[task]?.byAcc[a], true);
    row(`${modality} overall`, (c) => c.aggregate?.[task], true);
    body += `<h3>${modality}</h3>` + table({
      corner: "group",
      head: [
        metrics.map((m) => ({ text: m.name, span: cols.length })),
        metrics.flatMap(() => cols.map((c) => ({ text: c.label }))),
      ],
      rows,
    });
  }
  for (const r of runs) {
    if (!r.score) continue;
    const s = r.score;
    if (s.missing.length || s.malformed.length) {
      body += note(
        `${r.name}: ${s.missing.length} expected file(s) missing, ${s.malformed.length} not scorable${
          s.malformed.length
            ? ` (${s.malformed.slice(0, 3).map((m) => `${m.file}: ${m.reason}`).join("; ")})`
            : ""
        }.`,
      );
    }
  }
  return section("metrics", "Metrics", body);
}

/** A page section. */
const section = (id: string, title: string, body: string): Section => ({ id, title, body });

function dynamicSection(dyn: Table2, labels: string[], locators: string[]): Section {
  if (dyn.size === 0) {
    return section(
      "dynamic",
      "Dynamic region",
      note("No cine files with a ground truth of several frames: no dynamic-region analysis."),
    );
  }
  const parts: Part[] = [
    { k: "dp", name: "PSNR dynamic", f: fmt.psnr, better: "max" },
    { k: "sp", name: "PSNR static", f: fmt.psnr, better: "max" },
    { k: "ds", name: "SSIM dynamic", f: fmt.ssim, better: "max" },
    { k: "ss", name: "SSIM static", f: fmt.ssim, better: "max" },
  ];
  return section(
    "dynamic",
    "Dynamic region",
    note(
      "After CRUNet-MR (Lyu et al. 2025): per slice, the dynamic region is the pixels whose ground-truth temporal standard deviation (over all frames) exceeds its 90th percentile; the static region is the rest. PSNR and SSIM (the SSIM map averaged over the region) per image, after the scorer's normalisation, over the frames each run has; mean over images, files, then per group. Best per row in green.",
    ) + groupTable(dyn, labels, parts) + locators.join("\n"),
  );
}

function mapsSection(
  mapErr: Table2,
  labels: string[],
  figures: string[],
  all: Map<string, SubmissionPathInfo>,
  addPng: AddPng,
  regions: Set<"myocardium" | "fitted">,
): Section {
  const hasMapping = [...all.values()].some((i) => i.task === "mapping");
  if (!hasMapping) return section("maps", "T1/T2 maps", note("These runs hold no mapping files."));
  if (mapErr.size === 0) {
    return section(
      "maps",
      "T1/T2 maps",
      note(
        "No maps: fitting needs the ground truth (--truth) and the T1map.csv / T2map.csv times of the input dataset (--input).",
      ),
    );
  }
  const parts: Part[] = [
    { k: "rmse", name: "RMSE (ms)", f: fmt.ms, better: "min" },
    { k: "mae", name: "mean |error| (ms)", f: fmt.ms, better: "min" },
  ];
  const scale = (k: MapKind) =>
    colourScale(
      addPng(`scale-relax-${k}`, colorbar(RELAX_MAP, 256, 12), 192, 12, `${k} colour scale`),
      `${MAP_WINDOWS[k].map[0]} ms`,
      `${MAP_WINDOWS[k].map[1]} ms`,
      `${k} map; |error| 0 to ${MAP_WINDOWS[k].error} ms in the error colours`,
    );
  return section(
    "maps",
    "T1/T2 maps",
    note(
      "T1 (MOLLI, three-parameter Look-Locker with polarity restoration) and T2 (T2-prep mono-exponential) fitted per pixel (src/mapping) to each source's weighted images with the times of the csv files, and compared with the maps fitted to the ground truth's images: RMSE and mean |error| per file, " +
        (regions.has("myocardium")
          ? "in the LV myocardium of the labels (the 2023 challenge's map measure)"
          : "") +
        (regions.size === 2 ? "; files without labels " : "") +
        (regions.has("fitted") ? "in the ground truth's fitted (non-air) pixels" : "") +
        ", then the mean over files. Lower is better, best in green. The pictures show whole maps; their |error| is drawn in the fitted pixels.",
    ) + groupTable(mapErr, labels, parts) + scale("T1") + scale("T2") + figures.join("\n"),
  );
}

async function loadManifests(dirs: string[], warnings: string[]): Promise<ModelEntry[]> {
  const out: ModelEntry[] = [];
  for (const d of dirs) {
    try {
      out.push(...await listModels(d));
    } catch (e) {
      if (!(e instanceof CmrxError)) throw e;
      warnings.push(`models in ${d}: ${e.message.split("\n")[0]}`);
    }
  }
  return out;
}

function verdictHtml(b: BudgetVerdict): string {
  return `<span class="verdict-${b.verdict}">${
    b.verdict === "fits"
      ? "fits"
      : b.verdict === "tight"
      ? "tight (under 20% margin)"
      : "does not fit"
  }</span>: the test set would take about ${esc(formatDuration(b.estimateSeconds * 1000))} of ${
    esc(formatDuration(b.budgetSeconds * 1000))
  } (${(100 * b.fraction).toFixed(0)}%). <small>${esc(b.basis)}</small>`;
}

function timingSection(runs: Run[], models: ModelEntry[], budget?: number): Section {
  const withLog = runs.filter((r) => r.log.files.length > 0);
  if (withLog.length === 0) {
    return section("timing", "Time and memory", note("No run logs (run-log.jsonl) found."));
  }
  const timing = withLog.map((r) => runTiming(r.log));
  const views = [...new Set(timing.flatMap((t) => Object.keys(t.perView)))].sort();
  const row = (label: string, get: (t: RunTiming) => number, f: (x: number) => string) => ({
    label,
    cells: compareCells(timing.map(get), "min", f),
    strong: !label.includes(": "),
  });
  const s2 = (x: number) => x.toFixed(2);
  const rows = [
    ...views.flatMap((v) => [
      row(`${v}: s per case`, (t) => t.perView[v]?.meanSeconds ?? NaN, s2),
      row(`${v}: s per slice`, (t) => t.perView[v]?.secondsPerSlice ?? NaN, s2),
    ]),
    row("wall time", (t) => t.seconds || NaN, (x) => formatDuration(x * 1000)),
    row("peak memory (RSS)", (t) => t.peakRssBytes || NaN, formatBytes),
  ];
  let body = note(
    "From each run's log (deno task submit): seconds per written case and per reconstructed slice by view, the run's wall time and peak resident memory. Lower is better, best in green; timings on shared machines are indicative.",
  ) + table({ corner: "", head: [withLog.map((r) => ({ text: r.name }))], rows });
  body += "<h3>Models and time budget</h3><ul>";
  for (const [i, r] of withLog.entries()) {
    const byMethod = new Map<string, number>();
    for (const c of r.log.cases) byMethod.set(c.method, (byMethod.get(c.method) ?? 0) + 1);
    const methods = [...byMethod.entries()].map(([m, n]) => {
      const entry = models.find((e) => e.manifest.name === m);
      const params = entry?.manifest.parameters;
      const what = entry
        ? `ONNX model${entry.manifest.architecture ? ` (${entry.manifest.architecture})` : ""}, ${
          params !== undefined
            ? `${params.toLocaleString("en-US")} parameters`
            : "parameters not given in its manifest"
        }`
        : m === "?" || m === "-"
        ? "not run (failed before a method was chosen)"
        : "classical method, no trained parameters";
      return `${esc(m)} on ${n} file(s): ${esc(what)}`;
    });
    const t = timing[i];
    const task = r.log.start?.task ?? "both";
    const b = t.budget ??
      (budget !== undefined && Object.keys(t.perView).length
        ? budgetVerdict(t.perView, task, budget)
        : undefined);
    const failed = r.log.cases.filter((c) => c.status === "failed").length;
    body += `<li><b>${esc(r.name)}</b>: ${methods.join("; ") || "no cases logged"}. ${
      failed ? `${failed} file(s) failed. ` : ""
    }${r.log.budgetStopped ? "The run stopped at its time budget. " : ""}Time budget: ${
      b
        ? verdictHtml(b) + (t.budget ? "" : " (from --time-budget)")
        : "not given (run submit or report with --time-budget 4h)"
    }</li>`;
  }
  body += "</ul>";
  for (const r of withLog) {
    body += `<details><summary>${esc(r.name)}: ${r.log.cases.length} case(s)</summary>` + table({
      corner: "file",
      head: [[{ text: "method" }, { text: "status" }, { text: "slices" }, { text: "seconds" }, {
        text: "s per slice",
      }]],
      rows: r.log.cases.map((c) => ({
        label: c.file,
        cells: [
          { text: c.method },
          { text: c.status, title: c.error },
          { text: String(c.slices ?? "-") },
          { text: c.seconds.toFixed(2) },
          { text: c.slices ? (c.seconds / c.slices).toFixed(2) : "-" },
        ],
      })),
    }) + "</details>";
  }
  return section("timing", "Time and memory", body);
}

/** Refuses an output folder that holds something other than an earlier report. */
async function checkOutFolder(out: string): Promise<void> {
  await checkOwnedFolder(out, { marker: REPORT_MARKER, what: "report", flag: "--out" });
}

const REPORT_ABOUT = "written by cmrxkit's report (deno task report)\n" +
  "a later report into this folder replaces or removes only the files listed below;\n" +
  "anything else here stays";

/**
 * The files an earlier report in `out` wrote: the list in its marker; for a report of an
 * older cmrxkit (a marker without a list) the names the report writes (`index.html`,
 * `report.json`, `img/*.png`).
 */
async function previousReportFiles(out: string): Promise<string[]> {
  const listed = await readWrittenList(`${out}/${REPORT_MARKER}`);
  if (listed) return listed;
  const known = ["index.html", "report.json"];
  try {
    for await (const e of Deno.readDir(`${out}/img`)) {
      if (e.isFile && e.name.endsWith(".png")) known.push(`img/${e.name}`);
    }
  } catch { /* no images */ }
  return known;
}

/** What is in an earlier report's folder that cmrxkit did not write (left as it is). */
async function foreignEntries(out: string): Promise<string[]> {
  if (!(await present(`${out}/${REPORT_MARKER}`))) return [];
  return await unrecorded(out, await previousReportFiles(out), REPORT_MARKER);
}

/**
 * Writes the report: every file into a temporary folder beside `out` first (a failure
 * leaves an earlier report whole), then moved into `out`. Of an earlier report only the
 * files it wrote are replaced or removed; anything else in the folder stays.
 */
async function writeReport(
  out: string,
  html: string,
  images: Map<string, Uint8Array>,
  json: string,
) {
  const files = new Map<string, Uint8Array | string>([
    ...images,
    ["report.json", json + "\n"],
    ["index.html", html],
  ]);
  const rels = [...files.keys()];
  const owned = await checkOwnedFolder(out, {
    marker: REPORT_MARKER,
    what: "report",
    flag: "--out",
  }) === "owned";
  const old = owned ? await previousReportFiles(out) : [];
  await checkNoForeignFiles(out, rels, old, "--out");
  const tmp = tempPathFor(out);
  try {
    await Deno.mkdir(`${tmp}/img`, { recursive: true });
    for (const [rel, bytes] of files) {
      if (typeof bytes === "string") await Deno.writeTextFile(`${tmp}/${rel}`, bytes);
      else await Deno.writeFile(`${tmp}/${rel}`, bytes);
    }
    await Deno.mkdir(out, { recursive: true });
    const marker = `${out}/${REPORT_MARKER}`;
    // Recorded first: a run stopped half-way leaves a marker naming all it may have written.
    await writeMarker(marker, REPORT_ABOUT, [...old, ...rels]);
    for (const rel of rels) {
      const to = `${out}/${rel}`;
      try {
        await Deno.mkdir(to.slice(0, to.lastIndexOf("/")), { recursive: true });
        await Deno.rename(`${tmp}/${rel}`, to);
      } catch (e) {
        throw new CmrxError(
          `cannot put the report's ${rel} in place (${e instanceof Error ? e.message : e})`,
          { file: to, hint: "move what is there out of the folder, or choose another --out" },
        );
      }
    }
    const fresh = new Set(rels);
    await removeWritten(out, old.filter((r) => !fresh.has(r)));
    await writeMarker(marker, REPORT_ABOUT, rels);
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}
