/**
 * ONNX models without dependencies: the public API of src/engine/onnx/. A decoder that
 * reads any ONNX file into plain objects ({@link decodeModel}), a graph builder that emits
 * `ModelProto` bytes ({@link GraphBuilder}), the protobuf writer under it, and the ONNX
 * element/attribute type codes. Dims are outermost first, tensor values row-major.
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

export { AttrType, DataType, elemSize, type ElemType, elemTypeName } from "./codes.ts";
export { ProtoWriter } from "./proto.ts";
export {
  type AttributeValue,
  type DecodedAttribute,
  type DecodedGraph,
  type DecodedModel,
  type DecodedNode,
  type DecodedTensor,
  type DecodedValueInfo,
  decodeModel,
  type Dim,
  halfToFloat,
  tensorFloat32,
  tensorValues,
} from "./decode.ts";
export {
  attr,
  type AttrInput,
  GraphBuilder,
  type ModelOptions,
  type TensorData,
  type TypedAttr,
} from "./build.ts";
