/**
 * MAT v5 ("Level 5") reader and writer: the format of MATLAB `save -v6` (uncompressed) and
 * `save -v7` (zlib-compressed variables), Octave `save -v6`/`-v7` and `scipy.io.savemat`.
 *
 * Layout (MathWorks "MAT-File Format"): a 128-byte header (116 bytes of text beginning
 * `MATLAB 5.0 MAT-file`, an 8-byte subsystem offset, the uint16 version `0x0100` and the
 * endian indicator `"IM"`, which reads `"MI"` in a big-endian file), then one data element
 * per variable: `miMATRIX` (array flags, dims, name, real part, imaginary part) or
 * `miCOMPRESSED` wrapping a zlib stream that inflates to one `miMATRIX` element.
 *
 * Dims are MATLAB dims, column-major, exactly what MATLAB `size()` and `scipy.io.loadmat`
 * report: element `(i0, i1, i2, ...)` (0-based) is at flat index `i0 + d0 * (i1 + d1 * (...))`.
 * Complex data is interleaved `(re, im)`. See {@link MatArray}.
 *
 * Reading returns every numeric and logical variable; cell, struct, char, sparse, function and
 * object variables are skipped (asking for one by name raises a {@link MatFormatError}).
 *
 * @module
 */

import { zlibSync } from "fflate";
import { CmrxError, MatFormatError, MatVariableError, ShapeError } from "../errors.ts";
import { assertNotSpecial } from "../fsutil.ts";
import { boundedInflate, InflateError, inflatePrefix, MAX_COMPRESSION_RATIO } from "../inflate.ts";
import { outputDate } from "../reproducible.ts";
import { tempPathFor } from "../tempname.ts";
import { type MatArray, type MatClass, type MatVarInfo, numel } from "./types.ts";

// ------------------------------------------------------------------------------- constants

const miINT8 = 1;
const miUINT8 = 2;
const miINT16 = 3;
const miUINT16 = 4;
const miINT32 = 5;
const miUINT32 = 6;
const miSINGLE = 7;
const miDOUBLE = 9;
const miINT64 = 12;
const miUINT64 = 13;
const miMATRIX = 14;
const miCOMPRESSED = 15;
const miUTF8 = 16;

/** Bytes per element of each numeric storage type (index = mi type). */
const MI_SIZE: Readonly<Record<number, number>> = {
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
const CLASS_OF_MX: Readonly<Record<number, MatClass>> = {
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
const OTHER_MX: Readonly<Record<number, string>> = {
  1: "cell",
  2: "struct",
  3: "object",
  4: "char",
  5: "sparse",
  16: "function handle",
  17: "opaque object",
};

const mxOPAQUE = 17;
const FLAG_COMPLEX = 0x0800;
const FLAG_LOGICAL = 0x0200;

/** How each class is written: mx class number and storage type. */
const WRITE_AS: Readonly<Record<MatClass, { mx: number; mi: number }>> = {
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
const INT_RANGE: Readonly<Partial<Record<MatClass, readonly [number, number]>>> = {
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

const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HINT_CORRUPT = "the file is truncated or corrupt; copy or download it again";
const HINT_FORMAT =
  "expected a MAT file saved by MATLAB/Octave with -v6 or -v7, or by scipy.io.savemat";
/** Decompressed bytes enough for the header (flags, dims, name) of any sensible variable. */
const HEAD_BYTES = 1024;
/** Largest variable MAT v5 can hold (bytes of its miMATRIX element). */
const MAX_ELEMENT_BYTES = 2 ** 31 - 1;
/** Extra inflated bytes tolerated after the declared miMATRIX element (writers' padding). */
const INFLATE_SLACK = 4096;

/** Options of the MAT v5 readers. */
export interface MatV5ReadOptions {
  /**
   * Called with each numeric variable's name, dims and class before its data is inflated
   * or converted; throw (a `CmrxError`) to refuse it, e.g. when the dims are not what the
   * caller expects. A 1 MB compressed variable can inflate to 1 GiB: check before that.
   */
  check?: (info: MatVarInfo) => void;
}

// ---------------------------------------------------------------------------------- reading

/** One variable found while scanning a file. */
interface Entry {
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

/** Which variables' data to convert while scanning. */
type Want = ({ all: true } | { all: false; name?: string }) & {
  check?: (info: MatVarInfo) => void;
  /**
   * Record a damaged element whose extent is intact as a damaged entry (named when its
   * header got that far) and go on to the next, instead of failing the whole scan.
   */
  tolerant?: boolean;
};

/**
 * Whether to convert a variable's data; given its info (numeric variables), it also runs
 * the caller's check before any data is inflated or converted.
 */
type Decide = (name: string, info?: MatVarInfo) => boolean;

interface Tag {
  type: number;
  nbytes: number;
  /** Offset of the data. */
  data: number;
  /** Offset of the next element (after padding). */
  next: number;
}

/** Position and error reporting for one buffer (the file, or one inflated variable). */
class Src {
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

function pad8(n: number): number {
  return n + ((8 - (n % 8)) % 8);
}

function latin1(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

const utf8 = new TextDecoder("utf-8");

/** Drops trailing singleton dims beyond the second and pads to two dims, as MATLAB does. */
function matlabDims(raw: readonly number[]): number[] {
  const d = raw.slice();
  while (d.length > 2 && d[d.length - 1] === 1) d.pop();
  while (d.length < 2) d.push(1);
  return d;
}

function dimsText(dims: readonly number[]): string {
  return dims.join("x");
}

/** Reverses the byte order of each `size`-byte element of `u8`, in place. */
function swapBytes(u8: Uint8Array, size: number): void {
  for (let i = 0; i + size <= u8.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = u8[a];
      u8[a] = u8[b];
      u8[b] = t;
    }
  }
}

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
function fill(out: Float32Array | Float64Array, s: Source, complex: boolean, part: 0 | 1): void {
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
function parseMatrix(src: Src, start: number, end: number, decode: Decide, limit = end) {
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
function readCompressed(
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
    outer.fail(`compressed variable ${e instanceof InflateError ? e.detail : errText(e)}`, at);
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

/** Walks the file and returns its variables in file order. */
function scan(bytes: Uint8Array, file: string, want: Want): Entry[] {
  try {
    return scanUnchecked(bytes, file, want);
  } catch (e) {
    if (e instanceof CmrxError) throw e;
    // safety net: nothing a file contains may escape as a RangeError or similar
    throw new MatFormatError(`corrupt MAT v5 file (${e instanceof Error ? e.message : e})`, {
      file,
      hint: HINT_CORRUPT,
      cause: e,
    });
  }
}

function scanUnchecked(bytes: Uint8Array, file: string, want: Want): Entry[] {
  const text = latin1(bytes.subarray(0, 116));
  if (!text.startsWith("MATLAB")) {
    throw new MatFormatError("not a MAT file: it does not begin with 'MATLAB'", {
      file,
      hint: HINT_FORMAT + " (MAT v4 files are not supported)",
    });
  }
  if (bytes.length < 128) {
    throw new MatFormatError(`file ends inside the 128-byte MAT header (${bytes.length} bytes)`, {
      file,
      hint: HINT_CORRUPT,
    });
  }
  const endian = latin1(bytes.subarray(126, 128));
  if (endian !== "IM" && endian !== "MI") {
    throw new MatFormatError(
      `not a MAT v5 file: endian indicator at byte 126 is ${JSON.stringify(endian)}, ` +
        `not "IM" or "MI"`,
      { file, hint: HINT_FORMAT },
    );
  }
  const le = endian === "IM";
  const src: Src = new Src(bytes, le, file, "");
  const version = src.dv.getUint16(124, le);
  if (text.startsWith("MATLAB 7.3") || version === 0x0200) {
    throw new MatFormatError("this is a MAT v7.3 (HDF5) file, not MAT v5", {
      file,
      hint: "read it with the MAT v7.3 (HDF5) reader",
    });
  }
  if (!text.startsWith("MATLAB 5.0") || version !== 0x0100) {
    throw new MatFormatError(
      `not a MAT v5 file: header text ${JSON.stringify(text.slice(0, 20))}, ` +
        `version 0x${version.toString(16).padStart(4, "0")} (expected "MATLAB 5.0", 0x0100)`,
      { file, hint: HINT_FORMAT },
    );
  }

  /** The variable whose element is being read, once its header has named it. */
  let current: { name: string; info?: MatVarInfo } | undefined;
  const decode: Decide = (name, info) => {
    current = { name, info: info ?? current?.info };
    const yes = want.all || want.name === name;
    if (yes && info) want.check?.(info);
    return yes;
  };
  const entries: Entry[] = [];
  let pos = 128;
  while (pos < bytes.length) {
    if (bytes.length - pos < 8) src.fail("file ends inside a data element tag", pos);
    const type = src.dv.getUint32(pos, le);
    const nbytes = src.dv.getUint32(pos + 4, le);
    if (type === 0 && nbytes === 0) {
      pos += 8; // stray padding
      continue;
    }
    if (nbytes > bytes.length - pos - 8) {
      src.fail(
        `variable element of ${nbytes} bytes runs past the end of the file ` +
          `(${bytes.length} bytes)`,
        pos,
      );
    }
    if (type !== miCOMPRESSED && type !== miMATRIX) {
      src.fail(
        `unexpected data element type ${type} at top level (expected miMATRIX or miCOMPRESSED)`,
        pos,
      );
    }
    let entry: Entry | null = null;
    current = undefined;
    try {
      entry = type === miCOMPRESSED
        ? readCompressed(src, bytes.subarray(pos + 8, pos + 8 + nbytes), pos, decode)
        : parseMatrix(src, pos + 8, pos + 8 + nbytes, decode);
    } catch (e) {
      // the element's extent is intact: the next one can still be read
      if (!want.tolerant || !(e instanceof MatFormatError)) throw e;
      const c = current as { name: string; info?: MatVarInfo } | undefined;
      entry = {
        name: c?.name ?? `(damaged element at byte ${pos})`,
        kind: "damaged variable",
        info: c?.info,
        error: e,
      };
    }
    pos += 8 + (type === miCOMPRESSED ? nbytes : pad8(nbytes));
    if (entry) entries.push(entry);
  }
  return entries;
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** `is damaged: <what the error says>`, without its file name and fix. */
function damageText(e: MatFormatError): string {
  let m = e.message;
  if (e.file && m.startsWith(`${e.file}: `)) m = m.slice(e.file.length + 2);
  const fix = m.indexOf("\n  fix: ");
  return `is damaged: ${fix < 0 ? m : m.slice(0, fix)}`;
}

function describe(entries: readonly Entry[]): string {
  if (entries.length === 0) return "the file holds no variables";
  return "variables present: " +
    entries.map((e) =>
      e.error
        ? `${e.name} (damaged)`
        : e.info
        ? `${e.name} (${e.info.complex ? "complex " : ""}${e.info.matClass} ${
          dimsText(e.info.dims)
        })`
        : `${e.name} (${e.kind}, not read)`
    ).join(", ");
}

function pick(entries: readonly Entry[], name: string, file: string): MatArray {
  let found: Entry | undefined;
  for (const e of entries) if (e.name === name) found = e;
  if (!found) {
    const damaged = entries.find((e) => e.error);
    if (damaged) {
      // it may be the damaged one
      throw new MatFormatError(
        `no readable variable '${name}'; ${describe(entries)}; ${damaged.name} ` +
          damageText(damaged.error!),
        { file, hint: HINT_CORRUPT, cause: damaged.error },
      );
    }
    throw new MatVariableError(`no variable '${name}'; ${describe(entries)}`, {
      file,
      hint: "check the variable name (names are case-sensitive)",
    });
  }
  if (found.error) throw found.error;
  if (!found.array) {
    throw new MatFormatError(
      `variable '${name}' is a ${found.kind}; cmrxkit reads only numeric and logical arrays`,
      { file, hint: "save the data as a numeric array (single or double)" },
    );
  }
  return found.array;
}

/**
 * Parses a MAT v5 file and returns every numeric and logical variable, by name, in file order.
 *
 * Dims are MATLAB dims (`size()` in MATLAB, `.shape` in `scipy.io.loadmat`), column-major,
 * with trailing singleton dims beyond the second dropped; complex data is interleaved
 * `(re, im)`. `data` is a Float32Array for class `single` and a Float64Array for every other
 * class (integer and logical values are exact; int64/uint64 beyond 2^53 are rounded).
 * Cell, struct, char, sparse, function and object variables are skipped. Compressed (`-v7`)
 * and big-endian files are read. If a name occurs twice, the later variable wins.
 *
 * @param bytes the whole file
 * @param file path used in error messages
 * @throws {MatFormatError} not a MAT v5 file, or truncated or corrupt
 */
export function parseMatV5(
  bytes: Uint8Array,
  file: string,
  opts: MatV5ReadOptions = {},
): Map<string, MatArray> {
  const out = new Map<string, MatArray>();
  for (const e of scan(bytes, file, { all: true, check: opts.check })) {
    if (e.array) out.set(e.name, e.array);
  }
  return out;
}

/**
 * Parses one variable of a MAT v5 file, converting only its data (other compressed variables
 * are inflated only as far as their headers). Dims and data as in {@link parseMatV5}.
 *
 * Another variable that is damaged is passed over; when `name` is not found and some
 * variable is damaged, that one may be it and the damage is reported.
 *
 * @throws {MatVariableError} the file has no variable `name` (the message lists those present)
 * @throws {MatFormatError} `name` is not a numeric or logical array, it (or a variable that
 *   may be it) is damaged, or the file is not a readable MAT v5 file
 */
export function parseMatV5Var(
  bytes: Uint8Array,
  file: string,
  name: string,
  opts: MatV5ReadOptions = {},
): MatArray {
  const entries = scan(bytes, file, { all: false, name, check: opts.check, tolerant: true });
  return pick(entries, name, file);
}

/**
 * Lists the numeric and logical variables of a MAT v5 file (name, MATLAB dims as in
 * {@link parseMatV5}, class, complex) without converting their data; compressed variables are
 * inflated only as far as their headers, so a truncated data part may go unnoticed.
 * Variables of other classes (cell, struct, char, ...) are not listed.
 *
 * @throws {MatFormatError} not a MAT v5 file, or a header is truncated or corrupt
 */
export function listMatV5(bytes: Uint8Array, file: string): MatVarInfo[] {
  const out: MatVarInfo[] = [];
  for (const e of scan(bytes, file, { all: false })) if (e.info) out.push(e.info);
  return out;
}

/**
 * Lists every variable of a MAT v5 file like {@link listMatV5}, but also those of other
 * classes (cell, struct, char, sparse, ...), with {@link MatVarInfo.unusable} saying what
 * they are; their `matClass` is then `double` and `stored` names the class. A damaged
 * variable (corrupt header, dims its data does not fill, a compressed element declaring
 * more than it can hold) is listed too, `damaged` and `unusable` saying why, by name when
 * its header got that far (else as `(damaged element at byte N)`), and the listing goes on.
 *
 * @throws {MatFormatError} not a MAT v5 file, or the file's layout of variables is broken
 *   (a variable runs past the end of the file, an element of unknown type)
 */
export function listMatV5All(bytes: Uint8Array, file: string): MatVarInfo[] {
  return scan(bytes, file, { all: false, tolerant: true }).map((e): MatVarInfo =>
    e.error
      ? {
        name: e.name,
        dims: e.info?.dims ?? [],
        matClass: e.info?.matClass ?? "double",
        complex: e.info?.complex ?? false,
        ...(e.info ? {} : { stored: "unreadable data" }),
        unusable: damageText(e.error),
        damaged: true,
      }
      : e.info ?? {
        name: e.name,
        dims: e.dims ?? [0, 0],
        matClass: "double",
        complex: false,
        stored: e.kind,
        unusable: `is a MATLAB ${e.kind}, not a numeric array`,
      }
  );
}

/** The bytes of an input file; anything but a regular file (a FIFO would block) is refused. */
async function readInput(path: string): Promise<Uint8Array> {
  await assertNotSpecial(path, "MATLAB file");
  return await Deno.readFile(path);
}

/**
 * Reads a MAT v5 file from disk; see {@link parseMatV5} for dims order and data types.
 *
 * @throws {MatFormatError} not a MAT v5 file, or truncated or corrupt
 * @throws {Deno.errors.NotFound} and other file-system errors, unchanged
 */
export async function readMatV5(
  path: string,
  opts: MatV5ReadOptions = {},
): Promise<Map<string, MatArray>> {
  return parseMatV5(await readInput(path), path, opts);
}

/**
 * Reads one variable of a MAT v5 file from disk; see {@link parseMatV5Var}.
 * Dims are MATLAB dims (column-major), e.g. `[x, y, slice, frame]` for `img4ranking`.
 *
 * @throws {MatVariableError} the file has no variable `name` (the message lists those present)
 * @throws {MatFormatError} `name` is not numeric/logical, or the file is not valid MAT v5
 */
export async function readMatV5Var(
  path: string,
  name: string,
  opts: MatV5ReadOptions = {},
): Promise<MatArray> {
  return parseMatV5Var(await readInput(path), path, name, opts);
}

// ---------------------------------------------------------------------------------- writing

/** A variable to write: a MATLAB name and an array with MATLAB (column-major) dims. */
export interface MatV5Var {
  /** MATLAB identifier: a letter, then letters, digits or `_`; at most 63 characters. */
  name: string;
  /** The array; its `dims` are MATLAB dims, `data` is column-major, complex interleaved. */
  array: MatArray;
}

/** Options of {@link encodeMatV5} and {@link writeMatV5}. */
export interface MatV5WriteOptions {
  /** Wrap each variable in a zlib `miCOMPRESSED` element as `save -v7` does (default false). */
  compress?: boolean;
  /** zlib level 0-9 when compressing (default 6). */
  level?: number;
  /**
   * Header text (at most 116 ASCII characters); "MATLAB 5.0 MAT-file, " is prepended when it
   * does not begin so. Default: "MATLAB 5.0 MAT-file, Platform: <os-arch>, Created on:
   * <date> UTC by cmrxkit".
   */
  header?: string;
  /**
   * Date for the default header. Default: `SOURCE_DATE_EPOCH` (seconds, the
   * reproducible-builds convention) when set, else a fixed epoch (1980-01-01), so two
   * writes of the same data give the same bytes (see `src/reproducible.ts`).
   */
  date?: Date;
  /** File name for error messages (writeMatV5 passes its path). */
  file?: string;
}

const NAME_RE = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function headerText(opts: MatV5WriteOptions, file: string): string {
  let text: string;
  if (opts.header !== undefined) {
    text = opts.header.startsWith("MATLAB 5.0 MAT-file")
      ? opts.header
      : `MATLAB 5.0 MAT-file, ${opts.header}`;
    if (text.length > 116 || !/^[\x20-\x7e]*$/.test(text)) {
      throw new MatFormatError(
        `header text must be at most 116 printable ASCII characters (got ${text.length})`,
        { file, hint: "shorten the header option" },
      );
    }
    return text;
  }
  const d = opts.date ?? outputDate();
  const two = (n: number) => String(n).padStart(2, "0");
  const date = `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${
    String(d.getUTCDate()).padStart(2, " ")
  } ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${
    two(d.getUTCSeconds())
  } ${d.getUTCFullYear()}`;
  const platform = typeof Deno !== "undefined" ? `${Deno.build.os}-${Deno.build.arch}` : "js";
  text = `MATLAB 5.0 MAT-file, Platform: ${platform}, Created on: ${date} UTC by cmrxkit`;
  return text.slice(0, 116);
}

function makeHeader(text: string): Uint8Array {
  const h = new Uint8Array(128);
  h.fill(0x20, 0, 116);
  for (let i = 0; i < text.length; i++) h[i] = text.charCodeAt(i);
  // bytes 116..123: subsystem data offset, zero (none)
  const dv = new DataView(h.buffer);
  dv.setUint16(124, 0x0100, true);
  h[126] = 0x49; // 'I'
  h[127] = 0x4d; // 'M'
  return h;
}

/** A validated variable with its element layout. */
interface Plan {
  name: string;
  array: MatArray;
  dims: number[];
  mx: number;
  mi: number;
  flags: number;
  count: number;
  /** Bytes of the miMATRIX element, tag included. */
  size: number;
}

function plan(v: MatV5Var, file: string): Plan {
  const { name, array } = v;
  if (typeof name !== "string" || !NAME_RE.test(name)) {
    throw new MatFormatError(`invalid MATLAB variable name ${JSON.stringify(name)}`, {
      file,
      hint: "a name starts with a letter, holds only letters, digits and '_', " +
        "and has at most 63 characters",
    });
  }
  const how = WRITE_AS[array.matClass];
  if (how === undefined) {
    throw new ShapeError(`variable '${name}': unknown class ${JSON.stringify(array.matClass)}`, {
      file,
      hint: "use single, double, an integer class or logical",
    });
  }
  if (array.matClass === "logical" && array.complex) {
    throw new ShapeError(`variable '${name}': a logical array cannot be complex`, {
      file,
      hint: "write the real part only, or use class double",
    });
  }
  for (const d of array.dims) {
    if (!Number.isInteger(d) || d < 0 || d > 2147483647) {
      throw new ShapeError(`variable '${name}': invalid dimension ${d} in [${array.dims}]`, {
        file,
        hint: "dims must be non-negative integers below 2^31",
      });
    }
  }
  const dims = matlabDims(array.dims);
  const count = numel(dims);
  const want = array.complex ? 2 * count : count;
  if (array.data.length !== want) {
    throw new ShapeError(
      `variable '${name}': dims ${dimsText(dims)}${array.complex ? " (complex)" : ""} need ` +
        `${want} values, but data holds ${array.data.length}`,
      { file, hint: "make data.length equal prod(dims), times 2 for interleaved complex" },
    );
  }
  const partBytes = 8 + pad8(count * MI_SIZE[how.mi]);
  const nameBytes = name.length <= 4 ? 8 : 8 + pad8(name.length);
  const body = 16 + 8 + pad8(4 * dims.length) + nameBytes +
    partBytes * (array.complex ? 2 : 1);
  if (body > MAX_ELEMENT_BYTES) {
    throw new MatFormatError(
      `variable '${name}' needs ${body} bytes; MAT v5 holds at most 2 GiB per variable`,
      { file, hint: "write it as MAT v7.3 (HDF5) or split it" },
    );
  }
  let flags = how.mx;
  if (array.complex) flags |= FLAG_COMPLEX;
  if (array.matClass === "logical") flags |= FLAG_LOGICAL;
  return { name, array, dims, mx: how.mx, mi: how.mi, flags, count, size: 8 + body };
}

/** Writes `count` values of `data` (every `stride`-th from `first`) as storage type `mi`. */
function writePart(
  out: Uint8Array,
  at: number,
  p: Plan,
  first: number,
  stride: number,
  file: string,
): void {
  const { data, matClass } = p.array;
  const n = p.count;
  const range = INT_RANGE[matClass];
  if (range) {
    const [lo, hi] = range;
    for (let i = 0, j = first; i < n; i++, j += stride) {
      const x = data[j];
      if (!(Number.isInteger(x) && x >= lo && x < hi)) {
        throw new ShapeError(
          `variable '${p.name}': value ${x} at index ${i} does not fit class ${matClass}`,
          {
            file,
            hint: matClass === "logical"
              ? "logical arrays hold 0 or 1"
              : `${matClass} holds integers from ${BigInt(lo)} to ${BigInt(hi) - 1n}`,
          },
        );
      }
    }
  }
  const abs = out.byteOffset + at;
  if (
    stride === 1 && HOST_LE && ((matClass === "single" && data instanceof Float32Array) ||
      (matClass === "double" && data instanceof Float64Array))
  ) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, n * data.BYTES_PER_ELEMENT), at);
    return;
  }
  if (p.mi === miINT64 || p.mi === miUINT64) {
    const view = p.mi === miINT64
      ? new BigInt64Array(out.buffer, abs, n)
      : new BigUint64Array(out.buffer, abs, n);
    for (let i = 0, j = first; i < n; i++, j += stride) view[i] = BigInt(data[j]);
  } else {
    const view = newView(p.mi, out.buffer, abs, n);
    if (stride === 1) view.set(data);
    else for (let i = 0, j = first; i < n; i++, j += stride) view[i] = data[j];
  }
  if (!HOST_LE) swapBytes(out.subarray(at, at + n * MI_SIZE[p.mi]), MI_SIZE[p.mi]);
}

function newView(mi: number, buffer: ArrayBufferLike, at: number, n: number) {
  switch (mi) {
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
    default:
      return new Float64Array(buffer, at, n);
  }
}

/** Writes the miMATRIX element of `p` at `at` (8-byte aligned within `out.buffer`). */
function writeMatrix(out: Uint8Array, at: number, p: Plan, file: string): void {
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let pos = at;
  const tag = (type: number, nbytes: number) => {
    dv.setUint32(pos, type, true);
    dv.setUint32(pos + 4, nbytes, true);
    pos += 8;
  };
  tag(miMATRIX, p.size - 8);
  tag(miUINT32, 8);
  dv.setUint32(pos, p.flags, true);
  pos += 8; // second flags word (nzmax) stays 0
  tag(miINT32, 4 * p.dims.length);
  p.dims.forEach((d, k) => dv.setInt32(pos + 4 * k, d, true));
  pos += pad8(4 * p.dims.length);
  if (p.name.length <= 4) {
    dv.setUint32(pos, (p.name.length << 16) | miINT8, true);
    for (let i = 0; i < p.name.length; i++) out[pos + 4 + i] = p.name.charCodeAt(i);
    pos += 8;
  } else {
    tag(miINT8, p.name.length);
    for (let i = 0; i < p.name.length; i++) out[pos + i] = p.name.charCodeAt(i);
    pos += pad8(p.name.length);
  }
  const partBytes = p.count * MI_SIZE[p.mi];
  for (const part of p.array.complex ? [0, 1] : [0]) {
    tag(p.mi, partBytes);
    writePart(out, pos, p, part, p.array.complex ? 2 : 1, file);
    pos += pad8(partBytes);
  }
}

/**
 * Encodes variables as a MAT v5 file that MATLAB, Octave and `scipy.io.loadmat` read.
 *
 * Each array is written with its class (`single` from Float32Array data is a plain copy; other
 * data is converted), MATLAB dims as given (trailing singleton dims beyond the second are
 * dropped, fewer than two dims are padded with 1), column-major data, and complex data split
 * into real and imaginary parts. Integer classes must hold integers in range and logical
 * arrays 0 or 1.
 *
 * @throws {MatFormatError} an invalid or duplicate variable name, a bad header text, or a
 *   variable over 2 GiB
 * @throws {ShapeError} data length does not match dims, values that do not fit the class
 */
export function encodeMatV5(vars: readonly MatV5Var[], opts: MatV5WriteOptions = {}): Uint8Array {
  const file = opts.file ?? "(MAT v5 encoder)";
  const header = makeHeader(headerText(opts, file));
  const seen = new Set<string>();
  const plans = vars.map((v) => {
    const p = plan(v, file);
    if (seen.has(p.name)) {
      throw new MatFormatError(`variable name '${p.name}' is given twice`, {
        file,
        hint: "give each variable a distinct name",
      });
    }
    seen.add(p.name);
    return p;
  });

  if (!opts.compress) {
    let total = 128;
    for (const p of plans) total += p.size;
    const out = new Uint8Array(total);
    out.set(header, 0);
    let pos = 128;
    for (const p of plans) {
      writeMatrix(out, pos, p, file);
      pos += p.size;
    }
    return out;
  }

  const level = opts.level ?? 6;
  if (!Number.isInteger(level) || level < 0 || level > 9) {
    throw new MatFormatError(`compression level ${level} is not an integer from 0 to 9`, {
      file,
      hint: "use a level from 0 (store) to 9 (smallest)",
    });
  }
  const parts: Uint8Array[] = [header];
  let total = 128;
  for (const p of plans) {
    const raw = new Uint8Array(p.size);
    writeMatrix(raw, 0, p, file);
    const z = zlibSync(raw, { level: level as 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 });
    const tag = new Uint8Array(8);
    const dv = new DataView(tag.buffer);
    dv.setUint32(0, miCOMPRESSED, true);
    dv.setUint32(4, z.length, true);
    parts.push(tag, z);
    total += 8 + z.length;
  }
  const out = new Uint8Array(total);
  let pos = 0;
  for (const part of parts) {
    out.set(part, pos);
    pos += part.length;
  }
  return out;
}

/**
 * Writes variables to a MAT v5 file atomically: the bytes of {@link encodeMatV5} go to
 * `${path}.tmp-<pid>-<random>` in the same folder, which is then renamed to `path` (the temporary
 * file is removed on failure). Dims are MATLAB dims, e.g. `[x, y, slice, frame]`.
 *
 * @throws {MatFormatError | ShapeError} as {@link encodeMatV5}; nothing is written then
 * @throws {Deno.errors.NotFound} and other file-system errors, unchanged
 */
export async function writeMatV5(
  path: string,
  vars: readonly MatV5Var[],
  opts: MatV5WriteOptions = {},
): Promise<void> {
  const bytes = encodeMatV5(vars, { ...opts, file: opts.file ?? path });
  const tmp = tempPathFor(path);
  try {
    await Deno.writeFile(tmp, bytes, { createNew: true });
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}
