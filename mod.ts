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
export { MatV73Reader, MatV73Writer, writeMatV73 } from "./src/mat/v73.ts";
export {
  encodeMatV5,
  listMatV5,
  type MatV5Var,
  type MatV5WriteOptions,
  parseMatV5,
  readMatV5,
  readMatV5Var,
  writeMatV5,
} from "./src/mat/v5.ts";
export * from "./src/kspace/fft.ts";
export * from "./src/kspace/complex.ts";
export * from "./src/kspace/mask.ts";
export * from "./src/kspace/sensitivity.ts";
export { zeroFilled, zeroFilledRss } from "./src/recon/zerofill.ts";
export * from "./src/challenge/layout.ts";
export * from "./src/challenge/reduce.ts";
export * from "./src/challenge/metrics.ts";
export * from "./src/challenge/score.ts";
export * from "./src/challenge/leaderboard.ts";
export * from "./src/challenge/submission.ts";
export * from "./src/challenge/validate.ts";
export * from "./src/challenge/pack.ts";
export * from "./src/kspace/slice.ts";
export * from "./src/kspace/geometry.ts";
export * from "./src/recon/run.ts";
export { defaultMethodFor, getMethod, methodNames } from "./src/recon/registry.ts";
export * from "./src/recon/operators.ts";
export * from "./src/recon/sense.ts";
export * from "./src/recon/lps.ts";
export * from "./src/recon/grappa.ts";
export * from "./src/recon/pool.ts";
export * from "./src/engine/onnx.ts";
export * from "./src/engine/session.ts";
export * from "./src/engine/memory.ts";
export * from "./src/models/manifest.ts";
export * from "./src/models/registry.ts";
export * from "./src/models/onnx_model.ts";
export * from "./src/pipeline/submit.ts";
export * from "./src/mapping/t1.ts";
export * from "./src/mapping/t2.ts";
export * from "./src/mapping/csv.ts";
export * from "./src/mapping/maps.ts";
export * from "./src/mapping/case_maps.ts";
export * from "./src/mapping/labels.ts";
export * from "./src/mapping/nifti.ts";
export * from "./src/mapping/evaluate.ts";
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
export { formatBytes, formatDuration } from "./src/format.ts";
export {
  buildReport,
  MAP_WINDOWS,
  REPORT_MARKER,
  type ReportOptions,
  type ReportResult,
  type ReportSummary,
} from "./src/report/build.ts";
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
