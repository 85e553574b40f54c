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
 * Taking over a stale lock re-reads it right before removing it; a race of two runs taking
 * over the same stale lock at the same moment is not excluded.
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
  pid: number;
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
  path: string;
  /** Set when a stale lock was taken over: what it was. */
  tookOver?: LockInfo;
  release(): void;
}

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
      const lock = heldLock(path, tookOver);
      try {
        await checkConflicts(dir, path, info.shard);
      } catch (e) {
        lock.release();
        throw e;
      }
      return lock;
    }
    const other = await readLock(path);
    if (other && !(await isStale(path, other))) throw heldError(path, other);
    // Stale: remove it if it is still the same file, then try again.
    const again = await readLock(path);
    if (JSON.stringify(again) === JSON.stringify(other)) {
      await Deno.remove(path).catch(() => {});
      tookOver = other ?? undefined;
    }
  }
  throw new CmrxError("could not take the run lock", {
    file: path,
    hint: "another run keeps taking it; wait for it to end",
  });
}

async function createLock(path: string, info: LockInfo): Promise<boolean> {
  try {
    await Deno.writeTextFile(path, JSON.stringify(info) + "\n", { createNew: true });
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) return false;
    throw e;
  }
}

function heldLock(path: string, tookOver?: LockInfo): RunLock {
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
      Deno.removeSync(path);
    } catch { /* already gone */ }
  };
  return { path, tookOver, release, [Symbol.dispose]: release };
}

/** Reads a lock file; null when it is unreadable or not a lock (a crash mid-write). */
export async function readLock(path: string): Promise<LockInfo | null> {
  try {
    const v = JSON.parse(await Deno.readTextFile(path));
    return typeof v?.pid === "number" && typeof v?.host === "string" ? v as LockInfo : null;
  } catch {
    return null;
  }
}

/** Whether the holder of a lock is gone (see the module docs). */
async function isStale(path: string, info: LockInfo | null): Promise<boolean> {
  if (held.has(path)) return false;
  let mtime = 0;
  try {
    mtime = (await Deno.stat(path)).mtime?.getTime() ?? 0;
  } catch {
    return true; // gone meanwhile
  }
  if (!info) return Date.now() - mtime > 5_000; // a lock being written has a fresh mtime
  if (info.host === hostName()) return info.pid === Deno.pid || !pidAlive(info.pid);
  return Date.now() - mtime > STALE_AFTER_MS;
}

/** Refuses when a live run holds a lock of `dir` that conflicts with shard `mine`. */
async function checkConflicts(dir: string, own: string, mine: string | null): Promise<void> {
  for await (const e of Deno.readDir(dir)) {
    const path = `${dir}/${e.name}`;
    if (!e.isFile || path === own || !/^cmrxkit-run(-shard\d+of\d+)?\.lock$/.test(e.name)) continue;
    const other = await readLock(path);
    if (!other || !conflict(mine, other.shard) || await isStale(path, other)) continue;
    throw heldError(path, other);
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
