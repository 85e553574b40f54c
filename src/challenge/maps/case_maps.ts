/**
 * Maps of a reconstructed mapping case, for `deno task submit --maps`: the T1 / T2 maps of
 * the reconstructed slices, fitted with the case's csv times, written as a MAT v5 file
 * beside the submission (`OUT/Maps/<the submission path>`, outside `Submission/`, which
 * must hold only the files the scorer expects).
 *
 * It sits on the challenge side because the times come from the case's challenge csv
 * (`./csv.ts`) and the output layout is the submission's; the fit is `src/mapping/maps.ts`.
 * Images are MATLAB dims `(nx, ny, ns, nw)`, column-major.
 *
 * @module
 */

import { CmrxError } from "../../errors.ts";
import { readMappingCsv, timesForSlices } from "./csv.ts";
import { fitMaps, type MapFitOptions, mapKindOf, writeMaps } from "../../mapping/maps.ts";

/** Folder beside `Submission/` that holds the maps. */
export const MAPS_FOLDER = "Maps";

/** Where the maps of a case go: `OUT/Maps/<submissionPath>`. */
export function mapsPath(output: string, submissionPath: string): string {
  return `${output.replace(/\/+$/, "") || "."}/${MAPS_FOLDER}/${submissionPath}`;
}

/**
 * Fits and writes the maps of one reconstructed mapping file.
 *
 * @param c the case: its stem (`T1map`/`T2map`), k-space file and csv
 * @param image reconstructed magnitudes, MATLAB dims `(nx, ny, ns, nw)`, column-major
 * @param dims `[nx, ny, ns, nw]`
 * @param slices the 0-based slices of the source file held by `image`
 * @param path the MAT file to write (atomically)
 * @throws {CmrxError} no csv for the case, a bad csv, or too few times
 */
export async function writeCaseMaps(
  c: { name: string; file: string; csvFile?: string },
  image: Float32Array,
  dims: readonly number[],
  slices: readonly number[],
  path: string,
  opts: MapFitOptions = {},
): Promise<void> {
  const kind = mapKindOf(c.name);
  if (!kind) throw new CmrxError(`'${c.name}' is not a T1 or T2 mapping file`, { file: c.file });
  if (!c.csvFile) {
    throw new CmrxError(`no ${c.name}.csv beside the k-space file: no times to fit maps with`, {
      file: c.file,
      hint: "put the T1map.csv / T2map.csv of the case beside it (early releases shipped " +
        "some T1 csv files later, in supplement.zip)",
    });
  }
  const table = await readMappingCsv(c.csvFile);
  const times = timesForSlices(table, slices, dims[3]);
  const maps = fitMaps(kind, image, dims, times, opts);
  await writeMaps(path, maps, slices);
}
