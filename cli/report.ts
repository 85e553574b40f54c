/**
 * `deno task report --runs A,B --truth DIR --out DIR`: a static HTML report of runs.
 *
 * @module
 */

import { UsageError } from "../src/errors.ts";
import { parseTimeBudget } from "../src/pipeline/budget.ts";
import { buildReport } from "../src/report/build.ts";
import type { Command } from "./command.ts";
import { intFlag, parseFlags, yearFlag } from "./flags.ts";
import { printReportResult, reportProgress } from "./print.ts";

const list = (s: string | undefined) =>
  s === undefined ? undefined : s.split(",").map((x) => x.trim()).filter(Boolean);

/** `deno task report`: the HTML report of runs. */
export const report: Command = {
  name: "report",
  summary: "static HTML report: images, |error| maps, x-t profiles, metrics, T1/T2 maps, timings",
  help: `Usage: deno task report --runs DIR[,DIR...] [--truth DIR] [--input ROOT] [--out DIR]
                        [--names A,B] [--patient P001] [--view sax,lax] [--acc 4,8]
                        [--slice 1] [--frame 1] [--error-scale 0.2] [--year 2023]
                        [--labels DIR] [--models DIR] [--time-budget 4h]

  --runs DIRS       output folders of deno task submit (or their Submission folders), comma-
                    separated; each becomes a column
  --truth DIR       ground truth: a dataset root with FullSample k-space (e.g. the GroundTruth
                    folder of deno task synth) or official img4ranking files; without it the
                    report shows images and timings only
  --input ROOT      the input dataset (default: the input named in the first run log), for
                    the zero-filled column and the T1map/T2map.csv times of the maps
  --out DIR         where index.html and img/ go (default: report); replaced when it holds
                    an earlier report, refused when it holds anything else
  --names A,B       column names of the runs (default: the folder names)
  --patient P       patient of the figures (default: the first)
  --view LIST       views of the figures: sax, lax, T1, T2 (default: all)
  --acc LIST        accelerations of the figures (default: all)
  --slice N         which scored slice the figures show, 1-based (default 1)
  --frame N         which frame the figures show, 1-based (default 1)
  --error-scale F   |error| maps saturate at this fraction of the display window (default 0.2)
  --year Y          challenge rules (default 2023); --edition Y is the same flag
  --labels DIR      labels root for T1/T2 map errors in the LV myocardium, the challenge's
                    measure (default: ROOT/Labels or Labels beside the truth, when present;
                    without labels: over the ground truth's fitted pixels)
  --models DIR      where model manifests are, for parameter counts (default: shipped models/)
  --time-budget T   budget verdict for runs whose log has none (e.g. 4h; edition: the time
                    per task of the edition each run followed)

Metrics, dynamic-region tables and T1/T2 map errors cover every file of the runs; figures
cover the chosen patient. The page has no script and no external resource: it opens from
disk, offline.

Example:
  deno task report --runs out-zf,out-lps --truth data/GroundTruth --out report`,
  async run(args) {
    const { values } = parseFlags("report", args, {
      runs: { type: "string" },
      truth: { type: "string" },
      input: { type: "string" },
      out: { type: "string", default: "report" },
      names: { type: "string" },
      patient: { type: "string" },
      view: { type: "string" },
      acc: { type: "string" },
      slice: { type: "string" },
      frame: { type: "string" },
      "error-scale": { type: "string" },
      year: { type: "string" },
      models: { type: "string" },
      labels: { type: "string" },
      "time-budget": { type: "string" },
    });
    const runs = list(values.runs);
    if (!runs?.length) {
      throw new UsageError("report: --runs DIR[,DIR...] is required", {
        hint: "pass the output folders of deno task submit",
      });
    }
    const accs = list(values.acc)?.map((a) => {
      const n = Number(a);
      if (!Number.isInteger(n) || n < 1) {
        throw new UsageError(`report: --acc: '${a}' is not an acceleration`, {
          hint: "write the factors separated by commas, e.g. --acc 4,8",
        });
      }
      return n;
    });
    const errorScale = values["error-scale"] === undefined
      ? undefined
      : Number(values["error-scale"]);
    if (errorScale !== undefined && !(errorScale > 0 && errorScale <= 1)) {
      throw new UsageError(
        `report: --error-scale must be a number in (0, 1], got '${values["error-scale"]}'`,
        { hint: "e.g. --error-scale 0.2" },
      );
    }
    const slice = intFlag("report", "slice", values.slice, 1);
    const frame = intFlag("report", "frame", values.frame, 1);
    if (slice < 1 || frame < 1) {
      throw new UsageError("report: --slice and --frame count from 1", {
        hint: "the first slice is --slice 1",
      });
    }
    const result = await buildReport({
      runs,
      names: list(values.names),
      truth: values.truth,
      input: values.input,
      out: values.out!,
      year: yearFlag("report", values.year),
      patient: values.patient,
      views: list(values.view),
      accs,
      slice: slice - 1,
      frame: frame - 1,
      errorScale,
      models: list(values.models),
      labels: values.labels,
      timeBudget: values["time-budget"] ? parseTimeBudget(values["time-budget"]) : undefined,
      onProgress: reportProgress(),
    });
    printReportResult(result);
    return 0;
  },
};
