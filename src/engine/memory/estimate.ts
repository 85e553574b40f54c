/**
 * Static memory estimate of an ONNX model for given input shapes ({@link estimateMemory}).
 *
 * It infers every tensor's shape from the graph (shapes.ts: rules for the ops cmrxkit's
 * and PyTorch-exported reconstruction models use, with constant folding of the small
 * integer tensors that shape arithmetic produces), then walks the nodes in topological
 * order (liveness.ts): a tensor is alive from the node that produces it (graph inputs:
 * from the start) to its last consumer (graph outputs: to the end). The peak of the live
 * bytes is the activation estimate; initializers and constants are the weights. Ops
 * without a rule are listed in `unknownOps` and guessed conservatively (output = largest
 * input, or the graph's `value_info` shape when present), so an estimate always comes
 * back. Dims are outermost first; bytes are elements times the ONNX element size.
 *
 * What it does not count: the runtime's own workspaces (cuDNN convolution workspace, CPU
 * im2col buffers, arena rounding), the CUDA context (~300-500 MiB) and framework overhead;
 * hence the safety margin of `planBatch` (batch.ts).
 *
 * @module
 */

import { ShapeError } from "../../errors.ts";
import { DataType, type DecodedModel, decodeModel, elemSize } from "../onnx/mod.ts";
import { lastUses, peakLive, topoOrder } from "./liveness.ts";
import { InferError, type Info, infoOfTensor, prod } from "./shape_util.ts";
import { inferNode } from "./shapes.ts";

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
  const lastUse = lastUses(g, order);
  const outputNames = new Set(g.outputs.map((o) => o.name));
  const perTensor: TensorEstimate[] = [];
  const account = (name: string, first: number, producer: string) => {
    const info = infos.get(name);
    if (!info || initNames.has(name) || constantNames.has(name)) return;
    // statically known small tensors (shapes, indices) are folded by the runtime
    if (info.value && producer !== "input") return;
    const bytes = prod(info.dims) * elemSize(info.elemType);
    let last = lastUse.get(name) ?? first;
    if (outputNames.has(name)) last = Math.max(steps - 1, first);
    perTensor.push({ name, dims: info.dims, bytes, producer, first, last });
  };
  for (const i of graphInputs) account(i.name, 0, "input");
  for (const [name, step] of producerStep) account(name, step, nodeLabel(order[step]));

  const live = peakLive(perTensor, steps);
  const peak = steps === 0 ? inputBytes : live.peak;
  const peakStep = live.step;

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
