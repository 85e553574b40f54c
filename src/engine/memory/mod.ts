/**
 * Static memory estimate of an ONNX model and batch planning against a memory limit: the
 * public API of src/engine/memory/ ({@link estimateMemory}, {@link planBatch},
 * {@link planModelBatch}). Shapes are dims outermost first; sizes are bytes.
 *
 * @module
 */

export {
  estimateMemory,
  type EstimateOptions,
  type MemoryEstimate,
  type TensorEstimate,
} from "./estimate.ts";
export { type BatchPlan, planBatch, planModelBatch, type PlanOptions } from "./batch.ts";
