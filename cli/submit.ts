/**
 * `deno task submit --task cine --split validation`: reconstruct a split and write a
 * compliant submission.
 *
 * @module
 */

import type { EditionLimits } from "../src/challenge/edition.ts";
import { EDITIONS } from "../src/challenge/editions/mod.ts";
import { formatBytes } from "../src/format.ts";
import { submitWithModels } from "../src/pipeline/run.ts";
import { defaultMethodFor, methodNames } from "../src/recon/registry.ts";
import type { Command } from "./command.ts";
import { submitFlags } from "./flags.ts";
import { printSummary, reportForRun, submitProgress, summaryOk } from "./print.ts";

/** `2023 24.0 GiB, 2024 ...`: one limit of every edition, for the help. */
function limitsText(f: (l: EditionLimits) => string): string {
  return EDITIONS.map((e) => `${e.year} ${f(e.limits)}`).join(", ");
}

/**
 * `deno task submit`: the library's `submit()` with the options the flags ask for and a
 * Selector choosing each case's reconstructor; progress, summary and (with `--report`) the
 * HTML report printed. Exit 0 when every case is written or verified, none is left for the
 * time budget, the result is valid and the report (if asked for) was written.
 */
export const submitCommand: Command = {
  name: "submit",
  summary: "reconstruct a split and write, validate (and zip) a compliant submission",
  help:
    `Usage: deno task submit --task cine|mapping|both --split validation|test [--input ROOT] [--output DIR]
                        [--model NAME] [--coil multi|single|both] [--acc 4,8,10] [--year 2023|2024|2025]
                        [--edition Y (same as --year)] [--shard i/n] [--time-budget 4h|edition]
                        [--force] [--zip --team NAME] [--maps]

  --input ROOT     dataset root holding MultiCoil/ (2023, 2024) or TaskR1/... (2025)
                   (default: .)
  --year Y         2023, 2024 or 2025 (--edition Y is the same): the edition's rules and
                   submission tree. Default: the edition the input tree follows (2023:
                   AccFactorNN folders; 2024: UnderSample_TaskN; 2025: TaskR1/.../Center/Vendor);
                   with --year only that edition's cases are run. Writes 2023
                   Submission/MultiCoil/..., 2024 Submission/{Modality}/ValidationSet/TaskN/...,
                   2025 Submission/TaskR1/MultiCoil/{Modality}/ValidationSet/UnderSample_TaskR1/
                   {Center}/{Vendor}/Pxxx/..., with that edition's reduction (validation)
  --output DIR     where Submission/ is written (default: out; created with its parents); a
                   re-run resumes: files that already verify (variable, class, dims, finite)
                   are skipped, when DIR/cmrxkit-run.json says the same model, options and
                   input made them. One run per folder (and shard) at a time: a lock file
                   DIR/cmrxkit-run*.lock names the run holding it
  --model NAME     for every case: an ONNX model name, a manifest path, or a classical
                   method (${methodNames().join(", ")}). Default: per case, the first ONNX
                   model whose manifest serves it (deno task models; a manifest without
                   serves.masks serves the 2023 line masks only, never k-t masks), else
                   ${defaultMethodFor("MultiCoil")} (multi-coil) / ${
      defaultMethodFor("SingleCoil")
    } (single-coil), and ${defaultMethodFor("MultiCoil", "ktGaussian")} for k-t masks
                   (ktUniform, ktGaussian, ktRadial; measured best on them, deno task bench kt).
                   Before the first case every ONNX model the run uses is loaded, checked
                   against its manifest and run once on each image size it will get; a
                   --model that does not serve some cases (its manifest's serves) refuses
                   the run and lists them. Nothing is written when a check fails
  --models DIR     where ONNX models and manifests are (default: the shipped models/)
  --device D       auto (default: CUDA when its provider and a GPU are present, else a
                   hardware WebGPU adapter, else CPU), cpu, webgpu, cuda[:N]
  --vram-limit S   GPU memory a model may use, default the edition's evaluation GPU
                   (${limitsText((l) => formatBytes(l.gpuMemoryBytes))}): a model whose
                   estimated peak exceeds it fails here, not at the organisers'
  --threads N      onnxruntime intra-op threads
  --workers N      slices reconstructed in parallel by classical methods (default: the cores)
  --split          validation: official run4Ranking reduction (only the two scored slices are
                   reconstructed); test: full-size images, no reduction (2023 rules)
  --shard i/n      do shard i of n (1-based): n runs (GPUs, nodes) share a split, balanced by
                   work (per case, from its header: slices reconstructed x frames x pixels x
                   coils); disjoint and complete; validate/zip after the last merge
  --time-budget T  e.g. 4h, or edition: the edition's time per task
                   (${limitsText((l) => `${l.secondsPerTask / 3600} h`)}; 2024's pages
                   conflict, 12 h vs 4 h in its FAQ, and the verdict says so). Scales the
                   measured time per pixel, frame and coil to the sizes of the edition's test
                   set of the task and says whether it fits (and whether the estimate is
                   reliable; the counts and sizes the organisers did not publish are
                   assumptions the verdict names); stops cleanly before exceeding it
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
    const f = submitFlags("submit", args);
    const input = f.input ?? ".", output = f.output ?? "out";
    const summary = await submitWithModels({
      ...f.options,
      ...submitProgress(),
      input,
      output,
      task: f.task ?? "both",
      split: f.split ?? "validation",
      model: f.model,
      modelsDir: f.modelsDir,
      engine: f.engine,
      onEngineNotice: (notice) => console.error(notice),
      command: `deno task submit ${args.join(" ")}`,
    });
    printSummary(summary);
    const reported = !f.report ||
      await reportForRun({ output, input, truth: f.truth, timeBudget: f.options.timeBudget });
    return summaryOk(summary) && reported ? 0 : 1;
  },
};
