/**
 * `padMultiple`: a graph that needs image sizes that are multiples of `[py, px]` gets each
 * slice padded to the next multiples, and its output brought back to the slice's own grid.
 * Two ways (manifest `padMode`; the default follows the input roles):
 *
 * - **`image`** (default when no input is `kspace` or `mask`): the image-domain inputs
 *   (`zerofilled`, `rss`, `sensitivity`) are built on the slice's grid, then zero-padded
 *   around, centred (offset `floor(n'/2) - floor(n/2)`), as U-Net code pads an image; the
 *   output is cropped back at the same offset. A model that returns its input gives back
 *   exactly the unpadded result. A `kspace` or `mask` input cannot be padded this way (its
 *   samples would no longer lie on the grid).
 * - **`kspace`** (default when an input is `kspace` or `mask`): the k-space is zero-padded,
 *   centred: the measured samples keep their place, the new ky lines and kx columns are
 *   unsampled (zero data, mask 0), so data consistency stays true, and every input is built
 *   on the padded grid (the same field of view on a finer pixel grid; coil maps estimated
 *   there). Each output frame goes to k-space (centred orthonormal FFT), the original block
 *   is cut out at the same offset, and the inverse FFT on the original size gives the frame on
 *   the slice's grid: exact for an output that is linear in the k-space (a coil image, or
 *   what data consistency returns), a band-limited resampling otherwise. A real (magnitude)
 *   output is brought back as a complex frame with zero imaginary part.
 *
 * @module
 */

import { fft2c, ifft2c } from "../kspace/fft.ts";
import type { SliceInput } from "../kspace/slice.ts";

/** How a slice is padded: see the module docs. */
export type PadMode = "image" | "kspace";

/** The padded grid of a slice, and where the original block sits in it. */
export interface PadPlan {
  /** Image-domain padding (crop back) or k-space padding (FFT, crop, inverse FFT back). */
  mode: PadMode;
  /** Original readout and phase sizes. */
  nx: number;
  ny: number;
  /** Padded sizes (multiples of `padMultiple`). */
  px: number;
  py: number;
  /** Offsets of the original block in the padded k-space or image. */
  ox: number;
  oy: number;
}

/**
 * The padding `padMultiple` `[my, mx]` asks for a `nx` x `ny` slice; null when the sizes are
 * multiples already (nothing to pad).
 */
export function padPlan(
  padMultiple: readonly [number, number] | undefined,
  nx: number,
  ny: number,
  mode: PadMode = "kspace",
): PadPlan | null {
  if (!padMultiple) return null;
  const [my, mx] = padMultiple;
  const px = Math.ceil(nx / mx) * mx;
  const py = Math.ceil(ny / my) * my;
  if (px === nx && py === ny) return null;
  return {
    mode,
    nx,
    ny,
    px,
    py,
    ox: Math.floor(px / 2) - Math.floor(nx / 2),
    oy: Math.floor(py / 2) - Math.floor(ny / 2),
  };
}

/**
 * Copies `count` complex or real planes `(nx, ny)` (column-major, x fastest) into
 * zero planes `(px, py)` at offset `(ox, oy)`; `w` is 2 for complex interleaved, 1 for real.
 */
export function padPlanes(
  src: Float32Array,
  p: PadPlan,
  count: number,
  w: number,
): Float32Array {
  const out = new Float32Array(w * p.px * p.py * count);
  const row = w * p.nx;
  for (let k = 0; k < count; k++) {
    for (let y = 0; y < p.ny; y++) {
      const s = w * (p.nx * (y + p.ny * k));
      const d = w * (p.ox + p.px * (y + p.oy + p.py * k));
      out.set(src.subarray(s, s + row), d);
    }
  }
  return out;
}

/**
 * The slice on the padded grid: k-space `(px, py, coil, frame)` with zeros around the
 * original block, and the mask padded with zeros (the new lines are not sampled).
 */
export function padSlice(input: SliceInput, p: PadPlan): SliceInput {
  const [, , nc, nt] = input.dims;
  const maskPlanes = input.maskDims[2] ?? 1;
  return {
    kspace: padPlanes(input.kspace, p, nc * nt, 2),
    dims: [p.px, p.py, nc, nt],
    mask: padPlanes(input.mask, p, maskPlanes, 1),
    maskDims: input.maskDims.length > 2 ? [p.px, p.py, maskPlanes] : [p.px, p.py],
    task: input.task,
  };
}

/**
 * One output frame brought back from the padded grid to the slice's: complex interleaved
 * `(px, py)` in, complex interleaved `(nx, ny)` out (a real frame: pass it with zero
 * imaginary parts).
 */
export function unpadFrame(frame: Float32Array, p: PadPlan): Float32Array {
  const k = fft2c(frame, p.px, p.py, 1);
  const crop = new Float32Array(2 * p.nx * p.ny);
  const row = 2 * p.nx;
  for (let y = 0; y < p.ny; y++) {
    const s = 2 * (p.ox + p.px * (y + p.oy));
    crop.set(k.subarray(s, s + row), row * y);
  }
  return ifft2c(crop, p.nx, p.ny, 1, crop);
}

/**
 * One output frame of an image-padded run cropped back to the slice's grid: `(px, py)` in,
 * `(nx, ny)` out; `w` is 2 for complex interleaved, 1 for real.
 */
export function cropFrame(frame: Float32Array, p: PadPlan, w: number): Float32Array {
  const out = new Float32Array(w * p.nx * p.ny);
  const row = w * p.nx;
  for (let y = 0; y < p.ny; y++) {
    const s = w * (p.ox + p.px * (y + p.oy));
    out.set(frame.subarray(s, s + row), row * y);
  }
  return out;
}

/**
 * The pad mode of a manifest: its `padMode`, else `kspace` when an input is `kspace` or
 * `mask`, else `image`.
 */
export function padModeOf(m: { padMode?: PadMode; inputs: { role: string }[] }): PadMode {
  if (m.padMode) return m.padMode;
  return m.inputs.some((t) => t.role === "kspace" || t.role === "mask") ? "kspace" : "image";
}
