/**
 * One way to read any MATLAB file cmrxkit meets: MAT v5 (what MATLAB `save` and
 * `scipy.io.savemat` write) and MAT v7.3 (HDF5, the format of the CMRxRecon k-space).
 *
 * ```ts
 * using mat = await openMat("P001/cine_sax.mat");
 * const { dims } = mat.info("kspace_full");          // [kx, ky, coil, slice, frame]
 * const slab = mat.readSlab("kspace_full", [, , , 4]); // slice 4, all frames
 * ```
 *
 * @module
 */

import {
  CmrxError,
  errorMessage,
  MatFormatError,
  MatVariableError,
  ShapeError,
} from "../errors.ts";
import { entryKind, notRegularError } from "../fsutil.ts";
import { detectMatFormat, type MatFormat, readHead } from "./header.ts";
import type { MatArray, MatVarInfo } from "./types.ts";
import { numel } from "./types.ts";
import { checkComplexity, type DimRange, MatV73Reader, type ReadOptions } from "./v73/read.ts";
import { listMatV5All, parseMatV5Var } from "./v5/read.ts";

export type { DimRange, ReadOptions };

/** An open MATLAB file of either format. */
export interface MatReader extends Disposable {
  /** The path it was opened from. */
  readonly file: string;
  /** The container format. */
  readonly format: MatFormat;
  /**
   * Every variable it holds. Those that cannot be read as numeric arrays (corrupt,
   * declaring dims with no data behind them, float16, cell, string, unsupported filter, ...)
   * are listed too, with `unusable` saying what was found and why (see {@link MatVarInfo}).
   */
  variables(): MatVarInfo[];
  /**
   * Dims, class and complexity of one variable; {@link MatVariableError} when absent,
   * {@link MatFormatError} (the `unusable` reason) when it cannot be read.
   */
  info(name: string): MatVarInfo;
  /** Reads a whole variable. */
  read(name: string, opts?: ReadOptions): MatArray;
  /**
   * Reads part of a variable: per MATLAB dim, `[start, end)`, an index, or undefined for
   * all. The result keeps full rank (selected dims of size 1 stay).
   */
  readSlab(name: string, ranges: DimRange[], opts?: ReadOptions): MatArray;
  /** Releases the file. */
  close(): void;
}

/**
 * Copies a hyperslab out of an in-memory column-major array.
 *
 * @param a the array, MATLAB dims `a.dims`, interleaved when complex
 * @param ranges per dim `[start, end)`, an index or undefined (whole dim)
 * @param file the file name for errors
 */
export function sliceArray(a: MatArray, ranges: DimRange[], file = ""): MatArray {
  const rank = Math.max(a.dims.length, ranges.length);
  const dims = Array.from({ length: rank }, (_, k) => a.dims[k] ?? 1);
  const start: number[] = [];
  const count: number[] = [];
  for (let k = 0; k < rank; k++) {
    const r = ranges[k];
    const [s, e] = r === undefined ? [0, dims[k]] : typeof r === "number" ? [r, r + 1] : r;
    if (!(Number.isInteger(s) && Number.isInteger(e) && s >= 0 && e <= dims[k] && s < e)) {
      throw new ShapeError(`range [${s}, ${e}) is outside dim ${k + 1} (size ${dims[k]})`, {
        file,
        hint: "ranges are 0-based [start, end) in MATLAB dim order",
      });
    }
    start.push(s);
    count.push(e - s);
  }
  const w = a.complex ? 2 : 1;
  const out = new (a.data.constructor as Float32ArrayConstructor | Float64ArrayConstructor)(
    numel(count) * w,
  );
  // Copy contiguous runs along dim 0; iterate the other dims like an odometer.
  const strides = dims.map((_, k) => numel(dims.slice(0, k)));
  const run = count[0] * w;
  const idx = new Array(rank).fill(0);
  let o = 0;
  const total = numel(count.slice(1));
  for (let n = 0; n < total; n++) {
    let src = start[0];
    for (let k = 1; k < rank; k++) src += (start[k] + idx[k]) * strides[k];
    out.set(a.data.subarray(src * w, src * w + run), o);
    o += run;
    for (let k = 1; k < rank; k++) {
      if (++idx[k] < count[k]) break;
      idx[k] = 0;
    }
  }
  return { dims: count, matClass: a.matClass, complex: a.complex, data: out };
}

/**
 * A MAT v5 file held in memory: variables are listed from their headers (compressed ones
 * inflated only that far) and a variable's data is inflated and converted when it is read,
 * so listing a 1 MB file that inflates to 1 GiB costs nothing.
 */
/** The fix for a damaged file. */
const HINT_CORRUPT = "the file is truncated or corrupt; copy or download it again";

class MatV5Reader implements MatReader {
  readonly format = "v5" as const;
  #infos: MatVarInfo[];
  #last: MatArray | null = null;
  #lastName = "";

  constructor(readonly file: string, private bytes: Uint8Array) {
    this.#infos = listMatV5All(bytes, file);
  }
  variables(): MatVarInfo[] {
    return this.#infos.map((v) => ({ ...v, dims: [...v.dims] }));
  }
  info(name: string): MatVarInfo {
    let found: MatVarInfo | undefined;
    for (const v of this.#infos) if (v.name === name) found = v; // the later one wins
    const damaged = this.#infos.find((v) => v.damaged);
    if (!found && damaged) {
      // the variable may be the damaged one
      throw new MatFormatError(
        `no readable variable '${name}' (variables present: ${
          this.#infos.map((v) => v.name).join(", ")
        }); ${damaged.name} ${damaged.unusable}`,
        { file: this.file, hint: HINT_CORRUPT },
      );
    }
    if (!found) {
      throw new MatVariableError(
        `no variable '${name}' (variables present: ${
          this.#infos.map((v) => v.name).join(", ") || "none"
        })`,
        { file: this.file, hint: "check that this is the right file" },
      );
    }
    if (found.unusable) {
      throw new MatFormatError(`variable '${name}' ${found.unusable}`, {
        file: this.file,
        hint: found.damaged ? HINT_CORRUPT : "save the data as a numeric array (single or double)",
      });
    }
    return { ...found, dims: [...found.dims] };
  }
  #get(name: string, opts: ReadOptions): MatArray {
    checkComplexity(this.info(name), opts, this.file);
    if (this.#lastName !== name || !this.#last) {
      this.#last = null; // let the previous variable go before inflating the next
      this.#last = parseMatV5Var(this.bytes, this.file, name);
      this.#lastName = name;
    }
    return this.#last;
  }
  read(name: string, opts: ReadOptions = {}): MatArray {
    return withPrecision(this.#get(name, opts), opts, this.file, name);
  }
  readSlab(name: string, ranges: DimRange[], opts: ReadOptions = {}): MatArray {
    const a = sliceArray(this.#get(name, opts), ranges, this.file);
    return withPrecision(a, opts, this.file, name);
  }
  close(): void {
    this.#last = null;
  }
  [Symbol.dispose](): void {
    this.close();
  }
}

function withPrecision(a: MatArray, opts: ReadOptions, file: string, name: string): MatArray {
  if (opts.out) {
    checkComplexity({ name, matClass: a.matClass, complex: a.complex }, opts, file, a.data.length);
    if (opts.out.length !== a.data.length) {
      throw new ShapeError(
        `output buffer holds ${opts.out.length} values, the slab of '${name}' needs ` +
          `${a.data.length}`,
        { file },
      );
    }
    opts.out.set(a.data);
    return { ...a, data: opts.out };
  }
  const want = opts.precision ?? "float32";
  if (want === "float32" && !(a.data instanceof Float32Array)) {
    return { ...a, data: Float32Array.from(a.data) };
  }
  if (want === "float64" && !(a.data instanceof Float64Array)) {
    return { ...a, data: Float64Array.from(a.data) };
  }
  return a;
}

class H5Reader implements MatReader {
  constructor(readonly format: MatFormat, private r: MatV73Reader) {}
  get file(): string {
    return this.r.file;
  }
  variables(): MatVarInfo[] {
    return this.r.variables();
  }
  info(name: string): MatVarInfo {
    return this.r.info(name);
  }
  read(name: string, opts?: ReadOptions): MatArray {
    return this.r.read(name, opts);
  }
  readSlab(name: string, ranges: DimRange[], opts?: ReadOptions): MatArray {
    return this.r.readSlab(name, ranges, opts);
  }
  close(): void {
    this.r.close();
  }
  [Symbol.dispose](): void {
    this.r.close();
  }
}

/** Called with the path of every file {@link openMat} is asked to open. */
export type MatOpenListener = (path: string) => void;

const openListeners = new Set<MatOpenListener>();

/**
 * Watches {@link openMat}: `listener` is called with each path it is asked to open, until
 * the returned function is called. For tests and profiling (e.g. that a run reads each
 * input header once).
 */
export function watchMatOpens(listener: MatOpenListener): () => void {
  openListeners.add(listener);
  return () => openListeners.delete(listener);
}

/**
 * Opens a MATLAB file of either format. v7.3 files are read lazily from disk; v5 files
 * (small by nature: submissions, masks) are parsed into memory.
 */
export async function openMat(path: string): Promise<MatReader> {
  for (const l of openListeners) l(path);
  // one stat: it tells a regular file (a FIFO would block the reads) and the file's size;
  // entryKind runs only to say what a path that is not a file is
  let st: Deno.FileInfo | undefined;
  try {
    st = await Deno.stat(path);
  } catch { /* classified below */ }
  if (!st?.isFile) {
    const { kind, detail } = await entryKind(path);
    if (kind === "missing") {
      throw new CmrxError("cannot open: no such file", {
        file: path,
        hint: "check the path; it must be an existing .mat file",
      });
    }
    throw notRegularError(path, kind === "file" ? "unreadable" : kind, detail, "MATLAB file");
  }
  let head: Uint8Array;
  try {
    head = await readHead(path, 520, { checked: true });
  } catch (e) {
    if (e instanceof CmrxError) throw e;
    throw new CmrxError(`cannot open: ${errorMessage(e)}`, {
      file: path,
      hint: "check the path; it must be an existing .mat file",
    });
  }
  const format = detectMatFormat(head, path);
  if (format === "v5") {
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(path);
    } catch (e) {
      throw new CmrxError(`cannot read: ${errorMessage(e)}`, { file: path });
    }
    return new MatV5Reader(path, bytes);
  }
  return new H5Reader(format, await MatV73Reader.open(path, { size: st.size }));
}

/** Reads one whole variable from a MATLAB file of either format. */
export async function readMatVar(
  path: string,
  name: string,
  opts?: ReadOptions,
): Promise<MatArray> {
  using mat = await openMat(path);
  return mat.read(name, opts);
}
