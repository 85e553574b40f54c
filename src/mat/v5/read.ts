/**
 * MAT v5 ("Level 5") reader: the format of MATLAB `save -v6` (uncompressed) and
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
 * The writer is `write.ts`; one variable's element is parsed in `element.ts`.
 *
 * @module
 */

import { CmrxError, errorMessage, MatFormatError, MatVariableError } from "../../errors.ts";
import { assertNotSpecial } from "../../fsutil.ts";
import type { MatArray, MatVarInfo } from "../types.ts";
import { dimsText, miCOMPRESSED, miMATRIX, pad8 } from "./format.ts";
import {
  type Decide,
  type Entry,
  HINT_CORRUPT,
  parseMatrix,
  readCompressed,
  Src,
} from "./element.ts";

const HINT_FORMAT =
  "expected a MAT file saved by MATLAB/Octave with -v6 or -v7, or by scipy.io.savemat";

/** Options of the MAT v5 readers. */
export interface MatV5ReadOptions {
  /**
   * Called with each numeric variable's name, dims and class before its data is inflated
   * or converted; throw (a `CmrxError`) to refuse it, e.g. when the dims are not what the
   * caller expects. A 1 MB compressed variable can inflate to 1 GiB: check before that.
   */
  check?: (info: MatVarInfo) => void;
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

function latin1(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

/** Walks the file and returns its variables in file order. */
function scan(bytes: Uint8Array, file: string, want: Want): Entry[] {
  try {
    return scanUnchecked(bytes, file, want);
  } catch (e) {
    if (e instanceof CmrxError) throw e;
    // safety net: nothing a file contains may escape as a RangeError or similar
    throw new MatFormatError(`corrupt MAT v5 file (${errorMessage(e)})`, {
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
