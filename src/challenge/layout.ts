/**
 * Discovery: finding the cases of a CMRxRecon dataset and mapping each to its place in a
 * submission. This module walks what every edition shares (the folders holding `MultiCoil` /
 * `SingleCoil`, modality and split folders) and hands each split folder to the tree reader
 * of the edition it follows (`discovery/tree2023.ts`, `tree2024.ts`); their folder names and
 * submission paths come from the one path grammar (`paths.ts`) and the editions' layout data
 * (`editions/*.ts`). Entries that cannot be used are returned as `DiscoveryProblem`s
 * (`case.ts`), worded by `problem_text.ts`.
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
 * 2025 (`CMRxRecon2025`): validation and test sets under a task folder,
 * `<root>/TaskR1/MultiCoil/{Modality}/{Split}/UnderSample_TaskR1/{Center}/{Vendor}/Pxxx/
 * {name}_kus_{Pattern}{R}.mat` (`kus`, masks in `Mask_TaskR1/...`, `{name}_info.csv` beside),
 * the shared training set at `<root>/MultiCoil/{Modality}/TrainingSet/FullSample/{Center}/
 * {Vendor}/Pxxx/{name}.mat` (`kspace`); read by `discovery/tree2025.ts`.
 *
 * @module
 */

import type { Case, DiscoverOptions, Discovery } from "./case.ts";
import { type SplitContext, treeFor, TREES } from "./discovery/mod.ts";
import { brokenEntry, listDir } from "./discovery/walk.ts";
import type { Task } from "./edition.ts";
import {
  COIL_FOLDERS,
  type CoilType,
  knownLayouts,
  SPLIT_FOLDERS,
  type SplitFolder,
  splitFolder,
  taskOf,
} from "./paths.ts";
import { problemsError } from "./problem_text.ts";
import { LayoutError } from "../errors.ts";

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
  // Editions with folders above the coil level (2025: `TaskR1/MultiCoil/` beside the
  // training set's `MultiCoil/`): their coil folders, beside the ones found.
  const tops = TREES.flatMap((t) => t.topFolder ? [t.topFolder] : []);
  const parents = new Set(found.map((f) => f.path.slice(0, f.path.lastIndexOf("/")) || "/"));
  for (const dir of parents) {
    for (const e of await listDir(dir)) {
      if (!e.isDirectory || !tops.some((re) => re.test(e.name))) continue;
      for (const c of await listDir(e.path)) {
        const p = `${dir}/${e.name}/${c.name}`;
        if (
          c.isDirectory && COIL_FOLDERS.includes(c.name as CoilType) &&
          !found.some((f) => f.path === p)
        ) {
          found.push({ path: p, coil: c.name as CoilType });
        }
      }
    }
  }
  return found;
}

/** What a dataset root should hold, every edition's input layout by example (oldest first). */
const EXPECTED = `expected ${
  [...TREES].sort((a, b) => a.year - b.year).map((t) => `${t.expects} (${t.year})`).join(", or ")
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
        const ctx: SplitContext = {
          root,
          coil,
          modality: m.name,
          task,
          split: s.name as SplitFolder,
        };
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

/**
 * The cases of one split folder, read by the edition tree that claims the folders below it
 * (`discovery/`: `AccFactor04` 2023, `UnderSample_Task1` 2024).
 */
async function collectSplit(
  found: Discovery,
  ctx: SplitContext,
  splitPath: string,
  opts: DiscoverOptions,
): Promise<void> {
  const folders = await listDir(splitPath, found.problems);
  const tree = treeFor(folders.map((f) => f.name));
  await tree.collectSplit(found, ctx, folders, opts);
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
