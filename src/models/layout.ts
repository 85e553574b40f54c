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
 * One axis of the tensor may hold several letters joined by `*`, outer first: `T*2` is the
 * channel axis of a 2T-channel U-Net (size `2 nt`, channel `2 t + k` holds part `k` (re,
 * im) of frame `t`), `2*T` the other order (channel `k nt + t`). Merging axes is a reshape
 * of the row-major array: the data is that of the layout with the letters separate.
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

/**
 * The axes of a manifest layout, each as its letters outer first (`K` read as `2`):
 * `"B,T*2,Y,X"` is `[["B"], ["T", "2"], ["Y"], ["X"]]`.
 */
export function axisGroups(layout: string): string[][] {
  return layout.split(",").map((a) => a.split("*").map((l) => (l.trim() === "K" ? "2" : l.trim())));
}

/** The axis letters of a manifest layout, merged axes taken apart (`K` read as `2`). */
export function letters(layout: string): string[] {
  return axisGroups(layout).flat();
}

/** The number of axes of the tensor a layout describes (a merged axis counts once). */
export function rank(layout: string): number {
  return layout.split(",").length;
}

/**
 * The tensor dims of a layout from the size of each letter (letters without a size are 1);
 * a merged axis has the product of its letters' sizes.
 */
export function layoutDims(layout: string, size: Readonly<Record<string, number>>): number[] {
  return axisGroups(layout).map((g) => g.reduce((n, l) => n * (size[l] ?? 1), 1));
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
  const out = !want.includes("B") && c.src[0] === "B"
    ? permute(c.data, c.src.slice(1), c.dims.slice(1), want)
    : permute(c.data, c.src, c.dims, want);
  if (want.length === rank(layout)) return out;
  // merged axes: a reshape of the row-major data
  const size: Record<string, number> = {};
  want.forEach((l, i) => (size[l] = out.dims[i]));
  return { data: out.data, dims: layoutDims(layout, size) };
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
