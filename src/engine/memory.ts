/**
 * Static memory estimate of an ONNX model for given input shapes, and batch planning
 * against a memory limit (the CMRxRecon 24 GB GPU limit).
 *
 * `estimateMemory` infers every tensor's shape from the graph (rules for the ops cmrxkit's
 * and PyTorch-exported reconstruction models use, with constant folding of the small
 * integer tensors that shape arithmetic produces), then walks the nodes in topological
 * order: a tensor is alive from the node that produces it (graph inputs: from the start)
 * to its last consumer (graph outputs: to the end). The peak of the live bytes is the
 * activation estimate; initializers and constants are the weights. Ops without a rule are
 * listed in `unknownOps` and guessed conservatively (output = largest input, or the
 * graph's `value_info` shape when present), so an estimate always comes back.
 *
 * What it does not count: the runtime's own workspaces (cuDNN convolution workspace, CPU
 * im2col buffers, arena rounding), the CUDA context (~300-500 MiB) and framework overhead;
 * hence the safety margin of {@link planBatch}.
 *
 * @module
 */

import { ShapeError } from "../errors.ts";
import { formatBytes } from "../format.ts";
import {
  DataType,
  type DecodedGraph,
  type DecodedModel,
  type DecodedNode,
  type DecodedTensor,
  decodeModel,
  elemSize,
  tensorValues,
} from "./onnx.ts";

/** A tensor's inferred shape and type, with its value when small and static. */
interface Info {
  dims: number[];
  elemType: number;
  /** Values (row-major) when known statically and small (shape arithmetic, constants). */
  value?: number[];
}

/** One tensor of the estimate. */
export interface TensorEstimate {
  /** Value name. */
  name: string;
  /** Inferred dims. */
  dims: number[];
  /** Bytes it takes. */
  bytes: number;
  /** Producing node (`name` or `opType#index`), `input` for a graph input. */
  producer: string;
  /** Step (node index in execution order) of production (0 for inputs). */
  first: number;
  /** Step of the last use (the last step for graph outputs). */
  last: number;
}

/** The result of {@link estimateMemory}. */
export interface MemoryEstimate {
  /** Initializers plus `Constant` node values, bytes. */
  weightsBytes: number;
  /**
   * Peak bytes of simultaneously live activations (graph inputs, intermediates and outputs;
   * statically known small tensors such as shapes excluded).
   */
  peakActivationBytes: number;
  /** Sum of the graph inputs' bytes. */
  inputBytes: number;
  /** Sum of the graph outputs' bytes. */
  outputBytes: number;
  /** The node executing at the peak (`name` or `opType#index`). */
  peakNode?: string;
  /** Inferred output shapes by graph output name. */
  outputShapes: Record<string, number[]>;
  /** Every activation tensor, when `perTensor: true` was asked for. */
  perTensor?: TensorEstimate[];
  /** Op types with no shape rule (their outputs were guessed). Empty when all are known. */
  unknownOps: string[];
  /** Shape rules that failed (e.g. a Reshape whose shape is not static), one line each. */
  warnings: string[];
}

/** Options of {@link estimateMemory}. */
export interface EstimateOptions {
  /** Return {@link MemoryEstimate.perTensor}. */
  perTensor?: boolean;
}

/** Values of at most this many elements are tracked for constant folding. */
const MAX_VALUE = 4096;

class InferError extends Error {}

function prod(d: readonly number[]): number {
  let p = 1;
  for (const x of d) p *= x;
  return p;
}

function norm(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new InferError(`axis ${axis} out of range for rank ${rank}`);
  return a;
}

/** Numpy broadcasting of shapes. */
function broadcast(...shapes: number[][]): number[] {
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
function broadcastValues(
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

function attrOf(node: DecodedNode, name: string) {
  return node.attributes[name]?.value;
}
function attrInt(node: DecodedNode, name: string, def: number): number {
  const v = attrOf(node, name);
  return typeof v === "number" ? v : def;
}
function attrInts(node: DecodedNode, name: string): number[] | undefined {
  const v = attrOf(node, name);
  return Array.isArray(v) ? (v as number[]) : undefined;
}
function attrFloats(node: DecodedNode, name: string): number[] | undefined {
  return attrInts(node, name);
}
function attrString(node: DecodedNode, name: string, def: string): string {
  const v = attrOf(node, name);
  return typeof v === "string" ? v : def;
}

function infoOfTensor(t: DecodedTensor): Info {
  const info: Info = { dims: t.dims.slice(), elemType: t.dataType };
  if (t.size <= MAX_VALUE && !t.external) {
    try {
      info.value = tensorValues(t);
    } catch { /* no value */ }
  }
  return info;
}

/** Input k's value, or a failure naming what was needed. */
function need(ins: (Info | undefined)[], k: number, what: string): number[] {
  const v = ins[k]?.value;
  if (!v) throw new InferError(`${what} (input ${k}) is not static`);
  return v;
}

function reduceDims(dims: number[], axes: number[] | undefined, keep: boolean): number[] {
  const rank = dims.length;
  const ax = new Set((axes ?? dims.map((_, i) => i)).map((a) => norm(a, rank)));
  const out: number[] = [];
  dims.forEach((d, i) => {
    if (!ax.has(i)) out.push(d);
    else if (keep) out.push(1);
  });
  return out;
}

function convSpatial(
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

function sliceRange(
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

const UNARY = new Set([
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

const UNARY_FN: Partial<Record<string, (x: number) => number>> = {
  Identity: (x) => x,
  Neg: (x) => -x,
  Abs: Math.abs,
  Floor: Math.floor,
  Ceil: Math.ceil,
  Sqrt: Math.sqrt,
  Relu: (x) => Math.max(0, x),
  Sign: Math.sign,
};

const BOOL_OUT = new Set([
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

const BINARY_FN: Record<string, (...xs: number[]) => number> = {
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

const INT_TYPES = new Set([
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

function isIntType(t: number): boolean {
  return (INT_TYPES as Set<number>).has(t);
}

/**
 * Output infos of one node, or throws InferError / returns null for an unknown op.
 * `ins[k]` is undefined for an absent optional input.
 */
function inferNode(node: DecodedNode, ins: (Info | undefined)[], opset: number): Info[] | null {
  const op = node.opType;
  const x = ins[0];
  const X = () => {
    if (!x) throw new InferError(`${op} has no first input`);
    return x;
  };
  if (node.domain && node.domain !== "ai.onnx") return null;

  if (op === "Cast" || op === "CastLike") {
    const to = op === "Cast" ? attrInt(node, "to", DataType.FLOAT) : ins[1]?.elemType ?? 1;
    const v = X().value?.map((a) =>
      to === DataType.BOOL ? (a ? 1 : 0) : isIntType(to) ? Math.trunc(a) : a
    );
    return [{ dims: X().dims, elemType: to, value: v }];
  }
  if (UNARY.has(op) || op === "Not" || op === "IsNaN" || op === "IsInf") {
    const elemType = BOOL_OUT.has(op) ? DataType.BOOL : X().elemType;
    const fn = UNARY_FN[op];
    const out: Info[] = [{
      dims: X().dims,
      elemType,
      value: fn && X().value ? X().value!.map((a) => fn(a)) : undefined,
    }];
    if (op === "Dropout" && node.outputs.length > 1) {
      out.push({ dims: X().dims, elemType: DataType.BOOL });
    }
    return out;
  }
  if (op === "BatchNormalization") {
    const c = X().dims[1] ?? 1;
    return node.outputs.map((_, i) =>
      i === 0 ? { dims: X().dims, elemType: X().elemType } : { dims: [c], elemType: X().elemType }
    );
  }
  if (op === "LayerNormalization") {
    const axis = norm(attrInt(node, "axis", -1), X().dims.length);
    const stat = X().dims.map((d, i) => (i < axis ? d : 1));
    return node.outputs.map((_, i) =>
      i === 0
        ? { dims: X().dims, elemType: X().elemType }
        : { dims: stat, elemType: DataType.FLOAT }
    );
  }
  if (op in BINARY_FN || op === "Where") {
    const present = ins.filter((i): i is Info => !!i);
    const dims = broadcast(...present.map((i) => i.dims));
    if (op === "Where") {
      const [c, a, b] = present;
      return [{
        dims,
        elemType: a.elemType,
        value: broadcastValues([c, a, b], dims, (cc, aa, bb) => (cc ? aa : bb)),
      }];
    }
    let fn = BINARY_FN[op];
    const elemType = BOOL_OUT.has(op) ? DataType.BOOL : X().elemType;
    if (op === "Div" && isIntType(elemType)) fn = (a, b) => Math.trunc(a / b);
    return [{ dims, elemType, value: broadcastValues(present, dims, fn) }];
  }
  switch (op) {
    case "Conv": {
      const w = ins[1];
      if (!w) throw new InferError("Conv has no weights");
      const kernel = attrInts(node, "kernel_shape") ?? w.dims.slice(2);
      const sp = convSpatial(node, X().dims, kernel, false);
      return [{ dims: [X().dims[0], w.dims[0], ...sp], elemType: X().elemType }];
    }
    case "ConvTranspose": {
      const w = ins[1];
      if (!w) throw new InferError("ConvTranspose has no weights");
      const kernel = attrInts(node, "kernel_shape") ?? w.dims.slice(2);
      const sp = convSpatial(node, X().dims, kernel, true);
      const m = w.dims[1] * attrInt(node, "group", 1);
      return [{ dims: [X().dims[0], m, ...sp], elemType: X().elemType }];
    }
    case "MaxPool":
    case "AveragePool":
    case "LpPool": {
      const kernel = attrInts(node, "kernel_shape");
      if (!kernel) throw new InferError(`${op} has no kernel_shape`);
      const sp = convSpatial(node, X().dims, kernel, false, attrInt(node, "ceil_mode", 0) === 1);
      const dims = [X().dims[0], X().dims[1], ...sp];
      return node.outputs.map((_, i) => ({
        dims,
        elemType: i === 0 ? X().elemType : DataType.INT64,
      }));
    }
    case "GlobalAveragePool":
    case "GlobalMaxPool":
    case "GlobalLpPool":
      return [{ dims: X().dims.map((d, i) => (i < 2 ? d : 1)), elemType: X().elemType }];
    case "Concat": {
      const present = ins.filter((i): i is Info => !!i && prod(i.dims) >= 0);
      const rank = present[0].dims.length;
      const axis = norm(attrInt(node, "axis", 0), rank);
      const dims = present[0].dims.slice();
      dims[axis] = present.reduce((a, i) => a + (i.dims[axis] ?? 0), 0);
      const value = rank === 1 && present.every((i) => i.value)
        ? present.flatMap((i) => i.value!)
        : undefined;
      return [{ dims, elemType: present[0].elemType, value }];
    }
    case "Split": {
      const rank = X().dims.length;
      const axis = norm(attrInt(node, "axis", 0), rank);
      const len = X().dims[axis];
      let parts = opset >= 13 && ins[1] ? need(ins, 1, "split") : attrInts(node, "split");
      if (!parts) {
        const n = attrInt(node, "num_outputs", node.outputs.length);
        const chunk = Math.ceil(len / n);
        parts = Array.from({ length: n }, (_, i) => Math.max(0, Math.min(chunk, len - i * chunk)));
      }
      return parts.map((p) => {
        const dims = X().dims.slice();
        dims[axis] = p;
        return { dims, elemType: X().elemType };
      });
    }
    case "Slice": {
      const rank = X().dims.length;
      let starts: number[], ends: number[], axes: number[] | undefined, steps: number[] | undefined;
      if (opset >= 10) {
        starts = need(ins, 1, "starts");
        ends = need(ins, 2, "ends");
        axes = ins[3] ? need(ins, 3, "axes") : undefined;
        steps = ins[4] ? need(ins, 4, "steps") : undefined;
      } else {
        starts = attrInts(node, "starts") ?? [];
        ends = attrInts(node, "ends") ?? [];
        axes = attrInts(node, "axes");
      }
      const dims = X().dims.slice();
      const ranges = dims.map((d) => ({ start: 0, count: d, step: 1 }));
      starts.forEach((s, i) => {
        const a = norm(axes ? axes[i] : i, rank);
        const step = steps ? steps[i] : 1;
        const r = sliceRange(dims[a], s, ends[i], step);
        dims[a] = r.count;
        ranges[a] = { ...r, step };
      });
      let value: number[] | undefined;
      if (rank === 1 && X().value) {
        const r = ranges[0];
        value = Array.from({ length: r.count }, (_, i) => X().value![r.start + i * r.step]);
      }
      return [{ dims, elemType: X().elemType, value }];
    }
    case "Pad": {
      const rank = X().dims.length;
      const pads = opset >= 11 ? need(ins, 1, "pads") : attrInts(node, "pads") ??
        attrInts(node, "paddings") ?? [];
      const axes = opset >= 18 && ins[3]
        ? need(ins, 3, "axes").map((a) => norm(a, rank))
        : X().dims.map((_, i) => i);
      const dims = X().dims.slice();
      axes.forEach((a, i) => (dims[a] += pads[i] + pads[i + axes.length]));
      return [{ dims, elemType: X().elemType }];
    }
    case "Reshape": {
      const shape = opset >= 5 ? need(ins, 1, "shape") : attrInts(node, "shape") ?? [];
      const allowZero = attrInt(node, "allowzero", 0) === 1;
      const total = prod(X().dims);
      const dims = shape.map((s, i) => (s === 0 && !allowZero ? X().dims[i] : s));
      const neg = dims.indexOf(-1);
      if (neg >= 0) {
        const known = prod(dims.filter((_, i) => i !== neg));
        dims[neg] = known === 0 ? 0 : total / known;
      }
      if (prod(dims) !== total || dims.some((d) => !Number.isInteger(d) || d < 0)) {
        throw new InferError(
          `Reshape of [${X().dims.join(", ")}] to [${shape.join(", ")}] does not fit`,
        );
      }
      return [{ dims, elemType: X().elemType, value: X().value }];
    }
    case "Flatten": {
      const rank = X().dims.length;
      let axis = attrInt(node, "axis", 1);
      if (axis < 0) axis += rank;
      const d = X().dims;
      return [{
        dims: [prod(d.slice(0, axis)), prod(d.slice(axis))],
        elemType: X().elemType,
        value: X().value,
      }];
    }
    case "Transpose": {
      const rank = X().dims.length;
      const perm = attrInts(node, "perm") ?? X().dims.map((_, i) => rank - 1 - i);
      return [{ dims: perm.map((p) => X().dims[p]), elemType: X().elemType }];
    }
    case "MatMul": {
      const b = ins[1];
      if (!b) throw new InferError("MatMul has one input");
      let a = X().dims, bd = b.dims;
      const aVec = a.length === 1, bVec = bd.length === 1;
      if (aVec) a = [1, a[0]];
      if (bVec) bd = [bd[0], 1];
      if (a[a.length - 1] !== bd[bd.length - 2]) {
        throw new InferError(`MatMul [${X().dims.join(", ")}] x [${b.dims.join(", ")}]`);
      }
      const batch = broadcast(a.slice(0, -2), bd.slice(0, -2));
      const dims = [...batch];
      if (!aVec) dims.push(a[a.length - 2]);
      if (!bVec) dims.push(bd[bd.length - 1]);
      return [{ dims, elemType: X().elemType }];
    }
    case "Gemm": {
      const b = ins[1];
      if (!b) throw new InferError("Gemm has one input");
      const m = attrInt(node, "transA", 0) ? X().dims[1] : X().dims[0];
      const n = attrInt(node, "transB", 0) ? b.dims[0] : b.dims[1];
      return [{ dims: [m, n], elemType: X().elemType }];
    }
    case "ReduceMean":
    case "ReduceSum":
    case "ReduceMax":
    case "ReduceMin":
    case "ReduceProd":
    case "ReduceL1":
    case "ReduceL2":
    case "ReduceSumSquare":
    case "ReduceLogSum":
    case "ReduceLogSumExp": {
      const keep = attrInt(node, "keepdims", 1) === 1;
      let axes = ins[1] ? need(ins, 1, "axes") : attrInts(node, "axes");
      if (axes && axes.length === 0) axes = undefined;
      if (!axes && attrInt(node, "noop_with_empty_axes", 0) === 1) {
        return [{ dims: X().dims, elemType: X().elemType }];
      }
      return [{ dims: reduceDims(X().dims, axes, keep), elemType: X().elemType }];
    }
    case "ArgMax":
    case "ArgMin": {
      const keep = attrInt(node, "keepdims", 1) === 1;
      return [{
        dims: reduceDims(X().dims, [attrInt(node, "axis", 0)], keep),
        elemType: DataType.INT64,
      }];
    }
    case "Unsqueeze": {
      const axes = ins[1] ? need(ins, 1, "axes") : attrInts(node, "axes") ?? [];
      const rank = X().dims.length + axes.length;
      const set = new Set(axes.map((a) => norm(a, rank)));
      const dims: number[] = [];
      let j = 0;
      for (let i = 0; i < rank; i++) dims.push(set.has(i) ? 1 : X().dims[j++]);
      return [{ dims, elemType: X().elemType, value: X().value }];
    }
    case "Squeeze": {
      const rank = X().dims.length;
      const axes = ins[1] ? need(ins, 1, "axes") : attrInts(node, "axes");
      const set = new Set(
        axes ? axes.map((a) => norm(a, rank)) : X().dims.flatMap((d, i) => (d === 1 ? [i] : [])),
      );
      return [{
        dims: X().dims.filter((_, i) => !set.has(i)),
        elemType: X().elemType,
        value: X().value,
      }];
    }
    case "Gather": {
      const idx = ins[1];
      if (!idx) throw new InferError("Gather has no indices");
      const rank = X().dims.length;
      const axis = norm(attrInt(node, "axis", 0), rank);
      const dims = [...X().dims.slice(0, axis), ...idx.dims, ...X().dims.slice(axis + 1)];
      let value: number[] | undefined;
      if (rank === 1 && X().value && idx.value) {
        value = idx.value.map((i) => X().value![i < 0 ? i + X().dims[0] : i]);
      }
      return [{ dims, elemType: X().elemType, value }];
    }
    case "GatherElements":
      return [{ dims: ins[1]?.dims ?? X().dims, elemType: X().elemType }];
    case "Shape": {
      const rank = X().dims.length;
      let start = attrInt(node, "start", 0), end = attrInt(node, "end", rank);
      if (start < 0) start += rank;
      if (end < 0) end += rank;
      start = Math.min(Math.max(start, 0), rank);
      end = Math.min(Math.max(end, 0), rank);
      const value = X().dims.slice(start, Math.max(start, end));
      return [{ dims: [value.length], elemType: DataType.INT64, value }];
    }
    case "Size":
      return [{ dims: [], elemType: DataType.INT64, value: [prod(X().dims)] }];
    case "Constant": {
      const v = attrOf(node, "value");
      if (v && typeof v === "object" && "dataType" in v) return [infoOfTensor(v as DecodedTensor)];
      const f = attrOf(node, "value_float"), i = attrOf(node, "value_int");
      if (typeof f === "number") return [{ dims: [], elemType: DataType.FLOAT, value: [f] }];
      if (typeof i === "number") return [{ dims: [], elemType: DataType.INT64, value: [i] }];
      const fs = attrFloats(node, "value_floats"), is = attrInts(node, "value_ints");
      if (fs && node.attributes["value_floats"]) {
        return [{ dims: [fs.length], elemType: DataType.FLOAT, value: fs }];
      }
      if (is) return [{ dims: [is.length], elemType: DataType.INT64, value: is }];
      throw new InferError("Constant without a supported value");
    }
    case "ConstantOfShape": {
      const dims = need(ins, 0, "shape");
      if (dims.some((d) => !Number.isInteger(d) || d < 0)) {
        throw new InferError(`ConstantOfShape of [${dims.join(", ")}]`);
      }
      const v = attrOf(node, "value") as DecodedTensor | undefined;
      const elemType = v?.dataType ?? DataType.FLOAT;
      const fill = v ? tensorValues(v)[0] ?? 0 : 0;
      const n = prod(dims);
      return [{ dims, elemType, value: n <= MAX_VALUE ? new Array(n).fill(fill) : undefined }];
    }
    case "Expand": {
      const shape = need(ins, 1, "shape");
      const dims = broadcast(X().dims, shape);
      return [{
        dims,
        elemType: X().elemType,
        value: broadcastValues([X()], dims, (a) => a),
      }];
    }
    case "Tile": {
      const reps = need(ins, 1, "repeats");
      return [{ dims: X().dims.map((d, i) => d * reps[i]), elemType: X().elemType }];
    }
    case "Range": {
      const [s] = need(ins, 0, "start"), [l] = need(ins, 1, "limit"), [d] = need(ins, 2, "delta");
      const n = Math.max(Math.ceil((l - s) / d), 0);
      return [{
        dims: [n],
        elemType: X().elemType,
        value: n <= MAX_VALUE ? Array.from({ length: n }, (_, i) => s + i * d) : undefined,
      }];
    }
    case "Resize":
    case "Upsample": {
      const rank = X().dims.length;
      let sizes: number[] | undefined, scales: number[] | undefined;
      if (op === "Resize" && opset >= 11) {
        if (ins[3]?.value?.length) sizes = ins[3].value;
        else if (ins[2]?.value?.length) scales = ins[2].value;
        else throw new InferError("Resize scales/sizes are not static");
      } else {
        scales = ins[1] ? need(ins, 1, "scales") : attrFloats(node, "scales");
      }
      const axes = attrInts(node, "axes")?.map((a) => norm(a, rank)) ??
        X().dims.map((_, i) => i);
      const dims = X().dims.slice();
      axes.forEach((a, i) => {
        dims[a] = sizes ? sizes[i] : Math.floor(X().dims[a] * scales![i]);
      });
      return [{ dims, elemType: X().elemType }];
    }
    case "DepthToSpace":
    case "SpaceToDepth": {
      const b = attrInt(node, "blocksize", 1);
      const [n, c, h, w] = X().dims;
      const dims = op === "DepthToSpace"
        ? [n, c / (b * b), h * b, w * b]
        : [n, c * b * b, h / b, w / b];
      return [{ dims, elemType: X().elemType }];
    }
    case "TopK": {
      const [k] = need(ins, 1, "K");
      const rank = X().dims.length;
      const axis = norm(attrInt(node, "axis", -1), rank);
      const dims = X().dims.slice();
      dims[axis] = k;
      return [{ dims, elemType: X().elemType }, { dims, elemType: DataType.INT64 }];
    }
    case "DFT": {
      const rank = X().dims.length;
      const axis = opset >= 20 ? (ins[2] ? need(ins, 2, "axis")[0] : -2) : attrInt(node, "axis", 1);
      const a = norm(axis, rank);
      const dims = X().dims.slice();
      if (ins[1]?.value) dims[a] = ins[1].value[0];
      if (attrInt(node, "onesided", 0) === 1) dims[a] = Math.floor(dims[a] / 2) + 1;
      dims[rank - 1] = 2;
      return [{ dims, elemType: X().elemType }];
    }
    case "Einsum":
    case "Loop":
    case "Scan":
    case "If":
    case "NonZero":
    case "Unique":
    case "NonMaxSuppression":
    default:
      return null;
  }
}

function topoOrder(graph: DecodedGraph, known: Set<string>): number[] {
  const nodes = graph.nodes;
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => n.outputs.forEach((o) => o && producer.set(o, i)));
  // fast path: already ordered
  const seen = new Set(known);
  let ordered = true;
  for (const n of nodes) {
    if (n.inputs.some((i) => i && !seen.has(i) && producer.has(i))) {
      ordered = false;
      break;
    }
    n.outputs.forEach((o) => seen.add(o));
  }
  if (ordered) return nodes.map((_, i) => i);
  const deps = nodes.map((n) =>
    new Set(n.inputs.filter((i) => i && producer.has(i)).map((i) => producer.get(i)!))
  );
  const users = nodes.map(() => [] as number[]);
  deps.forEach((d, i) => d.forEach((p) => users[p].push(i)));
  const pending = deps.map((d) => d.size);
  const ready = pending.flatMap((p, i) => (p === 0 ? [i] : []));
  const order: number[] = [];
  while (ready.length) {
    ready.sort((a, b) => a - b);
    const i = ready.shift()!;
    order.push(i);
    for (const u of users[i]) if (--pending[u] === 0) ready.push(u);
  }
  if (order.length !== nodes.length) {
    throw new ShapeError("the ONNX graph has a cycle (it is not a valid model)");
  }
  return order;
}

/** Names a subgraph (Loop/Scan/If body) reads from the enclosing scope. */
function subgraphRefs(node: DecodedNode): string[] {
  const refs: string[] = [];
  const visit = (g: DecodedGraph) => {
    const local = new Set([
      ...g.inputs.map((i) => i.name),
      ...g.initializers.map((t) => t.name),
      ...g.nodes.flatMap((n) => n.outputs),
    ]);
    for (const n of g.nodes) {
      for (const i of n.inputs) if (i && !local.has(i)) refs.push(i);
      for (const a of Object.values(n.attributes)) {
        const v = a.value;
        if (v && typeof v === "object" && "nodes" in v) visit(v as DecodedGraph);
        if (Array.isArray(v)) {
          for (const e of v) if (e && typeof e === "object" && "nodes" in e) visit(e);
        }
      }
    }
  };
  for (const a of Object.values(node.attributes)) {
    const v = a.value;
    if (v && typeof v === "object" && "nodes" in v) visit(v as DecodedGraph);
    if (Array.isArray(v)) {
      for (const e of v) if (e && typeof e === "object" && "nodes" in e) visit(e);
    }
  }
  return refs;
}

/**
 * Estimates the weights and the peak activation memory of a model for given input shapes.
 *
 * @param model the `.onnx` bytes or a model from `decodeModel`
 * @param inputShapes concrete dims (outermost first) for every graph input whose declared
 *   dims are not all fixed; inputs with fixed dims may be left out
 * @returns the estimate; `unknownOps` lists op types that had to be guessed
 * @throws {ShapeError} when an input shape is missing, unknown, or contradicts the model
 */
export function estimateMemory(
  model: Uint8Array | DecodedModel,
  inputShapes: Record<string, number[]>,
  opts: EstimateOptions = {},
): MemoryEstimate {
  const m = model instanceof Uint8Array ? decodeModel(model) : model;
  const g = m.graph;
  const opset = m.opsets[""] ?? 17;
  const infos = new Map<string, Info>();
  const warnings: string[] = [];
  const unknown = new Set<string>();
  let weightsBytes = 0;

  for (const t of g.initializers) {
    infos.set(t.name, infoOfTensor(t));
    weightsBytes += t.byteLength;
  }
  const initNames = new Set(g.initializers.map((t) => t.name));
  const graphInputs = g.inputs.filter((i) => !initNames.has(i.name));
  const expected = () =>
    graphInputs.map((i) => `${i.name} [${(i.dims ?? []).map((d) => d ?? "?").join(", ")}]`)
      .join(", ");
  for (const name of Object.keys(inputShapes)) {
    if (!graphInputs.some((i) => i.name === name)) {
      throw new ShapeError(
        `estimateMemory: the model has no input "${name}"; it has ${expected()}`,
      );
    }
  }
  let inputBytes = 0;
  for (const i of graphInputs) {
    let dims = inputShapes[i.name];
    if (!dims) {
      if (i.dims && i.dims.every((d) => typeof d === "number")) dims = i.dims as number[];
      else {
        throw new ShapeError(
          `estimateMemory: give the shape of input "${i.name}"; the model has ${expected()}`,
        );
      }
    }
    if (
      i.dims &&
      (i.dims.length !== dims.length ||
        i.dims.some((d, k) => typeof d === "number" && d !== dims[k]))
    ) {
      throw new ShapeError(
        `estimateMemory: input "${i.name}" has dims [${
          dims.join(", ")
        }]; the model has ${expected()}`,
      );
    }
    infos.set(i.name, { dims: dims.slice(), elemType: i.elemType || DataType.FLOAT });
    inputBytes += prod(dims) * elemSize(i.elemType || DataType.FLOAT);
  }
  const valueInfo = new Map(g.valueInfo.map((v) => [v.name, v]));

  const order = topoOrder(g, new Set([...infos.keys()]));
  const nodeLabel = (idx: number) => g.nodes[idx].name || `${g.nodes[idx].opType}#${idx}`;

  // shape inference
  const producerStep = new Map<string, number>();
  const constantNames = new Set<string>();
  order.forEach((idx, step) => {
    const node = g.nodes[idx];
    const ins = node.inputs.map((n) => (n ? infos.get(n) : undefined));
    let outs: Info[] | null = null;
    try {
      if (node.inputs.some((n, k) => n && !ins[k])) {
        throw new InferError(
          `input ${node.inputs.find((n, k) => n && !ins[k])} has no known shape`,
        );
      }
      outs = inferNode(node, ins, opset);
      if (outs === null) unknown.add(node.domain ? `${node.domain}.${node.opType}` : node.opType);
      const bad = outs?.find((o) => o.dims.some((d) => !Number.isInteger(d) || d < 0));
      if (bad) throw new InferError(`inferred invalid dims [${bad.dims.join(", ")}]`);
    } catch (e) {
      // a rule that fails (InferError, or a malformed attribute) must not stop the estimate
      warnings.push(`${nodeLabel(idx)} (${node.opType}): ${(e as Error).message}`);
      outs = null;
    }
    node.outputs.forEach((o, k) => {
      if (!o) return;
      let info = outs?.[k];
      if (!info) {
        const vi = valueInfo.get(o);
        if (vi?.dims && vi.dims.every((d) => typeof d === "number")) {
          info = { dims: vi.dims as number[], elemType: vi.elemType || DataType.FLOAT };
        } else {
          // conservative guess: the largest input
          const present = ins.filter((i): i is Info => !!i);
          const big = present.reduce<Info | undefined>(
            (a, b) =>
              !a || prod(b.dims) * elemSize(b.elemType) > prod(a.dims) * elemSize(a.elemType)
                ? b
                : a,
            undefined,
          );
          info = big ? { dims: big.dims, elemType: big.elemType } : {
            dims: [],
            elemType: DataType.FLOAT,
          };
        }
      }
      infos.set(o, info);
      producerStep.set(o, step);
      if (node.opType === "Constant") {
        constantNames.add(o);
        weightsBytes += prod(info.dims) * elemSize(info.elemType);
      }
    });
  });

  // liveness
  const steps = order.length;
  const lastUse = new Map<string, number>();
  order.forEach((idx, step) => {
    const node = g.nodes[idx];
    for (const i of [...node.inputs, ...subgraphRefs(node)]) if (i) lastUse.set(i, step);
  });
  const outputNames = new Set(g.outputs.map((o) => o.name));
  const delta = new Float64Array(steps + 1);
  const perTensor: TensorEstimate[] = [];
  const account = (name: string, first: number, producer: string) => {
    const info = infos.get(name);
    if (!info || initNames.has(name) || constantNames.has(name)) return;
    // statically known small tensors (shapes, indices) are folded by the runtime
    if (info.value && producer !== "input") return;
    const bytes = prod(info.dims) * elemSize(info.elemType);
    let last = lastUse.get(name) ?? first;
    if (outputNames.has(name)) last = Math.max(steps - 1, first);
    delta[Math.max(first, 0)] += bytes;
    delta[last + 1] -= bytes;
    if (opts.perTensor) {
      perTensor.push({ name, dims: info.dims, bytes, producer, first, last });
    }
  };
  for (const i of graphInputs) account(i.name, 0, "input");
  for (const [name, step] of producerStep) account(name, step, nodeLabel(order[step]));

  let live = 0, peak = 0, peakStep = -1;
  for (let s = 0; s < steps; s++) {
    live += delta[s];
    if (live > peak) {
      peak = live;
      peakStep = s;
    }
  }
  if (steps === 0) peak = inputBytes;

  const outputShapes: Record<string, number[]> = {};
  let outputBytes = 0;
  for (const o of g.outputs) {
    const info = infos.get(o.name);
    if (info) {
      outputShapes[o.name] = info.dims;
      outputBytes += prod(info.dims) * elemSize(info.elemType);
    }
  }
  const est: MemoryEstimate = {
    weightsBytes,
    peakActivationBytes: peak,
    inputBytes,
    outputBytes,
    outputShapes,
    unknownOps: [...unknown].sort(),
    warnings,
  };
  if (peakStep >= 0) est.peakNode = nodeLabel(order[peakStep]);
  if (opts.perTensor) est.perTensor = perTensor;
  return est;
}

/** Options of {@link planBatch}. */
export interface PlanOptions {
  /** Fraction of the limit that may be used (0.8). */
  margin?: number;
  /** Bytes taken before any activation (the weights), subtracted from the budget. */
  weightsBytes?: number;
  /** What one unit of the batch is, for the message (e.g. `[1, 12, 10, 246, 512, 2]`). */
  unitShape?: string;
}

/** The result of {@link planBatch}. */
export interface BatchPlan {
  /** Largest batch that fits (0 when even 1 does not). */
  batch: number;
  /** Estimated bytes at that batch (at batch 1 when `batch` is 0). */
  bytes: number;
  /** Bytes available to activations: `margin * limit - weights`. */
  budgetBytes: number;
  /** Why nothing fits, when `batch` is 0. */
  message?: string;
}

/**
 * The largest batch (slices per run) whose estimate fits the limit with a safety margin:
 * `estimateFor(batch) <= margin * limitBytes - weightsBytes`, for `1 <= batch <= maxBatch`.
 * The estimate is assumed to grow with the batch (binary search).
 *
 * @param estimateFor activation bytes for a batch (e.g. from {@link estimateMemory})
 * @param limitBytes the memory limit (24 GiB on the challenge GPU)
 * @param maxBatch the most that is ever useful (e.g. the number of slices)
 * @returns `{ batch, bytes, budgetBytes }`, with `batch` 0 and a `message` when even one
 *   slice does not fit
 */
export function planBatch(
  estimateFor: (batch: number) => number,
  limitBytes: number,
  maxBatch: number,
  opts: PlanOptions = {},
): BatchPlan {
  const margin = opts.margin ?? 0.8;
  const weights = opts.weightsBytes ?? 0;
  const budget = margin * limitBytes - weights;
  const one = estimateFor(1);
  if (maxBatch < 1 || one > budget) {
    const shape = opts.unitShape ? ` of shape ${opts.unitShape}` : "";
    return {
      batch: 0,
      bytes: one,
      budgetBytes: budget,
      message: maxBatch < 1
        ? "nothing to run (maxBatch < 1)"
        : `needs ${formatBytes(one)}${
          weights ? ` + ${formatBytes(weights)} weights` : ""
        } for one slice${shape}, the limit is ${formatBytes(limitBytes)} (${
          Math.round(margin * 100)
        }% usable: ${formatBytes(Math.max(0, budget))} for activations)`,
    };
  }
  let lo = 1, loBytes = one, hi = Math.floor(maxBatch);
  // find the largest b in [lo, hi] with estimateFor(b) <= budget
  while (lo < hi) {
    const mid = Math.floor((lo + hi + 1) / 2);
    const b = estimateFor(mid);
    if (b <= budget) {
      lo = mid;
      loBytes = b;
    } else hi = mid - 1;
  }
  return { batch: lo, bytes: loBytes, budgetBytes: budget };
}

/**
 * {@link planBatch} for a model: decodes it once and estimates the activations for
 * `shapesFor(batch)`, with the model's weights subtracted from the budget.
 */
export function planModelBatch(
  model: Uint8Array | DecodedModel,
  shapesFor: (batch: number) => Record<string, number[]>,
  limitBytes: number,
  maxBatch: number,
  opts: Omit<PlanOptions, "weightsBytes"> = {},
): BatchPlan & { weightsBytes: number } {
  const m = model instanceof Uint8Array ? decodeModel(model) : model;
  const first = estimateMemory(m, shapesFor(1));
  const plan = planBatch(
    (b) => (b === 1 ? first : estimateMemory(m, shapesFor(b))).peakActivationBytes,
    limitBytes,
    maxBatch,
    { ...opts, weightsBytes: first.weightsBytes },
  );
  return { ...plan, weightsBytes: first.weightsBytes };
}
