/**
 * The sections of the report page, in page order: runs ({@link overviewSection}), images
 * ({@link imagesSection}), metrics ({@link metricsSection}), dynamic region
 * ({@link dynamicSection}), T1/T2 maps ({@link mapsSection}), time and memory
 * ({@link timingSection}) and the notes ({@link notesSection}). Each returns HTML built with
 * `html.ts`; all text is escaped. Comparison tables have one row per group and, per compared
 * quantity, one column per source, with the best value of a row highlighted.
 *
 * @module
 */

import type { Normalisation, Split, Year } from "../challenge/edition.ts";
import { editionOf } from "../challenge/editions/mod.ts";
import type { GroupScore, Metrics } from "../challenge/aggregate.ts";
import type { ScoreReport } from "../challenge/score.ts";
import type { SubmissionPathInfo } from "../challenge/paths.ts";
import { formatBytes, formatDuration } from "../format.ts";
import type { MapKind } from "../mapping/maps.ts";
import type { ModelEntry } from "../models/registry.ts";
import { type BudgetVerdict, budgetVerdict, type TimeBudget } from "../pipeline/budget.ts";
import { colorbar, ERROR_MAP, RELAX_MAP } from "./colormap.ts";
import { type AddPng, barImg, MAP_WINDOWS } from "./figures.ts";
import { accName, type Run } from "./gather.ts";
import type { GroupMeans } from "./group_means.ts";
import { bestIndices, type Cell, colourScale, esc, type Section, table } from "./html.ts";
import { type RunTiming, runTiming } from "./runlog.ts";

const fmt = {
  ssim: (x: number) => (Number.isFinite(x) ? x.toFixed(4) : String(x)),
  psnr: (x: number) => (Number.isFinite(x) ? x.toFixed(2) : x > 0 ? "inf" : String(x)),
  nmse: (x: number) => (Number.isFinite(x) ? x.toFixed(4) : String(x)),
  ms: (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "-"),
};

/** One compared quantity of a {@link groupTable}. */
interface Part {
  k: string;
  name: string;
  f: (x: number) => string;
  better: "max" | "min";
}

/**
 * A table of group means: one row per group (label after the `|`), per part one column per
 * source that has values; best per row and part highlighted.
 */
function groupTable(t: GroupMeans, labels: string[], parts: Part[]): string {
  const used = labels.filter((l) =>
    t.groups().some((g) => !Number.isNaN(t.mean(g, l, parts[0].k)))
  );
  return table({
    corner: "group",
    head: [
      parts.map((p) => ({ text: p.name, span: used.length })),
      parts.flatMap(() => used.map((l) => ({ text: l }))),
    ],
    rows: t.groups().sort().map((g) => ({
      label: g.split("|")[1],
      cells: parts.flatMap((p) => compareCells(used.map((l) => t.mean(g, l, p.k)), p.better, p.f)),
    })),
  });
}

/** Cells of one comparison row with the best highlighted. */
function compareCells(values: number[], better: "max" | "min", f: (x: number) => string): Cell[] {
  const best = bestIndices(values, better);
  return values.map((v, i) => ({ text: Number.isNaN(v) ? "-" : f(v), best: best.has(i) }));
}

function note(text: string): string {
  return `<p class="note">${esc(text)}</p>`;
}

/** A page section. */
const section = (id: string, title: string, body: string): Section => ({ id, title, body });

/** The runs compared: folder, method, files, start, validation; and the report's inputs. */
/** How each normalisation is said in the report. */
const NORMALISATION_WORDS: Record<Normalisation, string> = {
  max: "divided by its maximum",
  zscore: "z-scored",
  percentile: "divided by its 99.5th percentile",
};

export function overviewSection(
  runs: Run[],
  ctx: { input?: string; truth?: string; split: Split; year: Year; zfRun?: Run; patient: string },
): Section {
  const rows = runs.map((r) => {
    const methods = [...new Set(r.log.cases.map((c) => c.method))].join(", ") || "(no run log)";
    return {
      label: r.name,
      cells: [
        { text: r.dir },
        { text: methods },
        { text: String(r.files.size) },
        { text: r.log.start?.date?.replace("T", " ").slice(0, 19) ?? "-" },
        {
          text: r.log.ends.length
            ? r.log.ends.every((e) => e.validation) ? "valid" : "not valid"
            : "-",
        },
      ],
    };
  });
  const body = table({
    corner: "run",
    head: [[{ text: "folder" }, { text: "method" }, { text: "files" }, { text: "started" }, {
      text: "validation",
    }]],
    rows,
  }) +
    `<p class="note">Split: ${esc(ctx.split)} (${ctx.year} rules). Ground truth: ${
      esc(ctx.truth ?? "none")
    }. Input: ${esc(ctx.input ?? "none")}${
      ctx.zfRun ? `; run ${esc(ctx.zfRun.name)} is zero-filled and stands for the input` : ""
    }. Pictures show the official ranking crop and scored slices; figures: patient ${
      esc(ctx.patient)
    }.</p>`;
  return section("overview", "Runs", body);
}

/** The case figures of the chosen patient, with how they are normalised and coloured. */
export function imagesSection(
  figures: string[],
  ctx: { patient: string; year: Year; errorScale?: number; addPng: AddPng },
): Section {
  const { year } = ctx;
  return {
    id: "images",
    title: `Images: ${ctx.patient}`,
    body: figures.length
      ? note(
        `Every picture is one 2-D image normalised as the ${year} scorer does it (${
          NORMALISATION_WORDS[editionOf(year).metrics.normalisation]
        }), on the ranking crop, all in the ground truth's window. |error| = |reconstruction - ground truth| after that normalisation, saturating at ${
          Math.round(100 * (ctx.errorScale ?? 0.2))
        }% of the window (x${
          (1 / (ctx.errorScale ?? 0.2)).toFixed(0)
        }). The x-t profile runs down the column through the centre of the largest temporal standard deviation of the ground truth (the red line in the dynamic-region section), across the frames every column has.`,
      ) + colourScale(barImg(ERROR_MAP, ctx.addPng, "error"), "0", "max", "|error| colour scale") +
        figures.join("\n")
      : note("No file of the chosen patient, views and accelerations is in the runs."),
  };
}

/** One source's scores in the metrics tables. */
export interface Column {
  label: string;
  groups: GroupScore[];
  aggregate?: ScoreReport["aggregate"];
}

/**
 * The leaderboard's numbers per task: per group, per acceleration and overall, one column
 * per scored run (and `zf`, the zero-filled input, last).
 */
export function metricsSection(runs: Run[], zf?: Column): Section {
  const cols: Column[] = runs.filter((r) => r.score).map((r) => ({
    label: r.name,
    groups: r.score!.groups,
    aggregate: r.score!.aggregate,
  }));
  if (zf) cols.push(zf);
  if (cols.length === 0) {
    return section(
      "metrics",
      "Metrics",
      note("No scores: pass the ground truth with --truth DIR."),
    );
  }
  const metrics = [
    { k: "ssim", name: "SSIM", better: "max", f: fmt.ssim },
    { k: "psnr", name: "PSNR (dB)", better: "max", f: fmt.psnr },
    { k: "nmse", name: "NMSE", better: "min", f: fmt.nmse },
  ] as const;
  let body = note(
    "The leaderboard's numbers (deno task score): per file the mean over its images, per group the mean over files, per acceleration the better coil type and the mean of the views, overall the mean of the accelerations. Best per row in green.",
  );
  for (const task of ["cine", "mapping"] as const) {
    const modality = task === "cine" ? "Cine" : "Mapping";
    const keys = new Map<string, { coil: string; view: string; acc: number }>();
    for (const c of cols) {
      for (const g of c.groups) {
        if (g.modality === modality) keys.set(`${g.coil}|${g.view}|${g.acc}`, g);
      }
    }
    if (keys.size === 0) continue;
    const coilsUsed = new Set([...keys.values()].map((k) => k.coil));
    const sorted = [...keys.entries()].sort(([, a], [, b]) =>
      a.acc - b.acc || a.view.localeCompare(b.view) || a.coil.localeCompare(b.coil)
    );
    const rows: { label: string; cells: Cell[]; strong?: boolean }[] = [];
    const row = (label: string, get: (c: Column) => Metrics | undefined, strong = false) => {
      const cells: Cell[] = [];
      for (const m of metrics) {
        cells.push(...compareCells(cols.map((c) => get(c)?.[m.k] ?? NaN), m.better, m.f));
      }
      rows.push({ label, cells, strong });
    };
    for (const [key, g] of sorted) {
      row(
        `${coilsUsed.size > 1 ? `${g.coil} ` : ""}${g.view} ${accName(g.acc)}`,
        (c) => c.groups.find((x) => `${x.coil}|${x.view}|${x.acc}` === key),
      );
    }
    const accs = [...new Set(sorted.map(([, g]) => accName(g.acc)))];
    for (const a of accs) row(`${a}: mean of views`, (c) => c.aggregate?.[task]?.byAcc[a], true);
    row(`${modality} overall`, (c) => c.aggregate?.[task], true);
    body += `<h3>${modality}</h3>` + table({
      corner: "group",
      head: [
        metrics.map((m) => ({ text: m.name, span: cols.length })),
        metrics.flatMap(() => cols.map((c) => ({ text: c.label }))),
      ],
      rows,
    });
  }
  for (const r of runs) {
    if (!r.score) continue;
    const s = r.score;
    if (s.missing.length || s.malformed.length) {
      body += note(
        `${r.name}: ${s.missing.length} expected file(s) missing, ${s.malformed.length} not scorable${
          s.malformed.length
            ? ` (${s.malformed.slice(0, 3).map((m) => `${m.file}: ${m.reason}`).join("; ")})`
            : ""
        }.`,
      );
    }
  }
  return section("metrics", "Metrics", body);
}

/** The dynamic-region table (keys dp, sp, ds, ss of `dyn`) and the locator figures. */
export function dynamicSection(dyn: GroupMeans, labels: string[], locators: string[]): Section {
  if (dyn.size === 0) {
    return section(
      "dynamic",
      "Dynamic region",
      note("No cine files with a ground truth of several frames: no dynamic-region analysis."),
    );
  }
  const parts: Part[] = [
    { k: "dp", name: "PSNR dynamic", f: fmt.psnr, better: "max" },
    { k: "sp", name: "PSNR static", f: fmt.psnr, better: "max" },
    { k: "ds", name: "SSIM dynamic", f: fmt.ssim, better: "max" },
    { k: "ss", name: "SSIM static", f: fmt.ssim, better: "max" },
  ];
  return section(
    "dynamic",
    "Dynamic region",
    note(
      "After CRUNet-MR (Lyu et al. 2025): per slice, the dynamic region is the pixels whose ground-truth temporal standard deviation (over all frames) exceeds its 90th percentile; the static region is the rest. PSNR and SSIM (the SSIM map averaged over the region) per image, after the scorer's normalisation, over the frames each run has; mean over images, files, then per group. Best per row in green.",
    ) + groupTable(dyn, labels, parts) + locators.join("\n"),
  );
}

/** The map error table (keys rmse, mae of `mapErr`), colour scales and map figures. */
export function mapsSection(
  mapErr: GroupMeans,
  labels: string[],
  figures: string[],
  all: Map<string, SubmissionPathInfo>,
  addPng: AddPng,
  regions: Set<"myocardium" | "fitted">,
): Section {
  const hasMapping = [...all.values()].some((i) => i.task === "mapping");
  if (!hasMapping) return section("maps", "T1/T2 maps", note("These runs hold no mapping files."));
  if (mapErr.size === 0) {
    return section(
      "maps",
      "T1/T2 maps",
      note(
        "No maps: fitting needs the ground truth (--truth) and the T1map.csv / T2map.csv times of the input dataset (--input).",
      ),
    );
  }
  const parts: Part[] = [
    { k: "rmse", name: "RMSE (ms)", f: fmt.ms, better: "min" },
    { k: "mae", name: "mean |error| (ms)", f: fmt.ms, better: "min" },
  ];
  const scale = (k: MapKind) =>
    colourScale(
      addPng(`scale-relax-${k}`, colorbar(RELAX_MAP, 256, 12), 192, 12, `${k} colour scale`),
      `${MAP_WINDOWS[k].map[0]} ms`,
      `${MAP_WINDOWS[k].map[1]} ms`,
      `${k} map; |error| 0 to ${MAP_WINDOWS[k].error} ms in the error colours`,
    );
  return section(
    "maps",
    "T1/T2 maps",
    note(
      "T1 (MOLLI, three-parameter Look-Locker with polarity restoration) and T2 (T2-prep mono-exponential) fitted per pixel (src/mapping) to each source's weighted images with the times of the csv files, and compared with the maps fitted to the ground truth's images: RMSE and mean |error| per file, " +
        (regions.has("myocardium")
          ? "in the LV myocardium of the labels (the 2023 challenge's map measure)"
          : "") +
        (regions.size === 2 ? "; files without labels " : "") +
        (regions.has("fitted") ? "in the ground truth's fitted (non-air) pixels" : "") +
        ", then the mean over files. Lower is better, best in green. The pictures show whole maps; their |error| is drawn in the fitted pixels.",
    ) + groupTable(mapErr, labels, parts) + scale("T1") + scale("T2") + figures.join("\n"),
  );
}

function verdictHtml(b: BudgetVerdict): string {
  return `<span class="verdict-${b.verdict}">${
    b.verdict === "fits"
      ? "fits"
      : b.verdict === "tight"
      ? "tight (under 20% margin)"
      : "does not fit"
  }</span>: the test set would take about ${esc(formatDuration(b.estimateSeconds * 1000))} of ${
    esc(formatDuration(b.budgetSeconds * 1000))
  } (${(100 * b.fraction).toFixed(0)}%)${
    b.budgetFrom && b.budgetFrom !== "--time-budget" ? `, ${esc(b.budgetFrom)}` : ""
  }.${b.conflict ? ` <b>${esc(b.conflict)}</b>.` : ""} <small>${esc(b.basis)}</small>`;
}

/**
 * Time and memory per run and view from the run logs, the models used with their parameter
 * counts, the time-budget verdict (the log's, else from `budget` seconds), and every case.
 */
export function timingSection(
  runs: Run[],
  models: ModelEntry[],
  budget?: TimeBudget,
  year?: Year,
): Section {
  const withLog = runs.filter((r) => r.log.files.length > 0);
  if (withLog.length === 0) {
    return section("timing", "Time and memory", note("No run logs (run-log.jsonl) found."));
  }
  const timing = withLog.map((r) => runTiming(r.log));
  const views = [...new Set(timing.flatMap((t) => Object.keys(t.perView)))].sort();
  const row = (label: string, get: (t: RunTiming) => number, f: (x: number) => string) => ({
    label,
    cells: compareCells(timing.map(get), "min", f),
    strong: !label.includes(": "),
  });
  const s2 = (x: number) => x.toFixed(2);
  const rows = [
    ...views.flatMap((v) => [
      row(`${v}: s per case`, (t) => t.perView[v]?.meanSeconds ?? NaN, s2),
      row(`${v}: s per slice`, (t) => t.perView[v]?.secondsPerSlice ?? NaN, s2),
    ]),
    row("wall time", (t) => t.seconds || NaN, (x) => formatDuration(x * 1000)),
    row("peak memory (RSS)", (t) => t.peakRssBytes || NaN, formatBytes),
  ];
  let body = note(
    "From each run's log (deno task submit): seconds per written case and per reconstructed slice by view, the run's wall time and peak resident memory. Lower is better, best in green; timings on shared machines are indicative.",
  ) + table({ corner: "", head: [withLog.map((r) => ({ text: r.name }))], rows });
  body += "<h3>Models and time budget</h3><ul>";
  for (const [i, r] of withLog.entries()) {
    const byMethod = new Map<string, number>();
    for (const c of r.log.cases) byMethod.set(c.method, (byMethod.get(c.method) ?? 0) + 1);
    const methods = [...byMethod.entries()].map(([m, n]) => {
      const entry = models.find((e) => e.manifest.name === m);
      const params = entry?.manifest.parameters;
      const what = entry
        ? `ONNX model${entry.manifest.architecture ? ` (${entry.manifest.architecture})` : ""}, ${
          params !== undefined
            ? `${params.toLocaleString("en-US")} parameters`
            : "parameters not given in its manifest"
        }`
        : m === "?" || m === "-"
        ? "not run (failed before a method was chosen)"
        : "classical method, no trained parameters";
      return `${esc(m)} on ${n} file(s): ${esc(what)}`;
    });
    const t = timing[i];
    const task = r.log.start?.task ?? "both";
    const b = t.budget ??
      (budget !== undefined && Object.keys(t.perView).length
        ? budgetVerdict(t.perView, task, budget, editionOf(r.log.start?.edition ?? year ?? 2023))
        : undefined);
    const failed = r.log.cases.filter((c) => c.status === "failed").length;
    body += `<li><b>${esc(r.name)}</b>: ${methods.join("; ") || "no cases logged"}. ${
      failed ? `${failed} file(s) failed. ` : ""
    }${r.log.budgetStopped ? "The run stopped at its time budget. " : ""}Time budget: ${
      b
        ? verdictHtml(b) + (t.budget ? "" : " (from --time-budget)")
        : "not given (run submit or report with --time-budget 4h)"
    }</li>`;
  }
  body += "</ul>";
  for (const r of withLog) {
    body += `<details><summary>${esc(r.name)}: ${r.log.cases.length} case(s)</summary>` + table({
      corner: "file",
      head: [[{ text: "method" }, { text: "status" }, { text: "slices" }, { text: "seconds" }, {
        text: "s per slice",
      }]],
      rows: r.log.cases.map((c) => ({
        label: c.file,
        cells: [
          { text: c.method },
          { text: c.status, title: c.error },
          { text: String(c.slices ?? "-") },
          { text: c.seconds.toFixed(2) },
          { text: c.slices ? (c.seconds / c.slices).toFixed(2) : "-" },
        ],
      })),
    }) + "</details>";
  }
  return section("timing", "Time and memory", body);
}

/** The things the report could not show (each once, in the order found); none: no section. */
export function notesSection(warnings: string[]): Section | undefined {
  if (!warnings.length) return undefined;
  return {
    id: "notes",
    title: "Notes",
    body: `<ul>${[...new Set(warnings)].map((w) => `<li>${esc(w)}</li>`).join("")}</ul>`,
  };
}
