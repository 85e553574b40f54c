/**
 * Opening input files safely: cmrxkit reads only regular files (after following links), so
 * a named pipe never blocks a command, a directory or device never passes for data, and a
 * dangling or looping link is reported by name instead of being skipped.
 *
 * @module
 */

import { CmrxError, errorMessage } from "./errors.ts";

/** What kind of entry a path is, after following symbolic links. */
export type EntryKind =
  | "file"
  | "directory"
  | "fifo"
  | "socket"
  | "char-device"
  | "block-device"
  | "dangling-link"
  | "link-loop"
  | "missing"
  | "unreadable";

/** The kind of `path` (following links) and, for anything else than a file, why. */
export async function entryKind(path: string): Promise<{ kind: EntryKind; detail?: string }> {
  let st: Deno.FileInfo;
  try {
    st = await Deno.stat(path);
  } catch (e) {
    return classifyStatError(path, e);
  }
  return { kind: kindOf(st) };
}

/** Synchronous {@link entryKind}. */
export function entryKindSync(path: string): { kind: EntryKind; detail?: string } {
  let st: Deno.FileInfo;
  try {
    st = Deno.statSync(path);
  } catch (e) {
    return classifyStatErrorSync(path, e);
  }
  return { kind: kindOf(st) };
}

function kindOf(st: Deno.FileInfo): EntryKind {
  if (st.isFile) return "file";
  if (st.isDirectory) return "directory";
  if (st.isFifo) return "fifo";
  if (st.isSocket) return "socket";
  if (st.isCharDevice) return "char-device";
  if (st.isBlockDevice) return "block-device";
  return "unreadable";
}

function isLoop(e: unknown): boolean {
  const msg = errorMessage(e);
  return /ELOOP|too many (levels of )?symbolic links/i.test(msg) ||
    (e as { code?: string })?.code === "ELOOP";
}

async function classifyStatError(path: string, e: unknown) {
  if (isLoop(e)) return { kind: "link-loop" as const };
  if (e instanceof Deno.errors.NotFound) {
    try {
      const l = await Deno.lstat(path);
      if (l.isSymlink) return { kind: "dangling-link" as const };
    } catch { /* really missing */ }
    return { kind: "missing" as const };
  }
  return { kind: "unreadable" as const, detail: errorMessage(e) };
}

function classifyStatErrorSync(path: string, e: unknown) {
  if (isLoop(e)) return { kind: "link-loop" as const };
  if (e instanceof Deno.errors.NotFound) {
    try {
      if (Deno.lstatSync(path).isSymlink) return { kind: "dangling-link" as const };
    } catch { /* really missing */ }
    return { kind: "missing" as const };
  }
  return { kind: "unreadable" as const, detail: errorMessage(e) };
}

/** A phrase for an entry that is not a regular file, e.g. "a named pipe (FIFO)". */
export function describeKind(kind: EntryKind, detail?: string): string {
  switch (kind) {
    case "file":
      return "a regular file";
    case "directory":
      return "a directory";
    case "fifo":
      return "a named pipe (FIFO)";
    case "socket":
      return "a socket";
    case "char-device":
      return "a character device";
    case "block-device":
      return "a block device";
    case "dangling-link":
      return "a symbolic link whose target does not exist";
    case "link-loop":
      return "a symbolic link loop";
    case "missing":
      return "missing";
    case "unreadable":
      return `unreadable${detail ? ` (${detail})` : ""}`;
  }
}

/** The error for an input that is not a regular file. */
export function notRegularError(path: string, kind: EntryKind, detail?: string, what = "file") {
  const fix = kind === "missing"
    ? "check the path"
    : kind === "dangling-link" || kind === "link-loop"
    ? "repair or remove the link"
    : `put the ${what} itself there (cmrxkit reads regular files only)`;
  return new CmrxError(
    `${kind === "missing" ? "no such file" : `is ${describeKind(kind, detail)}`}, not a ${what}`,
    {
      file: path,
      hint: fix,
    },
  );
}

/**
 * Throws a {@link CmrxError} naming `path` unless it is a regular file (links followed).
 * Call before opening anything for reading: opening a FIFO blocks forever.
 */
export async function assertRegularFile(path: string, what = "file"): Promise<void> {
  const { kind, detail } = await entryKind(path);
  if (kind !== "file") throw notRegularError(path, kind, detail, what);
}

/**
 * Like {@link assertRegularFile}, but lets a missing path through, for callers whose own
 * open reports a missing file in their words.
 */
export async function assertNotSpecial(path: string, what = "file"): Promise<void> {
  const { kind, detail } = await entryKind(path);
  if (kind !== "file" && kind !== "missing") throw notRegularError(path, kind, detail, what);
}

/** Synchronous {@link assertRegularFile}. */
export function assertRegularFileSync(path: string, what = "file"): void {
  const { kind, detail } = entryKindSync(path);
  if (kind !== "file") throw notRegularError(path, kind, detail, what);
}
