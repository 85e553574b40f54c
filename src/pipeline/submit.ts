/**
 * The submit pipeline: discover the cases of a split, reconstruct each (slice by slice),
 * apply the official reduction (validation) or keep full size (test), write compliant
 * `img4ranking` files atomically, resume finished work, share work across shards, watch a
 * time budget, validate the result and optionally zip it.
 *
 * ```
 * check --output (a writable folder, or creatable under one) -> discover(input, split), once:
 *   the whole split for the run manifest's input identity, narrowed to task / coil / acc
 * mkdir output ; lock (per shard: lock.ts) ; run manifest (run_manifest.ts: a mismatch stops)
 * remove stale temporary files of dead runs (stale_temp.ts)
 * geometry of every case (headers) -> shard by work (shard.ts) -> this shard's cases
 * for each case: skip if a verified file exists | reconstruct the needed slices |
 *                run4Ranking (validation) | writeImg4Ranking (tmp + rename) | log a JSON line
 * validateSubmission(out, input) ; packSubmission (--zip) ; release the lock
 * ```
 *
 * Broken entries of the input (dangling links, pipes, folders at k-space positions) are
 * failed cases of every shard, so no run over a damaged input ends OK.
 *
 * @module
 */

import {
  type Case,
  type CoilType,
  discover,
  type DiscoverOptions,
  type Discovery,
  formatProblem,
  type Split,
} from "../challenge/layout.ts";
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
import { describeKind, entryKind } from "../fsutil.ts";
import { openMat } from "../mat/read.ts";
import { checkOutputDir } from "../output.ts";
import type { ModelEntry } from "../models/registry.ts";
import { findKspaceVariable, type KspaceGeometry, kspaceGeometry } from "../kspace/geometry.ts";
import { type MaskInput, reconstructFile } from "../recon/run.ts";
import { defaultWorkers, SlicePool } from "../recon/pool.ts";
import type { Reconstructor } from "../kspace/slice.ts";
import { mapsPath, writeCaseMaps } from "../mapping/case_maps.ts";
import {
  type BudgetVerdict,
  budgetVerdict,
  sliceUnits,
  type TimedCase,
  type ViewTiming,
  viewTimings,
} from "./budget.ts";
import { acquireRunLock, describeLock } from "./lock.ts";
import { inputIdentity, reconcileRunManifest, type RunManifest } from "./run_manifest.ts";
import { assignShards, type ShardShare } from "./shard.ts";
import { removeStaleTemps } from "./stale_temp.ts";

export {
  type BudgetVerdict,
  budgetVerdict,
  REAL_SIZES_2023,
  TEST_ACCS_2023,
  TEST_SET_2023,
  TEST_SLICES_2023,
  type ViewTiming,
} from "./budget.ts";
export { shardCases } from "./shard.ts";

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
  event: "case";
  file: string;
  view: string;
  acc: number | null;
  method: string;
  status: "written" | "skipped" | "failed";
  seconds: number;
  slices?: number;
  dims?: number[];
  /** Size of the k-space file (for the time-budget scaling of `report`). */
  geometry?: { nx: number; ny: number; nc: number; nz: number; nt: number };
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
  /** Mean seconds per written case, per reconstructed slice and per unit of work, by view. */
  perView: Record<string, ViewTiming>;
  peakRssBytes: number;
  /** Extrapolation to the test set of the task, when a budget was given. */
  budget?: BudgetVerdict;
  validation?: ValidationReport;
  /** Why the final validation could not run (e.g. an unreadable input file). */
  validationError?: string;
  zip?: string;
  /** Each shard's share of the work (sharded runs). */
  shares?: ShardShare[];
  /** Stale temporary files of dead runs removed before the first case. */
  staleRemoved: number;
  /** The run manifest as written. */
  manifest?: RunManifest;
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

/** The filters of a run, as {@link discover} takes them. */
export type DiscoveryScope = Pick<DiscoverOptions, "task" | "coil" | "acc">;

/**
 * `all`, the cases of a split of `root` found by {@link discover} without task, coil or
 * acceleration filters, narrowed to `scope`: the cases and problems that `discover` finds
 * with those filters, in the same order (`ignored` is left whole). Problems are placed by
 * their path: `<coil folder>/<modality>/<split>/<acc folder>/<patient>/<file>`.
 */
export function narrowDiscovery(all: Discovery, root: string, scope: DiscoveryScope): Discovery {
  const wantCoil = (c: string) =>
    !scope.coil || scope.coil === "both" || (scope.coil === "multi") === (c === "MultiCoil");
  const wantTask = (t: string) => !scope.task || scope.task === "both" || scope.task === t;
  const wantAcc = (acc: number | null) => !scope.acc || acc === null || scope.acc.includes(acc);
  const cases = all.cases.filter((c) => wantCoil(c.coil) && wantTask(c.task) && wantAcc(c.acc));
  const segs = (p: string) => p.split("/").filter((x) => x && x !== ".");
  const base = segs(root);
  const isCoil = (x?: string): x is CoilType => x === "MultiCoil" || x === "SingleCoil";
  const inScope = (path: string): boolean => {
    const parts = segs(path);
    if (!base.every((b, k) => parts[k] === b)) return true; // not under the root: keep
    let rel = parts.slice(base.length);
    let coil = base[base.length - 1];
    if (!isCoil(coil)) {
      const k = rel.findIndex(isCoil);
      if (k < 0) return true;
      coil = rel[k];
      rel = rel.slice(k + 1);
    }
    const [modality, , accFolder, , file] = rel;
    if (!wantCoil(coil)) return false;
    if (modality !== undefined && !wantTask(modality === "Mapping" ? "mapping" : "cine")) {
      return false;
    }
    if (accFolder === undefined || !scope.acc) return true;
    const acc2023 = /^AccFactor(\d+)$/.exec(accFolder);
    if (acc2023) return wantAcc(Number(acc2023[1]));
    // 2024: the acceleration is in the file names (k-space and mask).
    const acc2024 = file === undefined
      ? null
      : accFolder.startsWith("UnderSample_")
      ? /_kus_[A-Za-z]+?(\d+)\.mat$/.exec(file)
      : accFolder.startsWith("Mask_")
      ? /_mask_[A-Za-z]+?(\d+)\.mat$/.exec(file)
      : null;
    return acc2024 ? wantAcc(Number(acc2024[1])) : true;
  };
  return { cases, ignored: all.ignored, problems: all.problems.filter((p) => inScope(p.path)) };
}

/** A case with what its header says: geometry, output dims and work, or why it is unreadable. */
interface CaseInfo {
  c: Case;
  /** The k-space variable's name. */
  variable?: string;
  geometry?: KspaceGeometry;
  dims?: number[];
  /** Slices reconstructed x pixels x frames x coils. */
  work: number;
  error?: string;
}

/** Runs the pipeline. See the module docs. */
export async function submit(opts: SubmitOptions): Promise<SubmitSummary> {
  const t0 = performance.now();
  const startedMs = Date.now();
  const year = opts.year ?? 2023;
  if (year !== 2023) {
    throw new UsageError(`submit writes the ${year} layout only for 2023 data so far`, {
      hint: "use --year 2023 (the reduction of 2024/2025 is available in the library: reduce.ts)",
    });
  }
  const split: Split = opts.split;
  await checkOutputDir(opts.output);
  const logPath = opts.log ??
    `${opts.output}/run-log${
      opts.shard ? `-shard${opts.shard[0] + 1}of${opts.shard[1]}` : ""
    }.jsonl`;
  await checkOutputEntries(opts.output, logPath, !!opts.log);
  // One discovery of the whole split: the run manifest's input identity covers it, whatever
  // the filters, so runs with other task / coil / acceleration filters resume into the same
  // folder; the run's cases are it narrowed to the filters.
  const scope = { task: opts.task, coil: opts.coil, acc: opts.acc };
  const all = await discover(opts.input, { split, allowEmpty: true });
  let found = narrowDiscovery(all, opts.input, scope);
  // Nothing to do: discover with the filters says what is missing (it throws).
  if (found.cases.length === 0) found = await discover(opts.input, { split, ...scope });
  const problems = found.problems;
  const run = await runManifestOf(opts, year, all);

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

  const infos = await caseInfos(found.cases, split, year);
  const { mine, shares } = shardInfos(infos, opts.shard);
  if (opts.shard && shares) opts.onNotice?.(shareText(opts.shard, shares));
  const root = submissionFolder(opts.output);
  await Deno.mkdir(root, { recursive: true });
  const logDir = logPath.slice(0, Math.max(0, logPath.lastIndexOf("/")));
  if (logDir) await Deno.mkdir(logDir, { recursive: true });
  using log = await RunLog.open(logPath);
  await log.write({
    event: "start",
    date: new Date().toISOString(),
    input: opts.input,
    output: opts.output,
    task: opts.task,
    split,
    shard: opts.shard ? `${opts.shard[0] + 1}/${opts.shard[1]}` : null,
    cases: mine.length + problems.length,
    ...(shares ? { shares: shares.map((s) => ({ cases: s.cases, fraction: s.fraction })) } : {}),
    staleRemoved: stale.removed.length,
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
    shares,
    staleRemoved: stale.removed.length,
    manifest,
  };
  const times: Record<string, number[]> = {};
  const timed: TimedCase[] = [];
  // Broken input entries and unreadable headers are failed cases; a file counts as done only
  // when it verifies (variable, class, dims, finite).
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
  const todo: CaseInfo[] = [];
  for (const info of mine) {
    const c = info.c;
    if (!info.dims) {
      failedUpFront.push(failedEvent(c, "-", 0, info.error ?? "unreadable"));
      continue;
    }
    const path = `${root}/${c.submissionPath}`;
    if (!opts.force && await isFile(path)) {
      const check = await checkImg4RankingFile(path, c.submissionPath, {
        split,
        task: c.task,
        name: c.name,
        year,
        expectedDims: info.dims,
      });
      const mapsMissing = opts.maps && c.task === "mapping" &&
        !(await isFile(mapsPath(opts.output, c.submissionPath)));
      if (check.problems.length === 0 && !mapsMissing) {
        summary.skipped++;
        continue;
      }
    }
    todo.push(info);
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
  for (const [k, info] of todo.entries()) {
    const { c, geometry } = info;
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
        await log.write({
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
      const ev = await runCase(info, r, split, year, root, pool, mapsOut);
      ev.geometry = geometry &&
        { nx: geometry.nx, ny: geometry.ny, nc: geometry.nc, nz: geometry.nz, nt: geometry.nt };
      const seconds = (performance.now() - started) / 1000;
      (times[c.view] ??= []).push(seconds);
      timed.push({ view: c.view, seconds, slices: ev.slices ?? 1, geometry });
      summary.written++;
      const e: CaseEvent = { ...ev, seconds };
      await log.write(e);
      opts.onCase?.(e, failedUpFront.length + k + 1, total);
    } catch (err) {
      const seconds = (performance.now() - started) / 1000;
      const e = failedEvent(c, method, seconds, err instanceof Error ? err.message : String(err));
      summary.failed.push(e);
      await log.write(e);
      opts.onCase?.(e, failedUpFront.length + k + 1, total);
      if (!(err instanceof CmrxError)) throw err;
    }
  }
  summary.perView = viewTimings(timed);
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
    if (opts.zip && summary.validation?.ok && summary.failed.length === 0) {
      const z = await packSubmission(opts.output, { team: opts.zip.team, validate: false });
      summary.zip = z.out;
    }
  }
  summary.seconds = (performance.now() - t0) / 1000;
  await log.write({ event: "end", ...summary, validation: summary.validation?.ok ?? null });
  return summary;
}

/** The JSON-lines run log, closed on dispose (also when the run throws). */
class RunLog implements Disposable {
  #file: Deno.FsFile;
  #enc = new TextEncoder();
  private constructor(file: Deno.FsFile) {
    this.#file = file;
  }
  static async open(path: string): Promise<RunLog> {
    return new RunLog(await Deno.open(path, { append: true, create: true }));
  }
  async write(obj: unknown): Promise<void> {
    await this.#file.write(this.#enc.encode(JSON.stringify(obj) + "\n"));
  }
  [Symbol.dispose](): void {
    try {
      this.#file.close();
    } catch { /* closed */ }
  }
}

/**
 * What submit writes inside the output folder must be writable where it exists: the
 * `Submission` folder, the run log (`--log` anywhere: its folder is checked too).
 */
async function checkOutputEntries(output: string, logPath: string, customLog: boolean) {
  const sub = await entryKind(submissionFolder(output));
  if (sub.kind !== "directory" && sub.kind !== "missing") {
    throw new CmrxError(`is ${describeKind(sub.kind, sub.detail)}, not a folder`, {
      file: submissionFolder(output),
      hint: "submit writes its files into this folder: move what is there away, or give " +
        "--output another folder",
    });
  }
  if (customLog) {
    const cut = logPath.lastIndexOf("/");
    try {
      await checkOutputDir(cut > 0 ? logPath.slice(0, cut) : cut === 0 ? "/" : ".", "--log");
    } catch (e) {
      if (!(e instanceof CmrxError)) throw e;
      throw new CmrxError(`cannot write the run log: ${e.message.split("\n")[0]}`, {
        file: logPath,
        hint: "give --log a file in a folder you can write to (missing folders are created)",
      });
    }
  }
  const log = await entryKind(logPath);
  if (log.kind !== "file" && log.kind !== "missing") {
    throw new CmrxError(`is ${describeKind(log.kind, log.detail)}, not a file`, {
      file: logPath,
      hint: "the run log is appended to this file: move what is there away" +
        (customLog ? ", or give --log another file" : ""),
    });
  }
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
async function runManifestOf(
  opts: SubmitOptions,
  year: number,
  all: Discovery,
): Promise<RunManifest> {
  const files = all.cases.flatMap((c) =>
    [c.file, c.maskFile, c.csvFile].filter((f) => !!f)
  ) as string[];
  const models = opts.models?.filter((m) => !opts.model || opts.model === m.manifest.name);
  return {
    tool: "cmrxkit",
    version: 1,
    task: opts.task,
    split: opts.split,
    year,
    coil: opts.coil ?? null,
    acc: opts.acc ? [...opts.acc].sort((a, b) => a - b) : null,
    model: opts.model ?? "auto",
    ...(models?.length ? { models: await modelSizes(models) } : {}),
    input: await inputIdentity(opts.input, files),
    options: { maps: !!opts.maps },
  };
}

async function modelSizes(models: readonly ModelEntry[]) {
  const out: { name: string; bytes?: number }[] = [];
  for (const m of models) {
    const bytes = await Deno.stat(m.onnxPath).then((s) => s.size, () => undefined);
    out.push({ name: m.manifest.name, ...(bytes !== undefined ? { bytes } : {}) });
  }
  return out.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** Reads each case's header once: geometry, output dims and work (slices kept x units). */
async function caseInfos(cases: readonly Case[], split: Split, year: Year): Promise<CaseInfo[]> {
  const out: CaseInfo[] = [];
  for (const c of cases) {
    try {
      using mat = await openMat(c.file);
      const variable = findKspaceVariable(mat, c.variable);
      const g = kspaceGeometry(variable, c.file, c.coil === "SingleCoil");
      const full = [g.nx, g.ny, g.nz, g.nt];
      const plan = split === "validation"
        ? reductionPlan(year, full, c.name, c.task === "mapping")
        : null;
      const dims = plan ? plan.dims : matlabSqueezeTrailing(full);
      const slices = plan ? plan.slices.length : g.nz;
      out.push({ c, variable: variable.name, geometry: g, dims, work: slices * sliceUnits(g) });
    } catch (err) {
      if (!(err instanceof CmrxError)) throw err;
      out.push({ c, work: 0, error: err.message });
    }
  }
  return out;
}

/** This shard's cases (balanced by work over the whole list) and every shard's share. */
function shardInfos(infos: CaseInfo[], shard?: [number, number]) {
  if (!shard) return { mine: infos, shares: undefined };
  const { owner, shares } = assignShards(infos.map((x) => x.work), shard[1]);
  return { mine: infos.filter((_, k) => owner[k] === shard[0]), shares };
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
 * One case: read mask, reconstruct the slices that will be kept, reduce, write. The variable,
 * geometry and output dims are what {@link caseInfos} read from the header.
 */
async function runCase(
  info: CaseInfo,
  method: Reconstructor,
  split: Split,
  year: Year,
  root: string,
  pool: SlicePool,
  mapsOut?: string,
): Promise<Omit<CaseEvent, "seconds">> {
  const { c, variable, geometry: g, dims } = info;
  if (!variable || !g || !dims) throw new Error(`no header read for ${c.file}`);
  using mat = await openMat(c.file);
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
  const full = [g.nx, g.ny, g.nz, g.nt];
  const plan = split === "validation"
    ? reductionPlan(year, full, c.name, c.task === "mapping")
    : null;
  // Validation scores two central slices: reconstruct only those (all frames, for context).
  const slices = plan ? plan.slices : undefined;
  const r = await reconstructFile(mat, method, {
    variable,
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
