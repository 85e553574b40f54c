/**
 * The visual report of one or more submit runs: a static HTML page (inline CSS, no script,
 * no external resource: it opens from disk, offline) and the PNG images it shows.
 *
 * - {@link buildReport} writes it (`deno task report`): case figures (ground truth,
 *   zero-filled input, each run's reconstruction and |error| map, x-t profiles), the
 *   challenge metrics with the official aggregation, the dynamic-region analysis, T1/T2 maps
 *   and their errors, time and memory per run and view, model parameters and the time-budget
 *   verdict. A folder it wrote is marked by {@link REPORT_MARKER}, so a later report may
 *   replace it.
 * - Run logs: {@link readRunLog} reads what `submit` recorded in an output folder,
 *   {@link runTiming} merges its time and memory over shards.
 * - Dynamic-region analysis (CRUNet-MR): {@link dynamicMask}, {@link regionScores},
 *   {@link ssimMap}.
 * - Pictures as numbers ({@link series}, {@link imageAt}, {@link displayWindow},
 *   {@link absError}, {@link temporalStd}, {@link xtProfile}, ...), colour maps
 *   ({@link GREY_MAP}, {@link RELAX_MAP}, {@link ERROR_MAP}, {@link applyColormap}; map
 *   display ranges in {@link MAP_WINDOWS}), a PNG encoder ({@link encodePng}) and the page's
 *   HTML building blocks ({@link page}, {@link table}, {@link figureGrid}).
 *
 * Image series have MATLAB dims `(x, y, slice, frame)`, column-major, real (magnitude) values.
 *
 * @example Report two runs against the ground truth
 * ```ts
 * import { buildReport } from "@cmrxkit/cmrxkit/report";
 *
 * const r = await buildReport({
 *   runs: ["out-grappa", "out-unet"], // folders written by deno task submit
 *   names: ["GRAPPA", "U-Net"],
 *   truth: "data", // a dataset root with FullSample k-space
 *   out: "report",
 * });
 * console.log(`${r.index}: ${r.images} images`, r.warnings);
 * console.log(r.summary.scores["GRAPPA"]?.cine?.ssim);
 * ```
 *
 * @example A magnitude image as a PNG
 * ```ts
 * import { applyColormap, displayWindow, encodePng, GREY_MAP, imageAt, series }
 *   from "@cmrxkit/cmrxkit/report";
 *
 * declare const data: Float32Array; // MATLAB dims (x, y, slice, frame) = [nx, ny, nz, nt]
 * const s = series(data, [204, 448, 2, 12]);
 * const img = imageAt(s, 0, 0); // slice 0, frame 0: (x, y)
 * const [lo, hi] = displayWindow(img);
 * const png = encodePng(applyColormap(img, 204, 448, lo, hi, GREY_MAP)); // x down the rows
 * await Deno.writeFile("frame0.png", png);
 * ```
 *
 * @module
 */

export { buildReport, type ReportOptions, type ReportResult, type ReportSummary } from "./build.ts";
export { REPORT_MARKER } from "./folder.ts";
export {
  type EndEvent,
  readRunLog,
  type RunLog,
  type RunTiming,
  runTiming,
  type StartEvent,
} from "./runlog.ts";
export { MAP_WINDOWS } from "./figures.ts";
export {
  DYNAMIC_PERCENTILE,
  dynamicMask,
  type RegionScores,
  regionScores,
  regionScores2d,
  ssimMap,
} from "./dynamic.ts";
export {
  absError,
  displayWindow,
  firstFrames,
  imageAt,
  locatorPicture,
  motionCentre,
  percentile,
  type Series,
  series,
  temporalStd,
  xtProfile,
} from "./panels.ts";
export {
  applyColormap,
  colorbar,
  type Colormap,
  colormapFromAnchors,
  ERROR_ANCHORS,
  ERROR_MAP,
  GREY_MAP,
  labToSrgb,
  RELAX_ANCHORS,
  RELAX_MAP,
  srgbToLab,
} from "./colormap.ts";
export { crc32, encodePng, type PngChannels, type PngOptions, type RasterImage } from "./png.ts";
export {
  bestIndices,
  type Cell,
  colourScale,
  esc,
  figureGrid,
  type FigureSpec,
  type HeadCell,
  type Img,
  imgTag,
  page,
  type Section,
  table,
  type TableSpec,
} from "./html.ts";

// Types of lower layers that appear in the signatures above.
export type {
  BudgetVerdict,
  CaseEvent,
  RunManifest,
  ShardShare,
  SubmitSummary,
  ViewTiming,
} from "../pipeline/mod.ts";
export type { Split, Year } from "../challenge/edition.ts";
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
export type { MapKind } from "../mapping/maps.ts";
