/**
 * The submit pipeline: discover the cases of a split, reconstruct each (slice by slice),
 * apply the official reduction (validation) or keep full size (test), write compliant
 * `img4ranking` files atomically, resume finished work, share work across shards, watch a
 * time budget, validate the result and optionally zip it.
 *
 * ```
 * edition = editionFor(year, "submit")            the rules (challenge/editions/)
 * check --output (a writable folder, or creatable under one) -> discover(input, split), once:
 *   the whole split for the run manifest's input identity, narrowed to task / coil / acc
 * mkdir output ; lock (per shard: lock.ts) ; run manifest (run_manifest.ts: a mismatch stops)
 * remove stale temporary files of dead runs (stale_temp.ts)
 * sharded: plan every case (headers) -> shard by work (shard.ts) -> this shard's cases
 * for each case: skip if a verified file exists (plan from the header) |
 *                openCase: header -> plan (challenge/plan.ts), the file stays open |
 *                reconstruct the plan's slices | reduce (validation) |
 *                writeImg4Ranking (tmp + rename) | log a JSON line (run_log.ts)
 * validateSubmission(out, expected from the plans) ; packSubmission (--zip) ; release the lock
 * ```
 *
 * Each input header is read once per run (`openCase`); a sharded run reads every header to
 * balance the work and opens its own cases again for the data.
 *
 * Broken entries of the input (dangling links, pipes, folders at k-space positions) are
 * failed cases of every shard, so no run over a damaged input ends OK.
 *
 * @module
 */

import type { Edition, Split, Year } from "../challenge/edition.ts";
import { DEFAULT_YEAR, editionFor } from "../challenge/editions/mod.ts";
import { discover } from "../challenge/layout.ts";
import type { Case, Discovery } from "../challenge/case.ts";
import { formatProblem } from "../challenge/problem_text.ts";
import { mapsPath, writeCaseMaps } from "../challenge/maps/case_maps.ts";
import { packSubmission } from "../challenge/pack.ts";
import { type CasePlan, openCase, type OpenedCase, readPlan } from "../challenge/plan.ts";
import { applyReduction } from "../challenge/reduce.ts";
import {
  type ExpectedFile,
  expectedFromPlan,
  type ExpectedSubmission,
  submissionFolder,
  writeImg4Ranking,
} from "../challenge/submission.ts";
import { checkImg4RankingFile } from "../challenge/validate/checks.ts";
import { validateSubmission } from "../challenge/validate/mod.ts";
import type { ValidationReport } from "../challenge/validate/report.ts";
import { GpuMemorySampler } from "../engine/gpu_memory.ts";
import type { ProviderProbe } from "./provider_probe.ts";
import { peakRssBytes } from "../engine/rss.ts";
import { CmrxError, errorMessage, UsageError } from "../errors.ts";
import type { Reconstructor } from "../kspace/slice.ts";
import type { ModelEntry } from "../models/registry.ts";
import { openMat } from "../mat/read.ts";
import { checkOutputDir } from "../output.ts";
import { defaultWorkers, SlicePool } from "../recon/pool.ts";
import { type MaskInput, reconstructFile } from "../recon/run.ts";
import {
  budgetSecondsOf,
  type BudgetVerdict,
  budgetVerdict,
  sliceUnits,
  type TimeBudget,
  type TimedCase,
  type ViewTiming,
  viewTimings,
} from "./budget.ts";
import { acquireRunLock, describeLock } from "./lock.ts";
import { reconcileRunManifest, type RunManifest, runManifestFor } from "./run_manifest.ts";
import { checkOutputEntries } from "./output_checks.ts";
import { RunLogWriter } from "./run_log.ts";
import { narrowDiscovery } from "../challenge/discovery/scope.ts";
import { assignShards, type ShardShare } from "./shard.ts";
import { removeStaleTemps } from "./stale_temp.ts";

/** Picks the reconstructor for a case (the registry; `--model` overrides it). */
export type Selector = (c: Case) => Reconstructor | Promise<Reconstructor>;

/** Options of {@link submit}. */
export interface SubmitOptions {
  /** Dataset root holding `MultiCoil/` and/or `SingleCoil/` (as `discover` searches it). */
  input: string;
  /**
   * Folder where `Submission/`, the run manifest, the lock and the run log go (created
   * with its parents); a re-run resumes the files that already verify.
   */
  output: string;
  /** The task(s) reconstructed. */
  task: "cine" | "mapping" | "both";
  /**
   * `validation`: the official run4Ranking reduction (only the scored slices are
   * reconstructed); `test`: full-size images, no reduction.
   */
  split: "validation" | "test";
  /** Picks the reconstructor of each case. */
  select: Selector;
  /** Why `select` chose what it did for a case, asked after it: the run log's `why`. */
  why?: (c: Case) => string | undefined;
  /** Coil filter: multi-coil, single-coil or both (default: every coil found). */
  coil?: "multi" | "single" | "both";
  /** Acceleration filter, e.g. `[4, 8]` (default: every acceleration found). */
  acc?: number[];
  /**
   * Challenge edition whose rules apply (default: the edition the input tree follows, see
   * {@link editionOfInput}; 2023 when it says nothing).
   */
  year?: Year;
  /** `[i, n]`: this run does shard i (0-based) of n. */
  shard?: [number, number];
  /**
   * Seconds the whole test set may take (the challenge's budget), for the verdict and stop;
   * `edition`: the time per task of the edition the run follows (`Edition.limits`).
   */
  timeBudget?: TimeBudget;
  /**
   * The static estimate of the GPU memory the run's ONNX models need (bytes), asked once
   * the cases ran; null or absent when none ran (`submitWithModels` gives it).
   */
  gpuEstimateBytes?: () => number | null;
  /** The GPU memory limit to report against (default: the edition's). */
  gpuLimitBytes?: number;
  /**
   * The parity probes of the models loaded on a GPU provider (`submitWithModels`), for the
   * run log's start record and the run manifest.
   */
  providerProbes?: ProviderProbe[];
  /** Recompute files that already exist, and rewrite the run manifest. */
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
  /**
   * What reconstructs the cases, for the run manifest: `--model` as given, or undefined for
   * the per-case choice (`auto`). It must be what `select` does.
   */
  model?: string;
  /** The ONNX models `select` chooses from (names and sizes go into the run manifest). */
  models?: readonly ModelEntry[];
  /** The command line, recorded in the run lock for whoever finds it taken. */
  command?: string;
  /** Called with notices worth a line: a stale lock taken over, temporary files removed,
   * this shard's share of the work. */
  onNotice?: (message: string) => void;
}

/** What happened to one case (also one line of the run log). */
export interface CaseEvent {
  /** Marks a case line in the run log. */
  event: "case";
  /**
   * The submission path relative to `Submission/` (for a broken input entry without one,
   * the entry's path).
   */
  file: string;
  /** Short view name (`lax`, `sax`, `T1`, `T2`, ...); `-` for a broken input entry. */
  view: string;
  /** Acceleration factor; null for a broken input entry. */
  acc: number | null;
  /** Name of the reconstructor used; `-` when none was chosen. */
  method: string;
  /**
   * Why that reconstructor (`submitWithModels`' per-case choice): `--model`, `serves this
   * case`, or the default's reason, e.g. the mask kind of a k-t case.
   */
  why?: string;
  /** `written`, `skipped` (already done and verified) or `failed` (see {@link error}). */
  status: "written" | "skipped" | "failed";
  /** Wall-clock seconds spent on the case (0 when it failed before reconstructing). */
  seconds: number;
  /** Slices reconstructed (written cases). */
  slices?: number;
  /** MATLAB dims of the written `img4ranking` (written cases). */
  dims?: number[];
  /** Size of the k-space file (for the time-budget scaling of `report`). */
  geometry?: { nx: number; ny: number; nc: number; nz: number; nt: number };
  /** Why the case failed. */
  error?: string;
  /** Path of the maps file written (`--maps`). */
  maps?: string;
  /** Why the maps file could not be written (`--maps`); the case itself is still written. */
  mapsError?: string;
}

/** The end of a run. */
export interface SubmitSummary {
  /** The output folder, as given. */
  output: string;
  /** Cases of this run (of this shard when sharded), broken input entries included. */
  cases: number;
  /** Files reconstructed and written by this run. */
  written: number;
  /** Files already done and verified, left as they were. */
  skipped: number;
  /** The failed cases, broken input entries first. */
  failed: CaseEvent[];
  /** Files not produced because the time budget stopped the run. */
  notReached: string[];
  /** Wall-clock seconds of the whole run. */
  seconds: number;
  /** Mean seconds per written case, per reconstructed slice and per unit of work, by view. */
  perView: Record<string, ViewTiming>;
  /** Peak resident memory of the process in bytes (Linux `VmHWM`, else the current RSS). */
  peakRssBytes: number;
  /**
   * GPU memory of this process during the run: the peak `nvidia-smi` saw (null: not sampled,
   * `sampling` says why), beside the static estimate of the ONNX models' peak and the limit.
   */
  gpuMemory: GpuMemoryReport;
  /** Extrapolation to the test set of the task, when a budget was given. */
  budget?: BudgetVerdict;
  /**
   * The final validation of the submission against the input (unsharded runs, or a single
   * shard); absent when it could not run (see {@link validationError}).
   */
  validation?: ValidationReport;
  /** Why the final validation could not run (e.g. an unreadable input file). */
  validationError?: string;
  /** Path of the zip written (`zip`, when the result is valid and no case failed). */
  zip?: string;
  /** Each shard's share of the work (sharded runs). */
  shares?: ShardShare[];
  /** Stale temporary files of dead runs removed before the first case. */
  staleRemoved: number;
  /** The run manifest as written. */
  manifest?: RunManifest;
}

/** GPU memory of a run: measured where `nvidia-smi` exists, else only estimated. */
export interface GpuMemoryReport {
  /** Peak bytes `nvidia-smi` listed for this process and its children; null when not sampled. */
  peakBytes: number | null;
  /** `nvidia-smi, N sample(s)`, or `not sampled (...)`. */
  sampling: string;
  /**
   * Static estimate of the ONNX models' peak (weights + activations, the largest input shape
   * run), from `estimateMemory`; null when no ONNX model ran or none was estimated.
   */
  estimateBytes: number | null;
  /** The GPU memory limit the run was held to (the edition's, or `--vram-limit`). */
  limitBytes: number;
}

/**
 * A case of this run: its plan once its header has been read, the work it stands for (for
 * the shards), or why its header cannot be read.
 */
interface RunCase {
  c: Case;
  plan?: CasePlan;
  /** Slices reconstructed x pixels x frames x coils (sharded runs only). */
  work: number;
  /** Why its header cannot be read (the error, whole, for the final validation). */
  failure?: CmrxError;
}

/** Runs the pipeline. See the module docs. */
export async function submit(opts: SubmitOptions): Promise<SubmitSummary> {
  const t0 = performance.now();
  const startedMs = Date.now();
  if (opts.year !== undefined) editionFor(opts.year, "submit"); // refused before anything
  const split: Split = opts.split;
  await checkOutputDir(opts.output);
  const logPath = opts.log ??
    `${opts.output}/run-log${
      opts.shard ? `-shard${opts.shard[0] + 1}of${opts.shard[1]}` : ""
    }.jsonl`;
  await checkOutputEntries(opts.output, logPath, !!opts.log);
  // One discovery of the whole split, narrowed to the filters (challenge/discovery/scope.ts).
  const scope = { task: opts.task, coil: opts.coil, acc: opts.acc };
  const all = await discover(opts.input, { split, allowEmpty: true });
  let found = narrowDiscovery(all, opts.input, scope);
  // Nothing to do: discover with the filters says what is missing (it throws).
  if (found.cases.length === 0) found = await discover(opts.input, { split, ...scope });
  // The edition: the one the input tree follows, or --year's (its cases only).
  const edition = editionOfInput(found.cases, opts.input, opts.year);
  found = { ...found, cases: found.cases.filter((c) => c.year === edition.year) };
  const problems = found.problems;
  const run = await runManifestOf(opts, edition.year, all);

  await Deno.mkdir(opts.output, { recursive: true });
  const command = opts.command ?? `submit --output ${opts.output} (library call)`;
  using lock = await acquireRunLock(opts.output, opts.shard, command);
  if (lock.tookOver) {
    opts.onNotice?.(`took over the stale lock of ${describeLock(lock.tookOver)} (${lock.path})`);
  }
  const manifest = await reconcileRunManifest(opts.output, run, !!opts.force);
  const stale = await removeStaleTemps(opts.output, lock.path, startedMs);
  if (stale.removed.length) {
    opts.onNotice?.(
      `removed ${stale.removed.length} stale temporary file(s) left by a stopped run`,
    );
  }

  const cases: RunCase[] = found.cases.map((c) => ({ c, work: 0 }));
  // Shards are balanced by work, which needs every header first; otherwise each header is
  // read once, by the case's own turn (or by the skip check below).
  if (opts.shard) await planAll(cases, split, edition);
  const { mine, shares } = shardRun(cases, opts.shard);
  if (opts.shard && shares) opts.onNotice?.(shareText(opts.shard, shares));
  const root = submissionFolder(opts.output);
  await Deno.mkdir(root, { recursive: true });
  const logDir = logPath.slice(0, Math.max(0, logPath.lastIndexOf("/")));
  if (logDir) await Deno.mkdir(logDir, { recursive: true });
  using log = await RunLogWriter.open(logPath);
  // GPU memory of this process (ONNX sessions on CUDA or WebGPU), where nvidia-smi exists
  const gpu = new GpuMemorySampler(Deno.pid);
  await gpu.start();
  using _stopGpu = { [Symbol.dispose]: () => gpu.stop() };
  await log.write({
    event: "start",
    date: new Date().toISOString(),
    edition: edition.year,
    input: opts.input,
    output: opts.output,
    task: opts.task,
    split,
    shard: opts.shard ? `${opts.shard[0] + 1}/${opts.shard[1]}` : null,
    cases: mine.length + problems.length,
    ...(shares ? { shares: shares.map((s) => ({ cases: s.cases, fraction: s.fraction })) } : {}),
    staleRemoved: stale.removed.length,
    ...(opts.providerProbes?.length ? { providerProbes: opts.providerProbes } : {}),
  });

  const summary: SubmitSummary = {
    output: opts.output,
    cases: mine.length + problems.length,
    written: 0,
    skipped: 0,
    failed: [],
    notReached: [],
    seconds: 0,
    perView: {},
    peakRssBytes: 0,
    gpuMemory: { peakBytes: null, sampling: "", estimateBytes: null, limitBytes: 0 },
    shares,
    staleRemoved: stale.removed.length,
    manifest,
  };
  const times: Record<string, number[]> = {};
  const timed: TimedCase[] = [];
  // Broken input entries are failed cases; a file counts as done only when it verifies
  // (variable, class, dims, finite).
  const failedUpFront: CaseEvent[] = problems.map((p) => ({
    event: "case",
    file: p.submissionPath ?? p.path,
    view: "-",
    acc: null,
    method: "-",
    status: "failed",
    seconds: 0,
    error: formatProblem(p),
  }));
  const todo: RunCase[] = [];
  for (const rc of mine) {
    const c = rc.c;
    const path = `${root}/${c.submissionPath}`;
    if (!opts.force && await isFile(path)) {
      if (!rc.plan && !rc.failure) await planOne(rc, split, edition);
      if (!rc.plan) {
        failedUpFront.push(failedEvent(c, "-", 0, rc.failure?.message ?? "unreadable"));
        continue;
      }
      const check = await checkImg4RankingFile(path, c.submissionPath, {
        split,
        task: c.task,
        name: c.name,
        year: edition.year,
        expectedDims: rc.plan.dims,
      });
      const mapsMissing = opts.maps && c.task === "mapping" &&
        !(await isFile(mapsPath(opts.output, c.submissionPath)));
      if (check.problems.length === 0 && !mapsMissing) {
        summary.skipped++;
        continue;
      }
    } else if (rc.failure) {
      failedUpFront.push(failedEvent(c, "-", 0, rc.failure.message));
      continue;
    }
    todo.push(rc);
  }
  using pool = new SlicePool(opts.workers ?? defaultWorkers());
  const total = todo.length + failedUpFront.length;
  opts.onStart?.(total, summary.skipped);
  for (const e of failedUpFront) {
    summary.failed.push(e);
    await log.write(e);
    opts.onCase?.(e, summary.failed.length, total);
  }
  let stopped = false;
  const budgetSeconds = opts.timeBudget === undefined
    ? undefined
    : budgetSecondsOf(opts.timeBudget, edition);
  for (const [k, rc] of todo.entries()) {
    const c = rc.c;
    if (stopped) {
      summary.notReached.push(c.submissionPath);
      continue;
    }
    if (budgetSeconds !== undefined) {
      const elapsed = (performance.now() - t0) / 1000;
      const meanView = mean(times[c.view] ?? Object.values(times).flat());
      if (elapsed + meanView > budgetSeconds) {
        stopped = true;
        summary.notReached.push(c.submissionPath);
        await log.write({
          event: "budget-stop",
          elapsed,
          budget: budgetSeconds,
          next: c.submissionPath,
        });
        continue;
      }
    }
    const started = performance.now();
    let method = "-";
    let why: { why?: string } = {};
    try {
      using opened = await openPlanned(rc, split, edition);
      const r = await opts.select(c);
      method = r.name;
      const reason = opts.why?.(c);
      if (reason) why = { why: reason };
      const mapsOut = opts.maps ? opts.output : undefined;
      const ev = await runCase(opened, r, root, pool, mapsOut);
      const g = opened.plan.geometry;
      ev.geometry = { nx: g.nx, ny: g.ny, nc: g.nc, nz: g.nz, nt: g.nt };
      const seconds = (performance.now() - started) / 1000;
      (times[c.view] ??= []).push(seconds);
      timed.push({ view: c.view, seconds, slices: ev.slices ?? 1, geometry: g });
      summary.written++;
      const e: CaseEvent = { ...ev, ...why, seconds };
      await log.write(e);
      opts.onCase?.(e, failedUpFront.length + k + 1, total);
    } catch (err) {
      const seconds = method === "-" ? 0 : (performance.now() - started) / 1000;
      const e = { ...failedEvent(c, method, seconds, errorMessage(err)), ...why };
      summary.failed.push(e);
      await log.write(e);
      opts.onCase?.(e, failedUpFront.length + k + 1, total);
      if (!(err instanceof CmrxError)) throw err;
      if (!rc.plan) rc.failure = err; // the header: the final validation does not read it again
    }
  }
  summary.perView = viewTimings(timed, edition);
  if (opts.timeBudget !== undefined) {
    summary.budget = budgetVerdict(summary.perView, opts.task, opts.timeBudget, edition);
  }
  summary.peakRssBytes = peakRssBytes();
  gpu.stop();
  summary.gpuMemory = {
    peakBytes: gpu.peak,
    sampling: gpu.text(),
    estimateBytes: opts.gpuEstimateBytes?.() ?? null,
    limitBytes: opts.gpuLimitBytes ?? edition.limits.gpuMemoryBytes,
  };
  // Validate what this run is responsible for (a shard validates when it is the whole set),
  // against the plans: no input header is read again.
  if (!opts.shard || opts.shard[1] === 1) {
    try {
      const expected = await expectedOf(mine, problems, split, edition);
      summary.validation = await validateSubmission(opts.output, {
        input: opts.input,
        task: opts.task,
        split,
        coil: opts.coil,
        acc: opts.acc,
        year: edition.year,
        expected,
      });
    } catch (err) {
      if (!(err instanceof CmrxError)) throw err;
      summary.validationError = err.message;
    }
    if (opts.zip && summary.validation?.ok && summary.failed.length === 0) {
      const z = await packSubmission(opts.output, {
        team: opts.zip.team,
        validate: false,
        year: edition.year,
      });
      summary.zip = z.out;
    }
  }
  summary.seconds = (performance.now() - t0) / 1000;
  await log.write({ event: "end", ...summary, validation: summary.validation?.ok ?? null });
  return summary;
}

/**
 * The edition a run follows: `year` when given (only the input's cases in that edition's
 * layout are run; none is a usage error naming the layout found), else the one edition whose
 * layout the input's cases follow (the tree readers of `challenge/discovery/` detect it per
 * split folder); an input mixing editions needs `--year`. No case: the default edition.
 *
 * @throws {UsageError} `year` cannot submit, no case follows `year`'s layout, or the input
 *   mixes editions and no `year` is given
 */
export function editionOfInput(cases: readonly Case[], input: string, year?: Year): Edition {
  const years = [...new Set(cases.map((c) => c.year))].sort();
  if (year !== undefined) {
    const e = editionFor(year, "submit");
    if (cases.length > 0 && !years.includes(year)) {
      throw new UsageError(
        `--year ${year}: ${input} holds no ${e.title} tree (it follows the ${
          years.join(" and ")
        } layout)`,
        {
          hint: `pass --year ${years[0]} (or leave --year out: the edition is read from the ` +
            `tree), or point --input at a ${year} dataset`,
        },
      );
    }
    return e;
  }
  if (years.length > 1) {
    throw new UsageError(
      `${input} holds trees of several editions (${years.join(", ")})`,
      { hint: `pass --year ${years.join(" or --year ")} to run one of them` },
    );
  }
  return editionFor(years[0] ?? DEFAULT_YEAR, "submit");
}

/** Reads a case's header (once) into its plan, or records why it cannot be read. */
async function planOne(rc: RunCase, split: Split, edition: Edition): Promise<void> {
  try {
    rc.plan = await readPlan(rc.c, split, edition);
    rc.work = rc.plan.slices.length * sliceUnits(rc.plan.geometry);
  } catch (err) {
    if (!(err instanceof CmrxError)) throw err;
    rc.failure = err;
  }
}

/** Plans every case (sharded runs: the work of every case decides the shares). */
async function planAll(cases: RunCase[], split: Split, edition: Edition): Promise<void> {
  for (const rc of cases) await planOne(rc, split, edition);
}

/**
 * Opens a case for its data: the header is read here, once, unless a shard plan or the skip
 * check read it before (then the file is opened again for the data only).
 */
async function openPlanned(rc: RunCase, split: Split, edition: Edition): Promise<OpenedCase> {
  const opened = await openCase(rc.c, split, edition);
  rc.plan = opened.plan;
  return opened;
}

/**
 * The expected submission of this run, from the plans; cases never opened (a budget stop)
 * are planned now, and a case whose header cannot be read stops the validation as it
 * always did (its error is the validation error).
 */
async function expectedOf(
  mine: RunCase[],
  problems: Discovery["problems"],
  split: Split,
  edition: Edition,
): Promise<ExpectedSubmission> {
  const files: ExpectedFile[] = [];
  for (const rc of mine) {
    if (!rc.plan && !rc.failure) await planOne(rc, split, edition);
    if (!rc.plan) throw rc.failure ?? new CmrxError("cannot be planned", { file: rc.c.file });
    files.push(expectedFromPlan(rc.plan));
  }
  return { files, problems };
}

function failedEvent(c: Case, method: string, seconds: number, error: string): CaseEvent {
  return {
    event: "case",
    file: c.submissionPath,
    view: c.view,
    acc: c.acc,
    method,
    status: "failed",
    seconds,
    error,
  };
}

/**
 * The run manifest this run would write (before merging with the folder's); `all` is the
 * whole split, whatever the filters (see {@link submit}).
 */
function runManifestOf(opts: SubmitOptions, year: number, all: Discovery): Promise<RunManifest> {
  const models = opts.models?.filter((m) => !opts.model || opts.model === m.manifest.name);
  return runManifestFor({
    task: opts.task,
    split: opts.split,
    year,
    coil: opts.coil,
    acc: opts.acc,
    model: opts.model,
    models,
    input: opts.input,
    cases: all.cases,
    maps: !!opts.maps,
    probes: opts.providerProbes,
  });
}

/** This shard's cases (balanced by work over the whole list) and every shard's share. */
function shardRun(cases: RunCase[], shard?: [number, number]) {
  if (!shard) return { mine: cases, shares: undefined };
  const { owner, shares } = assignShards(cases.map((x) => x.work), shard[1]);
  return { mine: cases.filter((_, k) => owner[k] === shard[0]), shares };
}

/** `shard 1/2: 12 case(s), 50% of the work (1/2: 12 cases 50%, 2/2: 12 cases 50%)`. */
function shareText(shard: [number, number], shares: ShardShare[]): string {
  const pct = (f: number) => `${(100 * f).toFixed(1)}%`;
  const me = shares[shard[0]];
  return `shard ${shard[0] + 1}/${shard[1]}: ${me.cases} case(s), ${pct(me.fraction)} of the ` +
    `work (${
      shares.map((s) => `${s.shard + 1}/${shard[1]}: ${s.cases}, ${pct(s.fraction)}`)
        .join("; ")
    })`;
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

/**
 * One case, from its open file and plan: read the mask, reconstruct the slices the plan
 * keeps, reduce, write.
 */
async function runCase(
  opened: OpenedCase,
  method: Reconstructor,
  root: string,
  pool: SlicePool,
  mapsOut?: string,
): Promise<Omit<CaseEvent, "seconds">> {
  const { plan, mat } = opened;
  const c = plan.case;
  let mask: MaskInput | undefined;
  if (c.maskFile && c.maskVariable) {
    using mm = await openMat(c.maskFile);
    const m = mm.read(c.maskVariable);
    // The file and variable go with the mask, so shape errors name the mask, not the k-space.
    mask = {
      data: m.data,
      dims: m.dims,
      complex: m.complex,
      file: c.maskFile,
      variable: c.maskVariable,
    };
  }
  // Validation scores two central slices: reconstruct only those (all frames, for context).
  const slices = plan.reduction ? plan.slices : undefined;
  const r = await reconstructFile(mat, method, {
    variable: plan.variable,
    mask,
    task: c.task,
    singleCoil: c.coil === "SingleCoil",
    slices,
    pool,
  });
  let data: Float32Array;
  if (plan.reduction) {
    // r.image holds only the kept slices: remap the plan onto it.
    const local = { ...plan.reduction, slices: plan.reduction.slices.map((_, i) => i) };
    data = applyReduction(r.image, r.dims, local);
  } else data = r.image;
  await writeImg4Ranking(root, c.submissionPath, data, plan.dims);
  const maps: Pick<CaseEvent, "maps" | "mapsError"> = {};
  if (mapsOut && c.task === "mapping") {
    const path = mapsPath(mapsOut, c.submissionPath);
    try {
      await writeCaseMaps(c, r.image, r.dims, plan.slices, path);
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
    dims: plan.dims,
    ...maps,
  };
}
