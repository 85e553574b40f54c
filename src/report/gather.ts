/**
 * The report's inputs, gathered before any picture is drawn: the runs (their submission
 * files and run logs), the split they share, the input dataset's cases, the official scores
 * of every run, the union of the submission files in a fixed order, the figures' patient,
 * the labels folder for the map errors and the model manifests.
 *
 * Nothing here reads image data; the series themselves are read per file by
 * {@link analyseFiles} (see `analyse.ts`). Things that cannot be read are not errors of the
 * report: they become lines of `warnings` (the page's Notes), in the order they are found.
 *
 * @module
 */

import type { Split } from "../challenge/edition.ts";
import { discover } from "../challenge/layout.ts";
import type { Case } from "../challenge/case.ts";
import { formatProblem } from "../challenge/problem_text.ts";
import type { Year } from "../challenge/edition.ts";
import { type ScoreReport, scoreSubmission } from "../challenge/score.ts";
import { pooledRss } from "../pipeline/reference.ts";
import { SlicePool } from "../recon/pool.ts";
import { parseSubmissionPath, type SubmissionPathInfo } from "../challenge/paths.ts";
import { listSubmissionFiles, locateSubmission } from "../challenge/validate/walk.ts";
import { CmrxError, LayoutError, UsageError } from "../errors.ts";
import { listModels, type ModelEntry } from "../models/registry.ts";
import { readRunLog, type RunLog } from "./runlog.ts";

/** One compared run: a submission folder with its run log and (when scored) its scores. */
export interface Run {
  /** Display name (unique among the runs). */
  name: string;
  /** The folder given, without trailing slashes. */
  dir: string;
  /** Its `Submission` folder. */
  root: string;
  /** Submission files (relative to `root`) and what their paths say. */
  files: Map<string, SubmissionPathInfo>;
  /** Its run log (empty when there is none). */
  log: RunLog;
  /** The official scores, when a truth was given and scoring worked. */
  score?: ScoreReport;
  /** Why scoring failed. */
  scoreError?: string;
}

/** Calls made as work proceeds: stage, done, total. */
export type ProgressFn = (stage: string, done: number, total: number) => void;

const VIEW_OF: Record<string, string> = {
  cine_lax: "lax",
  cine_sax: "sax",
  T1map: "T1",
  T2map: "T2",
};

/** The short view name of a file stem: `cine_sax` -> `sax`, `T1map` -> `T1`. */
export const viewOf = (name: string): string => VIEW_OF[name] ?? name;

/** The folder name of an acceleration: 4 -> `AccFactor04`. */
export const accName = (acc: number): string => `AccFactor${String(acc).padStart(2, "0")}`;

/** Whether a path exists. */
export const exists = (p: string): Promise<boolean> => Deno.stat(p).then(() => true, () => false);

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

/**
 * Loads the runs in the order given, named by `names` (default: the folder names, or the
 * parent's name for a `Submission` folder; repeated names get ` (i)`).
 */
export async function loadRuns(dirs: string[], names: string[] | undefined, year: Year) {
  const unique = uniqueNames(dirs, names);
  const runs: Run[] = [];
  for (const [i, d] of dirs.entries()) runs.push(await loadRun(d, unique[i], year));
  return runs;
}

/** The split of the submission files; all runs must agree. */
export function splitOfRuns(runs: Run[]): Split & ("validation" | "test") {
  const splits = new Set<string>();
  for (const r of runs) for (const i of r.files.values()) splits.add(i.split);
  if (splits.size > 1) {
    throw new UsageError("the runs mix the validation and test splits", {
      hint: "compare runs of one split",
    });
  }
  return [...splits][0] === "TestSet" ? "test" : "validation";
}

/** The input dataset's root and its cases by submission path. */
export interface InputCases {
  /** The root (`--input`, else the first run log's input that exists). */
  input?: string;
  /** Its cases, by submission path (empty without an input or when it cannot be read). */
  cases: Map<string, Case>;
}

/**
 * The input dataset: for the zero-filled input and the mapping csv files. Broken entries of
 * the input become warnings: their cases have no zero-filled column or map times.
 */
export async function readInput(
  given: string | undefined,
  runs: Run[],
  split: Split,
  warnings: string[],
): Promise<InputCases> {
  const input = given ??
    (await Promise.all(
      runs.map(async (r) =>
        r.log.start?.input && await exists(r.log.start.input) ? r.log.start.input : undefined
      ),
    )).find((x) => x);
  const cases = new Map<string, Case>();
  if (input) {
    try {
      const found = await discover(input, { split });
      for (const c of found.cases) cases.set(c.submissionPath, c);
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
  return { input, cases };
}

/** A run that is zero-filled throughout: it serves as the zero-filled input. */
export function zeroFilledRun(runs: Run[]): Run | undefined {
  return runs.find((r) =>
    r.log.cases.length > 0 && r.log.cases.every((c) => c.method === "zerofill")
  );
}

/**
 * Scores every run officially ({@link scoreSubmission}) against `truth`, setting
 * `run.score`, or `run.scoreError` and a warning when a run cannot be scored.
 */
export async function scoreRuns(
  runs: Run[],
  truth: string | undefined,
  ctx: {
    year: Year;
    split: Split & ("validation" | "test");
    progress: ProgressFn;
    warnings: string[];
  },
): Promise<void> {
  if (!truth) {
    ctx.warnings.push("no ground truth given (--truth DIR): no errors, metrics or maps errors");
    return;
  }
  for (const [k, r] of runs.entries()) {
    const infos = [...r.files.values()];
    const tasks = new Set(infos.map((i) => i.task));
    try {
      using pool = new SlicePool();
      r.score = await scoreSubmission({
        rss: pooledRss(pool),
        submission: r.root,
        truth,
        year: ctx.year,
        split: ctx.split,
        task: tasks.size === 2 ? "both" : [...tasks][0],
        accs: [...new Set(infos.map((i) => i.acc))].sort((a, b) => a - b),
        onFile: (d, t) => ctx.progress(`scoring ${r.name} (${k + 1}/${runs.length})`, d, t),
      });
    } catch (e) {
      if (!(e instanceof CmrxError)) throw e;
      r.scoreError = e.message.split("\n")[0];
      ctx.warnings.push(`${r.name}: not scored: ${r.scoreError}`);
    }
  }
}

/** Every submission file of any run, and their paths in analysis order. */
export interface SubmissionFiles {
  /** Submission path -> what it says. */
  all: Map<string, SubmissionPathInfo>;
  /**
   * The paths sorted by coil, modality, patient, file and acceleration: the accelerations of
   * one file follow each other, so one reference series serves them all.
   */
  rels: string[];
}

/** The union of the runs' submission files, in analysis order. */
export function submissionFiles(runs: Run[]): SubmissionFiles {
  const all = new Map<string, SubmissionPathInfo>();
  for (const r of runs) for (const [rel, i] of r.files) all.set(rel, i);
  const rels = [...all.keys()].sort((a, b) => {
    const x = all.get(a)!, y = all.get(b)!;
    return x.coil.localeCompare(y.coil) || x.modality.localeCompare(y.modality) ||
      x.patient.localeCompare(y.patient) || x.name.localeCompare(y.name) || x.acc - y.acc;
  });
  return { all, rels };
}

/** The patient of the figures: `wanted`, or the first; a patient no run has is refused. */
export function figurePatient(
  all: Map<string, SubmissionPathInfo>,
  wanted: string | undefined,
): string {
  const patients = [...new Set([...all.values()].map((i) => i.patient))].sort();
  const patient = wanted ?? patients[0];
  if (!patients.includes(patient)) {
    throw new UsageError(`no files of patient ${patient} in the runs`, {
      hint: `choose one of: ${patients.join(", ")}`,
    });
  }
  return patient;
}

/**
 * The labels root for the map errors: `given`, else `<input>/Labels`, or `Labels` beside or
 * inside the truth root, when it is a folder.
 */
export async function labelsRoot(
  given: string | undefined,
  input: string | undefined,
  truth: string | undefined,
): Promise<string | undefined> {
  return given ?? await firstFolder([
    input && `${input}/Labels`,
    truth && `${truth.replace(/\/+$/, "")}/../Labels`,
    truth && `${truth.replace(/\/+$/, "")}/Labels`,
  ]);
}

/** The model manifests of `dirs` (for parameter counts); unreadable folders become warnings. */
export async function loadManifests(dirs: string[], warnings: string[]): Promise<ModelEntry[]> {
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
