/**
 * Removing the temporary files a killed run left in a submit output folder. `--output` may be
 * any writable folder, already holding the user's own files, so a file is a candidate only
 * when both its name and its place say that submit wrote it:
 *
 * - its name is cmrxkit's temporary name (`src/tempname.ts`: `<target>.tmp-<pid>-<8 hex>`,
 *   with a real pid, or the older `<target>.tmp-<8 or 12 hex>`), or a stale lock moved aside
 *   during a take-over (`<lock>.stale-<pid>-<8 hex>`, `lock.ts`);
 * - its target is a file submit writes there: a `*.mat` under `<output>/Submission/` or
 *   `<output>/Maps/`; at the top of `<output>`, `cmrxkit-run.json`, `run-log*.jsonl`,
 *   `Submission.zip` or a run lock;
 * - it is a regular file (never a link or a folder);
 *
 * and only when its writer is gone:
 *
 * - a name with a pid: that pid is below this host's `pid_max` and not alive on this host,
 *   and no live run of another host holds a lock of the folder (its pids are not visible);
 * - a name without a pid: no live run other than the caller holds a lock of the folder (the
 *   caller holds its own), and the file is older than the caller's start.
 *
 * Anything else is left alone.
 *
 * @module
 */

import { parseTempName, pidMax, type TempName } from "../tempname.ts";
import { MAPS_FOLDER } from "../challenge/maps/case_maps.ts";
import { hostName, isLockName, liveLocks, parseAsideLockName, pidAlive } from "./lock.ts";
import { RUN_MANIFEST } from "./run_manifest.ts";

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
  const others = (await liveLocks(dir)).filter((l) => l.path !== ownLock);
  const otherHost = others.some((l) => l.info && l.info.host !== hostName());
  const result: StaleTempResult = { removed: [], kept: [] };
  const files = [
    ...await tempFiles(dir, false, isTopTarget),
    ...await tempFiles(`${dir}/Submission`, true, isMatTarget),
    ...await tempFiles(`${dir}/${MAPS_FOLDER}`, true, isMatTarget),
  ];
  for (const { path, pid, mtime } of files) {
    const gone = pid !== undefined
      ? pid < pidMax() && !pidAlive(pid) && !otherHost
      : others.length === 0 && mtime < startedMs;
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

/** What submit writes at the top of its output folder (see {@link tempFiles}). */
function isTopTarget(target: string): boolean {
  return target === RUN_MANIFEST || target === "Submission.zip" || isLockName(target) ||
    /^run-log[^/]*\.jsonl$/.test(target);
}

/** What submit writes under `Submission/` and `Maps/`. */
function isMatTarget(target: string): boolean {
  return target.endsWith(".mat");
}

interface TempFile {
  path: string;
  pid?: number;
  mtime: number;
}

/** The temporary name of a file submit writes, or of a lock moved aside; else null. */
function tempName(name: string): TempName | null {
  return parseTempName(name) ?? parseAsideLockName(name);
}

/**
 * cmrxkit temporary files (regular files, links not followed) under `dir` whose target
 * passes `isTarget`.
 */
async function tempFiles(
  dir: string,
  recursive: boolean,
  isTarget: (target: string) => boolean,
): Promise<TempFile[]> {
  const out: TempFile[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch {
    return out;
  }
  for (const e of entries) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory && recursive) out.push(...await tempFiles(path, true, isTarget));
    if (!e.isFile) continue;
    const t = tempName(e.name);
    if (!t || !isTarget(t.target)) continue;
    try {
      const st = await Deno.lstat(path);
      if (st.isFile) out.push({ path, pid: t.pid, mtime: st.mtime?.getTime() ?? 0 });
    } catch { /* gone */ }
  }
  return out;
}
