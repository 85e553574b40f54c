/**
 * `deno task submit --task cine --split validation`: reconstruct a split and write a
 * compliant submission.
 *
 * @module
 */

import { formatReport } from "../src/challenge/validate.ts";
import { UsageError } from "../src/errors.ts";
import {
  parseDuration,
  parseShard,
  submit,
  type SubmitOptions,
  type SubmitSummary,
} from "../src/pipeline/submit.ts";
import { Progress } from "../src/progress.ts";
import { parseBytes, parseDevice } from "../src/engine/session.ts";
import { listModels, SHIPPED_MODELS } from "../src/models/registry.ts";
import { checkModel, createSelector } from "../src/pipeline/select.ts";
import { defaultMethodFor, methodNames } from "../src/recon/registry.ts";
import { datasetFilters } from "./cases.ts";
import { type Command, formatBytes, formatDuration, intFlag, parseFlags } from "./command.ts";
import { yearFlag } from "./score.ts";
import { reportForRun } from "./report.ts";

export const submitCommand: Command = {
  name: "submit",
  summary: "reconstruct a split and write, validate (and zip) a compliant submission",
  help:
    `Usage: deno task submit --task cine|mapping|both --split validation|test [--input ROOT] [--output DIR]
                        [--model NAME] [--coil multi|single|both] [--acc 4,8,10] [--year 2023]
                        [--shard i/n] [--time-budget 4h] [--force] [--zip --team NAME] [--maps]

  --input ROOT     dataset root holding MultiCoil/ (default: .)
  --output DIR     where Submission/ is written (default: out; created with its parents); a
                   re-run resumes: files that already verify (variable, class, dims, finite)
                   are skipped, when DIR/cmrxkit-run.json says the same model, options and
                   input made them. One run per folder (and shard) at a time: a lock file
                   DIR/cmrxkit-run*.lock names the run holding it
  --model NAME     for every case: an ONNX model name, a manifest path, or a classical
                   method (${methodNames().join(", ")}). Default: per case, the first ONNX
                   model whose manifest serves it (deno task models), else
                   ${defaultMethodFor("MultiCoil")} (multi-coil) / ${
      defaultMethodFor("SingleCoil")
    } (single-coil)
  --models DIR     where ONNX models and manifests are (default: the shipped models/)
  --device D       auto (default: CUDA when its provider and a GPU are present), cpu, cuda[:N]
  --vram-limit S   GPU memory a model may use, default 24GiB (the 2023 challenge GPU): a
                   model whose estimated peak exceeds it fails here, not at the organisers'
  --threads N      onnxruntime intra-op threads
  --workers N      slices reconstructed in parallel by classical methods (default: the cores)
  --split          validation: official run4Ranking reduction (only the two scored slices are
                   reconstructed); test: full-size images, no reduction (2023 rules)
  --shard i/n      do shard i of n (1-based): n runs (GPUs, nodes) share a split, balanced by
                   work (per case, from its header: slices reconstructed x frames x pixels x
                   coils); disjoint and complete; validate/zip after the last merge
  --time-budget T  e.g. 4h: scales the measured time per pixel, frame and coil to the real
                   sizes of the 2023 test set of the task and says whether it fits (and
                   whether the estimate is reliable); stops cleanly before exceeding it
  --force          recompute files that already exist and rewrite DIR/cmrxkit-run.json
                   (needed to reuse a folder written with another model, options or input)
  --zip            zip the result into DIR/Submission.zip (needs --team NAME)
  --log FILE       JSON-lines run log (default DIR/run-log.jsonl)
  --maps           also fit T1/T2 maps of each mapping file (MOLLI / T2-prep, times from its
                   csv) and write them to DIR/Maps/<submission path> (MAT v5: T1 or T2, ...)
  --report         also write an HTML report of the run to DIR/report (deno task report)
  --truth DIR      ground truth of --report (default: ROOT/GroundTruth when it exists)

Example:
  deno task submit --task cine --split validation --input data --output out`,
  async run(args) {
    const { values } = parseFlags("submit", args, {
      task: { type: "string", default: "both" },
      split: { type: "string", default: "validation" },
      input: { type: "string", default: "." },
      output: { type: "string", default: "out" },
      model: { type: "string" },
      coil: { type: "string" },
      acc: { type: "string" },
      year: { type: "string" },
      shard: { type: "string" },
      "time-budget": { type: "string" },
      force: { type: "boolean", default: false },
      zip: { type: "boolean", default: false },
      team: { type: "string" },
      log: { type: "string" },
      models: { type: "string" },
      device: { type: "string", default: "auto" },
      "vram-limit": { type: "string", default: "24GiB" },
      threads: { type: "string" },
      workers: { type: "string" },
      maps: { type: "boolean", default: false },
      report: { type: "boolean", default: false },
      truth: { type: "string" },
    });
    const filters = datasetFilters("submit", values);
    if (values.split !== "validation" && values.split !== "test") {
      throw new UsageError(
        "submit: --split must be validation or test (training data is for training)",
      );
    }
    if (values.zip && !values.team) {
      throw new UsageError(
        "submit: --zip needs --team NAME (the rules ask for readme.txt with the team name)",
      );
    }
    const engineOpts = {
      device: parseDevice(values.device!),
      vramLimitBytes: parseBytes(values["vram-limit"]!),
      intraOpThreads: values.threads ? intFlag("submit", "threads", values.threads, 0) : undefined,
    };
    const models = await listModels(values.models ?? SHIPPED_MODELS);
    await checkModel(values.model, models); // before anything is created
    const selector = createSelector({
      override: values.model,
      models,
      engine: engineOpts,
      onNotice: (notice) => console.error(notice),
    });
    let progress: Progress | null = null;
    const summary = await submitReleasing(selector, {
      input: values.input!,
      output: values.output!,
      task: (filters.task ?? "both") as "cine" | "mapping" | "both",
      split: values.split,
      coil: filters.coil,
      acc: filters.acc,
      year: yearFlag("submit", values.year),
      shard: values.shard ? parseShard(values.shard) : undefined,
      timeBudget: values["time-budget"] ? parseDuration(values["time-budget"]) : undefined,
      force: values.force,
      zip: values.zip ? { team: values.team! } : undefined,
      log: values.log,
      select: (c) => selector.select(c),
      model: values.model,
      models,
      command: `deno task submit ${args.join(" ")}`,
      onNotice: (message) => console.log(message),
      workers: values.workers ? intFlag("submit", "workers", values.workers, 1) : undefined,
      maps: values.maps,
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
    });
    printSummary(summary);
    const reported = !values.report || await reportForRun({
      output: values.output!,
      input: values.input!,
      truth: values.truth,
      timeBudget: values["time-budget"] ? parseDuration(values["time-budget"]) : undefined,
    });
    const ok = summary.failed.length === 0 && summary.notReached.length === 0 &&
      !summary.validationError && (summary.validation?.ok ?? true) && reported;
    return ok ? 0 : 1;
  },
};

/** Runs {@link submit} and frees the selector's sessions, also when the run fails. */
async function submitReleasing(
  selector: { release(): Promise<void> },
  opts: SubmitOptions,
): Promise<SubmitSummary> {
  try {
    return await submit(opts);
  } finally {
    await selector.release();
  }
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
      }${b.reliable ? "" : ` (${b.warning})`}\n  (${b.basis})`,
    );
  }
  if (s.validation) console.log(formatReport(s.validation, { limit: 20 }));
  if (s.validationError) console.log(`validation could not run: ${s.validationError}`);
  if (s.zip) console.log(`zipped: ${s.zip}`);
}
