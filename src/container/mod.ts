/**
 * The evaluation image: build it, run it the way the CMRxRecon organisers do, evaluate it
 * like their harness, and merge sharded runs.
 *
 * - Build context ({@link planContext}, {@link writeContext}, {@link buildArgs}): a folder
 *   holding only what the image needs (Dockerfile, the Deno binary, the code, the chosen
 *   models, `build-info.json`).
 * - The container runtime on the host, docker or podman ({@link detectRuntime},
 *   {@link inspectImage}, {@link saveImage}); failures a user can cause are
 *   {@link ContainerError}s that say what to do.
 * - Running the image like the organisers ({@link runArgs}: no network, `/input` read-only,
 *   `/output` writable, `--shm-size 32g`, one GPU, a non-root user) and evaluating it
 *   ({@link evaluateImage}: run once with a time limit while a {@link Sampler} records GPU
 *   memory, CPU and RAM, then validate and score what it wrote).
 * - What the image does when it starts (`cli/container/entrypoint.ts` runs it):
 *   {@link preflight} checks `/input` and `/output`, {@link detectSplit} and
 *   {@link submitDefaultsFor} settle what `submit()` reconstructs, {@link entrypointExitCode}
 *   the exit code.
 * - Sharded runs (`submit --shard i/n`): {@link mergeShards} copies the shards' files into
 *   one submission after {@link shardLogStatus} / {@link checkShardSet} confirm that every
 *   shard ran to its end.
 *
 * @example Evaluate an image like the organisers
 * ```ts
 * import { detectRuntime, evaluateImage, evaluationOk } from "@cmrxkit/cmrxkit/container";
 *
 * const runtime = await detectRuntime(); // docker, else podman
 * const r = await evaluateImage({
 *   runtime,
 *   image: "cmrxkit:latest",
 *   input: "/data/ChallengeData", // mounted read-only at /input
 *   truth: "/data/ChallengeData", // FullSample k-space for the scorer
 *   work: "eval", // output/, container.log, samples.csv, evaluation.json
 *   gpu: 0,
 *   timeLimit: 4 * 3600, // seconds
 *   vramLimit: 24 * 2 ** 30, // bytes
 *   user: "1000:1000",
 *   interval: 5, // seconds between samples
 * });
 * console.log(evaluationOk(r), r.seconds, r.usage.peakGpuMemory, r.score?.aggregate);
 * console.log(r.limitVerdict.line); // the run against the edition's time and GPU memory

 * ```
 *
 * @example Merge the outputs of two shards
 * ```ts
 * import { mergeShards } from "@cmrxkit/cmrxkit/container";
 *
 * const m = await mergeShards("out", ["out-shard1", "out-shard2"]); // into out/Submission
 * console.log(m.copied, m.problems); // problems: a shard that did not run to its end, ...
 * ```
 *
 * @module
 */

export {
  APP_DIRS,
  buildArgs,
  type BuildArgsOptions,
  type BuildInfo,
  CONTEXT_MARKER,
  type ContextEntry,
  type ContextPlan,
  DEFAULT_BASE_IMAGE,
  DEFAULT_TAG,
  depsConfig,
  hostCaFile,
  isLinuxX64Elf,
  type OrtInstall,
  pickModels,
  planContext,
  type PlanOptions,
  REPO_ROOT,
  writeContext,
  type WriteContextResult,
} from "./context.ts";
export {
  ContainerError,
  type ContainerRuntime,
  detectRuntime,
  type ImageInfo,
  inspectImage,
  RUNTIME_HINT,
  type RuntimeKind,
  runtimeKind,
  saveImage,
} from "./runtime.ts";
export {
  containerName,
  DEFAULT_SHM_SIZE,
  defaultUser,
  IMAGE_USER,
  parseTimeLimit,
  prepareOutput,
  runArgs,
  type RunSpec,
} from "./run.ts";
export {
  evaluateImage,
  type EvaluateOptions,
  evaluationOk,
  type EvaluationResult,
  type MonitoredRun,
  runMonitored,
} from "./evaluate.ts";
export {
  type EvaluationLimits,
  evaluationLimits,
  limitsFromValues,
  type LimitVerdict,
  limitVerdict,
  type MeasuredRun,
} from "./limits.ts";
export {
  checkShardSet,
  MAT_HEADER_TEXT_BYTES,
  type MergeReport,
  mergeShards,
  sameMatContent,
  type ShardLogStatus,
  shardLogStatus,
  shardManifestDifferences,
} from "./merge.ts";
export {
  type GpuReading,
  NVIDIA_SMI_ARGS,
  parseNvidiaSmiCsv,
  parseStatsLine,
  type Sample,
  Sampler,
  type SamplerOptions,
  samplesCsv,
  STATS_FORMAT,
  type StatsReading,
  summarizeSamples,
  type UsageSummary,
} from "./sampler.ts";
export {
  buildInfoLine,
  checkUserArgs,
  CONTAINER_INPUT,
  CONTAINER_OUTPUT,
  describeCases,
  describeProblems,
  detectSplit,
  entrypointExitCode,
  flagValue,
  mountOptions,
  type Preflight,
  preflight,
  problemsOfSplit,
  problemSplit,
  submitDefaultsFor,
  type SubmitTarget,
} from "./entrypoint.ts";

// Types of lower layers that appear in the signatures above.
export type { RunManifest } from "../pipeline/run_manifest.ts";
export type { Split, Task, Year } from "../challenge/edition.ts";
export type { Case, DiscoveryProblem } from "../challenge/case.ts";
export type { CoilType, SplitFolder } from "../challenge/paths.ts";
export type { Aggregate, GroupScore, Metrics, TaskScore } from "../challenge/aggregate.ts";
export type { FileScore, ScoreReport } from "../challenge/score.ts";
export type { TruthProblem } from "../challenge/truth.ts";
export type { MapErrors, MapFileScore, MapGroupScore, MapReport } from "../challenge/maps/score.ts";
export type {
  GroupCount,
  Problem,
  ProblemKind,
  SubmissionRootKind,
  ValidationReport,
} from "../challenge/validate/report.ts";
export type { ModelEntry } from "../models/registry.ts";
export type {
  FeederSpec,
  InputRole,
  ModelManifest,
  NormalizationSpec,
  ServesSpec,
  TensorSpec,
} from "../models/manifest.ts";
export type { MapKind } from "../mapping/maps.ts";
export type { CmrxError } from "../errors.ts";
export type { EntryKind } from "../fsutil.ts";
