/**
 * ONNX enum codes shared by the decoder and the builder: tensor element types
 * (`TensorProto.DataType`, with their byte sizes and onnxruntime-js names) and attribute
 * types (`AttributeProto.AttributeType`). Numbers follow `onnx/onnx.proto` (proto2).
 *
 * @module
 */

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

/** Element type name -> ONNX data type code (internal: used by the graph builder). */
export const ELEM_CODE: Record<ElemType, number> = {
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
