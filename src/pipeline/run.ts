/**
 * {@link submitWithModels}: {@link submit} with the per-case choice of reconstructor made
 * from a folder of ONNX models, as `deno task submit`, the image's entrypoint and its
 * self-test run it. The caller prints; nothing here writes to the console.
 *
 * @module
 */

import type { OnnxSessionOptions } from "../engine/session.ts";
import { listModels, SHIPPED_MODELS } from "../models/registry.ts";
import { checkModel, createSelector } from "./select.ts";
import { submit, type SubmitOptions, type SubmitSummary } from "./submit.ts";

/**
 * Options of {@link submitWithModels}: those of {@link submit} except `select` and `models`,
 * which it makes from `modelsDir`, `model` and `engine`.
 */
export interface SubmitWithModelsOptions extends Omit<SubmitOptions, "select" | "models"> {
  /**
   * `--model`: one reconstructor for every case (a classical method name, a model name in
   * `modelsDir` or a manifest path); absent: chosen per case (the first ONNX model whose
   * manifest serves it, else the default classical method).
   */
  model?: string;
  /** Folder of ONNX models and their manifests (default: the shipped `models/`). */
  modelsDir?: string;
  /** Options of the ONNX sessions (device, GPU memory limit, threads). */
  engine?: OnnxSessionOptions;
  /** Called once with the engine's notice when a session opens (e.g. CUDA not available). */
  onEngineNotice?: (notice: string) => void;
}

/**
 * Lists the models of `opts.modelsDir`, checks `opts.model` before anything is created,
 * builds the per-case selector and runs {@link submit} with it; the ONNX sessions it opened
 * are released when the run ends, also when it fails.
 *
 * @throws {UsageError} for an unknown `--model` name (nothing is written then)
 * @throws {CmrxError} naming a manifest that cannot be read, and whatever {@link submit}
 * throws
 */
export async function submitWithModels(opts: SubmitWithModelsOptions): Promise<SubmitSummary> {
  const { modelsDir, engine, onEngineNotice, ...rest } = opts;
  const models = await listModels(modelsDir ?? SHIPPED_MODELS);
  await checkModel(opts.model, models); // before anything is created
  const selector = createSelector({
    override: opts.model,
    models,
    engine,
    onNotice: onEngineNotice,
  });
  try {
    return await submit({ ...rest, select: (c) => selector.select(c), models });
  } finally {
    await selector.release(); // the ONNX sessions, also when the run fails
  }
}
