/**
 * Classical reconstructions of CMRxRecon k-space, one slice at a time, and running them
 * over whole files.
 *
 * Methods (each made by one factory `createX(options?)` returning a {@link Reconstructor};
 * registry name in brackets): {@link createZeroFilled} (`zerofill`, the reference floor),
 * {@link createGrappa} (`grappa`, kernels calibrated on the ACS band), {@link createSense}
 * (`sense`, Tikhonov CG-SENSE) and {@link createLps} (`lps`, low-rank plus sparse). {@link getMethod} builds one by name, {@link methodNames}
 * lists the names and {@link defaultMethodFor} is the one used when none is named. The
 * solvers behind them take explicit options or coil maps: {@link grappaKspace},
 * {@link cgSense}, {@link lowRankPlusSparse} (maps from {@link resolveMaps}).
 *
 * {@link reconstructFile} runs a method over every slice of an open MAT file (one slice in
 * memory per worker, optionally in parallel in a {@link SlicePool});
 * {@link planReconstruction} makes all its checks without reading data.
 *
 * Arrays are `Float32Array`s in MATLAB (column-major) order: k-space complex interleaved
 * `(kx, ky, coil, frame)`, masks real `(kx, ky)` or `(kx, ky, frame)`, coil maps complex
 * interleaved `(x, y, coil)`, output magnitude images `(x, y, frame)` per slice and
 * `(x, y, slice, frame)` per file.
 *
 * @example Reconstruct a k-space file with GRAPPA in parallel workers
 * ```ts
 * import { getMethod, reconstructFile, SlicePool } from "@cmrxkit/cmrxkit/recon";
 * import { openMat } from "@cmrxkit/cmrxkit/mat";
 *
 * const mat = await openMat("MultiCoil/Cine/ValidationSet/AccFactor04/P001/cine_sax.mat");
 * using pool = new SlicePool(); // one worker per core
 * // no mask given: it is taken from the sampled lines of the k-space itself
 * const { image, dims } = await reconstructFile(mat, getMethod("grappa"), { pool });
 * mat.close();
 * // image: magnitudes, MATLAB dims (x, y, slice, frame) = dims
 * ```
 *
 * @example One slice with explicit options
 * ```ts
 * import { createSense, type SliceInput } from "@cmrxkit/cmrxkit/recon";
 *
 * declare const slice: SliceInput; // k-space (kx, ky, coil, frame) and its mask
 * const sense = createSense({ maps: "espirit", lambda: 0.01 });
 * const { image } = await sense.reconstruct(slice); // (x, y, frame)
 * ```
 *
 * @module
 */

export { createZeroFilled } from "./zerofill.ts";
export {
  createGrappa,
  GRAPPA_DEFAULTS,
  GRAPPA_MAPPING_LAMBDA,
  type GrappaCalibration,
  type GrappaInfo,
  grappaKspace,
  type GrappaOptions,
  type GrappaResult,
} from "./grappa.ts";
export {
  cgSense,
  createSense,
  SENSE_DEFAULTS,
  SENSE_MAPPING_LAMBDA,
  type SenseOptions,
  type SenseResult,
} from "./sense.ts";
export {
  createLps,
  lowRankPlusSparse,
  LPS_DEFAULTS,
  type LpsOptions,
  type LpsResult,
  type LpsSolver,
  type LpsSparsity,
} from "./lps.ts";
export { type MagnitudeOutput, type MapsChoice, resolveMaps, unitMap } from "./iterative.ts";
export { defaultMethodFor, getMethod, methodNames } from "./registry.ts";
export {
  maskFromKspace,
  type MaskInput,
  planReconstruction,
  reconstructFile,
  type ReconstructFileOptions,
  type ReconstructionPlan,
} from "./run.ts";
export { defaultWorkers, SlicePool } from "./pool.ts";

// Types of lower layers that appear in the signatures above.
export type { Reconstructor, SliceInput, SliceOutput } from "../kspace/slice.ts";
export type { AcsRssOptions, EspiritOptions, SensitivityOptions } from "../kspace/coils/mod.ts";
export type { KspaceGeometry } from "../kspace/geometry.ts";
export type { DimRange, MatReader, ReadOptions } from "../mat/read.ts";
export type { MatFormat } from "../mat/header.ts";
export type { MatArray, MatClass, MatVarInfo } from "../mat/types.ts";
