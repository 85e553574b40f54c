/**
 * cmrxkit: a toolkit for the CMRxRecon cardiac MRI reconstruction challenge.
 *
 * The public library API; every module is documented where it is defined.
 *
 * @module
 */

export * from "./src/errors.ts";
export * from "./src/mat/types.ts";
export { detectMatFormat, type MatFormat, matV73Header } from "./src/mat/header.ts";
export { readCfl, writeCfl } from "./src/mat/cfl.ts";
export {
  type DimRange,
  type MatReader,
  openMat,
  readMatVar,
  type ReadOptions,
  sliceArray,
} from "./src/mat/read.ts";
export { MatV73Reader } from "./src/mat/v73/read.ts";
export { MatV73Writer, writeMatV73 } from "./src/mat/v73/write.ts";
export { listMatV5, parseMatV5, readMatV5, readMatV5Var } from "./src/mat/v5/read.ts";
export {
  encodeMatV5,
  type MatV5Var,
  type MatV5WriteOptions,
  writeMatV5,
} from "./src/mat/v5/write.ts";
export * from "./src/kspace/fft.ts";
export * from "./src/kspace/complex.ts";
export * from "./src/kspace/mask.ts";
export * from "./src/kspace/coils/mod.ts";
export * from "./src/kspace/encoding.ts";
export {
  type CgOptions,
  type CgResult,
  CgWork,
  choleskyInPlace,
  choleskySolve,
  conjugateGradient,
  type HermitianEigen,
  hermitianEigenvalues,
  jacobiEigen,
} from "./src/linalg/mod.ts";
export { zeroFilledRss } from "./src/kspace/zerofill.ts";
export { zeroFilled } from "./src/recon/zerofill.ts";
export * from "./src/challenge/paths.ts";
export * from "./src/challenge/layout.ts";
export * from "./src/challenge/problem_text.ts";
export * from "./src/challenge/reduce.ts";
export * from "./src/challenge/metrics/mod.ts";
export * from "./src/challenge/score.ts";
export * from "./src/challenge/leaderboard.ts";
export * from "./src/challenge/submission.ts";
export * from "./src/challenge/validate/walk.ts";
export * from "./src/challenge/validate/checks.ts";
export * from "./src/challenge/validate/report.ts";
export * from "./src/challenge/validate/mod.ts";
export * from "./src/challenge/pack.ts";
export * from "./src/kspace/slice.ts";
export * from "./src/kspace/geometry.ts";
export * from "./src/recon/run.ts";
export { defaultMethodFor, getMethod, methodNames } from "./src/recon/registry.ts";
export * from "./src/recon/iterative.ts";
export * from "./src/recon/sense.ts";
export * from "./src/recon/lps.ts";
export * from "./src/recon/grappa.ts";
export * from "./src/recon/pool.ts";
export * from "./src/engine/onnx/mod.ts";
export * from "./src/engine/providers.ts";
export * from "./src/engine/session.ts";
export * from "./src/engine/rss.ts";
export * from "./src/engine/memory/mod.ts";
export * from "./src/models/manifest.ts";
export * from "./src/models/registry.ts";
export * from "./src/models/onnx_model.ts";
export { windowFrames } from "./src/models/feeders.ts";
export { permute } from "./src/models/layout.ts";
export { type Choice, chooseModel, classical } from "./src/pipeline/select.ts";
export * from "./src/pipeline/submit.ts";
export * from "./src/mapping/t1.ts";
export * from "./src/mapping/t2.ts";
export * from "./src/challenge/maps/csv.ts";
export * from "./src/mapping/maps.ts";
export * from "./src/challenge/maps/case_maps.ts";
export * from "./src/challenge/maps/labels.ts";
export * from "./src/mapping/nifti.ts";
export * from "./src/challenge/maps/score.ts";
export {
  type FileGeometry,
  type FileKind,
  GEOMETRY,
  mappingCsv,
  mappingTimes,
  synthesize,
  synthesizeKspaceFile,
  type SynthOptions,
  type SynthReport,
  type SynthSize,
} from "./src/synth/dataset.ts";
export { Progress } from "./src/progress.ts";
export { formatBytes, formatDuration, parseBytes } from "./src/format.ts";
export {
  buildReport,
  type ReportOptions,
  type ReportResult,
  type ReportSummary,
} from "./src/report/build.ts";
export { MAP_WINDOWS } from "./src/report/figures.ts";
export { REPORT_MARKER } from "./src/report/folder.ts";
export * from "./src/report/png.ts";
export * from "./src/report/colormap.ts";
export * from "./src/report/dynamic.ts";
export {
  displayWindow,
  motionCentre,
  type Series,
  temporalStd,
  xtProfile,
} from "./src/report/panels.ts";
export { readRunLog, type RunLog, type RunTiming, runTiming } from "./src/report/runlog.ts";
