/**
 * Running a {@link Reconstructor} over a whole k-space file, slice by slice (bounded
 * memory), with its mask. Which variable holds k-space, and its geometry, is
 * `kspace/geometry.ts`.
 *
 * @module
 */

import { CmrxError, ShapeError } from "../errors.ts";
import { formatBytes } from "../format.ts";
import type { MatReader } from "../mat/read.ts";
import type { MatVarInfo } from "../mat/types.ts";
import { findKspaceVariable, type KspaceGeometry, kspaceGeometry } from "../kspace/geometry.ts";
import type { SlicePool } from "./pool.ts";
import type { Reconstructor, SliceInput, SliceOutput } from "../kspace/slice.ts";

/**
 * `new Float32Array(n)`, with an allocation failure turned into a {@link CmrxError} that
 * names the file and the dims instead of a `RangeError`.
 */
function allocate(n: number, file: string, info: MatVarInfo): Float32Array {
  try {
    return new Float32Array(n);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    throw new CmrxError(
      `k-space '${info.name}' [${info.dims.join(" x ")}] needs a buffer of ${
        formatBytes(4 * n)
      }, which does not fit in memory`,
      {
        file,
        hint: "reconstruct it on a machine with more memory; if the dims look wrong, the " +
          "file is damaged: download or copy it again",
      },
    );
  }
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

/** A sampling mask as {@link reconstructFile} takes it. */
export interface MaskInput {
  /** Values, MATLAB dims `(kx, ky)` or `(kx, ky, frame)`; real. */
  data: Float32Array | Float64Array;
  /** MATLAB dims of `data`. */
  dims: number[];
  /** True when `data` is interleaved complex (refused: a mask is real). */
  complex?: boolean;
  /** The mask file, named by errors (default: the k-space file). */
  file?: string;
  /** The mask variable, named by errors. */
  variable?: string;
}

/**
 * Checks that a mask fits k-space: `(kx, ky)` or `(kx, ky, frame)` of the k-space's sizes,
 * real. Errors name the mask file and the k-space file and dims it must match.
 */
export function checkMask(
  mask: MaskInput,
  g: KspaceGeometry,
  kspace: { file: string; info: MatVarInfo },
): void {
  const m = mask.dims;
  const what = `mask${mask.variable ? ` '${mask.variable}'` : ""}`;
  const against = `k-space '${kspace.info.name}' [${
    kspace.info.dims.join(", ")
  }] of ${kspace.file}`;
  const fits = m.length >= 2 && m[0] === g.nx && m[1] === g.ny &&
    (m.length < 3 || m[2] === g.nt || m[2] === 1) && m.slice(3).every((n) => n === 1);
  if (!fits) {
    throw new ShapeError(`${what} dims [${m.join(", ")}] do not fit ${against}`, {
      file: mask.file ?? kspace.file,
      hint:
        `the mask must be (kx, ky) = (${g.nx}, ${g.ny}) or (kx, ky, frame) = (${g.nx}, ${g.ny}, ${g.nt}); ` +
        "pass the mask file that comes with this k-space file",
    });
  }
  if (mask.complex) {
    throw new ShapeError(`${what} is complex; a real or logical mask is expected`, {
      file: mask.file ?? kspace.file,
      hint: "pass the mask file that comes with this k-space file",
    });
  }
}

/**
 * A method's error that names no file (e.g. "the mask has no ACS band"), with the k-space
 * file and slice added; anything else unchanged.
 */
function namingFile(e: unknown, file: string, slice: number): unknown {
  if (!(e instanceof CmrxError) || e.file) return e;
  const fix = e.hint ? `\n  fix: ${e.hint}` : "";
  const message = fix && e.message.endsWith(fix) ? e.message.slice(0, -fix.length) : e.message;
  const Kind = e.constructor as typeof CmrxError;
  return new Kind(`slice ${slice + 1}: ${message}`, { file, hint: e.hint, cause: e });
}

/** Options of {@link reconstructFile}. */
export interface ReconstructFileOptions {
  /** The k-space variable (default: found with {@link findKspaceVariable}). */
  variable?: string;
  /** Sampling mask, MATLAB dims `(kx, ky)` or `(kx, ky, frame)`; default: from the data. */
  mask?: MaskInput;
  /** The slice's task, `cine` or `mapping` (default `cine`). */
  task?: "cine" | "mapping";
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

/** What {@link planReconstruction} found: the variable, its geometry and the checked mask. */
export interface ReconstructionPlan {
  /** The k-space variable. */
  info: MatVarInfo;
  /** Its sizes. */
  geometry: KspaceGeometry;
}

/**
 * Every check {@link reconstructFile} makes before reading data, without doing any work:
 * the k-space variable, its geometry, the method against the
 * coils, and the mask against the geometry. Callers run it to fail fast (e.g. before
 * creating an output folder).
 */
export function planReconstruction(
  mat: MatReader,
  method: Reconstructor,
  opts: Pick<ReconstructFileOptions, "variable" | "mask" | "singleCoil"> = {},
): ReconstructionPlan {
  const info = findKspaceVariable(mat, opts.variable);
  const geometry = kspaceGeometry(info, mat.file, opts.singleCoil);
  if (geometry.nc === 1 && !method.singleCoil) {
    throw new CmrxError(`${method.name} needs multi-coil data and this file is single-coil`, {
      file: mat.file,
      hint: "use zerofill or lps for SingleCoil data (deno task submit --model lps, " +
        "deno task recon --method lps)",
    });
  }
  if (opts.mask) checkMask(opts.mask, geometry, { file: mat.file, info });
  return { info, geometry };
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
  const { info, geometry } = planReconstruction(mat, method, opts);
  const { nx, ny, nc, nz, nt, single } = geometry;
  const slices = opts.slices ?? Array.from({ length: nz }, (_, i) => i);
  const npix = nx * ny;
  const image = allocate(npix * slices.length * nt, mat.file, info);
  const slabLength = 2 * npix * nc * nt;
  const slab = allocate(slabLength, mat.file, info);
  let mask: Float32Array | undefined;
  let maskDims: number[] = [nx, ny];
  if (opts.mask) {
    const m = opts.mask;
    mask = m.data instanceof Float32Array ? m.data : Float32Array.from(m.data);
    maskDims = m.dims.slice(0, 3);
  }
  const pool = opts.pool && method.spec ? opts.pool : undefined;
  // Buffers in flight: each slice being reconstructed holds its own, plus the one being read.
  const spare: Float32Array[] = [slab];
  const take = () => spare.pop() ?? allocate(slabLength, mat.file, info);
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
      task: opts.task ?? "cine",
    };
    // Slice k was read while the previous ones were being reconstructed (in workers, or in
    // onnxruntime's threads for models); wait for a free place, then hand it over.
    while (pending.length >= (pool ? pool.size : 1)) {
      const i = await Promise.race(pending.map((p, j) => p.then(() => j)));
      pending.splice(i, 1);
    }
    pending.push(
      (pool
        ? pool.run(method.spec!, input).then((out) => {
          spare.push(out.kspace);
          store(k, out);
        })
        : Promise.resolve().then(() => method.reconstruct(input)).then((out) => {
          spare.push(buf);
          store(k, out);
        })).catch((e) => {
          throw namingFile(e, mat.file, z);
        }),
    );
  }
  await Promise.all(pending);
  return { image, dims: [nx, ny, slices.length, nt] };
}
