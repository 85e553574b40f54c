/**
 * The submit pipeline: discover the cases of a split, reconstruct each (slice by slice),
 * apply the official reduction (validation) or keep full size (test), write compliant
 * `img4ranking` files atomically, resume finished work, share work across shards, watch a
 * time budget, validate the result and optionally zip it.
 *
 * ```
 * discover(input, task, split) -> cases (sharded, stable order)
 * for each case: skip if a verified file exists | reconstruct the needed slices |
 *                run4Ranking (validation) | writeImg4Ranking (tmp + rename) | log a JSON line
 * validateSubmission(out, input) ; packSubmission (--zip)
 * ```
 *
 * @module
 */

import { type Case, discover, type Split } from "../challenge/layout.ts";
import { packSubmission } from "../challenge/pack.ts";
import { applyReduction, reductionPlan, type Year } from "../challenge/reduce.ts";
import {
  matlabSqueezeTrailing,
  submissionFolder,
  writeImg4Ranking,
} from "../challenge/submission.ts";
import {
  checkImg4RankingFile,
  validateSubmission,
  type ValidationReport,
} from "../challenge/validate.ts";
import { peakRssBytes } from "../engine/session.ts";
import { CmrxError, UsageError } from "../errors.ts";
import { openMat } from "../mat/read.ts";
import { findKspaceVariable, kspaceGeometry, reconstructFile } from "../recon/run.ts";
import { defaultWorkers, SlicePool } from "../recon/pool.ts";
import type { Reconstructor } from "../recon/types.ts";
import { mapsPath, writeCaseMaps } from "../mapping/case_maps.ts";

/** Test-set sizes of the 2023 challenge per acceleration and coil type (files), for the
 * time-budget extrapolation: 120 test patients; not every patient has a LAX file (the
 * validation scorer expects 51 lax / 60 sax and 59 T1 / 59 T2 per 60 patients), scaled to
 * 120 patients. Three accelerations. */
export const TEST_SET_2023: Record<string, number> = {
  lax: 102,
  sax: 120,
  T1: 118,
  T2: 118,
};
/** Accelerations of the 2023 test set. */
export const TEST_ACCS_2023 = [4, 8, 10];
/** Slices per file assumed for the test set (upper ends of the published ranges: SAX 5-10
 * slices, LAX 3 views, mapping 5-6 slices); the test split reconstructs every slice. */
export const TEST_SLICES_2023: Record<string, number> = { lax: 3, sax: 10, T1: 6, T2: 6 };

/** Picks the reconstructor for a case (the registry; `--model` overrides it). */
export type Selector = (c: Case) => Reconstructor | Promise<Reconstructor>;

/** Options of {@link submit}. */
export interface SubmitOptions {
  input: string;
  output: string;
  task: "cine" | "mapping" | "both";
  split: "validation" | "test";
  select: Selector;
  coil?: "multi" | "single" | "both";
  acc?: number[];
  year?: Year;
  /** `[i, n]`: this run does shard i (0-based) of n. */
  shard?: [number, number];
  /** Seconds the whole test set may take (the challenge's budget), for the verdict and stop. */
  timeBudget?: number;
  /** Recompute files that already exist. */
  force?: boolean;
  /** Zip the result (`Submission.zip` beside the Submission folder) with this team name. */
  zip?: { team: string };
  /** Where the JSON-lines run log goes (default `<output>/run-log.jsonl`). */
  log?: string;
  /** Called after each case. */
  onCase?: (e: CaseEvent, done: number, total: number) => void;
  /** Workers reconstructing slices in parallel (classical methods; default: the cores). */
  workers?: number;
  /** Also fit T1/T2 maps of mapping cases, written to `OUT/Maps/<submission path>`. */
  maps?: boolean;
  /** Called once before the first case with the number of cases. */
  onStart?: (total: number, skipped: number) => void;
}

/** What happened to one case (also one line of the run log). */
export interface CaseEvent {
  event: "case";
  file: string;
  view: string;
  acc: number | null;
  method: string;
  status: "written" | "skipped" | "failed";
  seconds: number;
  slices?: number;
  dims?: number[];
  error?: string;
  /** Maps file written (`--maps`), or why it could not be. */
  maps?: string;
  mapsError?: string;
}

/** The end of a run. */
export interface SubmitSummary {
  output: string;
  cases: number;
  written: number;
  skipped: number;
  failed: CaseEvent[];
  /** Files not produced because the time budget stopped the run. */
  notReached: string[];
  seconds: number;
  /** Mean seconds per written case and per reconstructed slice, by view. */
  perView: Record<string, ViewTiming>;
  peakRssBytes: number;
  /** Extrapolation to the test set of the task, when a budget was given. */
  budget?: BudgetVerdict;
  validation?: ValidationReport;
  /** Why the final validation could not run (e.g. an unreadable input file). */
  validationError?: string;
  zip?: string;
}

/** Measured time of one view. */
export interface ViewTiming {
  cases: number;
  meanSeconds: number;
  /** Seconds per reconstructed slice (what scales to the test set). */
  secondsPerSlice: number;
}

/** Whether a run of the whole test set fits the time budget. */
export interface BudgetVerdict {
  budgetSeconds: number;
  /** Estimated seconds for the whole test set of the chosen task(s). */
  estimateSeconds: number;
  /** estimate / budget. */
  fraction: number;
  verdict: "fits" | "tight" | "exceeds";
  /** How the estimate was made. */
  basis: string;
}

/** Parses `4h`, `90m`, `3600s`, `1h30m`, or plain seconds. */
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

/** Parses `i/n` (1-based i as users type it) into a 0-based `[i, n]`. */
export function parseShard(s: string): [number, number] {
  const m = /^(\d+)\/(\d+)$/.exec(s.trim());
  const i = m ? Number(m[1]) : NaN, n = m ? Number(m[2]) : NaN;
  if (!m || n < 1 || i < 1 || i > n) {
    throw new UsageError(`'${s}' is not a shard`, {
      hint: "use i/n with 1 <= i <= n, e.g. --shard 2/4",
    });
  }
  return [i - 1, n];
}

/**
 * The cases of shard `i` of `n`: every n-th case of the stable order, starting at i, so
 * shards are disjoint, together complete, and balanced across views and accelerations.
 */
export function shardCases<T>(cases: readonly T[], shard?: [number, number]): T[] {
  if (!shard) return [...cases];
  const [i, n] = shard;
  return cases.filter((_, k) => k % n === i);
}

/**
 * Extrapolates measured seconds per case (by view) to the 2023 test set of the tasks run.
 * Views never measured take the mean of the measured ones.
 */
export function budgetVerdict(
  perView: Record<string, ViewTiming>,
  task: SubmitOptions["task"],
  budgetSeconds: number,
): BudgetVerdict {
  const views = task === "cine"
    ? ["lax", "sax"]
    : task === "mapping"
    ? ["T1", "T2"]
    : ["lax", "sax", "T1", "T2"];
  const measured = Object.values(perView).filter((v) => v.cases > 0);
  const fallback = measured.length
    ? measured.reduce((s, v) => s + v.secondsPerSlice * v.cases, 0) /
      measured.reduce((s, v) => s + v.cases, 0)
    : 0;
  let estimate = 0;
  const parts: string[] = [];
  for (const v of views) {
    const per = perView[v]?.cases ? perView[v].secondsPerSlice : fallback;
    const n = TEST_SET_2023[v] * TEST_ACCS_2023.length;
    estimate += per * n * TEST_SLICES_2023[v];
    parts.push(`${n} ${v} x ${TEST_SLICES_2023[v]} slices x ${per.toFixed(2)} s`);
  }
  const fraction = budgetSeconds > 0 ? estimate / budgetSeconds : Infinity;
  return {
    budgetSeconds,
    estimateSeconds: estimate,
    fraction,
    verdict: fraction <= 0.8 ? "fits" : fraction <= 1 ? "tight" : "exceeds",
    basis: `2023 test set (120 patients, 3 accelerations): ${parts.join(" + ")}`,
  };
}

/** Runs the pipeline. See the module docs. */
export async function submit(opts: SubmitOptions): Promise<SubmitSummary> {
  const t0 = performance.now();
  const year = opts.year ?? 2023;
  if (year !== 2023) {
    throw new UsageError(`submit writes the ${year} layout only for 2023 data so far`, {
      hint: "use --year 2023 (the reduction of 2024/2025 is available in the library: reduce.ts)",
    });
  }
  const split: Split = opts.split;
  const { cases: all } = await discover(opts.input, {
    task: opts.task,
    split,
    coil: opts.coil,
    acc: opts.acc,
  });
  const cases = shardCases(all, opts.shard);
  const root = submissionFolder(opts.output);
  await Deno.mkdir(root, { recursive: true });
  const logPath = opts.log ??
    `${opts.output}/run-log${
      opts.shard ? `-shard${opts.shard[0] + 1}of${opts.shard[1]}` : ""
    }.jsonl`;
  const log = await Deno.open(logPath, { append: true, create: true });
  const enc = new TextEncoder();
  const writeLog = async (obj: unknown) => {
    await log.write(enc.encode(JSON.stringify(obj) + "\n"));
  };
  await writeLog({
    event: "start",
    date: new Date().toISOString(),
    input: opts.input,
    output: opts.output,
    task: opts.task,
    split,
    shard: opts.shard ? `${opts.shard[0] + 1}/${opts.shard[1]}` : null,
    cases: cases.length,
  });

  const summary: SubmitSummary = {
    output: opts.output,
    cases: cases.length,
    written: 0,
    skipped: 0,
    failed: [],
    notReached: [],
    seconds: 0,
    perView: {},
    peakRssBytes: 0,
  };
  const times: Record<string, number[]> = {};
  const sliceTimes: Record<string, number[]> = {};
  // Resume: a file counts as done only when it verifies (variable, class, dims, finite).
  const expected = new Map<Case, number[]>();
  const todo: Case[] = [];
  const unreadable: CaseEvent[] = [];
  for (const c of cases) {
    let dims: number[];
    try {
      dims = await expectedDims(c, split, year);
    } catch (err) {
      if (!(err instanceof CmrxError)) throw err;
      unreadable.push({
        event: "case",
        file: c.submissionPath,
        view: c.view,
        acc: c.acc,
        method: "-",
        status: "failed",
        seconds: 0,
        error: err.message,
      });
      continue;
    }
    expected.set(c, dims);
    const path = `${root}/${c.submissionPath}`;
    if (!opts.force && await isFile(path)) {
      const check = await checkImg4RankingFile(path, c.submissionPath, {
        split,
        task: c.task,
        name: c.name,
        year,
        expectedDims: dims,
      });
      const mapsMissing = opts.maps && c.task === "mapping" &&
        !(await isFile(mapsPath(opts.output, c.submissionPath)));
      if (check.problems.length === 0 && !mapsMissing) {
        summary.skipped++;
        continue;
      }
    }
    todo.push(c);
  }
  using pool = new SlicePool(opts.workers ?? defaultWorkers());
  opts.onStart?.(todo.length + unreadable.length, summary.skipped);
  for (const e of unreadable) {
    summary.failed.push(e);
    await writeLog(e);
    opts.onCase?.(e, summary.failed.length, todo.length + unreadable.length);
  }
  let stopped = false;
  for (const [k, c] of todo.entries()) {
    if (stopped) {
      summary.notReached.push(c.submissionPath);
      continue;
    }
    if (opts.timeBudget !== undefined) {
      const elapsed = (performance.now() - t0) / 1000;
      const meanView = mean(times[c.view] ?? Object.values(times).flat());
      if (elapsed + meanView > opts.timeBudget) {
        stopped = true;
        summary.notReached.push(c.submissionPath);
        await writeLog({
          event: "budget-stop",
          elapsed,
          budget: opts.timeBudget,
          next: c.submissionPath,
        });
        continue;
      }
    }
    const started = performance.now();
    let method = "?";
    try {
      const r = await opts.select(c);
      method = r.name;
      const mapsOut = opts.maps ? opts.output : undefined;
      const ev = await runCase(c, r, split, year, root, expected.get(c)!, pool, mapsOut);
      const seconds = (performance.now() - started) / 1000;
      (times[c.view] ??= []).push(seconds);
      (sliceTimes[c.view] ??= []).push(seconds / (ev.slices ?? 1));
      summary.written++;
      const e: CaseEvent = { ...ev, seconds };
      await writeLog(e);
      opts.onCase?.(e, k + 1, todo.length);
    } catch (err) {
      const seconds = (performance.now() - started) / 1000;
      const e: CaseEvent = {
        event: "case",
        file: c.submissionPath,
        view: c.view,
        acc: c.acc,
        method,
        status: "failed",
        seconds,
        error: err instanceof Error ? err.message : String(err),
      };
      summary.failed.push(e);
      await writeLog(e);
      opts.onCase?.(e, k + 1, todo.length);
      if (!(err instanceof CmrxError)) {
        log.close();
        throw err;
      }
    }
  }
  for (const [v, ts] of Object.entries(times)) {
    summary.perView[v] = {
      cases: ts.length,
      meanSeconds: mean(ts),
      secondsPerSlice: mean(sliceTimes[v]),
    };
  }
  if (opts.timeBudget !== undefined) {
    summary.budget = budgetVerdict(summary.perView, opts.task, opts.timeBudget);
  }
  summary.peakRssBytes = peakRssBytes();
  // Validate what this run is responsible for (a shard validates when it is the whole set).
  if (!opts.shard || opts.shard[1] === 1) {
    try {
      summary.validation = await validateSubmission(opts.output, {
        input: opts.input,
        task: opts.task,
        split,
        coil: opts.coil,
        acc: opts.acc,
        year,
      });
    } catch (err) {
      if (!(err instanceof CmrxError)) throw err;
      summary.validationError = err.message;
    }
    if (opts.zip && summary.validation?.ok) {
      const z = await packSubmission(opts.output, { team: opts.zip.team, validate: false });
      summary.zip = z.out;
    }
  }
  summary.seconds = (performance.now() - t0) / 1000;
  await writeLog({ event: "end", ...summary, validation: summary.validation?.ok ?? null });
  log.close();
  return summary;
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await Deno.stat(p)).isFile;
  } catch {
    return false;
  }
}

/** The dims the written file must have: the reduction's, or full size for the test split. */
async function expectedDims(c: Case, split: Split, year: Year): Promise<number[]> {
  using mat = await openMat(c.file);
  const g = kspaceGeometry(findKspaceVariable(mat, c.variable), c.file, c.coil === "SingleCoil");
  const dims = [g.nx, g.ny, g.nz, g.nt];
  return split === "validation"
    ? reductionPlan(year, dims, c.name, c.task === "mapping").dims
    : matlabSqueezeTrailing(dims);
}

/** One case: read mask, reconstruct the slices that will be kept, reduce, write. */
async function runCase(
  c: Case,
  method: Reconstructor,
  split: Split,
  year: Year,
  root: string,
  dims: number[],
  pool: SlicePool,
  mapsOut?: string,
): Promise<Omit<CaseEvent, "seconds">> {
  using mat = await openMat(c.file);
  const info = findKspaceVariable(mat, c.variable);
  const g = kspaceGeometry(info, c.file, c.coil === "SingleCoil");
  let mask: { data: Float32Array | Float64Array; dims: number[] } | undefined;
  if (c.maskFile && c.maskVariable) {
    using mm = await openMat(c.maskFile);
    const m = mm.read(c.maskVariable);
    mask = { data: m.data, dims: m.dims };
  }
  const full = [g.nx, g.ny, g.nz, g.nt];
  const plan = split === "validation"
    ? reductionPlan(year, full, c.name, c.task === "mapping")
    : null;
  // Validation scores two central slices: reconstruct only those (all frames, for context).
  const slices = plan ? plan.slices : undefined;
  const r = await reconstructFile(mat, method, {
    variable: info.name,
    mask,
    kind: c.task,
    singleCoil: c.coil === "SingleCoil",
    slices,
    pool,
  });
  let data: Float32Array;
  if (plan) {
    // r.image holds only the kept slices: remap the plan onto it.
    const local = { ...plan, slices: plan.slices.map((_, i) => i) };
    data = applyReduction(r.image, r.dims, local);
  } else data = r.image;
  await writeImg4Ranking(root, c.submissionPath, data, dims);
  const maps: Pick<CaseEvent, "maps" | "mapsError"> = {};
  if (mapsOut && c.task === "mapping") {
    const path = mapsPath(mapsOut, c.submissionPath);
    try {
      const src = slices ?? Array.from({ length: g.nz }, (_, i) => i);
      await writeCaseMaps(c, r.image, r.dims, src, path);
      maps.maps = path;
    } catch (e) {
      if (!(e instanceof CmrxError)) throw e;
      maps.mapsError = e.message;
    }
  }
  return {
    event: "case",
    file: c.submissionPath,
    view: c.view,
    acc: c.acc,
    method: method.name,
    status: "written",
    slices: r.dims[2],
    dims,
    ...maps,
  };
}
