/**
 * Removing the temporary files a killed run left in a submit output folder. Only files whose
 * name is cmrxkit's own temporary name (`src/tempname.ts`) are candidates, only regular files
 * (never links or folders), only under `<output>/Submission/`, `<output>/Maps/` and at the top
 * of `<output>`, and only when their writer is gone:
 *
 * - a name with a pid: that pid is not alive on this host, and no live run of another host
 *   holds a lock of the folder (its pids are not visible here);
 * - a name without a pid: no live run other than the caller holds a lock of the folder (the
 *   caller holds its own), and the file is older than the caller's start.
 *
 * Anything else is left alone.
 *
 * @module
 */

import { parseTempName } from "../tempname.ts";
import { hostName, pidAlive, readLock, STALE_AFTER_MS } from "./lock.ts";

/** What {@link removeStaleTemps} did. */
export interface StaleTempResult {
  /** Paths removed. */
  removed: string[];
  /** cmrxkit temporary files kept because their writer may still run. */
  kept: string[];
}

/**
 * Removes cmrxkit's stale temporary files from a submit output folder (see the module docs).
 *
 * @param dir the output folder
 * @param ownLock the caller's lock file (held), ignored when looking for other live runs
 * @param startedMs when the caller started (ms since the epoch)
 */
export async function removeStaleTemps(
  dir: string,
  ownLock: string,
  startedMs: number,
): Promise<StaleTempResult> {
  const others = await otherLiveLocks(dir, ownLock);
  const result: StaleTempResult = { removed: [], kept: [] };
  const files = [
    ...await tempFiles(dir, false),
    ...await tempFiles(`${dir}/Submission`, true),
    ...await tempFiles(`${dir}/Maps`, true),
  ];
  for (const { path, pid, mtime } of files) {
    const gone = pid !== undefined
      ? !pidAlive(pid) && !others.otherHost
      : !others.any && mtime < startedMs;
    if (!gone) {
      result.kept.push(path);
      continue;
    }
    try {
      await Deno.remove(path);
      result.removed.push(path);
    } catch { /* removed meanwhile */ }
  }
  return result;
}

interface TempFile {
  path: string;
  pid?: number;
  mtime: number;
}

/** cmrxkit temporary files (regular files, links not followed) under `dir`. */
async function tempFiles(dir: string, recursive: boolean): Promise<TempFile[]> {
  const out: TempFile[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch {
    return out;
  }
  for (const e of entries) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory && recursive) out.push(...await tempFiles(path, true));
    if (!e.isFile) continue;
    const t = parseTempName(e.name);
    if (!t) continue;
    try {
      const st = await Deno.lstat(path);
      if (st.isFile) out.push({ path, pid: t.pid, mtime: st.mtime?.getTime() ?? 0 });
    } catch { /* gone */ }
  }
  return out;
}

/** Whether runs other than the caller hold a live lock of `dir`, and whether on another host. */
async function otherLiveLocks(dir: string, own: string) {
  let any = false, otherHost = false;
  for await (const e of Deno.readDir(dir)) {
    const path = `${dir}/${e.name}`;
    if (!e.isFile || path === own || !/^cmrxkit-run(-shard\d+of\d+)?\.lock$/.test(e.name)) continue;
    const info = await readLock(path);
    if (!info) {
      any = true; // being written: count it as live
      continue;
    }
    if (info.host === hostName()) {
      if (info.pid !== Deno.pid && pidAlive(info.pid)) any = true;
      else if (info.pid === Deno.pid) any = true; // another run of this process
    } else {
      const mtime = (await Deno.stat(path).catch(() => null))?.mtime?.getTime() ?? 0;
      if (Date.now() - mtime <= STALE_AFTER_MS) any = otherHost = true;
    }
  }
  return { any, otherHost };
}
