/**
 * ONNX graph builder: declares inputs, outputs, initializers and nodes (in topological
 * order) and encodes them as `ModelProto` bytes. Used by the tests' model factories and
 * by `cmrxkit container`'s in-image self-test. Tensors are written as `raw_data`
 * (little-endian, row-major, dims outermost first).
 *
 * ```ts
 * const g = new GraphBuilder("double");
 * g.input("x", "float32", ["N", 4]).output("y", "float32", ["N", 4]);
 * g.initializer("two", new Float32Array([2]), []);
 * g.node("Mul", ["x", "two"], ["y"]);
 * const bytes = g.toModel({ opset: 17 });
 * const model = decodeModel(bytes); // model.graph.nodes[0].opType === "Mul"
 * ```
 *
 * @module
 */

import { AttrType, DataType, ELEM_CODE, type ElemType } from "./codes.ts";
import { ProtoWriter } from "./proto.ts";

/** Tensor data accepted by the builder. */
export type TensorData =
  | Float32Array
  | Float64Array
  | BigInt64Array
  | Int32Array
  | Int8Array
  | Uint8Array;

/** An explicitly typed attribute, for values whose JS type is ambiguous (`1.0` float). */
export type TypedAttr =
  | { kind: "float"; value: number }
  | { kind: "floats"; value: number[] }
  | { kind: "int"; value: number }
  | { kind: "ints"; value: number[] }
  | { kind: "tensor"; data: TensorData; dims: number[] }
  | { kind: "graph"; graph: GraphBuilder };

/**
 * Attribute values. A JS integer is an INT and a non-integer a FLOAT (use
 * {@link attr}`.float(1)` for a float that happens to be whole); number arrays likewise
 * (INTS when all are integers); strings; a {@link GraphBuilder} is a GRAPH.
 */
export type AttrInput = number | number[] | string | string[] | TypedAttr | GraphBuilder;

/** Explicitly typed attribute constructors. */
export const attr = {
  float: (value: number): TypedAttr => ({ kind: "float", value }),
  floats: (value: number[]): TypedAttr => ({ kind: "floats", value }),
  int: (value: number): TypedAttr => ({ kind: "int", value }),
  ints: (value: number[]): TypedAttr => ({ kind: "ints", value }),
  tensor: (data: TensorData, dims: number[]): TypedAttr => ({ kind: "tensor", data, dims }),
  graph: (graph: GraphBuilder): TypedAttr => ({ kind: "graph", graph }),
};

function dataTypeOf(data: TensorData): number {
  if (data instanceof Float32Array) return DataType.FLOAT;
  if (data instanceof Float64Array) return DataType.DOUBLE;
  if (data instanceof BigInt64Array) return DataType.INT64;
  if (data instanceof Int32Array) return DataType.INT32;
  if (data instanceof Int8Array) return DataType.INT8;
  return DataType.UINT8;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function encodeTensor(name: string, data: TensorData, dims: number[]): ProtoWriter {
  const size = dims.reduce((a, b) => a * b, 1);
  if (data.length !== size) {
    throw new TypeError(
      `tensor ${name}: ${data.length} values do not fill dims [${dims.join(", ")}] (${size})`,
    );
  }
  if (!LITTLE_ENDIAN) throw new Error("ONNX raw_data writing needs a little-endian machine");
  const w = new ProtoWriter();
  for (const d of dims) w.varint(1, d);
  w.varint(2, dataTypeOf(data));
  if (name) w.string(8, name);
  w.bytes(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice());
  return w;
}

function encodeValueInfo(name: string, elemType: number, dims?: (number | string)[]): ProtoWriter {
  const tensorType = new ProtoWriter().varint(1, elemType);
  if (dims) {
    const shape = new ProtoWriter();
    for (const d of dims) {
      const dim = new ProtoWriter();
      if (typeof d === "number") dim.varint(1, d);
      else dim.string(2, d);
      shape.message(1, dim);
    }
    tensorType.message(2, shape);
  }
  const type = new ProtoWriter().message(1, tensorType);
  return new ProtoWriter().string(1, name).message(2, type);
}

function encodeAttribute(name: string, v: AttrInput): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  if (v instanceof GraphBuilder) return w.message(6, v.encodeGraph()).varint(20, AttrType.GRAPH);
  if (typeof v === "number") {
    return Number.isInteger(v)
      ? w.varint(3, v).varint(20, AttrType.INT)
      : w.float(2, v).varint(20, AttrType.FLOAT);
  }
  if (typeof v === "string") return w.string(4, v).varint(20, AttrType.STRING);
  if (Array.isArray(v)) {
    if (v.length && typeof v[0] === "string") {
      for (const s of v as string[]) w.string(9, s);
      return w.varint(20, AttrType.STRINGS);
    }
    const nums = v as number[];
    if (nums.every(Number.isInteger)) {
      for (const x of nums) w.varint(8, x);
      return w.varint(20, AttrType.INTS);
    }
    for (const x of nums) w.float(7, x);
    return w.varint(20, AttrType.FLOATS);
  }
  switch (v.kind) {
    case "float":
      return w.float(2, v.value).varint(20, AttrType.FLOAT);
    case "int":
      return w.varint(3, v.value).varint(20, AttrType.INT);
    case "floats":
      for (const x of v.value) w.float(7, x);
      return w.varint(20, AttrType.FLOATS);
    case "ints":
      for (const x of v.value) w.varint(8, x);
      return w.varint(20, AttrType.INTS);
    case "tensor":
      return w.message(5, encodeTensor("", v.data, v.dims)).varint(20, AttrType.TENSOR);
    case "graph":
      return w.message(6, v.graph.encodeGraph()).varint(20, AttrType.GRAPH);
  }
}

interface BuilderValue {
  name: string;
  elemType: number;
  dims?: (number | string)[];
}

interface BuilderNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrInput>;
  name: string;
  domain: string;
}

/** Options of {@link GraphBuilder.toModel}. */
export interface ModelOptions {
  /** Default-domain opset (17). */
  opset?: number;
  /** IR version (8, the highest Debian's onnx 1.12 checker accepts). */
  irVersion?: number;
  /** `producer_name` ("cmrxkit"). */
  producer?: string;
  /** `producer_version` (left out by default). */
  producerVersion?: string;
  /** Further opset imports (e.g. `{ "com.microsoft": 1 }`). */
  extraOpsets?: Record<string, number>;
}

/**
 * Builds an ONNX graph node by node (nodes must be added in topological order) and encodes
 * it as a `ModelProto`. Methods chain.
 */
export class GraphBuilder {
  /** Graph name. */
  readonly name: string;
  private inputs: BuilderValue[] = [];
  private outputs: BuilderValue[] = [];
  private valueInfos: BuilderValue[] = [];
  private inits: { name: string; data: TensorData; dims: number[] }[] = [];
  private nodes: BuilderNode[] = [];
  private defined = new Set<string>();
  private counter = 0;
  /** Set for subgraphs: names visible from the enclosing graph. */
  private outer?: GraphBuilder;

  /**
   * Starts an empty graph.
   * @param name graph name
   * @param opts `outer`: the enclosing graph, for Loop/Scan/If bodies that read its values
   */
  constructor(name: string, opts: { outer?: GraphBuilder } = {}) {
    this.name = name;
    this.outer = opts.outer;
  }

  /** Whether a value name is visible here (or in an enclosing graph). */
  private isDefined(n: string): boolean {
    return this.defined.has(n) || (this.outer?.isDefined(n) ?? false);
  }

  /** Registers a value name; a second definition is an error. */
  private define(n: string): void {
    if (this.defined.has(n)) throw new TypeError(`graph ${this.name}: "${n}" is defined twice`);
    this.defined.add(n);
  }

  /** A fresh value name `prefix_N`. */
  fresh(prefix = "t"): string {
    let n: string;
    do n = `${prefix}_${this.counter++}`; while (this.isDefined(n));
    return n;
  }

  /** Declares a graph input; dims are sizes or symbolic names (`"T"`). */
  input(name: string, elemType: ElemType, dims: (number | string)[]): this {
    this.define(name);
    this.inputs.push({ name, elemType: ELEM_CODE[elemType], dims });
    return this;
  }

  /**
   * Declares a graph output (produced by a node added before or after). `dims` `undefined`
   * leaves the shape out (allowed in the main graph, not in Scan/Loop bodies).
   */
  output(name: string, elemType: ElemType, dims: (number | string)[] | undefined): this {
    this.outputs.push({ name, elemType: ELEM_CODE[elemType], dims });
    return this;
  }

  /** Records the type and shape of an intermediate value (`value_info`). */
  valueInfo(name: string, elemType: ElemType, dims: (number | string)[]): this {
    this.valueInfos.push({ name, elemType: ELEM_CODE[elemType], dims });
    return this;
  }

  /** Adds a constant tensor (weights, shapes, indices). */
  initializer(name: string, data: TensorData, dims: number[]): this {
    this.define(name);
    const size = dims.reduce((a, b) => a * b, 1);
    if (data.length !== size) {
      throw new TypeError(
        `initializer ${name}: ${data.length} values do not fill dims [${dims.join(", ")}]`,
      );
    }
    this.inits.push({ name, data, dims });
    return this;
  }

  /** Adds an int64 initializer from numbers (shapes, axes, slice bounds); returns its name. */
  ints(name: string, values: number[], dims: number[] = [values.length]): string {
    this.initializer(name, BigInt64Array.from(values.map((v) => BigInt(v))), dims);
    return name;
  }

  /**
   * Adds a node. Inputs must already be defined (graph inputs, initializers or outputs of
   * earlier nodes; `""` skips an optional input).
   */
  node(
    opType: string,
    inputs: string[],
    outputs: string[],
    attrs: Record<string, AttrInput> = {},
    opts: { name?: string; domain?: string } = {},
  ): this {
    for (const i of inputs) {
      if (i !== "" && !this.isDefined(i)) {
        throw new TypeError(
          `graph ${this.name}: ${opType} input "${i}" is not defined yet (add nodes in order)`,
        );
      }
    }
    for (const o of outputs) if (o !== "") this.define(o);
    this.nodes.push({
      opType,
      inputs,
      outputs,
      attrs,
      name: opts.name ?? `${opType}_${this.nodes.length}`,
      domain: opts.domain ?? "",
    });
    return this;
  }

  /** Encodes the graph alone (`GraphProto`), e.g. as a Loop/Scan body. */
  encodeGraph(): ProtoWriter {
    for (const o of this.outputs) {
      if (!this.isDefined(o.name)) {
        throw new TypeError(`graph ${this.name}: output "${o.name}" is never produced`);
      }
    }
    const g = new ProtoWriter();
    for (const n of this.nodes) {
      const w = new ProtoWriter();
      for (const i of n.inputs) w.string(1, i);
      for (const o of n.outputs) w.string(2, o);
      w.string(3, n.name).string(4, n.opType);
      for (const [k, v] of Object.entries(n.attrs)) w.message(5, encodeAttribute(k, v));
      if (n.domain) w.string(7, n.domain);
      g.message(1, w);
    }
    g.string(2, this.name);
    for (const t of this.inits) g.message(5, encodeTensor(t.name, t.data, t.dims));
    for (const v of this.inputs) g.message(11, encodeValueInfo(v.name, v.elemType, v.dims));
    for (const v of this.outputs) g.message(12, encodeValueInfo(v.name, v.elemType, v.dims));
    for (const v of this.valueInfos) g.message(13, encodeValueInfo(v.name, v.elemType, v.dims));
    return g;
  }

  /** Encodes a complete `ModelProto` (opset 17, IR 8 and producer "cmrxkit" by default). */
  toModel(opts: ModelOptions = {}): Uint8Array {
    const m = new ProtoWriter()
      .varint(1, opts.irVersion ?? 8)
      .string(2, opts.producer ?? "cmrxkit");
    if (opts.producerVersion) m.string(3, opts.producerVersion);
    m.message(7, this.encodeGraph());
    const opsets: Record<string, number> = { "": opts.opset ?? 17, ...opts.extraOpsets };
    for (const [domain, version] of Object.entries(opsets)) {
      const o = new ProtoWriter();
      if (domain) o.string(1, domain);
      o.varint(2, version);
      m.message(8, o);
    }
    return m.finish();
  }
}
