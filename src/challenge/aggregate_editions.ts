/**
 * The leaderboard aggregation of the 2024 and 2025 editions: per-file metrics in, the
 * official `results.json` keys out. The 2023 aggregation is `aggregate.ts`; an edition says
 * which one applies (`Edition.aggregation`).
 *
 * Facts from the official scorers (read, not copied), `CmrxRecon/CMRxRecon2025-snippets`:
 *
 * - **2024** (`evaluation-2024/Val_Score2024.py`, `Test_Score2024.py`,
 *   `statis_metrics_and_num_files`): one row per expected file; per (modality, mask) group
 *   the mean over the files that were scored (pandas `mean`, NaN skipped), rounded to 4
 *   decimals; the "adjusted" value is the sum over scored files divided by the group's
 *   expected count (a missing file counts as 0); `All_*` is the `nanmean` of the **rounded**
 *   group values, rounded again. Task 1 groups are `Uniform4`, `Uniform8`, `Uniform10`
 *   (pattern and R); Task 2 groups are `ktUniform`, `ktGaussian`, `ktRadial` (every R
 *   pooled). The test scorer gives NaN (not 0) as the adjusted value of a group where no
 *   file was scored.
 * - **2025** (`evaluation-2025/Val_Score2025.py`, `process_task`): one row per submitted
 *   file; a submitted file without ground truth stops the scorer ("Extra file submitted");
 *   groups are (centre, vendor) for TaskR1 and disease for TaskR2/S1/S2, looked up in the
 *   organisers' table by `Center|Manufacturer|AnonPatientID`; only groups holding a scored
 *   file are reported; `PSNR_adj = Σ PSNR / N`, `SSIM_adj = Σ SSIM / N`,
 *   `NMSE_adj = mean(NMSE) · (2 − n/N)` with N the group's ground-truth file count; the
 *   `Mean_of_all_*` keys are the plain mean of the **unrounded** group values.
 *
 * Rounding is numpy's (`round(np.float64, 4)`: ×10⁴, round half to even, ÷10⁴), not the
 * half-up rounding of 2023's `round4`.
 *
 * @module
 */

import { CmrxError, errorMessage } from "../errors.ts";
import type { Metrics } from "./aggregate.ts";
import { EDITION_2025 } from "./editions/mod.ts";
import { splitCsvLine } from "./maps/csv.ts";

export type { AggregationRule } from "./edition.ts";

/** A value of the official `results.json`: a number, a count like `58/60`, or null (NaN). */
export type ResultValue = number | string | null;

/** What the scorer made of one file. */
export type FileStatus = "scored" | "missing" | "unscorable";

/**
 * Rounds to 4 decimals as `round(np.float64, 4)` does: multiply by 10⁴, round half to
 * even, divide by 10⁴ (0.03125 -> 0.0312, where half-up gives 0.0313). NaN and ±Infinity
 * pass through.
 */
export function roundNumpy4(x: number): number {
  if (!Number.isFinite(x)) return x;
  const y = x * 1e4;
  let r = Math.round(y);
  if (r - y === 0.5 && r % 2 !== 0) r -= 1;
  return r / 1e4;
}

/** NaN becomes null, as the 2024 scorer writes it (`scores[k] = None`). */
const orNull = (x: number): number | null => Number.isNaN(x) ? null : x;

function sumSkipNaN(xs: number[]): number {
  let s = 0;
  for (const x of xs) if (!Number.isNaN(x)) s += x;
  return s;
}

function meanSkipNaN(xs: number[]): number {
  const ok = xs.filter((x) => !Number.isNaN(x));
  return ok.length ? sumSkipNaN(ok) / ok.length : NaN;
}

// ---------------------------------------------------------------------------------------
// 2024

/** One expected file of a 2024 task, as the 2024 scorer lists it (one row of its table). */
export interface File2024 extends Metrics {
  /** Submission-relative path, for messages: `Cine/ValidationSet/Task2/P001/...mat`. */
  file: string;
  /** File stem: `cine_sax`, `T1map`, `aorta_tra`, `tagging`, `blackblood`, `flow2d`. */
  stem: string;
  /** Mask name as in the file name: `Uniform4`, `ktGaussian12`. */
  mask: string;
  /** `scored`: metrics hold the per-file means; otherwise they are ignored. */
  status: FileStatus;
}

/** The modalities and mask groups a 2024 task reports, in the scorer's order. */
export const GROUPS_2024: Readonly<
  Record<1 | 2, { modalities: readonly string[]; masks: readonly string[] }>
> = {
  1: {
    modalities: ["Tagging", "Mapping", "Cine", "Aorta", "BlackBlood", "Flow2d"],
    masks: ["Uniform4", "Uniform8", "Uniform10"],
  },
  2: {
    modalities: ["Tagging", "Mapping", "Cine", "Aorta"],
    masks: ["ktUniform", "ktGaussian", "ktRadial"],
  },
};

/**
 * Whether a 2024 file stem belongs to a modality's group, by the scorer's rule: `Mapping`
 * takes stems containing `map`, `Cine` `cine`, `Aorta` `aorta`; the others the stem equal to
 * the lower-cased modality (`tagging`, `blackblood`, `flow2d`).
 */
export function stemInModality2024(stem: string, modality: string): boolean {
  const m = modality.toLowerCase();
  if (m === "mapping") return stem.includes("map");
  if (m === "cine" || m === "aorta") return stem.includes(m);
  return stem === m;
}

/**
 * The stem and mask of a 2024 submission path `{Modality}/{Split}/TaskN/Pxxx/
 * {stem}_kus_{mask}.mat` (the scorer builds the name as stem + `_kus_` + mask), or null when
 * the file name is not of that form.
 */
export function file2024FromPath(rel: string): { stem: string; mask: string } | null {
  const m = /(?:^|\/)([^/]+?)_kus_([^/_]+)\.mat$/.exec(rel);
  return m ? { stem: m[1], mask: m[2] } : null;
}

/** One (modality, mask) group of a 2024 result. */
export interface Group2024 {
  /** Modality folder: `Cine`. */
  modality: string;
  /** Mask group: `Uniform4`, `ktRadial`. */
  mask: string;
  /** Files scored. */
  scored: number;
  /** Files expected (scored, missing or unscorable). */
  expected: number;
  /** Mean over scored files, 4 decimals (NaN: none). */
  mean: Metrics;
  /** Sum over scored files / expected, 4 decimals. */
  adjusted: Metrics;
}

/** A 2024 result: the official keys and the groups behind them. */
export interface Result2024 {
  /** The keys of the official `results.json`, in its order. */
  keys: Record<string, ResultValue>;
  /** Every (modality, mask) group of the task, in key order. */
  groups: Group2024[];
}

/**
 * The 2024 leaderboard aggregation of one task.
 *
 * @param files one entry per expected file (ground truth present), scored or not; files of
 *   ground truth excluded by the organisers' quality control are left out
 * @param task 1 (Uniform 4/8/10) or 2 (ktUniform/ktGaussian/ktRadial)
 * @param split `validation` (`Val_Score2024.py`: a group with no scored file has adjusted
 *   value 0) or `test` (`Test_Score2024.py`: NaN, left out of `All_adj.*`)
 */
export function aggregate2024(
  files: readonly File2024[],
  task: 1 | 2,
  split: "validation" | "test" = "validation",
): Result2024 {
  const { modalities, masks } = GROUPS_2024[task];
  const keys: Record<string, ResultValue> = { submission_status: "SCORED" };
  const good = files.filter((f) => f.status === "scored").length;
  keys["Num_Files"] = `${good}/${files.length}`;
  const groups: Group2024[] = [];
  for (const modality of modalities) {
    for (const mask of masks) {
      const rows = files.filter((f) =>
        stemInModality2024(f.stem, modality) && f.mask.includes(mask)
      );
      const ok = rows.filter((f) => f.status === "scored");
      const pick = (k: keyof Metrics) => ok.map((f) => f[k]);
      const mean: Metrics = {
        psnr: roundNumpy4(meanSkipNaN(pick("psnr"))),
        ssim: roundNumpy4(meanSkipNaN(pick("ssim"))),
        nmse: roundNumpy4(meanSkipNaN(pick("nmse"))),
      };
      // numpy: 0.0 / 0 is NaN; the test scorer sets NaN when nothing was scored.
      const adj = (k: keyof Metrics) =>
        (split === "test" && ok.length === 0) || rows.length === 0
          ? NaN
          : roundNumpy4(sumSkipNaN(pick(k)) / rows.length);
      const adjusted: Metrics = { psnr: adj("psnr"), ssim: adj("ssim"), nmse: adj("nmse") };
      groups.push({ modality, mask, scored: ok.length, expected: rows.length, mean, adjusted });
      keys[`num_file_${modality}_${mask}`] = `${ok.length}/${rows.length}`;
      keys[`${modality}_${mask}_PSNR`] = orNull(mean.psnr);
      keys[`${modality}_${mask}_SSIM`] = orNull(mean.ssim);
      keys[`${modality}_${mask}_NMSE`] = orNull(mean.nmse);
    }
  }
  const all = (f: (g: Group2024) => number) => orNull(roundNumpy4(meanSkipNaN(groups.map(f))));
  keys["All_PSNR"] = all((g) => g.mean.psnr);
  keys["All_SSIM"] = all((g) => g.mean.ssim);
  keys["All_NMSE"] = all((g) => g.mean.nmse);
  keys["All_adj.PSNR"] = all((g) => g.adjusted.psnr);
  keys["All_adj.SSIM"] = all((g) => g.adjusted.ssim);
  keys["All_adj.NMSE"] = all((g) => g.adjusted.nmse);
  return { keys, groups };
}

// ---------------------------------------------------------------------------------------
// 2025

/** The four 2025 tasks. */
export type Task2025 = "TaskR1" | "TaskR2" | "TaskS1" | "TaskS2";

/**
 * The modality folders the 2025 scorer reads, for both the submission and the ground truth
 * (`Val_Score2025.py`, `modalities`); files in other folders are neither scored, nor
 * expected, nor extra.
 */
export const MODALITIES_2025: readonly string[] = EDITION_2025.layout!.modalities;

/**
 * The place of a 2025 path `.../MultiCoil/{Modality}/{Split}/{UnderSample_TaskX|FullSample_TaskX}/
 * {Center}/{Vendor}/{Patient}/{name}.mat`, as the scorer reads it: centre, vendor and patient
 * are the three folders above the file; the stem is the name before `_kus_` (a submission's
 * `*kus_*.mat`) or the whole name (ground truth). Null when the path has no such levels, or
 * when `submission` is true and the name lacks `kus_` (the scorer's glob skips it).
 *
 * One official quirk is applied: in a TaskR2 submission the scorer renames the Mapping folder
 * `Center004/UIH_30T_umr780` to `UIH_15T_umr680` before scoring.
 */
export function place2025FromPath(rel: string, submission: boolean): Place2025 | null {
  const parts = rel.split("/");
  const coil = parts.lastIndexOf("MultiCoil");
  if (coil < 0 || parts.length - coil !== 8) return null;
  const name = parts[parts.length - 1];
  if (!name.endsWith(".mat") || (submission && !/kus_[^/]*\.mat$/.test(name))) return null;
  const modality = parts[coil + 1];
  const [centre, vendorFolder, patient] = parts.slice(-4, -1);
  const stem = submission ? name.split("_kus_")[0] : name.slice(0, -4);
  const task = parts[coil - 1];
  const vendor = submission && task === "TaskR2" && modality === "Mapping" &&
      centre === "Center004" && vendorFolder === "UIH_30T_umr780"
    ? "UIH_15T_umr680"
    : vendorFolder;
  return { modality, centre, vendor, patient, stem };
}

/** The place of a 2025 file: `{Modality}/.../{Centre}/{Vendor}/{Patient}/{stem}...`. */
export interface Place2025 {
  /** Modality folder: `Cine`, `Mapping`, `LGE`, ... */
  modality: string;
  /** Centre folder: `Center001`. */
  centre: string;
  /** Vendor folder: `Siemens_30T_Vida`. */
  vendor: string;
  /** Patient folder: `P001`. */
  patient: string;
  /** File stem (ground truth `{stem}.mat`; submission `{stem}_kus_{mask}.mat`). */
  stem: string;
}

/** One submitted 2025 file. */
export interface File2025 extends Place2025, Metrics {
  /** Submission-relative path, for messages. */
  file: string;
  /**
   * `scored`; `unscorable` (the official scorer: shape mismatch, left out of every count);
   * `missing` entries are ignored (the scorer lists what was submitted).
   */
  status: FileStatus;
}

/** One row of the organisers' case table (one sheet per task in their Excel file). */
export interface GroupRow {
  /** `Center` column (matches the centre folder). */
  center: string;
  /** `Manufacturer` column (matches the vendor folder). */
  manufacturer: string;
  /** `AnonPatientID` column (matches the patient folder). */
  patient: string;
  /** `Disease1`..`Disease4`, each trimmed, commas removed, spaces as `_`; empty ones dropped. */
  diseases: string[];
}

/** The case table of a 2025 task, as {@link parseGroupTable} reads it. */
export interface GroupTable {
  /** The file it came from (for messages). */
  file: string;
  /** Its rows for the task. */
  rows: GroupRow[];
}

/** One reported 2025 group. */
export interface Group2025 {
  /** `Center001_Siemens_30T_Vida` (TaskR1) or the disease name. */
  name: string;
  /** Scored files in the group. */
  scored: number;
  /** Ground-truth files of the group (0: not reported beyond its `_Num` key). */
  expected: number;
  /** The adjusted values, unrounded (NaN when `expected` is 0). */
  adjusted: Metrics;
}

/** A 2025 result: the official keys and the groups behind them. */
export interface Result2025 {
  /** The keys of the official `results.json`, in its order (NaN written as null). */
  keys: Record<string, ResultValue>;
  /** The reported groups, sorted as the scorer sorts them. */
  groups: Group2025[];
  /** Scored files whose case is not in the table (grouped as `Unknown_Unknown` in TaskR1). */
  unmatched: string[];
}

/** A 2025 submission holds a file the ground truth does not: the official scorer stops. */
export class ExtraFileError extends CmrxError {}

const placeKey = (p: Place2025) => `${p.modality}|${p.centre}|${p.vendor}|${p.patient}|${p.stem}`;
const caseKey = (centre: string, vendor: string, patient: string) =>
  `${centre}|${vendor}|${patient}`;

/**
 * The 2025 leaderboard aggregation of one task (`Val_Score2025.py`).
 *
 * @param files the submitted files of the task (scored or unscorable); files outside
 *   {@link MODALITIES_2025} are ignored, as the scorer's glob does
 * @param expected the task's ground-truth files (one per `{stem}.mat` of `FullSample_TaskX`;
 *   outside {@link MODALITIES_2025} ignored)
 * @param task which task: TaskR1 groups by centre and vendor, the others by disease
 * @param table the organisers' case table for the task ({@link parseGroupTable})
 * @throws {ExtraFileError} a submitted file has no ground truth (the scorer stops there)
 */
export function aggregate2025(
  files: readonly File2025[],
  expected: readonly Place2025[],
  task: Task2025,
  table: GroupTable,
): Result2025 {
  const read = new Set(MODALITIES_2025);
  expected = expected.filter((e) => read.has(e.modality));
  const truth = new Set(expected.map(placeKey));
  const submitted = files.filter((f) => f.status !== "missing" && read.has(f.modality));
  const extra = submitted.find((f) => !truth.has(placeKey(f)));
  if (extra) {
    throw new ExtraFileError(
      "has no ground truth: the 2025 scorer stops at any extra file ('Extra file submitted') " +
        "and scores nothing",
      {
        file: extra.file,
        hint: "remove it (a submission holds only `{stem}_kus_{mask}.mat` files of the task's " +
          "cases, in their Center/Vendor/Patient folders)",
      },
    );
  }
  const rows = new Map(table.rows.map((r) => [caseKey(r.center, r.manufacturer, r.patient), r]));
  const valid = submitted.filter((f) => f.status === "scored");
  const unmatched = valid.filter((f) => !rows.has(caseKey(f.centre, f.vendor, f.patient)))
    .map((f) => f.file);
  const keys: Record<string, ResultValue> = {
    submission_status: "SCORED",
    Num_Files: `${valid.length}/${expected.length}`,
  };
  // Group ids: TaskR1 `centre\0vendor` (sorted as pandas sorts the (centre, vendor) pairs of
  // its groupby), the others the disease name.
  const byCentre = task === "TaskR1";
  const SEP = "\u0000";
  const groupsOf = (centre: string, vendor: string, patient: string): string[] => {
    const row = rows.get(caseKey(centre, vendor, patient));
    if (byCentre) return [row ? `${row.center}${SEP}${row.manufacturer}` : `Unknown${SEP}Unknown`];
    return row ? row.diseases : [];
  };
  const expectedCount = new Map<string, number>();
  for (const e of expected) {
    // TaskR1 counts ground truth by its centre and vendor folders, in the table or not; the
    // disease tasks add a case's files once per disease cell (a disease named twice counts
    // twice, as the scorer's loop over the list does).
    const ids = byCentre
      ? [`${e.centre}${SEP}${e.vendor}`]
      : groupsOf(e.centre, e.vendor, e.patient);
    for (const id of ids) expectedCount.set(id, (expectedCount.get(id) ?? 0) + 1);
  }
  const members = new Map<string, File2025[]>();
  for (const f of valid) {
    for (const id of new Set(groupsOf(f.centre, f.vendor, f.patient))) {
      if (!members.has(id)) members.set(id, []);
      members.get(id)!.push(f);
    }
  }
  const ids = [...members.keys()].sort();
  const groups: Group2025[] = [];
  for (const id of ids) {
    const name = id.replace(SEP, "_");
    const g = members.get(id)!;
    const n = expectedCount.get(id) ?? 0;
    keys[`${name}_Num`] = `${g.length}/${n}`;
    const adjusted: Metrics = n
      ? {
        psnr: sumSkipNaN(g.map((f) => f.psnr)) / n,
        ssim: sumSkipNaN(g.map((f) => f.ssim)) / n,
        nmse: meanSkipNaN(g.map((f) => f.nmse)) * (2 - g.length / n),
      }
      : { psnr: NaN, ssim: NaN, nmse: NaN };
    if (n) {
      keys[`${name}_PSNR_adj`] = orNull(roundNumpy4(adjusted.psnr));
      keys[`${name}_SSIM_adj`] = orNull(roundNumpy4(adjusted.ssim));
      keys[`${name}_NMSE_adj`] = orNull(roundNumpy4(adjusted.nmse));
    }
    groups.push({ name, scored: g.length, expected: n, adjusted });
  }
  const counted = groups.filter((g) => g.expected > 0);
  const plainMean = (k: keyof Metrics) => {
    // Python's sum() left to right, then / len (no group: the scorer fails; null here).
    let s = 0;
    for (const g of counted) s += g.adjusted[k];
    return counted.length ? orNull(roundNumpy4(s / counted.length)) : null;
  };
  const label = byCentre ? "centers" : "diseases";
  keys[`Mean_of_all_${label}_PSNR_adj`] = plainMean("psnr");
  keys[`Mean_of_all_${label}_SSIM_adj`] = plainMean("ssim");
  keys[`Mean_of_all_${label}_NMSE_adj`] = plainMean("nmse");
  return { keys, groups, unmatched };
}

// ---------------------------------------------------------------------------------------
// The 2025 case table

const TABLE_HINT = "export the task's sheet of the organisers' disease-info workbook " +
  "(CMRxRecon2025_ValidationData_..._Disease_Info.xlsx) as csv: a header row with the columns " +
  "Center,Manufacturer,AnonPatientID (and Disease1..Disease4 for TaskR2/S1/S2; an optional " +
  "Task column keeps one file for every task), then one row per case";

/** Disease cell as the scorer normalises it: trimmed, commas removed, spaces as `_`. */
export function normaliseDisease(cell: string): string {
  return cell.trim().replaceAll(",", "").replaceAll(" ", "_");
}

/**
 * Parses the case table of a 2025 task: csv with a header row naming `Center`,
 * `Manufacturer`, `AnonPatientID` (the organisers' sheet columns), `Disease1`..`Disease4`
 * (needed for TaskR2/S1/S2; empty cells allowed) and optionally `Task` (then only rows of
 * `task` are kept). Cells may be quoted; a UTF-8 BOM and `\r\n` are accepted; other columns
 * are ignored. A case listed twice keeps its last row, as the scorer's dictionary does.
 *
 * @param text the file's content
 * @param file its path, named in errors
 * @param task the task whose rows to keep and whose columns to require
 * @throws {CmrxError} a missing column, a row with more cells than the header, an empty
 *   key cell, or no row for the task (the message names the file, the line and the fix)
 */
export function parseGroupTable(text: string, file: string, task: Task2025): GroupTable {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const rows: { line: number; cells: string[] }[] = [];
  lines.forEach((l, i) => {
    if (l.trim() !== "") rows.push({ line: i + 1, cells: splitCsvLine(l) });
  });
  if (rows.length === 0) {
    throw new CmrxError("the case table is empty", { file, hint: TABLE_HINT });
  }
  const header = rows[0].cells.map((c) => c.trim());
  const col = (name: string) => header.indexOf(name);
  const required = ["Center", "Manufacturer", "AnonPatientID"];
  const diseaseCols = ["Disease1", "Disease2", "Disease3", "Disease4"].map(col).filter((i) =>
    i >= 0
  );
  const missing = required.filter((n) => col(n) < 0);
  if (task !== "TaskR1" && diseaseCols.length === 0) missing.push("Disease1");
  if (missing.length) {
    throw new CmrxError(
      `the header row (${header.join(",")}) lacks the column${missing.length > 1 ? "s" : ""} ` +
        `${missing.join(", ")} that ${task} needs`,
      { file, hint: TABLE_HINT },
    );
  }
  const taskCol = col("Task");
  const out: GroupRow[] = [];
  for (const r of rows.slice(1)) {
    if (r.cells.length > header.length) {
      throw new CmrxError(
        `line ${r.line} has ${r.cells.length} cells, the header ${header.length} (a comma ` +
          "inside a cell needs quotes)",
        { file, hint: TABLE_HINT },
      );
    }
    const cell = (i: number) => r.cells[i] ?? "";
    if (taskCol >= 0 && cell(taskCol).trim() !== task) continue;
    for (const n of required) {
      if (cell(col(n)).trim() === "") {
        throw new CmrxError(`line ${r.line}: the ${n} cell is empty`, { file, hint: TABLE_HINT });
      }
    }
    out.push({
      center: cell(col("Center")),
      manufacturer: cell(col("Manufacturer")),
      patient: cell(col("AnonPatientID")),
      diseases: diseaseCols.map(cell).filter((d) => d.trim() !== "").map(normaliseDisease),
    });
  }
  if (out.length === 0) {
    throw new CmrxError(
      taskCol >= 0 ? `no row has Task ${task}` : "the case table has no data rows",
      { file, hint: TABLE_HINT },
    );
  }
  return { file, rows: out };
}

/**
 * Reads and parses the case table of a 2025 task ({@link parseGroupTable}); a file that
 * cannot be read becomes a {@link CmrxError} naming it.
 */
export async function readGroupTable(path: string, task: Task2025): Promise<GroupTable> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new CmrxError(`cannot read the case table: ${errorMessage(e)}`, {
      file: path,
      hint: TABLE_HINT,
      cause: e,
    });
  }
  return parseGroupTable(text, path, task);
}
