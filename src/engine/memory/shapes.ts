/**
 * Shape inference of one ONNX node: {@link inferNode} gives the output {@link Info}s
 * (dims outermost first, element type, row-major value when small and static) from the
 * inputs' infos, for the ops cmrxkit's and PyTorch-exported reconstruction models use,
 * with constant folding of the small integer tensors that shape arithmetic produces.
 *
 * @module
 */

import { DataType, type DecodedNode, type DecodedTensor, tensorValues } from "../onnx/mod.ts";
import {
  attrFloats,
  attrInt,
  attrInts,
  attrOf,
  BINARY_FN,
  BOOL_OUT,
  broadcast,
  broadcastValues,
  convSpatial,
  InferError,
  type Info,
  infoOfTensor,
  isIntType,
  MAX_VALUE,
  need,
  norm,
  prod,
  reduceDims,
  sliceRange,
  UNARY,
  UNARY_FN,
} from "./shape_util.ts";

/**
 * Output infos of one node, or throws InferError / returns null for an unknown op.
 * `ins[k]` is undefined for an absent optional input.
 */
export function inferNode(
  node: DecodedNode,
  ins: (Info | undefined)[],
  opset: number,
): Info[] | null {
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
