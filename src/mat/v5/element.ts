/**
 * Parsing one MAT v5 data element: the `miMATRIX` element of a variable (array flags, dims,
 * name, real and imaginary parts) and the `miCOMPRESSED` element wrapping one in a zlib
 * stream, inflated in bounded steps. Dims are returned as MATLAB dims (column-major), complex
 * data interleaved `(re, im)`; see {@link MatArray}. The file-level walk is in `read.ts`.
 *
 * @module
 */

import { errorMessage, MatFormatError } from "../../errors.ts";
import {
  boundedInflate,
  InflateError,
  inflatePrefix,
  MAX_COMPRESSION_RATIO,
} from "../../inflate.ts";
import { type MatArray, type MatClass, type MatVarInfo, numel } from "../types.ts";
import {
  CLASS_OF_MX,
  dimsText,
  FLAG_COMPLEX,
  FLAG_LOGICAL,
  HOST_LE,
  matlabDims,
  MAX_ELEMENT_BYTES,
  MI_SIZE,
  miDOUBLE,
  miINT16,
  miINT32,
  miINT64,
  miINT8,
  miMATRIX,
  miSINGLE,
  miUINT16,
  miUINT32,
  miUINT8,
  miUTF8,
  mxOPAQUE,
  OTHER_MX,
  pad8,
  swapBytes,
} from "./format.ts";

/** The fix named when a file is truncated or corrupt. */
export const HINT_CORRUPT = "the file is truncated or corrupt; copy or download it again";
/** Decompressed bytes enough for the header (flags, dims, name) of any sensible variable. */
const HEAD_BYTES = 1024;
/** Extra inflated bytes tolerated after the declared miMATRIX element (writers' padding). */
const INFLATE_SLACK = 4096;

/** One variable found while scanning a file. */
export interface Entry {
  name: string;
  /** Numeric/logical variables have `info`; others only `kind` (e.g. "struct"). */
  kind: string;
  info?: MatVarInfo;
  array?: MatArray;
  /** Dims of a variable of another class. */
  dims?: number[];
  /** Set when the element is damaged (in a tolerant scan): why. `info` is kept when the
   * header could be read. */
  error?: MatFormatError;
}

/**
 * Whether to convert a variable's data; given its info (numeric variables), it also runs
 * the caller's check before any data is inflated or converted.
 */
export type Decide = (name: string, info?: MatVarInfo) => boolean;

interface Tag {
  type: number;
  nbytes: number;
  /** Offset of the data. */
  data: number;
  /** Offset of the next element (after padding). */
  next: number;
}

/** Position and error reporting for one buffer (the file, or one inflated variable). */
export class Src {
  readonly dv: DataView;
  constructor(
    readonly buf: Uint8Array,
    readonly le: boolean,
    readonly file: string,
    /** Prefix for offsets in messages, e.g. "compressed variable at byte 128, inflated ". */
    readonly where: string,
  ) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  fail(message: string, at?: number, hint = HINT_CORRUPT): never {
    const pos = at === undefined ? "" : ` (${this.where}byte ${at})`;
    throw new MatFormatError(message + pos, { file: this.file, hint });
  }

  /** Reads the data element tag at `pos`, which must lie, with its data, before `end`. */
  tag(pos: number, end: number, what: string): Tag {
    if (pos + 8 > end) this.fail(`file ends inside the ${what} tag`, pos);
    const w0 = this.dv.getUint32(pos, this.le);
    if (w0 >>> 16 !== 0) {
      // small data element: (nbytes << 16) | type, data in the 4 bytes that follow
      const nbytes = w0 >>> 16;
      if (nbytes > 4) this.fail(`corrupt ${what}: small element of ${nbytes} bytes`, pos);
      return { type: w0 & 0xffff, nbytes, data: pos + 4, next: pos + 8 };
    }
    const nbytes = this.dv.getUint32(pos + 4, this.le);
    const data = pos + 8;
    if (nbytes > end - data) {
      this.fail(`${what} of ${nbytes} bytes runs past the end of its container`, pos);
    }
    return { type: w0, nbytes, data, next: Math.min(data + pad8(nbytes), end) };
  }
}

const utf8 = new TextDecoder("utf-8");

type Source =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

/** A typed array over stored data: a view when aligned and in host order, else a copy. */
function sourceArray(src: Src, off: number, nbytes: number, type: number): Source {
  const size = MI_SIZE[type];
  const n = nbytes / size;
  let buffer: ArrayBufferLike = src.buf.buffer;
  let at = src.buf.byteOffset + off;
  if (size > 1 && (src.le !== HOST_LE || at % size !== 0)) {
    const copy = src.buf.slice(off, off + nbytes);
    if (src.le !== HOST_LE) swapBytes(copy, size);
    buffer = copy.buffer;
    at = 0;
  }
  switch (type) {
    case miINT8:
      return new Int8Array(buffer, at, n);
    case miUINT8:
      return new Uint8Array(buffer, at, n);
    case miINT16:
      return new Int16Array(buffer, at, n);
    case miUINT16:
      return new Uint16Array(buffer, at, n);
    case miINT32:
      return new Int32Array(buffer, at, n);
    case miUINT32:
      return new Uint32Array(buffer, at, n);
    case miSINGLE:
      return new Float32Array(buffer, at, n);
    case miDOUBLE:
      return new Float64Array(buffer, at, n);
    case miINT64:
      return new BigInt64Array(buffer, at, n);
    default:
      return new BigUint64Array(buffer, at, n);
  }
}

/** Copies `s` into `out` (real) or into its re (part 0) / im (part 1) slots (complex). */
function fill(
  out: Float32Array | Float64Array,
  s: Source,
  complex: boolean,
  part: 0 | 1,
): void {
  const n = s.length;
  if (s instanceof BigInt64Array || s instanceof BigUint64Array) {
    const step = complex ? 2 : 1;
    const first = complex ? part : 0;
    for (let i = 0; i < n; i++) out[step * i + first] = Number(s[i]);
  } else if (!complex) {
    out.set(s);
  } else {
    for (let i = 0; i < n; i++) out[2 * i + part] = s[i];
  }
}

/**
 * Parses the miMATRIX element whose data spans `[start, end)` of `src` (`limit`: where the
 * element really ends, past `end` when `src` holds only its inflated start). Returns null
 * for an unnamed variable (MATLAB's subsystem data). Converts the data only when `decode`
 * is true; otherwise checks the tags of the data parts it holds against the dims.
 */
export function parseMatrix(src: Src, start: number, end: number, decode: Decide, limit = end) {
  if (start === end) return null; // empty miMATRIX
  const dv = src.dv;
  const le = src.le;
  const ft = src.tag(start, end, "array flags");
  if (ft.type !== miUINT32 || ft.nbytes < 4) {
    src.fail(`array flags have type ${ft.type} and ${ft.nbytes} bytes, not miUINT32`, start);
  }
  const flags = dv.getUint32(ft.data, le);
  const mx = flags & 0xff;
  let pos = ft.next;

  let rawDims: number[] = [];
  if (mx !== mxOPAQUE) {
    const dt = src.tag(pos, end, "dimensions");
    if ((dt.type !== miINT32 && dt.type !== miUINT32) || dt.nbytes % 4 !== 0) {
      src.fail(`dimensions have type ${dt.type} and ${dt.nbytes} bytes, not miINT32`, pos);
    }
    for (let k = 0; k < dt.nbytes / 4; k++) {
      const d = dv.getInt32(dt.data + 4 * k, le);
      if (d < 0) src.fail(`negative dimension ${d}`, pos);
      rawDims.push(d);
    }
    pos = dt.next;
  }

  const nt = src.tag(pos, end, "array name");
  if (MI_SIZE[nt.type] !== 1 && nt.type !== miUTF8) {
    src.fail(`array name has type ${nt.type}, not miINT8`, pos);
  }
  const name = utf8.decode(src.buf.subarray(nt.data, nt.data + nt.nbytes)).replace(/\0+$/, "");
  pos = nt.next;
  if (name === "") return null;

  const cls = CLASS_OF_MX[mx];
  if (cls === undefined) {
    return { name, kind: OTHER_MX[mx] ?? `unknown class ${mx}`, dims: matlabDims(rawDims) };
  }
  const complex = (flags & FLAG_COMPLEX) !== 0;
  const logical = (flags & FLAG_LOGICAL) !== 0;
  if (logical && complex) src.fail(`variable '${name}' is flagged both logical and complex`, start);
  const matClass: MatClass = logical ? "logical" : cls;
  rawDims = rawDims.length ? rawDims : [1, 1];
  const dims = matlabDims(rawDims);
  const info: MatVarInfo = { name, dims, matClass, complex };
  const entry: Entry = { name, kind: matClass, info };
  if (!decode(name, info)) {
    // dims declaring data the element does not hold make the variable damaged, listed so
    checkPartTags(src, pos, limit, rawDims, complex, name);
    return entry;
  }
  const count = numel(rawDims);

  // check both parts before allocating, so corrupt dims cannot cause a huge allocation
  const parts: Tag[] = [];
  for (const what of complex ? ["real part", "imaginary part"] : ["real part"]) {
    const t = src.tag(pos, end, `${what} of '${name}'`);
    const size = MI_SIZE[t.type];
    if (size === undefined) {
      src.fail(`${what} of '${name}' has unsupported storage type ${t.type}`, pos);
    }
    checkPartSize(src, t, rawDims, what, name, pos);
    parts.push(t);
    pos = t.next;
  }
  const first = sourceArray(src, parts[0].data, parts[0].nbytes, parts[0].type);
  if (
    !complex && ((matClass === "single" && first instanceof Float32Array) ||
      (matClass === "double" && first instanceof Float64Array))
  ) {
    // same element type: keep the view (no second copy of a large variable)
    entry.array = { dims, matClass, complex, data: first };
    return entry;
  }
  const data = matClass === "single"
    ? new Float32Array(complex ? 2 * count : count)
    : new Float64Array(complex ? 2 * count : count);
  parts.forEach((t, part) => {
    fill(data, sourceArray(src, t.data, t.nbytes, t.type), complex, part as 0 | 1);
  });
  entry.array = { dims, matClass, complex, data };
  return entry;
}

/** A data part's tag holds exactly the bytes `count` elements of its storage type take. */
function checkPartSize(
  src: Src,
  t: Tag,
  rawDims: number[],
  what: string,
  name: string,
  at: number,
) {
  const count = numel(rawDims);
  const size = MI_SIZE[t.type];
  if (size === undefined) {
    src.fail(`${what} of '${name}' has unsupported storage type ${t.type}`, at);
  }
  if (t.nbytes !== count * size) {
    src.fail(
      `${what} of '${name}' holds ${t.nbytes} bytes, but ${dimsText(rawDims)} elements of ` +
        `${size} bytes need ${count * size}`,
      at,
    );
  }
}

/**
 * Checks the data parts' tags that lie in `src` (all of them in a file, those in the
 * inflated start of a compressed element) against the dims, without reading the data.
 */
function checkPartTags(
  src: Src,
  pos: number,
  limit: number,
  rawDims: number[],
  complex: boolean,
  name: string,
): void {
  for (const what of complex ? ["real part", "imaginary part"] : ["real part"]) {
    if (pos + 8 > src.buf.length) return; // not inflated yet: checked when the data is read
    const t = src.tag(pos, limit, `${what} of '${name}'`);
    checkPartSize(src, t, rawDims, what, name, pos);
    pos = t.next;
  }
}

/** Parses the miMATRIX element at the start of an inflated buffer. */
function parseInflated(src: Src, complete: boolean, decode: Decide) {
  const end = src.buf.length;
  const t = src.tag(0, complete ? end : Infinity, "compressed variable");
  if (t.type !== miMATRIX) src.fail(`compressed element holds type ${t.type}, not miMATRIX`, 0);
  return parseMatrix(src, t.data, Math.min(t.data + t.nbytes, end), decode);
}

/**
 * Inflates a whole zlib stream that must yield `size` bytes (at most {@link INFLATE_SLACK}
 * more, which are dropped): a compression bomb cannot make it allocate past that, and the
 * Adler-32 checksum is verified.
 */
function inflateExactly(comp: Uint8Array, size: number, src: Src, at: number): Uint8Array {
  let out: Uint8Array;
  try {
    out = boundedInflate(comp, size + INFLATE_SLACK, "zlib", { expected: size, padding: 7 });
  } catch (e) {
    if (!(e instanceof InflateError)) throw e;
    if (e.reason === "overflow") {
      src.fail(
        `compressed variable inflates to more than the ${size} bytes its header declares`,
        at,
      );
    }
    src.fail(`compressed variable ${e.detail}`, at);
  }
  if (out.length < size) {
    src.fail(
      `compressed variable inflates to ${out.length} bytes, but its header declares ${size}`,
      at,
    );
  }
  return out.length === size ? out : out.subarray(0, size);
}

/**
 * Reads one miCOMPRESSED element: inflates its first bytes to learn the variable's name,
 * dims and class and, only when its data is wanted (and `check` accepts it), inflates the
 * rest into a buffer of exactly the declared size.
 */
export function readCompressed(
  outer: Src,
  comp: Uint8Array,
  at: number,
  decode: Decide,
): Entry | null {
  const where = `compressed variable at byte ${at}, inflated `;
  let head: { out: Uint8Array; complete: boolean };
  try {
    head = inflatePrefix(comp, HEAD_BYTES, "zlib");
  } catch (e) {
    outer.fail(`compressed variable ${e instanceof InflateError ? e.detail : errorMessage(e)}`, at);
  }
  const headSrc = new Src(head.out, outer.le, outer.file, where);
  const t = headSrc.tag(0, head.complete ? head.out.length : Infinity, "compressed variable");
  if (t.type !== miMATRIX) headSrc.fail(`compressed element holds type ${t.type}, not miMATRIX`, 0);
  const size = 8 + t.nbytes;
  let found: Entry | null | undefined;
  let wanted = false;
  try {
    // decode() sees the info here, so the caller's check runs before the data is inflated
    found = parseMatrix(headSrc, 8, Math.min(size, head.out.length), (name, info) => {
      wanted = decode(name, info);
      return false;
    }, size);
  } catch (e) {
    // a header longer than the inflated start: inflate it all below
    if (head.complete || !(e instanceof MatFormatError)) throw e;
  }
  // checked after the header, so that a damaged variable is known by its name
  if (t.nbytes > MAX_ELEMENT_BYTES) {
    outer.fail(`compressed variable declares ${t.nbytes} bytes; MAT v5 holds at most 2 GiB`, at);
  }
  if (size > comp.length * MAX_COMPRESSION_RATIO + HEAD_BYTES) {
    outer.fail(
      `compressed variable declares ${size} bytes inflated, more than its ${comp.length} ` +
        "compressed bytes can hold",
      at,
    );
  }
  if (found === null || (found && (!found.info || !wanted))) return found;
  const inner = inflateExactly(comp, size, outer, at);
  const again = found ? (name: string) => decode(name) : decode;
  return parseInflated(new Src(inner, outer.le, outer.file, where), true, again);
}
