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

const WITH_PID = /^(.+)\.tmp-(\d{1,10})-[0-9a-f]{8}(\.h5)?$/;
const LEGACY = /^(.+)\.tmp-(?:[0-9a-f]{8}|[0-9a-f]{12})(\.h5)?$/;

/** Parses a file name written by {@link tempPathFor} or an older cmrxkit writer; else null. */
export function parseTempName(name: string): TempName | null {
  const p = WITH_PID.exec(name);
  if (p) return { target: p[1], pid: Number(p[2]) };
  const l = LEGACY.exec(name);
  return l ? { target: l[1] } : null;
}
