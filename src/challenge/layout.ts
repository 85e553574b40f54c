/**
 * Discovery: finding the cases of a CMRxRecon dataset and mapping each to its place in a
 * submission. The folder names and the submission path come from the one path grammar
 * (`paths.ts`) and the editions' layout data (`editions/*.ts`); the variables and view
 * names from the edition the folders follow. Entries that cannot be used are returned as
 * {@link DiscoveryProblem}s, worded by `problem_text.ts`.
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

import type { Split, Task } from "./edition.ts";
import { EDITION_2023, EDITION_2024 } from "./editions/mod.ts";
import {
  COIL_FOLDERS,
  type CoilType,
  formSubmissionPath,
  knownLayouts,
  KUS_FILE_RE,
  SPLIT_FOLDERS,
  type SplitFolder,
  splitFolder,
  taskOf,
} from "./paths.ts";
import { problemsError } from "./problem_text.ts";
import { errorMessage, LayoutError } from "../errors.ts";
import { describeKind, type EntryKind, entryKind } from "../fsutil.ts";

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
  /** Keep this task's modalities only (`cine` also keeps the other cine-like 2024 ones). */
  task?: Task | "both";
  /** Keep this split only (`training` is `TrainingSet`, ...). */
  split?: Split;
  /** Keep `MultiCoil` (`multi`) or `SingleCoil` (`single`) cases only. */
  coil?: "multi" | "single" | "both";
  /** Keep these acceleration factors only (e.g. [4, 8, 10]). */
  acc?: number[];
  /** Include `FullSample` cases (off by default: they are references, not inputs). */
  fullSample?: boolean;
  /**
   * Return an empty result instead of throwing when the coil folders hold no case (callers
   * that look elsewhere next, and report {@link Discovery.problems} themselves).
   */
  allowEmpty?: boolean;
}

/**
 * An entry at a position of the layout (a k-space, mask or csv file, a patient, acceleration,
 * split or modality folder) that cannot be used: a dangling link, a link loop, a folder where
 * a file belongs, a named pipe, a device, a file where a folder belongs, or a folder that
 * cannot be listed. The case it stands for is not in {@link Discovery.cases}, so a caller
 * that goes on must say the result is incomplete.
 */
export interface DiscoveryProblem {
  /** The entry on disk. */
  path: string;
  /** What the entry is (symbolic links followed). */
  kind: EntryKind;
  /** What is wrong, e.g. `is a named pipe (FIFO), not a k-space file`. */
  reason: string;
  /** What to do about it. */
  fix: string;
  /**
   * For a k-space entry: where its reconstruction goes in a submission (what
   * {@link Case.submissionPath} would have been), so checks against the input can name it.
   */
  submissionPath?: string;
}

/** What {@link discover} found. */
export interface Discovery {
  /** Cases in a stable order (coil, modality, split, acceleration, patient, name). */
  cases: Case[];
  /** Files and folders that were not recognised, for the user to see. */
  ignored: string[];
  /**
   * Entries at layout positions that cannot be read (see {@link DiscoveryProblem}): each is
   * an error, and the cases are incomplete while there is any.
   */
  problems: DiscoveryProblem[];
}

/** A folder entry classified with symbolic links followed. */
interface Entry {
  name: string;
  /** `<folder>/<name>`. */
  path: string;
  kind: EntryKind;
  detail?: string;
  isFile: boolean;
  isDirectory: boolean;
}

/**
 * Entries of a folder (hidden ones skipped), sorted by name; symbolic links count as what
 * they point to (a dangling link or loop keeps its kind, for {@link brokenEntry}). A folder
 * that cannot be listed adds a problem to `problems` when given.
 */
async function listDir(path: string, problems?: DiscoveryProblem[]): Promise<Entry[]> {
  const out: Entry[] = [];
  try {
    for await (const e of Deno.readDir(path)) {
      if (e.name.startsWith(".")) continue;
      const p = `${path}/${e.name}`;
      const { kind, detail } = e.isSymlink || !(e.isFile || e.isDirectory)
        ? await entryKind(p)
        : { kind: (e.isFile ? "file" : "directory") as EntryKind, detail: undefined };
      out.push({
        name: e.name,
        path: p,
        kind,
        detail,
        isFile: kind === "file",
        isDirectory: kind === "directory",
      });
    }
  } catch (e) {
    problems?.push({
      path,
      kind: "unreadable",
      reason: `folder cannot be listed (${errorMessage(e)})`,
      fix: "check its permissions (cmrxkit needs to read every folder of the dataset)",
    });
    return [];
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Records an entry that sits where the layout wants a `what` (e.g. `k-space file`, `patient
 * folder`) but is not one.
 */
function brokenEntry(
  problems: DiscoveryProblem[],
  e: Pick<Entry, "path" | "kind" | "detail">,
  what: string,
  submissionPath?: string,
): void {
  const wantsFolder = what.endsWith("folder");
  const fix = e.kind === "dangling-link" || e.kind === "link-loop"
    ? `repair the link so that it points to the ${what}, or remove it`
    : e.kind === "unreadable"
    ? "check its permissions"
    : wantsFolder
    ? `put the ${what} itself there (or remove the entry)`
    : `put the ${what} itself there (cmrxkit reads regular files only), or remove the entry`;
  problems.push({
    path: e.path,
    kind: e.kind,
    reason: `is ${describeKind(e.kind, e.detail)}, not a ${what}`,
    fix,
    ...(submissionPath ? { submissionPath } : {}),
  });
}

/** A mask or csv beside a case that exists but is not a regular file. */
async function brokenCompanion(
  problems: DiscoveryProblem[],
  path: string,
  what: string,
): Promise<void> {
  const { kind, detail } = await entryKind(path);
  if (kind !== "file" && kind !== "missing") brokenEntry(problems, { path, kind, detail }, what);
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
  if (COIL_FOLDERS.includes(last as CoilType)) return [{ path: base, coil: last as CoilType }];
  const found: { path: string; coil: CoilType }[] = [];
  let level = [base];
  for (let depth = 0; depth < 3 && found.length === 0; depth++) {
    const next: string[] = [];
    for (const dir of level) {
      for (const e of await listDir(dir)) {
        if (!e.isDirectory) continue;
        const p = `${dir}/${e.name}`;
        if (COIL_FOLDERS.includes(e.name as CoilType)) {
          found.push({ path: p, coil: e.name as CoilType });
        } else next.push(p);
      }
    }
    level = next;
  }
  return found;
}

/** What a dataset root should hold, every edition's input layout by example. */
const EXPECTED = `expected ${
  knownLayouts().map(({ year, layout }) => `${layout.inputExample} (${year})`).join(", or ")
}`;

/** Every edition's modality folders. */
const MODALITIES = new Set(knownLayouts().flatMap(({ layout }) => layout.modalities));

/**
 * Lists the cases of a CMRxRecon dataset. `root` may be the folder holding `MultiCoil` /
 * `SingleCoil` (or one or two levels above it, e.g. `ChallengeData`), or a coil folder.
 *
 * Nothing at a layout position is dropped silently: an entry that cannot be used (a dangling
 * link or loop, a folder or named pipe where a k-space file belongs, a link to a device, ...)
 * is listed in {@link Discovery.problems}, and its case is missing from the result. Callers
 * must report each problem and treat the cases as incomplete while there is any.
 *
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
  const found: Discovery = { cases: [], ignored: [], problems: [] };
  const { ignored, problems } = found;
  const wantCoil = (c: CoilType) =>
    !opts.coil || opts.coil === "both" || (opts.coil === "multi") === (c === "MultiCoil");
  const seenSplits = new Set<string>();
  for (const { path: coilPath, coil } of roots) {
    if (!wantCoil(coil)) continue;
    for (const m of await listDir(coilPath, problems)) {
      const task: Task = taskOf(m.name);
      if (opts.task && opts.task !== "both" && opts.task !== task) continue;
      if (!m.isDirectory) {
        if (MODALITIES.has(m.name)) brokenEntry(problems, m, "modality folder");
        continue;
      }
      for (const s of await listDir(m.path, problems)) {
        const isSplit = SPLIT_FOLDERS.includes(s.name as SplitFolder);
        if (!s.isDirectory || !isSplit) {
          if (isSplit) {
            if (!opts.split || splitFolder(opts.split) === s.name) {
              brokenEntry(problems, s, "split folder");
            }
          } else ignored.push(s.path);
          continue;
        }
        seenSplits.add(`${coil}/${m.name}/${s.name}`);
        if (opts.split && splitFolder(opts.split) !== s.name) continue;
        const ctx = { root, coil, modality: m.name, task, split: s.name as SplitFolder };
        await collectSplit(found, ctx, s.path, opts);
      }
    }
  }
  if (found.cases.length === 0 && !opts.allowEmpty) {
    const what = [
      opts.task && opts.task !== "both" ? `task ${opts.task}` : "",
      opts.split ? `split ${opts.split} (${splitFolder(opts.split)})` : "",
      opts.coil && opts.coil !== "both" ? `coil ${opts.coil}` : "",
      opts.acc ? `acceleration ${opts.acc.join("/")}` : "",
    ].filter(Boolean).join(", ");
    const none = `no k-space files found${what ? ` for ${what}` : ""}; present: ${
      [...seenSplits].join(", ") || "no split folders"
    }`;
    if (problems.length) throw problemsError(problems, { root, context: none });
    throw new LayoutError(none, { file: root, hint: EXPECTED });
  }
  return found;
}

type SplitCtx = Pick<Case, "root" | "coil" | "modality" | "task" | "split">;

/** The acceleration folders of one split folder. */
async function collectSplit(
  found: Discovery,
  ctx: SplitCtx,
  splitPath: string,
  opts: DiscoverOptions,
): Promise<void> {
  const { ignored, problems } = found;
  const accDirs = await listDir(splitPath, problems);
  const is2024 = accDirs.some((a) => a.name.startsWith("UnderSample_Task"));
  for (const a of accDirs) {
    const accMatch = /^AccFactor(\d+)$/.exec(a.name);
    const inScope = accMatch
      ? !opts.acc || opts.acc.includes(Number(accMatch[1]))
      : a.name === "FullSample"
      ? !!opts.fullSample
      : /^(UnderSample|Mask)_Task\w+$/.test(a.name);
    if (!a.isDirectory) {
      if (inScope) brokenEntry(problems, a, "folder of the layout");
      else if (!accMatch && a.name !== "FullSample") ignored.push(a.path);
      continue;
    }
    if (!inScope) {
      if (!accMatch && a.name !== "FullSample" && !["SegmentROI", "ImgSnapshot"].includes(a.name)) {
        ignored.push(a.path);
      }
      continue;
    }
    if (accMatch) {
      await collect2023(found, { ...ctx, accFolder: a.name, acc: Number(accMatch[1]) }, a.path);
    } else if (a.name === "FullSample") {
      if (is2024) await collect2024Full(found, { ...ctx, accFolder: a.name }, a.path);
      else await collect2023(found, { ...ctx, accFolder: a.name, acc: null }, a.path);
    } else if (/^UnderSample_Task\d+$/.test(a.name)) {
      await collect2024(found, { ...ctx, accFolder: a.name }, a.path, opts.acc);
    } else if (!/^Mask_Task\w+$/.test(a.name)) ignored.push(a.path);
  }
}

/** The patient folders of an acceleration folder; non-folders named like patients are problems. */
async function patientDirs(found: Discovery, accPath: string): Promise<Entry[]> {
  const out: Entry[] = [];
  for (const p of await listDir(accPath, found.problems)) {
    if (p.isDirectory) out.push(p);
    else if (/^P\d+$/i.test(p.name)) brokenEntry(found.problems, p, "patient folder");
    else found.ignored.push(p.path);
  }
  return out;
}

type Ctx2023 = SplitCtx & Pick<Case, "accFolder" | "acc">;

/** The cases of a 2023 acceleration (or FullSample) folder: `Pxxx/{stem}.mat`. */
async function collect2023(found: Discovery, ctx: Ctx2023, accPath: string) {
  const { cases: out, ignored, problems } = found;
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
        if (f.name.endsWith(".mat")) {
          if (stem.endsWith("_mask")) brokenEntry(problems, f, "mask file");
          else brokenEntry(problems, f, "k-space file", sub);
        } else if (/^T[12]map\.csv$/.test(f.name)) {
          if (!f.isFile) brokenEntry(problems, f, "times (csv) file");
        } else ignored.push(f.path);
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

type Ctx2024 = Omit<Ctx2023, "acc">;

/**
 * The cases of a 2024 `UnderSample_TaskN` folder: `Pxxx/{stem}_kus_{Pattern}{R}.mat`, masks
 * in `Mask_TaskN/Pxxx/{stem}_mask_{Pattern}{R}.mat`.
 */
async function collect2024(
  found: Discovery,
  ctx: Ctx2024,
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
async function collect2024Full(found: Discovery, ctx: Ctx2024, accPath: string) {
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

/**
 * Where the fully sampled reference of a 2023 case lives under a truth root (a dataset
 * root, or the `GroundTruth` root that `deno task synth` writes):
 * `<truth>/{coil}/{Modality}/{split}/FullSample/{patient}/{name}.mat`.
 */
export function fullSamplePath(c: Case, truthRoot: string): string {
  const base = truthRoot.replace(/\/+$/, "");
  return `${base}/${c.coil}/${c.modality}/${c.split}/FullSample/${c.patient}/${c.name}.mat`;
}
