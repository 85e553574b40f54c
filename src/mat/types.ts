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
  /**
   * Set when the variable exists but cannot be read as a numeric array: what was found and
   * why it cannot be used, e.g. "is float16 (half precision); cmrxkit reads single, double,
   * integer and logical arrays" or "declares 4x4x1x10x2305843009213693952 complex single
   * (...) but the file holds only 2.4 KiB". Reading such a variable throws a
   * `MatFormatError` with this reason. `matClass` and `complex` then describe the stored
   * class when it is a numeric one, else they are `double` and false: use {@link stored}.
   */
  unusable?: string;
  /** With {@link unusable}: true when the cause is damage (corrupt or truncated file, dims
   * with no data behind them) rather than a type or feature cmrxkit does not read. */
  damaged?: boolean;
  /** With {@link unusable}: what the file stores, in words, e.g. "float16", "cell", "char",
   * "string", "compound {a, b, c}", "complex single" (for dims with no data behind them). */
  stored?: string;
}

/** Number of elements of an array with these dims. */
export function numel(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}
