/**
 * `deno task score --submission DIR --truth DIR`: score a submission like the leaderboard.
 *
 * @module
 */

import { modelLabel } from "../src/challenge/leaderboard.ts";
import { editionOf, YEARS } from "../src/challenge/editions/mod.ts";
import { looks2025 } from "../src/challenge/score_editions.ts";
import { type ScoreReport, scoresCsv, scoreSubmission } from "../src/challenge/score.ts";
import { pooledRss } from "../src/pipeline/reference.ts";
import { SlicePool } from "../src/recon/pool.ts";
import { UsageError } from "../src/errors.ts";
import { submissionContext } from "../src/pipeline/context.ts";
import { Progress } from "../src/progress.ts";
import type { Command } from "./command.ts";
import { accFlag, choice, contextYear, parseFlags, yearFlag } from "./flags.ts";
import { contextLine, formatDuration, printReport, recordScore } from "./print.ts";
import { checkOutputFile, writeTextAtomic } from "../src/output.ts";

/** `deno task score`: scores a submission like the leaderboard and records it. */
export const score: Command = {
  name: "score",
  summary:
    "score a submission against ground truth exactly like the leaderboard (SSIM, PSNR, NMSE)",
  help:
    `Usage: deno task score --submission DIR --truth DIR [--year 2023|2024|2025] [--split validation|test]
                        [--task cine|mapping|both] [--acc 4,8,10] [--json FILE] [--csv FILE]
                        [--name NAME] [--model MODEL] [--no-record] [--db FILE]
                        [--labels DIR | --no-maps] [--times ROOT] [--cases FILE]

--submission  the folder holding Submission/ (or the Submission folder itself)
--truth       a dataset root with FullSample k-space for the split (cmrxkit computes the
              reference: centred IFFT, root-sum-of-squares, ranking reduction), e.g. the
              GroundTruth folder of 'deno task synth' (or its parent), or a folder of official
              ground-truth img4ranking files
--year        (or --edition) the edition whose leaderboard to reproduce. Metric rules: 2023
              divide by max, 2024 z-score, 2025 99.5th percentile, each image by itself, with
              each year's argument order (2024/2025 call calmetric(gt, recon) for 4-D files:
              the normalised submission gives the data range and the NMSE denominator).
              Aggregation, as that year's official scorer:
              2023  per file, per (coil, view, acc) group, better of multi/single coil (max,
                    NMSE included, as the official code), mean of views, mean of accs
              2024  {Modality}/{Split}/TaskN/Pxxx/{stem}_kus_{Pattern}{R}.mat; one result per
                    task (Task1: groups Uniform4/8/10; Task2: ktUniform/ktGaussian/ktRadial,
                    every R pooled), per (modality, mask) group. Keys of results.json:
                    Num_Files, num_file_*, {Modality}_{mask}_PSNR/SSIM/NMSE, All_*, All_adj.*.
                    Oddities matched: group means are rounded to 4 decimals (numpy, half to
                    even) BEFORE All_* averages them, every group weighing the same; the
                    adjusted value divides the sum over scored files by the expected count (a
                    missing file counts 0); test split: per-file nanmean. Expected files: the
                    masks in the input's Mask_TaskN folders (the input beside the truth's
                    GroundTruth/, or the run manifest's), else Uniform4/8/10 and one file per
                    kt pattern; other files are listed and not read
              2025  {TaskXX}/MultiCoil/{Modality}/{Split}/UnderSample_{TaskXX}/{Center}/{Vendor}/
                    Pxxx/{stem}_kus_{Pattern}{R}.mat; one result per task folder; groups:
                    TaskR1 centre and vendor, TaskR2/S1/S2 disease, from --cases. Keys:
                    Num_Files, {group}_Num, {group}_PSNR/SSIM/NMSE_adj,
                    Mean_of_all_{centers|diseases}_*_adj. Oddities matched: groups with
                    nothing scored are dropped (no key, not in the mean); PSNR/SSIM_adj =
                    sum / expected, NMSE_adj = mean NMSE x (2 - scored/expected); the means
                    over groups use the unrounded values; an extra file (a submitted file
                    without ground truth) stops scoring ('Extra file submitted'): nothing is
                    scored; a TaskR2 Mapping Center004/UIH_30T_umr780 folder is read as
                    UIH_15T_umr680. Missing files only lower scored/expected
--cases FILE  2025: the organisers' case table for the grouping, as csv: the task's sheet of
              their disease-info workbook with the columns Center,Manufacturer,AnonPatientID
              (Disease1..Disease4 for TaskR2/S1/S2; an optional Task column lets one file
              serve every task). Default: GroupTable.csv in the truth root, its GroundTruth/
              or its parent ('deno task synth --edition 2025' writes a synthetic one in
              GroundTruth/)
--task, --split, --year, --acc
              default: what the run manifest that 'deno task submit' wrote beside
              Submission/ says, else what the folder holds (Cine / Mapping files,
              ValidationSet / TestSet), else both tasks, validation, 2023; the line
              'submission: ...' says what was used and where it came from. A test-split
              submission is scored against TestSet ground truth (the organisers hold it;
              'deno task synth --test' writes a local one). A folder holding TaskR1.. folders
              is scored as 2025. 2024/2025 ignore --acc. Without a manifest, --acc is
              4,8,10 plus any other AccFactorNN folder the submission holds (e.g.
              AccFactor24). Only the coil tracks the submission holds (MultiCoil/,
              SingleCoil/) are expected: both are optional (2023 FAQ)
--json FILE   {"files": [{"file", "ssim", "psnr", "nmse", "images"}], "groups": [...],
              "aggregate": {...}, "missing": [...], "malformed": [...],
              "truthProblems": [...], "incomplete": bool}; 2024/2025 add "edition":
              {"aggregation", "results": [{"task", "keys" (the official results.json keys),
              "main", "files", "expected", "groups"}], "extra", "cases"}
--csv FILE    one row per scored file
--labels DIR  map accuracy of mapping files: T1/T2 maps are fitted to the submitted and the
              reference images (MOLLI with polarity restoration / T2-prep, times from the
              T1map.csv / T2map.csv beside the truth, or under --times ROOT) and compared in
              the myocardium (label 2): RMSE and MAE in ms. DIR holds the labels 'deno task
              synth' writes (Labels/, with the true T1/T2 too) or official-form NIfTI files
              (.../SegmentROI/Pxxx/T1map_label.nii.gz). Default: the Labels folder beside
              the truth, when there is one; --no-maps turns it off
--model M     the model column of the leaderboard (default: from the run manifest)

The run is recorded on the local leaderboard (see 'deno task leaderboard --help') under
--name (default: the submission folder name) unless --no-record is given; scoring the same
submission against the same truth again replaces its entry. 2024/2025 record one row per
task of the year (Task1, TaskR1, ...) with its main keys (2024 All_adj.*, 2025
Mean_of_all_*_adj). A task with no file scored is
not recorded. A score with missing or malformed files is recorded marked incomplete ('!');
a score over truth entries that cannot be read is not recorded at all.

--json and --csv are checked before scoring (a missing folder is made).

Exit code 0 when every expected file was scored, 1 when the score is incomplete (files
missing or malformed, truth entries unreadable or holding NaN/Inf), nothing was scored, or
--labels was given and the maps of a file could not be scored (e.g. its label cannot be
read: the label file is named).`,
  async run(args) {
    const { values } = parseFlags("score", args, {
      submission: { type: "string" },
      truth: { type: "string" },
      year: { type: "string" },
      split: { type: "string" },
      task: { type: "string" },
      acc: { type: "string" },
      json: { type: "string" },
      csv: { type: "string" },
      name: { type: "string" },
      model: { type: "string" },
      "no-record": { type: "boolean", default: false },
      db: { type: "string" },
      labels: { type: "string" },
      "no-maps": { type: "boolean", default: false },
      times: { type: "string" },
      cases: { type: "string" },
    });
    if (!values.submission || !values.truth) {
      throw new UsageError("score: --submission DIR and --truth DIR are required", {
        hint: "deno task score --submission out --truth data/GroundTruth",
      });
    }
    const split = values.split === undefined
      ? undefined
      : choice("score", "split", values.split, ["validation", "test"]);
    const task = values.task === undefined
      ? undefined
      : choice("score", "task", values.task, ["cine", "mapping", "both"]);
    const accs = values.acc === undefined ? undefined : accFlag("score", values.acc);
    const ctx = await submissionContext(values.submission, {
      task,
      split,
      year: values.year === undefined ? undefined : yearFlag("score", values.year),
      acc: accs,
    });
    if (ctx.sources.year.from === "default" && await looks2025(values.submission)) {
      ctx.year = 2025;
      ctx.sources.year = { from: "content", evidence: "2025 layout (TaskXX folders at the top)" };
    }
    console.log(contextLine(ctx));
    const year = contextYear("score", ctx, YEARS);
    if (values.cases !== undefined && editionOf(year).aggregation !== "2025") {
      throw new UsageError(`score: --cases is the 2025 case table; the ${year} rules have none`, {
        hint: "leave --cases out, or score with --year 2025",
      });
    }
    // Output locations first: a path that cannot be written must not cost a scoring run.
    for (const [flag, path] of [["--json", values.json], ["--csv", values.csv]] as const) {
      if (!path) continue;
      const example = flag === "--csv" ? "scores.csv" : "scores.json";
      const { createdFolder } = await checkOutputFile(path, { flag, example });
      if (createdFolder) console.log(`created folder ${createdFolder} (for ${flag})`);
    }
    const t0 = performance.now();
    let progress: Progress | null = null;
    using pool = new SlicePool();
    const report = await scoreSubmission({
      rss: pooledRss(pool),
      submission: values.submission,
      truth: values.truth,
      year,
      split: ctx.split,
      task: ctx.task,
      accs: ctx.acc,
      labels: values["no-maps"] ? false : values.labels,
      timesRoots: values.times ? [values.times] : undefined,
      cases: values.cases,
      input: ctx.manifest?.input.path,
      onFile: (done, total) => {
        progress ??= new Progress("score", total, "files");
        progress.tick(1);
        void done;
      },
    });
    printReport(report);
    // Map scoring was asked for: a label that cannot be used is an error, not a footnote.
    const mapErrors = values.labels && !values["no-maps"] ? mapProblems(report) : [];
    for (const e of mapErrors) console.error(e);
    if (values.json) await writeTextAtomic(values.json, JSON.stringify(report, null, 1) + "\n");
    if (values.csv) await writeTextAtomic(values.csv, scoresCsv(report));
    if (!values["no-record"]) {
      const name = values.name ?? values.submission.replace(/\/+$/, "").split("/").pop()!;
      recordScore(report, {
        db: values.db,
        name,
        model: values.model ?? modelLabel(ctx.manifest),
      });
    }
    console.log(`scored ${report.files.length} files in ${formatDuration(performance.now() - t0)}`);
    return report.files.length > 0 && !report.incomplete && mapErrors.length === 0 ? 0 : 1;
  },
};

/**
 * `error: <path>: <reason>\n  fix: <fix>` for each mapping file whose maps could not be
 * scored (a label that cannot be read, none for the case, no times csv, ...), naming the
 * entry at fault when known.
 */
export function mapProblems(r: ScoreReport): string[] {
  return (r.maps?.skipped ?? []).map((s) => {
    const where = s.path ?? s.file;
    const reason = s.reason.startsWith(`${where}: `) ? s.reason.slice(where.length + 2) : s.reason;
    const fix = s.fix ??
      "check the labels under --labels DIR (or score without map accuracy: --no-maps)";
    return `error: ${where}: ${reason} (maps of ${s.file} not scored)\n  fix: ${fix}`;
  });
}
