/**
 * One slice of undersampled k-space with its mask, and the one interface every
 * reconstruction method implements over it: classical methods in TypeScript (`recon/`:
 * zero-filled, CG-SENSE, GRAPPA, L+S) and ONNX models (`models/`). A method sees one slice
 * at a time (all coils and all frames or weightings), which bounds memory and lets the
 * pipeline stream a 1 GB file. The contract lives here, below both, so neither imports the
 * other.
 *
 * @module
 */

/** One slice to reconstruct. */
export interface SliceInput {
  /**
   * Undersampled k-space of one slice, complex interleaved, MATLAB dims
   * `(kx, ky, coil, frame)` column-major (kx fastest). Unsampled entries are zero.
   * Single-coil data has `coil = 1`.
   */
  kspace: Float32Array;
  /** `[nx, ny, nc, nt]`. */
  dims: [number, number, number, number];
  /**
   * Sampling mask, MATLAB dims `(kx, ky)` (the same for every frame, 2023) or
   * `(kx, ky, frame)` (k-t masks, 2024/2025); non-zero = sampled.
   */
  mask: Float32Array;
  /** `[nx, ny]` or `[nx, ny, nt]`. */
  maskDims: number[];
  /**
   * The challenge task the slice belongs to (the same word as `Case.task`): `cine`, frames of
   * a cardiac cycle (periodic); `mapping`, T1/T2 weightings.
   */
  task: "cine" | "mapping";
}

/** The reconstructed slice. */
export interface SliceOutput {
  /** Coil-combined magnitude, MATLAB dims `(x, y, frame)`. */
  image: Float32Array;
  /** Iterations or other per-slice figures a method wants to report. */
  info?: Record<string, number>;
}

/** A reconstruction method. */
export interface Reconstructor {
  /** Name as `--method` / `--model` selects it. */
  readonly name: string;
  /** One line for `deno task models` and help texts. */
  readonly description: string;
  /** Whether it works on single-coil data; when false it throws a clear error on it. */
  readonly singleCoil: boolean;
  /**
   * The registry name that rebuilds exactly this reconstructor in a worker (set for the
   * registry's methods with default parameters); absent: it runs in the calling thread.
   */
  readonly spec?: string;
  /** Reconstructs one slice. */
  reconstruct(input: SliceInput): Promise<SliceOutput> | SliceOutput;
}

/** Whether ky line `y` of frame `t` is sampled (any kx non-zero in the mask). */
export function lineSampled(input: SliceInput, y: number, t: number): boolean {
  const [nx, ny] = input.dims;
  const frames = input.maskDims[2] ?? 1;
  const base = nx * ny * (frames > 1 ? t : 0) + nx * y;
  for (let x = 0; x < nx; x++) if (input.mask[base + x] !== 0) return true;
  return false;
}
