/**
 * Types shared by the MATLAB file readers and writers.
 *
 * Arrays are stored in MATLAB's memory order (column-major): for dims `[d0, d1, d2, ...]`
 * the flat index of `(i0, i1, i2, ...)` is `i0 + d0 * (i1 + d1 * (i2 + ...))`.
 * Complex arrays are interleaved `(re, im)` pairs, so `data.length === 2 * prod(dims)`.
 *
 * @module
 */

/** MATLAB array classes cmrxkit reads and writes. */
export type MatClass =
  | "double"
  | "single"
  | "int8"
  | "uint8"
  | "int16"
  | "uint16"
  | "int32"
  | "uint32"
  | "int64"
  | "uint64"
  | "logical";

/** A numeric array with MATLAB dims in column-major order. */
export interface MatArray {
  /** MATLAB dims (at least 2, trailing singleton dims dropped as MATLAB does, except the first two). */
  dims: number[];
  /** The MATLAB class the file declared (`single`, `double`, `logical`, ...). */
  matClass: MatClass;
  /** True when `data` holds interleaved (re, im) pairs. */
  complex: boolean;
  /** Column-major values; interleaved (re, im) when complex. */
  data: Float32Array | Float64Array;
}

/** Description of one variable in a MAT file, known without reading its data. */
export interface MatVarInfo {
  /** Variable name. */
  name: string;
  /** MATLAB dims. */
  dims: number[];
  /** MATLAB class. */
  matClass: MatClass;
  /** True for complex data. */
  complex: boolean;
}

/** Number of elements of an array with these dims. */
export function numel(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}
