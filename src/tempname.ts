/**
 * Names of cmrxkit's temporary files. Every atomic writer puts its bytes into a temporary
 * file beside the target and renames it into place; when a process is killed in between, the
 * temporary file stays. Its name tells cleaners (see `src/pipeline/stale_temp.ts`) that it is
 * cmrxkit's own and which process wrote it:
 *
 * - `<target>.tmp-<pid>-<8 hex>` (optionally `.h5`): {@link tempPathFor}; the writer's pid
 *   lets a later run see that the writer is gone;
 * - `<target>.tmp-<8 or 12 hex>` (optionally `.h5`): the older form without a pid, written
 *   by earlier cmrxkit versions.
 *
 * A name alone does not make a file cmrxkit's (a user's `backup.tmp-20240101-cafebabe` has
 * the same shape): the number must be a real pid (1 to {@link PID_LIMIT} - 1), and cleaners also
 * check that the target is a file they write.
 *
 * @module
 */

/** A temporary path for an atomic write of `target`: `<target>.tmp-<pid>-<8 hex>`. */
export function tempPathFor(target: string, suffix = ""): string {
  return `${target}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}${suffix}`;
}

/** What a temporary file name says about its writer. */
export interface TempName {
  /** The file it was to become (the name without the temporary suffix). */
  target: string;
  /** The writer's pid, when the name carries it. */
  pid?: number;
}

/**
 * No pid reaches this: Linux's `PID_MAX_LIMIT` (2^22 on 64-bit systems), the most that
 * `/proc/sys/kernel/pid_max` may be set to (see {@link pidMax}).
 */
export const PID_LIMIT = 2 ** 22;

const WITH_PID = /^(.+)\.tmp-(\d{1,10})-[0-9a-f]{8}(\.h5)?$/;
const LEGACY = /^(.+)\.tmp-(?:[0-9a-f]{8}|[0-9a-f]{12})(\.h5)?$/;

/**
 * Parses a file name written by {@link tempPathFor} or an older cmrxkit writer; else null
 * (also when the number where the pid goes is no pid: 0, or {@link PID_LIMIT} and above).
 */
export function parseTempName(name: string): TempName | null {
  const p = WITH_PID.exec(name);
  if (p) {
    const pid = Number(p[2]);
    return pid >= 1 && pid < PID_LIMIT ? { target: p[1], pid } : null;
  }
  const l = LEGACY.exec(name);
  return l ? { target: l[1] } : null;
}

let cachedPidMax: number | undefined;

/**
 * The bound of this host's pids (every pid is below it): `/proc/sys/kernel/pid_max` on Linux
 * (where it is readable), else {@link PID_LIMIT}.
 */
export function pidMax(): number {
  if (cachedPidMax !== undefined) return cachedPidMax;
  let max = PID_LIMIT;
  try {
    const v = Number(Deno.readTextFileSync("/proc/sys/kernel/pid_max").trim());
    if (Number.isInteger(v) && v > 0) max = Math.min(v, PID_LIMIT);
  } catch { /* not Linux, or not readable */ }
  return cachedPidMax = max;
}
