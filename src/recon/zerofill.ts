/**
 * The zero-filled {@link Reconstructor}: {@link zeroFilledRss} (centred orthonormal inverse
 * FFT of every coil's undersampled k-space, root-sum-of-squares) as a method, the reference
 * floor of every comparison. Output: magnitude images, MATLAB dims `(x, y, frame)`.
 *
 * @module
 */

import type { Reconstructor, SliceInput, SliceOutput } from "../kspace/slice.ts";
import { zeroFilledRss } from "../kspace/zerofill.ts";

/** Zero-filled RSS as a {@link Reconstructor} (`--method zerofill`): the reference floor. */
export function createZeroFilled(): Reconstructor {
  return {
    name: "zerofill",
    description: "zero-filled inverse FFT + root-sum-of-squares (the reference floor)",
    singleCoil: true,
    reconstruct(input: SliceInput): SliceOutput {
      const [nx, ny, nc, nt] = input.dims;
      return { image: zeroFilledRss(input.kspace, [nx, ny, nc, nt]) };
    },
  };
}
