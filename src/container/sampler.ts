/**
 * Resource sampling while a team's image runs: GPU memory and utilisation from
 * `nvidia-smi` (when present), CPU and RAM of the container from the runtime's `stats`,
 * every few seconds. Parsers are pure and unit-tested on fixture strings; {@link Sampler}
 * runs the commands.
 *
 * @module
 */

import { parseBytes } from "../format.ts";
import { exec } from "./runtime.ts";

/** One GPU line of `nvidia-smi --query-gpu=index,memory.used,memory.total,utilization.gpu`. */
export interface GpuReading {
  /** The GPU's index (as `nvidia-smi -i` takes it). */
  index: number;
  /** Memory used, bytes (nvidia-smi reports MiB); NaN when not reported. */
  memoryUsed: number;
  /** Total memory, bytes; NaN when not reported. */
  memoryTotal: number;
  /** Percent, 0-100; NaN when the driver reports `[N/A]`. */
  utilization: number;
}

/** The nvidia-smi arguments the sampler uses (one line per GPU, no header, no units). */
export const NVIDIA_SMI_ARGS = [
  "--query-gpu=index,memory.used,memory.total,utilization.gpu",
  "--format=csv,noheader,nounits",
];

const MIB = 1024 * 1024;

function smiNumber(field: string): number {
  const t = field.trim();
  if (/^\[?(N\/A|Not Supported|Unknown Error)\]?$/i.test(t)) return NaN;
  const m = /^(\d+(?:\.\d+)?)\s*(MiB|%|)$/.exec(t);
  return m ? Number(m[1]) : NaN;
}

/**
 * Parses `nvidia-smi --query-gpu=index,memory.used,memory.total,utilization.gpu
 * --format=csv[,noheader][,nounits]` output: one reading per GPU line; a header line
 * (`index, memory.used [MiB], ...`) and blank lines are skipped; `[N/A]` becomes NaN.
 */
export function parseNvidiaSmiCsv(text: string): GpuReading[] {
  const out: GpuReading[] = [];
  for (const line of text.split(/\r?\n/)) {
    const f = line.split(",");
    if (f.length < 4 || !/^\s*\d+\s*$/.test(f[0])) continue;
    out.push({
      index: Number(f[0]),
      memoryUsed: smiNumber(f[1]) * MIB,
      memoryTotal: smiNumber(f[2]) * MIB,
      utilization: smiNumber(f[3]),
    });
  }
  return out;
}

/** The runtime's `stats` template: CPU percent and memory use/limit, `|`-separated. */
export const STATS_FORMAT = "{{.CPUPerc}}|{{.MemUsage}}";

/** CPU and memory of the container at one moment. */
export interface StatsReading {
  /** Percent of one core (docker: 200% = two cores busy). */
  cpuPercent: number;
  /** Memory used, bytes. */
  memoryUsed: number;
  /** The container's memory limit (the host's memory without one), bytes. */
  memoryLimit: number;
}

/**
 * Parses one line of `docker stats --no-stream --format '{{.CPUPerc}}|{{.MemUsage}}'`, e.g.
 * `153.27%|1.208GiB / 23.47GiB` (docker: binary units) or `12.5%|1.2GB / 25GB` (podman:
 * decimal units). Returns undefined for lines that are not such a reading (`--`, empty).
 */
export function parseStatsLine(line: string): StatsReading | undefined {
  const [cpu, mem] = line.trim().split("|");
  if (!cpu || !mem) return undefined;
  const c = /^(\d+(?:\.\d+)?)\s*%$/.exec(cpu.trim());
  const [used, limit] = mem.split("/").map((s) => s.trim());
  if (!c || !used || !limit) return undefined;
  try {
    return {
      cpuPercent: Number(c[1]),
      memoryUsed: parseBytes(used),
      memoryLimit: parseBytes(limit),
    };
  } catch {
    return undefined;
  }
}

/** One sample of the run. */
export interface Sample {
  /** Seconds since the container was started. */
  t: number;
  /** CPU use, percent of one core (absent when the runtime's `stats` gave nothing). */
  cpuPercent?: number;
  /** Memory used by the container, bytes (absent when `stats` gave nothing). */
  memoryUsed?: number;
  /** GPU memory used (bytes) of the GPU given to the container (absent without nvidia-smi). */
  gpuMemoryUsed?: number;
  /** Utilisation (percent, 0-100) of that GPU; NaN when the driver reports `[N/A]`. */
  gpuUtilization?: number;
}

/** Peaks and means of the samples (undefined where nothing was measured). */
export interface UsageSummary {
  /** Number of samples. */
  samples: number;
  /** Peak memory of the container, bytes. */
  peakMemory?: number;
  /** Mean CPU use, percent of one core. */
  meanCpuPercent?: number;
  /** Peak CPU use, percent of one core. */
  peakCpuPercent?: number;
  /** Peak GPU memory, bytes. */
  peakGpuMemory?: number;
  /** Mean GPU utilisation, percent. */
  meanGpuUtilization?: number;
}

function stats(xs: number[]): { max?: number; mean?: number } {
  const v = xs.filter((x) => Number.isFinite(x));
  if (!v.length) return {};
  return { max: Math.max(...v), mean: v.reduce((a, b) => a + b, 0) / v.length };
}

/** Summarises samples: peak RAM and GPU memory, mean and peak CPU, mean GPU utilisation. */
export function summarizeSamples(samples: readonly Sample[]): UsageSummary {
  const cpu = stats(samples.map((s) => s.cpuPercent ?? NaN));
  const mem = stats(samples.map((s) => s.memoryUsed ?? NaN));
  const gmem = stats(samples.map((s) => s.gpuMemoryUsed ?? NaN));
  const gutil = stats(samples.map((s) => s.gpuUtilization ?? NaN));
  return {
    samples: samples.length,
    peakMemory: mem.max,
    meanCpuPercent: cpu.mean,
    peakCpuPercent: cpu.max,
    peakGpuMemory: gmem.max,
    meanGpuUtilization: gutil.mean,
  };
}

/** Samples as CSV (`t_s,cpu_percent,memory_bytes,gpu_memory_bytes,gpu_util_percent`). */
export function samplesCsv(samples: readonly Sample[]): string {
  const f = (
    x: number | undefined,
    d = 0,
  ) => (x === undefined || !Number.isFinite(x) ? "" : x.toFixed(d));
  return "t_s,cpu_percent,memory_bytes,gpu_memory_bytes,gpu_util_percent\n" +
    samples.map((s) =>
      [f(s.t, 1), f(s.cpuPercent, 1), f(s.memoryUsed), f(s.gpuMemoryUsed), f(s.gpuUtilization)]
        .join(",")
    ).join("\n") + (samples.length ? "\n" : "");
}

/** Options of {@link Sampler}. */
export interface SamplerOptions {
  /** The runtime command (`docker`, `podman`). */
  runtime: string;
  /** The container to watch. */
  container: string;
  /** GPU index to read from nvidia-smi (none: no GPU sampling). */
  gpu?: number;
  /** Seconds between samples. */
  interval: number;
  /** Called with each sample. */
  onSample?: (s: Sample) => void;
}

/**
 * Samples a running container every `interval` seconds until {@link Sampler.stop}. A missing
 * nvidia-smi or a container that has not started yet only means fewer fields.
 */
export class Sampler {
  /** The samples taken so far (those with a CPU or GPU reading). */
  readonly samples: Sample[] = [];
  #t0 = performance.now();
  #stopped = false;
  #loop?: Promise<void>;
  #smi = true;
  #wake?: () => void;

  /** A sampler of `opts.container`; nothing runs before {@link Sampler.start}. */
  constructor(readonly opts: SamplerOptions) {}

  /** Starts sampling (the clock starts now). */
  start(): void {
    this.#t0 = performance.now();
    this.#loop = this.#run();
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      const s = await this.sampleOnce();
      if (this.#stopped) break;
      if (s.cpuPercent !== undefined || s.gpuMemoryUsed !== undefined) {
        this.samples.push(s);
        this.opts.onSample?.(s);
      }
      await new Promise<void>((resolve) => {
        const id = setTimeout(resolve, this.opts.interval * 1000);
        this.#wake = () => {
          clearTimeout(id);
          resolve();
        };
      });
    }
  }

  /** Takes one sample now. */
  async sampleOnce(): Promise<Sample> {
    const s: Sample = { t: (performance.now() - this.#t0) / 1000 };
    const [st, gpu] = await Promise.all([
      exec(this.opts.runtime, [
        "stats",
        "--no-stream",
        "--format",
        STATS_FORMAT,
        this.opts.container,
      ]).catch(() => undefined),
      this.#gpuReading(),
    ]);
    const r = st?.code === 0 ? parseStatsLine(st.stdout.split("\n")[0] ?? "") : undefined;
    if (r) {
      s.cpuPercent = r.cpuPercent;
      s.memoryUsed = r.memoryUsed;
    }
    if (gpu) {
      s.gpuMemoryUsed = gpu.memoryUsed;
      s.gpuUtilization = gpu.utilization;
    }
    return s;
  }

  async #gpuReading(): Promise<GpuReading | undefined> {
    if (this.opts.gpu === undefined || !this.#smi) return undefined;
    try {
      const r = await exec("nvidia-smi", [...NVIDIA_SMI_ARGS, "-i", String(this.opts.gpu)]);
      if (r.code !== 0) return undefined;
      return parseNvidiaSmiCsv(r.stdout).find((g) => g.index === this.opts.gpu);
    } catch {
      this.#smi = false; // not installed: stop asking
      return undefined;
    }
  }

  /** Whether nvidia-smi could be run (false once it was found missing). */
  get gpuSampling(): boolean {
    return this.opts.gpu !== undefined && this.#smi;
  }

  /** Stops sampling and returns the samples. */
  async stop(): Promise<Sample[]> {
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
    return this.samples;
  }
}
