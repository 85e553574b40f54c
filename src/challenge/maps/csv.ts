/**
 * `T1map.csv` / `T2map.csv`: the inversion times (MOLLI) and T2-preparation times of a
 * mapping file, in ms.
 *
 * Layout (`CMRxRecon/Mapping/CalEvalMap.py`, `CalSaveT1map` / `CalSaveT2map`; and what
 * `deno task synth` writes): a header row, then one row per weighting; column 0 is a label,
 * columns 1..nSlices give the time of each slice (T1: TIs differ per slice), or column 1
 * alone gives the time shared by every slice (T2). A trailing time of 0 means the
 * weighting is absent: it is dropped together with its image ({@link usableTimes}).
 *
 * The csv and its ranking-slice columns are the challenge's files, so this lives on the
 * challenge side; the fitters in `src/mapping/` take the times as plain arrays
 * (`times[slice][weighting]`, ms).
 *
 * @module
 */

import { rankingSlices } from "../reduce.ts";
import { CmrxError, errorMessage } from "../../errors.ts";
import { assertNotSpecial } from "../../fsutil.ts";

/** A parsed mapping csv: `times[column][weighting]`, one column per slice (or one shared). */
export interface MappingTimesTable {
  /** The file the table came from (for messages). */
  file: string;
  /** Times in ms per column (slice) and row (weighting); empty cells are 0. */
  columns: number[][];
}

/**
 * Parses the text of a mapping csv. Cells may be quoted; `\r\n` and a UTF-8 BOM are
 * accepted; blank lines are skipped; an empty time cell counts as 0 (an absent weighting).
 *
 * @param text the file's content
 * @param file its path, named in errors
 * @throws {CmrxError} no data rows, no time column, or a cell that is not a number (the
 *   message names the file, line and column)
 */
export function parseMappingCsv(text: string, file: string): MappingTimesTable {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const rows: { line: number; cells: string[] }[] = [];
  lines.forEach((l, i) => {
    if (l.trim() !== "") rows.push({ line: i + 1, cells: splitCsvLine(l) });
  });
  const hint = "a header row, then one row per weighting: a label, then the time (ms) of " +
    "each slice (T1map.csv) or one time (T2map.csv)";
  if (rows.length < 2) {
    throw new CmrxError("the csv has no data rows (a header row and one row per weighting)", {
      file,
      hint,
    });
  }
  const data = rows.slice(1);
  // Columns that hold a time in at least one row: 1 .. last non-empty.
  let ncol = 0;
  for (const r of data) {
    for (let c = r.cells.length - 1; c >= 1; c--) {
      if (r.cells[c].trim() !== "") {
        ncol = Math.max(ncol, c);
        break;
      }
    }
  }
  if (ncol === 0) {
    throw new CmrxError("the csv has no time column (column 2 onwards is empty)", { file, hint });
  }
  const columns: number[][] = Array.from({ length: ncol }, () => []);
  for (const r of data) {
    for (let c = 1; c <= ncol; c++) {
      const cell = (r.cells[c] ?? "").trim();
      const v = cell === "" ? 0 : Number(cell);
      if (!Number.isFinite(v) || v < 0) {
        throw new CmrxError(
          `line ${r.line}, column ${c + 1}: '${cell}' is not a time in ms (a number >= 0)`,
          { file, hint },
        );
      }
      columns[c - 1].push(v);
    }
  }
  return { file, columns };
}

/**
 * Reads and parses a mapping csv; I/O errors become a {@link CmrxError} naming the file,
 * and anything but a regular file (a FIFO would block) is refused.
 */
export async function readMappingCsv(path: string): Promise<MappingTimesTable> {
  await assertNotSpecial(path, "times csv");
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new CmrxError(`cannot read the times csv (${errorMessage(e)})`, {
      file: path,
      hint: "give the T1map.csv / T2map.csv that comes with the mapping file",
    });
  }
  return parseMappingCsv(text, path);
}

/** Splits one csv line into cells; a cell may be quoted (`"a, b"`, `""` for a quote). */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = "", quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/**
 * The times that have images: trailing zero times are dropped (the official code drops a
 * trailing TI of 0 with its image), and only the first `weightings` rows are used.
 */
export function usableTimes(times: readonly number[], weightings = times.length): number[] {
  let n = Math.min(weightings, times.length);
  while (n > 0 && times[n - 1] === 0) n--;
  return times.slice(0, n);
}

/**
 * The times of each slice of an image, from a csv table.
 *
 * @param table the parsed csv
 * @param slices the 0-based slices of the original file that the image holds (e.g. the two
 *   ranking slices of a validation submission, or all slices)
 * @param weightings the image's number of weightings: the csv must give at least that many
 *   rows (extra rows are ignored, as the official code reads rows 1..nTI)
 * @returns `times[k]` for image slice k, trailing zero times dropped ({@link usableTimes})
 * @throws {CmrxError} the csv lacks a slice column or rows (naming the file)
 */
export function timesForSlices(
  table: MappingTimesTable,
  slices: readonly number[],
  weightings: number,
): number[][] {
  const { columns, file } = table;
  const rows = columns[0].length;
  if (rows < weightings) {
    throw new CmrxError(
      `the csv gives ${rows} time(s) per slice, the image has ${weightings} weightings`,
      { file, hint: "use the csv that belongs to this mapping file" },
    );
  }
  return slices.map((z) => {
    const col = columns.length === 1 ? columns[0] : columns[z];
    if (!col) {
      throw new CmrxError(
        `the csv has ${columns.length} slice column(s), slice ${z + 1} has none`,
        { file, hint: "use the csv that belongs to this mapping file" },
      );
    }
    return usableTimes(col, weightings);
  });
}

/**
 * The source slices an image of `nz` slices holds, judged from the csv: every slice when the
 * csv has one time column or `nz` of them; the two ranking slices (`run4Ranking`) when the csv
 * has more columns and the image two slices (a reduced validation submission).
 *
 * @throws {CmrxError} when neither fits (naming the csv)
 */
export function sourceSlices(table: MappingTimesTable, nz: number): number[] {
  const cols = table.columns.length;
  if (cols === 1 || cols === nz) return Array.from({ length: nz }, (_, i) => i);
  const ranking = rankingSlices(cols);
  if (ranking.length === nz) return ranking;
  throw new CmrxError(
    `the csv has ${cols} slice columns but the image ${nz} slices`,
    { file: table.file, hint: "name the slices the image holds (--slices), or use its own csv" },
  );
}
