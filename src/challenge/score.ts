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
 * reports counts like `58/60`).
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
import { kspaceGeometry } from "../recon/run.ts";
import type { SliceInput } from "../recon/types.ts";
import { zeroFilledRss } from "../recon/zerofill.ts";
import { type Case, discover, kspaceVariable2023, type Split } from "./layout.ts";
import { scoreVolume } from "./metrics.ts";
import { reductionPlan, type Year } from "./reduce.ts";
import { locateSubmission } from "./validate.ts";
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
  /** Files present but not scorable, with the reason. */
  malformed: { file: string; reason: string }[];
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

async function listTruth(
  truth: string,
  split: Split,
  task: ScoreOptions["task"],
): Promise<TruthEntry[]> {
  let cases: Case[] = [];
  try {
    cases = (await discover(truth, { split, task, fullSample: true })).cases;
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
    } catch { /* no GroundTruth folder */ }
    throw new LayoutError(
      `no reference files for the ${split} split found (FullSample k-space or img4ranking files)`,
      {
        file: truth,
        hint:
          "pass a dataset root with .../ValidationSet/FullSample/Pxxx/*.mat (e.g. the GroundTruth " +
          "folder that deno task synth writes) or a folder of official ground-truth files",
      },
    );
  }
  return out;
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
    const a = mat.read("img4ranking");
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
  const dims = [...plan.dims];
  while (dims.length > 2 && dims[dims.length - 1] === 1) dims.pop();
  return { data: out, dims };
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
  const truth = await listTruth(opts.truth, split, opts.task);
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
  };
  using pool = new SlicePool(opts.workers ?? defaultWorkers());
  if (typeof opts.labels === "string") await checkLabelsRoot(opts.labels);
  const labels = opts.labels === false ? null : opts.labels ?? await defaultLabelsRoot(opts.truth);
  const mapEval = labels && opts.task !== "cine"
    ? new MapEvaluator({ labels, year, timesRoots: opts.timesRoots })
    : null;
  if (mapEval) report.maps = { labels: labels!, files: [], groups: [], skipped: [] };
  const refCache = new Map<string, { data: Float32Array; dims: number[] }>();
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
    let exists = false;
    try {
      exists = (await Deno.stat(path)).isFile;
    } catch { /* missing */ }
    if (!exists) {
      report.missing.push(job.rel);
      opts.onFile?.(++done, jobs.length);
      continue;
    }
    try {
      let ref = refCache.get(t.file);
      if (!ref) {
        using tm = await openMat(t.file);
        ref = await referenceImage(tm, t, year, split, pool);
        refCache.set(t.file, ref);
      }
      using pm = await openMat(path);
      if (pm.format !== "v5") {
        throw new CmrxError(
          "saved as MAT v7.3/HDF5: the official scorer's h5py fallback reads it transposed",
          { hint: "save img4ranking as MAT v5 (deno task submit does)" },
        );
      }
      const pred = pm.read("img4ranking");
      if (pred.complex) throw new CmrxError("img4ranking is complex; the scorer wants magnitude");
      const same = pred.dims.length === ref.dims.length &&
        pred.dims.every((d, i) => d === ref!.dims[i]);
      if (!same) {
        throw new CmrxError(
          `img4ranking has dims [${pred.dims.join(", ")}], the reference [${ref.dims.join(", ")}]`,
        );
      }
      const m = scoreVolume(pred.data as Float32Array, ref.data, ref.dims, year);
      const fs: FileScore = {
        file: job.rel,
        ssim: m.ssim,
        psnr: m.psnr,
        nmse: m.nmse,
        images: m.images,
      };
      report.files.push(fs);
      group.s.push(fs);
      if (mapEval && t.task === "mapping") {
        const mc = { ...t, rel: job.rel, acc: job.acc, split: splitFolder, truthFile: t.file };
        try {
          report.maps!.files.push(await mapEval.score(mc, pred.data as Float32Array, ref));
        } catch (e) {
          if (!(e instanceof CmrxError)) throw e;
          report.maps!.skipped.push({ file: job.rel, reason: e.message.split("\n")[0] });
        }
      }
    } catch (e) {
      const reason = e instanceof Error ? e.message.replace(`${path}: `, "") : String(e);
      report.malformed.push({ file: job.rel, reason: reason.split("\n")[0] });
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
  return report;
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
