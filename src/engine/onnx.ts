/**
 * ONNX models without dependencies: a protobuf writer plus a small graph builder that
 * emits `ModelProto` bytes, and a decoder that reads any ONNX file (hand-built or
 * PyTorch-exported) back into plain objects: graph inputs/outputs with their shapes,
 * initializers (dims, size, values on demand), nodes with their attributes, `value_info`.
 *
 * Field numbers follow `onnx/onnx.proto` (proto2). Tensors are written as `raw_data`
 * (little-endian); the decoder also reads `float_data`, `int32_data`, `int64_data`,
 * `double_data`, `uint64_data`, packed or not. External data is not supported.
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

import { CmrxError } from "../errors.ts";

// ---------------------------------------------------------------------------------------
// Element types
// ---------------------------------------------------------------------------------------

/** ONNX `TensorProto.DataType` codes. */
export const DataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
} as const;

/** Element type names accepted by the builder (onnxruntime-js spelling). */
export type ElemType =
  | "float32"
  | "float64"
  | "float16"
  | "int64"
  | "int32"
  | "int16"
  | "int8"
  | "uint8"
  | "bool";

const ELEM_CODE: Record<ElemType, number> = {
  float32: DataType.FLOAT,
  float64: DataType.DOUBLE,
  float16: DataType.FLOAT16,
  int64: DataType.INT64,
  int32: DataType.INT32,
  int16: DataType.INT16,
  int8: DataType.INT8,
  uint8: DataType.UINT8,
  bool: DataType.BOOL,
};

/** Bytes per element of an ONNX data type (strings counted as 8, a pointer). */
export function elemSize(dataType: number): number {
  switch (dataType) {
    case DataType.UINT8:
    case DataType.INT8:
    case DataType.BOOL:
      return 1;
    case DataType.UINT16:
    case DataType.INT16:
    case DataType.FLOAT16:
    case DataType.BFLOAT16:
      return 2;
    case DataType.FLOAT:
    case DataType.INT32:
    case DataType.UINT32:
      return 4;
    case DataType.INT64:
    case DataType.UINT64:
    case DataType.DOUBLE:
    case DataType.COMPLEX64:
    case DataType.STRING:
      return 8;
    case DataType.COMPLEX128:
      return 16;
    default:
      return 4;
  }
}

/** The onnxruntime-js name of an ONNX data type code (`"float32"`, `"int64"`, ...). */
export function elemTypeName(dataType: number): string {
  for (const [k, v] of Object.entries(ELEM_CODE)) if (v === dataType) return k;
  const names: Record<number, string> = {
    [DataType.UINT16]: "uint16",
    [DataType.UINT32]: "uint32",
    [DataType.UINT64]: "uint64",
    [DataType.STRING]: "string",
    [DataType.COMPLEX64]: "complex64",
    [DataType.COMPLEX128]: "complex128",
    [DataType.BFLOAT16]: "bfloat16",
  };
  return names[dataType] ?? `type${dataType}`;
}

// ---------------------------------------------------------------------------------------
// Protobuf writer
// ---------------------------------------------------------------------------------------

const TEXT = new TextEncoder();

/**
 * Protobuf wire-format writer: appends fields to a list of chunks and concatenates once.
 * Wire types: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32.
 */
export class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private len = 0;
  private scratch: number[] = [];

  /** Moves pending small writes into a chunk. */
  private flushScratch(): void {
    if (this.scratch.length) {
      const b = Uint8Array.from(this.scratch);
      this.chunks.push(b);
      this.len += b.length;
      this.scratch = [];
    }
  }

  /** Appends bytes (not copied). */
  private pushBytes(b: Uint8Array): void {
    this.flushScratch();
    this.chunks.push(b);
    this.len += b.length;
  }

  /** Raw varint (no tag). Negative numbers are written as 64-bit two's complement. */
  rawVarint(v: number | bigint): this {
    let x = typeof v === "bigint" ? v : BigInt(Math.trunc(v));
    if (x < 0n) x = BigInt.asUintN(64, x);
    if (x < 0x80n) {
      this.scratch.push(Number(x));
      return this;
    }
    while (x >= 0x80n) {
      this.scratch.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.scratch.push(Number(x));
    return this;
  }

  /** Writes a field key. */
  private tag(field: number, wire: number): void {
    this.rawVarint((field << 3) | wire);
  }

  /** Varint field (int32, int64, uint64, bool, enum). */
  varint(field: number, v: number | bigint | boolean): this {
    this.tag(field, 0);
    return this.rawVarint(typeof v === "boolean" ? (v ? 1 : 0) : v);
  }

  /** Length-delimited bytes field. */
  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2);
    this.rawVarint(b.length);
    this.pushBytes(b);
    return this;
  }

  /** UTF-8 string field. */
  string(field: number, s: string): this {
    return this.bytes(field, TEXT.encode(s));
  }

  /** Embedded message field. */
  message(field: number, m: ProtoWriter): this {
    return this.bytes(field, m.finish());
  }

  /** fixed32 float field. */
  float(field: number, v: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    for (const x of b) this.scratch.push(x);
    return this;
  }

  /** fixed64 double field. */
  double(field: number, v: number): this {
    this.tag(field, 1);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    for (const x of b) this.scratch.push(x);
    return this;
  }

  /** The encoded message. */
  finish(): Uint8Array {
    this.flushScratch();
    if (this.chunks.length === 1) return this.chunks[0];
    const out = new Uint8Array(this.len);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    this.chunks = [out];
    return out;
  }
}

// ---------------------------------------------------------------------------------------
// Protobuf reader
// ---------------------------------------------------------------------------------------

/** One decoded protobuf field. */
interface Field {
  field: number;
  wire: number;
  /** varint value (wire 0) */
  int: bigint;
  /** payload (wire 1, 2, 5) */
  bytes: Uint8Array;
}

/** Thrown (as a plain Error) on malformed protobuf; callers wrap it with the file name. */
class ProtoError extends Error {}

function readVarint(buf: Uint8Array, pos: { p: number }): bigint {
  let result = 0n;
  let shift = 0n;
  // fast path for small values
  for (let i = 0; i < 10; i++) {
    if (pos.p >= buf.length) throw new ProtoError("truncated varint");
    const b = buf[pos.p++];
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return result;
    shift += 7n;
  }
  throw new ProtoError("varint longer than 10 bytes");
}

function* fields(buf: Uint8Array): Generator<Field> {
  const pos = { p: 0 };
  while (pos.p < buf.length) {
    const key = readVarint(buf, pos);
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (field === 0) throw new ProtoError("field number 0");
    switch (wire) {
      case 0:
        yield { field, wire, int: readVarint(buf, pos), bytes: EMPTY };
        break;
      case 1:
      case 5: {
        const n = wire === 1 ? 8 : 4;
        if (pos.p + n > buf.length) throw new ProtoError("truncated fixed field");
        yield { field, wire, int: 0n, bytes: buf.subarray(pos.p, pos.p + n) };
        pos.p += n;
        break;
      }
      case 2: {
        const n = Number(readVarint(buf, pos));
        if (n < 0 || pos.p + n > buf.length) throw new ProtoError("truncated length-delimited");
        yield { field, wire, int: 0n, bytes: buf.subarray(pos.p, pos.p + n) };
        pos.p += n;
        break;
      }
      default:
        throw new ProtoError(`unsupported wire type ${wire}`);
    }
  }
}

const EMPTY = new Uint8Array(0);
const UTF8 = new TextDecoder();

function str(f: Field): string {
  if (f.wire !== 2) throw new ProtoError(`field ${f.field}: expected a string`);
  return UTF8.decode(f.bytes);
}

function int64(v: bigint): number {
  return Number(BigInt.asIntN(64, v));
}

/** Repeated integer field, packed (wire 2) or not (wire 0): appends to `out`. */
function repeatedInts(f: Field, out: number[]): void {
  if (f.wire === 0) out.push(int64(f.int));
  else if (f.wire === 2) {
    const pos = { p: 0 };
    while (pos.p < f.bytes.length) out.push(int64(readVarint(f.bytes, pos)));
  } else throw new ProtoError(`field ${f.field}: expected integers`);
}

function repeatedFloats(f: Field, out: number[]): void {
  const dv = new DataView(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength);
  if (f.wire === 5) out.push(dv.getFloat32(0, true));
  else if (f.wire === 2) {
    for (let o = 0; o + 4 <= f.bytes.length; o += 4) out.push(dv.getFloat32(o, true));
  } else throw new ProtoError(`field ${f.field}: expected floats`);
}

function repeatedDoubles(f: Field, out: number[]): void {
  const dv = new DataView(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength);
  if (f.wire === 1) out.push(dv.getFloat64(0, true));
  else if (f.wire === 2) {
    for (let o = 0; o + 8 <= f.bytes.length; o += 8) out.push(dv.getFloat64(o, true));
  } else throw new ProtoError(`field ${f.field}: expected doubles`);
}

// ---------------------------------------------------------------------------------------
// Decoded model types
// ---------------------------------------------------------------------------------------

/** A dimension: a size, a symbolic name, or `null` when unknown. */
export type Dim = number | string | null;

/** A graph input, output or `value_info` entry. */
export interface DecodedValueInfo {
  /** Value name in the graph. */
  name: string;
  /** ONNX data type code (1 = float32); 0 when not a tensor or not given. */
  elemType: number;
  /** Dims outermost first; `undefined` when the shape is not given (unknown rank). */
  dims?: Dim[];
}

/** A tensor (initializer or attribute value). Values are decoded on demand. */
export interface DecodedTensor {
  /** Tensor name (empty for attribute tensors). */
  name: string;
  /** ONNX data type code ({@link DataType}). */
  dataType: number;
  /** Dims outermost first (empty for a scalar). */
  dims: number[];
  /** Number of elements (product of dims; 1 for a scalar). */
  size: number;
  /** Bytes the values take in memory (`size * elemSize(dataType)`). */
  byteLength: number;
  /** True when the values live in an external file (not supported: values unavailable). */
  external: boolean;
  /** `raw_data` bytes, a view into the model buffer (not copied). */
  raw?: Uint8Array;
  /** `float_data`, when used instead of raw_data. */
  floatData?: number[];
  /** `int32_data` / `int64_data` / `uint64_data`, when used instead of raw_data. */
  intData?: number[];
  /** `double_data`, when used instead of raw_data. */
  doubleData?: number[];
}

/** Attribute value, decoded. `ints` of int64 are converted to JS numbers. */
export type AttributeValue =
  | number
  | string
  | number[]
  | string[]
  | DecodedTensor
  | DecodedTensor[]
  | DecodedGraph
  | DecodedGraph[]
  | null;

/** One node attribute. `type` is the ONNX `AttributeType` code. */
export interface DecodedAttribute {
  /** Attribute name. */
  name: string;
  /** ONNX `AttributeType` code ({@link AttrType}). */
  type: number;
  /** The decoded value. */
  value: AttributeValue;
}

/** A graph node. */
export interface DecodedNode {
  /** Node name (may be empty). */
  name: string;
  /** Operator, e.g. `Conv`. */
  opType: string;
  /** Operator domain (`""` = ONNX). */
  domain: string;
  /** Input value names (`""` = optional input left out). */
  inputs: string[];
  /** Output value names. */
  outputs: string[];
  /** Attributes by name. */
  attributes: Record<string, DecodedAttribute>;
}

/** A graph (the main graph or a subgraph of Loop/Scan/If). */
export interface DecodedGraph {
  /** Graph name. */
  name: string;
  /** Nodes in file order (topological in a valid model). */
  nodes: DecodedNode[];
  /** Constant tensors (weights). */
  initializers: DecodedTensor[];
  /** Graph inputs; IR < 4 files also list initializers here. */
  inputs: DecodedValueInfo[];
  /** Graph outputs. */
  outputs: DecodedValueInfo[];
  /** Shapes of intermediate values, when the exporter recorded them. */
  valueInfo: DecodedValueInfo[];
}

/** A decoded `ModelProto`. */
export interface DecodedModel {
  /** ONNX IR version. */
  irVersion: number;
  /** `producer_name` (e.g. `pytorch`, `cmrxkit`). */
  producerName: string;
  /** `producer_version`. */
  producerVersion: string;
  /** Opset per domain (`""` is the default ONNX domain). */
  opsets: Record<string, number>;
  /** The main graph. */
  graph: DecodedGraph;
}

/** Attribute type codes. */
export const AttrType = {
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
} as const;

// ---------------------------------------------------------------------------------------
// Decoder
// ---------------------------------------------------------------------------------------

function decodeTensor(buf: Uint8Array): DecodedTensor {
  const t: DecodedTensor = {
    name: "",
    dataType: 0,
    dims: [],
    size: 1,
    byteLength: 0,
    external: false,
  };
  const floats: number[] = [];
  const ints: number[] = [];
  const doubles: number[] = [];
  for (const f of fields(buf)) {
    switch (f.field) {
      case 1:
        repeatedInts(f, t.dims);
        break;
      case 2:
        t.dataType = Number(f.int);
        break;
      case 4:
        repeatedFloats(f, floats);
        break;
      case 5: // int32_data (also holds int8/16, uint8/16, bool, float16 bits)
      case 7: // int64_data
      case 11: // uint64_data
        repeatedInts(f, ints);
        break;
      case 8:
        t.name = str(f);
        break;
      case 9:
        t.raw = f.bytes;
        break;
      case 10:
        repeatedDoubles(f, doubles);
        break;
      case 13: // external_data
        t.external = true;
        break;
      case 14: // data_location: 1 = EXTERNAL
        if (f.int === 1n) t.external = true;
        break;
    }
  }
  if (floats.length) t.floatData = floats;
  if (ints.length) t.intData = ints;
  if (doubles.length) t.doubleData = doubles;
  t.size = t.dims.reduce((a, b) => a * b, 1);
  t.byteLength = t.size * elemSize(t.dataType);
  return t;
}

function decodeValueInfo(buf: Uint8Array): DecodedValueInfo {
  const v: DecodedValueInfo = { name: "", elemType: 0 };
  for (const f of fields(buf)) {
    if (f.field === 1) v.name = str(f);
    else if (f.field === 2) {
      // TypeProto
      for (const tf of fields(f.bytes)) {
        if (tf.field !== 1) continue; // tensor_type only
        for (const tt of fields(tf.bytes)) {
          if (tt.field === 1) v.elemType = Number(tt.int);
          else if (tt.field === 2) {
            const dims: Dim[] = [];
            for (const sd of fields(tt.bytes)) {
              if (sd.field !== 1) continue;
              let d: Dim = null;
              for (const df of fields(sd.bytes)) {
                if (df.field === 1) d = int64(df.int);
                else if (df.field === 2) d = str(df);
              }
              dims.push(d);
            }
            v.dims = dims;
          }
        }
      }
    }
  }
  return v;
}

function decodeAttribute(buf: Uint8Array): DecodedAttribute {
  let name = "";
  let type = 0;
  let f1: number | undefined, i1: number | undefined, s1: string | undefined;
  let t1: DecodedTensor | undefined, g1: DecodedGraph | undefined;
  const floats: number[] = [], ints: number[] = [], strings: string[] = [];
  const tensors: DecodedTensor[] = [], graphs: DecodedGraph[] = [];
  for (const f of fields(buf)) {
    switch (f.field) {
      case 1:
        name = str(f);
        break;
      case 20:
        type = Number(f.int);
        break;
      case 2: {
        const tmp: number[] = [];
        repeatedFloats(f, tmp);
        f1 = tmp[0];
        break;
      }
      case 3:
        i1 = int64(f.int);
        break;
      case 4:
        s1 = UTF8.decode(f.bytes);
        break;
      case 5:
        t1 = decodeTensor(f.bytes);
        break;
      case 6:
        g1 = decodeGraph(f.bytes);
        break;
      case 7:
        repeatedFloats(f, floats);
        break;
      case 8:
        repeatedInts(f, ints);
        break;
      case 9:
        strings.push(UTF8.decode(f.bytes));
        break;
      case 10:
        tensors.push(decodeTensor(f.bytes));
        break;
      case 11:
        graphs.push(decodeGraph(f.bytes));
        break;
    }
  }
  if (!type) {
    // IR < 0.0.2 files may omit `type`: infer it from what is set
    type = f1 !== undefined
      ? AttrType.FLOAT
      : i1 !== undefined
      ? AttrType.INT
      : s1 !== undefined
      ? AttrType.STRING
      : t1
      ? AttrType.TENSOR
      : g1
      ? AttrType.GRAPH
      : floats.length
      ? AttrType.FLOATS
      : ints.length
      ? AttrType.INTS
      : strings.length
      ? AttrType.STRINGS
      : 0;
  }
  let value: AttributeValue = null;
  switch (type) {
    case AttrType.FLOAT:
      value = f1 ?? 0;
      break;
    case AttrType.INT:
      value = i1 ?? 0;
      break;
    case AttrType.STRING:
      value = s1 ?? "";
      break;
    case AttrType.TENSOR:
      value = t1 ?? null;
      break;
    case AttrType.GRAPH:
      value = g1 ?? null;
      break;
    case AttrType.FLOATS:
      value = floats;
      break;
    case AttrType.INTS:
      value = ints;
      break;
    case AttrType.STRINGS:
      value = strings;
      break;
    case AttrType.TENSORS:
      value = tensors;
      break;
    case AttrType.GRAPHS:
      value = graphs;
      break;
  }
  return { name, type, value };
}

function decodeNode(buf: Uint8Array): DecodedNode {
  const n: DecodedNode = {
    name: "",
    opType: "",
    domain: "",
    inputs: [],
    outputs: [],
    attributes: {},
  };
  for (const f of fields(buf)) {
    switch (f.field) {
      case 1:
        n.inputs.push(str(f));
        break;
      case 2:
        n.outputs.push(str(f));
        break;
      case 3:
        n.name = str(f);
        break;
      case 4:
        n.opType = str(f);
        break;
      case 5: {
        const a = decodeAttribute(f.bytes);
        n.attributes[a.name] = a;
        break;
      }
      case 7:
        n.domain = str(f);
        break;
    }
  }
  return n;
}

function decodeGraph(buf: Uint8Array): DecodedGraph {
  const g: DecodedGraph = {
    name: "",
    nodes: [],
    initializers: [],
    inputs: [],
    outputs: [],
    valueInfo: [],
  };
  for (const f of fields(buf)) {
    switch (f.field) {
      case 1:
        g.nodes.push(decodeNode(f.bytes));
        break;
      case 2:
        g.name = str(f);
        break;
      case 5:
        g.initializers.push(decodeTensor(f.bytes));
        break;
      case 11:
        g.inputs.push(decodeValueInfo(f.bytes));
        break;
      case 12:
        g.outputs.push(decodeValueInfo(f.bytes));
        break;
      case 13:
        g.valueInfo.push(decodeValueInfo(f.bytes));
        break;
    }
  }
  return g;
}

/**
 * Decodes ONNX `ModelProto` bytes. Initializer values are not copied: `raw` is a view into
 * `bytes` (keep `bytes` alive while using them).
 *
 * @param bytes the `.onnx` file contents
 * @param file the file name, for error messages
 * @throws {CmrxError} when the bytes are not an ONNX model (malformed protobuf, no graph)
 */
export function decodeModel(bytes: Uint8Array, file?: string): DecodedModel {
  const m: DecodedModel = {
    irVersion: 0,
    producerName: "",
    producerVersion: "",
    opsets: {},
    graph: { name: "", nodes: [], initializers: [], inputs: [], outputs: [], valueInfo: [] },
  };
  let hasGraph = false;
  try {
    for (const f of fields(bytes)) {
      switch (f.field) {
        case 1:
          m.irVersion = int64(f.int);
          break;
        case 2:
          m.producerName = str(f);
          break;
        case 3:
          m.producerVersion = str(f);
          break;
        case 7:
          m.graph = decodeGraph(f.bytes);
          hasGraph = true;
          break;
        case 8: {
          let domain = "", version = 0;
          for (const o of fields(f.bytes)) {
            if (o.field === 1) domain = str(o);
            else if (o.field === 2) version = int64(o.int);
          }
          m.opsets[domain === "ai.onnx" ? "" : domain] = version;
          break;
        }
      }
    }
  } catch (e) {
    if (e instanceof ProtoError) {
      throw new CmrxError(`not an ONNX model (${e.message})`, {
        file,
        hint: "give the path of a .onnx file exported with torch.onnx.export or onnx.save",
        cause: e,
      });
    }
    throw e;
  }
  if (!hasGraph || m.irVersion <= 0) {
    throw new CmrxError(
      `not an ONNX model (${!hasGraph ? "no graph" : "no ir_version"} in the protobuf)`,
      { file, hint: "give the path of a .onnx file exported with torch.onnx.export or onnx.save" },
    );
  }
  return m;
}

/**
 * The values of a tensor as JS numbers (int64 beyond 2^53 lose precision, which is fine
 * for shapes and slice bounds). Float16/bfloat16 raw values are converted.
 *
 * @throws {CmrxError} when the tensor's data is external
 */
export function tensorValues(t: DecodedTensor): number[] {
  if (t.external) throw new CmrxError(`tensor ${t.name}: external data is not supported`);
  if (t.floatData) return t.floatData.slice();
  if (t.doubleData) return t.doubleData.slice();
  if (t.intData) {
    if (t.dataType === DataType.FLOAT16) return t.intData.map(halfToFloat);
    if (t.dataType === DataType.BFLOAT16) return t.intData.map(bf16ToFloat);
    return t.intData.slice();
  }
  const raw = t.raw ?? EMPTY;
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const n = Math.min(t.size, Math.floor(raw.byteLength / elemSize(t.dataType)));
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    switch (t.dataType) {
      case DataType.FLOAT:
        out[i] = dv.getFloat32(4 * i, true);
        break;
      case DataType.DOUBLE:
        out[i] = dv.getFloat64(8 * i, true);
        break;
      case DataType.INT64:
        out[i] = Number(dv.getBigInt64(8 * i, true));
        break;
      case DataType.UINT64:
        out[i] = Number(dv.getBigUint64(8 * i, true));
        break;
      case DataType.INT32:
        out[i] = dv.getInt32(4 * i, true);
        break;
      case DataType.UINT32:
        out[i] = dv.getUint32(4 * i, true);
        break;
      case DataType.INT16:
        out[i] = dv.getInt16(2 * i, true);
        break;
      case DataType.UINT16:
        out[i] = dv.getUint16(2 * i, true);
        break;
      case DataType.FLOAT16:
        out[i] = halfToFloat(dv.getUint16(2 * i, true));
        break;
      case DataType.BFLOAT16:
        out[i] = bf16ToFloat(dv.getUint16(2 * i, true));
        break;
      case DataType.INT8:
        out[i] = dv.getInt8(i);
        break;
      default: // UINT8, BOOL
        out[i] = dv.getUint8(i);
    }
  }
  return out;
}

/** The values of a float tensor as a Float32Array (copied). */
export function tensorFloat32(t: DecodedTensor): Float32Array {
  if (t.dataType === DataType.FLOAT && t.raw && !t.external) {
    const out = new Float32Array(t.size);
    new Uint8Array(out.buffer).set(t.raw.subarray(0, 4 * t.size));
    return out;
  }
  return Float32Array.from(tensorValues(t));
}

/** IEEE half-precision bits to a number. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

function bf16ToFloat(b: number): number {
  const dv = new DataView(new ArrayBuffer(4));
  dv.setUint32(0, b << 16);
  return dv.getFloat32(0);
}

// ---------------------------------------------------------------------------------------
// Builder
// ---------------------------------------------------------------------------------------

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
