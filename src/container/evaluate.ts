/**
 * The organisers' harness for one team image: run it once like the challenge does (no
 * network, read-only input, large shared memory, one GPU, a non-root user), sample GPU
 * memory and utilisation, CPU and RAM every few seconds, stop it at the time limit, then
 * validate and score what it wrote.
 *
 * ```
 * inspect image ; discover input -> split, input entries that cannot be read (errors)
 * docker run --name N --network none -v IN:/input:ro -v WORK/output:/output --shm-size 32g
 *            --gpus device=G --user U IMAGE      (output -> WORK/container.log)
 *   every interval: docker stats N ; nvidia-smi -i G      (-> WORK/samples.csv)
 *   at the time limit: docker kill N
 * validateSubmission(WORK/output, input) ; scoreSubmission(WORK/output, truth)
 * WORK/evaluation.json
 * ```
 *
 * @module
 */

import { discover } from "../challenge/layout.ts";
import type { DiscoveryProblem } from "../challenge/case.ts";
import type { Year } from "../challenge/edition.ts";
import { type ScoreReport, scoreSubmission } from "../challenge/score.ts";
import { pooledRss } from "../pipeline/reference.ts";
import { SlicePool } from "../recon/pool.ts";
import { validateSubmission } from "../challenge/validate/mod.ts";
import type { ValidationReport } from "../challenge/validate/report.ts";
import { CmrxError } from "../errors.ts";
import { DEFAULT_YEAR, editionOf } from "../challenge/editions/mod.ts";
import {
  type EvaluationLimits,
  limitsFromValues,
  type LimitVerdict,
  limitVerdict,
} from "./limits.ts";
import { type ContainerRuntime, exec, inspectImage } from "./runtime.ts";
import { detectSplit, problemsOfSplit } from "./entrypoint.ts";
import { containerName, prepareOutput, runArgs } from "./run.ts";
import {
  type Sample,
  Sampler,
  samplesCsv,
  summarizeSamples,
  type UsageSummary,
} from "./sampler.ts";

/** Options of {@link evaluateImage}. */
export interface EvaluateOptions {
  /** The container runtime (docker or podman) that runs the image. */
  runtime: ContainerRuntime;
  /** The image to evaluate (tag or id); it must be present locally. */
  image: string;
  /** Absolute path of the input dataset (mounted read-only). */
  input: string;
  /** Ground truth for the scorer (FullSample k-space or img4ranking files). */
  truth: string;
  /** Folder for output/, container.log, samples.csv, evaluation.json (created). */
  work: string;
  /** GPU index given to the container; none: CPU only. */
  gpu?: number;
  /** Seconds before the container is stopped. */
  timeLimit: number;
  /** GPU memory allowed (bytes); a higher peak is reported as a violation. */
  vramLimit: number;
  /** `--shm-size` (default {@link DEFAULT_SHM_SIZE}). */
  shmSize?: string;
  /** `uid:gid` the container runs as. */
  user: string;
  /** Seconds between samples. */
  interval: number;
  /** Split to score (default: from the input, like the image decides). */
  split?: "test" | "validation";
  /** Challenge edition of the validation and scoring rules and of the limits (default 2023). */
  year?: Year;
  /**
   * The limits the verdict names (`limits.ts`; default: the edition's, with `timeLimit` and
   * `vramLimit` as overrides where they differ from it).
   */
  limits?: EvaluationLimits;
  /** `--memory` limit for the container. */
  memory?: string;
  /** Extra arguments for the image's entrypoint. */
  args?: string[];
  /** Each line the container prints. */
  onOutput?: (line: string) => void;
  /** Called with each resource sample. */
  onSample?: (s: Sample) => void;
  /** Called when scoring starts (files to score). */
  onScoreFile?: (done: number, total: number) => void;
}

/** What happened. */
export interface EvaluationResult {
  /** The image as given. */
  image: string;
  /** Its id, from the runtime. */
  imageId: string;
  /** Name of the container that ran (removed after the run). */
  container: string;
  /** The work folder (absolute, links resolved). */
  work: string;
  /** The folder mounted at `/output`: `<work>/output`. */
  output: string;
  /** The split validated and scored. */
  split: "test" | "validation";
  /**
   * Input entries of the split that cannot be read (dangling links, named pipes, folders at
   * k-space positions, ...): each is an error, and the run does not count as a success while
   * there is any (its case is missing from the output and from the score).
   */
  inputProblems: DiscoveryProblem[];
  /** Exit code of the container. */
  exitCode: number;
  /** True when the time limit stopped the container. */
  timedOut: boolean;
  /** Wall-clock seconds the container ran. */
  seconds: number;
  /** The time limit, seconds. */
  timeLimit: number;
  /** Peaks and means of the resource samples. */
  usage: UsageSummary;
  /** The GPU memory limit, bytes. */
  vramLimit: number;
  /** True when the sampled GPU memory peak exceeded the limit; null when not measured. */
  vramExceeded: boolean | null;
  /** The edition's limits the run was held to, and where each comes from. */
  limits: EvaluationLimits;
  /** The run against them: the verdict line naming the edition and its source. */
  limitVerdict: LimitVerdict;
  /** Validation of the output against the input; null when it could not run. */
  validation: ValidationReport | null;
  /** Why the validation could not run. */
  validationError?: string;
  /** Scores of the output against the truth; null when scoring could not run. */
  score: ScoreReport | null;
  /** Why scoring could not run. */
  scoreError?: string;
}

/** Result of {@link runMonitored}. */
export interface MonitoredRun {
  /** Exit code of the runtime's `run` command (the container's, when it ran). */
  exitCode: number;
  /** True when the time limit stopped the container. */
  timedOut: boolean;
  /** Wall-clock seconds of the run. */
  seconds: number;
  /** The resource samples taken while it ran. */
  samples: Sample[];
}

async function pump(
  stream: ReadableStream<Uint8Array>,
  log: Deno.FsFile,
  onLine?: (line: string) => void,
): Promise<void> {
  let rest = "";
  const dec = new TextDecoder();
  for await (const chunk of stream) {
    await log.write(chunk);
    if (!onLine) continue;
    rest += dec.decode(chunk, { stream: true });
    const lines = rest.split(/\r?\n|\r/);
    rest = lines.pop() ?? "";
    for (const l of lines) onLine(l);
  }
  if (onLine && rest) onLine(rest);
}

/**
 * Runs `docker run ARGS` (or podman's) (ARGS must name the container `name`), sampling it and stopping it
 * after `timeLimit` seconds. Container output goes to `logPath` (and `onOutput`).
 */
export async function runMonitored(
  runtime: ContainerRuntime,
  args: string[],
  name: string,
  o: {
    timeLimit: number;
    interval: number;
    gpu?: number;
    logPath: string;
    onOutput?: (line: string) => void;
    onSample?: (s: Sample) => void;
  },
): Promise<MonitoredRun> {
  using log = await Deno.open(o.logPath, { write: true, create: true, truncate: true });
  const t0 = performance.now();
  const child = new Deno.Command(runtime.command, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const sampler = new Sampler({
    runtime: runtime.command,
    container: name,
    gpu: o.gpu,
    interval: o.interval,
    onSample: o.onSample,
  });
  sampler.start();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    exec(runtime.command, ["kill", name]).catch(() => {});
  }, o.timeLimit * 1000);
  const [status] = await Promise.all([
    child.status,
    pump(child.stdout, log, o.onOutput),
    pump(child.stderr, log, o.onOutput),
  ]);
  clearTimeout(timer);
  const seconds = (performance.now() - t0) / 1000;
  const samples = await sampler.stop();
  await exec(runtime.command, ["rm", "-f", name]).catch(() => {});
  return { exitCode: status.code, timedOut, seconds, samples };
}

/** Runs, samples, validates and scores one image. See the module docs. */
export async function evaluateImage(o: EvaluateOptions): Promise<EvaluationResult> {
  const info = await inspectImage(o.runtime, o.image);
  const found = await discover(o.input);
  const split = o.split ?? detectSplit(found.cases, o.input, found.problems);
  const inputProblems = problemsOfSplit(found.problems, split, o.input);
  await Deno.mkdir(o.work, { recursive: true });
  const work = await Deno.realPath(o.work);
  const output = await prepareOutput(`${work}/output`, o.user);
  const name = containerName("eval");
  const args = runArgs({
    runtime: o.runtime.kind,
    image: o.image,
    input: o.input,
    output,
    gpu: o.gpu,
    shmSize: o.shmSize,
    user: o.user,
    name,
    memory: o.memory,
    args: o.args,
  });
  const run = await runMonitored(o.runtime, args, name, {
    timeLimit: o.timeLimit,
    interval: o.interval,
    gpu: o.gpu,
    logPath: `${work}/container.log`,
    onOutput: o.onOutput,
    onSample: o.onSample,
  });
  await Deno.writeTextFile(`${work}/samples.csv`, samplesCsv(run.samples));
  const usage = summarizeSamples(run.samples);
  const limits = o.limits ??
    limitsFromValues(editionOf(o.year ?? DEFAULT_YEAR), o.timeLimit, o.vramLimit);
  const result: EvaluationResult = {
    image: o.image,
    imageId: info.id,
    container: name,
    work,
    output,
    split,
    inputProblems,
    exitCode: run.exitCode,
    timedOut: run.timedOut,
    seconds: run.seconds,
    timeLimit: o.timeLimit,
    usage,
    vramLimit: o.vramLimit,
    vramExceeded: usage.peakGpuMemory === undefined ? null : usage.peakGpuMemory > o.vramLimit,
    limits,
    limitVerdict: limitVerdict(limits, { ...run, peakGpuMemory: usage.peakGpuMemory }),
    validation: null,
    score: null,
  };
  try {
    result.validation = await validateSubmission(output, { input: o.input, split, year: o.year });
  } catch (e) {
    if (!(e instanceof CmrxError)) throw e;
    result.validationError = e.message;
  }
  try {
    using pool = new SlicePool();
    result.score = await scoreSubmission({
      rss: pooledRss(pool),
      submission: output,
      truth: o.truth,
      split,
      year: o.year,
      onFile: o.onScoreFile,
    });
  } catch (e) {
    if (!(e instanceof CmrxError)) throw e;
    result.scoreError = e.message;
  }
  await Deno.writeTextFile(
    `${work}/evaluation.json`,
    JSON.stringify({ ...result, score: result.score?.aggregate ?? null }, null, 1) + "\n",
  );
  return result;
}

/** Whether an evaluation counts as a successful challenge run. */
export function evaluationOk(r: EvaluationResult): boolean {
  return r.exitCode === 0 && !r.timedOut && r.vramExceeded !== true &&
    (r.validation?.ok ?? false) && r.score !== null && !(r.inputProblems?.length);
}
