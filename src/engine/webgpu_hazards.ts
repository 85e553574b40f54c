/**
 * Graph patterns that onnxruntime-web's WebGPU provider computes wrongly, found from a
 * decoded model ({@link decodeModel}) without running it.
 *
 * One is known (onnxruntime-web 1.30.0): the C++ WebGPU execution provider's
 * channels-last Conv (`onnxruntime/core/providers/webgpu/nn/conv2d_mm.cc`) reads the input
 * of a Conv whose input-channel count is a multiple of 3 but not of 4 in groups of 3
 * channels addressed as groups of 4, so channel `c` is read from the wrong place (for 6
 * input channels, channels 3..5 are read as 0..2). Measured on lavapipe with single-Conv
 * graphs against the CPU: wrong (0.8 to 1.3 of the output's maximum) for 6 -> 8, 12, 16,
 * 9 -> 16 and 18 -> 16 with 3x3 kernels; right (~5e-7) for 2, 3, 4, 5, 8, 12, 16 -> 16,
 * 3 -> 8, 6 -> 6 and 6 -> 16 with a 1x1 kernel. Shipped `relax-vn-t1`/`relax-vn-t2` had 8
 * such Convs each (18 -> 24, 6 -> 16) until they were patched.
 *
 * The fix for a graph is `PYTHONPATH=train python3 -m cmrxtrain.webgpu_safe MODEL.onnx`
 * (zero-pads those Convs' input channels to a multiple of 4; the same result on every
 * provider); `cmrxtrain.export` applies it to every export.
 *
 * @module
 */

import {
  type DecodedGraph,
  type DecodedModel,
  type DecodedNode,
  type DecodedTensor,
  tensorValues,
} from "./onnx/mod.ts";

/** A Conv node that onnxruntime-web 1.30's WebGPU provider computes wrongly. */
export interface WebGpuConvHazard {
  /** Node name (its first output's name when the node has none). */
  node: string;
  /** Input channels (the weight's dim 1 times `group`). */
  cin: number;
  /** Output channels (the weight's dim 0). */
  cout: number;
  /** Kernel size `[kH, kW]`. */
  kernel: [number, number];
  /** Why, in words (the rule). */
  reason: string;
}

/** The rule, in words: what {@link isWebGpuConvHazard} tests. */
export const WEBGPU_CONV_RULE: string =
  "2-D Conv, group 1, kernel larger than 1x1, input channels a multiple of 3 but not of 4 " +
  "and more than 3, output channels a multiple of 4 (onnxruntime-web 1.30 WebGPU, " +
  "conv2d_mm.cc)";

/**
 * The rule on a Conv weight's dims `[Cout, Cin/group, kH, kW]` and its `group`: true when
 * onnxruntime-web 1.30's WebGPU provider computes that Conv wrongly (see the module doc).
 */
export function isWebGpuConvHazard(weightDims: readonly number[], group = 1): boolean {
  if (weightDims.length !== 4 || group !== 1) return false;
  const [cout, cinPerGroup, kh, kw] = weightDims;
  const cin = cinPerGroup * group;
  if (kh * kw <= 1) return false;
  return cin > 3 && cin % 3 === 0 && cin % 4 !== 0 && cout % 4 === 0;
}

function attrNumber(node: DecodedNode, name: string, fallback: number): number {
  const v = node.attributes[name]?.value;
  return typeof v === "number" ? v : fallback;
}

function isOnnx(node: DecodedNode): boolean {
  return node.domain === "" || node.domain === "ai.onnx";
}

/**
 * Dims of the graph's constant values: initializers, `Constant` nodes with a `value`
 * tensor, and constant-mode `Pad` nodes of such a value with constant pads (so that a Conv
 * patched by `cmrxtrain.webgpu_safe`, whose weight is `Pad(weight)`, is seen padded).
 */
function constantDims(graph: DecodedGraph): Map<string, number[]> {
  const dims = new Map<string, number[]>();
  const values = new Map<string, DecodedTensor>();
  for (const t of graph.initializers) {
    dims.set(t.name, t.dims);
    values.set(t.name, t);
  }
  for (const n of graph.nodes) {
    if (!isOnnx(n)) continue;
    if (n.opType === "Constant") {
      const v = n.attributes.value?.value;
      if (v && typeof v === "object" && !Array.isArray(v) && "dims" in v) {
        dims.set(n.outputs[0], (v as DecodedTensor).dims);
        values.set(n.outputs[0], v as DecodedTensor);
      }
    } else if (n.opType === "Pad" && dims.has(n.inputs[0])) {
      const mode = n.attributes.mode?.value ?? "constant";
      if (mode !== "constant" || (n.inputs[3] ?? "") !== "") continue;
      const d = dims.get(n.inputs[0])!;
      let pads: number[] | undefined;
      const a = n.attributes.pads?.value;
      if (Array.isArray(a)) pads = a as number[];
      else if (n.inputs[1] && values.has(n.inputs[1])) {
        const t = values.get(n.inputs[1])!;
        if (!t.external) pads = tensorValues(t);
      }
      if (!pads || pads.length !== 2 * d.length) continue;
      dims.set(n.outputs[0], d.map((v, i) => v + pads![i] + pads![i + d.length]));
    }
  }
  return dims;
}

/**
 * The Conv nodes of a model's main graph that onnxruntime-web 1.30's WebGPU provider
 * computes wrongly ({@link WEBGPU_CONV_RULE}); empty when the graph is safe for it.
 *
 * Weights are looked up among initializers, `Constant` nodes and `Pad`s of those; a Conv
 * whose weight is computed at run time cannot be checked and is not listed. Subgraphs
 * (Loop/Scan/If bodies) are not searched.
 *
 * @param model a model decoded by {@link decodeModel}
 * @returns one entry per affected Conv, in graph order
 */
export function webgpuConvHazards(model: DecodedModel): WebGpuConvHazard[] {
  const dims = constantDims(model.graph);
  const out: WebGpuConvHazard[] = [];
  for (const n of model.graph.nodes) {
    if (n.opType !== "Conv" || !isOnnx(n) || n.inputs.length < 2) continue;
    const w = dims.get(n.inputs[1]);
    const group = attrNumber(n, "group", 1);
    if (!w || !isWebGpuConvHazard(w, group)) continue;
    const cin = w[1] * group, cout = w[0];
    out.push({
      node: n.name || n.outputs[0],
      cin,
      cout,
      kernel: [w[2], w[3]],
      reason: `Conv ${cin} -> ${cout} channels, ${w[2]}x${w[3]} kernel: ${WEBGPU_CONV_RULE}`,
    });
  }
  return out;
}
