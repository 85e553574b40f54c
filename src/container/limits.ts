/**
 * The edition's limits for `container evaluate`: the time per task and the GPU memory of the
 * organisers' evaluation (`Edition.limits`), each overridable by a flag (`--time-limit`,
 * `--vram-limit`), and the verdict of one recorded run against them: its wall time against
 * the time limit, its sampled GPU memory peak against the memory limit, naming the edition,
 * the source of its figures and any conflict between its pages (2024: 12 h vs 4 h).
 *
 * The run is held to the limit as given: the time is not scaled to the edition's test set
 * (an input smaller than the test set gets the whole limit; `submit --time-budget edition`
 * gives the scaled estimate).
 *
 * @module
 */

import type { Edition } from "../challenge/edition.ts";
import { formatBytes, formatDuration } from "../format.ts";

/** The limits one evaluation is held to, and where each comes from. */
export interface EvaluationLimits {
  /** The edition's title: `CMRxRecon 2024`. */
  edition: string;
  /** The evaluation card: `Tesla V100 (32 GB)`. */
  gpu: string;
  /** Where the edition's figures come from (`Edition.limits.source`). */
  source: string;
  /** A conflict between the edition's pages on its limits, when there is one. */
  conflict?: string;
  /** Seconds the run may take. */
  timeLimit: number;
  /** `edition`, or the flag that set {@link timeLimit} (`--time-limit`). */
  timeFrom: "edition" | "--time-limit";
  /** The edition's time per task, seconds. */
  editionTimeLimit: number;
  /** GPU memory the run may use, bytes. */
  vramLimit: number;
  /** `edition`, or the flag that set {@link vramLimit} (`--vram-limit`). */
  vramFrom: "edition" | "--vram-limit";
  /** The edition's GPU memory, bytes. */
  editionVramLimit: number;
}

/**
 * The limits of an evaluation under `edition`, with the flags' values (seconds, bytes) in
 * place of the edition's where given.
 */
export function evaluationLimits(
  edition: Edition,
  flags: { timeLimit?: number; vramLimit?: number } = {},
): EvaluationLimits {
  const l = edition.limits;
  return {
    edition: edition.title,
    gpu: l.gpu,
    source: l.source,
    ...(l.conflict ? { conflict: l.conflict } : {}),
    timeLimit: flags.timeLimit ?? l.secondsPerTask,
    timeFrom: flags.timeLimit === undefined ? "edition" : "--time-limit",
    editionTimeLimit: l.secondsPerTask,
    vramLimit: flags.vramLimit ?? l.gpuMemoryBytes,
    vramFrom: flags.vramLimit === undefined ? "edition" : "--vram-limit",
    editionVramLimit: l.gpuMemoryBytes,
  };
}

/**
 * The limits of a library call that gives seconds and bytes only (`EvaluateOptions`): a value
 * equal to the edition's counts as the edition's, any other as the flag's.
 */
export function limitsFromValues(
  edition: Edition,
  timeLimit: number,
  vramLimit: number,
): EvaluationLimits {
  const l = edition.limits;
  return evaluationLimits(edition, {
    timeLimit: timeLimit === l.secondsPerTask ? undefined : timeLimit,
    vramLimit: vramLimit === l.gpuMemoryBytes ? undefined : vramLimit,
  });
}

/** What a run measured, as `evaluateImage` records it. */
export interface MeasuredRun {
  /** Wall-clock seconds the container ran. */
  seconds: number;
  /** True when the time limit stopped it. */
  timedOut: boolean;
  /** Sampled GPU memory peak, bytes; undefined when not sampled (no GPU, no nvidia-smi). */
  peakGpuMemory?: number;
}

/** A run against its limits. */
export interface LimitVerdict {
  /** Time within its limit and GPU memory within its limit or not measured. */
  ok: boolean;
  /** `within`, or `exceeded` (the run was stopped at, or ran past, the time limit). */
  time: "within" | "exceeded";
  /** `within`, `exceeded`, or `not measured`. */
  gpuMemory: "within" | "exceeded" | "not measured";
  /** The verdict line: `CMRxRecon 2024 limits (source): time ...; GPU memory ...: PASS`. */
  line: string;
  /** Further lines: the edition's figures a flag replaced, the edition's page conflict. */
  notes: string[];
}

/** Hours as `4 h`, `1.5 h`; shorter durations as {@link formatDuration}. */
function hours(seconds: number): string {
  return seconds >= 3600 ? `${+(seconds / 3600).toFixed(2)} h` : formatDuration(seconds * 1000);
}

/** The verdict of a recorded run against `limits` (see the module docs). */
export function limitVerdict(limits: EvaluationLimits, run: MeasuredRun): LimitVerdict {
  const time = run.timedOut || run.seconds > limits.timeLimit ? "exceeded" : "within";
  const gpuMemory = run.peakGpuMemory === undefined
    ? "not measured"
    : run.peakGpuMemory > limits.vramLimit
    ? "exceeded"
    : "within";
  const ok = time === "within" && gpuMemory !== "exceeded";
  const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(0)}%`;
  const timeText = `time ${hours(run.seconds)} of ${hours(limits.timeLimit)} per task (${
    pct(run.seconds, limits.timeLimit)
  }${limits.timeFrom === "edition" ? "" : `, ${limits.timeFrom}`}): ${
    time === "within" ? "within" : run.timedOut ? "EXCEEDED (stopped at the limit)" : "EXCEEDED"
  }`;
  const gpuText = run.peakGpuMemory === undefined
    ? `GPU memory not measured (no GPU sampled), limit ${formatBytes(limits.vramLimit)}`
    : `GPU memory peak ${formatBytes(run.peakGpuMemory)} of ${formatBytes(limits.vramLimit)} (${
      pct(run.peakGpuMemory, limits.vramLimit)
    }${limits.vramFrom === "edition" ? `, ${limits.gpu}` : `, ${limits.vramFrom}`}): ${
      gpuMemory === "within" ? "within" : "EXCEEDED"
    }`;
  const notes: string[] = [];
  if (limits.timeFrom !== "edition") {
    notes.push(
      `the time limit is ${limits.timeFrom}'s ${hours(limits.timeLimit)}; ${limits.edition} ` +
        `allows ${hours(limits.editionTimeLimit)} per task`,
    );
  }
  if (limits.vramFrom !== "edition") {
    notes.push(
      `the GPU memory limit is ${limits.vramFrom}'s ${formatBytes(limits.vramLimit)}; ` +
        `${limits.edition} gives ${formatBytes(limits.editionVramLimit)} (${limits.gpu})`,
    );
  }
  if (limits.conflict) notes.push(`note: ${limits.conflict}`);
  return {
    ok,
    time,
    gpuMemory,
    line: `${limits.edition} limits (${limits.source}): ${timeText}; ${gpuText}: ${
      ok ? "PASS" : "FAIL"
    }`,
    notes,
  };
}
