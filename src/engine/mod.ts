/**
 * The ONNX engine: the public API of src/engine/. onnxruntime sessions with execution
 * provider choice and timing ({@link OnnxSession}), the `--device` choice, CUDA detection
 * and WebGPU adapter checks ({@link parseDevice}, {@link cudaAvailable},
 * {@link webgpuAdapter}), process memory figures
 * ({@link peakRssBytes}), a dependency-free ONNX decoder and graph builder
 * ({@link decodeModel}, {@link GraphBuilder}) and a static memory estimate with batch
 * planning against a memory limit ({@link estimateMemory}, {@link planBatch}).
 *
 * Tensors are float32, row-major (last dim fastest), dims outermost first; sizes are bytes.
 *
 * ```ts
 * import { estimateMemory, GraphBuilder, OnnxSession, planBatch } from "./mod.ts";
 *
 * const g = new GraphBuilder("double");
 * g.input("x", "float32", ["N", 4]).output("y", "float32", ["N", 4]);
 * g.initializer("two", new Float32Array([2]), []);
 * g.node("Mul", ["x", "two"], ["y"]);
 * await Deno.writeFile("double.onnx", g.toModel({ opset: 17 }));
 *
 * const session = await OnnxSession.load("double.onnx", { device: "cpu" });
 * const { y } = await session.run({ x: { data: new Float32Array([1, 2, 3, 4]), dims: [1, 4] } });
 * // y.data = [2, 4, 6, 8]
 * await session.release();
 * ```
 *
 * @module
 */

export {
  type EngineTensor,
  FEEDABLE,
  OnnxSession,
  type OnnxSessionOptions,
  type OnnxSessionStats,
  type Provider,
} from "./session.ts";
export {
  adapterLabel,
  cudaAvailable,
  cudaProviderOptions,
  DEFAULT_VRAM_LIMIT,
  type Device,
  deviceIdOf,
  ortBinaryDir,
  parseDevice,
  softwareAdapterReason,
  webgpuAdapter,
  type WebGpuAdapterCheck,
  type WebGpuAdapterInfo,
} from "./providers.ts";
export { peakRssBytes, resetPeakRss, rssBytes } from "./rss.ts";
export {
  type ComputeApp,
  gpuBytesOf,
  GpuMemorySampler,
  parseComputeApps,
  processTree,
} from "./gpu_memory.ts";
export * from "./onnx/mod.ts";
export * from "./memory/mod.ts";
export {
  isWebGpuConvHazard,
  WEBGPU_CONV_RULE,
  type WebGpuConvHazard,
  webgpuConvHazards,
} from "./webgpu_hazards.ts";
