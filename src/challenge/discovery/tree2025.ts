/**
 * The 2025 input tree below a split folder (`CMRxRecon2025`; reference §1.2, §2.1, §3.5):
 * ```
 * UnderSample_TaskR1/CenterNNN/{Vendor}/Pxxx/{stem}_kus_{Pattern}{R}.mat   variable kus
 * Mask_TaskR1/CenterNNN/{Vendor}/Pxxx/{stem}_mask_{Pattern}{R}.mat         variable mask
 * FullSample/CenterNNN/{Vendor}/Pxxx/{stem}.mat                            variable kspace
 * Mask_TaskAll/CenterNNN/{Vendor}/Pxxx/...                                 (training masks)
 * ```
 * with `{stem}_info.csv` beside each k-space file. The validation and test sets sit under a
 * task folder above the coil level (`<root>/TaskR1/MultiCoil/...`; {@link TREE_2025}'s
 * `topFolder`); the training set, shared by the four tasks, at `<root>/MultiCoil/...`.
 * Variable names from `editions/2025.ts`. Submission paths follow the 2025 submission
 * readme: `{Task}/MultiCoil/{Modality}/{Split}/UnderSample_{Task}/{Center}/{Vendor}/Pxxx/
 * {stem}_kus_{Pattern}{R}.mat` (the grammar of `editions/2025.ts`'s `layout`, which
 * `paths.ts` parses back).
 *
 * @module
 */

import type { Case, Discovery } from "../case.ts";
import { EDITION_2025 } from "../editions/mod.ts";
import { KUS_FILE_RE } from "../paths.ts";
import type { SplitContext, TreeReader } from "./tree.ts";
import {
  brokenCompanion,
  brokenEntry,
  type Entry,
  isFile,
  kusAccOf,
  listDir,
  patientDirs,
} from "./walk.ts";

const TASK = "Task[RS]\\d+";
const CASES_FOLDER = new RegExp(`^UnderSample_(${TASK})$`);
const CLAIMED = new RegExp(`^(UnderSample|Mask)_${TASK}$|^Mask_TaskAll$`);

/** The 2025 tree reader. */
export const TREE_2025: TreeReader = {
  year: 2025,
  expects: "<root>/{TaskR1|TaskR2|TaskS1|TaskS2}/MultiCoil/{Modality}/ValidationSet/" +
    "UnderSample_TaskR1/Center001/{Vendor}/P001/cine_sax_kus_ktGaussian8.mat, " +
    "<root>/MultiCoil/{Modality}/TrainingSet/FullSample/Center001/{Vendor}/P001/cine_sax.mat",
  topFolder: new RegExp(`^${TASK}$`),
  claims: (folders) => folders.some((f) => CLAIMED.test(f)),
  async collectSplit(found, ctx, folders, opts) {
    const { ignored, problems } = found;
    for (const a of folders) {
      const cases = CASES_FOLDER.exec(a.name);
      const known = CLAIMED.test(a.name) || a.name === "FullSample";
      const inScope = !!cases || (a.name === "FullSample" && !!opts.fullSample);
      if (!a.isDirectory) {
        if (inScope) brokenEntry(problems, a, "folder of the layout");
        else if (!known) ignored.push(a.path);
        continue;
      }
      if (!inScope) {
        if (!known) ignored.push(a.path);
        continue;
      }
      const ctxA = { ...ctx, accFolder: a.name };
      for (const site of await siteDirs(found, a.path)) {
        if (cases) await collectUnderSample(found, ctxA, cases[1], site, opts.acc);
        else await collectFullSample(found, ctxA, site);
      }
    }
  },
  accOf: kusAccOf,
};

/** A vendor folder: `<acc folder>/CenterNNN/{Vendor}`. */
interface Site {
  center: string;
  vendor: string;
  path: string;
}

/** The `CenterNNN/{Vendor}` folders of an acceleration (or FullSample) folder. */
async function siteDirs(found: Discovery, accPath: string): Promise<Site[]> {
  const out: Site[] = [];
  for (const c of await listDir(accPath, found.problems)) {
    if (!c.isDirectory) {
      found.ignored.push(c.path);
      continue;
    }
    for (const v of await listDir(c.path, found.problems)) {
      if (v.isDirectory) out.push({ center: c.name, vendor: v.name, path: v.path });
      else found.ignored.push(v.path);
    }
  }
  return out;
}

type FolderContext = SplitContext & Pick<Case, "accFolder">;

/** The submission path of a 2025 file (the 2025 submission readme's tree). */
function submissionPath(
  ctx: FolderContext,
  task: string | null,
  site: Site,
  patient: string,
  file: string,
): string {
  return [
    ...(task ? [task] : []),
    ctx.coil,
    ctx.modality,
    ctx.split,
    ctx.accFolder,
    site.center,
    site.vendor,
    patient,
    file,
  ].join("/");
}

/** The cases of `UnderSample_TaskXX/{Center}/{Vendor}`, masks in `Mask_TaskXX/...`. */
async function collectUnderSample(
  found: Discovery,
  ctx: FolderContext,
  task: string,
  site: Site,
  accFilter?: number[],
) {
  const { cases: out, ignored, problems } = found;
  const e = EDITION_2025;
  const maskSite = site.path.replace(
    new RegExp(`/UnderSample_${task}/([^/]+)/([^/]+)$`),
    `/Mask_${task}/$1/$2`,
  );
  for (const p of await patientDirs(found, site.path)) {
    for (const f of await listDir(p.path, problems)) {
      const m = KUS_FILE_RE.exec(f.name);
      if (!m) {
        if (!f.isFile && f.name.endsWith(".mat")) brokenEntry(problems, f, "k-space file");
        else if (!f.name.endsWith("_info.csv")) ignored.push(f.path);
        continue;
      }
      const [, stem, pattern, r] = m;
      const acc = Number(r);
      if (accFilter && !accFilter.includes(acc)) continue;
      const sub = submissionPath(ctx, task, site, p.name, f.name);
      if (!f.isFile) {
        brokenEntry(problems, f, "k-space file", sub);
        continue;
      }
      const maskFile = `${maskSite}/${p.name}/${stem}_mask_${pattern}${r}.mat`;
      await brokenCompanion(problems, maskFile, "mask file");
      out.push({
        ...ctx,
        year: 2025,
        acc,
        pattern,
        patient: p.name,
        name: stem,
        view: e.viewOf(stem),
        file: f.path,
        variable: e.kspaceVariable(ctx.coil, acc),
        ...((await isFile(maskFile)) ? { maskFile, maskVariable: e.maskVariable(acc) } : {}),
        ...(await info(p, stem)),
        center: site.center,
        vendor: site.vendor,
        submissionPath: sub,
      });
    }
  }
}

/** The references of a 2025 `FullSample/{Center}/{Vendor}` folder: `Pxxx/{stem}.mat`. */
async function collectFullSample(found: Discovery, ctx: FolderContext, site: Site) {
  const { cases: out, ignored, problems } = found;
  const e = EDITION_2025;
  for (const p of await patientDirs(found, site.path)) {
    for (const f of await listDir(p.path, problems)) {
      const sub = submissionPath(ctx, null, site, p.name, f.name);
      if (!f.isFile || !f.name.endsWith(".mat")) {
        if (f.name.endsWith(".mat")) brokenEntry(problems, f, "k-space file", sub);
        else if (!f.name.endsWith("_info.csv")) ignored.push(f.path);
        continue;
      }
      const stem = f.name.replace(/\.mat$/, "");
      out.push({
        ...ctx,
        year: 2025,
        acc: null,
        pattern: "",
        patient: p.name,
        name: stem,
        view: e.viewOf(stem),
        file: f.path,
        variable: e.kspaceVariable(ctx.coil, null),
        ...(await info(p, stem)),
        center: site.center,
        vendor: site.vendor,
        submissionPath: sub,
      });
    }
  }
}

/** `{stem}_info.csv` beside a file, when present. */
async function info(p: Entry, stem: string): Promise<{ infoFile?: string }> {
  const path = `${p.path}/${stem}_info.csv`;
  return (await isFile(path)) ? { infoFile: path } : {};
}
