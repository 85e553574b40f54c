/**
 * The submit pipeline: reconstruct a split of a CMRxRecon dataset and write, validate and
 * (optionally) zip a compliant submission, one case at a time, resumable, shardable and
 * watched by a time budget.
 *
 * - {@link submit} runs it with a {@link Selector} that picks each case's reconstructor;
 *   {@link submitWithModels} builds that selector from a folder of ONNX models
 *   ({@link createSelector}, {@link chooseModel}: `--model`, else the first ONNX model whose
 *   manifest serves the case, else the default classical method) and releases its sessions.
 * - Resuming and safety: the run manifest beside `Submission/` ({@link RUN_MANIFEST},
 *   {@link readRunManifest}, {@link reconcileRunManifest}) says which model, options and input
 *   made the files; a lock file per run and shard ({@link acquireRunLock},
 *   {@link liveLocks}); temporary files of dead runs are removed ({@link removeStaleTemps}).
 * - Shards ({@link assignShards}, {@link shardCases}, {@link parseShard}) split a run by work
 *   (slices x frames x pixels x coils per case), disjoint and complete.
 * - The time budget ({@link viewTimings}, {@link budgetVerdict}, {@link parseDuration})
 *   scales measured seconds per pixel, frame and coil to the real test set.
 * - The parity harness ({@link parityCheck}, `deno task models check`): a model's exact inputs
 *   and outputs on a few real slices, with `check_parity.py` for a team's own PyTorch module.
 * - {@link submissionContext}: the task, split and edition of a submission folder (flags, run
 *   manifest, content) for validate, pack and score; {@link pooledRss} is the fully sampled
 *   reference reconstruction that scoring against k-space needs.
 *
 * @example Reconstruct the cine validation split with the per-case model choice
 * ```ts
 * import { submitWithModels } from "@cmrxkit/cmrxkit/pipeline";
 *
 * const summary = await submitWithModels({
 *   input: "data", // holds MultiCoil/
 *   output: "out", // Submission/ goes here
 *   task: "cine",
 *   split: "validation",
 *   timeBudget: 4 * 3600, // seconds for the whole test set
 *   onCase: (e, done, total) => console.log(`${done}/${total} ${e.file} ${e.status}`),
 * });
 * console.log(summary.written, summary.failed.length, summary.validation?.ok);
 * ```
 *
 * @example One classical method for every case, with your own selector
 * ```ts
 * import { classical, submit } from "@cmrxkit/cmrxkit/pipeline";
 *
 * const grappa = classical("grappa");
 * const summary = await submit({
 *   input: "data",
 *   output: "out",
 *   task: "both",
 *   split: "test", // full-size images, no reduction
 *   select: () => grappa,
 *   model: "grappa", // recorded in the run manifest
 *   shard: [0, 2], // the first half of the work; another process runs [1, 2]
 * });
 * ```
 *
 * @module
 */

export {
  type CaseEvent,
  type GpuMemoryReport,
  type Selector,
  submit,
  type SubmitOptions,
  type SubmitSummary,
} from "./submit.ts";
export {
  PROBE_TOLERANCE,
  probeProvider,
  type ProbeProviderOptions,
  probeText,
  type ProviderProbe,
  smallProbeClass,
} from "./provider_probe.ts";
export { type SizeClass, sizeText } from "./preflight.ts";
export { submitWithModels, type SubmitWithModelsOptions } from "./run.ts";
export {
  checkModel,
  type Choice,
  chooseModel,
  classical,
  createSelector,
  modelKey,
  type ModelSelector,
  type SelectorOptions,
} from "./select.ts";
export {
  budgetSecondsOf,
  type BudgetVerdict,
  budgetVerdict,
  parseDuration,
  parseTimeBudget,
  RELIABLE_PIXEL_FRACTION,
  sliceUnits,
  type TimeBudget,
  type TimedCase,
  type ViewTiming,
  viewTimings,
} from "./budget.ts";
export { assignShards, parseShard, shardCases, type ShardShare } from "./shard.ts";
export {
  createRunManifest,
  inputIdentity,
  manifestDifferences,
  manifestText,
  mergeManifests,
  readRunManifest,
  reconcileRunManifest,
  RUN_MANIFEST,
  type RunManifest,
  runManifestFor,
  type RunManifestInput,
  writeRunManifest,
} from "./run_manifest.ts";
export {
  acquireRunLock,
  describeLock,
  HEARTBEAT_MS,
  hostName,
  isLockName,
  type LiveLock,
  liveLocks,
  type LockInfo,
  lockName,
  readLock,
  type RunLock,
  STALE_AFTER_MS,
} from "./lock.ts";
export {
  type ContextFlags,
  type ContextSource,
  findRunManifest,
  type SubmissionContext,
  submissionContext,
} from "./context.ts";
export { pooledRss } from "./reference.ts";
export {
  CHECK_PARITY_PY,
  PARITY_MARKER,
  parityCheck,
  type ParityOptions,
  type ParityResult,
  type ParityRun,
  type ParityTensor,
} from "./parity.ts";
export { RunLogWriter } from "./run_log.ts";
export { removeStaleTemps, type StaleTempResult } from "./stale_temp.ts";

// Types of lower layers that appear in the signatures above.
export type { Case, DiscoverOptions, Discovery, DiscoveryProblem } from "../challenge/case.ts";
export type {
  Edition,
  EditionLayout,
  EditionLimits,
  FrameRule,
  LayoutLevel,
  Normalisation,
  Split,
  Task,
  TestSet,
  ViewSize,
  Year,
} from "../challenge/edition.ts";
export type { CoilType, SplitFolder } from "../challenge/paths.ts";
export type { ReferenceRss } from "../challenge/truth.ts";
export type {
  GroupCount,
  Problem,
  ProblemKind,
  SubmissionRootKind,
  ValidationReport,
} from "../challenge/validate/report.ts";
export type { ModelEntry, ModelKey } from "../models/registry.ts";
export type {
  FeederSpec,
  InputRole,
  ModelManifest,
  NormalizationSpec,
  ServesSpec,
  TensorSpec,
} from "../models/manifest.ts";
export type { SlicePool } from "../recon/pool.ts";
export type { Reconstructor, SliceInput, SliceOutput } from "../kspace/slice.ts";
export type { OnnxSessionOptions } from "../engine/session.ts";
export type { Device } from "../engine/providers.ts";
export type { EntryKind } from "../fsutil.ts";
