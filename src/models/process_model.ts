/**
 * An external-process model ({@link ProcessSession}): a team's own inference program,
 * named by a manifest's `process` instead of an ONNX `file`, started once and fed one model
 * call at a time. It gets exactly the tensors an ONNX graph of the same manifest would get
 * (`buildFeeds`) and its answer is read as a graph output (`readOutput`).
 *
 * The protocol (version 1), over the program's stdin and stdout: every message is one line
 * of UTF-8 JSON ending in `\n`, followed by exactly `bytes` bytes of payload (absent when
 * 0): the arrays listed in the header, little-endian float32, row-major, concatenated in
 * the listed order.
 *
 * ```
 * program -> cmrxkit  {"type":"hello","protocol":"cmrxkit-model","version":1,"name":"..."}
 * cmrxkit -> program  {"type":"run","id":1,"geometry":{"nx":96,"ny":72,"nc":10,"nt":12,
 *                      "frames":[0,...,11]},"scale":0.0123,"task":"cine","output":"image",
 *                      "arrays":[{"name":"zf","shape":[12,72,96,2],"dtype":"float32"}],
 *                      "bytes":663552} + payload
 * program -> cmrxkit  {"type":"result","id":1,"arrays":[{"name":"image",
 *                      "shape":[12,72,96,2],"dtype":"float32"}],"bytes":663552} + payload
 *                  or {"type":"error","id":1,"message":"..."}
 * cmrxkit -> program  {"type":"close"}        on release; then the program exits
 * ```
 *
 * The program's stderr is forwarded to cmrxkit's, each line prefixed `[model NAME]`. Where
 * `nvidia-smi` exists, the GPU memory of the program (and its child processes) is sampled
 * about once a second while it runs ({@link ProcessSessionStats}).
 *
 * @module
 */

import { GpuMemorySampler } from "../engine/gpu_memory.ts";
import { CmrxError, errorMessage } from "../errors.ts";
import type { LaidOut } from "./layout.ts";
import type { ModelManifest } from "./manifest.ts";

/** The protocol's name in the hello message. */
export const PROTOCOL = "cmrxkit-model";
/** The protocol version this cmrxkit speaks. */
export const PROTOCOL_VERSION = 1;

/** What one call is, besides its tensors: sent in the run message. */
export interface RunContext {
  /** The prepared slice (a `PreparedSlice`): its sizes, scale and task. */
  slice: {
    nx: number;
    ny: number;
    nc: number;
    nt: number;
    scale: number;
    input: { task: "cine" | "mapping" };
  };
  /** The feeder calls of this run (one: a process model is not batched), frames fed each. */
  calls: { frames: number[] }[];
}

/** Timing and GPU memory of a {@link ProcessSession}. */
export interface ProcessSessionStats {
  /** Calls answered so far. */
  runs: number;
  /** Sum of the calls (milliseconds, transfer included). */
  totalMs: number;
  /** The latest call. */
  lastMs: number;
  /** Start until hello (milliseconds). */
  loadMs: number;
  /** The program's process id. */
  pid: number;
  /**
   * Peak GPU memory of the program and its children (bytes) seen by `nvidia-smi`; null
   * when not sampled (no `nvidia-smi`) or no sample listed the process.
   */
  gpuPeakBytes: number | null;
  /** How GPU memory was sampled: `nvidia-smi, N samples`, or `not sampled (...)`. */
  gpuSampling: string;
}

/** Reads lines and exact byte counts from a byte stream. */
class MessageReader {
  #r: ReadableStreamDefaultReader<Uint8Array>;
  #chunks: Uint8Array[] = [];
  #have = 0;
  #eof = false;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#r = stream.getReader();
  }

  async #more(): Promise<boolean> {
    if (this.#eof) return false;
    const { value, done } = await this.#r.read();
    if (done) {
      this.#eof = true;
      return false;
    }
    if (value.length) (this.#chunks.push(value), this.#have += value.length);
    return true;
  }

  #take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let o = 0;
    while (o < n) {
      const c = this.#chunks[0];
      const k = Math.min(c.length, n - o);
      out.set(c.subarray(0, k), o);
      o += k;
      if (k === c.length) this.#chunks.shift();
      else this.#chunks[0] = c.subarray(k);
    }
    this.#have -= n;
    return out;
  }

  /** The next line without its `\n`; null at end of stream. */
  async line(max = 1 << 20): Promise<string | null> {
    while (true) {
      let pos = 0;
      for (const c of this.#chunks) {
        const i = c.indexOf(10);
        if (i >= 0) {
          const bytes = this.#take(pos + i + 1);
          return new TextDecoder().decode(bytes.subarray(0, bytes.length - 1));
        }
        pos += c.length;
      }
      if (pos > max) throw new TooLong(`a header line longer than ${max} bytes`);
      if (!(await this.#more())) return null;
    }
  }

  /** Exactly `n` bytes; null when the stream ends first. */
  async bytes(n: number): Promise<Uint8Array | null> {
    while (this.#have < n) if (!(await this.#more())) return null;
    return this.#take(n);
  }

  cancel(): void {
    this.#r.cancel().catch(() => {});
  }
}

/** Thrown inside a wait when the program's stdout ends. */
class Ended extends Error {}
/** A header line without an end. */
class TooLong extends Error {}

/** `p`, or null after `ms` (the timer cleared either way). */
async function within<T>(p: Promise<T>, ms: number): Promise<T | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<null>((r) => (timer = setTimeout(() => r(null), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const STDERR_LINES = 20;

/**
 * One running external-process model: the same `run` / `provider` / `release` surface as
 * an `OnnxSession`. Calls are serialised (one at a time). A timeout, a dead program or a
 * malformed reply leave the session broken: later calls fail with the same error.
 */
export class ProcessSession {
  /** Where the model runs, as far as cmrxkit knows: its own process. */
  readonly provider = "process" as const;
  /** No fallback notice (the program chooses its own device). */
  readonly notice?: string;
  /** The manifest file, named in errors. */
  readonly file: string;

  #m: ModelManifest;
  #child: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #reader: MessageReader;
  #stderr: string[] = [];
  #stderrDone: Promise<void>;
  #exit: Deno.CommandStatus | null = null;
  #broken: CmrxError | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  #nextId = 1;
  #sampler: GpuMemorySampler;
  #stats: Omit<ProcessSessionStats, "gpuPeakBytes" | "gpuSampling">;
  #released = false;

  private constructor(m: ModelManifest, file: string, child: Deno.ChildProcess) {
    this.#m = m;
    this.file = file;
    this.#child = child;
    this.#writer = child.stdin.getWriter();
    this.#reader = new MessageReader(child.stdout);
    this.#stderrDone = this.#pumpStderr(child.stderr);
    this.#sampler = new GpuMemorySampler(child.pid);
    child.status.then((s) => {
      this.#exit = s;
      this.#sampler.stop();
    });
    this.#stats = { runs: 0, totalMs: 0, lastMs: 0, loadMs: 0, pid: child.pid };
  }

  /**
   * Starts the manifest's program and waits for its hello.
   * @param m a manifest with `process`
   * @param manifestPath the manifest file (the program's default working folder)
   * @throws {CmrxError} naming the manifest and the command when the program cannot be
   *   started, exits, does not say hello within `startupSeconds`, or says something else
   */
  static async start(m: ModelManifest, manifestPath: string): Promise<ProcessSession> {
    const spec = m.process!;
    const dir = manifestPath.includes("/")
      ? manifestPath.slice(0, manifestPath.lastIndexOf("/") + 1)
      : "./";
    const cwd = spec.cwd === undefined ? dir : spec.cwd.startsWith("/") ? spec.cwd : dir + spec.cwd;
    const t0 = performance.now();
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(spec.command[0], {
        args: spec.command.slice(1),
        cwd,
        env: spec.env,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    } catch (e) {
      const missing = e instanceof Deno.errors.NotFound;
      throw new CmrxError(
        `model ${m.name}: cannot start ${JSON.stringify(spec.command)} in ${cwd}: ${
          missing ? "the program or the folder does not exist" : errorMessage(e)
        }`,
        {
          file: manifestPath,
          hint: missing
            ? "give process.command as a program on PATH or a path (relative to process.cwd), " +
              "and process.cwd relative to the manifest's folder"
            : "check process.command and process.cwd",
          cause: e,
        },
      );
    }
    const s = new ProcessSession(m, manifestPath, child);
    try {
      const msg = await s.#wait(
        async () => s.#parse(await s.#reader.line(), "hello"),
        (spec.startupSeconds ?? 120) * 1000,
        "to say hello",
        "startupSeconds",
      );
      if (msg.protocol !== PROTOCOL || msg.version !== PROTOCOL_VERSION) {
        throw s.#fail(
          `said hello with protocol ${JSON.stringify(msg.protocol)} version ${
            JSON.stringify(msg.version)
          }; cmrxkit speaks ${PROTOCOL} version ${PROTOCOL_VERSION}`,
        );
      }
    } catch (e) {
      await s.release();
      throw e;
    }
    s.#stats.loadMs = performance.now() - t0;
    await s.#sampler.start();
    return s;
  }

  /** Timing and GPU memory so far. */
  get stats(): ProcessSessionStats {
    return {
      ...this.#stats,
      gpuPeakBytes: this.#sampler.peak,
      gpuSampling: this.#sampler.text(),
    };
  }

  /**
   * One model call: the feeds (named, in the manifest's layouts) out, the outputs back.
   * @param feeds the tensors an ONNX graph of the same manifest would get
   * @param ctx the slice's geometry, scale and task, sent in the run message
   * @throws {CmrxError} naming the manifest and the command on an error reply, a timeout
   *   (`callSeconds`), a program that died (its exit code and last stderr lines) or a
   *   malformed reply
   */
  run(feeds: Record<string, LaidOut>, ctx?: RunContext): Promise<Record<string, LaidOut>> {
    const job = this.#queue.then(() => this.#runNow(feeds, ctx));
    this.#queue = job.catch(() => {});
    return job;
  }

  async #runNow(
    feeds: Record<string, LaidOut>,
    ctx?: RunContext,
  ): Promise<Record<string, LaidOut>> {
    if (this.#broken) throw this.#broken;
    if (this.#released) throw new CmrxError("the model process was released", { file: this.file });
    if (!LITTLE_ENDIAN) throw this.#fail("needs a little-endian machine", false);
    const id = this.#nextId++;
    const arrays = Object.entries(feeds).map(([name, t]) => ({
      name,
      shape: t.dims,
      dtype: "float32",
    }));
    const bytes = Object.values(feeds).reduce((s, t) => s + t.data.byteLength, 0);
    const p = ctx?.slice;
    const header = {
      type: "run",
      id,
      geometry: p
        ? { nx: p.nx, ny: p.ny, nc: p.nc, nt: p.nt, frames: ctx!.calls.flatMap((c) => c.frames) }
        : null,
      scale: p?.scale ?? null,
      task: p?.input.task ?? null,
      output: this.#m.output.name,
      arrays,
      bytes,
    };
    const t0 = performance.now();
    const callMs = (this.#m.process!.callSeconds ?? 600) * 1000;
    const reply = await this.#wait(
      async () => {
        await this.#writer.write(new TextEncoder().encode(JSON.stringify(header) + "\n"));
        for (const t of Object.values(feeds)) {
          await this.#writer.write(
            new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
          );
        }
        const msg = this.#parse(await this.#reader.line(), "result");
        if (msg.id !== id) {
          throw this.#fail(`answered call ${JSON.stringify(msg.id)}, cmrxkit asked for call ${id}`);
        }
        if (msg.type === "error") return { msg, payload: new Uint8Array() };
        const n = msg.bytes;
        if (!Number.isInteger(n) || (n as number) < 0) {
          throw this.#fail(`sent a result whose "bytes" is ${JSON.stringify(n)}`);
        }
        const payload = await this.#reader.bytes(n as number);
        if (payload === null) throw new Ended();
        return { msg, payload };
      },
      callMs,
      `to answer call ${id}`,
      "callSeconds",
    );
    const ms = performance.now() - t0;
    this.#stats.runs++;
    this.#stats.lastMs = ms;
    this.#stats.totalMs += ms;
    if (reply.msg.type === "error") {
      throw new CmrxError(
        `model ${this.#m.name} (${this.#commandText()}) failed on call ${id}: ${
          String(reply.msg.message ?? "(no message)")
        }`,
        { file: this.file, hint: "see the program's own log (its stderr, above)" },
      );
    }
    return this.#unpack(reply.msg, reply.payload);
  }

  /** The result's arrays, checked against its header. */
  #unpack(msg: Record<string, unknown>, payload: Uint8Array): Record<string, LaidOut> {
    const specs = msg.arrays;
    if (!Array.isArray(specs)) throw this.#fail(`sent a result without an "arrays" list`);
    const out: Record<string, LaidOut> = {};
    let off = 0;
    for (const s of specs as Record<string, unknown>[]) {
      const dims = s?.shape;
      if (
        typeof s?.name !== "string" || !Array.isArray(dims) ||
        !dims.every((d) => Number.isInteger(d) && d >= 0)
      ) {
        throw this.#fail(
          `sent a result array ${JSON.stringify(s)}; each needs a "name" and a "shape" of sizes`,
        );
      }
      if (s.dtype !== undefined && s.dtype !== "float32") {
        throw this.#fail(`sent array "${s.name}" as ${JSON.stringify(s.dtype)}; only float32`);
      }
      const n = (dims as number[]).reduce((a, b) => a * b, 1);
      if (off + 4 * n > payload.length) {
        throw this.#fail(
          `sent arrays of ${off + 4 * n}+ bytes (shapes) in a payload of ${payload.length} bytes`,
        );
      }
      const data = new Float32Array(n);
      new Uint8Array(data.buffer).set(payload.subarray(off, off + 4 * n));
      off += 4 * n;
      out[s.name] = { data, dims: dims as number[] };
    }
    if (off !== payload.length) {
      throw this.#fail(`sent ${payload.length} payload bytes; its arrays' shapes hold ${off}`);
    }
    return out;
  }

  /** A header line parsed, or a broken session naming what was wrong. */
  #parse(line: string | null, want: "hello" | "result"): Record<string, unknown> {
    if (line === null) throw new Ended();
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      throw this.#fail(
        `wrote ${JSON.stringify(line.slice(0, 120))} to stdout, not a JSON ${want} message ` +
          "(stdout is the protocol's: log to stderr)",
      );
    }
    const type = (msg as { type?: unknown })?.type;
    const ok = want === "hello" ? type === "hello" : type === "result" || type === "error";
    if (!ok || typeof msg !== "object" || Array.isArray(msg)) {
      throw this.#fail(
        `sent ${JSON.stringify(line.slice(0, 120))} where cmrxkit expected ${
          want === "hello" ? "a hello" : "a result or an error"
        } message`,
      );
    }
    return msg as Record<string, unknown>;
  }

  /** Runs `op` within `ms`, turning a timeout or an ended stream into a clear error. */
  async #wait<T>(op: () => Promise<T>, ms: number, what: string, field: string): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Ended("timeout")), ms);
    });
    try {
      return await Promise.race([op(), timeout]);
    } catch (e) {
      if (e instanceof Ended && e.message === "timeout") {
        throw this.#fail(
          `did not manage ${what} within ${ms / 1000} s (manifest process.${field}); stopped it`,
        );
      }
      if (e instanceof TooLong) throw this.#fail(`wrote ${e.message} to stdout`);
      if (
        e instanceof Ended || e instanceof Deno.errors.BrokenPipe ||
        (e instanceof Error && /broken pipe|closed/i.test(e.message))
      ) {
        throw await this.#died();
      }
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The error of a program whose stdout ended: its exit code and last stderr lines. */
  async #died(): Promise<CmrxError> {
    const exit = await within(this.#child.status, 3000);
    await within(this.#stderrDone, 1000);
    const how = exit === null
      ? "closed its stdout"
      : exit.signal
      ? `was killed by ${exit.signal}`
      : `exited with code ${exit.code}`;
    const tail = this.#stderr.length
      ? `; its last stderr lines:\n${this.#stderr.map((l) => `  ${l}`).join("\n")}`
      : " (it wrote nothing to stderr)";
    return this.#fail(`${how}${tail}`);
  }

  /** Marks the session broken (stopping the program) with a message naming the model. */
  #fail(what: string, stop = true): CmrxError {
    const e = new CmrxError(`model ${this.#m.name}: the program ${this.#commandText()} ${what}`, {
      file: this.file,
      hint: "see docs/models.md (external-process models) for the protocol; " +
        "clients/python/cmrxkit_model.py implements it",
    });
    if (stop) {
      this.#broken = e;
      this.#kill();
    }
    return e;
  }

  #commandText(): string {
    return JSON.stringify(this.#m.process!.command);
  }

  #kill(): void {
    if (this.#exit) return;
    try {
      this.#child.kill("SIGKILL");
    } catch { /* already gone */ }
  }

  async #pumpStderr(stream: ReadableStream<Uint8Array>): Promise<void> {
    const prefix = `[model ${this.#m.name}] `;
    let rest = "";
    const emit = (line: string) => {
      this.#stderr.push(line);
      if (this.#stderr.length > STDERR_LINES) this.#stderr.shift();
      console.error(prefix + line);
    };
    try {
      for await (const text of stream.pipeThrough(new TextDecoderStream())) {
        const lines = (rest + text).split("\n");
        rest = lines.pop()!;
        lines.forEach(emit);
      }
    } catch { /* the stream was cancelled */ }
    if (rest) emit(rest);
  }

  /**
   * Says close, waits up to 5 s for the program to exit, then kills it. Idempotent; later
   * runs throw.
   */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    this.#sampler.stop();
    await this.#queue;
    if (!this.#exit && !this.#broken) {
      try {
        await this.#writer.write(new TextEncoder().encode(`{"type":"close"}\n`));
      } catch { /* it is gone */ }
    }
    try {
      await this.#writer.close();
    } catch { /* already closed */ }
    if ((await within(this.#child.status, 5000)) === null) this.#kill();
    await this.#child.status;
    this.#reader.cancel();
    await within(this.#stderrDone, 1000);
  }
}
