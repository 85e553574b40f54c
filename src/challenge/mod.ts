/**
 * The challenge layer: the rules of the CMRxRecon editions and everything built on them,
 * independent of how images are reconstructed.
 *
 * - Editions ({@link editionOf}, {@link EDITIONS}): the rules of each year as data (views,
 *   k-space variables, frame rules, normalisation, folder layout, evaluation limits).
 * - Layout ({@link discover}): the cases of a dataset tree and where each goes in a
 *   submission; the submission path grammar ({@link parseSubmissionPath}).
 * - The case plan ({@link openCase}, {@link readPlan}): from an input header, the image dims,
 *   the slices to reconstruct and the ranking reduction ({@link reductionPlan},
 *   {@link applyReduction}, {@link run4Ranking}) with the `img4ranking` dims it writes.
 * - Metrics ({@link ssim}, {@link psnr}, {@link nmse}, {@link scoreVolume}): the official
 *   scorers' float32 arithmetic; scoring a submission against the truth like the leaderboard
 *   ({@link scoreSubmission}) and a local {@link Leaderboard}.
 * - Submissions: write ({@link writeImg4Ranking}), list what a complete one holds
 *   ({@link expectedSubmission}), validate ({@link validateSubmission}) and zip
 *   ({@link packSubmission}).
 * - Mapping ({@link MapScorer}): T1/T2 map errors in the myocardium, with the `T1map.csv` /
 *   `T2map.csv` times ({@link readMappingCsv}) and the segmentation labels they need.
 *
 * Arrays are column-major `Float32Array`s with MATLAB dims: images `(x, y, slice, frame)`,
 * k-space `(kx, ky, coil, slice, frame)`.
 *
 * Write a validation submission for every cine case of a dataset (here blank images where
 * the reconstruction goes), check it against the input, then score and zip it:
 *
 * ```ts
 * const input = "data/ChallengeData";
 * const out = "out";
 * const { cases } = await discover(input, { split: "validation", task: "cine" });
 * for (const c of cases) {
 *   using opened = await openCase(c, "validation", editionOf(2023));
 *   const { plan } = opened;
 *   // The coil-combined magnitude, MATLAB dims plan.imageDims = [sx, sy, sz, nt].
 *   const image = new Float32Array(plan.imageDims.reduce((a, b) => a * b, 1));
 *   const img = plan.reduction ? applyReduction(image, plan.imageDims, plan.reduction) : image;
 *   await writeImg4Ranking(submissionFolder(out), plan.submissionPath, img, plan.dims);
 * }
 *
 * const report = await validateSubmission(out, { input, task: "cine" });
 * console.log(formatReport(report));
 *
 * const scores = await scoreSubmission({ submission: out, truth: input, task: "cine" });
 * console.log(scores.aggregate.cine?.ssim, scoresCsv(scores));
 *
 * await packSubmission(out, { team: "My team", email: "me@example.org", task: "cine" });
 * ```
 *
 * Score one reconstruction against its reference (both reduced, same dims):
 *
 * ```ts
 * const dims = [82, 123, 2, 3]; // x, y, slice, frame
 * const n = dims.reduce((a, b) => a * b, 1);
 * const gt = new Float32Array(n).map(() => Math.random());
 * const pred = gt.map((v) => v + 0.01 * Math.random());
 * const { ssim, psnr, nmse, images } = scoreVolume(pred, gt, dims, 2023);
 * ```
 *
 * @module
 */

// Editions.
export type {
  AggregationRule,
  Edition,
  EditionArchive,
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
} from "./edition.ts";
export {
  EDITION_2023,
  EDITION_2024,
  EDITION_2025,
  type EditionCapability,
  editionFor,
  editionOf,
  EDITIONS,
  YEARS,
} from "./editions/mod.ts";

// Layout, discovery and the path grammar.
export { discover, fullSamplePath } from "./layout.ts";
export type { Case, DiscoverOptions, Discovery, DiscoveryProblem } from "./case.ts";
export { type SplitContext, treeFor, type TreeReader, TREES } from "./discovery/mod.ts";
export { type DiscoveryScope, narrowDiscovery } from "./discovery/scope.ts";
export type { Entry } from "./discovery/walk.ts";
export {
  accFolderName,
  COIL_FOLDERS,
  type CoilType,
  parseSubmissionPath,
  type PathCheck,
  type PathProblemKind,
  SPLIT_FOLDERS,
  type SplitFolder,
  splitFolder,
  SUBMISSION_FOLDER,
  type SubmissionPathInfo,
} from "./paths.ts";
export {
  formatProblem,
  type ProblemLike,
  problemReason,
  type ProblemWording,
} from "./problem_text.ts";

// The case plan and the ranking reduction.
export {
  type CasePlan,
  imageDimsOf,
  matlabSqueezeTrailing,
  openCase,
  type OpenedCase,
  planCase,
  readPlan,
} from "./plan.ts";
export {
  applyReduction,
  cropRange,
  frameRule,
  matlabRound,
  rankingSlices,
  type ReductionPlan,
  reductionPlan,
  run4Ranking,
} from "./reduce.ts";

// Metrics, ground truth, aggregation and scoring.
export {
  type ImageScores,
  type ImageValues,
  meanStd32,
  nmse,
  normalizeImage,
  percentileAbs,
  psnr,
  scoreImage,
  scoreVolume,
  type ScoreVolumeOptions,
  ssim,
  type SsimOptions,
  type VolumeScores,
} from "./metrics/mod.ts";
export {
  listTruth,
  referenceImage,
  type ReferenceRss,
  type TruthEntry,
  type TruthList,
  type TruthProblem,
} from "./truth.ts";
export {
  type Aggregate,
  aggregateGroups,
  type GroupScore,
  type Metrics,
  type TaskScore,
} from "./aggregate.ts";
export {
  aggregate2024,
  aggregate2025,
  ExtraFileError,
  type File2024,
  file2024FromPath,
  type File2025,
  type FileStatus,
  type Group2024,
  type Group2025,
  type GroupRow,
  GROUPS_2024,
  type GroupTable,
  MODALITIES_2025,
  normaliseDisease,
  parseGroupTable,
  type Place2025,
  place2025FromPath,
  readGroupTable,
  type Result2024,
  type Result2025,
  type ResultValue,
  roundNumpy4,
  stemInModality2024,
  type Task2025,
} from "./aggregate_editions.ts";
export {
  type FileScore,
  type ScoreOptions,
  type ScoreReport,
  scoresCsv,
  scoreSubmission,
} from "./score.ts";
export type {
  EditionAggregation,
  EditionResult,
  EditionScores,
  MainScores,
} from "./score_editions.ts";
export {
  defaultLeaderboardPath,
  Leaderboard,
  LEADERBOARD_BUSY_TIMEOUT_MS,
  LeaderboardBusyError,
  type LeaderboardRow,
  modelLabel,
  type RecordMeta,
  rowMark,
} from "./leaderboard.ts";

// Writing, validating and packing a submission.
export {
  type ExpectedFile,
  expectedFiles,
  expectedFromPlan,
  type ExpectedOptions,
  type ExpectedSubmission,
  expectedSubmission,
  IMG_VARIABLE,
  submissionFolder,
  writeImg4Ranking,
  type WriteImg4RankingOptions,
} from "./submission.ts";
export { type ValidateOptions, validateSubmission } from "./validate/mod.ts";
export {
  type FormatOptions,
  formatReport,
  type GroupCount,
  type Problem,
  type ProblemKind,
  type SubmissionRootKind,
  summaryLine,
  type ValidationReport,
} from "./validate/report.ts";
export {
  checkImg4RankingFile,
  type FileCheck,
  type FileCheckContext,
  MAX_IMG4RANKING_VALUES,
} from "./validate/checks.ts";
export {
  listSubmissionFiles,
  locateSubmission,
  type SubmissionFile,
  type SubmissionRoot,
} from "./validate/walk.ts";
export {
  blockingProblems,
  checkZipLimits,
  PACK_LAYOUTS,
  type PackEntry,
  PackError,
  type PackLayout,
  type PackOptions,
  type PackPlan,
  type PackResult,
  packSubmission,
  planPack,
  ZIP_MAX_BYTES,
  ZIP_MAX_ENTRIES,
  ZIP_SIZE_MARGIN,
  zipArchiveSize,
  type ZipEntrySize,
} from "./pack.ts";
export { inferSubmissionContent, type SubmissionContent } from "./context.ts";

// Mapping (T1/T2) scoring.
export { MAPS_FOLDER, mapsPath, writeCaseMaps } from "./maps/case_maps.ts";
export {
  type MappingTimesTable,
  parseMappingCsv,
  readMappingCsv,
  sourceSlices,
  timesForSlices,
  usableTimes,
} from "./maps/csv.ts";
export {
  checkLabelsRoot,
  defaultLabelsRoot,
  findLabelFile,
  labelCandidates,
  labelForImage,
  type MappingLabel,
  MYOCARDIUM,
  readMappingLabel,
} from "./maps/labels.ts";
export {
  aggregateMapScores,
  type MapCase,
  type MapErrors,
  mapErrors,
  type MapFileScore,
  type MapGroupScore,
  type MapReport,
  MapScorer,
  type MapScorerOptions,
} from "./maps/score.ts";

// Types of lower layers that the signatures above use.
export type { CmrxError } from "../errors.ts";
export type { EntryKind } from "../fsutil.ts";
export type { KspaceGeometry } from "../kspace/geometry.ts";
export type { MatFormat } from "../mat/header.ts";
export type { DimRange, MatReader, ReadOptions } from "../mat/read.ts";
export type { MatArray, MatClass, MatVarInfo } from "../mat/types.ts";
export type { MapFitOptions, MapKind } from "../mapping/maps.ts";
export type { MolliFitOptions } from "../mapping/t1.ts";
export type { T2FitOptions } from "../mapping/t2.ts";
