/**
 * Reading what `deno task submit` recorded about a run: the JSON-lines run log(s) in the
 * output folder (`run-log.jsonl`, and `run-log-shardIofN.jsonl` of sharded runs). A re-run
 * appends to the log: the last record of each file wins, and the last `end` of each log is
 * the run's summary.
 *
 * @module
 */

import type { BudgetVerdict, ViewTiming } from "../pipeline/budget.ts";
import type { CaseEvent, SubmitSummary } from "../pipeline/submit.ts";
import { viewTimings } from "../pipeline/budget.ts";
import { CmrxError } from "../errors.ts";
import type { Year } from "../challenge/edition.ts";

/** The `start` record of a log. */
export interface StartEvent {
  /** Marks the start record. */
  event: "start";
  /** ISO date and time the run started. */
  date: string;
  /** The input dataset root, as given to submit. */
  input: string;
  /** The output folder, as given to submit. */
  output: string;
  /** The task(s) of the run. */
  task: "cine" | "mapping" | "both";
  /** The edition the run followed (absent in logs of older versions). */
  edition?: Year;
  /** The split of the run. */
  split: "validation" | "test";
  /** `i/n` (1-based) for shard i of n, null for an unsharded run. */
  shard: string | null;
  /** Cases of this run (this shard's when sharded), broken input entries included. */
  cases: number;
}

/** The `end` record of a log: the run's summary, with the validation as a flag. */
export type EndEvent =
  & { event: "end"; validation: boolean | null }
  & Omit<SubmitSummary, "validation" | "validationError" | "zip" | "output">;

/** What a run's logs say. */
export interface RunLog {
  /** The log files read. */
  files: string[];
  /** The first `start` (input, task, split). */
  start?: StartEvent;
  /** Per submission file, its last case record. */
  cases: CaseEvent[];
  /** The last `end` of each log (one per shard). */
  ends: EndEvent[];
  /** A `budget-stop` happened. */
  budgetStopped: boolean;
}

/**
 * Reads the run logs of a submit output folder. A folder without logs gives an empty
 * {@link RunLog} (a submission made elsewhere can still be shown and scored).
 *
 * @throws {CmrxError} naming the file and line when a log line is not JSON
 */
export async function readRunLog(dir: string): Promise<RunLog> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && /^run-log(-shard\d+of\d+)?\.jsonl$/.test(e.name)) names.push(e.name);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  names.sort();
  const out: RunLog = { files: [], cases: [], ends: [], budgetStopped: false };
  const byFile = new Map<string, CaseEvent>();
  for (const name of names) {
    const path = `${dir}/${name}`;
    out.files.push(path);
    let end: EndEvent | undefined;
    const lines = (await Deno.readTextFile(path)).split("\n");
    for (const [i, line] of lines.entries()) {
      if (!line.trim()) continue;
      let rec: { event?: string };
      try {
        rec = JSON.parse(line);
      } catch {
        // The last line of a log cut off by a crash is expected; anything else is not.
        if (i >= lines.length - 2) continue;
        throw new CmrxError(`line ${i + 1} is not JSON`, {
          file: path,
          hint: "the run log is written by deno task submit; repair or delete the line",
        });
      }
      if (rec.event === "start") out.start ??= rec as StartEvent;
      else if (rec.event === "case") {
        const c = rec as CaseEvent;
        byFile.set(c.file, c);
      } else if (rec.event === "end") end = rec as EndEvent;
      else if (rec.event === "budget-stop") out.budgetStopped = true;
    }
    if (end) out.ends.push(end);
  }
  out.cases = [...byFile.values()].sort((a, b) => a.file.localeCompare(b.file));
  return out;
}

/** The run's measured time and memory, merged over shards. */
export interface RunTiming {
  /** Wall time of the run (the longest shard). */
  seconds: number;
  /** Peak resident memory over the shards. */
  peakRssBytes: number;
  /** Per view: written cases, mean seconds per case and per reconstructed slice. */
  perView: Record<string, ViewTiming>;
  /** The time-budget verdict of the first `end` record that has one. */
  budget?: BudgetVerdict;
}

/**
 * Time and memory of a run from its logs: per view from the written case records (so a
 * resumed run counts every file it wrote, not only the last session's), peak memory and
 * wall time from the `end` records.
 */
export function runTiming(log: RunLog): RunTiming {
  const perView: Record<string, ViewTiming> = viewTimings(
    log.cases.filter((c) => c.status === "written").map((c) => ({
      view: c.view,
      seconds: c.seconds,
      slices: c.slices ?? 1,
      geometry: c.geometry,
    })),
  );
  return {
    seconds: Math.max(0, ...log.ends.map((e) => e.seconds)),
    peakRssBytes: Math.max(0, ...log.ends.map((e) => e.peakRssBytes)),
    perView,
    budget: log.ends.map((e) => e.budget).find((b) => b),
  };
}
