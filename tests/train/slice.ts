/**
 * One slice of a synthetic k-space file as cmrxkit's reconstructors take it, undersampled
 * with the organisers' uniform mask (for the train/ tests).
 *
 * @module
 */

import { uniformMask2d } from "../../src/kspace/mask.ts";
import type { SliceInput } from "../../src/kspace/slice.ts";
import { openMat } from "../../src/mat/read.ts";

/**
 * Reads slice `slice` of `kspace_full` in `file` (or, `single`, of a single-coil file's
 * `kspace_single_full`, dims `(kx, ky, slice, frame)`, as one coil) and zeroes the lines a
 * uniform mask of acceleration `acc` (24 ACS lines) does not sample.
 */
export async function undersampledSlice(
  file: string,
  slice: number,
  acc: number,
  kind: "cine" | "mapping" = "cine",
  single = false,
): Promise<SliceInput> {
  using mat = await openMat(file);
  const a = single
    ? mat.readSlab("kspace_single_full", [undefined, undefined, slice, undefined])
    : mat.readSlab("kspace_full", [undefined, undefined, undefined, slice, undefined]);
  const [nx, ny, nc, , nt] = single
    ? [a.dims[0], a.dims[1], 1, 1, a.dims[3] ?? 1]
    : a.dims.concat([1, 1, 1, 1, 1]).slice(0, 5);
  const mask = uniformMask2d(nx, ny, acc);
  const kspace = Float32Array.from(a.data);
  // mask dims (kx, ky), x fastest: the same pattern for every coil and frame
  for (let i = 0; i < kspace.length / 2; i++) {
    if (mask[i % (nx * ny)] === 0) kspace[2 * i] = kspace[2 * i + 1] = 0;
  }
  return { kspace, dims: [nx, ny, nc, nt], mask, maskDims: [nx, ny], task: kind };
}
