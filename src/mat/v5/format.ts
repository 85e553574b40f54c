/**
 * The MAT v5 ("Level 5") tables and helpers that the reader and the writer share: storage
 * (`mi*`) types and their sizes, MATLAB (`mx`) class numbers, array flags, the value ranges of
 * the integer classes, and the MATLAB rules for dims. Dims are MATLAB dims (column-major);
 * see `read.ts` for the file layout.
 *
 * @module
 */

import type { MatClass } from "../types.ts";

/** Storage (`mi`) type numbers of data elements, from the MAT-File Format. */
export const miINT8 = 1;
/** Storage type uint8. */
export const miUINT8 = 2;
/** Storage type int16. */
export const miINT16 = 3;
/** Storage type uint16. */
export const miUINT16 = 4;
/** Storage type int32. */
export const miINT32 = 5;
/** Storage type uint32. */
export const miUINT32 = 6;
/** Storage type single. */
export const miSINGLE = 7;
/** Storage type double. */
export const miDOUBLE = 9;
/** Storage type int64. */
export const miINT64 = 12;
/** Storage type uint64. */
export const miUINT64 = 13;
/** Storage type of a variable (array) element. */
export const miMATRIX = 14;
/** Storage type of a zlib-compressed element holding one `miMATRIX`. */
export const miCOMPRESSED = 15;
/** Storage type of UTF-8 text (names written by some writers). */
export const miUTF8 = 16;

/** Bytes per element of each numeric storage type (index = mi type). */
export const MI_SIZE: Readonly<Record<number, number>> = {
  [miINT8]: 1,
  [miUINT8]: 1,
  [miINT16]: 2,
  [miUINT16]: 2,
  [miINT32]: 4,
  [miUINT32]: 4,
  [miSINGLE]: 4,
  [miDOUBLE]: 8,
  [miINT64]: 8,
  [miUINT64]: 8,
};

/** MATLAB class of each numeric mx class number. */
export const CLASS_OF_MX: Readonly<Record<number, MatClass>> = {
  6: "double",
  7: "single",
  8: "int8",
  9: "uint8",
  10: "int16",
  11: "uint16",
  12: "int32",
  13: "uint32",
  14: "int64",
  15: "uint64",
};

/** Names of the classes cmrxkit does not read. */
export const OTHER_MX: Readonly<Record<number, string>> = {
  1: "cell",
  2: "struct",
  3: "object",
  4: "char",
  5: "sparse",
  16: "function handle",
  17: "opaque object",
};

/** Class number of an opaque object (its element has no dims). */
export const mxOPAQUE = 17;
/** Array flag: the variable is complex (has an imaginary part). */
export const FLAG_COMPLEX = 0x0800;
/** Array flag: the variable is logical. */
export const FLAG_LOGICAL = 0x0200;

/** How each class is written: mx class number and storage type. */
export const WRITE_AS: Readonly<Record<MatClass, { mx: number; mi: number }>> = {
  double: { mx: 6, mi: miDOUBLE },
  single: { mx: 7, mi: miSINGLE },
  int8: { mx: 8, mi: miINT8 },
  uint8: { mx: 9, mi: miUINT8 },
  int16: { mx: 10, mi: miINT16 },
  uint16: { mx: 11, mi: miUINT16 },
  int32: { mx: 12, mi: miINT32 },
  uint32: { mx: 13, mi: miUINT32 },
  int64: { mx: 14, mi: miINT64 },
  uint64: { mx: 15, mi: miUINT64 },
  logical: { mx: 9, mi: miUINT8 },
};

/** Value range `[lo, hi)` of the integer classes (bounds exact as doubles). */
export const INT_RANGE: Readonly<Partial<Record<MatClass, readonly [number, number]>>> = {
  int8: [-(2 ** 7), 2 ** 7],
  uint8: [0, 2 ** 8],
  int16: [-(2 ** 15), 2 ** 15],
  uint16: [0, 2 ** 16],
  int32: [-(2 ** 31), 2 ** 31],
  uint32: [0, 2 ** 32],
  int64: [-(2 ** 63), 2 ** 63],
  uint64: [0, 2 ** 64],
  logical: [0, 2],
};

/** Whether this machine is little-endian. */
export const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Largest variable MAT v5 can hold (bytes of its miMATRIX element). */
export const MAX_ELEMENT_BYTES = 2 ** 31 - 1;

/** `n` rounded up to a multiple of 8 (elements are 8-byte aligned). */
export function pad8(n: number): number {
  return n + ((8 - (n % 8)) % 8);
}

/** Drops trailing singleton dims beyond the second and pads to two dims, as MATLAB does. */
export function matlabDims(raw: readonly number[]): number[] {
  const d = raw.slice();
  while (d.length > 2 && d[d.length - 1] === 1) d.pop();
  while (d.length < 2) d.push(1);
  return d;
}

/** Dims as `AxBxC`, for messages. */
export function dimsText(dims: readonly number[]): string {
  return dims.join("x");
}

/** Reverses the byte order of each `size`-byte element of `u8`, in place. */
export function swapBytes(u8: Uint8Array, size: number): void {
  for (let i = 0; i + size <= u8.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = u8[a];
      u8[a] = u8[b];
      u8[b] = t;
    }
  }
}
