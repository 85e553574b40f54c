/**
 * MATLAB files: the public API of src/mat/. One reader for both formats cmrxkit meets
 * ({@link openMat}, {@link readMatVar}, {@link MatReader}): MAT v5 (MATLAB `save -v6`/`-v7`,
 * `scipy.io.savemat`, the submissions) and MAT v7.3 (HDF5 behind a 512-byte header, the
 * CMRxRecon k-space). Also the format-specific readers and writers, BART's `.cfl`/`.hdr`
 * pair, NumPy's `.npy` (float32) and recognising a file by its first bytes.
 *
 * Arrays ({@link MatArray}) keep MATLAB dims and MATLAB's column-major memory order:
 * element `(i0, i1, i2, ...)` (0-based) of dims `[d0, d1, d2, ...]` is at flat index
 * `i0 + d0 * (i1 + d1 * (i2 + ...))`; complex data is interleaved `(re, im)`.
 *
 * ```ts
 * import { openMat, writeMatV5 } from "./mod.ts";
 *
 * using mat = await openMat("P001/cine_sax.mat");
 * const { dims } = mat.info("kspace_full"); // [kx, ky, coil, slice, frame]
 * const slice4 = mat.readSlab("kspace_full", [, , , 4], { complex: true });
 * await writeMatV5("out.mat", [{ name: "kspace", array: slice4 }], { compress: true });
 * ```
 *
 * Errors: `MatFormatError` (not a MATLAB file, damaged, unsupported type),
 * `MatVariableError` (no such variable), `ShapeError` (ranges, dims, data of the wrong
 * complexity), all from `src/errors.ts`.
 *
 * @module
 */

export { type MatArray, type MatClass, type MatVarInfo, numel } from "./types.ts";
export { detectMatFormat, type MatFormat, matV73Header, readHead } from "./header.ts";
export { readCfl, writeCfl } from "./cfl.ts";
export {
  type DimRange,
  type MatOpenListener,
  type MatReader,
  openMat,
  readMatVar,
  type ReadOptions,
  sliceArray,
  watchMatOpens,
} from "./read.ts";
export {
  listMatV5,
  listMatV5All,
  type MatV5ReadOptions,
  parseMatV5,
  parseMatV5Var,
  readMatV5,
  readMatV5Var,
} from "./v5/read.ts";
export { encodeMatV5, type MatV5Var, type MatV5WriteOptions, writeMatV5 } from "./v5/write.ts";
export { MatV73Reader } from "./v73/read.ts";
export { type CreateVarOptions, MatV73Writer, writeMatV73 } from "./v73/write.ts";
export { decodeNpy, encodeNpy, readNpy, writeNpy } from "./npy.ts";
