/**
 * onnxruntime sessions for cmrxkit: execution provider choice (CUDA when it is usable,
 * CPU otherwise, never a crash), threads, graph optimisation, a warm-up run, per-run
 * timing and input checking against the graph.
 *
 * onnxruntime-node is imported lazily (on the first {@link Engine.load}), so the rest of
 * this module (`parseDevice`, `parseBytes`, `cudaAvailable`, `peakRssBytes`) needs no
 * `--allow-ffi`. Loading a model needs `--allow-ffi --allow-read`; `cudaAvailable` reads
 * the file system and may run `nvidia-smi` (`--allow-run`) and is quiet without them.
 *
 * CUDA in onnxruntime-node 1.30: the npm tarball has no CUDA provider; it is downloaded at
 * install time (`ONNXRUNTIME_NODE_INSTALL=cuda12 deno install
 * --allow-scripts=npm:onnxruntime-node`, see docs/tooling notes). Asking for the CUDA
 * provider when its library is absent makes session creation throw, so cmrxkit checks
 * first and retries on CPU when creation still fails.
 *
 * @module
 */

import type * as Ort from "onnxruntime-node";
import { CmrxError, ShapeError, UsageError } from "../errors.ts";
import {
  DataType,
  type DecodedValueInfo,
  decodeModel,
  type Dim,
  elemTypeName,
  halfToFloat,
} from "./onnx.ts";

/** Where to run: `auto` (CUDA when usable, else CPU), `cpu`, `cuda` (= `cuda:0`), `cuda:N`. */
export type Device = "auto" | "cpu" | "cuda" | `cuda:${number}`;

/** Options of {@link Engine.load}. */
export interface EngineOptions {
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
   * {@link Engine.run} then executes twice and returns the second result).
   */
  warmup?: boolean;
}

/** A tensor fed to or returned by {@link Engine.run}: row-major data and its dims. */
export interface EngineTensor {
  /** Values, row-major (last dim fastest). */
  data: Float32Array;
  /** Dims outermost first. */
  dims: number[];
}

/** Timing of an engine (milliseconds). */
export interface EngineStats {
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

/** Input element types {@link Engine.run} converts its float32 feeds to. */
const FEEDABLE = new Set<number>([
  0,
  DataType.FLOAT,
  DataType.DOUBLE,
  DataType.INT64,
  DataType.INT32,
  DataType.UINT8,
  DataType.BOOL,
]);

/** Default GPU memory limit: 24 GiB, the CMRxRecon limit. */
export const DEFAULT_VRAM_LIMIT = 24 * 1024 ** 3;

/**
 * CUDA provider options cmrxkit asks for (documented in one place):
 * - `device_id`: the `N` of `cuda:N`;
 * - `gpu_mem_limit`: {@link EngineOptions.vramLimitBytes} (default 24 GiB);
 * - `arena_extend_strategy: "kSameAsRequested"`: grow the arena by what is asked for
 *   instead of doubling, so the footprint stays near the real peak;
 * - `cudnn_conv_algo_search: "HEURISTIC"`: pick convolution algorithms by cuDNN's
 *   heuristics instead of benchmarking every one (`EXHAUSTIVE`), which would allocate
 *   large trial workspaces and make the first run slow;
 * - `do_copy_in_default_stream: true`.
 *
 * onnxruntime-node 1.30 reads only `deviceId` from the provider object; the rest is kept
 * here so a binding that forwards provider options gets them unchanged.
 */
export function cudaProviderOptions(
  deviceId: number,
  vramLimitBytes: number,
): {
  name: "cuda";
  deviceId: number;
  device_id: number;
  gpu_mem_limit: number;
  arena_extend_strategy: string;
  cudnn_conv_algo_search: string;
  do_copy_in_default_stream: boolean;
} {
  return {
    name: "cuda" as const,
    deviceId,
    device_id: deviceId,
    gpu_mem_limit: vramLimitBytes,
    arena_extend_strategy: "kSameAsRequested",
    cudnn_conv_algo_search: "HEURISTIC",
    do_copy_in_default_stream: true,
  };
}

/**
 * Parses a `--device` value.
 * @param s `auto`, `cpu`, `gpu`/`cuda` (device 0) or `cuda:N`
 * @throws {UsageError} for anything else
 */
export function parseDevice(s: string): Device {
  const v = s.trim().toLowerCase();
  if (v === "auto" || v === "cpu") return v;
  if (v === "cuda" || v === "gpu") return "cuda";
  const m = /^(?:cuda|gpu):(\d+)$/.exec(v);
  if (m) return `cuda:${Number(m[1])}`;
  throw new UsageError(`unknown device "${s}"`, {
    hint: "use --device auto, cpu, cuda or cuda:N (N = GPU index)",
  });
}

const BYTE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/**
 * Parses a byte count: `24GiB`, `500MB`, `1.5G`, `1048576`. SI units (k, M, G, T, with or
 * without B) are powers of 1000; binary units (KiB, MiB, GiB, TiB) powers of 1024.
 * @throws {UsageError} for an unparsable or negative value
 */
export function parseBytes(s: string): number {
  const m = /^\s*(\d+(?:\.\d*)?|\.\d+)(?:e(\d+))?\s*([a-z]*)\s*$/i.exec(s);
  const unit = m ? BYTE_UNITS[m[3].toLowerCase()] : undefined;
  if (!m || unit === undefined) {
    throw new UsageError(`cannot read "${s}" as a byte count`, {
      hint: "write e.g. 24GiB, 500MB, 1.5G or a number of bytes",
    });
  }
  return Math.round(Number(m[1]) * 10 ** Number(m[2] ?? 0) * unit);
}

function procStatusKiB(field: string): number | undefined {
  try {
    const s = Deno.readTextFileSync("/proc/self/status");
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s*kB`, "m").exec(s);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Peak resident set size of this process in bytes: `VmHWM` from `/proc/self/status` on
 * Linux, else the current RSS (`Deno.memoryUsage().rss`).
 */
export function peakRssBytes(): number {
  return procStatusKiB("VmHWM") ?? Deno.memoryUsage().rss;
}

/** Current resident set size in bytes (`VmRSS` on Linux, else `Deno.memoryUsage().rss`). */
export function rssBytes(): number {
  return procStatusKiB("VmRSS") ?? Deno.memoryUsage().rss;
}

/**
 * Resets the peak RSS to the current RSS (writes `5` to `/proc/self/clear_refs`, Linux).
 * @returns false when that is not possible (not Linux, no write permission)
 */
export function resetPeakRss(): boolean {
  try {
    Deno.writeTextFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}

/** The folder of onnxruntime-node's native binding (where provider libraries must sit). */
export function ortBinaryDir(): string | undefined {
  const arch = Deno.build.arch === "x86_64" ? "x64" : "arm64";
  const platform = Deno.build.os === "windows" ? "win32" : Deno.build.os;
  let url: string;
  try {
    url = import.meta.resolve("onnxruntime-node");
  } catch {
    return undefined;
  }
  if (!url.startsWith("file:")) return undefined;
  // .../onnxruntime-node/dist/index.js -> .../onnxruntime-node/bin/napi-v6/<os>/<arch>
  const pkg = new URL("../", url);
  return decodeURIComponent(new URL(`bin/napi-v6/${platform}/${arch}`, pkg).pathname);
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether onnxruntime's CUDA provider can run here: the provider libraries
 * (`libonnxruntime_providers_cuda.so`, `libonnxruntime_providers_shared.so`) beside the
 * binding, and an NVIDIA GPU visible (`/dev/nvidia0`, else `nvidia-smi -L` lists one;
 * `CUDA_VISIBLE_DEVICES` empty or `-1` hides all).
 * @returns `{ available: true }`, or `{ available: false, reason }` with a one-line reason
 */
export function cudaAvailable(): { available: boolean; reason?: string } {
  if (Deno.build.os !== "linux") {
    return { available: false, reason: `onnxruntime-node has CUDA on Linux only` };
  }
  const dir = ortBinaryDir();
  if (!dir) return { available: false, reason: "onnxruntime-node is not installed locally" };
  const missing = ["libonnxruntime_providers_cuda.so", "libonnxruntime_providers_shared.so"]
    .filter((f) => !exists(`${dir}/${f}`));
  if (missing.length) {
    return {
      available: false,
      reason: `the CUDA provider of onnxruntime is not installed (no ${missing[0]} in ${dir}; ` +
        `install it with ONNXRUNTIME_NODE_INSTALL=cuda12 deno install ` +
        `--allow-scripts=npm:onnxruntime-node)`,
    };
  }
  let visible: string | undefined;
  try {
    visible = Deno.env.get("CUDA_VISIBLE_DEVICES");
  } catch { /* no env permission */ }
  if (visible !== undefined && (visible.trim() === "" || visible.trim() === "-1")) {
    return { available: false, reason: `CUDA_VISIBLE_DEVICES="${visible}" hides every GPU` };
  }
  if (exists("/dev/nvidia0")) return { available: true };
  try {
    const out = new Deno.Command("nvidia-smi", { args: ["-L"], stdout: "piped", stderr: "null" })
      .outputSync();
    if (out.success && /GPU \d+:/.test(new TextDecoder().decode(out.stdout))) {
      return { available: true };
    }
  } catch { /* not installed or no run permission */ }
  return { available: false, reason: "no NVIDIA GPU is visible (no /dev/nvidia0, nvidia-smi)" };
}

type OrtModule = typeof Ort;
let ortModule: Promise<OrtModule> | undefined;

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

function deviceIdOf(device: Device): number {
  return device.startsWith("cuda:") ? Number(device.slice(5)) : 0;
}

/**
 * One loaded ONNX model on one execution provider. Runs are serialised (one at a time);
 * `stats` records their timing. Call {@link Engine.release} when done.
 */
export class Engine {
  /** The provider in use. */
  readonly provider: "cuda" | "cpu";
  /** The GPU index (0 on CPU). */
  readonly deviceId: number;
  /** One-line notice when CUDA was asked for (or `auto`) and CPU is used instead. */
  readonly notice?: string;
  /** Names of the graph inputs to feed (initializers excluded). */
  readonly inputNames: string[];
  /** Names of the graph outputs {@link Engine.run} returns. */
  readonly outputNames: string[];
  /** Graph inputs (non-initializer) with their declared dims and types. */
  readonly inputs: DecodedValueInfo[];
  /** Graph outputs with their declared dims and types. */
  readonly outputs: DecodedValueInfo[];
  /** Load, warm-up and per-run timing. */
  readonly stats: EngineStats;
  /** The model file. */
  readonly file: string;

  private session?: Ort.InferenceSession;
  private ort: OrtModule;
  private queue: Promise<unknown> = Promise.resolve();
  private needsWarmup: boolean;

  private constructor(init: {
    file: string;
    session: Ort.InferenceSession;
    ort: OrtModule;
    provider: "cuda" | "cpu";
    deviceId: number;
    notice?: string;
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
  static async load(modelPath: string, opts: EngineOptions = {}): Promise<Engine> {
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

    const ort = await loadOrt();
    const device = opts.device ?? "auto";
    let provider: "cuda" | "cpu" = "cpu";
    let notice: string | undefined;
    const deviceId = deviceIdOf(device);
    if (device !== "cpu") {
      const cuda = cudaAvailable();
      if (cuda.available) provider = "cuda";
      else {
        notice = device === "auto"
          ? `no usable GPU: ${cuda.reason}; running on CPU`
          : `--device ${device} asked for, but ${cuda.reason}; running on CPU`;
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
    const engine = new Engine({
      file: modelPath,
      session,
      ort,
      provider,
      deviceId: provider === "cuda" ? deviceId : 0,
      notice,
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
          `input ${spec.name} is ${elemTypeName(spec.elemType)}, which Engine.run cannot feed`,
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
        return await session.run(ortFeeds);
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
