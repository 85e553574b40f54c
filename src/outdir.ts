/**
 * Output folders cmrxkit owns. A command that may replace what it wrote earlier (the demo,
 * the visual report) marks its folder with a small file; it writes only into a folder that is
 * new, empty, or carries that marker, and it never deletes anything else. A folder holding a
 * user's files (the repository, the home folder, a dataset) is refused before any work.
 *
 * @module
 */

import { CmrxError, UsageError } from "./errors.ts";

/** What {@link checkOwnedFolder} found at the path. */
export type FolderState = "missing" | "empty" | "owned";

/** How to name the folder and its owner in messages. */
export interface FolderOwner {
  /** The marker file's name, e.g. `.cmrxkit-demo`. */
  marker: string;
  /** Who owns the folder, e.g. `demo` or `report` (used in messages and the marker). */
  what: string;
  /** The flag that names the folder, e.g. `--out` (used in the fix). */
  flag: string;
}

/**
 * Checks that `dir` may be written by `owner`: absent, empty, or marked by an earlier run of
 * the same owner. Throws a {@link UsageError} naming the folder and the fix otherwise.
 */
export async function checkOwnedFolder(dir: string, owner: FolderOwner): Promise<FolderState> {
  let st: Deno.FileInfo;
  try {
    st = await Deno.stat(dir);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return "missing";
    throw new CmrxError(`cannot look at the output folder (${describe(e)})`, {
      file: dir,
      hint: `choose another ${owner.flag}`,
    });
  }
  if (!st.isDirectory) {
    throw new UsageError(`the ${owner.what}'s output exists and is not a folder`, {
      file: dir,
      hint: `choose another ${owner.flag}`,
    });
  }
  const entries: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) entries.push(e.name);
  } catch (e) {
    throw new CmrxError(`cannot list the output folder (${describe(e)})`, {
      file: dir,
      hint: `make it readable or choose another ${owner.flag}`,
    });
  }
  if (entries.includes(owner.marker)) return "owned";
  if (entries.length === 0) return "empty";
  throw new UsageError(
    `the folder is not empty and was not made by cmrxkit's ${owner.what} (no ${owner.marker} in it)`,
    {
      file: dir,
      hint: `choose a new or empty folder for ${owner.flag}; cmrxkit never deletes files it did ` +
        `not write`,
    },
  );
}

/**
 * Makes `dir` the owner's folder: checks it as {@link checkOwnedFolder} does, creates it if
 * needed and writes the marker. Returns whether an earlier run's folder is being reused.
 */
export async function claimOwnedFolder(dir: string, owner: FolderOwner): Promise<boolean> {
  const state = await checkOwnedFolder(dir, owner);
  if (state === "owned") return true;
  try {
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(
      `${dir}/${owner.marker}`,
      `written by cmrxkit's ${owner.what}: a later run may replace what it wrote here\n`,
    );
  } catch (e) {
    throw new CmrxError(`cannot create the output folder (${describe(e)})`, {
      file: dir,
      hint: `check that its parent exists and is writable, or choose another ${owner.flag}`,
    });
  }
  return false;
}

/**
 * Removes `name` inside an owned folder, which the owner wrote there on an earlier run. Only
 * direct children named by the owner are removed, never the folder itself.
 */
export async function removeOwnedEntry(dir: string, name: string): Promise<void> {
  if (!name || name.includes("/") || name === "." || name === "..") {
    throw new Error(`removeOwnedEntry: '${name}' is not a plain entry name`);
  }
  try {
    await Deno.remove(`${dir}/${name}`, { recursive: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    throw new CmrxError(`cannot remove what an earlier run wrote (${describe(e)})`, {
      file: `${dir}/${name}`,
      hint: "remove it yourself or choose another output folder",
    });
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
