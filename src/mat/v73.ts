/**
 * MATLAB v7.3 files (HDF5 behind a 512-byte MATLAB header) through h5wasm.
 *
 * HDF5 stores a MATLAB array of dims `[d0, d1, ..., dn]` with the reversed shape
 * `[dn, ..., d1, d0]`; read in C order, the bytes are exactly MATLAB's column-major array.
 * This module never transposes: it reverses shapes and offsets and hands out the buffer
 * with MATLAB dims. Complex data is an HDF5 compound `{real, imag}` of float32 or float64,
 * handed out as interleaved (re, im).
 *
 * Reads go through h5wasm's raw hyperslab call, straight from the file on disk (no copy
 * of the file into memory), so a 1.3 GB `cine_sax.mat` is read slice by slice in bounded
 * memory. The wasm heap is capped at 2 GiB: read slabs, not whole large variables.
 *
 * @module
 */

import h5wasm, { Module } from "h5wasm/node";
import { CmrxError, MatFormatError, MatVariableError, ShapeError } from "../errors.ts";
import { assertRegularFile } from "../fsutil.ts";
import { MAX_COMPRESSION_RATIO } from "../inflate.ts";
import { outputDate } from "../reproducible.ts";
import { tempPathFor } from "../tempname.ts";
import { matV73Header } from "./header.ts";
import type { MatArray, MatClass, MatVarInfo } from "./types.ts";
import { numel } from "./types.ts";

let ready: Promise<void> | null = null;

/** Waits until the h5wasm module is initialised (once per process). */
export function h5Ready(): Promise<void> {
  if (!ready) {
    ready = (async () => {
      await h5wasm.ready;
      // libhdf5 prints its error stack to stderr by default; errors are ours to report.
      Module.activate_throwing_error_handler();
    })();
  }
  return ready;
}

/** The largest slab one read may allocate inside the 2 GiB wasm heap. */
export const MAX_SLAB_BYTES = 1.5 * 1024 ** 3;

const H5T_INTEGER = 0;
const H5T_FLOAT = 1;
const H5T_COMPOUND = 6;
const H5T_ENUM = 8;

/** How an HDF5 element type maps to MATLAB's view of it. */
interface ElementType {
  /** bytes per element as stored (both parts for complex) */
  size: number;
  /** bytes per scalar part */
  part: number;
  kind: "float" | "int" | "uint";
  complex: boolean;
}

/** Options for reading numeric data. */
export interface ReadOptions {
  /** Element type of the returned data; float32 by default (float64 keeps doubles exact). */
  precision?: "float32" | "float64";
  /**
   * Where to put the values (exactly the slab's length; interleaved when complex). Reusing
   * one buffer across slices is much faster than allocating a fresh 100 MB array each time.
   */
  out?: Float32Array | Float64Array;
  /**
   * What the caller expects: `true` for complex data (k-space), `false` for real data. A
   * variable of the other kind is refused with a {@link ShapeError} naming the class found
   * (e.g. "'kspace_full' is real int16; complex data is expected") before anything is read.
   */
  complex?: boolean;
}

/**
 * Throws a {@link ShapeError} when `info` is not of the complexity `opts.complex` asks for,
 * or when `opts.out` is sized for the other complexity; the message names the class found.
 */
export function checkComplexity(
  info: { name: string; matClass: string; complex: boolean },
  opts: ReadOptions,
  file: string,
  needed?: number,
): void {
  const found = `${info.complex ? "complex" : "real"} ${info.matClass}`;
  const sizedForOther = needed !== undefined && opts.out !== undefined &&
    opts.out.length === (info.complex ? needed / 2 : needed * 2);
  if (
    (opts.complex !== undefined && opts.complex !== info.complex) ||
    (opts.complex === undefined && sizedForOther)
  ) {
    const want = info.complex ? "real" : "complex";
    throw new ShapeError(`'${info.name}' is ${found} data; ${want} data is expected`, {
      file,
      hint: want === "complex"
        ? "pass the k-space variable (complex single or double, e.g. kspace_full or kspace_sub04)"
        : "pass a real-valued variable",
    });
  }
}

/**
 * A range along one MATLAB dim: `[start, end)` 0-based, a single index, or `undefined`
 * for the whole dim.
 */
export type DimRange = [number, number] | number | undefined;

function absPath(path: string): string {
  if (path.startsWith("/")) return path;
  return `${Deno.cwd()}/${path}`;
}

/** A one-line cause: for libhdf5's error stacks, the innermost message. */
function describe(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  const inner = [...text.matchAll(/#\d+: .* in [\w]+\(\): (.*)$/gm)].map((m) => m[1]);
  return inner.length > 0 ? inner[inner.length - 1] : text.split("\n")[0];
}

/** A stored type cmrxkit cannot read as a numeric array: what it is and why. */
interface UnusableType {
  stored: string;
  reason: string;
}

const HINT_TYPES =
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

function elementType(md: Record<string, unknown>): ElementType | UnusableType {
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

function classFromType(t: ElementType): MatClass {
  if (t.kind === "float") return t.part === 4 ? "single" : "double";
  return `${t.kind}${t.size * 8}` as MatClass;
}

/** MATLAB dims from an HDF5 shape: reversed, padded to at least 2. */
function matlabDims(h5shape: number[]): number[] {
  const dims = [...h5shape].reverse();
  while (dims.length < 2) dims.push(1);
  return dims;
}

/**
 * Converts raw element bytes (a view that may point into the wasm heap) to float data,
 * interleaved when complex, into `out` when given (its length must fit) or a new array.
 */
function convert(
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

interface VarMeta {
  info: MatVarInfo;
  h5shape: number[];
  /** null when the variable is unusable ({@link MatVarInfo.unusable}). */
  type: ElementType | null;
  empty: boolean;
  /** The fix for an unusable variable. */
  hint?: string;
}

/** The most bytes a variable may declare (CMRxRecon files are a few GB). */
export const MAX_DECLARED_BYTES = 2 ** 40;

/** HDF5 filters the bundled libhdf5 decodes: deflate, shuffle, fletcher32, n-bit, scale-offset. */
const BUILTIN_FILTERS = new Set([1, 2, 3, 5, 6]);
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
const HINT_FILTER =
  "re-save it with gzip (deflate) compression, e.g. `h5repack -f GZIP=4 in.mat out.mat` " +
  "(cmrxkit reads the result with or without MATLAB's header) or MATLAB `save(file, '-v7.3')`";
const HINT_CORRUPT = "the file is corrupt or truncated: download or copy it again";

function filterName(f: { id: number; name?: string }): string {
  return `${FILTER_NAMES[f.id] ?? (f.name || "unknown")} (HDF5 filter ${f.id})`;
}

function bytesText(n: number): string {
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

/**
 * An open MATLAB v7.3 (or plain HDF5) file. Variables are the datasets at the root.
 * Close it when done (`using` works too).
 */
export class MatV73Reader {
  readonly file: string;
  #h5: InstanceType<typeof h5wasm.File>;
  #fileSize: number;
  #meta = new Map<string, VarMeta>();

  private constructor(file: string, h5: InstanceType<typeof h5wasm.File>, fileSize: number) {
    this.file = file;
    this.#h5 = h5;
    this.#fileSize = fileSize;
  }

  /**
   * Opens a v7.3 / HDF5 MAT file for reading; refuses anything that is not a regular file
   * (a FIFO would block forever); throws {@link MatFormatError} when it is not HDF5.
   *
   * @param opts `size`: the file's size, from the caller's own check that `path` is a
   *   regular file (then it is not checked again)
   */
  static async open(path: string, opts: { size?: number } = {}): Promise<MatV73Reader> {
    if (opts.size === undefined) await assertRegularFile(path, "MATLAB file");
    await h5Ready();
    let size = opts.size ?? -1;
    try {
      if (size < 0) size = (await Deno.stat(path)).size;
    } catch (e) {
      throw new CmrxError(`cannot open: ${describe(e)}`, {
        file: path,
        hint: "check the path; it must be an existing .mat file",
      });
    }
    let h5: InstanceType<typeof h5wasm.File>;
    try {
      h5 = new h5wasm.File(absPath(path), "r");
    } catch (e) {
      throw new MatFormatError(`HDF5 data cannot be opened (${describe(e)})`, {
        file: path,
        hint: HINT_CORRUPT,
      });
    }
    return new MatV73Reader(path, h5, size);
  }

  /** Names of the variables (root objects; MATLAB's `#refs#` group is skipped). */
  names(): string[] {
    return this.#keys();
  }

  #keys(): string[] {
    try {
      return this.#h5.keys().filter((k) => !k.startsWith("#"));
    } catch (e) {
      throw new MatFormatError(`the list of variables cannot be read (${describe(e)})`, {
        file: this.file,
        hint: HINT_CORRUPT,
      });
    }
  }

  /**
   * Every root object with dims, class and complexity. Objects that cannot be read as
   * numeric arrays (corrupt headers, dims with no data behind them, float16, cells,
   * strings, other compounds, unsupported filters) are listed too, with
   * {@link MatVarInfo.unusable} saying what was found and why.
   */
  variables(): MatVarInfo[] {
    return this.#keys().map((k) => this.#varMeta(k).info);
  }

  /**
   * Dims, class and complexity of one variable.
   *
   * @throws {MatVariableError} no such variable
   * @throws {MatFormatError} the variable is unusable ({@link MatVarInfo.unusable})
   */
  info(name: string): MatVarInfo {
    return this.#usable(name).info;
  }

  #usable(name: string): VarMeta & { type: ElementType } {
    const meta = this.#varMeta(name);
    if (meta.type === null) {
      throw new MatFormatError(`variable '${name}' ${meta.info.unusable}`, {
        file: this.file,
        hint: meta.hint,
      });
    }
    return meta as VarMeta & { type: ElementType };
  }

  #varMeta(name: string): VarMeta {
    const cached = this.#meta.get(name);
    if (cached) return cached;
    let meta: VarMeta;
    try {
      meta = this.#inspect(name);
    } catch (e) {
      if (e instanceof MatVariableError) throw e;
      meta = this.#unusable(
        name,
        [],
        "unreadable",
        `cannot be read (${describe(e)})`,
        HINT_CORRUPT,
        true,
      );
    }
    this.#meta.set(name, meta);
    return meta;
  }

  #unusable(
    name: string,
    h5shape: number[],
    stored: string,
    reason: string,
    hint: string,
    damaged = false,
  ): VarMeta {
    return {
      info: {
        name,
        dims: matlabDims(h5shape),
        matClass: "double",
        complex: false,
        stored,
        unusable: reason,
        ...(damaged ? { damaged } : {}),
      },
      h5shape,
      type: null,
      empty: false,
      hint,
    };
  }

  /** Reads what a root object is; throws on libhdf5 errors (corrupt headers). */
  #inspect(name: string): VarMeta {
    if (!this.#keys().includes(name)) {
      const have = this.#keys();
      throw new MatVariableError(
        `no variable '${name}' (variables present: ${have.join(", ") || "none"})`,
        {
          file: this.file,
          hint:
            "check that this is the right file for the step (e.g. kspace_sub04 lives in AccFactor04)",
        },
      );
    }
    const entity = this.#h5.get(name);
    if (!(entity instanceof h5wasm.Dataset)) {
      const attrs = (entity as { attrs?: Record<string, { value: unknown }> } | null)?.attrs ?? {};
      const cls = attrs["MATLAB_class"]?.value as string | undefined;
      const stored = cls ? `MATLAB ${cls}` : "HDF5 group";
      return this.#unusable(
        name,
        [],
        cls ?? "group",
        `is a ${stored}, not a numeric array`,
        HINT_TYPES,
      );
    }
    const ds = entity as InstanceType<typeof h5wasm.Dataset>;
    const md = ds.metadata as unknown as Record<string, unknown>;
    const attrs = ds.attrs as Record<string, { value: unknown }>;
    const declared = attrs["MATLAB_class"]?.value as string | undefined;
    const emptyAttr = attrs["MATLAB_empty"]?.value;
    const h5shape = (md.shape as number[] | null) ?? [];
    if (declared && ["cell", "struct", "char", "function_handle"].includes(declared)) {
      return this.#unusable(
        name,
        h5shape,
        declared,
        `is a MATLAB ${declared}, not a numeric array`,
        HINT_TYPES,
      );
    }
    const type = elementType(md);
    if ("reason" in type) {
      return this.#unusable(name, h5shape, type.stored, type.reason, HINT_TYPES);
    }
    const odd = ds.filters.filter((f) => !BUILTIN_FILTERS.has(f.id));
    if (odd.length > 0) {
      const names = odd.map(filterName).join(", ");
      return this.#unusable(
        name,
        h5shape,
        `compressed with ${names}`,
        `is compressed with ${names}, which cmrxkit cannot decode (only gzip/deflate, shuffle ` +
          "and fletcher32 are built in)",
        HINT_FILTER,
      );
    }
    const empty = emptyAttr !== undefined && Number(emptyAttr) !== 0;
    let matClass: MatClass = classFromType(type);
    const labels = Object.keys(
      (md.enum_type as { members?: Record<string, number> } | undefined)?.members ?? {},
    );
    if (declared === "logical" || (labels.length === 2 && labels.includes("TRUE"))) {
      matClass = "logical"; // MATLAB's logical, or h5py's numpy bool (an enum FALSE/TRUE)
    } else if (declared === "single" || declared === "double") matClass = declared;
    const stored = `${type.complex ? "complex " : ""}${matClass}`;
    const tooBig = this.#declaredTooBig(h5shape, type, stored);
    if (tooBig) return this.#unusable(name, h5shape, stored, tooBig, HINT_CORRUPT, true);
    let dims = matlabDims(h5shape);
    if (empty) {
      // MATLAB stores an empty array as its dims; the data is not the array.
      const zero = h5shape.map(() => 0);
      dims = Array.from(this.#readInto(name, h5shape, zero, h5shape, type, "float64"));
      if (dims.length < 2) dims = [0, 0];
    }
    return {
      info: { name, dims, matClass, complex: type.complex },
      h5shape,
      type,
      empty,
    };
  }

  /**
   * Why the declared dims cannot be real, or null: more bytes than the file could hold at
   * deflate's best ratio, or more than {@link MAX_DECLARED_BYTES}. Checked before anything
   * is allocated or iterated.
   */
  #declaredTooBig(h5shape: number[], type: ElementType, stored: string): string | null {
    const bytes = numel(h5shape) * type.size;
    const dims = matlabDims(h5shape).map((d) => BigInt(Math.round(d)).toString()).join("x");
    if (bytes > MAX_DECLARED_BYTES) {
      return `declares dims ${dims} (${stored}, ${bytesText(bytes)}), more than the ` +
        `${bytesText(MAX_DECLARED_BYTES)} cmrxkit reads in one variable; the dims are corrupt`;
    }
    if (bytes > this.#fileSize * MAX_COMPRESSION_RATIO + 2 ** 20) {
      return `declares dims ${dims} (${stored}, ${bytesText(bytes)}) but the file holds only ` +
        `${bytesText(this.#fileSize)}: no data can be behind those dims`;
    }
    return null;
  }

  /**
   * Reads a hyperslab (HDF5 order) into the reader's reusable wasm buffer and converts it
   * into `out` (or a new array). Reusing both buffers keeps slice-by-slice reading of a
   * 1 GB file in bounded memory and avoids the cost of fresh 100 MB allocations.
   */
  #readInto(
    name: string,
    h5shape: number[],
    offset: number[],
    count: number[],
    type: ElementType,
    precision: "float32" | "float64",
    out?: Float32Array | Float64Array,
  ): Float32Array | Float64Array {
    const nbytes = numel(count) * type.size;
    if (nbytes > MAX_SLAB_BYTES) {
      throw new ShapeError(
        `reading ${(nbytes / 1024 ** 3).toFixed(2)} GiB of '${name}' at once exceeds the ${
          (MAX_SLAB_BYTES / 1024 ** 3).toFixed(1)
        } GiB a single read may use`,
        { file: this.file, hint: "read it in slabs (e.g. one slice at a time) with readSlab" },
      );
    }
    const n = nbytes / type.part;
    if (out && (out.length !== n || (out instanceof Float32Array) !== (precision === "float32"))) {
      throw new ShapeError(
        `output buffer holds ${out.length} ${out.constructor.name} values, the slab needs ${n} ${
          precision === "float32" ? "Float32Array" : "Float64Array"
        } values`,
        { file: this.file },
      );
    }
    if (nbytes === 0) return out ?? new (precision === "float32" ? Float32Array : Float64Array)(0);
    const ptr = this.#scratch(nbytes);
    try {
      Module.get_dataset_data(
        this.#h5.file_id,
        "/" + name,
        count.map(BigInt),
        offset.map(BigInt),
        h5shape.map(() => 1n),
        BigInt(ptr),
      );
    } catch (e) {
      const why = describe(e);
      if (/plugin|filter/i.test(why)) {
        throw new MatFormatError(
          `'${name}' is compressed with an HDF5 filter cmrxkit cannot decode (${why})`,
          { file: this.file, hint: HINT_FILTER },
        );
      }
      throw new MatFormatError(`reading '${name}' failed (${why})`, {
        file: this.file,
        hint: HINT_CORRUPT,
      });
    }
    // HEAPU8 must be fetched after the call: the heap may have grown during it.
    return convert(new Uint8Array(Module.HEAPU8.buffer, ptr, nbytes), type, precision, out);
  }

  #scratchPtr = 0;
  #scratchSize = 0;

  /** A wasm buffer of at least `nbytes`, kept for the next read. */
  #scratch(nbytes: number): number {
    if (nbytes > this.#scratchSize) {
      if (this.#scratchPtr) Module._free(this.#scratchPtr);
      this.#scratchPtr = 0;
      this.#scratchSize = 0;
      const ptr = Module._malloc(nbytes);
      if (!ptr) {
        throw new ShapeError(`out of wasm memory reading ${nbytes} bytes`, {
          file: this.file,
          hint: "read smaller slabs",
        });
      }
      this.#scratchPtr = ptr;
      this.#scratchSize = nbytes;
    }
    return this.#scratchPtr;
  }

  /** Reads a whole variable (small variables such as masks; use {@link readSlab} for k-space). */
  read(name: string, opts: ReadOptions = {}): MatArray {
    const meta = this.#usable(name);
    if (meta.empty) {
      return { ...meta.info, dims: [...meta.info.dims], data: new Float32Array(0) };
    }
    return this.readSlab(name, [], opts);
  }

  /**
   * Reads a hyperslab. `ranges[k]` restricts MATLAB dim k: `[start, end)`, a single index,
   * or undefined for all of it; missing trailing entries mean whole dims. The result keeps
   * the variable's full rank, e.g. slice 3 of `(kx, ky, coil, slice, frame)` comes back
   * with dims `[kx, ky, coil, 1, frame]`, column-major, interleaved when complex.
   */
  readSlab(name: string, ranges: DimRange[], opts: ReadOptions = {}): MatArray {
    const meta = this.#usable(name);
    checkComplexity(meta.info, opts, this.file);
    const dims = meta.info.dims;
    const rank = meta.h5shape.length;
    if (ranges.length > Math.max(rank, 2)) {
      throw new ShapeError(
        `'${name}' has ${rank} dims [${dims.join(", ")}] but ${ranges.length} ranges were given`,
        { file: this.file, hint: "give at most one range per dim, in MATLAB order" },
      );
    }
    const start: number[] = [];
    const count: number[] = [];
    for (let k = 0; k < rank; k++) {
      const r = ranges[k];
      const [s, e] = r === undefined ? [0, dims[k]] : typeof r === "number" ? [r, r + 1] : r;
      if (!(Number.isInteger(s) && Number.isInteger(e) && s >= 0 && e <= dims[k] && s < e)) {
        throw new ShapeError(
          `range [${s}, ${e}) is outside dim ${k + 1} of '${name}' (size ${dims[k]})`,
          { file: this.file, hint: "ranges are 0-based [start, end) in MATLAB dim order" },
        );
      }
      start.push(s);
      count.push(e - s);
    }
    for (let k = rank; k < ranges.length; k++) {
      const r = ranges[k];
      if (r !== undefined && !(r === 0 || (Array.isArray(r) && r[0] === 0 && r[1] === 1))) {
        throw new ShapeError(`dim ${k + 1} of '${name}' has size 1`, { file: this.file });
      }
    }
    checkComplexity(meta.info, opts, this.file, numel(count) * (meta.type.complex ? 2 : 1));
    const data = this.#readInto(
      name,
      meta.h5shape,
      [...start].reverse(),
      [...count].reverse(),
      meta.type,
      opts.precision ?? (opts.out instanceof Float64Array ? "float64" : "float32"),
      opts.out,
    );
    const outDims = [...count];
    while (outDims.length < 2) outDims.push(1);
    return { dims: outDims, matClass: meta.info.matClass, complex: meta.type.complex, data };
  }

  /** Closes the file. */
  close(): void {
    if (this.#scratchPtr) Module._free(this.#scratchPtr);
    this.#scratchPtr = 0;
    this.#scratchSize = 0;
    try {
      this.#h5.close();
    } catch { /* already closed */ }
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** Options of a variable created by {@link MatV73Writer}. */
export interface CreateVarOptions {
  /** MATLAB dims. */
  dims: number[];
  /** `single` (default), `double`, `uint8` or `logical`. */
  matClass?: "single" | "double" | "uint8" | "logical";
  /** complex data as an HDF5 compound {real, imag}. */
  complex?: boolean;
  /**
   * Chunk dims in MATLAB order; by default one 2-D image times the third dim (e.g. one
   * `(kx, ky, coil)` block per slice and frame), which makes slice-by-slice reads cheap.
   */
  chunkDims?: number[];
  /** deflate level 0-9 (0, the default, stores uncompressed chunks). */
  deflate?: number;
}

interface WriterVar {
  dims: number[];
  part: number;
  complex: boolean;
  kind: "float" | "uint";
}

function hdf5TypeMetadata(cls: string, complex: boolean): Record<string, unknown> {
  const float = (size: number) => ({
    type: H5T_FLOAT,
    size,
    signed: false,
    littleEndian: true,
    vlen: false,
  });
  if (complex) {
    const part = cls === "double" ? 8 : 4;
    return {
      type: H5T_COMPOUND,
      size: 2 * part,
      signed: false,
      littleEndian: true,
      vlen: false,
      compound_type: {
        nmembers: 2,
        members: [
          { ...float(part), name: "real", offset: 0 },
          { ...float(part), name: "imag", offset: part },
        ],
      },
    };
  }
  if (cls === "double") return float(8);
  if (cls === "single") return float(4);
  return { type: H5T_INTEGER, size: 1, signed: false, littleEndian: true, vlen: false };
}

/**
 * Writes a MATLAB v7.3 file: HDF5 (superblock v0, as MATLAB writes) behind the 512-byte
 * MATLAB header, each variable with its `MATLAB_class` attribute. Variables can be written
 * in slabs, so files larger than memory (or the wasm heap) are fine. The file appears at
 * its path only when {@link close} succeeds; {@link abort} leaves nothing behind.
 */
export class MatV73Writer {
  readonly path: string;
  #tmpH5: string;
  #h5: InstanceType<typeof h5wasm.File> | null;
  #vars = new Map<string, WriterVar>();
  /** When writing began (seconds since 1970), to find libhdf5's timestamps. */
  #started = Math.floor(Date.now() / 1000);

  private constructor(path: string, tmpH5: string, h5: InstanceType<typeof h5wasm.File>) {
    this.path = path;
    this.#tmpH5 = tmpH5;
    this.#h5 = h5;
  }

  /** Starts a new file at `path` (written to a temporary file beside it until closed). */
  static async create(path: string): Promise<MatV73Writer> {
    await h5Ready();
    const tmp = tempPathFor(path, ".h5");
    let h5: InstanceType<typeof h5wasm.File>;
    try {
      h5 = new h5wasm.File(absPath(tmp), "w", { libver: ["earliest", "latest"] } as never);
    } catch (e) {
      throw new CmrxError(`cannot create (${describe(e)})`, {
        file: path,
        hint: "check that the folder exists and is writable",
      });
    }
    return new MatV73Writer(path, tmp, h5);
  }

  #file(): InstanceType<typeof h5wasm.File> {
    if (!this.#h5) throw new Error(`MatV73Writer for ${this.path} is already closed`);
    return this.#h5;
  }

  /** Creates an (all-zero) variable to be filled with {@link writeSlab}. */
  createVariable(name: string, opts: CreateVarOptions): void {
    const f = this.#file();
    if (!/^[A-Za-z][A-Za-z0-9_]{0,62}$/.test(name)) {
      throw new ShapeError(`'${name}' is not a valid MATLAB variable name`, { file: this.path });
    }
    const cls = opts.matClass ?? "single";
    const complex = opts.complex ?? false;
    if (complex && cls !== "single" && cls !== "double") {
      throw new ShapeError(`complex ${cls} is not supported`, { file: this.path });
    }
    const dims = [...opts.dims];
    while (dims.length > 2 && dims[dims.length - 1] === 1) dims.pop();
    if (dims.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new ShapeError(`invalid dims [${opts.dims.join(", ")}] for '${name}'`, {
        file: this.path,
      });
    }
    const h5shape = [...dims].reverse().map(BigInt);
    const chunk = opts.chunkDims
      ? opts.chunkDims.slice(0, dims.length)
      : dims.map((d, k) => (k < Math.min(3, dims.length) ? d : 1));
    while (chunk.length < dims.length) chunk.push(1);
    const md = hdf5TypeMetadata(cls, complex);
    const level = opts.deflate ?? 0;
    // Created with a zero-length leading HDF5 dim (nothing to write), then extended: the
    // data is written slab by slab afterwards.
    const initial = [0n, ...h5shape.slice(1)];
    try {
      Module.create_dataset(f.file_id, "/" + name, 0n, {
        ...md,
        shape: initial,
        maxshape: h5shape,
        chunks: [...chunk].reverse().map(BigInt),
        compression: level > 0 ? 1 : 0,
        compression_opts: level > 0 ? [level] : [],
        track_order: false,
      } as never);
      Module.resize_dataset(f.file_id, "/" + name, h5shape);
      const ds = f.get(name) as InstanceType<typeof h5wasm.Dataset>;
      ds.create_attribute("MATLAB_class", cls, null, `A${cls.length}` as never);
      if (cls === "logical") {
        ds.create_attribute("MATLAB_int_decode", new Int32Array([1]), null, "<i4");
      }
    } catch (e) {
      throw new CmrxError(`cannot create variable '${name}' (${describe(e)})`, {
        file: this.path,
      });
    }
    this.#vars.set(name, {
      dims,
      part: cls === "double" ? 8 : cls === "single" ? 4 : 1,
      complex,
      kind: cls === "single" || cls === "double" ? "float" : "uint",
    });
  }

  /**
   * Writes `data` (column-major with MATLAB dims `count`, interleaved when complex) at
   * 0-based MATLAB `offset` into variable `name`.
   */
  writeSlab(
    name: string,
    offset: number[],
    count: number[],
    data: Float32Array | Float64Array | Uint8Array,
  ): void {
    const f = this.#file();
    const v = this.#vars.get(name);
    if (!v) throw new Error(`variable '${name}' was not created in ${this.path}`);
    const rank = v.dims.length;
    const off = Array.from({ length: rank }, (_, k) => offset[k] ?? 0);
    const cnt = Array.from({ length: rank }, (_, k) => count[k] ?? 1);
    for (let k = rank; k < Math.max(offset.length, count.length); k++) {
      if ((offset[k] ?? 0) !== 0 || (count[k] ?? 1) !== 1) {
        throw new ShapeError(`slab exceeds the rank of '${name}'`, { file: this.path });
      }
    }
    for (let k = 0; k < rank; k++) {
      if (off[k] < 0 || cnt[k] < 1 || off[k] + cnt[k] > v.dims[k]) {
        throw new ShapeError(
          `slab [${off.join(",")}] + [${cnt.join(",")}] outside [${v.dims.join(",")}] of '${name}'`,
          { file: this.path },
        );
      }
    }
    const n = numel(cnt) * (v.complex ? 2 : 1);
    if (data.length !== n) {
      throw new ShapeError(
        `slab data has ${data.length} values, expected ${n} for '${name}'`,
        { file: this.path },
      );
    }
    let bytes: Uint8Array;
    if (v.kind === "uint") bytes = data instanceof Uint8Array ? data : Uint8Array.from(data);
    else if (v.part === 4) {
      const a = data instanceof Float32Array ? data : Float32Array.from(data);
      bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    } else {
      const a = data instanceof Float64Array ? data : Float64Array.from(data);
      bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    }
    const ptr = Module._malloc(bytes.byteLength);
    try {
      Module.HEAPU8.set(bytes, ptr);
      Module.set_dataset_data(
        f.file_id,
        "/" + name,
        [...cnt].reverse().map(BigInt),
        [...off].reverse().map(BigInt),
        cnt.map(() => 1n),
        BigInt(ptr),
      );
    } catch (e) {
      throw new CmrxError(`writing '${name}' failed (${describe(e)})`, { file: this.path });
    } finally {
      Module._free(ptr);
    }
  }

  /** Creates and writes a whole variable in one call. */
  writeVariable(
    name: string,
    array: { dims: number[]; data: Float32Array | Float64Array | Uint8Array; complex?: boolean },
    opts: Omit<CreateVarOptions, "dims" | "complex"> = {},
  ): void {
    const matClass = opts.matClass ??
      (array.data instanceof Float64Array
        ? "double"
        : array.data instanceof Uint8Array
        ? "uint8"
        : "single");
    this.createVariable(name, { ...opts, matClass, dims: array.dims, complex: array.complex });
    this.writeSlab(name, array.dims.map(() => 0), array.dims, array.data);
  }

  /** Finishes the file: HDF5 closed, MATLAB header prepended, moved into place atomically. */
  async close(): Promise<void> {
    const f = this.#file();
    this.#h5 = null;
    const tmpMat = tempPathFor(this.path);
    try {
      f.close();
      await pinObjectTimes(this.#tmpH5, this.#started);
      const out = await Deno.open(tmpMat, { write: true, create: true, truncate: true });
      try {
        await writeAll(out, matV73Header());
        const src = await Deno.open(this.#tmpH5, { read: true });
        try {
          await src.readable.pipeTo(out.writable, { preventClose: true });
        } finally {
          try {
            src.close();
          } catch { /* closed by the stream */ }
        }
      } finally {
        try {
          out.close();
        } catch { /* closed by the stream */ }
      }
      await Deno.remove(this.#tmpH5);
      await Deno.rename(tmpMat, this.path);
    } catch (e) {
      await Deno.remove(tmpMat).catch(() => {});
      await Deno.remove(this.#tmpH5).catch(() => {});
      if (e instanceof CmrxError) throw e;
      throw new CmrxError(`cannot finish writing (${describe(e)})`, {
        file: this.path,
        hint: "check free disk space and write permission",
      });
    }
  }

  /** Drops the file being written; nothing is left at `path` or beside it. */
  async abort(): Promise<void> {
    if (this.#h5) {
      try {
        this.#h5.close();
      } catch { /* ignore */ }
      this.#h5 = null;
    }
    await Deno.remove(this.#tmpH5).catch(() => {});
  }
}

/**
 * libhdf5 writes the clock time into each object header (the "modification time" message,
 * 0x0012, of a version 1 header: type, size 8, flags, 3 reserved, version 1, 3 reserved,
 * seconds) and h5wasm cannot turn that off. For reproducible bytes, every such message whose
 * time falls between `since` and now is set to `outputDate()`. The file is scanned in
 * 1 MiB blocks; version 1 headers carry no checksum.
 */
async function pinObjectTimes(path: string, since: number): Promise<void> {
  const until = Math.floor(Date.now() / 1000) + 2;
  const stamp = Math.floor(outputDate().getTime() / 1000) >>> 0;
  const block = 1 << 20;
  const buf = new Uint8Array(block + 16);
  const dv = new DataView(buf.buffer);
  const hits: number[] = [];
  using f = await Deno.open(path, { read: true, write: true });
  for (let base = 0;; base += block) {
    await f.seek(base, Deno.SeekMode.Start);
    let n = 0;
    while (n < buf.length) {
      const r = await f.read(buf.subarray(n));
      if (r === null) break;
      n += r;
    }
    for (let i = 0; i + 16 <= n && i < block; i++) {
      if (
        buf[i] === 0x12 && buf[i + 1] === 0 && buf[i + 2] === 8 && buf[i + 3] === 0 &&
        buf[i + 5] === 0 && buf[i + 6] === 0 && buf[i + 7] === 0 && buf[i + 8] === 1 &&
        buf[i + 9] === 0 && buf[i + 10] === 0 && buf[i + 11] === 0
      ) {
        const t = dv.getUint32(i + 12, true);
        if (t >= since - 2 && t <= until) hits.push(base + i + 12);
      }
    }
    if (n < buf.length) break;
  }
  const le = new Uint8Array(4);
  new DataView(le.buffer).setUint32(0, stamp, true);
  for (const at of hits) {
    await f.seek(at, Deno.SeekMode.Start);
    await writeAll(f, le);
  }
}

async function writeAll(f: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await f.write(bytes.subarray(off));
}

/** Writes whole variables to a new v7.3 file (atomically). */
export async function writeMatV73(
  path: string,
  vars: { name: string; array: MatArray | { dims: number[]; data: Uint8Array } }[],
  opts: { deflate?: number } = {},
): Promise<void> {
  const w = await MatV73Writer.create(path);
  try {
    for (const { name, array } of vars) {
      const matClass = "matClass" in array && array.matClass === "logical" ? "logical" : undefined;
      w.writeVariable(name, array, { deflate: opts.deflate, matClass });
    }
  } catch (e) {
    await w.abort();
    throw e;
  }
  await w.close();
}
