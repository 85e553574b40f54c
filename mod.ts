/**
 * cmrxkit: a toolkit for the CMRxRecon cardiac MRI reconstruction challenge. This module is
 * the curated library API: reading and writing MATLAB files, the official layout and the
 * case plan, the edition's rules (reduction, metrics, limits), scoring, writing, validating
 * and packing a submission, the classical reconstructions, ONNX models on onnxruntime, and
 * the whole `submit` pipeline. Each layer has its own entry point with everything it offers
 * (`@cmrxkit/cmrxkit/mat`, `/kspace`, `/linalg`, `/engine`, `/recon`, `/models`, `/mapping`,
 * `/challenge`, `/pipeline`, `/synth`, `/report`, `/container`); docs/architecture.md is the
 * map.
 *
 * Arrays keep MATLAB's column-major order and dimension names: k-space
 * `(kx, ky, coil, slice, frame)` as complex interleaved `Float32Array` (re, im), images
 * `(x, y, slice, frame)`.
 *
 * @example Reconstruct one file slice by slice, with the case plan of its edition
 * ```ts
 * import {
 *   applyReduction,
 *   discover,
 *   editionOf,
 *   getMethod,
 *   openCase,
 *   reconstructFile,
 *   writeImg4Ranking,
 * } from "@cmrxkit/cmrxkit";
 *
 * const { cases } = await discover("CMRxRecon", { task: "cine", split: "validation" });
 * const c = cases[0];
 * using opened = await openCase(c, "validation", editionOf(2023)); // reads the header once
 * const { plan } = opened;
 * const r = await reconstructFile(opened.mat, getMethod("grappa"), {
 *   variable: plan.variable,
 *   slices: plan.slices, // only the two slices the ranking keeps
 * });
 * const local = { ...plan.reduction!, slices: plan.slices.map((_, i) => i) };
 * await writeImg4Ranking("out/Submission", plan.submissionPath, applyReduction(r.image, r.dims, local), plan.dims);
 * ```
 *
 * @example Score a submission like the 2023 leaderboard, and check it first
 * ```ts
 * import { formatReport, scoreSubmission, validateSubmission } from "@cmrxkit/cmrxkit";
 *
 * const report = await validateSubmission("out", { input: "CMRxRecon", task: "cine" });
 * console.log(formatReport(report));
 * const score = await scoreSubmission({ submission: "out", truth: "CMRxRecon/GroundTruth" });
 * console.log(score.aggregate.cine?.ssim, score.incomplete);
 * ```
 *
 * @example The whole pipeline, as `deno task submit` runs it
 * ```ts
 * import { submitWithModels } from "@cmrxkit/cmrxkit";
 *
 * // per case: the first shipped ONNX model that serves it, else GRAPPA (or `model: "lps"`)
 * const summary = await submitWithModels({
 *   input: "CMRxRecon",
 *   output: "out",
 *   task: "cine",
 *   split: "validation",
 * });
 * console.log(summary.written, summary.failed.length, summary.validation?.ok);
 * ```
 *
 * @module
 */

// Errors: every error a user can cause names the file and the fix.
export {
  CmrxError,
  errorMessage,
  LayoutError,
  MatFormatError,
  MatVariableError,
  ShapeError,
  UsageError,
} from "./src/errors.ts";

// MATLAB files: v7.3 (HDF5) and v5, read a hyperslab at a time, write atomically.
export {
  type DimRange,
  type MatArray,
  type MatClass,
  type MatFormat,
  type MatReader,
  type MatV5Var,
  type MatV5WriteOptions,
  type MatVarInfo,
  openMat,
  readMatV5,
  readMatVar,
  type ReadOptions,
  writeMatV5,
  writeMatV73,
} from "./src/mat/mod.ts";

// k-space: centred FFT, RSS, masks, geometry, coil maps, the reconstructor contract.
export {
  coilCombine,
  type CoilCombineOptions,
  fft2c,
  findKspaceVariable,
  ifft2c,
  type KspaceGeometry,
  kspaceGeometry,
  type Reconstructor,
  rss,
  type SensitivityMaps,
  sensitivityMaps,
  type SensitivityOptions,
  type SliceInput,
  type SliceOutput,
  uniformMask2d,
  zeroFilledRss,
} from "./src/kspace/mod.ts";

// The rules of each edition, the layout, the case plan, the reduction, metrics, scoring,
// the leaderboard, and writing, validating and packing a submission.
export {
  applyReduction,
  type Case,
  type CasePlan,
  discover,
  type DiscoverOptions,
  type Discovery,
  type DiscoveryProblem,
  type Edition,
  type EditionLimits,
  editionOf,
  EDITIONS,
  expectedSubmission,
  formatReport,
  type ImageScores,
  Leaderboard,
  nmse,
  normalizeImage,
  openCase,
  type OpenedCase,
  type PackOptions,
  type PackResult,
  packSubmission,
  planCase,
  psnr,
  readPlan,
  type ReductionPlan,
  reductionPlan,
  run4Ranking,
  scoreImage,
  type ScoreOptions,
  type ScoreReport,
  scoreSubmission,
  scoreVolume,
  type Split,
  ssim,
  submissionFolder,
  type Task,
  type ValidateOptions,
  validateSubmission,
  type ValidationReport,
  type VolumeScores,
  writeImg4Ranking,
  type Year,
  YEARS,
} from "./src/challenge/mod.ts";

// Classical reconstructions and running a method over a whole file.
export {
  createGrappa,
  createLps,
  createSense,
  createZeroFilled,
  getMethod,
  type MaskInput,
  methodNames,
  reconstructFile,
  type ReconstructFileOptions,
  SlicePool,
} from "./src/recon/mod.ts";

// ONNX models: manifests, the shipped models, the reconstructor; the onnxruntime engine.
export {
  listModels,
  type ModelEntry,
  type ModelManifest,
  OnnxReconstructor,
  readManifest,
  SHIPPED_MODELS,
} from "./src/models/mod.ts";
export {
  type Device,
  OnnxSession,
  type OnnxSessionOptions,
  parseDevice,
} from "./src/engine/mod.ts";

// T1/T2 fitting.
export { fitMaps, fitMolli, fitT2Prep, type MapKind } from "./src/mapping/mod.ts";

// The submit pipeline and the per-case model choice.
export {
  type CaseEvent,
  createSelector,
  type ModelSelector,
  type Selector,
  type SelectorOptions,
  submit,
  type SubmitOptions,
  type SubmitSummary,
  submitWithModels,
  type SubmitWithModelsOptions,
} from "./src/pipeline/mod.ts";

// Synthetic CMRxRecon datasets.
export { synthesize, type SynthOptions, type SynthReport } from "./src/synth/mod.ts";
