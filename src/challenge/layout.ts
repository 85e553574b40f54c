/**
 * The official CMRxRecon folder layout: finding the cases of a dataset and mapping each to
 * its place in a submission.
 *
 * 2023 (`CMRxRecon`):
 * ```
 * <root>/{MultiCoil|SingleCoil}/{Cine|Mapping}/{TrainingSet|ValidationSet|TestSet}/
 *        {FullSample|AccFactor04|AccFactor08|AccFactor10}/P001/
 *        cine_lax.mat cine_sax.mat (+ _mask.mat) | T1map.mat T2map.mat (+ _mask.mat, .csv)
 * ```
 * variables `kspace_full`, `kspace_sub04/08/10` (single coil: `kspace_single_*`), masks
 * `mask04/08/10`. Submission: `MultiCoil/Cine/ValidationSet/AccFactor04/P001/cine_sax.mat`.
 *
 * 2024 (`CMRxRecon2024`): `<root>/MultiCoil/{Modality}/{Split}/UnderSample_TaskN/Pxxx/
 * {name}_kus_{Pattern}{R}.mat` (variable `kus`), masks in `Mask_TaskN/Pxxx/
 * {name}_mask_{Pattern}{R}.mat` (variable `mask`), `FullSample/Pxxx/{name}.mat`
 * (`kspace_full`). Submission: `{Modality}/{Split}/TaskN/Pxxx/{name}_kus_{Pattern}{R}.mat`.
 *
 * @module
 */

import { LayoutError } from "../errors.ts";

/** The two reconstruction tasks of 2023. */
export type Task = "cine" | "mapping";
/** Coil configuration folder. */
export type CoilType = "MultiCoil" | "SingleCoil";
/** Split folder. */
export type SplitFolder = "TrainingSet" | "ValidationSet" | "TestSet";
/** Split as users type it. */
export type Split = "training" | "validation" | "test";

/** One k-space file to reconstruct (or, for FullSample, a reference). */
export interface Case {
  /** Layout generation the file follows. */
  year: 2023 | 2024;
  /** The dataset root the search started from. */
  root: string;
  /** `MultiCoil` or `SingleCoil`. */
  coil: CoilType;
  /** Modality folder: `Cine`, `Mapping` (2024 also `Aorta`, `Tagging`, ...). */
  modality: string;
  /** `cine` for Cine, `mapping` for Mapping; other 2024 modalities count as cine-like. */
  task: Task;
  /** `TrainingSet`, `ValidationSet` or `TestSet`. */
  split: SplitFolder;
  /** The folder below the split: `AccFactor04`, `FullSample`, `UnderSample_Task1`. */
  accFolder: string;
  /** Acceleration factor, null for fully sampled data. */
  acc: number | null;
  /** 2024 sampling pattern (`Uniform`, `ktGaussian`, ...); `Uniform` for 2023. */
  pattern: string;
  /** Patient folder, e.g. `P001`. */
  patient: string;
  /** File stem: `cine_lax`, `cine_sax`, `T1map`, `T2map` (2024: also `aorta_sag`, ...). */
  name: string;
  /** Short view name: `lax`, `sax`, `T1`, `T2`, or the stem for other 2024 modalities. */
  view: string;
  /** Path of the k-space file. */
  file: string;
  /** The variable holding k-space in it. */
  variable: string;
  /** Path of the mask file, when the layout has one for this case. */
  maskFile?: string;
  /** The mask variable in it. */
  maskVariable?: string;
  /** `T1map.csv` / `T2map.csv` with inversion / preparation times (mapping only). */
  csvFile?: string;
  /**
   * Where the reconstruction goes, relative to the submission folder (`Submission/`);
   * `TestSet` stays `TestSet`.
   */
  submissionPath: string;
}

/** Filters for {@link discover}; every field is optional (all by default). */
export interface DiscoverOptions {
  task?: Task | "both";
  split?: Split;
  coil?: "multi" | "single" | "both";
  /** Keep these acceleration factors only (e.g. [4, 8, 10]). */
  acc?: number[];
  /** Include `FullSample` cases (off by default: they are references, not inputs). */
  fullSample?: boolean;
}

/** What {@link discover} found. */
export interface Discovery {
  /** Cases in a stable order (coil, modality, split, acceleration, patient, name). */
  cases: Case[];
  /** Files and folders that were not recognised, for the user to see. */
  ignored: string[];
}

const SPLIT_FOLDER: Record<Split, SplitFolder> = {
  training: "TrainingSet",
  validation: "ValidationSet",
  test: "TestSet",
};

/** The folder name of a split (`validation` -> `ValidationSet`). */
export function splitFolder(split: Split): SplitFolder {
  return SPLIT_FOLDER[split];
}

const VIEW_OF: Record<string, string> = {
  cine_lax: "lax",
  cine_sax: "sax",
  T1map: "T1",
  T2map: "T2",
};

/** Two-digit acceleration folder name: 4 -> `AccFactor04`. */
export function accFolderName(acc: number): string {
  return `AccFactor${String(acc).padStart(2, "0")}`;
}

/** Variable name of 2023 k-space: `kspace_sub04`, `kspace_full`, `kspace_single_sub08`. */
export function kspaceVariable2023(coil: CoilType, acc: number | null): string {
  const single = coil === "SingleCoil" ? "single_" : "";
  return acc === null
    ? `kspace_${single}full`
    : `kspace_${single}sub${String(acc).padStart(2, "0")}`;
}

/** Variable name of a 2023 mask: `mask04`. */
export function maskVariable2023(acc: number): string {
  return `mask${String(acc).padStart(2, "0")}`;
}

/** Entries of a folder (hidden ones skipped); symbolic links count as what they point to. */
async function listDir(path: string): Promise<Deno.DirEntry[]> {
  const out: Deno.DirEntry[] = [];
  try {
    for await (const e of Deno.readDir(path)) {
      if (e.name.startsWith(".")) continue;
      if (e.isSymlink) {
        try {
          const st = await Deno.stat(`${path}/${e.name}`);
          out.push({ ...e, isFile: st.isFile, isDirectory: st.isDirectory });
        } catch { /* dangling link: skip */ }
      } else out.push(e);
    }
  } catch {
    return [];
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

async function firstFile(paths: string[]): Promise<string | undefined> {
  for (const p of paths) if (await isFile(p)) return p;
  return undefined;
}

/** Finds the folders that hold `MultiCoil` / `SingleCoil`, up to two levels down. */
async function coilRoots(root: string): Promise<{ path: string; coil: CoilType }[]> {
  const base = root.replace(/\/+$/, "") || "/";
  const last = base.split("/").pop();
  if (last === "MultiCoil" || last === "SingleCoil") return [{ path: base, coil: last }];
  const found: { path: string; coil: CoilType }[] = [];
  let level = [base];
  for (let depth = 0; depth < 3 && found.length === 0; depth++) {
    const next: string[] = [];
    for (const dir of level) {
      for (const e of await listDir(dir)) {
        if (!e.isDirectory) continue;
        const p = `${dir}/${e.name}`;
        if (e.name === "MultiCoil" || e.name === "SingleCoil") {
          found.push({ path: p, coil: e.name });
        } else next.push(p);
      }
    }
    level = next;
  }
  return found;
}

const EXPECTED = "expected <root>/{MultiCoil|SingleCoil}/{Cine|Mapping}/" +
  "{TrainingSet|ValidationSet|TestSet}/{AccFactor04|AccFactor08|AccFactor10|FullSample}/P001/" +
  "cine_sax.mat ... (2023), or .../UnderSample_Task1/P001/cine_sax_kus_Uniform4.mat (2024)";

const KUS_RE = /^(.+)_kus_([A-Za-z]+?)(\d+)\.mat$/;

/**
 * Lists the cases of a CMRxRecon dataset. `root` may be the folder holding `MultiCoil` /
 * `SingleCoil` (or one or two levels above it, e.g. `ChallengeData`), or a coil folder.
 * Throws {@link LayoutError} with what was expected and what was found when nothing fits.
 */
export async function discover(root: string, opts: DiscoverOptions = {}): Promise<Discovery> {
  try {
    if (!(await Deno.stat(root)).isDirectory) throw new Error();
  } catch {
    throw new LayoutError("no such folder", {
      file: root,
      hint: "pass the dataset root (the folder that holds MultiCoil/ or SingleCoil/)",
    });
  }
  const roots = await coilRoots(root);
  if (roots.length === 0) {
    const seen = (await listDir(root)).map((e) => e.name + (e.isDirectory ? "/" : ""));
    throw new LayoutError(
      `no MultiCoil/ or SingleCoil/ folder found (found: ${
        seen.slice(0, 12).join(", ") || "nothing"
      })`,
      { file: root, hint: EXPECTED },
    );
  }
  const cases: Case[] = [];
  const ignored: string[] = [];
  const wantCoil = (c: CoilType) =>
    !opts.coil || opts.coil === "both" || (opts.coil === "multi") === (c === "MultiCoil");
  const seenSplits = new Set<string>();
  for (const { path: coilPath, coil } of roots) {
    if (!wantCoil(coil)) continue;
    for (const m of await listDir(coilPath)) {
      if (!m.isDirectory) continue;
      const task: Task = m.name === "Mapping" ? "mapping" : "cine";
      if (opts.task && opts.task !== "both" && opts.task !== task) continue;
      for (const s of await listDir(`${coilPath}/${m.name}`)) {
        if (!s.isDirectory || !["TrainingSet", "ValidationSet", "TestSet"].includes(s.name)) {
          ignored.push(`${coilPath}/${m.name}/${s.name}`);
          continue;
        }
        seenSplits.add(`${coil}/${m.name}/${s.name}`);
        if (opts.split && SPLIT_FOLDER[opts.split] !== s.name) continue;
        const splitPath = `${coilPath}/${m.name}/${s.name}`;
        const accDirs = await listDir(splitPath);
        const is2024 = accDirs.some((a) => a.name.startsWith("UnderSample_Task"));
        for (const a of accDirs) {
          const accPath = `${splitPath}/${a.name}`;
          const ctx = { root, coil, modality: m.name, task, split: s.name as SplitFolder };
          if (!a.isDirectory) {
            ignored.push(accPath);
            continue;
          }
          const accMatch = /^AccFactor(\d+)$/.exec(a.name);
          if (accMatch) {
            const acc = Number(accMatch[1]);
            if (opts.acc && !opts.acc.includes(acc)) continue;
            await collect2023(cases, ignored, { ...ctx, accFolder: a.name, acc }, accPath);
          } else if (a.name === "FullSample") {
            if (!opts.fullSample) continue;
            if (is2024) {
              await collect2024Full(cases, ignored, { ...ctx, accFolder: a.name }, accPath);
            } else {await collect2023(
                cases,
                ignored,
                { ...ctx, accFolder: a.name, acc: null },
                accPath,
              );}
          } else if (/^UnderSample_Task\d+$/.test(a.name)) {
            await collect2024(cases, ignored, { ...ctx, accFolder: a.name }, accPath, opts.acc);
          } else if (
            !/^Mask_Task\w+$/.test(a.name) && !["SegmentROI", "ImgSnapshot"].includes(a.name)
          ) {
            ignored.push(accPath);
          }
        }
      }
    }
  }
  if (cases.length === 0) {
    const what = [
      opts.task && opts.task !== "both" ? `task ${opts.task}` : "",
      opts.split ? `split ${opts.split} (${SPLIT_FOLDER[opts.split]})` : "",
      opts.coil && opts.coil !== "both" ? `coil ${opts.coil}` : "",
      opts.acc ? `acceleration ${opts.acc.join("/")}` : "",
    ].filter(Boolean).join(", ");
    throw new LayoutError(
      `no k-space files found${what ? ` for ${what}` : ""}; present: ${
        [...seenSplits].join(", ") || "no split folders"
      }`,
      { file: root, hint: EXPECTED },
    );
  }
  return { cases, ignored };
}

type Ctx2023 = Pick<Case, "root" | "coil" | "modality" | "task" | "split" | "accFolder" | "acc">;

async function collect2023(out: Case[], ignored: string[], ctx: Ctx2023, accPath: string) {
  for (const p of await listDir(accPath)) {
    const pPath = `${accPath}/${p.name}`;
    if (!p.isDirectory) {
      ignored.push(pPath);
      continue;
    }
    for (const f of await listDir(pPath)) {
      const stem = f.name.replace(/\.mat$/, "");
      if (!f.isFile || !f.name.endsWith(".mat")) {
        if (!/^T[12]map\.csv$/.test(f.name)) ignored.push(`${pPath}/${f.name}`);
        continue;
      }
      if (stem.endsWith("_mask")) continue;
      const file = `${pPath}/${f.name}`;
      const maskFile = `${pPath}/${stem}_mask.mat`;
      const hasMask = ctx.acc !== null && (await isFile(maskFile));
      const csv = `${pPath}/${stem}.csv`;
      const sub = `${ctx.coil}/${ctx.modality}/${ctx.split}/${ctx.accFolder}/${p.name}/${f.name}`;
      out.push({
        ...ctx,
        year: 2023,
        pattern: "Uniform",
        patient: p.name,
        name: stem,
        view: VIEW_OF[stem] ?? stem,
        file,
        variable: kspaceVariable2023(ctx.coil, ctx.acc),
        ...(hasMask ? { maskFile, maskVariable: maskVariable2023(ctx.acc!) } : {}),
        ...(ctx.task === "mapping" && (await isFile(csv)) ? { csvFile: csv } : {}),
        submissionPath: sub,
      });
    }
  }
}

type Ctx2024 = Omit<Ctx2023, "acc">;

async function collect2024(
  out: Case[],
  ignored: string[],
  ctx: Ctx2024,
  accPath: string,
  accFilter?: number[],
) {
  const taskNo = ctx.accFolder.replace("UnderSample_", "");
  const maskDir = accPath.replace(/UnderSample_(Task\w+)$/, "Mask_$1");
  for (const p of await listDir(accPath)) {
    const pPath = `${accPath}/${p.name}`;
    if (!p.isDirectory) {
      ignored.push(pPath);
      continue;
    }
    for (const f of await listDir(pPath)) {
      const m = KUS_RE.exec(f.name);
      if (!f.isFile || !m) {
        ignored.push(`${pPath}/${f.name}`);
        continue;
      }
      const [, stem, pattern, r] = m;
      const acc = Number(r);
      if (accFilter && !accFilter.includes(acc)) continue;
      const maskFile = `${maskDir}/${p.name}/${stem}_mask_${pattern}${r}.mat`;
      const csv = await firstFile([
        `${pPath}/${stem}.csv`,
        `${accPath}/../FullSample/${p.name}/${stem}.csv`,
      ]);
      out.push({
        ...ctx,
        year: 2024,
        acc,
        pattern,
        patient: p.name,
        name: stem,
        view: VIEW_OF[stem] ?? stem,
        file: `${pPath}/${f.name}`,
        variable: "kus",
        ...((await isFile(maskFile)) ? { maskFile, maskVariable: "mask" } : {}),
        ...(ctx.task === "mapping" && csv ? { csvFile: csv } : {}),
        submissionPath: `${ctx.modality}/${ctx.split}/${taskNo}/${p.name}/${f.name}`,
      });
    }
  }
}

async function collect2024Full(out: Case[], ignored: string[], ctx: Ctx2024, accPath: string) {
  for (const p of await listDir(accPath)) {
    const pPath = `${accPath}/${p.name}`;
    if (!p.isDirectory) {
      ignored.push(pPath);
      continue;
    }
    for (const f of await listDir(pPath)) {
      if (!f.isFile || !f.name.endsWith(".mat")) {
        if (!f.name.endsWith(".csv")) ignored.push(`${pPath}/${f.name}`);
        continue;
      }
      const stem = f.name.replace(/\.mat$/, "");
      const csv = `${pPath}/${stem}.csv`;
      out.push({
        ...ctx,
        year: 2024,
        acc: null,
        pattern: "",
        patient: p.name,
        name: stem,
        view: VIEW_OF[stem] ?? stem,
        file: `${pPath}/${f.name}`,
        variable: "kspace_full",
        ...(ctx.task === "mapping" && (await isFile(csv)) ? { csvFile: csv } : {}),
        submissionPath: `${ctx.modality}/${ctx.split}/FullSample/${p.name}/${f.name}`,
      });
    }
  }
}

/**
 * Where the fully sampled reference of a 2023 case lives under a truth root (a dataset
 * root, or the `GroundTruth` root that `deno task synth` writes):
 * `<truth>/{coil}/{Modality}/{split}/FullSample/{patient}/{name}.mat`.
 */
export function fullSamplePath(c: Case, truthRoot: string): string {
  const base = truthRoot.replace(/\/+$/, "");
  return `${base}/${c.coil}/${c.modality}/${c.split}/FullSample/${c.patient}/${c.name}.mat`;
}
