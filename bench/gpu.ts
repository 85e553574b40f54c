/**
 * `deno task bench gpu`: the prepared device run (issue 20). On a machine with an NVIDIA GPU
 * (run through `bash bench/gpu.sh`, which unpacks Deno, node_modules and the Vulkan loader):
 *
 * 1. the WebGPU adapter Deno finds (through the NVIDIA Vulkan driver); a software adapter
 *    (llvmpipe / lavapipe) gives no GPU figures, except in `--dry-run`;
 * 2. PyTorch on CUDA (`bench/gpu_torch.py`): every train/ model at the papers' widths, one
 *    full-size slice, median seconds, `torch.cuda.max_memory_allocated`, parameters, beside
 *    the papers' own per-slice times (Quadro RTX 6000);
 * 3. every shipped model: the parity probe (`probeProvider`, WebGPU vs the CPU) and the
 *    per-slice time at full real size (cine SAX 512 x 246, 10 coils, 12 frames; mapping
 *    448 x 162, 10 coils, 9 / 3 weightings) on WebGPU against onnxruntime-node on the CPU,
 *    warm-up excluded; peak GPU memory (nvidia-smi) beside the static estimate.
 *
 * Prints one table per part and writes `gpu.json` and `gpu.md` to `--out` (default `$OUT`
 * when set, else `out/gpu/`). Stops starting new work after `--budget` seconds.
 *
 * Usage: deno task bench gpu [--dry-run] [--cine 512x246] [--mapping 448x162] [--coils 10]
 *          [--reps 2] [--budget 390] [--probe-size 32x24x4] [--models a,b] [--out DIR]
 *          [--python python3] [--torch-device cuda] [--torch-models crnn,...] [--no-torch]
 *
 * `--dry-run`: tiny sizes (16 x 16, 2 coils, 1 rep), any adapter (lavapipe), PyTorch on the
 * CPU with two models; checks the whole run without a GPU. Its figures are not GPU figures.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { GpuMemorySampler } from "../src/engine/gpu_memory.ts";
import { DEFAULT_VRAM_LIMIT, webgpuAdapter } from "../src/engine/providers.ts";
import { errorMessage } from "../src/errors.ts";
import { OnnxReconstructor } from "../src/models/onnx_model.ts";
import { listModels, SHIPPED_MODELS } from "../src/models/registry.ts";
import { probeInput, type SizeClass, sizeText } from "../src/pipeline/preflight.ts";
import {
  probeProvider,
  type ProviderProbe,
  smallProbeClass,
} from "../src/pipeline/provider_probe.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    "dry-run": { type: "boolean", default: false },
    cine: { type: "string" },
    mapping: { type: "string" },
    coils: { type: "string" },
    reps: { type: "string" },
    "cpu-reps": { type: "string" },
    "webgpu-time": { type: "string" },
    budget: { type: "string" },
    "probe-size": { type: "string" },
    models: { type: "string" },
    out: { type: "string" },
    python: { type: "string" },
    "torch-device": { type: "string" },
    "torch-models": { type: "string" },
    "no-torch": { type: "boolean", default: false },
    "vram-limit-gib": { type: "string" },
  },
});
const dry = values["dry-run"]!;
const t0 = performance.now();
const elapsed = () => (performance.now() - t0) / 1000;
const budget = Number(values.budget ?? (dry ? 240 : 390));
const reps = Number(values.reps ?? (dry ? 1 : 3));
const cpuReps = Number(values["cpu-reps"] ?? 1);
/** `timed`: warm-up + reps on WebGPU; `probe`: the probe's run is the time (dry-run default). */
const webgpuTime = values["webgpu-time"] ?? (dry ? "probe" : "timed");
if (webgpuTime !== "timed" && webgpuTime !== "probe") {
  throw new Error(`--webgpu-time ${webgpuTime}: expected timed or probe`);
}
const coils = Number(values.coils ?? (dry ? 2 : 10));
const xy = (t: string) => {
  const m = /^(\d+)x(\d+)(?:x(\d+))?$/i.exec(t);
  if (!m) throw new Error(`expected NXxNY[xC], got ${t}`);
  return { nx: Number(m[1]), ny: Number(m[2]), ...(m[3] ? { nc: Number(m[3]) } : {}) };
};
const cine = xy(values.cine ?? (dry ? "16x16" : "512x246"));
const mapping = xy(values.mapping ?? (dry ? "16x16" : "448x162"));
const small = values["probe-size"] ? xy(values["probe-size"]) : dry ? xy("16x16x2") : undefined;
const vramLimit = values["vram-limit-gib"]
  ? Number(values["vram-limit-gib"]) * 1024 ** 3
  : DEFAULT_VRAM_LIMIT;
const outDir = values.out ?? Deno.env.get("OUT") ?? "out/gpu";
const python = values.python ?? Deno.env.get("CMRX_PYTHON") ??
  (dry ? "/usr/bin/python3" : "python3");
const torchDevice = values["torch-device"] ?? (dry ? "cpu" : "cuda");
const torchModels = values["torch-models"] ?? (dry ? "crnn,crunet" : "");

/** The papers' own per-slice times (CMRxRecon2023 test set, all frames of a slice). */
const PAPER: Record<string, { sax: number; lax: number }> = {
  crnn: { sax: 1.03, lax: 0.74 },
  crunet: { sax: 2.0, lax: 1.45 },
  unet3d: { sax: 0.44, lax: 0.07 },
};
const PAPER_SOURCE =
  "Lyu et al., Convolutional recurrent U-net for cardiac cine MRI reconstruction, " +
  "Table 2, per-slice inference time on an " +
  "NVIDIA Quadro RTX 6000 (24 GB), PyTorch 1.11";

const gib = (b: number | null | undefined) => b == null ? "-" : `${(b / 1024 ** 3).toFixed(2)}`;
const sec = (s: number | null | undefined) => s == null ? "-" : s.toFixed(3);
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor((a.length - 1) / 2)];

/** Total used GPU memory (all processes), nvidia-smi memory.used, bytes; null without it. */
async function gpuUsedBytes(): Promise<number | null> {
  try {
    const o = await new Deno.Command("nvidia-smi", {
      args: ["--query-gpu=memory.used", "--format=csv,noheader,nounits"],
      stdout: "piped",
      stderr: "null",
    }).output();
    if (!o.success) return null;
    const v = Number(new TextDecoder().decode(o.stdout).trim().split("\n")[0]);
    return Number.isFinite(v) ? v * 1024 * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * Peak GPU memory of a piece of work: the process tree's (GpuMemorySampler, nvidia-smi by
 * pid; may list nothing in a container whose pids the driver does not see) and the device's
 * memory.used above its value before the work (valid when nothing else uses the GPU).
 */
async function sampled<T>(fn: () => Promise<T>): Promise<{
  value: T;
  pidPeak: number | null;
  pidNote: string;
  devicePeakAbove: number | null;
}> {
  const base = await gpuUsedBytes();
  const s = new GpuMemorySampler(Deno.pid, 250);
  await s.start();
  let peakUsed: number | null = null;
  let stop = false;
  const poll = (async () => {
    while (!stop && base !== null) {
      const u = await gpuUsedBytes();
      if (u !== null && (peakUsed === null || u > peakUsed)) peakUsed = u;
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  try {
    const value = await fn();
    return {
      value,
      pidPeak: s.peak,
      pidNote: s.text(),
      devicePeakAbove: base !== null && peakUsed !== null ? Math.max(0, peakUsed - base) : null,
    };
  } finally {
    stop = true;
    s.stop();
    await poll;
  }
}

interface Timed {
  /** The warm-up slice (null when the time is the probe's run, warm-up included). */
  warmupSeconds: number | null;
  /** Median seconds per slice of the timed runs. */
  seconds: number;
  reps: number;
  /** The time is the parity probe's one run (`--webgpu-time probe`), warm-up included. */
  fromProbe?: boolean;
}
async function timeSlices(model: OnnxReconstructor, size: SizeClass, reps: number): Promise<Timed> {
  const input = probeInput(size);
  let w = performance.now();
  await model.reconstruct(input); // warm-up: session start, shader compilation, arena
  const warmupSeconds = (performance.now() - w) / 1000;
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    w = performance.now();
    await model.reconstruct(input);
    times.push((performance.now() - w) / 1000);
  }
  return { warmupSeconds, seconds: median(times), reps };
}

// ---- 1. the adapter
const adapter = await webgpuAdapter();
const gpuFigures = adapter.available && (!adapter.software || dry);
console.log(
  `WebGPU adapter: ${
    adapter.available
      ? `${adapter.label} (vendor ${adapter.info?.vendor}, device ${adapter.info?.device}${
        adapter.software ? `; SOFTWARE: ${adapter.softwareReason}` : "; hardware"
      })`
      : `none (${adapter.reason})`
  }`,
);
if (adapter.software && !dry) {
  console.log("  a software adapter: no WebGPU figures are reported (use --dry-run to check)");
}
console.log(
  `sizes: cine ${cine.nx}x${cine.ny}, mapping ${mapping.nx}x${mapping.ny}, ${coils} coils; ` +
    `${reps} WebGPU / ${cpuReps} CPU timed run(s) after a warm-up; budget ${budget} s${
      dry ? "; DRY RUN" : ""
    }`,
);

// ---- 2. PyTorch (train/ models at the papers' widths)
interface TorchRow {
  name: string;
  frames: number;
  nx: number;
  ny: number;
  coils: number;
  parameters?: number;
  seconds?: number;
  reps?: number;
  max_memory_allocated?: number;
  error?: string;
  skipped?: string;
}
let torch: {
  device: string;
  torch?: string;
  gpu?: string | null;
  rows: TorchRow[];
  error?: string;
} = { device: torchDevice, rows: [] };
if (!values["no-torch"]) {
  const torchBudget = Math.max(30, Math.min(150, budget * 0.4));
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), (torchBudget + 60) * 1000);
  try {
    const out = await new Deno.Command(python, {
      args: [
        new URL("./gpu_torch.py", import.meta.url).pathname,
        "--device",
        torchDevice,
        "--cine",
        `${cine.nx}x${cine.ny}`,
        "--mapping",
        `${mapping.nx}x${mapping.ny}`,
        "--coils",
        String(coils),
        "--reps",
        String(Math.max(reps, dry ? 1 : 3)),
        "--budget",
        String(torchBudget),
        ...(torchModels ? ["--models", torchModels] : []),
      ],
      env: { PYTHONDONTWRITEBYTECODE: "1", PYTHONUNBUFFERED: "1" },
      stdout: "piped",
      stderr: "inherit",
      signal: ac.signal,
    }).output();
    const last = new TextDecoder().decode(out.stdout).trim().split("\n").pop() ?? "";
    try {
      torch = { rows: [], ...JSON.parse(last) };
    } catch {
      torch.error = `${python} bench/gpu_torch.py exited with ${out.code}: ${last.slice(0, 300)}`;
    }
  } catch (e) {
    torch.error = `${python} bench/gpu_torch.py: ${errorMessage(e)}`;
  } finally {
    clearTimeout(timer);
  }
}

// ---- 3. shipped models: probe, WebGPU vs CPU
interface ModelRow {
  model: string;
  size: string;
  /** The provider the WebGPU session ended up on (`cpu` when refused), with its notice. */
  provider?: string;
  notice?: string;
  probe?: ProviderProbe | null;
  probeError?: string;
  webgpu?: Timed;
  cpu?: Timed;
  /** Process tree's peak (nvidia-smi by pid), bytes. */
  gpuPeakBytes?: number | null;
  gpuPeakNote?: string;
  /** Device memory.used above its value before the model, bytes. */
  deviceUsedAboveBytes?: number | null;
  /** Static estimate for the full-size input: weights + peak activations, bytes. */
  estimateBytes?: number;
  errors: string[];
  skipped?: string;
}
const rows: ModelRow[] = [];
const only = values.models?.split(",");
const entries = (await listModels(SHIPPED_MODELS))
  .filter((e) => !e.manifest.process && (!only || only.includes(e.manifest.name)))
  .sort((a, b) => a.manifest.name.localeCompare(b.manifest.name));
for (const entry of entries) {
  const base = smallProbeClass(entry.manifest);
  const g = base.task === "cine" ? cine : mapping;
  const full: SizeClass = { ...base, nx: g.nx, ny: g.ny, nc: coils, acc: 4 };
  const row: ModelRow = { model: entry.manifest.name, size: sizeText(full), errors: [] };
  rows.push(row);
  if (elapsed() > budget) {
    row.skipped = `over the ${budget} s budget`;
    continue;
  }
  console.log(`${row.model}: ${row.size} ...`);
  if (adapter.available) {
    const gpu = new OnnxReconstructor(entry, { device: "webgpu", vramLimitBytes: vramLimit });
    try {
      const engine = await gpu.engine();
      row.provider = engine.provider;
      if (engine.notice) row.notice = engine.notice;
      if (engine.provider === "webgpu") {
        try {
          row.probe = await probeProvider(entry, gpu, small ? { small } : {});
        } catch (e) {
          row.probeError = errorMessage(e);
        }
        if (gpuFigures && webgpuTime === "probe" && row.probe) {
          row.webgpu = {
            warmupSeconds: null,
            seconds: row.probe.deviceSeconds,
            reps: 1,
            fromProbe: true,
          };
        } else if (gpuFigures && elapsed() < budget) {
          const m = await sampled(() => timeSlices(gpu, full, reps));
          row.webgpu = m.value;
          row.gpuPeakBytes = m.pidPeak;
          row.gpuPeakNote = m.pidNote;
          row.deviceUsedAboveBytes = m.devicePeakAbove;
          const ests = gpu.memoryEstimates();
          if (ests.length) {
            row.estimateBytes = Math.max(
              ...ests.map((e) => e.weightsBytes + e.peakActivationBytes),
            );
          }
        }
      }
    } catch (e) {
      row.errors.push(`webgpu: ${errorMessage(e)}`);
    } finally {
      await gpu.release();
    }
  }
  if (elapsed() > budget) {
    row.errors.push(`cpu: not timed (over the ${budget} s budget)`);
    continue;
  }
  const cpu = new OnnxReconstructor(entry, { device: "cpu", vramLimitBytes: vramLimit });
  try {
    row.cpu = await timeSlices(cpu, full, cpuReps);
    if (row.estimateBytes === undefined) {
      const ests = cpu.memoryEstimates();
      if (ests.length) {
        row.estimateBytes = Math.max(...ests.map((e) => e.weightsBytes + e.peakActivationBytes));
      }
    }
  } catch (e) {
    row.errors.push(`cpu: ${errorMessage(e)}`);
  } finally {
    await cpu.release();
  }
}

// ---- 4. report
const lines: string[] = [];
const say = (s = "") => (console.log(s), lines.push(s));
say();
say(`# GPU bench${dry ? " (DRY RUN: tiny sizes, not GPU figures)" : ""}`);
say();
say(
  `- WebGPU adapter: ${adapter.available ? adapter.label : `none (${adapter.reason})`}${
    adapter.software ? ` (software: ${adapter.softwareReason})` : ""
  }`,
);
say(
  `- sizes: cine ${cine.nx}x${cine.ny}, mapping ${mapping.nx}x${mapping.ny}, ${coils} coils, ` +
    `median of ${reps} WebGPU and ${cpuReps} CPU run(s) after a warm-up${
      webgpuTime === "probe" ? "; WebGPU time = the probe's one run, warm-up included" : ""
    }`,
);
say(
  `- PyTorch: ${torch.torch ?? "-"} on ${torch.gpu ?? torch.device}${
    torch.error ? `; ${torch.error}` : ""
  }`,
);
say(`- ${elapsed().toFixed(0)} s in all`);
say();
say("## Shipped models: WebGPU vs CPU (onnxruntime), per slice");
say();
say(
  "| model | size | probe max rel (size) | WebGPU s/slice | CPU s/slice | CPU / WebGPU | " +
    "peak GPU GiB (pid / device) | static estimate GiB | notes |",
);
say("|---|---|---|---|---|---|---|---|---|");
for (const r of rows) {
  const p = r.probe
    ? `${r.probe.maxRel.toExponential(1)} ${r.probe.ok ? "ok" : "FAIL"} (${r.probe.size})`
    : r.probeError
    ? `error`
    : "-";
  const ratio = r.webgpu && r.cpu ? `${(r.cpu.seconds / r.webgpu.seconds).toPrecision(2)}x` : "-";
  const notes = [
    r.skipped,
    r.provider && r.provider !== "webgpu" ? `on ${r.provider}: ${r.notice ?? ""}` : undefined,
    r.probeError,
    ...r.errors,
  ].filter(Boolean).join("; ").replaceAll("|", "/").slice(0, 300);
  say(
    `| ${r.model} | ${r.size} | ${p} | ${sec(r.webgpu?.seconds)} | ${
      sec(r.cpu?.seconds)
    } | ${ratio} | ` +
      `${gib(r.gpuPeakBytes)} / ${gib(r.deviceUsedAboveBytes)} | ${
        gib(r.estimateBytes)
      } | ${notes} |`,
  );
}
say();
say(`## train/ models at the papers' widths: PyTorch on ${torch.gpu ?? torch.device}, per slice`);
say();
say(
  "| model | parameters | frames | size | PyTorch s/slice | max_memory_allocated GiB | " +
    "paper s/slice SAX (LAX) |",
);
say("|---|---|---|---|---|---|---|");
for (const r of torch.rows) {
  const paper = PAPER[r.name];
  say(
    `| ${r.name} | ${r.parameters?.toLocaleString("en-US") ?? "-"} | ${r.frames} | ` +
      `${r.nx}x${r.ny}, ${r.coils} coils | ${
        r.error ? `error: ${r.error.replaceAll("|", "/")}` : r.skipped ?? sec(r.seconds)
      } | ${gib(r.max_memory_allocated)} | ${
        paper ? `${paper.sax.toFixed(2)} (${paper.lax.toFixed(2)})` : "-"
      } |`,
  );
}
say();
say(`Paper: ${PAPER_SOURCE}.`);
const json = {
  date: new Date().toISOString(),
  dryRun: dry,
  seconds: elapsed(),
  sizes: { cine, mapping, coils, reps, cpuReps, webgpuTime },
  adapter,
  gpuFigures,
  models: rows,
  torch,
  paper: { source: PAPER_SOURCE, perSlice: PAPER },
};
await Deno.mkdir(outDir, { recursive: true });
await Deno.writeTextFile(`${outDir}/gpu.json`, JSON.stringify(json, null, 1) + "\n");
await Deno.writeTextFile(`${outDir}/gpu.md`, lines.join("\n") + "\n");
console.log(`\nwrote ${outDir}/gpu.json and ${outDir}/gpu.md`);
// a software adapter outside --dry-run: the run gave no GPU figures
Deno.exit(adapter.software && !dry ? 3 : 0);
