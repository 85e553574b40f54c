/**
 * MATLAB v7.3 reader (HDF5 behind a 512-byte MATLAB header) through h5wasm: lists the
 * variables of a file and reads whole variables or hyperslabs of them.
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
 * The writer is `write.ts`.
 *
 * @module
 */

import h5wasm, { Module } from "h5wasm/node";
import { CmrxError, MatFormatError, MatVariableError, ShapeError } from "../../errors.ts";
import { assertRegularFile } from "../../fsutil.ts";
import { MAX_COMPRESSION_RATIO } from "../../inflate.ts";
import type { MatArray, MatClass, MatVarInfo } from "../types.ts";
import { numel } from "../types.ts";
import { absPath, describe, h5Ready } from "./h5.ts";
import {
  BUILTIN_FILTERS,
  bytesText,
  classFromType,
  convert,
  type ElementType,
  elementType,
  filterName,
  HINT_CORRUPT,
  HINT_FILTER,
  HINT_TYPES,
  matlabDims,
  MAX_DECLARED_BYTES,
} from "./element.ts";

/** The largest slab one read may allocate inside the 2 GiB wasm heap. */
export const MAX_SLAB_BYTES = 1.5 * 1024 ** 3;

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

/** What the reader knows of one root object. */
interface VarMeta {
  info: MatVarInfo;
  h5shape: number[];
  /** null when the variable is unusable ({@link MatVarInfo.unusable}). */
  type: ElementType | null;
  empty: boolean;
  /** The fix for an unusable variable. */
  hint?: string;
}

/**
 * An open MATLAB v7.3 (or plain HDF5) file. Variables are the datasets at the root.
 * Close it when done (`using` works too).
 */
export class MatV73Reader {
  /** The path it was opened from. */
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

  /** Closes the file at the end of a `using` block (same as {@link close}). */
  [Symbol.dispose](): void {
    this.close();
  }
}
