/**
 * MATLAB v7.3 writer through h5wasm: HDF5 (superblock v0, as MATLAB writes) behind the
 * 512-byte MATLAB header, written to a temporary file and moved into place atomically.
 * Dims are MATLAB dims (column-major); HDF5 gets the reversed shape, so the bytes are never
 * transposed. Complex data, interleaved `(re, im)`, is stored as an HDF5 compound
 * `{real, imag}`. The reader is `read.ts`.
 *
 * @module
 */

import h5wasm, { Module } from "h5wasm/node";
import { CmrxError, ShapeError } from "../../errors.ts";
import { writeAtomic } from "../../output.ts";
import { outputDate } from "../../reproducible.ts";
import { tempPathFor } from "../../tempname.ts";
import { matV73Header } from "../header.ts";
import type { MatArray } from "../types.ts";
import { numel } from "../types.ts";
import { absPath, describe, h5Ready, H5T_COMPOUND, H5T_FLOAT, H5T_INTEGER } from "./h5.ts";

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
  /** Where the file appears when {@link close} succeeds. */
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
    try {
      f.close();
      await pinObjectTimes(this.#tmpH5, this.#started);
      await writeAtomic(this.path, async (tmpMat) => {
        const out = await Deno.open(tmpMat, { write: true, createNew: true });
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
      });
    } catch (e) {
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
