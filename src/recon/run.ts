/**
 * Running a {@link Reconstructor} over a whole k-space file, slice by slice (bounded
 * memory), and finding the k-space and mask variables of a file.
 *
 * @module
 */

import { CmrxError, ShapeError } from "../errors.ts";
import type { MatReader } from "../mat/read.ts";
import type { MatVarInfo } from "../mat/types.ts";
import type { SlicePool } from "./pool.ts";
import type { Reconstructor, SliceInput, SliceOutput } from "./types.ts";

/** The k-space variable of a file: `kspace_*`, `kus`, or the only complex variable. */
export function findKspaceVariable(mat: MatReader, name?: string): MatVarInfo {
  const vars = mat.variables();
  if (name) return mat.info(name);
  const k = vars.filter((v) => v.complex && /^(kspace|kus)/.test(v.name));
  const pick = k.length === 1
    ? k[0]
    : vars.filter((v) => v.complex).length === 1
    ? vars.find((v) => v.complex)
    : undefined;
  if (!pick) {
    throw new CmrxError(
      `cannot tell which variable holds k-space (found: ${
        vars.map((v) => `${v.name} ${v.complex ? "complex " : ""}${v.matClass}`).join(", ") ||
        "none"
      })`,
      { file: mat.file, hint: "name it with --var" },
    );
  }
  return pick;
}

/** Sizes of a k-space variable; `single` when it has no coil dim. */
export interface KspaceGeometry {
  nx: number;
  ny: number;
  nc: number;
  nz: number;
  nt: number;
  single: boolean;
}

/**
 * K-space geometry from MATLAB dims: multi-coil
 * `(kx, ky, coil, slice, frame)`, single-coil `(kx, ky, slice, frame)` — single-coil when
 * `singleCoil` says so, else when the variable (`kspace_single_*`) or the path
 * (`/SingleCoil/`) says so.
 */
export function kspaceGeometry(
  info: MatVarInfo,
  file: string,
  singleCoil?: boolean,
): KspaceGeometry {
  const d = info.dims;
  const single = singleCoil ?? (/single/.test(info.name) || /(^|\/)SingleCoil\//.test(file));
  if (single) return { nx: d[0], ny: d[1], nc: 1, nz: d[2] ?? 1, nt: d[3] ?? 1, single };
  if (d.length < 3 || d.length > 5) {
    throw new ShapeError(
      `'${info.name}' has dims [${d.join(", ")}]; expected (kx, ky, coil, slice, frame)`,
      { file, hint: "pass a CMRxRecon k-space file" },
    );
  }
  return { nx: d[0], ny: d[1], nc: d[2], nz: d[3] ?? 1, nt: d[4] ?? 1, single };
}

/**
 * A mask from the sampled positions of k-space itself (non-zero in any coil), for files
 * without a mask file: MATLAB dims `(kx, ky, frame)` (ky lines are sampled for all kx).
 */
export function maskFromKspace(
  slab: Float32Array,
  nx: number,
  ny: number,
  nc: number,
  nt: number,
): Float32Array {
  const mask = new Float32Array(nx * ny * nt);
  for (let t = 0; t < nt; t++) {
    for (let y = 0; y < ny; y++) {
      let hit = false;
      for (let c = 0; c < nc && !hit; c++) {
        const o = 2 * (nx * (y + ny * (c + nc * t)));
        for (let x = 0; x < 2 * nx; x++) {
          if (slab[o + x] !== 0) {
            hit = true;
            break;
          }
        }
      }
      if (hit) mask.fill(1, nx * (y + ny * t), nx * (y + 1 + ny * t));
    }
  }
  return mask;
}

/** Options of {@link reconstructFile}. */
export interface ReconstructFileOptions {
  /** The k-space variable (default: found with {@link findKspaceVariable}). */
  variable?: string;
  /** Sampling mask, MATLAB dims `(kx, ky)` or `(kx, ky, frame)`; default: from the data. */
  mask?: { data: Float32Array | Float64Array; dims: number[] };
  /** `cine` or `mapping` (default: from the variable count of frames: guessed cine). */
  kind?: "cine" | "mapping";
  /** Single-coil data `(kx, ky, slice, frame)` (default: from the variable name or path). */
  singleCoil?: boolean;
  /** Only these 0-based slices (default all). */
  slices?: number[];
  /** Called after each slice. */
  onSlice?: (done: number, total: number) => void;
  /**
   * Reconstruct slices in parallel in this pool of workers (methods with a `spec` only);
   * the next slices are read while the workers compute.
   */
  pool?: SlicePool;
}

/**
 * Reconstructs every slice of a k-space file with a method.
 *
 * @returns magnitude image, MATLAB dims `(x, y, slice, frame)` (slices as selected)
 */
export async function reconstructFile(
  mat: MatReader,
  method: Reconstructor,
  opts: ReconstructFileOptions = {},
): Promise<{ image: Float32Array; dims: [number, number, number, number] }> {
  const info = findKspaceVariable(mat, opts.variable);
  const { nx, ny, nc, nz, nt, single } = kspaceGeometry(info, mat.file, opts.singleCoil);
  if (nc === 1 && !method.singleCoil) {
    throw new CmrxError(`${method.name} needs multi-coil data and this file is single-coil`, {
      file: mat.file,
      hint: "use --method zerofill or lps for SingleCoil data",
    });
  }
  const slices = opts.slices ?? Array.from({ length: nz }, (_, i) => i);
  const npix = nx * ny;
  const image = new Float32Array(npix * slices.length * nt);
  const slab = new Float32Array(2 * npix * nc * nt);
  let mask: Float32Array | undefined;
  let maskDims: number[] = [nx, ny];
  if (opts.mask) {
    const m = opts.mask;
    if (m.dims[0] !== nx || m.dims[1] !== ny || (m.dims.length > 2 && m.dims[2] !== nt)) {
      throw new ShapeError(
        `mask dims [${m.dims.join(", ")}] do not fit k-space [${info.dims.join(", ")}]`,
        { file: mat.file, hint: "the mask must be (kx, ky) or (kx, ky, frame) of the same size" },
      );
    }
    mask = m.data instanceof Float32Array ? m.data : Float32Array.from(m.data);
    maskDims = m.dims.slice(0, 3);
  }
  const pool = opts.pool && method.spec ? opts.pool : undefined;
  // Buffers in flight: each slice being reconstructed holds its own, plus the one being read.
  const spare: Float32Array[] = [slab];
  const take = () => spare.pop() ?? new Float32Array(2 * npix * nc * nt);
  const pending: Promise<void>[] = [];
  let done = 0;
  const store = (k: number, out: SliceOutput) => {
    if (out.image.length !== npix * nt) {
      throw new Error(`${method.name} returned ${out.image.length} values, expected ${npix * nt}`);
    }
    for (let t = 0; t < nt; t++) {
      image.set(out.image.subarray(npix * t, npix * (t + 1)), npix * (k + slices.length * t));
    }
    opts.onSlice?.(++done, slices.length);
  };
  for (const [k, z] of slices.entries()) {
    const buf = take();
    const ranges = single ? [undefined, undefined, z] : [undefined, undefined, undefined, z];
    mat.readSlab(info.name, ranges, { out: buf });
    if (!mask) {
      mask = maskFromKspace(buf, nx, ny, nc, nt);
      maskDims = [nx, ny, nt];
    }
    for (let i = 0; i < buf.length; i++) {
      if (!Number.isFinite(buf[i])) {
        throw new ShapeError(`k-space of slice ${z + 1} holds NaN or Inf`, {
          file: mat.file,
          hint: "the file is corrupt; download or copy it again",
        });
      }
    }
    const input: SliceInput = {
      kspace: buf,
      dims: [nx, ny, nc, nt],
      mask,
      maskDims,
      kind: opts.kind ?? "cine",
    };
    // Slice k was read while the previous ones were being reconstructed (in workers, or in
    // onnxruntime's threads for models); wait for a free place, then hand it over.
    while (pending.length >= (pool ? pool.size : 1)) {
      const i = await Promise.race(pending.map((p, j) => p.then(() => j)));
      pending.splice(i, 1);
    }
    pending.push(
      pool
        ? pool.run(method.spec!, input).then((out) => {
          spare.push(out.kspace);
          store(k, out);
        })
        : Promise.resolve(method.reconstruct(input)).then((out) => {
          spare.push(buf);
          store(k, out);
        }),
    );
  }
  await Promise.all(pending);
  return { image, dims: [nx, ny, slices.length, nt] };
}
