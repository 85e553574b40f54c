/**
 * Walking a dataset tree: folder entries with symbolic links followed, and entries at layout
 * positions that cannot be used recorded as {@link DiscoveryProblem}s with their fix. The
 * editions' tree readers (`tree2023.ts`, `tree2024.ts`) are built on it.
 *
 * @module
 */

import { errorMessage } from "../../errors.ts";
import { describeKind, type EntryKind, entryKind } from "../../fsutil.ts";
import type { Discovery, DiscoveryProblem } from "../case.ts";

/** A folder entry classified with symbolic links followed. */
export interface Entry {
  /** The entry's name in its folder. */
  name: string;
  /** `<folder>/<name>`. */
  path: string;
  /** What it is, symbolic links followed (a dangling link or loop keeps its own kind). */
  kind: EntryKind;
  /** Words for kinds that need them (the device or errno behind `unreadable`). */
  detail?: string;
  /** `kind === "file"`. */
  isFile: boolean;
  /** `kind === "directory"`. */
  isDirectory: boolean;
}

/**
 * Entries of a folder (hidden ones skipped), sorted by name; symbolic links count as what
 * they point to (a dangling link or loop keeps its kind, for {@link brokenEntry}). A folder
 * that cannot be listed adds a problem to `problems` when given.
 */
export async function listDir(path: string, problems?: DiscoveryProblem[]): Promise<Entry[]> {
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
export function brokenEntry(
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
export async function brokenCompanion(
  problems: DiscoveryProblem[],
  path: string,
  what: string,
): Promise<void> {
  const { kind, detail } = await entryKind(path);
  if (kind !== "file" && kind !== "missing") brokenEntry(problems, { path, kind, detail }, what);
}

/** Whether `path` is a regular file (links followed). */
export async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/** The first of `paths` that is a regular file. */
export async function firstFile(paths: string[]): Promise<string | undefined> {
  for (const p of paths) if (await isFile(p)) return p;
  return undefined;
}

/** The patient folders of an acceleration folder; non-folders named like patients are problems. */
export async function patientDirs(found: Discovery, accPath: string): Promise<Entry[]> {
  const out: Entry[] = [];
  for (const p of await listDir(accPath, found.problems)) {
    if (p.isDirectory) out.push(p);
    else if (/^P\d+$/i.test(p.name)) brokenEntry(found.problems, p, "patient folder");
    else found.ignored.push(p.path);
  }
  return out;
}

/** The acceleration in a k-space or mask file name: `..._kus_Uniform4.mat`, `..._mask_ktRadial8.mat`. */
const KUS_ACC_RE = /_kus_[A-Za-z]+?(\d+)\.mat$/;
const MASK_ACC_RE = /_mask_[A-Za-z]+?(\d+)\.mat$/;

/**
 * The acceleration of a file in a 2024/2025 tree from its name: the `R` of
 * `{stem}_kus_{Pattern}{R}.mat` in an `UnderSample_*` folder, of `{stem}_mask_{Pattern}{R}.mat`
 * in a `Mask_*` folder; undefined otherwise (the `accOf` of those tree readers).
 */
export function kusAccOf(accFolder: string, file?: string): number | undefined {
  if (file === undefined) return undefined;
  const m = accFolder.startsWith("UnderSample_")
    ? KUS_ACC_RE.exec(file)
    : accFolder.startsWith("Mask_")
    ? MASK_ACC_RE.exec(file)
    : null;
  return m ? Number(m[1]) : undefined;
}
