/**
 * Runs fuzz cases as subprocesses (`deno run -A cli/main.ts ...` from the repo root) with a
 * timeout and a memory bound, and classifies each outcome.
 *
 * @module
 */

import type { FuzzCase } from "./corpus.ts";
import { REPO_ROOT } from "../../src/repo_root.ts";
import { present as exists } from "../../src/written_files.ts";

/** The repository root (tests/fuzz/../..). */
export const REPO = REPO_ROOT;

/** How a case ended. The first two are acceptable. */
export type Outcome =
  | "clear error"
  | "ok"
  | "error without file"
  | "error without fix"
  | "unclear error"
  | "stack trace"
  | "crash"
  | "hang"
  | "over memory"
  | "silent success"
  | "unexpected error"
  | "data lost"
  | "left behind"
  | "check failed";

/** Outcomes in table order. */
export const OUTCOMES: Outcome[] = [
  "clear error",
  "ok",
  "error without file",
  "error without fix",
  "unclear error",
  "stack trace",
  "crash",
  "hang",
  "over memory",
  "silent success",
  "unexpected error",
  "data lost",
  "left behind",
  "check failed",
];

/** Outcomes that pass. */
export const ACCEPTABLE = new Set<Outcome>(["clear error", "ok"]);

/** One process of a case. */
export interface ProcResult {
  argv: string[];
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** Start and end (performance.now() ms). */
  start: number;
  end: number;
  timedOut: boolean;
  overMemory: boolean;
  /** Peak resident memory seen (MiB), from /proc (VmHWM); 0 when unknown. */
  peakMiB: number;
}

/** A classified case. */
export interface CaseResult {
  case: FuzzCase;
  outcome: Outcome;
  /** Why, in a few words (the first line of the message, or what check failed). */
  detail: string;
  procs: ProcResult[];
}

/** Options of {@link runCases}. */
export interface RunOptions {
  /** Seconds before a process is killed (default 60). */
  timeoutS?: number;
  /** Cases at a time (default 2). */
  jobs?: number;
  /** Memory bound for cases without their own (MiB, default 3072). */
  maxRssMiB?: number;
  /** Where each case's CMRXKIT_HOME goes (a folder per case). */
  homeRoot: string;
  /** The checkout whose cli/main.ts runs (default this one). */
  repo?: string;
  /** Called as each case ends. */
  onResult?: (r: CaseResult, done: number, total: number) => void;
}

const td = new TextDecoder();

function readStatusKiB(pid: number): { rss: number; hwm: number } | null {
  try {
    const s = Deno.readTextFileSync(`/proc/${pid}/status`);
    const rss = /VmRSS:\s+(\d+)/.exec(s), hwm = /VmHWM:\s+(\d+)/.exec(s);
    return { rss: rss ? Number(rss[1]) : 0, hwm: hwm ? Number(hwm[1]) : 0 };
  } catch {
    return null;
  }
}

/** Runs one command line of the CLI. */
export async function runCli(
  argv: string[],
  env: Record<string, string>,
  timeoutS: number,
  maxRssMiB: number,
  repo = REPO,
): Promise<ProcResult> {
  const t0 = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", "cli/main.ts", ...argv],
    cwd: repo,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false, overMemory = false, peakKiB = 0;
  const kill = () => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  };
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, timeoutS * 1000);
  const poll = setInterval(() => {
    const s = readStatusKiB(child.pid);
    if (!s) return;
    peakKiB = Math.max(peakKiB, s.hwm, s.rss);
    if (s.rss > maxRssMiB * 1024) {
      overMemory = true;
      kill();
    }
  }, 100);
  const out = await child.output();
  clearTimeout(timer);
  clearInterval(poll);
  return {
    argv,
    code: out.signal ? null : out.code,
    signal: out.signal,
    stdout: td.decode(out.stdout),
    stderr: td.decode(out.stderr),
    ms: performance.now() - t0,
    start: t0,
    end: performance.now(),
    timedOut,
    overMemory,
    peakMiB: Math.round(peakKiB / 1024),
  };
}

const STACK_FRAME = /^\s+at .*\.(ts|js|mjs)(:\d+)+\)?\s*$/m;

function hasStackTrace(p: ProcResult): boolean {
  const text = p.stderr + "\n" + p.stdout;
  return p.code === 70 || /internal error/i.test(text) || STACK_FRAME.test(text);
}

function basename(p: string): string {
  return p.replace(/\/+$/, "").split("/").pop() ?? p;
}

/**
 * What a message must hold to name `path`: the basename, or for a file at a position of the
 * official layout (in a patient folder `Pxxx`) its last three parts, e.g.
 * `AccFactor04/P001/cine_sax.mat` or `FullSample/P001/cine_sax.mat`, which tell the input,
 * the ground truth and the mask apart.
 */
export function nameKey(path: string): string {
  const parts = path.replace(/\/+$/, "").split("/");
  if (parts.length >= 3 && /^P\d+$/.test(parts[parts.length - 2])) {
    return parts.slice(-3).join("/");
  }
  return basename(path);
}

/** The message of a failed run: the `error:` line of stderr, else its first line, else stdout's. */
export function firstLine(p: ProcResult): string {
  const lines = (p.stderr + "\n" + p.stdout).split("\n").map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => l.startsWith("error:")) ??
    lines.find((l) => /internal error|Uncaught|RangeError|Error:/.test(l)) ??
    lines.find((l) => /^(INVALID|INCOMPLETE|failed:)/.test(l)) ??
    lines.find((l) => /^(fix:|error|warning|malformed|missing)/i.test(l)) ??
    lines[0] ?? "(no output)";
}

/** The error of a stack trace: the line after "internal error ...", else the first line. */
function traceLine(p: ProcResult): string {
  const lines = (p.stderr + "\n" + p.stdout).split("\n").map((l) => l.trim()).filter(Boolean);
  const i = lines.findIndex((l) => /internal error/i.test(l));
  return i >= 0 && i + 1 < lines.length ? `${lines[i]} ${lines[i + 1]}` : firstLine(p);
}

/**
 * Classifies one expected error. The message is stderr, or for reports that list problems
 * on stdout (validate, pack), stdout too: it must name each damaged file (its basename) and
 * hold a `fix:` line.
 */
function classifyError(c: FuzzCase, p: ProcResult): [Outcome, string] {
  if (p.timedOut) return ["hang", `killed after ${Math.round(p.ms / 1000)} s`];
  if (p.overMemory) return ["over memory", `killed above ${p.peakMiB} MiB`];
  if (hasStackTrace(p)) return ["stack trace", traceLine(p)];
  if (p.code === 0) return ["silent success", firstLine(p) || "exit 0"];
  if (p.code !== 1 && p.code !== 2) {
    return ["crash", `exit ${p.code ?? p.signal}: ${firstLine(p)}`];
  }
  const text = p.stderr + "\n" + p.stdout;
  const missing = c.names.map(nameKey).filter((n) => !text.includes(n));
  if (missing.length) {
    return ["error without file", `${firstLine(p)} [does not name ${missing.join(", ")}]`];
  }
  if (!/^\s*fix:/m.test(text)) return ["error without fix", firstLine(p)];
  // What was found must be said in words, not only in a file name: paths are left out.
  const words = text.replace(/\/[^\s:'",()]+/g, "");
  const vague = (c.mentions ?? []).filter((m) => !new RegExp(m, "i").test(words));
  if (vague.length) {
    return ["unclear error", `${firstLine(p)} [does not say /${vague.join("/, /")}/]`];
  }
  const wrong = (c.forbids ?? []).filter((m) => new RegExp(m, "i").test(words));
  if (wrong.length) {
    return ["unclear error", `${firstLine(p)} [wrong advice: /${wrong.join("/, /")}/]`];
  }
  return ["clear error", firstLine(p)];
}

/** Runs one case (its setup, then its processes at once) and classifies it. */
export async function runCase(
  c: FuzzCase,
  opts: Omit<RunOptions, "jobs" | "onResult">,
): Promise<CaseResult> {
  const timeoutS = opts.timeoutS ?? 60;
  const maxRss = c.maxRssMiB ?? opts.maxRssMiB ?? 3072;
  const home = `${opts.homeRoot}/${c.id}`;
  await Deno.mkdir(home, { recursive: true });
  const env = { CMRXKIT_HOME: home, XDG_CACHE_HOME: `${home}/cache` };
  const procs: ProcResult[] = [];
  const done = (outcome: Outcome, detail: string): CaseResult => ({
    case: c,
    outcome,
    detail,
    procs,
  });
  for (const argv of c.setup ?? []) {
    const p = await runCli(argv, env, timeoutS, maxRss, opts.repo);
    if (p.code !== 0) {
      procs.push(p);
      return done("unexpected error", `setup '${argv[0]}' failed: ${firstLine(p)}`);
    }
  }
  procs.push(
    ...await Promise.all(
      [c.argv, ...(c.alongside ?? [])].map((a) => runCli(a, env, timeoutS, maxRss, opts.repo)),
    ),
  );
  // Lost data first: it matters whatever the exit status.
  for (const m of c.mustExist ?? []) {
    if (!(await exists(m))) return done("data lost", `${m} was deleted`);
  }
  if (c.expect === "error" || (c.expect === "either" && procs[0].code !== 0)) {
    const [o, d] = classifyError(c, procs[0]);
    return done(o, d);
  }
  // Every process of an expected success / lock case: hangs, memory and traces first.
  for (const p of procs) {
    if (p.timedOut) return done("hang", `killed after ${Math.round(p.ms / 1000)} s`);
    if (p.overMemory) return done("over memory", `killed above ${p.peakMiB} MiB`);
    if (hasStackTrace(p)) return done("stack trace", traceLine(p));
    if (p.code !== 0 && p.code !== 1 && p.code !== 2) {
      return done("crash", `exit ${p.code ?? p.signal}: ${firstLine(p)}`);
    }
  }
  if (c.expect === "one-locked") {
    const ok = procs.filter((p) => p.code === 0);
    const failed = procs.filter((p) => p.code !== 0);
    if (ok.length === procs.length) {
      const text = procs.map((p) => p.stdout + p.stderr).join("\n");
      if (/\block|another run|already running|waiting for/i.test(text)) {
        return done("ok", "both ran, one after the other (lock)");
      }
      // Runs that hardly overlapped (deno starts in about half a second) tested nothing.
      const overlap = Math.min(...procs.map((p) => p.end)) - Math.max(...procs.map((p) => p.start));
      if (overlap < 1500) return done("ok", `the runs overlapped ${Math.round(overlap)} ms only`);
      return done("silent success", "both runs did the work, unaware of each other");
    }
    if (ok.length !== 1) return done("unexpected error", firstLine(failed[0]));
    const [o, d] = classifyError(c, failed[0]);
    return done(o === "clear error" ? "ok" : o, d);
  }
  for (const p of procs) {
    if (p.code !== 0) return done("unexpected error", `exit ${p.code}: ${firstLine(p)}`);
  }
  const text = procs.map((p) => p.stdout + "\n" + p.stderr).join("\n");
  for (const s of c.outputIncludes ?? []) {
    if (!text.includes(s)) return done("check failed", `the output does not mention '${s}'`);
  }
  for (const s of c.outputExcludes ?? []) {
    if (text.includes(s)) return done("check failed", `the output says '${s}'`);
  }
  for (const m of c.produces ?? []) {
    if (!(await exists(m))) return done("check failed", `${m} was not written`);
  }
  for (const m of c.mustNotExist ?? []) {
    if (await exists(m)) return done("left behind", `${m} is still there`);
  }
  if (c.after) {
    const a = await runCli(c.after.argv, env, timeoutS, maxRss, opts.repo);
    procs.push(a);
    if (a.code !== 0) return done("check failed", `${c.after.argv[0]}: ${firstLine(a)}`);
    const miss = c.after.includes.filter((s) => !a.stdout.includes(s));
    if (miss.length) {
      return done("check failed", `${c.after.argv.join(" ")} lacks ${miss.join(", ")}`);
    }
  }
  return done("ok", "");
}

/** Runs cases, `jobs` at a time; results in the order of `cases`. */
export async function runCases(cases: FuzzCase[], opts: RunOptions): Promise<CaseResult[]> {
  const results: CaseResult[] = new Array(cases.length);
  let next = 0, done = 0;
  const worker = async () => {
    while (next < cases.length) {
      const i = next++;
      results[i] = await runCase(cases[i], opts);
      opts.onResult?.(results[i], ++done, cases.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.jobs ?? 2) }, worker));
  return results;
}

/** The classification table: one row per class, a column per outcome that occurred. */
export function table(results: CaseResult[]): string {
  const classes = [...new Set(results.map((r) => r.case.class))];
  const cols = OUTCOMES.filter((o) => results.some((r) => r.outcome === o));
  const head = ["class", ...cols, "total"];
  const rows = classes.map((cls) => {
    const rs = results.filter((r) => r.case.class === cls);
    return [
      cls,
      ...cols.map((o) => String(rs.filter((r) => r.outcome === o).length)),
      String(rs.length),
    ];
  });
  rows.push([
    "all",
    ...cols.map((o) => String(results.filter((r) => r.outcome === o).length)),
    String(results.length),
  ]);
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) =>
    r.map((x, i) => (i === 0 ? x.padEnd(width[i]) : x.padStart(width[i]))).join("  ");
  return [fmt(head), ...rows.map(fmt)].join("\n");
}

/** The cases whose outcome is not acceptable, one or two lines each. */
export function failures(results: CaseResult[]): string {
  return results.filter((r) => !ACCEPTABLE.has(r.outcome)).map((r) => {
    const p = r.procs[0];
    const cmd = ["cmrxkit", ...r.case.argv].join(" ");
    const mem = Math.max(...r.procs.map((x) => x.peakMiB));
    return `${r.case.id} [${r.outcome}] ${r.case.description}\n    $ ${cmd}\n    -> ${
      r.detail.slice(0, 300)
    } (exit ${p.code ?? p.signal}, ${(p.ms / 1000).toFixed(1)} s, ${mem} MiB)`;
  }).join("\n");
}
