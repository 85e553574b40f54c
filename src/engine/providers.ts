/**
 * Execution providers for onnxruntime: the `--device` choice ({@link Device},
 * {@link parseDevice}), whether the CUDA provider can run here ({@link cudaAvailable},
 * which checks the provider libraries beside onnxruntime-node's binding and a visible
 * NVIDIA GPU), the CUDA provider options cmrxkit asks for, and whether a WebGPU adapter is
 * present and is hardware ({@link webgpuAdapter}, {@link softwareAdapterReason}). No
 * onnxruntime import: nothing here needs `--allow-ffi`; `cudaAvailable` reads the file
 * system and may run `nvidia-smi` (`--allow-run`) and is quiet without those permissions;
 * `webgpuAdapter` asks `navigator.gpu`, which needs no permission.
 *
 * CUDA in onnxruntime-node 1.30: the npm tarball has no CUDA provider; it is downloaded at
 * install time (`ONNXRUNTIME_NODE_INSTALL=cuda12 deno install
 * --allow-scripts=npm:onnxruntime-node`, see docs/tooling notes).
 *
 * @module
 */

import { UsageError } from "../errors.ts";

/**
 * Where to run: `auto` (CUDA when usable, else a hardware WebGPU adapter, else CPU), `cpu`,
 * `webgpu` (onnxruntime-web's WebGPU provider), `cuda` (= `cuda:0`), `cuda:N`.
 */
export type Device = "auto" | "cpu" | "webgpu" | "cuda" | `cuda:${number}`;

/** Default GPU memory limit: 24 GiB, the CMRxRecon limit. */
export const DEFAULT_VRAM_LIMIT = 24 * 1024 ** 3;

/**
 * CUDA provider options cmrxkit asks for (documented in one place):
 * - `device_id`: the `N` of `cuda:N`;
 * - `gpu_mem_limit`: `OnnxSessionOptions.vramLimitBytes` (session.ts) (default 24 GiB);
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
 * @param s `auto`, `cpu`, `webgpu`, `gpu`/`cuda` (device 0) or `cuda:N`
 * @throws {UsageError} for anything else
 */
export function parseDevice(s: string): Device {
  const v = s.trim().toLowerCase();
  if (v === "auto" || v === "cpu" || v === "webgpu") return v;
  if (v === "cuda" || v === "gpu") return "cuda";
  const m = /^(?:cuda|gpu):(\d+)$/.exec(v);
  if (m) return `cuda:${Number(m[1])}`;
  throw new UsageError(`unknown device "${s}"`, {
    hint: "use --device auto, cpu, webgpu, cuda or cuda:N (N = GPU index)",
  });
}

/** The GPU index of a device (`N` of `cuda:N`, else 0). */
export function deviceIdOf(device: Device): number {
  return device.startsWith("cuda:") ? Number(device.slice(5)) : 0;
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

/** What a WebGPU adapter says about itself (`GPUAdapter.info`). */
export interface WebGpuAdapterInfo {
  /** Vendor: a name, or in Deno 2.9 the PCI vendor id in decimal (`"4318"`: NVIDIA). */
  vendor: string;
  /** Architecture (empty in Deno 2.9 on lavapipe). */
  architecture: string;
  /** Device: a name, or in Deno 2.9 the PCI device id in decimal. */
  device: string;
  /** Driver's description, e.g. `llvmpipe (LLVM 15.0.6, 256 bits)` for Mesa's lavapipe. */
  description: string;
  /** The adapter is a fallback (software / CPU) adapter, where the runtime says so. */
  isFallbackAdapter?: boolean;
}

/** The answer of {@link webgpuAdapter}. */
export interface WebGpuAdapterCheck {
  /** A WebGPU adapter was returned. */
  available: boolean;
  /** Why there is none (when `available` is false). */
  reason?: string;
  /** The adapter's info (when available). */
  info?: WebGpuAdapterInfo;
  /** The adapter runs on the CPU (llvmpipe, lavapipe, SwiftShader, a fallback adapter). */
  software: boolean;
  /** Why it counts as software (when `software`). */
  softwareReason?: string;
  /** A short name of the adapter for messages (its description, else vendor/device). */
  label?: string;
}

/** Names of software (CPU) GPU drivers, matched in the adapter's description/device/architecture. */
const SOFTWARE_NAMES =
  /llvmpipe|lavapipe|softpipe|swiftshader|swrast|microsoft basic render|\bsoftware\b|\bcpu\b/i;
/** Vendor ids of software Vulkan drivers: Mesa (0x10005, lavapipe). */
const SOFTWARE_VENDORS = new Set(["65541", "0x10005", "mesa"]);

/**
 * Why a WebGPU adapter runs on the CPU, or undefined for a hardware adapter. Software when:
 * the runtime marks it as a fallback adapter (`isFallbackAdapter`: wgpu, Deno's WebGPU, sets
 * it for CPU-type devices), or its description, device or architecture names a software
 * driver (llvmpipe, lavapipe, softpipe, SwiftShader, swrast, Microsoft Basic Render Driver,
 * "software", "CPU"), or its vendor is Mesa's software vendor id (0x10005 = 65541).
 * Measured with Deno 2.9.6 on Mesa's lavapipe: vendor `"65541"`, architecture `""`, device
 * `"0"`, description `"llvmpipe (LLVM 15.0.6, 256 bits)"`, `isFallbackAdapter: true`.
 */
export function softwareAdapterReason(info: WebGpuAdapterInfo): string | undefined {
  if (info.isFallbackAdapter === true) return "a fallback (CPU) adapter";
  for (const v of [info.description, info.device, info.architecture]) {
    const m = SOFTWARE_NAMES.exec(v ?? "");
    if (m) return `a software driver (${m[0]})`;
  }
  if (SOFTWARE_VENDORS.has((info.vendor ?? "").trim().toLowerCase())) {
    return `a software vendor id (${info.vendor}: Mesa)`;
  }
  return undefined;
}

/** A short name of an adapter for messages. */
export function adapterLabel(info: WebGpuAdapterInfo): string {
  if (info.description) return info.description;
  const parts = [
    info.vendor && `vendor ${info.vendor}`,
    info.architecture,
    info.device && `device ${info.device}`,
  ]
    .filter(Boolean);
  return parts.length ? parts.join(" ") : "unnamed adapter";
}

let adapterCheck: Promise<WebGpuAdapterCheck> | undefined;

/**
 * Asks `navigator.gpu` for an adapter and says whether there is one, what it is, and whether
 * it is software ({@link softwareAdapterReason}). Asked once per process (the answer is
 * kept). Never throws; needs no permission.
 * Deno prints `XDG_RUNTIME_DIR is invalid or not set` on stderr while Vulkan starts when
 * that variable is unset (Mesa's drivers); set it to a writable folder to silence it.
 */
export function webgpuAdapter(): Promise<WebGpuAdapterCheck> {
  adapterCheck ??= askAdapter();
  return adapterCheck;
}

async function askAdapter(): Promise<WebGpuAdapterCheck> {
  const gpu = (globalThis.navigator as { gpu?: GPU } | undefined)?.gpu;
  if (!gpu) {
    return {
      available: false,
      software: false,
      reason: "this runtime has no WebGPU (navigator.gpu)",
    };
  }
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (e) {
    return {
      available: false,
      software: false,
      reason: `navigator.gpu.requestAdapter() failed: ${
        String((e as Error).message ?? e).split("\n")[0]
      }`,
    };
  }
  if (!adapter) {
    return {
      available: false,
      software: false,
      reason: "navigator.gpu gives no adapter (no GPU driver for WebGPU: Vulkan, Metal or D3D12)",
    };
  }
  const raw = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const fallback = raw.isFallbackAdapter ??
    (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter;
  const info: WebGpuAdapterInfo = {
    vendor: raw.vendor ?? "",
    architecture: raw.architecture ?? "",
    device: raw.device ?? "",
    description: raw.description ?? "",
  };
  if (typeof fallback === "boolean") info.isFallbackAdapter = fallback;
  const why = softwareAdapterReason(info);
  const out: WebGpuAdapterCheck = {
    available: true,
    info,
    software: !!why,
    label: adapterLabel(info),
  };
  if (why) out.softwareReason = why;
  return out;
}
