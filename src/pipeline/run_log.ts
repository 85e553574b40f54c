/**
 * The JSON-lines run log of `submit` (`<output>/run-log.jsonl`): one `start` line, one line
 * per case (`CaseEvent`, submit.ts), `budget-stop` when the time budget stops the run, one `end`
 * line with the summary. `report` reads it back (report/runlog.ts).
 *
 * @module
 */

/**
 * Appends to the JSON-lines run log (`report/runlog.ts` reads it back); closed on dispose
 * (also when the run throws).
 */
export class RunLogWriter implements Disposable {
  #file: Deno.FsFile;
  #enc = new TextEncoder();
  private constructor(file: Deno.FsFile) {
    this.#file = file;
  }
  /** Opens (appends to) the log at `path`. */
  static async open(path: string): Promise<RunLogWriter> {
    return new RunLogWriter(await Deno.open(path, { append: true, create: true }));
  }
  /** Appends one JSON line. */
  async write(obj: unknown): Promise<void> {
    await this.#file.write(this.#enc.encode(JSON.stringify(obj) + "\n"));
  }
  /** Closes the log file (once; later calls do nothing). */
  [Symbol.dispose](): void {
    try {
      this.#file.close();
    } catch { /* closed */ }
  }
}
