/**
 * Output folders cmrxkit owns (the demo's folder, a visual report, a container build context)
 * and the list of files cmrxkit wrote into each.
 *
 * A command that may replace what it wrote earlier marks its folder with a small file; it
 * writes only into a folder that is new, empty, or carries that marker
 * ({@link checkOwnedFolder}), so a folder holding a user's files (the repository, the home
 * folder, a dataset) is refused before any work. The marker lists the files cmrxkit wrote, so
 * that a later run replaces or removes only those files ({@link removeWritten}) and leaves
 * whatever a user added there since ({@link unrecorded}). Nothing else is ever deleted; no
 * folder is removed recursively.
 *
 * The marker is text: comment lines (`# ...`), then the line {@link LIST_HEADER}, then one
 * path per line, relative to the folder. A marker without that line (written by an older
 * cmrxkit) lists nothing: a later run then removes nothing, it only overwrites the files it
 * writes again.
 *
 * @module
 */

import { CmrxError, errorMessage, UsageError } from "./errors.ts";
import { parseTempName, tempPathFor } from "./tempname.ts";

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
    throw new CmrxError(`cannot look at the output folder (${errorMessage(e)})`, {
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
    throw new CmrxError(`cannot list the output folder (${errorMessage(e)})`, {
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

/** The line after which a marker lists the files cmrxkit wrote. */
export const LIST_HEADER =
  "# files cmrxkit wrote here (a later run replaces or removes only these):";

/** Whether `rel` is a plain relative path inside a folder (no `..`, `.`, empty part, `/` start). */
export function isInsideRel(rel: string): boolean {
  if (!rel || rel.startsWith("/") || rel.includes("\0")) return false;
  return rel.split("/").every((p) => p !== "" && p !== "." && p !== "..");
}

/** The marker text: `about` (one or more lines, written as comments) and the file list. */
export function markerText(about: string, files: Iterable<string>): string {
  const lines = about.split("\n").map((l) => `# ${l}`);
  lines.push(LIST_HEADER, ...[...new Set(files)].sort());
  return lines.join("\n") + "\n";
}

/**
 * The files a marker lists; null when it lists none because an older cmrxkit wrote it (see
 * the module docs). Paths that would leave the folder are dropped.
 */
export function parseMarker(text: string): string[] | null {
  const lines = text.split("\n");
  const at = lines.indexOf(LIST_HEADER);
  if (at < 0) return null;
  return lines.slice(at + 1).map((l) => l.trim()).filter((l) => l && isInsideRel(l));
}

/** Reads the file list of the marker at `path` ({@link parseMarker}); null when it has none. */
export async function readWrittenList(path: string): Promise<string[] | null> {
  try {
    const st = await Deno.lstat(path);
    if (!st.isFile) return null;
    return parseMarker(await Deno.readTextFile(path));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw new CmrxError(`cannot read cmrxkit's marker (${errorMessage(e)})`, {
      file: path,
      hint: "make it readable, or choose another output folder",
    });
  }
}

/** Writes the marker at `path` atomically (temporary file, then rename). */
export async function writeMarker(path: string, about: string, files: Iterable<string>) {
  const tmp = tempPathFor(path);
  try {
    await Deno.writeTextFile(tmp, markerText(about, files), { createNew: true });
    await Deno.rename(tmp, path);
  } catch (e) {
    throw new CmrxError(`cannot write cmrxkit's marker (${errorMessage(e)})`, {
      file: path,
      hint: "check that the folder is writable, or choose another output folder",
    });
  } finally {
    await Deno.remove(tmp).catch(() => {});
  }
}

/** Whether anything (a file, a folder, a link, even a dangling one) is at `path`. */
export async function present(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Refuses to write `planned` files into `dir` where something is already at one of their
 * paths that cmrxkit did not write there (not in `written`): it would be overwritten.
 * Nothing is checked when `written` is null (an older marker: the paths are cmrxkit's).
 */
export async function checkNoForeignFiles(
  dir: string,
  planned: Iterable<string>,
  written: readonly string[] | null,
  flag: string,
): Promise<void> {
  if (written === null) return;
  const mine = new Set(written);
  for (const rel of planned) {
    if (mine.has(rel) || !(await present(`${dir}/${rel}`))) continue;
    throw new UsageError(
      `holds ${rel}, which cmrxkit did not write there and would have to overwrite`,
      {
        file: `${dir}/${rel}`,
        hint: `move it out of the folder, or choose another ${flag}; cmrxkit never deletes or ` +
          "overwrites files it did not write",
      },
    );
  }
}

/**
 * Removes the files `rels` (written by cmrxkit, relative to `dir`): regular files and links
 * only, never a folder's contents; then the folders that held them, where they are left
 * empty. Returns the paths removed.
 */
export async function removeWritten(dir: string, rels: Iterable<string>): Promise<string[]> {
  const removed: string[] = [];
  const parents = new Set<string>();
  for (const rel of rels) {
    if (!isInsideRel(rel)) continue;
    const path = `${dir}/${rel}`;
    let st: Deno.FileInfo;
    try {
      st = await Deno.lstat(path);
    } catch {
      continue;
    }
    if (st.isDirectory) continue; // a user put a folder there: never emptied
    try {
      await Deno.remove(path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) continue;
      throw new CmrxError(`cannot remove a file an earlier run wrote (${errorMessage(e)})`, {
        file: path,
        hint: "remove it yourself, or choose another output folder",
      });
    }
    removed.push(rel);
    const parts = rel.split("/");
    for (let k = parts.length - 1; k > 0; k--) parents.add(parts.slice(0, k).join("/"));
  }
  // Deepest first; a folder that still holds anything stays.
  for (const p of [...parents].sort((a, b) => b.split("/").length - a.split("/").length)) {
    await Deno.remove(`${dir}/${p}`).catch(() => {});
  }
  return removed;
}

/**
 * What is in `dir` that cmrxkit did not write (not in `written`, not the marker, not one of
 * cmrxkit's temporary files): files by path, and folders holding none of cmrxkit's files as
 * `name/`. Sorted.
 */
export async function unrecorded(
  dir: string,
  written: Iterable<string>,
  marker: string,
): Promise<string[]> {
  const mine = new Set(written);
  const prefixes = new Set<string>();
  for (const rel of mine) {
    const parts = rel.split("/");
    for (let k = 1; k < parts.length; k++) prefixes.add(parts.slice(0, k).join("/"));
  }
  const out: string[] = [];
  await walkDir(dir, (e, r, top) => {
    if (mine.has(r) || (top && e.name === marker)) return false;
    if (e.isDirectory && prefixes.has(r)) return true;
    out.push(e.isDirectory ? `${r}/` : r);
    return false;
  });
  return out.sort();
}

/**
 * Every file (and link; never followed) under `dir`, relative to it and sorted: what a run
 * finds there before it writes, to tell its own files from the ones already there. Folders
 * are not listed; cmrxkit's temporary files and folders (see `tempname.ts`) are skipped.
 */
export async function filesIn(dir: string): Promise<string[]> {
  const out: string[] = [];
  await walkDir(dir, (e, r) => {
    if (e.isDirectory) return true;
    out.push(r);
    return false;
  });
  return out.sort();
}

/**
 * Walks the tree under `dir`, never following links: calls `visit` with each entry, its path
 * relative to `dir` and whether it is directly in `dir`, and descends into a folder where
 * `visit` returns true. cmrxkit's temporary files and folders (see `tempname.ts`) are passed
 * over; a folder that cannot be listed is passed over too.
 */
async function walkDir(
  dir: string,
  visit: (entry: Deno.DirEntry, rel: string, top: boolean) => boolean,
): Promise<void> {
  const walk = async (path: string, rel: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(path));
    } catch {
      return;
    }
    for (const e of entries) {
      if (parseTempName(e.name)) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (visit(e, r, !rel)) await walk(`${path}/${e.name}`, r);
    }
  };
  await walk(dir, "");
}

/** `notes.txt, old/ and 3 more` for messages. */
export function listForMessage(paths: readonly string[], limit = 5): string {
  const shown = paths.slice(0, limit).join(", ");
  return paths.length > limit ? `${shown} and ${paths.length - limit} more` : shown;
}
