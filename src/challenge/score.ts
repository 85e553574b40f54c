/**
 * Local scoring exactly like the leaderboard: per 2-D image metrics after the edition's
 * normalisation (`metrics/mod.ts` `scoreVolume`), then the official 2023 aggregation order
 * (`CMRxRecon/Evaluation/Main_Score.py`, in `aggregate.ts`):
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
 * Both coil tracks are optional (2023 FAQ): only the tracks the submission holds a folder of
 * (`MultiCoil/`, `SingleCoil/`) are expected; accelerations are 4, 8 and 10 plus any other
 * `AccFactorNN` folder the submission holds (e.g. the R = 24 of papers 000 and 002).
 *
 * A test-split submission is scored against `TestSet` ground truth (`.../TestSet/
 * FullSample/...`), which the organisers hold; `deno task synth --test` writes a local one.
 *
 * Mapping files also get map accuracy when labels are found (`maps/score.ts`): T1 / T2
 * maps fitted to the submitted and the reference images, RMSE / MAE in the myocardium.
 *
 * The truth is either a dataset root with fully sampled k-space (`.../FullSample/Pxxx/
 * cine_sax.mat` holding `kspace_full`: cmrxkit makes the reference images with the centred
 * inverse FFT, root-sum-of-squares and the ranking reduction, as the organisers did), or a
 * folder of official ground-truth `img4ranking` files in either the FullSample layout or
 * mirroring the submission.
 *
 * Editions whose `aggregation` is not the 2023 one (2024, 2025) are scored by
 * `score_editions.ts`, with that year's files, rules and result keys (`ScoreReport.edition`).
 *
 * @module
 */

import { DEFAULT_YEAR, editionOf } from "./editions/mod.ts";
import { CmrxError } from "../errors.ts";
import { openMat } from "../mat/read.ts";
import { describeKind, entryKind } from "../fsutil.ts";
import {
  type Aggregate,
  aggregateGroups,
  type GroupScore,
  mean,
  type Metrics,
} from "./aggregate.ts";
import type { Split, Year } from "./edition.ts";
import { scoreVolume } from "./metrics/mod.ts";
import {
  listTruth,
  referenceImage,
  type ReferenceRss,
  type TruthEntry,
  type TruthProblem,
  truthReadProblem,
} from "./truth.ts";
import { checkImg4RankingFile } from "./validate/checks.ts";
import { locateSubmission } from "./validate/walk.ts";
import { aggregateMapScores, type MapReport, MapScorer } from "./maps/score.ts";
import { type EditionScores, scoreEditionFiles } from "./score_editions.ts";
import { checkLabelsRoot, defaultLabelsRoot } from "./maps/labels.ts";

/** One scored submission file. */
export interface FileScore extends Metrics {
  /** Path relative to the submission folder (e.g. `MultiCoil/Cine/ValidationSet/...`). */
  file: string;
  /** Number of 2-D images scored. */
  images: number;
}

/** The whole result, as `--json` writes it. */
export interface ScoreReport {
  /** The edition whose normalisation and reduction rules scored it. */
  year: Year;
  /** The split scored (`validation` or `test`). */
  split: Split;
  /** The submission folder scored, as {@link locateSubmission} found it. */
  submission: string;
  /** The truth root, as given. */
  truth: string;
  /** One entry per scored file, in truth order. */
  files: FileScore[];
  /** Per (coil, modality, view, acceleration) means over files, with file counts. */
  groups: GroupScore[];
  /** The official aggregate per task, 4 decimals (see the module docs). */
  aggregate: Aggregate;
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
  /**
   * 2024 and 2025: the year's official result keys per task (`score_editions.ts`); `groups`
   * and `aggregate` are then empty (they are the 2023 aggregation's).
   */
  edition?: EditionScores;
}

/** Options of {@link scoreSubmission}. */
export interface ScoreOptions {
  /** The `Submission` folder, or a folder holding it (as {@link locateSubmission} takes). */
  submission: string;
  /** The truth root: fully sampled k-space or official `img4ranking` files (module docs). */
  truth: string;
  /** The edition whose rules apply (default 2023). */
  year?: Year;
  /** Which split's truth to score against (default `validation`). */
  split?: "validation" | "test";
  /** Score only this task's files (default both). */
  task?: "cine" | "mapping" | "both";
  /**
   * Accelerations expected in the submission (default 4, 8, 10, plus any other `AccFactorNN`
   * folder the submission holds, e.g. `AccFactor24`: the R = 24 of papers 000 and 002).
   */
  accs?: number[];
  /** Called after each file. */
  onFile?: (done: number, total: number) => void;
  /**
   * Makes reference images from fully sampled k-space (default: {@link zeroFilledRss} in
   * the calling thread); `pipeline/reference.ts` gives one that uses worker threads.
   */
  rss?: ReferenceRss;
  /**
   * Labels root for map accuracy (synth's `Labels`, or official `SegmentROI` NIfTI files);
   * default: the `Labels` folder beside the truth when there is one; false: no maps.
   */
  labels?: string | false;
  /** Dataset roots whose case folders hold T1map.csv / T2map.csv (after the truth's tree). */
  timesRoots?: string[];
  /** 2025: the organisers' case table, csv (default `GroupTable.csv` beside the truth). */
  cases?: string;
  /** 2024: the input dataset whose `Mask_TaskN` folders say which files are expected. */
  input?: string;
}

/**
 * The accelerations of the `AccFactorNN` folders of a 2023 submission for one split folder
 * (`{coil}/{modality}/{splitFolder}/AccFactorNN`), e.g. 24 for `AccFactor24`.
 */
async function extraAccs(sub: string, splitFolder: string): Promise<number[]> {
  const found: number[] = [];
  const dirs = async (path: string): Promise<string[]> => {
    const out: string[] = [];
    try {
      for await (const e of Deno.readDir(path)) if (e.isDirectory) out.push(e.name);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory)) throw e;
    }
    return out;
  };
  for (const coil of await dirs(sub)) {
    for (const modality of await dirs(`${sub}/${coil}`)) {
      for (const acc of await dirs(`${sub}/${coil}/${modality}/${splitFolder}`)) {
        const m = /^AccFactor(\d\d)$/.exec(acc);
        if (m && Number(m[1]) >= 2) found.push(Number(m[1]));
      }
    }
  }
  return found;
}

/**
 * Scores a submission folder against a truth root. See the module docs for the order of
 * aggregation and what the truth may be.
 */
export async function scoreSubmission(opts: ScoreOptions): Promise<ScoreReport> {
  const year = opts.year ?? DEFAULT_YEAR;
  const split: Split = opts.split ?? "validation";
  const edition = editionOf(year);
  if (edition.aggregation !== "2023") {
    const r = await scoreEditionFiles(opts, edition);
    return {
      year,
      split,
      submission: r.submission,
      truth: opts.truth,
      files: r.files,
      groups: [],
      aggregate: {},
      missing: r.missing,
      malformed: r.malformed,
      truthProblems: r.truthProblems,
      incomplete: r.missing.length > 0 || r.malformed.length > 0 || r.truthProblems.length > 0,
      edition: r.edition,
    };
  }
  const sub = (await locateSubmission(opts.submission, year)).root;
  const splitFolder = split === "validation" ? "ValidationSet" : "TestSet";
  const accs = opts.accs ??
    [...new Set([4, 8, 10, ...await extraAccs(sub, splitFolder)])].sort((a, b) => a - b);
  const { entries: allTruth, problems: truthProblems } = await listTruth(
    opts.truth,
    split,
    opts.task,
  );
  // Both coil tracks are optional (2023 FAQ): expect only the tracks the submission holds
  // (all of them when it holds none).
  const held = new Set<string>();
  for (const coil of new Set(allTruth.map((t) => t.coil))) {
    if ((await entryKind(`${sub}/${coil}`)).kind !== "missing") held.add(coil);
  }
  const truth = held.size ? allTruth.filter((t) => held.has(t.coil)) : allTruth;
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
  if (typeof opts.labels === "string") await checkLabelsRoot(opts.labels);
  const labels = opts.labels === false ? null : opts.labels ?? await defaultLabelsRoot(opts.truth);
  const mapEval = labels && opts.task !== "cine"
    ? new MapScorer({ labels, year, timesRoots: opts.timesRoots })
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
        ref = await referenceImage(tm, t, year, split, opts.rss);
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

/** The per-file scores as CSV (one row per scored file). */
export function scoresCsv(report: ScoreReport): string {
  const rows = ["file,ssim,psnr,nmse,images"];
  for (const f of report.files) rows.push(`${f.file},${f.ssim},${f.psnr},${f.nmse},${f.images}`);
  return rows.join("\n") + "\n";
}
