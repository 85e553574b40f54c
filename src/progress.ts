/**
 * Progress for long work: count, rate and ETA on one line (redrawn in place on a
 * terminal, printed every few seconds otherwise).
 *
 * @module
 */

/** A progress line for `total` units of work. */
export class Progress {
  #start = performance.now();
  #lastPrint = 0;
  #done = 0;
  #tty: boolean;
  #enc = new TextEncoder();

  constructor(readonly label: string, readonly total: number, readonly unit = "files") {
    this.#tty = Deno.stderr.isTerminal();
  }

  /** Marks `n` more units done and redraws when due. */
  tick(n = 1, note = ""): void {
    this.#done += n;
    const now = performance.now();
    const due = this.#tty ? now - this.#lastPrint > 100 : now - this.#lastPrint > 5000;
    if (due || this.#done >= this.total) {
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
    const etaText = Number.isFinite(eta) ? `ETA ${formatSeconds(eta)}` : "ETA --";
    return `${this.label}: ${this.#done}/${this.total} ${this.unit}, ${rate.toFixed(2)}/s, ${
      this.#done >= this.total ? `done in ${formatSeconds(secs)}` : etaText
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

function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(Math.round(s % 60)).padStart(2, "0")} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min`;
}
