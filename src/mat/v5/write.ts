/**
 * MAT v5 ("Level 5") writer: files that MATLAB, Octave and `scipy.io.loadmat` read, as MATLAB
 * `save -v6` (plain) or `save -v7` (each variable in a zlib `miCOMPRESSED` element) writes
 * them. Dims are MATLAB dims, column-major: element `(i0, i1, ...)` is at flat index
 * `i0 + d0 * (i1 + ...)`; complex data is interleaved `(re, im)` (see {@link MatArray}) and
 * is split into real and imaginary parts on disk. The reader is `read.ts`.
 *
 * @module
 */

import { zlibSync } from "fflate";
import { MatFormatError, ShapeError } from "../../errors.ts";
import { writeAtomic } from "../../output.ts";
import { outputDate } from "../../reproducible.ts";
import { type MatArray, numel } from "../types.ts";
import {
  dimsText,
  FLAG_COMPLEX,
  FLAG_LOGICAL,
  HOST_LE,
  INT_RANGE,
  matlabDims,
  MAX_ELEMENT_BYTES,
  MI_SIZE,
  miCOMPRESSED,
  miINT16,
  miINT32,
  miINT64,
  miINT8,
  miMATRIX,
  miSINGLE,
  miUINT16,
  miUINT32,
  miUINT64,
  miUINT8,
  pad8,
  swapBytes,
  WRITE_AS,
} from "./format.ts";

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
  await writeAtomic(path, bytes);
}
