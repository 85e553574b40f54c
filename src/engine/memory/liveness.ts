/**
 * Execution order and tensor lifetimes of an ONNX graph, for the memory estimate: node
 * indices in topological order, the step (position in that order) of each value's last
 * use, and the peak of the bytes alive at once. A tensor is alive from the step that
 * produces it to its last consumer, both inclusive.
 *
 * @module
 */

import { ShapeError } from "../../errors.ts";
import type { DecodedGraph, DecodedNode } from "../onnx/mod.ts";

/**
 * Node indices of `graph` in execution order: the file's order when it is already
 * topological (the usual case), else Kahn's order with ties broken by index.
 * @param known values available before any node runs (graph inputs, initializers)
 * @throws {ShapeError} when the graph has a cycle
 */
export function topoOrder(graph: DecodedGraph, known: Set<string>): number[] {
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
export function subgraphRefs(node: DecodedNode): string[] {
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

/**
 * The step of each value's last use: as a node input, or as a name a node's subgraph
 * reads from the enclosing scope.
 * @param order node indices in execution order (from {@link topoOrder})
 */
export function lastUses(graph: DecodedGraph, order: number[]): Map<string, number> {
  const lastUse = new Map<string, number>();
  order.forEach((idx, step) => {
    const node = graph.nodes[idx];
    for (const i of [...node.inputs, ...subgraphRefs(node)]) if (i) lastUse.set(i, step);
  });
  return lastUse;
}

/** A tensor's size and lifetime: alive from step `first` to step `last`, inclusive. */
export interface LiveSpan {
  /** Bytes it takes. */
  bytes: number;
  /** Step of production (0 for graph inputs). */
  first: number;
  /** Step of the last use. */
  last: number;
}

/**
 * The peak of the bytes alive at once over `steps` steps.
 * @returns the peak bytes and the step where it is first reached (-1, with peak 0, when
 *   nothing is ever alive)
 */
export function peakLive(
  spans: readonly LiveSpan[],
  steps: number,
): { peak: number; step: number } {
  const delta = new Float64Array(steps + 1);
  for (const s of spans) {
    delta[Math.max(s.first, 0)] += s.bytes;
    delta[s.last + 1] -= s.bytes;
  }
  let live = 0, peak = 0, step = -1;
  for (let s = 0; s < steps; s++) {
    live += delta[s];
    if (live > peak) {
      peak = live;
      step = s;
    }
  }
  return { peak, step };
}
