/**
 * How the HDF5 element types of a MAT v7.3 variable map to MATLAB classes, and converting
 * raw element bytes (little-endian, interleaved `(re, im)` when complex) to float arrays.
 * Also the limits, filter names and fixes the reader reports. Dims are MATLAB dims: an
 * HDF5 shape reversed (see `h5.ts`).
 *
 * @module
 */

import type { MatClass } from "../types.ts";
import { H5T_COMPOUND, H5T_ENUM, H5T_FLOAT, H5T_INTEGER } from "./h5.ts";

/** How an HDF5 element type maps to MATLAB's view of it. */
export interface ElementType {
  /** bytes per element as stored (both parts for complex) */
  size: number;
  /** bytes per scalar part */
  part: number;
  kind: "float" | "int" | "uint";
  complex: boolean;
}

/** A stored type cmrxkit cannot read as a numeric array: what it is and why. */
export interface UnusableType {
  stored: string;
  reason: string;
}

/** The fix for a variable of a type cmrxkit does not read. */
export const HINT_TYPES =
  "cmrxkit reads numeric arrays (single or double, real or complex {real, imag}), and integer " +
  "and logical masks; save the variable as one of those";

/** Names of HDF5 type classes that are never numeric arrays. */
const OTHER_TYPES: Readonly<Record<number, string>> = {
  2: "a time",
  3: "a string",
  4: "a bitfield",
  5: "opaque data",
  7: "object references (a MATLAB cell or struct)",
  9: "variable-length data",
  10: "an HDF5 array type",
};

/** What an HDF5 dataset's type (h5wasm metadata) is to MATLAB, or why it is unusable. */
export function elementType(md: Record<string, unknown>): ElementType | UnusableType {
  const type = md.type as number;
  const size = md.size as number;
  if ((type === H5T_FLOAT || type === H5T_INTEGER || type === H5T_ENUM) && !md.littleEndian) {
    return {
      stored: "big-endian data",
      reason: "holds big-endian numbers, which cmrxkit does not read",
    };
  }
  if (type === H5T_FLOAT && (size === 4 || size === 8)) {
    return { size, part: size, kind: "float", complex: false };
  }
  if (type === H5T_FLOAT) {
    const stored = `float${size * 8}`;
    return { stored, reason: `is ${stored}${size === 2 ? " (half precision)" : ""}` };
  }
  if ((type === H5T_INTEGER || type === H5T_ENUM) && [1, 2, 4, 8].includes(size)) {
    // an enum (h5py stores numpy bool so) reads as its integer values
    return { size, part: size, kind: md.signed ? "int" : "uint", complex: false };
  }
  if (type === H5T_COMPOUND) {
    const ct = md.compound_type as { members: Record<string, unknown>[] } | undefined;
    const members = ct?.members ?? [];
    const re = members.find((m) => m.name === "real");
    const im = members.find((m) => m.name === "imag");
    if (
      members.length === 2 && re && im && re.type === H5T_FLOAT && im.type === H5T_FLOAT &&
      re.size === im.size && (re.size === 4 || re.size === 8) && re.offset === 0 &&
      im.offset === re.size && re.littleEndian && im.littleEndian
    ) {
      return { size, part: re.size as number, kind: "float", complex: true };
    }
    const stored = `compound {${members.map((m) => String(m.name)).join(", ")}}`;
    return {
      stored,
      reason: `is a ${stored} with ${members.length} member(s), not a complex {real, imag} ` +
        "pair of single or double",
    };
  }
  const what = OTHER_TYPES[type] ?? `HDF5 type class ${type}`;
  return { stored: what.replace(/^an? /, ""), reason: `holds ${what}` };
}

/** The MATLAB class of a readable element type. */
export function classFromType(t: ElementType): MatClass {
  if (t.kind === "float") return t.part === 4 ? "single" : "double";
  return `${t.kind}${t.size * 8}` as MatClass;
}

/** MATLAB dims from an HDF5 shape: reversed, padded to at least 2. */
export function matlabDims(h5shape: number[]): number[] {
  const dims = [...h5shape].reverse();
  while (dims.length < 2) dims.push(1);
  return dims;
}

/**
 * Converts raw element bytes (a view that may point into the wasm heap) to float data,
 * interleaved when complex, into `out` when given (its length must fit) or a new array.
 */
export function convert(
  bytes: Uint8Array,
  t: ElementType,
  precision: "float32" | "float64",
  out?: Float32Array | Float64Array,
): Float32Array | Float64Array {
  const n = bytes.byteLength / t.part;
  const Ctor = precision === "float32" ? Float32Array : Float64Array;
  const dst = out ?? new Ctor(n);
  if (t.kind === "float" && (t.part === 4) === dst instanceof Float32Array) {
    // Same element type: one memcpy into the destination's bytes.
    new Uint8Array(dst.buffer, dst.byteOffset, bytes.byteLength).set(bytes);
    return dst;
  }
  if (t.kind === "float") {
    const aligned = bytes.slice(); // element views need aligned offsets
    dst.set(t.part === 4 ? new Float32Array(aligned.buffer) : new Float64Array(aligned.buffer));
    return dst;
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) {
    const p = i * t.size;
    switch (t.size) {
      case 1:
        dst[i] = t.kind === "int" ? dv.getInt8(p) : dv.getUint8(p);
        break;
      case 2:
        dst[i] = t.kind === "int" ? dv.getInt16(p, true) : dv.getUint16(p, true);
        break;
      case 4:
        dst[i] = t.kind === "int" ? dv.getInt32(p, true) : dv.getUint32(p, true);
        break;
      default:
        dst[i] = Number(t.kind === "int" ? dv.getBigInt64(p, true) : dv.getBigUint64(p, true));
    }
  }
  return dst;
}

/** The most bytes a variable may declare (CMRxRecon files are a few GB). */
export const MAX_DECLARED_BYTES = 2 ** 40;

/** HDF5 filters the bundled libhdf5 decodes: deflate, shuffle, fletcher32, n-bit, scale-offset. */
export const BUILTIN_FILTERS = new Set([1, 2, 3, 5, 6]);
/** Names of common third-party HDF5 filters (registered filter ids). */
const FILTER_NAMES: Readonly<Record<number, string>> = {
  4: "szip",
  307: "bzip2",
  32000: "LZF",
  32001: "Blosc",
  32004: "LZ4",
  32008: "bitshuffle",
  32015: "Zstandard",
  32026: "Blosc2",
};
/** The fix for a variable compressed with a filter cmrxkit cannot decode. */
export const HINT_FILTER =
  "re-save it with gzip (deflate) compression, e.g. `h5repack -f GZIP=4 in.mat out.mat` " +
  "(cmrxkit reads the result with or without MATLAB's header) or MATLAB `save(file, '-v7.3')`";
/** The fix for a corrupt or truncated file. */
export const HINT_CORRUPT = "the file is corrupt or truncated: download or copy it again";

/** An HDF5 filter's common name and id, for messages. */
export function filterName(f: { id: number; name?: string }): string {
  return `${FILTER_NAMES[f.id] ?? (f.name || "unknown")} (HDF5 filter ${f.id})`;
}

/** A byte count in binary units, for messages (e.g. `1.50 GiB`). */
export function bytesText(n: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0
    ? `${n} bytes`
    : n < 1e4
    ? `${n.toPrecision(3)} ${units[i]}`
    : `${n.toExponential(2)} ${units[i]}`;
}
