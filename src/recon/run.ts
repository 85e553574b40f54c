/**
 * Running a {@link Reconstructor} over a whole k-space file, slice by slice (bounded
 * memory), finding the k-space and mask variables of a file, and checking an output path
 * before any work is done.
 *
 * @module
 */

import { CmrxError, MatFormatError, ShapeError } from "../errors.ts";
import { formatBytes } from "../format.ts";
import type { MatReader } from "../mat/read.ts";
import type { MatVarInfo } from "../mat/types.ts";
import type { SlicePool } from "./pool.ts";
import type { Reconstructor, SliceInput, SliceOutput } from "./types.ts";

/** What cmrxkit reconstructs, for messages. */
export const KSPACE_EXPECTED =
  "complex single or double k-space with MATLAB dims (kx, ky, coil, slice, frame), or " +
  "(kx, ky, slice, frame) for single-coil data";

/** Names that say a variable holds k-space. */
const KSPACE_NAME = /^(kspace|kus)/;

/** What a variable stores, in words: `complex single`, `int16`, `float16`, `cell`. */
function storedAs(v: MatVarInfo): string {
  return v.stored ?? `${v.complex ? "complex " : ""}${v.matClass}`;
}

/** `'name' int16 [16 x 12 x 2]`. */
function describeVar(v: MatVarInfo): string {
  return `'${v.name}' ${storedAs(v)}${v.dims.length ? ` [${v.dims.join(" x ")}]` : ""}`;
}

/**
 * Why a variable cannot hold k-space (unreadable, or not complex), or undefined when its
 * class can. Dims are checked by {@link kspaceGeometry}.
 */
export function whyNotKspace(v: MatVarInfo): string | undefined {
  if (v.unusable) return v.unusable;
  if (!v.complex) {
    const real = v.matClass === "single" || v.matClass === "double" ? " (real)" : "";
    return `class ${v.matClass}${real} found; complex k-space is expected`;
  }
  return undefined;
}

/** The fix for a file none of whose variables can be k-space. */
function notKspaceHint(vars: MatVarInfo[]): string {
  if (vars.some((v) => v.damaged)) return "the file is damaged; download or copy it again";
  return `cmrxkit reconstructs ${KSPACE_EXPECTED}; pass the original CMRxRecon file, or ` +
    "convert the data to complex k-space (e.g. complex(re, im) in MATLAB)";
}

/**
 * The k-space variable of a file: the one named with `name`, else `kspace_*` / `kus*`, else
 * the only complex variable. Errors say what each variable is and why it cannot be
 * k-space (real or integer class, float16, cell, string, compound, damaged).
 */
export function findKspaceVariable(mat: MatReader, name?: string): MatVarInfo {
  if (name) {
    const info = mat.info(name);
    const why = whyNotKspace(info);
    if (why) {
      throw new ShapeError(`${describeVar(info)} cannot be k-space: ${why}`, {
        file: mat.file,
        hint: notKspaceHint([info]),
      });
    }
    return info;
  }
  const vars = mat.variables();
  const usable = vars.filter((v) => !whyNotKspace(v));
  const named = usable.filter((v) => KSPACE_NAME.test(v.name));
  refuseUnusableKspace(mat.file, vars, usable, named);
  const pick = named.length === 1 ? named[0] : usable.length === 1 ? usable[0] : undefined;
  if (pick) return pick;
  if (usable.length > 1) {
    const among = named.length > 1 ? named : usable;
    throw new CmrxError(
      `cannot tell which variable holds k-space: ${among.map(describeVar).join(", ")} all could`,
      { file: mat.file, hint: `name it with --var (e.g. --var ${among[0].name})` },
    );
  }
  if (vars.length === 0) {
    throw new ShapeError(`holds no variables; ${KSPACE_EXPECTED} is expected`, {
      file: mat.file,
      hint: "pass a CMRxRecon k-space file (e.g. cine_sax.mat); if it is one, it is damaged: " +
        "download or copy it again",
    });
  }
  const found = vars.map((v) => `\n  ${describeVar(v)}: ${whyNotKspace(v)}`).join("");
  throw new ShapeError(
    `no variable can be k-space; found:${found}`,
    { file: mat.file, hint: notKspaceHint(vars) },
  );
}

/**
 * Refuses to pick another variable when the k-space cannot be read: a k-space-named
 * variable that is unusable (damaged, or of a type cmrxkit does not read), or, when the
 * pick would be the only complex variable, any damaged variable (it may be the k-space).
 */
function refuseUnusableKspace(
  file: string,
  vars: MatVarInfo[],
  usable: MatVarInfo[],
  named: MatVarInfo[],
): void {
  const namedBad = vars.filter((v) => v.unusable && KSPACE_NAME.test(v.name));
  const bad = namedBad.length
    ? namedBad
    : named.length === 0 && usable.length === 1
    ? vars.filter((v) => v.damaged)
    : [];
  // with nothing usable, the caller's error lists every variable and why
  if (bad.length === 0 || usable.length === 0) return;
  const list = bad.map((v) => `${describeVar(v)}: ${v.unusable}`).join("; ");
  const others = usable.filter((v) => !bad.includes(v));
  const instead = others.length
    ? `; no other variable is reconstructed in its place (name one with --var ${
      others[0].name
    } if that is what you mean)`
    : "";
  if (bad.some((v) => v.damaged)) {
    throw new MatFormatError(
      `${namedBad.length ? "the k-space" : "a variable that may be the k-space"} cannot be ` +
        `read: ${list}${instead}`,
      { file, hint: "the file is damaged; download or copy it again" },
    );
  }
  throw new ShapeError(`the k-space cannot be read: ${list}${instead}`, {
    file,
    hint: `cmrxkit reads ${KSPACE_EXPECTED}` +
      (others.length
        ? `; to reconstruct another variable, name it with --var ${others[0].name}`
        : ""),
  });
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
 * Refuses dims that cannot be real: zero (empty) or not safe integers. Dims with more data
 * than the file holds never get here: the readers list such variables as damaged (MAT
 * v7.3 against the file's size, MAT v5 against the bytes its data elements hold).
 */
function checkDims(info: MatVarInfo, file: string): void {
  const d = info.dims;
  if (!d.every((n) => Number.isSafeInteger(n) && n >= 1)) {
    const why = d.some((n) => n === 0) ? "it is empty" : "the dims are corrupt";
    throw new ShapeError(`'${info.name}' has dims [${d.join(" x ")}]: ${why}`, {
      file,
      hint: "the file is damaged or not k-space; download or copy it again",
    });
  }
}

/**
 * K-space geometry from MATLAB dims: multi-coil
 * `(kx, ky, coil, slice, frame)`, single-coil `(kx, ky, slice, frame)` — single-coil when
 * `singleCoil` says so, else when the variable (`kspace_single_*`) or the path
 * (`/SingleCoil/`) says so. Empty or corrupt (not safe integer) dims are refused.
 */
export function kspaceGeometry(
  info: MatVarInfo,
  file: string,
  singleCoil?: boolean,
): KspaceGeometry {
  const d = info.dims;
  checkDims(info, file);
  const single = singleCoil ?? (/single/.test(info.name) || /(^|\/)SingleCoil\//.test(file));
  if (single) {
    if (d.length < 2 || d.length > 4) {
      throw new ShapeError(
        `'${info.name}' has dims [${
          d.join(", ")
        }]; expected (kx, ky, slice, frame) for single-coil k-space`,
        { file, hint: "pass a CMRxRecon single-coil k-space file, or --coil multi" },
      );
    }
    return { nx: d[0], ny: d[1], nc: 1, nz: d[2] ?? 1, nt: d[3] ?? 1, single };
  }
  if (d.length < 3 || d.length > 5) {
    throw new ShapeError(
      `'${info.name}' has dims [${d.join(", ")}]; expected (kx, ky, coil, slice, frame)`,
      { file, hint: "pass a CMRxRecon k-space file" },
    );
  }
  return { nx: d[0], ny: d[1], nc: d[2], nz: d[3] ?? 1, nt: d[4] ?? 1, single };
}

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
      hint: "use --method zerofill or lps for SingleCoil data",
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
      kind: opts.kind ?? "cine",
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
