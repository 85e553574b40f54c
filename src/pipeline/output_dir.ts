/**
 * Checking an output folder before any work: `submit --output DIR` must either name a folder
 * cmrxkit can write to, or a path whose missing folders can be created under one. A file in
 * the way, a read-only folder or a dangling link is reported by name, with the fix, before
 * anything is read or created (nothing is created when the check fails).
 *
 * Writability is tested for real: a uniquely named empty file of cmrxkit's own is created
 * (`createNew`) in the folder, or in its nearest existing ancestor, and removed at once.
 *
 * @module
 */

import { CmrxError } from "../errors.ts";
import { describeKind, type EntryKind, entryKind } from "../fsutil.ts";

/** What {@link checkOutputDir} found. */
export interface OutputDirCheck {
  /** The folder already exists. */
  exists: boolean;
  /** The nearest existing ancestor, where missing folders will be created (when absent). */
  base: string;
}

/**
 * Throws a {@link CmrxError} naming the path and the fix unless `dir` is a writable folder or
 * can be created (with its missing parents) under a writable one. Creates nothing that stays.
 *
 * @param dir the output folder as the user gave it
 * @param flag the option that named it, for the hint (e.g. `--output`)
 */
export async function checkOutputDir(dir: string, flag = "--output"): Promise<OutputDirCheck> {
  const path = dir.replace(/\/+$/, "") || "/";
  const { kind, detail } = await kindOf(path);
  if (kind === "directory") {
    await checkWritable(path, path, flag);
    return { exists: true, base: path };
  }
  if (kind !== "missing") {
    throw new CmrxError(`is ${describeKind(kind, detail)}, not a folder`, {
      file: path,
      hint: kind === "dangling-link" || kind === "link-loop"
        ? `repair or remove the link, or give ${flag} another folder`
        : `give ${flag} a folder (it is created when missing), e.g. ${flag} out`,
    });
  }
  const base = await nearestExisting(path);
  const b = await kindOf(base);
  if (b.kind !== "directory") {
    throw new CmrxError(
      `cannot create the folder: ${base} is ${describeKind(b.kind, b.detail)}, not a folder`,
      { file: path, hint: `give ${flag} a path under a folder, e.g. ${flag} out` },
    );
  }
  await checkWritable(base, path, flag);
  return { exists: false, base };
}

/** The nearest ancestor of `path` that exists (as anything), `.` or `/` at the top. */
async function nearestExisting(path: string): Promise<string> {
  let p = path;
  while (true) {
    const cut = p.lastIndexOf("/");
    const up = cut > 0 ? p.slice(0, cut) : cut === 0 ? "/" : ".";
    if ((await kindOf(up)).kind !== "missing" || up === p || up === "/" || up === ".") {
      return up;
    }
    p = up;
  }
}

/** {@link entryKind}, with a path under a file (ENOTDIR) counted as missing. */
async function kindOf(path: string): Promise<{ kind: EntryKind; detail?: string }> {
  try {
    await Deno.stat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotADirectory) return { kind: "missing" };
  }
  return await entryKind(path);
}

/** Creates and removes a uniquely named file in `folder`; errors name `target`. */
async function checkWritable(folder: string, target: string, flag: string): Promise<void> {
  const rnd = crypto.randomUUID().slice(0, 8);
  const probe = `${folder}/.cmrxkit-write-test-${Deno.pid}-${rnd}`;
  try {
    const f = await Deno.open(probe, { write: true, createNew: true });
    f.close();
  } catch (e) {
    const why = e instanceof Deno.errors.PermissionDenied
      ? "is not writable"
      : `cannot be written to (${e instanceof Error ? e.message : e})`;
    throw new CmrxError(folder === target ? why : `cannot be created: ${folder} ${why}`, {
      file: target,
      hint: `give ${flag} a folder you can write to, or make ${folder} writable (chmod u+w)`,
    });
  }
  await Deno.remove(probe).catch(() => {});
}
