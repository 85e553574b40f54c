/**
 * The report's output folder: which folders a report may be written into (absent, empty, or
 * an earlier report, marked by {@link REPORT_MARKER}), what an earlier report wrote there,
 * and the write itself: every file staged in a temporary folder beside the output first,
 * then moved into place, so a failure while writing leaves an earlier report whole. Of an
 * earlier report only the files it wrote are replaced or removed; anything else stays.
 *
 * Paths of report files are relative to the folder: `index.html`, `report.json`,
 * `img/<name>.png`.
 *
 * @module
 */

import { CmrxError, errorMessage } from "../errors.ts";
import { tempPathFor } from "../tempname.ts";
import {
  checkNoForeignFiles,
  checkOwnedFolder,
  present,
  readWrittenList,
  removeWritten,
  unrecorded,
  writeMarker,
} from "../written_files.ts";

/** The file that marks a folder as a cmrxkit report (so a re-run may replace it). */
export const REPORT_MARKER = ".cmrxkit-report";

const REPORT_ABOUT = "written by cmrxkit's report (deno task report)\n" +
  "a later report into this folder replaces or removes only the files listed below;\n" +
  "anything else here stays";

/** Refuses an output folder that holds something other than an earlier report. */
export async function checkOutFolder(out: string): Promise<void> {
  await checkOwnedFolder(out, { marker: REPORT_MARKER, what: "report", flag: "--out" });
}

/**
 * The files an earlier report in `out` wrote: the list in its marker; for a report of an
 * older cmrxkit (a marker without a list) the names the report writes (`index.html`,
 * `report.json`, `img/*.png`).
 */
async function previousReportFiles(out: string): Promise<string[]> {
  const listed = await readWrittenList(`${out}/${REPORT_MARKER}`);
  if (listed) return listed;
  const known = ["index.html", "report.json"];
  try {
    for await (const e of Deno.readDir(`${out}/img`)) {
      if (e.isFile && e.name.endsWith(".png")) known.push(`img/${e.name}`);
    }
  } catch { /* no images */ }
  return known;
}

/** What is in an earlier report's folder that cmrxkit did not write (left as it is). */
export async function foreignEntries(out: string): Promise<string[]> {
  if (!(await present(`${out}/${REPORT_MARKER}`))) return [];
  return await unrecorded(out, await previousReportFiles(out), REPORT_MARKER);
}

/**
 * Writes the report: every file into a temporary folder beside `out` first (a failure
 * leaves an earlier report whole), then moved into `out`. Of an earlier report only the
 * files it wrote are replaced or removed; anything else in the folder stays.
 *
 * @param images PNG bytes by path relative to `out` (`img/<name>.png`)
 */
export async function writeReport(
  out: string,
  html: string,
  images: Map<string, Uint8Array>,
  json: string,
) {
  const files = new Map<string, Uint8Array | string>([
    ...images,
    ["report.json", json + "\n"],
    ["index.html", html],
  ]);
  const rels = [...files.keys()];
  const owned = await checkOwnedFolder(out, {
    marker: REPORT_MARKER,
    what: "report",
    flag: "--out",
  }) === "owned";
  const old = owned ? await previousReportFiles(out) : [];
  await checkNoForeignFiles(out, rels, old, "--out");
  const tmp = tempPathFor(out);
  try {
    await Deno.mkdir(`${tmp}/img`, { recursive: true });
    for (const [rel, bytes] of files) {
      if (typeof bytes === "string") await Deno.writeTextFile(`${tmp}/${rel}`, bytes);
      else await Deno.writeFile(`${tmp}/${rel}`, bytes);
    }
    await Deno.mkdir(out, { recursive: true });
    const marker = `${out}/${REPORT_MARKER}`;
    // Recorded first: a run stopped half-way leaves a marker naming all it may have written.
    await writeMarker(marker, REPORT_ABOUT, [...old, ...rels]);
    for (const rel of rels) {
      const to = `${out}/${rel}`;
      try {
        await Deno.mkdir(to.slice(0, to.lastIndexOf("/")), { recursive: true });
        await Deno.rename(`${tmp}/${rel}`, to);
      } catch (e) {
        throw new CmrxError(
          `cannot put the report's ${rel} in place (${errorMessage(e)})`,
          { file: to, hint: "move what is there out of the folder, or choose another --out" },
        );
      }
    }
    const fresh = new Set(rels);
    await removeWritten(out, old.filter((r) => !fresh.has(r)));
    await writeMarker(marker, REPORT_ABOUT, rels);
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}
