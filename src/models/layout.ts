/**
 * Tensor layouts of ONNX model inputs and outputs: reordering a row-major array from one
 * order of axis letters to another.
 *
 * A layout is a comma-separated list of axis letters, outermost first, as ONNX (row-major)
 * sees the tensor: `B` batch, `T` frames or weightings, `C` coils, `Y` phase encode, `X`
 * readout, `2` (re, im) interleaved as the last axis, or `K` for a (re, im) axis of 2 that
 * is not last (it is the same letter as `2` here). Arrays are `Float32Array`s in row-major
 * order (last letter fastest), the dims listed in the same order as the letters.
 *
 * @module
 */

import { ShapeError } from "../errors.ts";

/** A row-major array and its dims, outermost first. */
export interface LaidOut {
  /** The values, row-major (last dim fastest). */
  data: Float32Array;
  /** The dims, outermost first. */
  dims: number[];
}

/**
 * Reorders a row-major array from `src` letters to `dst` letters (same letters, any order;
 * `B` and size-1 axes may be added in `dst`). Returns the data and the dims in `dst` order.
 */
export function permute(
  data: Float32Array,
  src: string[],
  srcDims: number[],
  dst: string[],
): LaidOut {
  const size: Record<string, number> = {};
  src.forEach((l, i) => (size[l] = srcDims[i]));
  const dims = dst.map((l) => size[l] ?? 1);
  const core = dst.filter((l) => l in size);
  if (core.join() === src.join()) return { data, dims };
  if (core.length !== src.length) {
    throw new ShapeError(`layout ${dst.join(",")} does not hold the axes ${src.join(",")}`);
  }
  // Strides of each src letter in the source, walked in dst order.
  const srcStride: Record<string, number> = {};
  let s = 1;
  for (let i = src.length - 1; i >= 0; i--) {
    srcStride[src[i]] = s;
    s *= srcDims[i];
  }
  const order = core.map((l) => ({ n: size[l], stride: srcStride[l] }));
  const out = new Float32Array(data.length);
  const idx = new Array(order.length).fill(0);
  let srcOff = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = data[srcOff];
    for (let k = order.length - 1; k >= 0; k--) {
      idx[k]++;
      srcOff += order[k].stride;
      if (idx[k] < order[k].n) break;
      srcOff -= order[k].stride * order[k].n;
      idx[k] = 0;
    }
  }
  return { data: out, dims };
}

/** The axis letters of a manifest layout (`K` read as `2`). */
export function letters(layout: string): string[] {
  return layout.split(",").map((l) => (l === "K" ? "2" : l.trim()));
}

/**
 * A canonical array (letters `src`, with a leading `B`) in the layout a graph input
 * declares; a batch axis the layout does not name is dropped (it is 1 there).
 */
export function toLayout(
  layout: string,
  c: { data: Float32Array; src: string[]; dims: number[] },
): LaidOut {
  const want = letters(layout);
  if (!want.includes("B") && c.src[0] === "B") {
    return permute(c.data, c.src.slice(1), c.dims.slice(1), want);
  }
  return permute(c.data, c.src, c.dims, want);
}

/**
 * Reorders a model output from its layout letters back to a canonical order `to`; axes of
 * size 1 that `to` does not name are dropped.
 */
export function fromLayout(
  data: Float32Array,
  from: string[],
  dims: number[],
  to: string[],
): Float32Array {
  const size: Record<string, number> = {};
  from.forEach((l, i) => (size[l] = dims[i]));
  const keep = from.filter((l) => to.includes(l) || size[l] !== 1);
  if (keep.join() === to.join()) return data;
  return permute(data, keep, keep.map((l) => size[l]), to).data;
}
