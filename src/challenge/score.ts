/**
 * Local scoring exactly like the leaderboard: per 2-D image metrics after the year's
 * normalisation ({@link scoreVolume}), then the official 2023 aggregation order
 * (`CMRxRecon/Evaluation/Main_Score.py`):
 *
 * 1. per file: the mean over its 2-D images;
 * 2. per (coil, view, acceleration) group: the mean over files (patients);
 * 3. per (view, acceleration): the better of MultiCoil and SingleCoil — the official code
 *    takes `max` for every metric, NMSE included (a bug: lower NMSE is better); cmrxkit
 *    reproduces it so the numbers match the leaderboard;
 * 4. per acceleration: the mean over views (sax and lax, or T1 and T2), NaN-aware;
 * 5. the mean over accelerations, reported to 4 decimals.
 *
 * Missing and malformed files are listed and not scored (the official scorer skips them and
 * reports counts like `58/60`); the report is then marked `incomplete`. Truth entries that
 * cannot be read (dangling links, folders or pipes where a reference belongs, unreadable
 * references) are listed in `truthProblems` and mark it incomplete too: the aggregate then
 * covers fewer cases than the truth holds.
 *
 * A test-split submission is scored against `TestSet` ground truth (`.../TestSet/
 * FullSample/...`), which the organisers hold; `deno task synth --test` writes a local one.
 *
 * Mapping files also get map accuracy when labels are found (`mapping/evaluate.ts`): T1 / T2
 * maps fitted to the submitted and the reference images, RMSE / MAE in the myocardium.
 *
 * The truth is either a dataset root with fully sampled k-space (`.../FullSample/Pxxx/
 * cine_sax.mat` holding `kspace_full`: cmrxkit makes the reference images with the centred
 * inverse FFT, root-sum-of-squares and the ranking reduction, as the organisers did), or a
 * folder of official ground-truth `img4ranking` files in either the FullSample layout or
 * mirroring the submission.
 *
 * @module
 */

import { CmrxError, LayoutError } from "../errors.ts";
import { type MatReader, openMat } from "../mat/read.ts";
import { defaultWorkers, SlicePool } from "../recon/pool.ts";
import { kspaceGeometry } from "../kspace/geometry.ts";
import type { SliceInput } from "../kspace/slice.ts";
import { zeroFilledRss } from "../recon/zerofill.ts";
import { describeKind, entryKind } from "../fsutil.ts";
import { type Case, discover, kspaceVariable2023, problemsError, type Split } from "./layout.ts";
import { scoreVolume } from "./metrics.ts";
import { reductionPlan, type Year } from "./reduce.ts";
import {
  checkImg4RankingFile,
  locateSubmission,
  MAX_IMG4RANKING_VALUES,
  valuesOf,
} from "./validate.ts";
import { aggregateMapScores, MapEvaluator, type MapReport } from "../mapping/evaluate.ts";
import { checkLabelsRoot, defaultLabelsRoot } from "../mapping/labels.ts";

/** Metric triple. */
export interface Metrics {
  ssim: number;
  psnr: number;
  nmse: number;
}

/** One scored submission file. */
export interface FileScore extends Metrics {
  /** Path relative to the submission folder (e.g. `MultiCoil/Cine/ValidationSet/...`). */
  file: string;
  /** Number of 2-D images scored. */
  images: number;
}

/** One (coil, modality, view, acceleration) group. */
export interface GroupScore extends Metrics {
  coil: string;
  modality: string;
  view: string;
  acc: number;
  /** Files scored. */
  files: number;
  /** Files the truth expects. */
  expected: number;
}

/** Aggregate of one task (cine or mapping). */
export interface TaskScore extends Metrics {
  /** Per acceleration (after the coil max and the mean over views). */
  byAcc: Record<string, Metrics>;
  files: number;
  expected: number;
}

/** The whole result, as `--json` writes it. */
export interface ScoreReport {
  year: Year;
  split: Split;
  submission: string;
  truth: string;
  files: FileScore[];
  groups: GroupScore[];
  aggregate: { cine?: TaskScore; mapping?: TaskScore };
  /** Expected files that are not in the submission. */
  missing: string[];
  /** Files present but not scorable, with the reason and the fix `validate` gives. */
  malformed: { file: string; reason: string; fix: string }[];
  /**
   * Truth entries that cannot be read (path on disk, what is wrong, the fix): the cases they
   * stand for are not scored, so the aggregate covers less than the truth holds.
   */
  truthProblems: TruthProblem[];
  /**
   * True when the aggregate does not cover every case of the truth: files missing or
   * malformed, or truth entries that cannot be read. Such a score is not comparable with a
   * complete one.
   */
  incomplete: boolean;
  /** T1/T2 map accuracy in the myocardium (mapping, when labels were found). */
  maps?: MapReport;
}

/** Options of {@link scoreSubmission}. */
export interface ScoreOptions {
  submission: string;
  truth: string;
  year?: Year;
  split?: "validation" | "test";
  task?: "cine" | "mapping" | "both";
  /** Accelerations expected in the submission (default 4, 8, 10). */
  accs?: number[];
  /** Called after each file. */
  onFile?: (done: number, total: number) => void;
  /** Workers computing reference images from k-space (default: the cores). */
  workers?: number;
  /**
   * Labels root for map accuracy (synth's `Labels`, or official `SegmentROI` NIfTI files);
   * default: the `Labels` folder beside the truth when there is one; false: no maps.
   */
  labels?: string | false;
  /** Dataset roots whose case folders hold T1map.csv / T2map.csv (after the truth's tree). */
  timesRoots?: string[];
}

/** A truth entry that cannot be used. */
export interface TruthProblem {
  /** The entry on disk. */
  path: string;
  reason: string;
  fix: string;
}

/** A reference image and where it came from. */
interface TruthEntry {
  coil: string;
  modality: string;
  name: string;
  view: string;
  task: "cine" | "mapping";
  patient: string;
  /** path of the truth file */
  file: string;
  /** acceleration folder the truth file sits in, when it mirrors a submission */
  acc?: number;
}

/** The references of a truth root and the truth entries that cannot be used. */
interface TruthList {
  entries: TruthEntry[];
  problems: TruthProblem[];
}

async function listTruth(
  truth: string,
  split: Split,
  task: ScoreOptions["task"],
): Promise<TruthList> {
  let cases: Case[] = [];
  let problems: TruthProblem[] = [];
  try {
    const d = await discover(truth, { split, task, fullSample: true, allowEmpty: true });
    cases = d.cases;
    problems = d.problems.map(({ path, reason, fix }) => ({ path, reason, fix }));
  } catch (e) {
    if (!(e instanceof LayoutError)) throw e;
  }
  const entry = (c: Case): TruthEntry => ({
    coil: c.coil,
    modality: c.modality,
    name: c.name,
    view: c.view,
    task: c.task,
    patient: c.patient,
    file: c.file,
    acc: c.acc ?? undefined,
  });
  // Fully sampled references: one per (patient, file), serving every acceleration.
  const out = cases.filter((c) => c.acc === null).map(entry);
  if (out.length === 0) {
    // Official ground truth mirroring the submission: only files holding img4ranking
    // (undersampled k-space in AccFactor folders is not a reference).
    for (const c of cases) {
      using mat = await openMat(c.file);
      if (mat.variables().some((v) => v.name === "img4ranking")) out.push(entry(c));
    }
  }
  if (out.length === 0) {
    try {
      if ((await Deno.stat(`${truth}/GroundTruth`)).isDirectory) {
        return await listTruth(`${truth}/GroundTruth`, split, task);
      }
    } catch (e) {
      if (e instanceof CmrxError) throw e;
      /* no GroundTruth folder */
    }
    if (problems.length) {
      throw problemsError(problems, {
        context: `and no other reference for the ${split} split was found`,
        what: "truth entries",
      });
    }
    throw noTruthError(truth, split);
  }
  return { entries: out, problems };
}

/** No reference for the split under the truth root: what is needed, and for test, why. */
function noTruthError(truth: string, split: Split): LayoutError {
  if (split === "test") {
    return new LayoutError(
      "no TestSet ground truth here: a test-split submission is scored against the TestSet " +
        "ground truth, which the organisers hold and do not release",
      {
        file: truth,
        hint: "score a validation-split submission instead (deno task submit --split " +
          "validation), or pass --truth a root with TestSet/FullSample/Pxxx/*.mat (deno task " +
          "synth --test writes one under GroundTruth/)",
      },
    );
  }
  return new LayoutError(
    `no reference files for the ${split} split found (FullSample k-space or img4ranking files)`,
    {
      file: truth,
      hint:
        "pass a dataset root with .../ValidationSet/FullSample/Pxxx/*.mat (e.g. the GroundTruth " +
        "folder that deno task synth writes) or a folder of official ground-truth files",
    },
  );
}

/**
 * The reference image of a truth file, reduced for the split: from `img4ranking` as is, or
 * from fully sampled k-space `(kx, ky, coil, slice, frame)` (single-coil `(kx, ky, slice,
 * frame)`) by IFFT + RSS of only the slices and frames the reduction keeps.
 * Returns MATLAB dims `(x, y, slice, frame)` with trailing singletons dropped.
 */
export async function referenceImage(
  mat: MatReader,
  entry: { name: string; task: "cine" | "mapping"; coil: string },
  year: Year,
  split: Split,
  pool?: SlicePool,
): Promise<{ data: Float32Array; dims: number[] }> {
  const vars = mat.variables();
  const ready = vars.find((v) => v.name === "img4ranking");
  if (ready) {
    const n = valuesOf(ready);
    if (n > MAX_IMG4RANKING_VALUES) {
      throw new CmrxError(
        `img4ranking declares dims [${ready.dims.join(", ")}] (${n} values), more than the ` +
          `${MAX_IMG4RANKING_VALUES} any CMRxRecon image holds; it was not read`,
        { file: mat.file, hint: "replace it with the official ground-truth file" },
      );
    }
    const a = mat.read("img4ranking");
    assertFinite(a.data, "img4ranking", mat.file);
    return { data: a.data as Float32Array, dims: a.dims };
  }
  const kvar = vars.find((v) => v.name === kspaceVariable2023(entry.coil as "MultiCoil", null)) ??
    vars.find((v) => v.complex && v.dims.length >= 3);
  if (!kvar) {
    throw new CmrxError(
      `no img4ranking or fully sampled k-space variable (found: ${
        vars.map((v) => v.name).join(", ") || "none"
      })`,
      { file: mat.file, hint: "the truth must hold kspace_full (FullSample) or img4ranking" },
    );
  }
  const { nx, ny, nc, nz: sz, nt, single } = kspaceGeometry(
    kvar,
    mat.file,
    entry.coil === "SingleCoil",
  );
  const npix = nx * ny;
  const plan = split === "validation"
    ? reductionPlan(year, [nx, ny, sz, nt], entry.name, entry.task === "mapping")
    : {
      slices: Array.from({ length: sz }, (_, i) => i),
      frames: Array.from({ length: nt }, (_, i) => i),
      x: [0, nx] as [number, number],
      y: [0, ny] as [number, number],
      dims: [nx, ny, sz, nt],
    };
  const [x0, x1] = plan.x, [y0, y1] = plan.y;
  const cx = x1 - x0, cy = y1 - y0;
  const ns = plan.slices.length, nf = plan.frames.length;
  const out = new Float32Array(cx * cy * ns * nf);
  // The kept frames are always the first nf: read them per slice, IFFT + RSS (in the
  // workers when a pool is given, one slice each), and crop.
  const crop = (k: number, image: Float32Array) => {
    for (let j = 0; j < nf; j++) {
      let o = cx * cy * (k + ns * j);
      for (let y = y0; y < y1; y++) {
        out.set(image.subarray(npix * j + nx * y + x0, npix * j + nx * y + x1), o);
        o += cx;
      }
    }
  };
  const jobs: Promise<void>[] = [];
  for (const [k, z] of plan.slices.entries()) {
    const ranges = single ? [undefined, undefined, z, [0, nf] as [number, number]] : [
      undefined,
      undefined,
      undefined,
      z,
      [0, nf] as [number, number],
    ];
    const slab = mat.readSlab(kvar.name, ranges).data as Float32Array;
    assertFinite(slab, `the k-space '${kvar.name}' (slice ${z + 1})`, mat.file);
    if (pool) {
      const input: SliceInput = {
        kspace: slab,
        dims: [nx, ny, nc, nf],
        mask: new Float32Array(npix).fill(1),
        maskDims: [nx, ny],
        kind: entry.task,
      };
      jobs.push(pool.run("zerofill", input).then((r) => crop(k, r.image)));
    } else crop(k, zeroFilledRss(slab, [nx, ny, nc, nf]));
  }
  await Promise.all(jobs);
  assertFinite(out, "the reference image made from the k-space", mat.file);
  const dims = [...plan.dims];
  while (dims.length > 2 && dims[dims.length - 1] === 1) dims.pop();
  return { data: out, dims };
}

/** Throws a {@link CmrxError} naming the truth file when `data` holds NaN or Inf. */
function assertFinite(data: ArrayLike<number>, what: string, file: string): void {
  let bad = 0;
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) bad++;
  if (bad) {
    throw new CmrxError(
      `${what} holds ${bad} NaN or Inf values: no reference can be made from it`,
      {
        file,
        hint: "the ground truth is damaged: replace this file with an intact copy of the " +
          "fully sampled data (or the official ground-truth file)",
      },
    );
  }
}

function mean(xs: number[]): number {
  const ok = xs.filter((x) => !Number.isNaN(x));
  return ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : NaN;
}

/** The better of multi- and single-coil, as the official code does it (max, NaN ignored). */
function coilMax(xs: number[]): number {
  const ok = xs.filter((x) => !Number.isNaN(x));
  return ok.length ? Math.max(...ok) : NaN;
}

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

/**
 * Scores a submission folder against a truth root. See the module docs for the order of
 * aggregation and what the truth may be.
 */
export async function scoreSubmission(opts: ScoreOptions): Promise<ScoreReport> {
  const year = opts.year ?? 2023;
  const split: Split = opts.split ?? "validation";
  const accs = opts.accs ?? [4, 8, 10];
  const sub = (await locateSubmission(opts.submission, year)).root;
  const { entries: truth, problems: truthProblems } = await listTruth(
    opts.truth,
    split,
    opts.task,
  );
  const splitFolder = split === "validation" ? "ValidationSet" : "TestSet";
  // Expected submission files: each FullSample truth at every acceleration, or each
  // mirrored truth file at its own acceleration.
  const jobs: { rel: string; truth: TruthEntry; acc: number }[] = [];
  for (const t of truth) {
    for (const acc of t.acc !== undefined ? [t.acc] : accs) {
      const accDir = `AccFactor${String(acc).padStart(2, "0")}`;
      jobs.push({
        rel: `${t.coil}/${t.modality}/${splitFolder}/${accDir}/${t.patient}/${t.name}.mat`,
        truth: t,
        acc,
      });
    }
  }
  const report: ScoreReport = {
    year,
    split,
    submission: sub,
    truth: opts.truth,
    files: [],
    groups: [],
    aggregate: {},
    missing: [],
    malformed: [],
    truthProblems,
    incomplete: false,
  };
  using pool = new SlicePool(opts.workers ?? defaultWorkers());
  if (typeof opts.labels === "string") await checkLabelsRoot(opts.labels);
  const labels = opts.labels === false ? null : opts.labels ?? await defaultLabelsRoot(opts.truth);
  const mapEval = labels && opts.task !== "cine"
    ? new MapEvaluator({ labels, year, timesRoots: opts.timesRoots })
    : null;
  if (mapEval) report.maps = { labels: labels!, files: [], groups: [], skipped: [] };
  const refCache = new Map<string, { data: Float32Array; dims: number[] }>();
  const badTruth = new Set<string>();
  const groupFiles = new Map<
    string,
    { g: Omit<GroupScore, keyof Metrics | "files">; s: FileScore[] }
  >();
  let done = 0;
  for (const job of jobs) {
    const t = job.truth;
    const gkey = `${t.coil}|${t.modality}|${t.view}|${job.acc}`;
    if (!groupFiles.has(gkey)) {
      groupFiles.set(gkey, {
        g: { coil: t.coil, modality: t.modality, view: t.view, acc: job.acc, expected: 0 },
        s: [],
      });
    }
    const group = groupFiles.get(gkey)!;
    group.g.expected++;
    const path = `${sub}/${job.rel}`;
    const { kind, detail } = await entryKind(path);
    if (kind === "missing") {
      report.missing.push(job.rel);
      opts.onFile?.(++done, jobs.length);
      continue;
    }
    if (kind !== "file") {
      report.malformed.push({
        file: job.rel,
        reason: `is ${describeKind(kind, detail)}, not an img4ranking file`,
        fix: kind === "dangling-link" || kind === "link-loop"
          ? "repair or remove the link, then write the file itself there"
          : "write the img4ranking file itself there (a regular MAT v5 file)",
      });
      opts.onFile?.(++done, jobs.length);
      continue;
    }
    let ref = refCache.get(t.file);
    if (!ref && !badTruth.has(t.file)) {
      try {
        using tm = await openMat(t.file);
        ref = await referenceImage(tm, t, year, split, pool);
        refCache.set(t.file, ref);
      } catch (e) {
        if (!(e instanceof CmrxError)) throw e;
        badTruth.add(t.file);
        report.truthProblems.push(truthReadProblem(t.file, e));
      }
    }
    let pred: Float32Array | undefined;
    if (ref) {
      const read = await readPrediction(path, job.rel, {
        split,
        task: t.task,
        name: t.name,
        year,
        ref,
      });
      if ("malformed" in read) report.malformed.push(read.malformed);
      else {
        try {
          const m = scoreVolume(read.data, ref.data, ref.dims, year);
          const fs: FileScore = {
            file: job.rel,
            ssim: m.ssim,
            psnr: m.psnr,
            nmse: m.nmse,
            images: m.images,
          };
          report.files.push(fs);
          group.s.push(fs);
          pred = read.data;
        } catch (e) {
          if (!(e instanceof CmrxError)) throw e;
          report.malformed.push({
            file: job.rel,
            reason: e.detail.split("\n")[0],
            fix: e.hint ?? VALIDATE_FIX,
          });
        }
      }
    }
    if (ref && pred && mapEval && t.task === "mapping") {
      const mc = { ...t, rel: job.rel, acc: job.acc, split: splitFolder, truthFile: t.file };
      try {
        report.maps!.files.push(await mapEval.score(mc, pred, ref));
      } catch (e) {
        if (!(e instanceof CmrxError)) throw e;
        report.maps!.skipped.push({
          file: job.rel,
          reason: e.message.split("\n")[0],
          ...(e.file ? { path: e.file } : {}),
          ...(e.hint ? { fix: e.hint } : {}),
        });
      }
    }
    // Drop references that no later job needs (one truth file serves every acceleration).
    if (!jobs.slice(jobs.indexOf(job) + 1).some((j) => j.truth.file === t.file)) {
      refCache.delete(t.file);
      mapEval?.release(t.file);
    }
    opts.onFile?.(++done, jobs.length);
  }
  for (const { g, s } of groupFiles.values()) {
    report.groups.push({
      ...g,
      files: s.length,
      ssim: mean(s.map((f) => f.ssim)),
      psnr: mean(s.map((f) => f.psnr)),
      nmse: mean(s.map((f) => f.nmse)),
    });
  }
  report.aggregate = aggregateGroups(report.groups);
  if (report.maps) report.maps.groups = aggregateMapScores(report.maps.files);
  report.incomplete = report.missing.length > 0 || report.malformed.length > 0 ||
    report.truthProblems.length > 0;
  return report;
}

/** Problems of `validate` that stop a file from being scored (their fix is the one to give). */
const BLOCKING = new Set([
  "not-mat",
  "v73",
  "corrupt",
  "variable",
  "complex",
  "dims",
  "transposed",
  "non-finite",
]);

/** The fix of a file that cannot be scored when no check of `validate` says more. */
const VALIDATE_FIX =
  "check it with deno task validate SUBMISSION --input DATASET, and write it again";

/**
 * Reads a submitted img4ranking with `validate`'s checks of one file, the reference's dims as
 * the expected ones (one read, validate's messages and fixes): its data, or why it cannot be
 * scored (the first problem that stops scoring). Values validate only warns of or that do
 * not stop scoring (class, all zero, negative) are scored as the official scorer would.
 */
async function readPrediction(
  path: string,
  rel: string,
  ctx: {
    split: Split;
    task: "cine" | "mapping";
    name: string;
    year: Year;
    ref: { dims: number[] };
  },
): Promise<{ data: Float32Array } | { malformed: ScoreReport["malformed"][number] }> {
  const check = await checkImg4RankingFile(path, rel, {
    split: ctx.split === "test" ? "test" : "validation",
    task: ctx.task,
    name: ctx.name,
    year: ctx.year,
    expectedDims: ctx.ref.dims,
    expectedLabel: "the reference",
    keepArray: true,
  });
  const stop = check.problems.find((x) => BLOCKING.has(x.kind)) ??
    (check.array ? undefined : check.problems[0]);
  if (stop || !check.array) {
    return {
      malformed: {
        file: rel,
        reason: stop?.message ?? "img4ranking cannot be read",
        fix: stop?.fix ?? VALIDATE_FIX,
      },
    };
  }
  return { data: check.array.data as Float32Array };
}

/** A truth file that cannot be made into a reference image. */
function truthReadProblem(file: string, e: CmrxError): TruthProblem {
  const other = e.file && e.file !== file ? `${e.file}: ` : "";
  return {
    path: file,
    reason: `reference cannot be read: ${other}${e.detail.split("\n")[0]}`,
    fix: e.hint ?? "replace it with a complete FullSample k-space or img4ranking file",
  };
}

/**
 * The official aggregation of group means: per (view, acceleration) the better of multi-
 * and single-coil (max for every metric, as the official code does), the NaN-aware mean over
 * views per acceleration, then the mean over accelerations, rounded to 4 decimals.
 */
export function aggregateGroups(all: GroupScore[]): ScoreReport["aggregate"] {
  const out: ScoreReport["aggregate"] = {};
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

/** The per-file scores as CSV (one row per scored file). */
export function scoresCsv(report: ScoreReport): string {
  const rows = ["file,ssim,psnr,nmse,images"];
  for (const f of report.files) rows.push(`${f.file},${f.ssim},${f.psnr},${f.nmse},${f.images}`);
  return rows.join("\n") + "\n";
}
