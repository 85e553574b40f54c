/**
 * GPU memory as the driver sees it: `nvidia-smi --query-compute-apps=pid,used_memory`
 * sampled about once a second for a process and its children ({@link GpuMemorySampler}),
 * keeping the peak. Where `nvidia-smi` does not exist (no NVIDIA driver, or a GPU without
 * it) nothing is sampled and the sampler says so: the caller reports its static estimate
 * as an estimate. Used for an external-process model's program and for cmrxkit's own
 * process during a run.
 *
 * @module
 */

import { errorMessage } from "../errors.ts";

/** One row of `nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader,nounits`. */
export interface ComputeApp {
  /** Process id. */
  pid: number;
  /** GPU memory in MiB. */
  usedMiB: number;
}

/**
 * Parses `nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader,nounits`
 * (one `pid, MiB` line per process and GPU); lines without numbers (`[N/A]`, messages)
 * are skipped.
 */
export function parseComputeApps(text: string): ComputeApp[] {
  const out: ComputeApp[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s*(\d+)\s*,\s*(\d+(?:\.\d+)?)\s*$/.exec(line);
    if (m) out.push({ pid: Number(m[1]), usedMiB: Number(m[2]) });
  }
  return out;
}

/** GPU memory (bytes) of the processes `pids` in parsed `nvidia-smi` rows, summed. */
export function gpuBytesOf(apps: readonly ComputeApp[], pids: ReadonlySet<number>): number | null {
  const mine = apps.filter((a) => pids.has(a.pid));
  return mine.length ? mine.reduce((s, a) => s + a.usedMiB, 0) * 1024 * 1024 : null;
}

/** `pid` and its descendants, from Linux `/proc/PID/task/TID/children` (best effort). */
export function processTree(pid: number): Set<number> {
  const seen = new Set<number>([pid]);
  const todo = [pid];
  while (todo.length) {
    const p = todo.pop()!;
    try {
      for (const t of Deno.readDirSync(`/proc/${p}/task`)) {
        const kids = Deno.readTextFileSync(`/proc/${p}/task/${t.name}/children`);
        for (const k of kids.split(/\s+/).filter(Boolean).map(Number)) {
          if (!seen.has(k)) (seen.add(k), todo.push(k));
        }
      }
    } catch { /* not Linux, or gone */ }
  }
  return seen;
}

/** Samples the GPU memory of a process tree with `nvidia-smi` about once a second. */
export class GpuMemorySampler {
  /** Peak bytes seen for the process tree; null when not sampled or never listed. */
  peak: number | null = null;
  /** Samples taken. */
  samples = 0;
  /** Why nothing is sampled (empty while sampling works). */
  note = "not sampled (no nvidia-smi)";
  #timer: ReturnType<typeof setInterval> | undefined;
  #busy = false;
  #pid: number;
  #intervalMs: number;

  /**
   * A sampler of `pid`'s tree; nothing runs before {@link GpuMemorySampler.start}.
   * @param pid the process whose tree is sampled (its descendants included)
   * @param intervalMs time between samples
   */
  constructor(pid: number, intervalMs = 1000) {
    this.#pid = pid;
    this.#intervalMs = intervalMs;
  }

  /** Takes a first sample and, when `nvidia-smi` answers, samples on a timer. */
  async start(): Promise<void> {
    if (!(await this.#sample())) return;
    this.note = "";
    this.#timer = setInterval(() => void this.#sample(), this.#intervalMs);
    Deno.unrefTimer(this.#timer); // never keeps a finished run alive
  }

  /** One sample; false when nvidia-smi cannot be run. */
  async #sample(): Promise<boolean> {
    if (this.#busy) return true;
    this.#busy = true;
    try {
      const out = await new Deno.Command("nvidia-smi", {
        args: ["--query-compute-apps=pid,used_memory", "--format=csv,noheader,nounits"],
        stdout: "piped",
        stderr: "null",
      }).output();
      if (!out.success) {
        this.note = `not sampled (nvidia-smi exited with ${out.code})`;
        return false;
      }
      const bytes = gpuBytesOf(
        parseComputeApps(new TextDecoder().decode(out.stdout)),
        processTree(this.#pid),
      );
      this.samples++;
      if (bytes !== null && (this.peak === null || bytes > this.peak)) this.peak = bytes;
      return true;
    } catch (e) {
      this.note = e instanceof Deno.errors.NotFound
        ? "not sampled (no nvidia-smi)"
        : `not sampled (${errorMessage(e)})`;
      return false;
    } finally {
      this.#busy = false;
    }
  }

  /** Stops sampling (the peak stays). */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** `nvidia-smi, N sample(s)`, or why nothing was sampled. */
  text(): string {
    return this.note || `nvidia-smi, ${this.samples} sample(s)`;
  }
}
