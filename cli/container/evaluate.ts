/**
 * `deno task container evaluate`: the organisers' harness, run locally: runs the image once,
 * samples GPU memory and utilisation, CPU and RAM, stops it at the time limit, validates and
 * scores /output against the truth and records the score on the leaderboard.
 *
 * @module
 */

import { defaultLeaderboardPath, Leaderboard } from "../../src/challenge/leaderboard.ts";
import { summaryLine } from "../../src/challenge/validate/report.ts";
import { describeProblems } from "../../src/container/entrypoint.ts";
import {
  evaluateImage,
  evaluationOk,
  type EvaluationResult,
} from "../../src/container/evaluate.ts";
import { DEFAULT_SHM_SIZE, parseTimeLimit } from "../../src/container/run.ts";
import { evaluationLimits } from "../../src/container/limits.ts";
import { editionOf } from "../../src/challenge/editions/mod.ts";
import { detectRuntime } from "../../src/container/runtime.ts";
import { UsageError } from "../../src/errors.ts";
import { parseBytes } from "../../src/format.ts";
import { parseDuration } from "../../src/pipeline/budget.ts";
import { Progress } from "../../src/progress.ts";
import { parseFlags, yearFlag } from "../flags.ts";
import { formatBytes, formatDuration, printReport } from "../print.ts";
import { gpuIndex, hostUser, inputDir, normalizeGpuFlag } from "./flags.ts";

/** cmrxkit's data folder: where the leaderboard lives ($CMRXKIT_HOME, else the cache). */
function defaultHome(): string {
  return defaultLeaderboardPath().replace(/\/[^/]*$/, "");
}

/** `container evaluate`: the organisers' harness, run locally. */
export async function containerEvaluate(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags("container", normalizeGpuFlag(args), {
    image: { type: "string" },
    input: { type: "string" },
    truth: { type: "string" },
    gpu: { type: "string" },
    "time-limit": { type: "string" },
    "vram-limit": { type: "string" },
    "shm-size": { type: "string", default: DEFAULT_SHM_SIZE },
    interval: { type: "string", default: "5s" },
    name: { type: "string" },
    work: { type: "string" },
    split: { type: "string" },
    year: { type: "string" },
    memory: { type: "string" },
    user: { type: "string" },
    quiet: { type: "boolean", default: false },
    "no-record": { type: "boolean", default: false },
    db: { type: "string" },
    engine: { type: "string" },
  }, true);
  if (!values.image) throw new UsageError("container evaluate: --image IMG is required");
  const input = await inputDir("input", values.input, "evaluate");
  const truth = await inputDir("truth", values.truth, "evaluate");
  if (values.split && values.split !== "test" && values.split !== "validation") {
    throw new UsageError("container evaluate: --split must be test or validation");
  }
  // The edition's limits (--year, default 2023); --time-limit / --vram-limit override them.
  const year = yearFlag("container evaluate", values.year);
  const limits = evaluationLimits(editionOf(year), {
    timeLimit: values["time-limit"] === undefined
      ? undefined
      : parseTimeLimit(values["time-limit"]),
    vramLimit: values["vram-limit"] === undefined ? undefined : parseBytes(values["vram-limit"]),
  });
  const { timeLimit, vramLimit } = limits;
  const interval = parseDuration(values.interval!);
  if (!(interval > 0)) throw new UsageError("container evaluate: --interval must be positive");
  const runtime = await detectRuntime(values.engine);
  const name = values.name ?? values.image.split("/").pop()!.replace(/[^\w.:-]/g, "_");
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*$/, "");
  const work = values.work ??
    `${defaultHome()}/evaluations/${name.replace(/[^\w.-]/g, "_")}-${stamp}`;
  const gpu = gpuIndex(values.gpu);
  console.log(
    `evaluating ${values.image} on ${input} (${
      gpu === undefined ? "no GPU" : `GPU ${gpu}`
    }, ${limits.edition}: time limit ${hours(timeLimit)}${
      limits.timeFrom === "edition" ? "" : ` (${limits.timeFrom})`
    }, VRAM limit ${formatBytes(vramLimit)}${
      limits.vramFrom === "edition" ? "" : ` (${limits.vramFrom})`
    }); work folder ${work}`,
  );
  let lastSample = 0;
  let scoreProgress: Progress | undefined;
  const r = await evaluateImage({
    runtime,
    image: values.image,
    input,
    truth,
    work,
    gpu,
    timeLimit,
    vramLimit,
    shmSize: values["shm-size"],
    user: values.user ?? hostUser(),
    interval,
    split: values.split as "test" | "validation" | undefined,
    year,
    limits,
    memory: values.memory,
    args: positionals,
    onOutput: values.quiet ? undefined : (l) => console.log(`  | ${l}`),
    onSample: (s) => {
      if (!values.quiet || s.t - lastSample < 60) return;
      lastSample = s.t;
      console.log(
        `  t=${formatDuration(s.t * 1000)} cpu ${s.cpuPercent?.toFixed(0) ?? "?"}% ram ${
          s.memoryUsed === undefined ? "?" : formatBytes(s.memoryUsed)
        }${s.gpuMemoryUsed === undefined ? "" : ` gpu ${formatBytes(s.gpuMemoryUsed)}`}`,
      );
    },
    onScoreFile: (_d, total) => {
      scoreProgress ??= new Progress("score", total, "files");
      scoreProgress.tick();
    },
  });
  printEvaluation(r, gpu);
  if (r.score) {
    printReport(r.score);
    if (!values["no-record"]) {
      using lb = new Leaderboard(values.db);
      lb.record(r.score, { name, model: `${values.image} ${r.imageId.slice(7, 19)}` });
      console.log(`\nrecorded as '${name}' on the leaderboard (${lb.path})`);
    }
  }
  const ok = evaluationOk(r);
  console.log(`\n${ok ? "PASS" : "FAIL"}: ${r.work}/evaluation.json`);
  return ok ? 0 : 1;
}

/** A percentage without decimals, `n/a` when not measured. */
const pct = (x: number | undefined) => (x === undefined ? "n/a" : `${x.toFixed(0)}%`);

/** Durations of hours as hours (`4 h`, `1.5 h`), shorter ones as formatDuration does. */
function hours(seconds: number): string {
  return seconds >= 3600 ? `${+(seconds / 3600).toFixed(2)} h` : formatDuration(seconds * 1000);
}

/** Prints how the run went: exit, time, resources, GPU memory, input, validation, score. */
function printEvaluation(r: EvaluationResult, gpu?: number): void {
  const u = r.usage;
  console.log(
    `\ncontainer exit code ${r.exitCode}${r.timedOut ? " (STOPPED at the time limit)" : ""}, ` +
      `run time ${formatDuration(r.seconds * 1000)} of ${hours(r.timeLimit)} ` +
      `(${((100 * r.seconds) / r.timeLimit).toFixed(1)}%)`,
  );
  console.log(
    `resources (${u.samples} samples): peak RAM ${
      u.peakMemory === undefined ? "n/a" : formatBytes(u.peakMemory)
    }, CPU mean ${pct(u.meanCpuPercent)} peak ${pct(u.peakCpuPercent)}`,
  );
  if (gpu === undefined) console.log("GPU: none given to the container");
  else if (u.peakGpuMemory === undefined) {
    console.log(`GPU ${gpu}: not sampled (nvidia-smi missing or failing)`);
  } else {
    console.log(
      `GPU ${gpu}: peak memory ${formatBytes(u.peakGpuMemory)} of the ${
        formatBytes(r.vramLimit)
      } limit${r.vramExceeded ? " (EXCEEDED)" : ""}, mean utilisation ${pct(u.meanGpuUtilization)}`,
    );
  }
  if (r.exitCode === 125 || r.exitCode === 126 || r.exitCode === 127) {
    console.log(
      `the engine could not start the container (exit ${r.exitCode}; see ${r.work}/container.log)` +
        (gpu === undefined ? "" : ": GPUs in containers need the NVIDIA container toolkit"),
    );
  }
  for (const e of describeProblems(r.inputProblems)) console.log(`error: ${e}`);
  if (r.inputProblems.length) {
    console.log(
      `the input has ${r.inputProblems.length} entr${
        r.inputProblems.length === 1 ? "y" : "ies"
      } that cannot be read: the run is incomplete and does not pass`,
    );
  }
  console.log(r.limitVerdict.line);
  for (const n of r.limitVerdict.notes) console.log(`  ${n}`);
  if (r.validation) console.log(summaryLine(r.validation));
  if (r.validationError) console.log(`validation could not run: ${r.validationError}`);
  if (r.scoreError) console.log(`scoring failed: ${r.scoreError}`);
}
