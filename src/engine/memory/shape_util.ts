/**
 * Helpers of the shape rules in shapes.ts: the {@link Info} record a rule produces (dims
 * outermost first, ONNX element type, row-major value when small and static), numpy
 * broadcasting of shapes and small values, attribute readers, convolution/slice output
 * sizes, and the op tables (unary, boolean-valued, foldable binary ops).
 *
 * @module
 */

import type { AttributeValue, DecodedNode, DecodedTensor } from "../onnx/mod.ts";
import { DataType, tensorValues } from "../onnx/mod.ts";

/** A tensor's inferred shape and type, with its value when small and static. */
export interface Info {
  dims: number[];
  elemType: number;
  /** Values (row-major) when known statically and small (shape arithmetic, constants). */
  value?: number[];
}

/** Values of at most this many elements are tracked for constant folding. */
export const MAX_VALUE = 4096;

/** A shape rule that cannot be applied (the estimate records it as a warning). */
export class InferError extends Error {}

/** Product of dims (1 for a scalar). */
export function prod(d: readonly number[]): number {
  let p = 1;
  for (const x of d) p *= x;
  return p;
}

/** A possibly negative axis made non-negative; throws {@link InferError} out of range. */
export function norm(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new InferError(`axis ${axis} out of range for rank ${rank}`);
  return a;
}

/** Numpy broadcasting of shapes. */
export function broadcast(...shapes: number[][]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const k = rank - s.length + i;
      const d = s[i];
      if (d === out[k] || d === 1) continue;
      if (out[k] === 1) out[k] = d;
      else throw new InferError(`cannot broadcast [${shapes.map((x) => x.join(",")).join("] [")}]`);
    }
  }
  return out;
}

/** Elementwise op on broadcast values (only when every input has a small value). */
export function broadcastValues(
  ins: Info[],
  outDims: number[],
  fn: (...xs: number[]) => number,
): number[] | undefined {
  if (!ins.every((i) => i.value) || !(prod(outDims) <= MAX_VALUE)) return undefined;
  if (outDims.some((d) => !Number.isInteger(d) || d < 0)) return undefined;
  const n = prod(outDims);
  const rank = outDims.length;
  const out = new Array<number>(n);
  const idx = new Array<number>(rank).fill(0);
  const strides = ins.map((inp) => {
    const s = new Array<number>(rank).fill(0);
    let acc = 1;
    for (let k = inp.dims.length - 1; k >= 0; k--) {
      const r = rank - inp.dims.length + k;
      s[r] = inp.dims[k] === 1 ? 0 : acc;
      acc *= inp.dims[k];
    }
    return s;
  });
  for (let i = 0; i < n; i++) {
    let rem = i;
    for (let k = rank - 1; k >= 0; k--) {
      idx[k] = rem % outDims[k];
      rem = Math.floor(rem / outDims[k]);
    }
    const xs = ins.map((inp, j) => {
      let off = 0;
      for (let k = 0; k < rank; k++) off += idx[k] * strides[j][k];
      return inp.value![off];
    });
    out[i] = fn(...xs);
  }
  return out;
}

/** A node attribute's decoded value, or undefined. */
export function attrOf(node: DecodedNode, name: string): AttributeValue | undefined {
  return node.attributes[name]?.value;
}
/** An INT attribute, or `def`. */
export function attrInt(node: DecodedNode, name: string, def: number): number {
  const v = attrOf(node, name);
  return typeof v === "number" ? v : def;
}
/** An INTS attribute, or undefined. */
export function attrInts(node: DecodedNode, name: string): number[] | undefined {
  const v = attrOf(node, name);
  return Array.isArray(v) ? (v as number[]) : undefined;
}
/** A FLOATS attribute, or undefined. */
export function attrFloats(node: DecodedNode, name: string): number[] | undefined {
  return attrInts(node, name);
}
/** A STRING attribute, or `def`. */
export function attrString(node: DecodedNode, name: string, def: string): string {
  const v = attrOf(node, name);
  return typeof v === "string" ? v : def;
}

/** The {@link Info} of an initializer or constant tensor (its value when small). */
export function infoOfTensor(t: DecodedTensor): Info {
  const info: Info = { dims: t.dims.slice(), elemType: t.dataType };
  if (t.size <= MAX_VALUE && !t.external) {
    try {
      info.value = tensorValues(t);
    } catch { /* no value */ }
  }
  return info;
}

/** Input k's value, or a failure naming what was needed. */
export function need(ins: (Info | undefined)[], k: number, what: string): number[] {
  const v = ins[k]?.value;
  if (!v) throw new InferError(`${what} (input ${k}) is not static`);
  return v;
}

/** Dims after reducing over `axes` (all when undefined), kept as 1 when `keep`. */
export function reduceDims(dims: number[], axes: number[] | undefined, keep: boolean): number[] {
  const rank = dims.length;
  const ax = new Set((axes ?? dims.map((_, i) => i)).map((a) => norm(a, rank)));
  const out: number[] = [];
  dims.forEach((d, i) => {
    if (!ax.has(i)) out.push(d);
    else if (keep) out.push(1);
  });
  return out;
}

/**
 * Spatial output sizes of a Conv/ConvTranspose/pool node for input dims `x` (N, C,
 * spatial...) and the kernel's spatial sizes, honouring strides, dilations, pads, auto_pad.
 */
export function convSpatial(
  node: DecodedNode,
  x: number[],
  kernel: number[],
  transpose: boolean,
  ceilMode = false,
): number[] {
  const k = kernel.length;
  const strides = attrInts(node, "strides") ?? new Array(k).fill(1);
  const dil = attrInts(node, "dilations") ?? new Array(k).fill(1);
  const pads = attrInts(node, "pads") ?? new Array(2 * k).fill(0);
  const autoPad = attrString(node, "auto_pad", "NOTSET");
  const spatial = x.slice(2);
  if (spatial.length !== k) {
    throw new InferError(`kernel rank ${k} does not match input [${x.join(", ")}]`);
  }
  if (transpose) {
    const outShape = attrInts(node, "output_shape");
    if (outShape) return outShape.slice(-k);
    const outPad = attrInts(node, "output_padding") ?? new Array(k).fill(0);
    return spatial.map((d, i) => {
      if (autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") return d * strides[i];
      const p = autoPad === "VALID" ? 0 : pads[i] + pads[i + k];
      return strides[i] * (d - 1) + outPad[i] + (kernel[i] - 1) * dil[i] + 1 - p;
    });
  }
  return spatial.map((d, i) => {
    const eff = (kernel[i] - 1) * dil[i] + 1;
    if (autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") {
      return Math.ceil(d / strides[i]);
    }
    const p = autoPad === "VALID" ? 0 : pads[i] + pads[i + k];
    const r = (d + p - eff) / strides[i];
    if (!ceilMode) return Math.floor(r) + 1;
    // ceil mode: a last window that would start in the end padding is dropped
    let out = Math.ceil(r) + 1;
    if ((out - 1) * strides[i] >= d + (autoPad === "VALID" ? 0 : pads[i])) out--;
    return out;
  });
}

/** First index and element count of a Slice along a dim of size `dim`. */
export function sliceRange(
  dim: number,
  start: number,
  end: number,
  step: number,
): { start: number; count: number } {
  if (step === 0) throw new InferError("Slice step 0");
  let s = start < 0 ? start + dim : start;
  let e = end < 0 ? end + dim : end;
  if (step > 0) {
    s = Math.min(Math.max(s, 0), dim);
    e = Math.min(Math.max(e, 0), dim);
    return { start: s, count: Math.max(0, Math.ceil((e - s) / step)) };
  }
  s = Math.min(Math.max(s, 0), dim - 1);
  e = Math.min(Math.max(e, -1), dim - 1);
  return { start: s, count: Math.max(0, Math.ceil((s - e) / -step)) };
}

/** Ops whose (first) output has the first input's shape and type. */
export const UNARY = new Set([
  "Identity",
  "Relu",
  "LeakyRelu",
  "PRelu",
  "Sigmoid",
  "Tanh",
  "Elu",
  "Selu",
  "Celu",
  "Gelu",
  "Erf",
  "HardSigmoid",
  "HardSwish",
  "Softplus",
  "Softsign",
  "Mish",
  "ThresholdedRelu",
  "Shrink",
  "Exp",
  "Log",
  "Sqrt",
  "Reciprocal",
  "Abs",
  "Neg",
  "Floor",
  "Ceil",
  "Round",
  "Sign",
  "Sin",
  "Cos",
  "Tan",
  "Atan",
  "Asin",
  "Acos",
  "Sinh",
  "Cosh",
  "Clip",
  "Softmax",
  "LogSoftmax",
  "Hardmax",
  "InstanceNormalization",
  "LpNormalization",
  "MeanVarianceNormalization",
  "LRN",
  "CumSum",
  "Trilu",
  "Dropout",
]);

/** Unary ops folded on small static values. */
export const UNARY_FN: Partial<Record<string, (x: number) => number>> = {
  Identity: (x) => x,
  Neg: (x) => -x,
  Abs: Math.abs,
  Floor: Math.floor,
  Ceil: Math.ceil,
  Sqrt: Math.sqrt,
  Relu: (x) => Math.max(0, x),
  Sign: Math.sign,
};

/** Ops with a bool output. */
export const BOOL_OUT = new Set([
  "Equal",
  "Less",
  "Greater",
  "LessOrEqual",
  "GreaterOrEqual",
  "And",
  "Or",
  "Xor",
  "Not",
  "IsNaN",
  "IsInf",
]);

/** Broadcasting elementwise ops (variadic for Max/Min/Sum/Mean), folded on small values. */
export const BINARY_FN: Record<string, (...xs: number[]) => number> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b) => a / b,
  Pow: (a, b) => a ** b,
  Mod: (a, b) => a % b,
  Max: (...xs) => Math.max(...xs),
  Min: (...xs) => Math.min(...xs),
  Sum: (...xs) => xs.reduce((a, b) => a + b, 0),
  Mean: (...xs) => xs.reduce((a, b) => a + b, 0) / xs.length,
  Equal: (a, b) => (a === b ? 1 : 0),
  Less: (a, b) => (a < b ? 1 : 0),
  Greater: (a, b) => (a > b ? 1 : 0),
  LessOrEqual: (a, b) => (a <= b ? 1 : 0),
  GreaterOrEqual: (a, b) => (a >= b ? 1 : 0),
  And: (a, b) => (a && b ? 1 : 0),
  Or: (a, b) => (a || b ? 1 : 0),
  Xor: (a, b) => ((a ? 1 : 0) ^ (b ? 1 : 0)),
  BitShift: (a, b) => a * 2 ** b,
};

/** Integer (and bool) element types: their folded values are truncated. */
export const INT_TYPES = new Set([
  DataType.INT64,
  DataType.INT32,
  DataType.INT16,
  DataType.INT8,
  DataType.UINT8,
  DataType.UINT16,
  DataType.UINT32,
  DataType.UINT64,
  DataType.BOOL,
]);

/** Whether an element type is an integer or bool type. */
export function isIntType(t: number): boolean {
  return (INT_TYPES as Set<number>).has(t);
}
