/**
 * The 2023 input tree below a split folder:
 * ```
 * {FullSample|AccFactor04|AccFactor08|AccFactor10}/P001/
 *     cine_lax.mat cine_sax.mat (+ cine_*_mask.mat) | T1map.mat T2map.mat (+ _mask.mat, .csv)
 * ```
 * variables `kspace_full`, `kspace_sub04/08/10` (single coil `kspace_single_*`), masks
 * `mask04/08/10` (names from `editions/2023.ts`). `SegmentROI` and `ImgSnapshot` (training
 * extras) are known and skipped.
 *
 * @module
 */

import type { Case, Discovery } from "../case.ts";
import { EDITION_2023 } from "../editions/mod.ts";
import { formSubmissionPath } from "../paths.ts";
import type { SplitContext, TreeReader } from "./tree.ts";
import { brokenEntry, type Entry, isFile, listDir, patientDirs } from "./walk.ts";

const ACC_FOLDER = /^AccFactor(\d+)$/;
const EXTRAS = ["SegmentROI", "ImgSnapshot"];

/** The 2023 tree reader. */
export const TREE_2023: TreeReader = {
  year: 2023,
  expects: EDITION_2023.layout!.inputExample,
  claims: (folders) => folders.some((f) => ACC_FOLDER.test(f) || f === "FullSample"),
  async collectSplit(found, ctx, folders, opts) {
    const { ignored, problems } = found;
    for (const a of folders) {
      const accMatch = ACC_FOLDER.exec(a.name);
      const known = !!accMatch || a.name === "FullSample";
      const inScope = accMatch
        ? !opts.acc || opts.acc.includes(Number(accMatch[1]))
        : a.name === "FullSample" && !!opts.fullSample;
      if (!a.isDirectory) {
        if (inScope) brokenEntry(problems, a, "folder of the layout");
        else if (!known) ignored.push(a.path);
        continue;
      }
      if (!inScope) {
        if (!known && !EXTRAS.includes(a.name)) ignored.push(a.path);
        continue;
      }
      const acc = accMatch ? Number(accMatch[1]) : null;
      await collectAccFolder(found, { ...ctx, accFolder: a.name, acc }, a.path);
    }
  },
  accOf(accFolder) {
    const m = ACC_FOLDER.exec(accFolder);
    return m ? Number(m[1]) : undefined;
  },
};

type AccContext = SplitContext & Pick<Case, "accFolder" | "acc">;

/** The cases of a 2023 acceleration (or FullSample) folder: `Pxxx/{stem}.mat`. */
async function collectAccFolder(found: Discovery, ctx: AccContext, accPath: string) {
  const { cases: out, problems } = found;
  const e = EDITION_2023;
  for (const p of await patientDirs(found, accPath)) {
    for (const f of await listDir(p.path, problems)) {
      const stem = f.name.replace(/\.mat$/, "");
      const sub = formSubmissionPath(e.layout!, {
        coil: ctx.coil,
        modality: ctx.modality,
        split: ctx.split,
        acc: ctx.accFolder,
        patient: p.name,
      }, f.name);
      if (!f.isFile || !f.name.endsWith(".mat")) {
        brokenOrIgnored(found, f, stem, sub);
        continue;
      }
      if (stem.endsWith("_mask")) continue;
      const maskFile = `${p.path}/${stem}_mask.mat`;
      const hasMask = ctx.acc !== null && (await isFile(maskFile));
      const csv = `${p.path}/${stem}.csv`;
      out.push({
        ...ctx,
        year: 2023,
        pattern: "Uniform",
        patient: p.name,
        name: stem,
        view: e.viewOf(stem),
        file: f.path,
        variable: e.kspaceVariable(ctx.coil, ctx.acc),
        ...(hasMask ? { maskFile, maskVariable: e.maskVariable(ctx.acc!) } : {}),
        ...(ctx.task === "mapping" && (await isFile(csv)) ? { csvFile: csv } : {}),
        submissionPath: sub,
      });
    }
  }
}

/** An entry of a patient folder that is not a usable `.mat` file: a problem, or ignored. */
function brokenOrIgnored(found: Discovery, f: Entry, stem: string, sub: string): void {
  const { ignored, problems } = found;
  if (f.name.endsWith(".mat")) {
    if (stem.endsWith("_mask")) brokenEntry(problems, f, "mask file");
    else brokenEntry(problems, f, "k-space file", sub);
  } else if (/^T[12]map\.csv$/.test(f.name)) {
    if (!f.isFile) brokenEntry(problems, f, "times (csv) file");
  } else ignored.push(f.path);
}
