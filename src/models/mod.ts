/**
 * ONNX reconstruction models: the JSON manifest beside each `.onnx` file
 * ({@link ModelManifest}, checked by {@link checkManifest}), the registry that lists the
 * shipped models or a folder of your own ({@link listModels}, {@link readManifest},
 * {@link findModel}) and matches them to a case ({@link serves}, {@link autoModelFor}), and
 * {@link OnnxReconstructor}, which runs a model as a {@link Reconstructor} on onnxruntime
 * (CPU or CUDA), building the inputs its manifest declares from each slice.
 *
 * {@link permute} reorders row-major tensors between axis-letter layouts (`"T,C,Y,X,2"`
 * and the like, see {@link TensorSpec}); {@link windowFrames} is the circular frame window
 * of a `window` feeder.
 *
 * @example Pick the shipped model for a case and reconstruct a slice
 * ```ts
 * import { autoModelFor, listModels, OnnxReconstructor } from "@cmrxkit/cmrxkit/models";
 * import type { SliceInput } from "@cmrxkit/cmrxkit/models";
 *
 * declare const slice: SliceInput; // k-space (kx, ky, coil, frame) and its mask
 * const models = await listModels(); // the shipped models/ folder
 * const entry = autoModelFor({ task: "cine", view: "sax", acc: 4, coil: "MultiCoil" }, models);
 * if (entry) {
 *   const model = new OnnxReconstructor(entry, { device: "cpu" });
 *   const { image } = await model.reconstruct(slice); // magnitudes (x, y, frame)
 *   await model.release();
 * }
 * ```
 *
 * @module
 */

export {
  checkManifest,
  type FeederSpec,
  INPUT_ROLES,
  type InputRole,
  type ModelManifest,
  type NormalizationSpec,
  type ProcessSpec,
  type SensitivitySpec,
  type ServesSpec,
  type TensorSpec,
} from "./manifest.ts";
export {
  autoModelFor,
  DEFAULT_MASKS,
  findModel,
  listModels,
  type ModelEntry,
  type ModelKey,
  readManifest,
  servedMasks,
  serves,
  SHIPPED_MODELS,
} from "./registry.ts";
export { type ModelRun, type OnnxModelOptions, OnnxReconstructor } from "./onnx_model.ts";
export {
  ProcessSession,
  type ProcessSessionStats,
  PROTOCOL,
  PROTOCOL_VERSION,
  type RunContext,
} from "./process_model.ts";
export { windowFrames } from "./feeders.ts";
export { type LaidOut, permute } from "./layout.ts";

// Types of lower layers that appear in the signatures above.
export type { Reconstructor, SliceInput, SliceOutput } from "../kspace/slice.ts";
export type {
  EngineTensor,
  OnnxSession,
  OnnxSessionOptions,
  OnnxSessionStats,
} from "../engine/session.ts";
export type { Device } from "../engine/providers.ts";
export type { DecodedValueInfo, Dim } from "../engine/onnx/mod.ts";
export type { MemoryEstimate, TensorEstimate } from "../engine/memory/mod.ts";
