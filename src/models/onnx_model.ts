/**
 * An ONNX model as a {@link Reconstructor}: opens the onnxruntime session once, and per
 * slice lets the feeders (`feeders.ts`) build the inputs its manifest asks for, runs the
 * graph for each call (several window calls per run when memory allows, planned from a
 * static estimate of the graph's peak memory) and returns the magnitude image.
 *
 * Arrays are those of `feeders.ts`: canonical row-major letters (k-space `T,C,Y,X,2`,
 * mask `T,Y,X`, coil maps `C,Y,X,2`) copied into each manifest layout; the output image is
 * MATLAB `(x, y, frame)`, column-major.
 *
 * @module
 */

import { estimateMemory, type MemoryEstimate, planBatch } from "../engine/memory/mod.ts";
import { decodeModel } from "../engine/onnx/mod.ts";
import { DEFAULT_VRAM_LIMIT } from "../engine/providers.ts";
import { OnnxSession, type OnnxSessionOptions } from "../engine/session.ts";
import { CmrxError } from "../errors.ts";
import type { Reconstructor, SliceInput, SliceOutput } from "../kspace/slice.ts";
import {
  batchable,
  buildFeeds,
  inputShapes,
  planCalls,
  type PreparedSlice,
  prepareSlice,
  readOutput,
} from "./feeders.ts";
import type { LaidOut } from "./layout.ts";
import type { ModelManifest } from "./manifest.ts";
import { ProcessSession } from "./process_model.ts";
import type { ModelEntry } from "./registry.ts";

/** Options of {@link OnnxReconstructor}. */
export interface OnnxModelOptions extends OnnxSessionOptions {
  /** Coil-map method when the model takes sensitivities (default acs); the manifest's
   * `sensitivity.method`, when it has one, takes precedence. */
  maps?: "acs" | "espirit";
  /**
   * Called after each graph run with the exact feeds the graph was given and the outputs
   * it returned (each in its manifest layout, float32), the frames of each call in the run
   * and the slice's scale (the divisor the inputs were normalised by); for parity checks
   * (`models check`). The arrays are the run's own: copy them to keep them.
   */
  onRun?: (run: ModelRun) => void;
}

/** One graph run, as {@link OnnxModelOptions.onRun} sees it. */
export interface ModelRun {
  /** The inputs fed, by graph input name, in the manifest's layouts. */
  feeds: Record<string, LaidOut>;
  /** The outputs returned, by graph output name. */
  outputs: Record<string, LaidOut>;
  /** The frames (0-based) fed to each call of the run (one list per call, batch order). */
  frames: number[][];
  /** The slice's normalisation divisor (outputs are multiplied back by it). */
  scale: number;
}

/** An ONNX model behind the Reconstructor interface; load once, use for many slices. */
export class OnnxReconstructor implements Reconstructor {
  /** The manifest's `name`. */
  readonly name: string;
  /** The manifest's `description`. */
  readonly description: string;
  /** True when the manifest's `serves.coils` lists `SingleCoil`. */
  readonly singleCoil: boolean;
  /** The model's manifest (as read by {@link readManifest}). */
  readonly manifest: ModelManifest;
  #entry: ModelEntry;
  #opts: OnnxModelOptions;
  #engine: Promise<OnnxSession | ProcessSession> | null = null;
  #estimates = new Map<string, MemoryEstimate>();
  #decoded: ReturnType<typeof decodeModel> | null = null;

  /**
   * A model ready to run; the onnxruntime session is opened on first use
   * ({@link OnnxReconstructor.engine}). Single-coil data is accepted when the manifest
   * serves `SingleCoil`.
   * @param entry the manifest and its ONNX file, from {@link listModels} or {@link readManifest}
   * @param opts device, threads and memory limit of the session; coil-map method
   */
  constructor(entry: ModelEntry, opts: OnnxModelOptions = {}) {
    this.#entry = entry;
    this.#opts = opts;
    this.manifest = entry.manifest;
    this.name = entry.manifest.name;
    this.description = entry.manifest.description;
    this.singleCoil = entry.manifest.serves.coils?.includes("SingleCoil") ?? false;
  }

  /**
   * The onnxruntime session of the model's ONNX file, loaded on the first call with the
   * constructor's options; later calls return the same one. For a manifest with `process`
   * (an external-process model), its program, started on the first call and waited for
   * (`ProcessSession`).
   */
  engine(): Promise<OnnxSession | ProcessSession> {
    this.#engine ??= this.manifest.process
      ? ProcessSession.start(this.manifest, this.#entry.manifestPath)
      : OnnxSession.load(this.#entry.onnxPath, this.#opts);
    return this.#engine;
  }

  /**
   * Reconstructs one slice: normalises it, builds the inputs its manifest declares, runs
   * the graph per call (window calls batched when memory allows) and undoes the scaling.
   * `info` holds `runs` (graph runs), `batch` (calls per run) and `scale` (the divisor).
   * @param input k-space `(kx, ky, coil, frame)` and its mask; not modified
   * @returns the magnitude image, MATLAB dims `(x, y, frame)`
   * @throws {ShapeError} when a graph exported for a fixed frame count gets another count, or the
   *   graph's output dims differ from what its layout declares (axes named)
   * @throws {CmrxError} when the static memory estimate does not fit the limit (on CUDA:
   *   weights + peak activations over 80% of `vramLimitBytes`), an input role cannot be
   *   provided, or the graph lacks the manifest's output
   */
  async reconstruct(input: SliceInput): Promise<SliceOutput> {
    const m = this.manifest;
    const p = prepareSlice(m, input, this.#opts.maps ?? "acs");
    const calls = planCalls(m, p.nt);
    const engine = await this.engine();
    // on the slice's own grid (a padMultiple model runs on a padded one)
    const image = new Float32Array(input.dims[0] * input.dims[1] * p.nt);
    // Window calls are independent: run several per graph call (batch axis B) when every
    // input and the output have one; how many is planned from the memory estimate.
    const batch = batchable(m)
      ? this.#planBatch(p, calls[0].frames.length, engine.provider, calls.length)
      : 1;
    let runs = 0;
    for (let c0 = 0; c0 < calls.length; c0 += batch) {
      const group = calls.slice(c0, c0 + batch);
      const feeds = buildFeeds(m, p, group, this.#entry.manifestPath);
      this.#checkMemory(feeds, engine.provider);
      const outs = await engine.run(feeds, { slice: p, calls: group });
      runs++;
      this.#opts.onRun?.({
        feeds,
        outputs: outs,
        frames: group.map((g) => g.frames),
        scale: p.scale,
      });
      readOutput(m, p, group, c0, outs, image, this.#entry.manifestPath);
    }
    return { image, info: { runs, batch, scale: p.scale } };
  }

  /** Window calls per graph run: as many as fit the memory limit (at most `max`). */
  #planBatch(p: PreparedSlice, frames: number, provider: string, max: number): number {
    if (this.manifest.process) return 1; // no graph to estimate: one call per run
    this.#decoded ??= decodeModel(Deno.readFileSync(this.#entry.onnxPath), this.#entry.onnxPath);
    // every input role, coil maps included, with the dims buildFeeds will give it
    const shapesFor = (b: number) =>
      inputShapes(this.manifest, p, b, frames, this.#entry.manifestPath);
    const limit = provider === "cuda" || provider === "webgpu"
      ? (this.#opts.vramLimitBytes ?? DEFAULT_VRAM_LIMIT)
      : Math.min(
        this.#opts.vramLimitBytes ?? DEFAULT_VRAM_LIMIT,
        Deno.systemMemoryInfo().total / 4,
      );
    const plan = planBatch(
      (b) => estimateMemory(this.#decoded!, shapesFor(b)).peakActivationBytes,
      limit,
      max,
      { weightsBytes: estimateMemory(this.#decoded!, shapesFor(1)).weightsBytes },
    );
    if (plan.batch === 0) {
      throw new CmrxError(`model ${this.name}: ${plan.message}`, {
        hint: "use a smaller model or raise --vram-limit if your GPU allows",
      });
    }
    this.lastBatch = plan.batch;
    return plan.batch;
  }

  /** Window calls per run chosen for the last slice (1 when not batched). */
  lastBatch = 1;

  /**
   * Static peak-memory estimate for these input shapes (cached per shape), checked against
   * the VRAM limit on CUDA (onnxruntime-node does not pass gpu_mem_limit to the CUDA
   * provider, so cmrxkit enforces the challenge's 24 GiB itself).
   */
  #checkMemory(feeds: Record<string, { dims: number[] }>, provider: string): void {
    const shapes = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, v.dims]));
    const key = JSON.stringify(shapes);
    if (this.#estimates.has(key) || this.manifest.process) return; // no graph to estimate
    this.#decoded ??= decodeModel(Deno.readFileSync(this.#entry.onnxPath), this.#entry.onnxPath);
    const est = estimateMemory(this.#decoded, shapes);
    this.#estimates.set(key, est);
    const limit = this.#opts.vramLimitBytes ?? DEFAULT_VRAM_LIMIT;
    const need = est.weightsBytes + est.peakActivationBytes;
    if ((provider === "cuda" || provider === "webgpu") && need > 0.8 * limit) {
      throw new CmrxError(
        `model ${this.name} needs about ${(need / 1024 ** 3).toFixed(1)} GiB for inputs ${key} ` +
          `(weights + peak activations), over 80% of the ${
            (limit / 1024 ** 3).toFixed(0)
          } GiB limit`,
        {
          hint:
            "use a model with a window feeder or smaller widths, or raise --vram-limit if your GPU allows",
        },
      );
    }
  }

  /** Memory estimates made so far (one per input shape). */
  memoryEstimates(): MemoryEstimate[] {
    return [...this.#estimates.values()];
  }

  /**
   * Releases the onnxruntime session; a later {@link OnnxReconstructor.reconstruct} loads it
   * again.
   */
  async release(): Promise<void> {
    if (this.#engine) await (await this.#engine).release();
    this.#engine = null;
  }
}
