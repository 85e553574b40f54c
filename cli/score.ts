/**
 * `deno task score --submission DIR --truth DIR`: score a submission like the leaderboard.
 *
 * @module
 */

import { Leaderboard } from "../src/challenge/leaderboard.ts";
import { type Year, YEARS } from "../src/challenge/reduce.ts";
import { type ScoreReport, scoresCsv, scoreSubmission } from "../src/challenge/score.ts";
import { UsageError } from "../src/errors.ts";
import { Progress } from "../src/progress.ts";
import { type Command, formatDuration, parseFlags } from "./command.ts";

const f4 = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : String(x));

/** Prints the per-group tables and the aggregate of a report. */
export function printReport(r: ScoreReport): void {
  for (const task of ["cine", "mapping"] as const) {
    const modality = task === "cine" ? "Cine" : "Mapping";
    const groups = r.groups.filter((g) => g.modality === modality);
    if (groups.length === 0) continue;
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
    for (const m of r.malformed.slice(0, 20)) console.log(`  ${m.file}: ${m.reason}`);
  }
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

/** Parses --year. */
export function yearFlag(command: string, value: string | undefined): Year {
  const y = Number(value ?? 2023) as Year;
  if (!YEARS.includes(y)) {
    throw new UsageError(`${command}: --year must be one of ${YEARS.join(", ")}`);
  }
  return y;
}

export const score: Command = {
  name: "score",
  summary:
    "score a submission against ground truth exactly like the leaderboard (SSIM, PSNR, NMSE)",
  help:
    `Usage: deno task score --submission DIR --truth DIR [--year 2023|2024|2025] [--split validation|test]
                        [--task cine|mapping|both] [--acc 4,8,10] [--json FILE] [--csv FILE]
                        [--name NAME] [--model MODEL] [--no-record] [--db FILE]
                        [--labels DIR | --no-maps] [--times ROOT]

--submission  the folder holding Submission/ (or the Submission folder itself)
--truth       a dataset root with FullSample k-space for the split (cmrxkit computes the
              reference: centred IFFT, root-sum-of-squares, ranking reduction), e.g. the
              GroundTruth folder of 'deno task synth' (or its parent), or a folder of official
              ground-truth img4ranking files
--year        metric rules: 2023 divide by max, 2024 z-score, 2025 99.5th percentile, with
              each year's argument order (default 2023); aggregation follows the 2023 scorer:
              per file, per group, better of multi/single coil, mean of views, mean of accs
--json FILE   {"files": [{"file", "ssim", "psnr", "nmse", "images"}], "groups": [...],
              "aggregate": {...}, "missing": [...], "malformed": [...]}
--csv FILE    one row per scored file
--labels DIR  map accuracy of mapping files: T1/T2 maps are fitted to the submitted and the
              reference images (MOLLI with polarity restoration / T2-prep, times from the
              T1map.csv / T2map.csv beside the truth, or under --times ROOT) and compared in
              the myocardium (label 2): RMSE and MAE in ms. DIR holds the labels 'deno task
              synth' writes (Labels/, with the true T1/T2 too) or official-form NIfTI files
              (.../SegmentROI/Pxxx/T1map_label.nii.gz). Default: the Labels folder beside
              the truth, when there is one; --no-maps turns it off
The run is recorded on the local leaderboard (see 'deno task leaderboard --help') under
--name (default: the submission folder name) unless --no-record is given.`,
  async run(args) {
    const { values } = parseFlags("score", args, {
      submission: { type: "string" },
      truth: { type: "string" },
      year: { type: "string" },
      split: { type: "string", default: "validation" },
      task: { type: "string", default: "both" },
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
    });
    if (!values.submission || !values.truth) {
      throw new UsageError("score: --submission DIR and --truth DIR are required", {
        hint: "deno task score --submission out --truth data/GroundTruth",
      });
    }
    if (values.split !== "validation" && values.split !== "test") {
      throw new UsageError("score: --split must be validation or test");
    }
    if (!["cine", "mapping", "both"].includes(values.task!)) {
      throw new UsageError("score: --task must be cine, mapping or both");
    }
    const accs = values.acc?.split(",").map(Number);
    if (accs?.some((a) => !Number.isInteger(a) || a < 1)) {
      throw new UsageError("score: --acc takes a list like 4,8,10");
    }
    const t0 = performance.now();
    let progress: Progress | null = null;
    const report = await scoreSubmission({
      submission: values.submission,
      truth: values.truth,
      year: yearFlag("score", values.year),
      split: values.split,
      task: values.task as "cine" | "mapping" | "both",
      accs,
      labels: values["no-maps"] ? false : values.labels,
      timesRoots: values.times ? [values.times] : undefined,
      onFile: (done, total) => {
        progress ??= new Progress("score", total, "files");
        progress.tick(1);
        void done;
      },
    });
    printReport(report);
    if (values.json) await Deno.writeTextFile(values.json, JSON.stringify(report, null, 1) + "\n");
    if (values.csv) await Deno.writeTextFile(values.csv, scoresCsv(report));
    if (!values["no-record"]) {
      using lb = new Leaderboard(values.db);
      const name = values.name ?? values.submission.replace(/\/+$/, "").split("/").pop()!;
      lb.record(report, { name, model: values.model });
      console.log(`\nrecorded as '${name}' on the leaderboard (${lb.path})`);
    }
    console.log(`scored ${report.files.length} files in ${formatDuration(performance.now() - t0)}`);
    return report.files.length > 0 ? 0 : 1;
  },
};

export const leaderboard: Command = {
  name: "leaderboard",
  summary: "rank the locally scored runs the way the challenge does",
  help:
    `Usage: deno task leaderboard [--task cine|mapping|both] [--year 2023] [--split validation|test]
                              [--limit N] [--db FILE] [--remove ID]

Ranks every run recorded by 'deno task score' by SSIM (the challenge's primary metric),
ties by PSNR then NMSE. Runs that scored fewer files than expected are marked with '!'.
The store is a SQLite file: $CMRXKIT_HOME/leaderboard.sqlite, else
$XDG_CACHE_HOME/cmrxkit/leaderboard.sqlite, else ~/.cache/cmrxkit/leaderboard.sqlite.`,
  run(args) {
    const { values } = parseFlags("leaderboard", args, {
      task: { type: "string", default: "both" },
      year: { type: "string" },
      split: { type: "string" },
      limit: { type: "string" },
      db: { type: "string" },
      remove: { type: "string" },
    });
    using lb = new Leaderboard(values.db);
    if (values.remove) {
      const ok = lb.remove(Number(values.remove));
      console.log(ok ? `removed run ${values.remove}` : `no run ${values.remove}`);
      return Promise.resolve(ok ? 0 : 1);
    }
    const tasks = values.task === "both"
      ? ["cine", "mapping"] as const
      : [values.task as "cine" | "mapping"];
    console.log(`leaderboard: ${lb.path}`);
    for (const task of tasks) {
      const rows = lb.ranked({
        task,
        year: values.year ? yearFlag("leaderboard", values.year) : undefined,
        split: values.split,
        limit: values.limit ? Number(values.limit) : undefined,
      });
      console.log(`\n${task === "cine" ? "Cine" : "Mapping"}: ${rows.length} run(s)`);
      if (rows.length === 0) continue;
      console.log(
        `  ${"#".padStart(3)} ${"name".padEnd(24)} ${"model".padEnd(14)} ${"SSIM".padStart(7)} ${
          "PSNR".padStart(8)
        } ${"NMSE".padStart(7)} ${"files".padStart(9)}  ${"date".padEnd(16)} id`,
      );
      rows.forEach((r, i) => {
        const flag = r.files < r.expected ? "!" : " ";
        console.log(
          `  ${String(i + 1).padStart(3)} ${r.name.slice(0, 24).padEnd(24)} ${
            r.model.slice(0, 14).padEnd(14)
          } ${f4(r.ssim ?? NaN).padStart(7)} ${f4(r.psnr ?? NaN).padStart(8)} ${
            f4(r.nmse ?? NaN).padStart(7)
          } ${`${r.files}/${r.expected}`.padStart(8)}${flag}  ${
            r.date.slice(0, 16).replace("T", " ")
          } ${r.id}  (${r.year}, ${r.split})`,
        );
      });
    }
    return Promise.resolve(0);
  },
};
