/**
 * onnxruntime sessions for cmrxkit ({@link OnnxSession}): execution provider choice (CUDA
 * when it is usable, else a hardware WebGPU adapter under `auto`, CPU otherwise, never a
 * crash; see providers.ts), threads, graph
 * optimisation, a warm-up run, per-run timing and input checking against the graph.
 * Tensors are float32, row-major (last dim fastest), dims outermost first.
 *
 * onnxruntime-node is imported lazily (on the first {@link OnnxSession.load}), so
 * importing this module needs no `--allow-ffi`; loading a model needs `--allow-ffi
 * --allow-read`. Asking for the CUDA provider when its library is absent makes session
 * creation throw, so cmrxkit checks first (`cudaAvailable`) and retries on CPU when
 * creation still fails.
 *
 * WebGPU runs through onnxruntime-web's WebGPU provider (`onnxruntime-web/webgpu`, imported
 * lazily too; no `--allow-ffi`, `--allow-read` for its wasm file): `device: "webgpu"` uses
 * any adapter `navigator.gpu` gives (software ones too); `auto` uses it only when CUDA is not
 * usable and the adapter is hardware (`webgpuAdapter`). No adapter, or a session that fails
 * to start: CPU with a notice.
 *
 * @module
 */

import type * as Ort from "onnxruntime-node";
import { CmrxError, ShapeError } from "../errors.ts";
import {
  DataType,
  type DecodedValueInfo,
  decodeModel,
  type Dim,
  elemTypeName,
  halfToFloat,
} from "./onnx/mod.ts";
import { WEBGPU_CONV_RULE, webgpuConvHazards } from "./webgpu_hazards.ts";
import {
  cudaAvailable,
  cudaProviderOptions,
  DEFAULT_VRAM_LIMIT,
  type Device,
  deviceIdOf,
  webgpuAdapter,
  type WebGpuAdapterInfo,
} from "./providers.ts";

/** The execution provider of an {@link OnnxSession}. */
export type Provider = "cuda" | "webgpu" | "cpu";

/** Options of {@link OnnxSession.load}. */
export interface OnnxSessionOptions {
  /** Execution device; default `auto`. */
  device?: Device;
  /** Threads inside one operator (CPU); default: onnxruntime's choice (physical cores). */
  intraOpThreads?: number;
  /** Threads across independent operators; default: onnxruntime's choice. */
  interOpThreads?: number;
  /**
   * GPU memory limit in bytes; default 24 GiB (the challenge limit). Passed to the CUDA
   * provider as `gpu_mem_limit`. Note: onnxruntime-node 1.30's binding forwards only
   * `deviceId` to the CUDA provider, so the limit is not enforced by onnxruntime there;
   * cmrxkit enforces it by sizing the work with `estimateMemory` + `planBatch`.
   */
  vramLimitBytes?: number;
  /**
   * `refuse` (default): a graph with a Conv that onnxruntime-web 1.30's WebGPU provider is
   * known to compute wrongly (`webgpu_hazards.ts`) runs on the CPU instead, with a notice
   * naming the nodes and the fix; `ignore` runs it on WebGPU anyway (the parity probe of
   * `submit` still compares it with the CPU).
   */
  webgpuHazards?: "refuse" | "ignore";
  /** Graph optimisation level; default `all`. */
  graphOptimization?: "all" | "basic" | "none";
  /**
   * onnxruntime's memory-pattern planning; default false. With the arena on (always, here)
   * and patterns on (onnxruntime's default), the arena keeps the first run's blocks and
   * adds one planned block from the second run on: measured on CPU, a 5-layer conv net at
   * 512x512 peaked at 71 MB on the first run and 143 MB from the second, against 71-78 MB
   * with patterns off, at the same speed. Off keeps the footprint near `estimateMemory`.
   */
  memoryPattern?: boolean;
  /**
   * Run once before the first timed run (default true): with zeros of the model's input
   * shapes when all input dims are fixed, else with the first real feeds (the first
   * {@link OnnxSession.run} then executes twice and returns the second result).
   */
  warmup?: boolean;
}

/** A tensor fed to or returned by {@link OnnxSession.run}: row-major data and its dims. */
export interface EngineTensor {
  /** Values, row-major (last dim fastest). */
  data: Float32Array;
  /** Dims outermost first. */
  dims: number[];
}

/** Timing of a session (milliseconds). */
export interface OnnxSessionStats {
  /** Timed runs so far (warm-up excluded). */
  runs: number;
  /** Sum of the timed runs. */
  totalMs: number;
  /** The latest timed run. */
  lastMs: number;
  /** File read + decode + session creation. */
  loadMs: number;
  /** The warm-up run, once done. */
  warmupMs?: number;
}

/**
 * Input element types {@link OnnxSession.run} converts its float32 feeds to (0: not declared
 * in the graph); a graph input of another type cannot be fed.
 */
export const FEEDABLE: ReadonlySet<number> = new Set<number>([
  0,
  DataType.FLOAT,
  DataType.DOUBLE,
  DataType.INT64,
  DataType.INT32,
  DataType.UINT8,
  DataType.BOOL,
]);

type OrtModule = typeof Ort;
/** What a session uses of an onnxruntime module: onnxruntime-common's API (node or web). */
type OrtApi = Pick<OrtModule, "Tensor" | "InferenceSession">;
let ortModule: Promise<OrtModule> | undefined;
let ortWebModule: Promise<OrtApi> | undefined;

/**
 * Runs `fn` and puts `globalThis.Worker` back as it was: onnxruntime-web's wasm start-up
 * (Emscripten's Node path) replaces it with Node's `worker_threads` Worker, which would break
 * every later `new Worker(url)` of the process (cmrxkit's reconstruction worker pool).
 */
export async function keepingWorker<T>(fn: () => Promise<T>): Promise<T> {
  const worker = globalThis.Worker;
  try {
    return await fn();
  } finally {
    if (globalThis.Worker !== worker) globalThis.Worker = worker;
  }
}

/** Loads onnxruntime-web's WebGPU build once (no `--allow-ffi`). */
async function loadOrtWeb(): Promise<OrtApi> {
  ortWebModule ??= import("onnxruntime-web/webgpu").then(
    (m) => {
      // errors only: its node-assignment warnings (shape ops on the CPU) are expected
      m.env.logLevel = "error";
      return m as unknown as OrtApi;
    },
    (e) => {
      ortWebModule = undefined;
      const msg = String((e as Error).message ?? e);
      throw new CmrxError(`cannot load onnxruntime-web: ${msg.split("\n")[0]}`, {
        hint: 'map "onnxruntime-web" to "npm:onnxruntime-web@1.30.0" in deno.json "imports" ' +
          "and run `deno install`",
        cause: e,
      });
    },
  );
  return await ortWebModule;
}

/** Loads onnxruntime-node once (needs `--allow-ffi`). */
async function loadOrt(): Promise<OrtModule> {
  ortModule ??= import("onnxruntime-node").catch((e) => {
    ortModule = undefined;
    const msg = String((e as Error).message ?? e);
    throw new CmrxError(`cannot load onnxruntime-node: ${msg.split("\n")[0]}`, {
      hint: /ffi|NotCapable/i.test(`${msg} ${(e as Error).name}`)
        ? "run with --allow-ffi (or -A)"
        : 'map "onnxruntime-node" to "npm:onnxruntime-node@1.30.0" in deno.json "imports" ' +
          "and run `deno install`",
      cause: e,
    });
  });
  return await ortModule;
}

function fmtDims(dims: readonly Dim[] | undefined): string {
  return dims ? `[${dims.map((d) => d ?? "?").join(", ")}]` : "[unknown]";
}

function describeInputs(inputs: DecodedValueInfo[]): string {
  return inputs.map((i) => `${i.name} ${fmtDims(i.dims)} ${elemTypeName(i.elemType)}`).join(
    ", ",
  );
}

/**
 * One loaded ONNX model on one execution provider. Runs are serialised (one at a time);
 * `stats` records their timing. Call {@link OnnxSession.release} when done.
 */
export class OnnxSession {
  /** The provider in use. */
  readonly provider: Provider;
  /** The GPU index (0 on CPU and WebGPU). */
  readonly deviceId: number;
  /**
   * One-line notice when a GPU was asked for (or `auto`) and CPU is used instead, or when
   * `auto` chose WebGPU (CUDA not usable): says which provider and why.
   */
  readonly notice?: string;
  /** The WebGPU adapter in use (provider `webgpu` only). */
  readonly adapter?: WebGpuAdapterInfo;
  /** Names of the graph inputs to feed (initializers excluded). */
  readonly inputNames: string[];
  /** Names of the graph outputs {@link OnnxSession.run} returns. */
  readonly outputNames: string[];
  /** Graph inputs (non-initializer) with their declared dims and types. */
  readonly inputs: DecodedValueInfo[];
  /** Graph outputs with their declared dims and types. */
  readonly outputs: DecodedValueInfo[];
  /** Load, warm-up and per-run timing. */
  readonly stats: OnnxSessionStats;
  /** The model file. */
  readonly file: string;

  private session?: Ort.InferenceSession;
  private ort: OrtApi;
  private queue: Promise<unknown> = Promise.resolve();
  private needsWarmup: boolean;

  private constructor(init: {
    file: string;
    session: Ort.InferenceSession;
    ort: OrtApi;
    provider: Provider;
    deviceId: number;
    notice?: string;
    adapter?: WebGpuAdapterInfo;
    inputs: DecodedValueInfo[];
    outputs: DecodedValueInfo[];
    loadMs: number;
    warmup: boolean;
  }) {
    this.file = init.file;
    this.session = init.session;
    this.ort = init.ort;
    this.provider = init.provider;
    this.deviceId = init.deviceId;
    if (init.notice) this.notice = init.notice;
    if (init.adapter) this.adapter = init.adapter;
    this.inputs = init.inputs;
    this.outputs = init.outputs;
    this.inputNames = init.inputs.map((i) => i.name);
    this.outputNames = init.outputs.map((o) => o.name);
    this.stats = { runs: 0, totalMs: 0, lastMs: 0, loadMs: init.loadMs };
    this.needsWarmup = init.warmup;
  }

  /**
   * Loads an ONNX model.
   * @param modelPath the `.onnx` file
   * @throws {CmrxError} naming the file when it is missing, unreadable or not ONNX, or when
   *   onnxruntime rejects it
   */
  static async load(modelPath: string, opts: OnnxSessionOptions = {}): Promise<OnnxSession> {
    const t0 = performance.now();
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(modelPath);
    } catch (e) {
      const missing = e instanceof Deno.errors.NotFound;
      throw new CmrxError(missing ? "model file not found" : `cannot read the model file`, {
        file: modelPath,
        hint: missing ? "check the path (or the manifest's `file` entry)" : (e as Error).message,
        cause: e,
      });
    }
    const model = decodeModel(bytes, modelPath);
    const initNames = new Set(model.graph.initializers.map((t) => t.name));
    const inputs = model.graph.inputs.filter((i) => !initNames.has(i.name));
    const outputs = model.graph.outputs;

    const device = opts.device ?? "auto";
    let provider: Provider = "cpu";
    let notice: string | undefined;
    let adapter: WebGpuAdapterInfo | undefined;
    const deviceId = deviceIdOf(device);
    if (device === "webgpu") {
      const gpu = await webgpuAdapter();
      if (gpu.available) {
        provider = "webgpu";
        adapter = gpu.info;
      } else notice = `--device webgpu asked for, but ${gpu.reason}; running on CPU`;
    } else if (device !== "cpu") {
      const cuda = cudaAvailable();
      if (cuda.available) provider = "cuda";
      else if (device === "auto") {
        const gpu = await webgpuAdapter();
        if (gpu.available && !gpu.software) {
          provider = "webgpu";
          adapter = gpu.info;
          notice = `auto: no usable CUDA (${cuda.reason}); running on the hardware WebGPU ` +
            `adapter "${gpu.label}"`;
        } else {
          notice = `no usable GPU: no usable CUDA (${cuda.reason}); ` + (gpu.available
            ? `the WebGPU adapter "${gpu.label}" is software (${gpu.softwareReason}), ` +
              `which auto does not use (--device webgpu does)`
            : `no WebGPU adapter (${gpu.reason})`) +
            "; running on CPU";
        }
      } else notice = `--device ${device} asked for, but ${cuda.reason}; running on CPU`;
    }
    // a graph onnxruntime-web's WebGPU provider is known to compute wrongly: the CPU instead
    if (provider === "webgpu" && opts.webgpuHazards !== "ignore") {
      const hazards = webgpuConvHazards(model);
      if (hazards.length) {
        provider = "cpu";
        adapter = undefined;
        const shown = hazards.slice(0, 3).map((h) => `${h.node} (${h.cin} -> ${h.cout})`);
        notice = `${device === "auto" ? "auto: " : ""}not running on WebGPU: ` +
          `${hazards.length} Conv node(s) of this graph hit a bug of onnxruntime-web 1.30's ` +
          `WebGPU provider (${WEBGPU_CONV_RULE}): ${shown.join(", ")}${
            hazards.length > 3 ? ", ..." : ""
          }; running on CPU (fix the graph: PYTHONPATH=train python3 -m ` +
          `cmrxtrain.webgpu_safe ${modelPath})`;
      }
    }
    const base: Ort.InferenceSession.SessionOptions = {
      graphOptimizationLevel: opts.graphOptimization === "none"
        ? "disabled"
        : opts.graphOptimization ?? "all",
      enableCpuMemArena: true,
      enableMemPattern: opts.memoryPattern ?? false,
    };
    if (opts.intraOpThreads) base.intraOpNumThreads = opts.intraOpThreads;
    if (opts.interOpThreads) {
      base.interOpNumThreads = opts.interOpThreads;
      if (opts.interOpThreads > 1) base.executionMode = "parallel";
    }
    // external weights are found relative to the file: let onnxruntime read the path then
    const source: string | Uint8Array = model.graph.initializers.some((t) => t.external)
      ? modelPath
      : bytes;
    let session: Ort.InferenceSession | undefined;
    let ort: OrtApi | undefined;
    if (provider === "webgpu") {
      try {
        const web = await loadOrtWeb();
        // onnxruntime-web reads no paths: always the bytes (external weights then fail -> CPU)
        session = await keepingWorker(() =>
          web.InferenceSession.create(bytes, {
            ...base,
            executionProviders: ["webgpu"],
            logSeverityLevel: 3,
          })
        );
        ort = web;
      } catch (e) {
        provider = "cpu";
        adapter = undefined;
        const msg = String((e as Error).message ?? e).split("\n")[0];
        notice = `${device === "auto" ? "auto: " : ""}the WebGPU provider failed to start ` +
          `(${msg}); running on CPU`;
      }
    }
    ort ??= await loadOrt();
    if (provider === "cuda") {
      try {
        session = await ort.InferenceSession.create(source as Uint8Array, {
          ...base,
          executionProviders: [
            cudaProviderOptions(deviceId, opts.vramLimitBytes ?? DEFAULT_VRAM_LIMIT),
            "cpu",
          ],
        });
      } catch (e) {
        provider = "cpu";
        const msg = String((e as Error).message ?? e).split("\n")[0];
        notice = `CUDA provider failed to start (${msg}); running on CPU`;
      }
    }
    if (!session) {
      try {
        session = await ort.InferenceSession.create(source as Uint8Array, {
          ...base,
          executionProviders: ["cpu"],
        });
      } catch (e) {
        throw new CmrxError(
          `onnxruntime cannot load the model: ${String((e as Error).message ?? e).split("\n")[0]}`,
          {
            file: modelPath,
            hint: "check that it is a valid ONNX model (opset <= 21) for onnxruntime 1.30",
            cause: e,
          },
        );
      }
    }
    const engine = new OnnxSession({
      file: modelPath,
      session,
      ort,
      provider,
      deviceId: provider === "cuda" ? deviceId : 0,
      notice,
      adapter,
      inputs,
      outputs,
      loadMs: 0,
      warmup: opts.warmup ?? true,
    });
    if (engine.needsWarmup && inputs.every((i) => i.dims?.every((d) => typeof d === "number"))) {
      engine.needsWarmup = false;
      const feeds: Record<string, Ort.Tensor> = {};
      for (const i of inputs) feeds[i.name] = engine.zeros(i);
      const w0 = performance.now();
      try {
        await session.run(feeds);
      } catch (e) {
        await engine.release();
        throw new CmrxError(
          `the warm-up run (zeros of the input shapes) failed: ${
            String((e as Error).message ?? e).split("\n")[0]
          }`,
          { file: modelPath, hint: "load with warmup: false to skip it", cause: e },
        );
      }
      engine.stats.warmupMs = performance.now() - w0;
    }
    engine.stats.loadMs = performance.now() - t0 - (engine.stats.warmupMs ?? 0);
    return engine;
  }

  /** A zero tensor of an input's (fixed) shape and type, for the warm-up. */
  private zeros(i: DecodedValueInfo): Ort.Tensor {
    const dims = i.dims as number[];
    return this.tensorOf(i.elemType, new Float32Array(dims.reduce((a, b) => a * b, 1)), dims);
  }

  /**
   * An onnxruntime tensor of the input's element type from float32 values (int64/int32
   * inputs such as a count of low frequencies are rounded; bool is `value != 0`).
   */
  private tensorOf(elemType: number, data: Float32Array, dims: number[]): Ort.Tensor {
    const T = this.ort.Tensor;
    switch (elemType) {
      case DataType.INT64:
        return new T("int64", BigInt64Array.from(data, (v) => BigInt(Math.round(v))), dims);
      case DataType.INT32:
        return new T("int32", Int32Array.from(data, Math.round), dims);
      case DataType.UINT8:
        return new T("uint8", Uint8Array.from(data, Math.round), dims);
      case DataType.BOOL:
        return new T("bool", Uint8Array.from(data, (v) => (v !== 0 ? 1 : 0)), dims);
      case DataType.DOUBLE:
        return new T("float64", Float64Array.from(data), dims);
      default:
        return new T("float32", data, dims);
    }
  }

  /** Checks names, ranks, fixed dims, symbolic-dim consistency and data lengths. */
  private checkFeeds(feeds: Record<string, EngineTensor>): void {
    const expect = () => `the model expects ${describeInputs(this.inputs)}`;
    const given = Object.keys(feeds);
    const missing = this.inputNames.filter((n) => !(n in feeds));
    const extra = given.filter((n) => !this.inputNames.includes(n));
    if (missing.length || extra.length) {
      throw new ShapeError(
        `inputs ${missing.length ? `missing: ${missing.join(", ")}` : ""}${
          missing.length && extra.length ? "; " : ""
        }${extra.length ? `unknown: ${extra.join(", ")}` : ""}; ${expect()}`,
        { file: this.file },
      );
    }
    const sym = new Map<string, [number, string]>();
    for (const spec of this.inputs) {
      const f = feeds[spec.name];
      const dims = f.dims;
      const n = dims.reduce((a, b) => a * b, 1);
      if (!(f.data instanceof Float32Array)) {
        throw new ShapeError(`input ${spec.name}: data must be a Float32Array; ${expect()}`, {
          file: this.file,
        });
      }
      if (spec.elemType && !FEEDABLE.has(spec.elemType)) {
        throw new ShapeError(
          `input ${spec.name} is ${elemTypeName(spec.elemType)}, which OnnxSession.run cannot feed`,
          { file: this.file, hint: "export the model with float32 (or int64/int32/bool) inputs" },
        );
      }
      if (f.data.length !== n) {
        throw new ShapeError(
          `input ${spec.name}: ${f.data.length} values do not fill dims ${fmtDims(dims)} (${n})`,
          { file: this.file },
        );
      }
      if (!spec.dims) continue;
      let bad = dims.length !== spec.dims.length;
      for (let k = 0; !bad && k < dims.length; k++) {
        const want = spec.dims[k];
        if (typeof want === "number") bad = want !== dims[k];
        else if (typeof want === "string") {
          const seen = sym.get(want);
          if (seen && seen[0] !== dims[k]) {
            throw new ShapeError(
              `input ${spec.name} has ${want} = ${dims[k]} but ${seen[1]} has ${want} = ${
                seen[0]
              }; ${expect()}`,
              { file: this.file },
            );
          }
          sym.set(want, [dims[k], spec.name]);
        }
      }
      if (bad) {
        throw new ShapeError(
          `input ${spec.name} has dims ${fmtDims(dims)}; ${expect()}`,
          { file: this.file },
        );
      }
    }
  }

  /**
   * Runs the model.
   * @param feeds one entry per graph input: row-major float32 data and dims (converted to
   *   the input's type when the graph wants int64/int32/uint8/bool/float64)
   * @returns one entry per graph output, converted to Float32Array
   * @throws {ShapeError} when a feed is missing, unknown, or has the wrong dims (the
   *   message lists what the model expects)
   * @throws {CmrxError} when the engine was released or onnxruntime fails
   */
  run(feeds: Record<string, EngineTensor>): Promise<Record<string, EngineTensor>> {
    const job = this.queue.then(() => this.runNow(feeds));
    this.queue = job.catch(() => {});
    return job;
  }

  /** One run, after the previous ones finished. */
  private async runNow(feeds: Record<string, EngineTensor>): Promise<Record<string, EngineTensor>> {
    const session = this.session;
    if (!session) {
      throw new CmrxError("the engine was released", { file: this.file });
    }
    this.checkFeeds(feeds);
    const ortFeeds: Record<string, Ort.Tensor> = {};
    for (const spec of this.inputs) {
      const v = feeds[spec.name];
      ortFeeds[spec.name] = this.tensorOf(spec.elemType, v.data, v.dims);
    }
    const exec = async () => {
      try {
        return await keepingWorker(() => session.run(ortFeeds));
      } catch (e) {
        throw new CmrxError(
          `onnxruntime failed: ${String((e as Error).message ?? e).split("\n")[0]}`,
          {
            file: this.file,
            hint: /alloc|memory/i.test(String(e))
              ? "out of memory: run fewer slices at once (see planBatch) or use the CPU"
              : undefined,
            cause: e,
          },
        );
      }
    };
    if (this.needsWarmup) {
      this.needsWarmup = false;
      const w0 = performance.now();
      await exec();
      this.stats.warmupMs = performance.now() - w0;
    }
    const t0 = performance.now();
    const out = await exec();
    const ms = performance.now() - t0;
    this.stats.runs++;
    this.stats.lastMs = ms;
    this.stats.totalMs += ms;
    const result: Record<string, EngineTensor> = {};
    for (const name of this.outputNames) {
      const t = out[name];
      const dims = [...t.dims];
      const d = t.data;
      result[name] = {
        data: d instanceof Float32Array
          ? d
          : t.type === "float16" && d instanceof Uint16Array
          ? Float32Array.from(d, halfToFloat)
          : Float32Array.from(d as ArrayLike<number>, Number),
        dims,
      };
    }
    return result;
  }

  /** Frees the native session (idempotent). Later runs throw. */
  async release(): Promise<void> {
    const s = this.session;
    this.session = undefined;
    if (s) {
      await this.queue;
      await s.release();
    }
  }
}
