/**
 * ONNX model decoder: reads any `.onnx` file (hand-built or PyTorch-exported) into plain
 * objects: graph inputs/outputs with their shapes, initializers (dims, size, values on
 * demand), nodes with their attributes (subgraphs of Loop/Scan/If included), `value_info`.
 *
 * Field numbers follow `onnx/onnx.proto` (proto2). Tensor values are read from `raw_data`
 * (little-endian) or from `float_data`, `int32_data`, `int64_data`, `double_data`,
 * `uint64_data`, packed or not; dims are outermost first and values row-major (last dim
 * fastest). External data is not supported.
 *
 * @module
 */

import { CmrxError } from "../../errors.ts";
import { AttrType, DataType, elemSize } from "./codes.ts";
import {
  EMPTY,
  fields,
  int64,
  ProtoError,
  repeatedDoubles,
  repeatedFloats,
  repeatedInts,
  str,
  UTF8,
} from "./proto.ts";

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
