/**
 * Printing every command shares: errors as users should see them (message and fix, no stack
 * for cmrxkit's own), the line saying where a submission's task, split and edition came from,
 * score tables and the leaderboard record, the progress lines and end-of-run summary of a
 * submit run, and the HTML report of a run. Everything here writes lines to stdout (errors to stderr); nothing here
 * decides anything a library function could.
 *
 * @module
 */

import { formatProblem } from "../src/challenge/problem_text.ts";
import { Leaderboard } from "../src/challenge/leaderboard.ts";
import type { ScoreReport } from "../src/challenge/score.ts";
import { formatReport } from "../src/challenge/validate/report.ts";
import { CmrxError, UsageError } from "../src/errors.ts";
import { formatBytes, formatDuration } from "../src/format.ts";
import type { ContextSource, SubmissionContext } from "../src/pipeline/context.ts";
import { RUN_MANIFEST } from "../src/pipeline/run_manifest.ts";
import type { SubmitOptions, SubmitSummary } from "../src/pipeline/submit.ts";
import type { TimeBudget } from "../src/pipeline/budget.ts";
import { Progress } from "../src/progress.ts";
import { buildReport, type ReportOptions, type ReportResult } from "../src/report/build.ts";

export { formatBytes, formatDuration };

/** Prints an error the way users should see it: message and fix, no stack for ours. */
export function reportError(e: unknown): number {
  if (e instanceof CmrxError) {
    console.error(`error: ${e.message}`);
    return e instanceof UsageError ? 2 : 1;
  }
  console.error("internal error (please report it with the command you ran):");
  console.error(e instanceof Error ? e.stack ?? e.message : String(e));
  return 70;
}

/** Where a value came from, in the words of {@link contextLine}. */
function sourceText(s: ContextSource, manifestPath?: string): string {
  switch (s.from) {
    case "flag":
      return s.flag;
    case "manifest":
      return `run manifest ${manifestPath ?? RUN_MANIFEST}`;
    case "content":
      return `content: ${s.evidence}`;
    case "default":
      return "default";
  }
}

/**
 * One line saying what was used and where it came from, e.g. `submission: task cine, split
 * validation, 2023 rules (from the run manifest out/cmrxkit-run.json)` or, with mixed sources,
 * `submission: task cine (content: Cine files only), split validation (--split), 2023 rules
 * (default)`.
 */
export function contextLine(ctx: SubmissionContext): string {
  const items: [string, ContextSource][] = [
    [`task ${ctx.task}`, ctx.sources.task],
    [`split ${ctx.split}`, ctx.sources.split],
    [`${ctx.year} rules`, ctx.sources.year],
  ];
  if (ctx.coil && ctx.sources.coil) items.push([`coil ${ctx.coil}`, ctx.sources.coil]);
  if (ctx.acc && ctx.sources.acc) items.push([`acc ${ctx.acc.join(",")}`, ctx.sources.acc]);
  const texts = items.map(([, s]) => sourceText(s, ctx.manifestPath));
  if (texts.every((t) => t === texts[0])) {
    return `submission: ${items.map(([v]) => v).join(", ")} (from ${
      texts[0] === "default" ? "the defaults" : `the ${texts[0]}`
    })`;
  }
  return `submission: ${items.map(([v], i) => `${v} (${texts[i]})`).join(", ")}`;
}

/** Four decimals; `-` for a value that could not be computed (nothing scored). */
export const f4 = (x: number | null | undefined) =>
  x === null || x === undefined || Number.isNaN(x)
    ? "-"
    : Number.isFinite(x)
    ? x.toFixed(4)
    : String(x);

/** Prints the per-group tables and the aggregate of a report, then what is incomplete. */
export function printReport(r: ScoreReport): void {
  if (r.edition) printEditionResults(r);
  for (const task of ["cine", "mapping"] as const) {
    const modality = task === "cine" ? "Cine" : "Mapping";
    const groups = r.groups.filter((g) => g.modality === modality);
    if (groups.length === 0) continue;
    const scored = groups.reduce((n, g) => n + g.files, 0);
    if (scored === 0) {
      const expected = groups.reduce((n, g) => n + g.expected, 0);
      console.log(`\n${modality} (${r.split}, ${r.year} rules): no file scored (0/${expected})`);
      continue;
    }
    console.log(`\n${modality} (${r.split}, ${r.year} rules)`);
    console.log(
      `  ${"coil".padEnd(10)} ${"view".padEnd(5)} ${"acc".padEnd(12)} ${"files".padStart(7)} ${
        "SSIM".padStart(8)
      } ${"PSNR".padStart(8)} ${"NMSE".padStart(8)}`,
    );
    for (const g of groups.sort((a, b) => a.acc - b.acc || a.view.localeCompare(b.view))) {
      console.log(
        `  ${g.coil.padEnd(10)} ${g.view.padEnd(5)} ${
          `AccFactor${String(g.acc).padStart(2, "0")}`.padEnd(12)
        } ${`${g.files}/${g.expected}`.padStart(7)} ${f4(g.ssim).padStart(8)} ${
          f4(g.psnr).padStart(8)
        } ${f4(g.nmse).padStart(8)}`,
      );
    }
    const a = r.aggregate[task]!;
    for (const [acc, m] of Object.entries(a.byAcc)) {
      console.log(
        `  ${"mean of views".padEnd(17)} ${acc.padEnd(12)} ${"".padStart(7)} ${
          f4(m.ssim).padStart(8)
        } ${f4(m.psnr).padStart(8)} ${f4(m.nmse).padStart(8)}`,
      );
    }
    console.log(
      `  ${modality}_SSIM ${f4(a.ssim)}  ${modality}_PSNR ${f4(a.psnr)}  ${modality}_NMSE ${
        f4(a.nmse)
      }  (${a.files}/${a.expected} files)`,
    );
  }
  if (r.maps) printMaps(r.maps);
  if (r.missing.length) {
    console.log(`\nmissing ${r.missing.length} file(s) (not scored, as the official scorer does):`);
    for (const m of r.missing.slice(0, 20)) console.log(`  ${m}`);
    if (r.missing.length > 20) console.log(`  ... and ${r.missing.length - 20} more`);
  }
  if (r.malformed.length) {
    console.log(`\nmalformed ${r.malformed.length} file(s) (not scored):`);
    for (const m of r.malformed.slice(0, 20)) {
      console.log(`  ${m.file}: ${m.reason}\n    fix: ${m.fix}`);
    }
    if (r.malformed.length > 20) console.log(`  ... and ${r.malformed.length - 20} more`);
  }
  for (const p of r.truthProblems ?? []) {
    console.error(`error: ${formatProblem(p, { note: "truth entry" })}`);
  }
  const verdict = incompleteVerdict(r);
  if (verdict) console.log(`\n${verdict}`);
}

/**
 * The official result keys of a 2024/2025 report, one task after the other, as the year's
 * `results.json` holds them (numbers as given, null as `null`), then the files the scorer does
 * not read.
 */
function printEditionResults(r: ScoreReport): void {
  const e = r.edition!;
  for (const res of e.results) {
    console.log(
      `\n${res.task} (${r.split}, ${r.year} rules, ${e.aggregation} leaderboard keys)` +
        (e.cases && e.aggregation === "2025" ? `; case table ${e.cases}` : ""),
    );
    const width = Math.max(...Object.keys(res.keys).map((k) => k.length));
    for (const [k, v] of Object.entries(res.keys)) {
      console.log(`  ${k.padEnd(width)}  ${v === null ? "null" : String(v)}`);
    }
    if (res.unmatched?.length) {
      console.log(
        `  ${res.unmatched.length} scored file(s) of cases not in the case table ` +
          `(TaskR1: Unknown_Unknown, not in the means; others: no disease): ${
            res.unmatched.slice(0, 3).join(", ")
          }${res.unmatched.length > 3 ? ", ..." : ""}`,
      );
    }
  }
  if (e.extra.length) {
    console.log(`\n${e.extra.length} file(s) the ${r.year} scorer does not read (not scored):`);
    for (const f of e.extra.slice(0, 20)) console.log(`  ${f}`);
    if (e.extra.length > 20) console.log(`  ... and ${e.extra.length - 20} more`);
  }
}

/**
 * `INCOMPLETE: ...` saying why the aggregate does not cover every case of the truth, or
 * null when it does.
 */
export function incompleteVerdict(r: ScoreReport): string | null {
  const why = [
    r.truthProblems?.length
      ? `${r.truthProblems.length} truth entr${
        r.truthProblems.length === 1 ? "y" : "ies"
      } cannot be read`
      : "",
    r.missing.length ? `${r.missing.length} file(s) missing` : "",
    r.malformed.length ? `${r.malformed.length} file(s) malformed` : "",
  ].filter(Boolean);
  if (!why.length) return null;
  const fix = r.truthProblems?.length
    ? "repair the truth entries named above and score again"
    : r.malformed.length
    ? `fix the files named above (deno task validate ${r.submission} --input DATASET checks ` +
      "them all), then score again"
    : "reconstruct the missing files (deno task submit resumes), then score again";
  return `INCOMPLETE: ${
    why.join(", ")
  }; the scores above cover only the files scored\n  fix: ${fix}`;
}

/**
 * The report without the tasks that scored no file (their aggregates are NaN): what may go
 * on the leaderboard. Null when no task scored a file.
 */
export function recordable(r: ScoreReport): ScoreReport | null {
  if (r.edition) {
    const results = r.edition.results.filter((x) => x.files > 0 && x.main.ssim !== null);
    return results.length ? { ...r, edition: { ...r.edition, results } } : null;
  }
  const aggregate: ScoreReport["aggregate"] = {};
  for (const task of ["cine", "mapping"] as const) {
    const a = r.aggregate[task];
    if (a && a.files > 0 && Number.isFinite(a.ssim)) aggregate[task] = a;
  }
  return Object.keys(aggregate).length ? { ...r, aggregate } : null;
}

/** Prints the map accuracy table of a report. */
export function printMaps(m: NonNullable<ScoreReport["maps"]>): void {
  if (m.groups.length) {
    const truth = m.groups.some((g) => g.rmseTruth !== undefined);
    console.log(`\nMap accuracy in the myocardium, ms (labels: ${m.labels})`);
    console.log(
      `  ${"coil".padEnd(10)} ${"map".padEnd(4)} ${"acc".padEnd(12)} ${"files".padStart(5)} ${
        "RMSE".padStart(8)
      } ${"MAE".padStart(8)}${
        truth ? `  ${"RMSE true".padStart(9)} ${"MAE true".padStart(9)}` : ""
      }`,
    );
    const f1 = (x: number | undefined) => (x === undefined ? "-" : x.toFixed(1));
    for (const g of m.groups) {
      console.log(
        `  ${g.coil.padEnd(10)} ${g.view.padEnd(4)} ${
          `AccFactor${String(g.acc).padStart(2, "0")}`.padEnd(12)
        } ${String(g.files).padStart(5)} ${f1(g.rmse).padStart(8)} ${f1(g.mae).padStart(8)}${
          truth ? `  ${f1(g.rmseTruth).padStart(9)} ${f1(g.maeTruth).padStart(9)}` : ""
        }`,
      );
    }
    console.log(
      "  (RMSE / MAE against the map fitted to the reference images; 'true': against the " +
        "phantom's T1/T2)",
    );
  }
  if (m.skipped.length) {
    console.log(`\nmaps not scored for ${m.skipped.length} file(s):`);
    for (const s of m.skipped.slice(0, 10)) console.log(`  ${s.file}: ${s.reason}`);
  }
}

/**
 * Records a report on the leaderboard, or says why it is not recorded: no NaN row (a task
 * that scored no file is left out; nothing at all when no task scored), and nothing when
 * truth entries cannot be read. Missing or malformed files: recorded marked incomplete.
 */
export function recordScore(
  report: ScoreReport,
  opts: { db?: string; name: string; model?: string },
): void {
  if (report.truthProblems?.length) {
    console.log(
      "\nnot recorded on the leaderboard: the truth is incomplete (entries above cannot be read)",
    );
    return;
  }
  const r = recordable(report);
  if (!r) {
    console.log("\nnot recorded on the leaderboard: no file was scored");
    return;
  }
  using lb = new Leaderboard(opts.db);
  const meta = {
    name: opts.name,
    model: opts.model,
    submission: report.submission,
    incomplete: report.incomplete,
  };
  lb.record(r, meta);
  const left = (["cine", "mapping"] as const).filter((t) => report.aggregate[t] && !r.aggregate[t]);
  console.log(
    `\nrecorded as '${opts.name}'${report.incomplete ? " (marked incomplete)" : ""}${
      left.length ? ` (${left.join(", ")}: nothing scored, not recorded)` : ""
    } on the leaderboard (${lb.path})`,
  );
}

/**
 * The progress callbacks of a submit run as `deno task submit` and the image print them: a
 * resume line, one progress line ticking per case (file, method, seconds), failures and maps
 * that could not be fitted on stderr, and the pipeline's notices.
 */
export function submitProgress(): Pick<SubmitOptions, "onStart" | "onCase" | "onNotice"> {
  let progress: Progress | null = null;
  return {
    onNotice: (message) => console.log(message),
    onStart: (total, skipped) => {
      if (skipped) console.log(`resuming: ${skipped} file(s) already done and verified`);
      progress = new Progress("submit", total, "files");
      if (total === 0) console.log("nothing to do");
    },
    onCase: (e) => {
      if (e.status === "failed") console.error(`\nfailed: ${e.file}: ${e.error}`);
      if (e.mapsError) console.error(`\nno maps for ${e.file}: ${e.mapsError}`);
      progress?.tick(
        1,
        `${e.file.split("/").slice(-3).join("/")} ${e.method} ${e.seconds.toFixed(1)} s`,
      );
    },
  };
}

/** Prints the end-of-run summary. */
export function printSummary(s: SubmitSummary): void {
  console.log(
    `\n${s.cases} file(s): ${s.written} written, ${s.skipped} already done, ${s.failed.length} failed` +
      (s.notReached.length ? `, ${s.notReached.length} not reached (time budget)` : "") +
      ` in ${formatDuration(s.seconds * 1000)}; peak memory ${formatBytes(s.peakRssBytes)}`,
  );
  for (const [view, v] of Object.entries(s.perView)) {
    console.log(
      `  ${view.padEnd(4)} ${v.cases} case(s), ${v.meanSeconds.toFixed(2)} s per case, ${
        v.secondsPerSlice.toFixed(2)
      } s per slice`,
    );
  }
  const gpu = gpuMemoryLine(s.gpuMemory);
  if (gpu) console.log(gpu);
  for (const f of s.failed) console.log(`  failed: ${f.file}: ${f.error}`);
  if (s.notReached.length) {
    console.log(`  stopped before the time budget ran out; missing:`);
    for (const m of s.notReached.slice(0, 10)) console.log(`    ${m}`);
    if (s.notReached.length > 10) console.log(`    ... and ${s.notReached.length - 10} more`);
  }
  if (s.budget) {
    const b = s.budget;
    console.log(
      `time budget ${formatDuration(b.budgetSeconds * 1000)}: the test set would take about ${
        formatDuration(b.estimateSeconds * 1000)
      } (${(100 * b.fraction).toFixed(0)}%): ${
        b.verdict === "fits"
          ? b.reliable ? "fits, with margin" : "fits"
          : b.verdict === "tight"
          ? "TIGHT: under 20% margin"
          : "DOES NOT FIT"
      }${b.reliable ? "" : ` (${b.warning})`}\n  (${b.basis})` + budgetNotes(b),
    );
  }
  if (s.validation) console.log(formatReport(s.validation, { limit: 20 }));
  if (s.validationError) console.log(`validation could not run: ${s.validationError}`);
  if (s.zip) console.log(`zipped: ${s.zip}`);
}

/**
 * The lines of a budget verdict after its basis: where the budget comes from (the edition's
 * limit and its source, with `--time-budget edition`) and a conflict between the edition's
 * pages (2024: 12 h vs 4 h).
 */
export function budgetNotes(b: NonNullable<SubmitSummary["budget"]>): string {
  return (b.budgetFrom && b.budgetFrom !== "--time-budget" ? `\n  budget: ${b.budgetFrom}` : "") +
    (b.conflict ? `\n  note: ${b.conflict}` : "");
}

/**
 * The GPU memory line of a run summary: the peak `nvidia-smi` measured beside the static
 * estimate and the limit, or, where nothing was sampled, the estimate called an estimate;
 * null when there is neither (no ONNX model ran and no GPU was sampled).
 */
export function gpuMemoryLine(g: SubmitSummary["gpuMemory"] | undefined): string | null {
  if (!g || (g.peakBytes === null && g.estimateBytes === null)) return null;
  const limit = `limit ${formatBytes(g.limitBytes)}`;
  const est = g.estimateBytes === null ? null : formatBytes(g.estimateBytes);
  if (g.peakBytes !== null) {
    return `GPU memory: peak ${formatBytes(g.peakBytes)} measured (${g.sampling})` +
      `${est ? `; static estimate ${est}` : ""}; ${limit}`;
  }
  return `GPU memory: ${g.sampling}; the static estimate of the models' peak is ${est} ` +
    `(weights + activations, an estimate, not a measurement); ${limit}`;
}

/**
 * Whether a submit run ended well: every case written or verified, none left for the time
 * budget, and the result valid (or not validated).
 */
export function summaryOk(s: SubmitSummary): boolean {
  return s.failed.length === 0 && s.notReached.length === 0 && !s.validationError &&
    (s.validation?.ok ?? true);
}

/** Progress lines for {@link buildReport}: one bar per stage. */
export function reportProgress(): NonNullable<ReportOptions["onProgress"]> {
  let bar: Progress | null = null;
  let stage = "";
  return (s, done, total) => {
    if (s !== stage || !bar) {
      stage = s;
      bar = new Progress(s, total, "files");
    }
    bar.update(done);
  };
}

/** Prints where the report is and what it could not show. */
export function printReportResult(r: ReportResult): void {
  console.log(`report: ${r.index} (${r.images} images); open it in a browser`);
  if (r.warnings.length) {
    console.log(`  ${r.warnings.length} note(s), listed at the end of the page:`);
    for (const w of r.warnings.slice(0, 5)) console.log(`    ${w}`);
    if (r.warnings.length > 5) console.log(`    ... and ${r.warnings.length - 5} more`);
  }
}

/**
 * `deno task submit --report`: the report of the run just made, in `<output>/report`, with
 * the truth given or `<input>/GroundTruth` when it exists. Returns false (after printing
 * why) when it could not be written.
 */
export async function reportForRun(
  o: { output: string; input: string; truth?: string; timeBudget?: TimeBudget },
): Promise<boolean> {
  let truth = o.truth;
  if (truth === undefined) {
    try {
      if ((await Deno.stat(`${o.input}/GroundTruth`)).isDirectory) truth = `${o.input}/GroundTruth`;
    } catch { /* no ground truth beside the input */ }
  }
  try {
    const r = await buildReport({
      runs: [o.output],
      input: o.input,
      truth,
      out: `${o.output.replace(/\/+$/, "")}/report`,
      timeBudget: o.timeBudget,
      onProgress: reportProgress(),
    });
    printReportResult(r);
    return true;
  } catch (e) {
    if (!(e instanceof CmrxError)) throw e;
    console.error(`report not written: ${e.message}`);
    return false;
  }
}
