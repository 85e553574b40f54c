/**
 * Reconstructing slices in parallel: a pool of Web Workers, each running classical methods
 * from the registry on one slice at a time. Slices are independent, so on an n-core machine
 * n slices are reconstructed at once (the FFTs, GRAPPA kernels and iterative solvers all run
 * per slice). Buffers are transferred, not copied, both ways.
 *
 * Only reconstructors that a worker can rebuild by name (`spec`, set by the registry) run in
 * the pool; others (ONNX models, which have their own threads) run in the calling thread.
 *
 * @module
 */

import * as errors from "../errors.ts";
import type { SliceInput, SliceOutput } from "../kspace/slice.ts";

interface Job {
  spec: string;
  input: SliceInput;
  resolve: (o: SliceOutput & { kspace: Float32Array }) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  busy: Job | null;
}

/** The number of workers to use by default: the machine's cores. */
export function defaultWorkers(): number {
  return Math.max(1, navigator.hardwareConcurrency || 1);
}

/**
 * A pool of reconstruction workers, started lazily (one per concurrent slice, up to `size`).
 * Close it when done (or `using` it), or the process will not exit.
 */
export class SlicePool {
  /** The most workers (slices reconstructed at once); at least 1. */
  readonly size: number;
  #slots: Slot[] = [];
  #queue: Job[] = [];
  #closed = false;

  /**
   * A pool of at most `size` workers; none is started until a slice is run.
   * @param size the most workers (default {@link defaultWorkers}; values below 1 mean 1)
   */
  constructor(size: number = defaultWorkers()) {
    this.size = Math.max(1, size);
  }

  #spawn(): Slot {
    const worker = new Worker(new URL("./worker.ts", import.meta.url).href, { type: "module" });
    const slot: Slot = { worker, busy: null };
    worker.onmessage = (e: MessageEvent) => {
      const job = slot.busy!;
      slot.busy = null;
      const d = e.data;
      if (d.error) {
        const Ctor = (errors as Record<string, unknown>)[d.name] as
          | typeof errors.CmrxError
          | undefined;
        job.reject(Ctor && d.name !== "Error" ? new Ctor(d.error) : new Error(d.error));
      } else job.resolve({ image: d.image, info: d.info, kspace: d.kspace });
      this.#next();
    };
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      const job = slot.busy;
      slot.busy = null;
      job?.reject(new Error(`reconstruction worker failed: ${e.message}`));
      this.#next();
    };
    this.#slots.push(slot);
    return slot;
  }

  #next(): void {
    if (this.#closed) return;
    while (this.#queue.length) {
      let slot = this.#slots.find((s) => !s.busy);
      if (!slot && this.#slots.length < this.size) slot = this.#spawn();
      if (!slot) return;
      const job = this.#queue.shift()!;
      slot.busy = job;
      const { input } = job;
      slot.worker.postMessage(
        { spec: job.spec, input },
        [input.kspace.buffer as ArrayBuffer],
      );
    }
  }

  /**
   * Reconstructs one slice in a worker. The input's k-space buffer is transferred (unusable
   * here until it comes back as `kspace` in the result); the mask is copied.
   */
  run(spec: string, input: SliceInput): Promise<SliceOutput & { kspace: Float32Array }> {
    if (this.#closed) return Promise.reject(new Error("the slice pool is closed"));
    return new Promise((resolve, reject) => {
      this.#queue.push({ spec, input, resolve, reject });
      this.#next();
    });
  }

  /** Stops the workers. */
  close(): void {
    this.#closed = true;
    for (const s of this.#slots) s.worker.terminate();
    this.#slots = [];
    for (const j of this.#queue) j.reject(new Error("the slice pool was closed"));
    this.#queue = [];
  }

  /** Closes the pool ({@link SlicePool.close}), for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}
