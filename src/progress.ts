/**
 * Progress for long work: count, rate and ETA on one line (redrawn in place on a
 * terminal, printed every few seconds otherwise).
 *
 * @module
 */

import { formatBytes, formatDuration } from "./format.ts";

/** A progress line for `total` units of work. */
export class Progress {
  #start = performance.now();
  #lastPrint = 0;
  #done = 0;
  #finished = false;
  #tty: boolean;
  #enc = new TextEncoder();

  /**
   * Starts the clock; nothing is printed until the first {@link Progress.tick} or
   * {@link Progress.update}. Lines go to stderr.
   *
   * @param label what is being done, at the start of the line
   * @param total units of work in all (the line is final once `done >= total`)
   * @param unit what is counted (`files`, `slices`, ...); `bytes` prints sizes and byte rates
   */
  constructor(readonly label: string, readonly total: number, readonly unit = "files") {
    this.#tty = Deno.stderr.isTerminal();
  }

  /** Marks `n` more units done and redraws when due. */
  tick(n = 1, note = ""): void {
    this.update(this.#done + n, note);
  }

  /** Sets the units done so far and redraws when due (always once at the end). */
  update(done: number, note = ""): void {
    if (this.#finished) return;
    this.#done = done;
    const now = performance.now();
    const due = this.#tty ? now - this.#lastPrint > 100 : now - this.#lastPrint > 5000;
    if (due || this.#done >= this.total) {
      this.#finished = this.#done >= this.total;
      this.#lastPrint = now;
      this.#print(note);
    }
  }

  /** The line as it would be printed now. */
  line(note = ""): string {
    const secs = (performance.now() - this.#start) / 1000;
    const rate = secs > 0 ? this.#done / secs : 0;
    const left = this.total - this.#done;
    const eta = rate > 0 ? left / rate : NaN;
    const etaText = Number.isFinite(eta) ? `ETA ${formatDuration(eta * 1000)}` : "ETA --";
    const counts = this.unit === "bytes"
      ? `${formatBytes(this.#done)} / ${formatBytes(this.total)} (${
        (this.total > 0 ? (100 * this.#done) / this.total : 100).toFixed(0)
      }%), ${formatBytes(rate)}/s`
      : `${this.#done}/${this.total} ${this.unit}, ${rate.toFixed(2)}/s`;
    return `${this.label}: ${counts}, ${
      this.#done >= this.total ? `done in ${formatDuration(secs * 1000)}` : etaText
    }${note ? `  ${note}` : ""}`;
  }

  #print(note: string): void {
    const text = this.line(note);
    if (this.#tty) {
      Deno.stderr.writeSync(
        this.#enc.encode(`\r\x1b[2K${text}${this.#done >= this.total ? "\n" : ""}`),
      );
    } else {
      console.error(text);
    }
  }

  /** Seconds since the start. */
  elapsed(): number {
    return (performance.now() - this.#start) / 1000;
  }
}
