/**
 * Checking where a command will write, before it does any work, and writing small files
 * atomically. One home for the checks every command shares:
 *
 * - {@link checkOutputDir}: an output folder (`submit --output`, `container merge --out`) is a
 *   writable folder, or can be created under one; nothing is created by the check;
 * - {@link checkOutputFile}: an output file (`recon --out`, `score --json`) can be written
 *   the way cmrxkit writes (a temporary file beside it, renamed over it); its missing folder
 *   is created, as `mkdir -p` would;
 * - {@link writeAtomic}: any file written through a temporary file beside it and a rename
 *   (every atomic writer of cmrxkit goes through it); {@link writeTextAtomic} for text.
 *
 * Writability is tested for real: a uniquely named empty file of cmrxkit's own is created
 * (`createNew`) and removed at once. Errors are {@link CmrxError}s naming the path and the fix.
 *
 * @module
 */

import { CmrxError, errorMessage } from "./errors.ts";
import { describeKind, type EntryKind, entryKind } from "./fsutil.ts";
import { tempPathFor } from "./tempname.ts";

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
    const why = await unwritable(path);
    if (why) {
      throw new CmrxError(why, {
        file: path,
        hint: `give ${flag} a folder you can write to, or make ${path} writable (chmod u+w)`,
      });
    }
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
  const why = await unwritable(base);
  if (why) {
    throw new CmrxError(`cannot be created: ${base} ${why}`, {
      file: path,
      hint: `give ${flag} a folder you can write to, or make ${base} writable (chmod u+w)`,
    });
  }
  return { exists: false, base };
}

/** What {@link checkOutputFile} did. */
export interface OutputFileCheck {
  /** The folder it created (with its missing parents), when the output's folder was missing. */
  createdFolder?: string;
}

/**
 * Checks, before any work, that a file can be written at `path` the way cmrxkit writes
 * (a temporary file beside it, renamed over it): the path is not a directory, a FIFO, a
 * device or a broken link, it is none of `inputs`, and its folder exists (it is created
 * when missing, as `mkdir -p` would) and is writable. Errors name the path and the fix.
 *
 * @param path the output file
 * @param opts `inputs`: files the command reads, which must not be overwritten; `flag`: the
 *   option that named the path, for messages (default `--out`); `example`: a file name for
 *   the hint when `path` names a folder (default `recon.mat`)
 */
export async function checkOutputFile(
  path: string,
  opts: { inputs?: string[]; flag?: string; example?: string } = {},
): Promise<OutputFileCheck> {
  const flag = opts.flag ?? "--out";
  const folder = parentOf(path);
  const folderKind = await entryKind(folder);
  if (folderKind.kind !== "directory" && folderKind.kind !== "missing") {
    throw folderError(folder, flag, folderKind.kind, folderKind.detail);
  }
  const { kind, detail } = await entryKind(path);
  if (kind === "directory" || path.endsWith("/")) {
    throw new CmrxError(`${flag} names a folder; it must name the file to write`, {
      file: path,
      hint: `give a file name, e.g. ${flag} ${path.replace(/\/+$/, "")}/${
        opts.example ?? "recon.mat"
      }`,
    });
  }
  if (kind !== "file" && kind !== "missing") {
    throw new CmrxError(`${flag} is ${describeKind(kind, detail)}, not a file cmrxkit can write`, {
      file: path,
      hint: kind === "dangling-link" || kind === "link-loop"
        ? "repair or remove the link, or choose another path"
        : "choose another path for the output",
    });
  }
  const self = identity(path);
  const clash = self && (opts.inputs ?? []).find((p) => identity(p) === self);
  if (clash) {
    throw new CmrxError(`${flag} is the input file ${clash}; writing would destroy it`, {
      file: path,
      hint: "write the output to another file",
    });
  }
  const created = folderKind.kind === "missing" && await createFolder(folder, flag);
  const why = await unwritable(folder);
  if (why) {
    throw new CmrxError(`cannot write in the folder of ${flag}: it ${why}`, {
      file: folder,
      hint: "choose a folder you can write to, or fix its permissions",
    });
  }
  return created ? { createdFolder: folder } : {};
}

/** Options of {@link writeAtomic}. */
export interface WriteAtomicOptions {
  /** Flush the temporary file to disk (fsync) before it is moved into place. Default false. */
  sync?: boolean;
  /**
   * Replace a file already at the target (rename over it; the default). When false, the
   * temporary file is hard-linked into place instead, so of two writers exactly one creates
   * the target; the other gets {@link Deno.errors.AlreadyExists} and the target is untouched.
   */
  replace?: boolean;
  /** Suffix of the temporary name after `tmp-<pid>-<hex>` (e.g. `.h5`); default none. */
  tempSuffix?: string;
}

/**
 * Writes `path` atomically: the content goes to a temporary file beside it (named by
 * {@link tempPathFor}, so cleaners know it as cmrxkit's), which is then renamed over `path`
 * (or linked to it, see {@link WriteAtomicOptions.replace}). Readers see the old file or the
 * whole new one, never a part. On any error the temporary file is removed, the target is left
 * as it was, and the error is rethrown unchanged.
 *
 * @param data the bytes or text to write (created with `createNew`), or a writer that creates
 *   and fills the temporary path it is given (and closes what it opens) before it resolves
 * @throws file-system errors and the writer's errors, unchanged
 */
export async function writeAtomic(
  path: string,
  data: Uint8Array | string | ((tmpPath: string) => Promise<void>),
  opts: WriteAtomicOptions = {},
): Promise<void> {
  const tmp = tempPathFor(path, opts.tempSuffix);
  try {
    if (typeof data === "function") {
      await data(tmp);
      if (opts.sync) await syncFile(tmp);
    } else {
      const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
      if (opts.sync) {
        const f = await Deno.open(tmp, { write: true, createNew: true });
        try {
          let done = 0;
          while (done < bytes.length) done += await f.write(bytes.subarray(done));
          await f.sync();
        } finally {
          f.close();
        }
      } else {
        await Deno.writeFile(tmp, bytes, { createNew: true });
      }
    }
    if (opts.replace === false) await Deno.link(tmp, path);
    else await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
  if (opts.replace === false) await Deno.remove(tmp).catch(() => {});
}

/** Writes a text file atomically (temporary file beside it, then a rename): {@link writeAtomic}. */
export async function writeTextAtomic(path: string, text: string): Promise<void> {
  await writeAtomic(path, text);
}

/** Flushes a written file to disk (fsync). */
async function syncFile(path: string): Promise<void> {
  const f = await Deno.open(path, { write: true });
  try {
    await f.sync();
  } finally {
    f.close();
  }
}

/** The folder part of a path (`.` for a bare name). */
export function parentOf(path: string): string {
  const p = path.replace(/\/+$/, "");
  const i = p.lastIndexOf("/");
  return i < 0 ? "." : i === 0 ? "/" : p.slice(0, i);
}

/** A path's identity (device and inode), or undefined when it does not exist. */
function identity(path: string): string | undefined {
  try {
    const st = Deno.statSync(path);
    return st.ino === null ? undefined : `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

/** The error for an output file's folder that is not a folder. */
function folderError(folder: string, flag: string, kind: EntryKind, detail?: string) {
  const underFile = kind === "file" || /not a directory/i.test(detail ?? "");
  return new CmrxError(
    underFile
      ? `the folder of ${flag} is a file (or lies under one), not a folder`
      : `the folder of ${flag} is ${describeKind(kind, detail)}`,
    { file: folder, hint: "choose an output path inside a folder" },
  );
}

/** Creates a missing output folder (and its missing parents); true when done. */
async function createFolder(folder: string, flag: string): Promise<boolean> {
  try {
    await Deno.mkdir(folder, { recursive: true });
  } catch (e) {
    throw new CmrxError(
      `cannot create the folder for ${flag} (${errorMessage(e)})`,
      {
        file: folder,
        hint: "check the path (a part of it may be a file), or create the folder first",
      },
    );
  }
  return true;
}

/** The nearest ancestor of `path` that exists (as anything), `.` or `/` at the top. */
async function nearestExisting(path: string): Promise<string> {
  let p = path;
  while (true) {
    const up = parentOf(p);
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

/**
 * Why `folder` cannot be written in, or undefined when it can: creates and removes a uniquely
 * named empty file of cmrxkit's own there.
 */
async function unwritable(folder: string): Promise<string | undefined> {
  const probe = `${folder}/.cmrxkit-write-test-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  try {
    (await Deno.open(probe, { write: true, createNew: true })).close();
  } catch (e) {
    return e instanceof Deno.errors.PermissionDenied
      ? "is not writable"
      : `cannot be written to (${errorMessage(e)})`;
  }
  await Deno.remove(probe).catch(() => {});
  return undefined;
}
