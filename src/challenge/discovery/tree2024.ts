/**
 * The 2024 input tree below a split folder (`CMRxRecon2024`):
 * ```
 * UnderSample_TaskN/Pxxx/{stem}_kus_{Pattern}{R}.mat      variable kus
 * Mask_TaskN/Pxxx/{stem}_mask_{Pattern}{R}.mat            variable mask
 * FullSample/Pxxx/{stem}.mat                              variable kspace_full
 * ```
 * Names from `editions/2024.ts`; submission paths `{Modality}/{Split}/TaskN/Pxxx/...` from the
 * one path grammar (`paths.ts`).
 *
 * @module
 */

import type { Case, Discovery } from "../case.ts";
import { EDITION_2024 } from "../editions/mod.ts";
import { formSubmissionPath, KUS_FILE_RE } from "../paths.ts";
import type { SplitContext, TreeReader } from "./tree.ts";
import {
  brokenCompanion,
  brokenEntry,
  firstFile,
  isFile,
  kusAccOf,
  listDir,
  patientDirs,
} from "./walk.ts";

const CASES_FOLDER = /^UnderSample_Task\d+$/;
const TASK_FOLDER = /^(UnderSample|Mask)_Task\w+$/;

/** The 2024 tree reader. */
export const TREE_2024: TreeReader = {
  year: 2024,
  expects: EDITION_2024.layout!.inputExample,
  claims: (folders) =>
    folders.some((f) => f.startsWith("UnderSample_Task") || /^Mask_Task\d+$/.test(f)),
  async collectSplit(found, ctx, folders, opts) {
    const { ignored, problems } = found;
    for (const a of folders) {
      const task = TASK_FOLDER.test(a.name);
      const inScope = task || (a.name === "FullSample" && !!opts.fullSample);
      if (!a.isDirectory) {
        if (inScope) brokenEntry(problems, a, "folder of the layout");
        else if (a.name !== "FullSample") ignored.push(a.path);
        continue;
      }
      if (!inScope) {
        if (a.name !== "FullSample") ignored.push(a.path);
        continue;
      }
      if (a.name === "FullSample") {
        await collectFullSample(found, { ...ctx, accFolder: a.name }, a.path);
      } else if (CASES_FOLDER.test(a.name)) {
        await collectUnderSample(found, { ...ctx, accFolder: a.name }, a.path, opts.acc);
      } else if (!a.name.startsWith("Mask_")) ignored.push(a.path);
    }
  },
  accOf: kusAccOf,
};

type FolderContext = SplitContext & Pick<Case, "accFolder">;

/**
 * The cases of an `UnderSample_TaskN` folder: `Pxxx/{stem}_kus_{Pattern}{R}.mat`, masks in
 * `Mask_TaskN/Pxxx/{stem}_mask_{Pattern}{R}.mat`.
 */
async function collectUnderSample(
  found: Discovery,
  ctx: FolderContext,
  accPath: string,
  accFilter?: number[],
) {
  const { cases: out, ignored, problems } = found;
  const e = EDITION_2024;
  const taskNo = ctx.accFolder.replace("UnderSample_", "");
  const maskDir = accPath.replace(/UnderSample_(Task\w+)$/, "Mask_$1");
  for (const p of await patientDirs(found, accPath)) {
    for (const f of await listDir(p.path, problems)) {
      const m = KUS_FILE_RE.exec(f.name);
      if (!m) {
        if (!f.isFile && f.name.endsWith(".mat")) brokenEntry(problems, f, "k-space file");
        else ignored.push(f.path);
        continue;
      }
      const [, stem, pattern, r] = m;
      const acc = Number(r);
      if (accFilter && !accFilter.includes(acc)) continue;
      const sub = formSubmissionPath(e.layout!, {
        modality: ctx.modality,
        split: ctx.split,
        task: taskNo,
        patient: p.name,
      }, f.name);
      if (!f.isFile) {
        brokenEntry(problems, f, "k-space file", sub);
        continue;
      }
      const maskFile = `${maskDir}/${p.name}/${stem}_mask_${pattern}${r}.mat`;
      await brokenCompanion(problems, maskFile, "mask file");
      const csv = await firstFile([
        `${p.path}/${stem}.csv`,
        `${accPath}/../FullSample/${p.name}/${stem}.csv`,
      ]);
      out.push({
        ...ctx,
        year: 2024,
        acc,
        pattern,
        patient: p.name,
        name: stem,
        view: e.viewOf(stem),
        file: f.path,
        variable: e.kspaceVariable(ctx.coil, acc),
        ...((await isFile(maskFile)) ? { maskFile, maskVariable: e.maskVariable(acc) } : {}),
        ...(ctx.task === "mapping" && csv ? { csvFile: csv } : {}),
        submissionPath: sub,
      });
    }
  }
}

/** The references of a 2024 `FullSample` folder: `Pxxx/{stem}.mat`. */
async function collectFullSample(found: Discovery, ctx: FolderContext, accPath: string) {
  const { cases: out, ignored, problems } = found;
  const e = EDITION_2024;
  for (const p of await patientDirs(found, accPath)) {
    for (const f of await listDir(p.path, problems)) {
      const sub = formSubmissionPath(e.layout!, {
        modality: ctx.modality,
        split: ctx.split,
        task: "FullSample",
        patient: p.name,
      }, f.name);
      if (!f.isFile || !f.name.endsWith(".mat")) {
        if (f.name.endsWith(".mat")) brokenEntry(problems, f, "k-space file", sub);
        else if (f.name.endsWith(".csv")) {
          if (!f.isFile) brokenEntry(problems, f, "times (csv) file");
        } else ignored.push(f.path);
        continue;
      }
      const stem = f.name.replace(/\.mat$/, "");
      const csv = `${p.path}/${stem}.csv`;
      out.push({
        ...ctx,
        year: 2024,
        acc: null,
        pattern: "",
        patient: p.name,
        name: stem,
        view: e.viewOf(stem),
        file: f.path,
        variable: e.kspaceVariable(ctx.coil, null),
        ...(ctx.task === "mapping" && (await isFile(csv)) ? { csvFile: csv } : {}),
        submissionPath: sub,
      });
    }
  }
}
