/**
 * Walking a submission folder: finding the folder that becomes `Submission/` in the archive
 * ({@link locateSubmission}) and listing every file under it ({@link listSubmissionFiles}),
 * names only, never the content. Paths are `/`-separated, relative to the submission folder.
 *
 * @module
 */

import { layoutEdition, SUBMISSION_FOLDER, submissionTops } from "../paths.ts";
import type { Year } from "../edition.ts";
import type { Problem, SubmissionRootKind } from "./report.ts";
import { LayoutError } from "../../errors.ts";

/** Where a submission's files are. */
export interface SubmissionRoot {
  /** The submission folder: the one that becomes `Submission/` in the archive. */
  root: string;
  /** `Submission`: dir is it; `parent`: dir holds it; `bare`: dir holds MultiCoil/... */
  kind: SubmissionRootKind;
  /** For `bare`: that the rules ask for a `Submission` folder (kind `root`); else empty. */
  warnings: Problem[];
}

/** A file under the submission folder. */
export interface SubmissionFile {
  /** Path relative to the submission folder, `/`-separated. */
  rel: string;
  /** Path on disk. */
  path: string;
  /** Size, bytes (of the target, for a symbolic link). */
  size: number;
  /** Modification time, when the file system gives one. */
  mtime: Date | null;
}

async function dirNames(path: string): Promise<Deno.DirEntry[]> {
  const out: Deno.DirEntry[] = [];
  for await (const e of Deno.readDir(path)) out.push(e);
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

/**
 * Finds the submission folder in `dir`: `dir` itself when it is named `Submission`, else
 * `dir/Submission`, else `dir` when it holds `MultiCoil/`/`SingleCoil/` (2023) or modality
 * folders (2024) directly, with a warning that the rules ask for a `Submission` folder.
 *
 * @throws {LayoutError} dir does not exist, is not a folder, or holds no submission
 */
export async function locateSubmission(dir: string, year: Year = 2023): Promise<SubmissionRoot> {
  let st: Deno.FileInfo;
  try {
    st = await Deno.stat(dir);
  } catch {
    throw new LayoutError("no such folder", {
      file: dir,
      hint: "pass the Submission folder, or the folder that holds Submission/",
    });
  }
  if (!st.isDirectory) {
    throw new LayoutError("not a folder", {
      file: dir,
      hint: /\.(zip|tar|gz|tgz|rar)$/i.test(dir)
        ? "unzip the archive and pass the extracted folder"
        : "pass the Submission folder, or the folder that holds Submission/",
    });
  }
  const base = dir.replace(/\/+$/, "") || "/";
  const last = base.split("/").pop();
  if (last === SUBMISSION_FOLDER) return { root: base, kind: "Submission", warnings: [] };
  if (await isDir(`${base}/${SUBMISSION_FOLDER}`)) {
    return { root: `${base}/${SUBMISSION_FOLDER}`, kind: "parent", warnings: [] };
  }
  const entries = await dirNames(base);
  const { layout } = layoutEdition(year);
  const tops = submissionTops(layout);
  if (entries.some((e) => e.isDirectory && tops.names.includes(e.name))) {
    return {
      root: base,
      kind: "bare",
      warnings: [{
        kind: "root",
        severity: "warning",
        file: ".",
        path: base,
        message: `the submission folder is named '${last}', not '${SUBMISSION_FOLDER}'`,
        fix: `rename it to ${SUBMISSION_FOLDER} (the 2023 rules ask for a folder named ` +
          `${SUBMISSION_FOLDER}; the scorer also accepts ${tops.listed} at the archive root); 'deno task pack' puts the files under ${SUBMISSION_FOLDER}/ ` +
          "anyway",
      }],
    };
  }
  const seen = entries.map((e) => e.name + (e.isDirectory ? "/" : ""));
  throw new LayoutError(
    `no ${SUBMISSION_FOLDER}/ folder and no ${tops.either} folder here (found: ${
      seen.slice(0, 12).join(", ") || "nothing"
    })`,
    {
      file: dir,
      hint:
        `pass the ${SUBMISSION_FOLDER} folder, or the folder that holds it; inside: ${layout.submission}`,
    },
  );
}

/**
 * Every file under the submission folder (hidden files included, symbolic links to files
 * followed), sorted by path; symbolic links to folders and unreadable entries become problems.
 */
export async function listSubmissionFiles(
  root: string,
): Promise<{ files: SubmissionFile[]; problems: Problem[] }> {
  const files: SubmissionFile[] = [];
  const problems: Problem[] = [];
  const walk = async (dir: string, prefix: string) => {
    for (const e of await dirNames(dir)) {
      const path = `${dir}/${e.name}`;
      const rel = prefix ? `${prefix}/${e.name}` : e.name;
      let st: Deno.FileInfo;
      try {
        st = await Deno.stat(path);
      } catch {
        problems.push({
          kind: "junk",
          severity: "error",
          file: rel,
          path,
          message: e.isSymlink ? "broken symbolic link" : "cannot be read",
          fix: "delete it, or replace it with the real file",
        });
        continue;
      }
      if (st.isDirectory) {
        if (e.isSymlink) {
          problems.push({
            kind: "junk",
            severity: "error",
            file: rel,
            path,
            message: "symbolic link to a folder (not followed)",
            fix: "replace it with a real folder holding the files",
          });
        } else await walk(path, rel);
      } else if (st.isFile) {
        files.push({ rel, path, size: st.size, mtime: st.mtime });
      } else {
        problems.push({
          kind: "junk",
          severity: "error",
          file: rel,
          path,
          message: "not a regular file",
          fix: "delete it",
        });
      }
    }
  };
  await walk(root, "");
  return { files, problems };
}
