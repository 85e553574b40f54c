/**
 * The run lock of a submit output folder: `<output>/cmrxkit-run.lock` for an unsharded run,
 * `<output>/cmrxkit-run-shard<i>of<n>.lock` for shard i of n, so shards of one split share a
 * folder while a second run of the same shard is refused.
 *
 * The lock file is created with `createNew` (atomic: exactly one of two runs gets it) and
 * holds JSON `{ pid, host, started, command, shard }`. Its holder refreshes the file's mtime
 * every minute. A lock is stale, and is taken over with a notice, when
 *
 * - it was taken on this host and its process is gone (or is this very process, from an
 *   earlier life with the same pid in another container, and not held by this process), or
 * - it was taken on another host and its mtime is older than {@link STALE_AFTER_MS} (a live
 *   holder refreshes it), or it is unreadable (a crash while it was being written).
 *
 * Two locks of one folder conflict unless both are shards of the same count `n` with
 * different `i` (an unsharded run does every case; shards of different counts overlap).
 *
 * Taking over a stale lock is exclusive: the lock is renamed aside to a name of this run's
 * own (`<lock>.stale-<pid>-<8 hex>`; a rename is atomic, so of two runs taking over at once
 * only one moves it), re-read there and removed only when it is still the very lock that was
 * found stale; then the new lock is created with `createNew`. When the file moved aside is
 * another run's (it took the stale lock over first), it is put back (a hard link, which never
 * replaces a lock created meanwhile) and this run is refused naming the holder. A run killed
 * between the rename and the removal leaves the `.stale-` file, which the stale-file cleaner
 * (`stale_temp.ts`) removes once its pid is gone.
 *
 * @module
 */

import { CmrxError } from "../errors.ts";

/** A lock whose holder is on another host is stale after this long without a refresh. */
export const STALE_AFTER_MS = 10 * 60 * 1000;
/** How often a holder refreshes its lock's mtime. */
export const HEARTBEAT_MS = 60 * 1000;

/** What a lock file holds. */
export interface LockInfo {
  /** Process id of the run holding the lock. */
  pid: number;
  /** Host name of the machine it runs on (`unknown` when it could not be read). */
  host: string;
  /** ISO date the run started. */
  started: string;
  /** The command line of the run. */
  command: string;
  /** `i/n` (1-based), or null for an unsharded run. */
  shard: string | null;
}

/** A held lock; release it (also on errors) with `release()` or `using`. */
export interface RunLock extends Disposable {
  /** Path of the lock file. */
  path: string;
  /** Set when a stale lock was taken over: what it was. */
  tookOver?: LockInfo;
  /** Stops the heartbeat and removes the lock file if it is still this run's; idempotent. */
  release(): void;
}

/**
 * Test seam: called right before a stale lock is taken over (its destructive step), so tests
 * can make another run act in between. Never set outside tests.
 */
export const lockTestHooks: { beforeTakeOver?: (path: string) => void | Promise<void> } = {};

/** Lock paths held by this process (a second in-process run of the same shard is refused). */
const held = new Set<string>();

/** The lock file name of a shard (`[i, n]`, 0-based i) or of an unsharded run. */
export function lockName(shard?: [number, number]): string {
  return shard && shard[1] > 1
    ? `cmrxkit-run-shard${shard[0] + 1}of${shard[1]}.lock`
    : "cmrxkit-run.lock";
}

/** This machine's host name ("unknown" without --allow-sys). */
export function hostName(): string {
  try {
    return Deno.hostname();
  } catch {
    return "unknown";
  }
}

/**
 * Whether process `pid` runs on this host: `/proc/<pid>` on Linux, `kill -0` elsewhere; a
 * check that cannot be made counts as alive (never take over or delete on a guess).
 */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (Deno.build.os === "linux") {
    try {
      Deno.statSync(`/proc/${pid}`);
      return true;
    } catch (e) {
      return !(e instanceof Deno.errors.NotFound);
    }
  }
  try {
    const r = new Deno.Command("kill", { args: ["-0", String(pid)], stderr: "null" }).outputSync();
    return r.success;
  } catch {
    return true;
  }
}

/**
 * Takes the lock of `shard` in `dir` (which must exist).
 *
 * @param command the command line, recorded for whoever finds the lock taken
 * @throws {CmrxError} naming the other run (pid, host, start, command) and the fix when a live
 *   run holds this lock or a conflicting one
 */
export async function acquireRunLock(
  dir: string,
  shard: [number, number] | undefined,
  command: string,
): Promise<RunLock> {
  const path = `${dir}/${lockName(shard)}`;
  const info: LockInfo = {
    pid: Deno.pid,
    host: hostName(),
    started: new Date().toISOString(),
    command,
    shard: shard && shard[1] > 1 ? `${shard[0] + 1}/${shard[1]}` : null,
  };
  let tookOver: LockInfo | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await createLock(path, info)) {
      held.add(path);
      const lock = heldLock(path, lockText(info), tookOver);
      try {
        await checkConflicts(dir, path, info.shard);
      } catch (e) {
        lock.release();
        throw e;
      }
      return lock;
    }
    const text = await readText(path);
    if (text === null) continue; // released meanwhile
    const other = parseLock(text);
    if (!(await isStale(path, other))) throw heldError(path, other);
    await lockTestHooks.beforeTakeOver?.(path);
    if (await takeOver(path, text)) tookOver = other ?? undefined;
  }
  throw new CmrxError("could not take the run lock", {
    file: path,
    hint: "another run keeps taking it; wait for it to end",
  });
}

/**
 * Removes the stale lock at `path` whose text was `text`, exclusively (see the module docs).
 * True when it was removed; false when it was gone or another run's lock is there now (put
 * back in place).
 */
async function takeOver(path: string, text: string): Promise<boolean> {
  const aside = `${path}.stale-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await Deno.rename(path, aside);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false; // taken over or released meanwhile
    throw e;
  }
  const moved = await readText(aside);
  if (moved === text && await isStale(path, parseLock(moved), aside)) {
    await Deno.remove(aside).catch(() => {});
    return true;
  }
  // Another run's lock (it took the stale one over first): put it back where it was.
  try {
    await Deno.link(aside, path);
  } catch (e) {
    if (!(e instanceof Deno.errors.AlreadyExists)) {
      // No hard links here: a rename, unless a lock was created meanwhile.
      if (await readText(path) === null) {
        await Deno.rename(aside, path).catch(() => {});
        return false;
      }
    }
  }
  await Deno.remove(aside).catch(() => {});
  return false;
}

function lockText(info: LockInfo): string {
  return JSON.stringify(info) + "\n";
}

async function createLock(path: string, info: LockInfo): Promise<boolean> {
  try {
    await Deno.writeTextFile(path, lockText(info), { createNew: true });
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) return false;
    throw e;
  }
}

function heldLock(path: string, text: string, tookOver?: LockInfo): RunLock {
  const timer = setInterval(() => {
    const now = new Date();
    Deno.utime(path, now, now).catch(() => {});
  }, HEARTBEAT_MS);
  Deno.unrefTimer(timer);
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    clearInterval(timer);
    held.delete(path);
    try {
      // Only this run's own lock (another run may have taken it over, thinking it stale).
      if (Deno.readTextFileSync(path) === text) Deno.removeSync(path);
    } catch { /* already gone */ }
  };
  return { path, tookOver, release, [Symbol.dispose]: release };
}

/** Reads a lock file; null when it is unreadable or not a lock (a crash mid-write). */
export async function readLock(path: string): Promise<LockInfo | null> {
  return parseLock(await readText(path));
}

/** A file's text; null when it does not exist, "" when it cannot be read. */
async function readText(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    return e instanceof Deno.errors.NotFound ? null : "";
  }
}

function parseLock(text: string | null): LockInfo | null {
  try {
    const v = JSON.parse(text ?? "");
    return typeof v?.pid === "number" && typeof v?.host === "string" ? v as LockInfo : null;
  } catch {
    return null;
  }
}

const LOCK_NAME = /^cmrxkit-run(?:-shard(\d+)of(\d+))?\.lock$/;
const ASIDE_NAME = /^(cmrxkit-run(?:-shard\d+of\d+)?\.lock)\.stale-(\d{1,10})-[0-9a-f]{8}$/;

/** Whether `name` is the name of a run lock ({@link lockName} of some shard). */
export function isLockName(name: string): boolean {
  return LOCK_NAME.test(name);
}

/**
 * A stale lock moved aside during a take-over (`<lock>.stale-<pid>-<8 hex>`): the lock's name
 * and the pid of the run that moved it; null for any other name.
 */
export function parseAsideLockName(name: string): { target: string; pid: number } | null {
  const m = ASIDE_NAME.exec(name);
  return m ? { target: m[1], pid: Number(m[2]) } : null;
}

/** A lock of a folder whose holder is alive (see {@link liveLocks}). */
export interface LiveLock {
  /** Path of the lock file. */
  path: string;
  /** What it holds; null while it is being written. */
  info: LockInfo | null;
  /** `i/n` from the lock itself, else from its name; null for an unsharded run. */
  shard: string | null;
}

/**
 * The locks of `dir` whose holder is alive (not stale, see the module docs), this process's
 * own included. A lock being written counts as alive.
 */
export async function liveLocks(dir: string): Promise<LiveLock[]> {
  const out: LiveLock[] = [];
  for await (const e of Deno.readDir(dir)) {
    const m = LOCK_NAME.exec(e.name);
    if (!e.isFile || !m) continue;
    const path = `${dir}/${e.name}`;
    const info = await readLock(path);
    if (await isStale(path, info)) continue;
    const shard = info ? info.shard : m[1] && Number(m[2]) > 1 ? `${m[1]}/${m[2]}` : null;
    out.push({ path, info, shard });
  }
  return out;
}

/**
 * Whether the holder of the lock at `path` is gone (see the module docs); `file` is where the
 * lock is now (the take-over moves it aside).
 */
async function isStale(path: string, info: LockInfo | null, file = path): Promise<boolean> {
  if (held.has(path)) return false;
  let mtime = 0;
  try {
    mtime = (await Deno.stat(file)).mtime?.getTime() ?? 0;
  } catch {
    return true; // gone meanwhile
  }
  if (!info) return Date.now() - mtime > 5_000; // a lock being written has a fresh mtime
  if (info.host === hostName()) return info.pid === Deno.pid || !pidAlive(info.pid);
  return Date.now() - mtime > STALE_AFTER_MS;
}

/** Refuses when a live run holds a lock of `dir` that conflicts with shard `mine`. */
async function checkConflicts(dir: string, own: string, mine: string | null): Promise<void> {
  for (const l of await liveLocks(dir)) {
    if (l.path !== own && conflict(mine, l.shard)) throw heldError(l.path, l.info);
  }
}

function conflict(a: string | null, b: string | null): boolean {
  if (a === null || b === null) return true;
  const [ia, na] = a.split("/"), [ib, nb] = b.split("/");
  return na !== nb || ia === ib;
}

function heldError(path: string, o: LockInfo | null): CmrxError {
  const who = o
    ? `process ${o.pid} on ${o.host}, started ${o.started}${
      o.shard ? ` (shard ${o.shard})` : ""
    }: ${o.command}`
    : "a run whose lock is being written";
  return new CmrxError(`another submit run is writing into this folder: ${who}`, {
    file: path,
    hint: "wait for it to end, or give --output another folder (shards of one split may " +
      "share a folder: --shard i/n); if that run is gone for sure, remove the lock file",
  });
}

/** A short description of a lock, for the take-over notice. */
export function describeLock(o: LockInfo): string {
  return `process ${o.pid} on ${o.host}, started ${o.started}`;
}
