/**
 * Resident memory of this process (bytes): current and peak RSS from `/proc/self/status`
 * on Linux (`Deno.memoryUsage().rss` elsewhere), and resetting the peak, to measure what
 * an onnxruntime session or a reconstruction really takes.
 *
 * @module
 */

function procStatusKiB(field: string): number | undefined {
  try {
    const s = Deno.readTextFileSync("/proc/self/status");
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s*kB`, "m").exec(s);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Peak resident set size of this process in bytes: `VmHWM` from `/proc/self/status` on
 * Linux, else the current RSS (`Deno.memoryUsage().rss`).
 */
export function peakRssBytes(): number {
  return procStatusKiB("VmHWM") ?? Deno.memoryUsage().rss;
}

/** Current resident set size in bytes (`VmRSS` on Linux, else `Deno.memoryUsage().rss`). */
export function rssBytes(): number {
  return procStatusKiB("VmRSS") ?? Deno.memoryUsage().rss;
}

/**
 * Resets the peak RSS to the current RSS (writes `5` to `/proc/self/clear_refs`, Linux).
 * @returns false when that is not possible (not Linux, no write permission)
 */
export function resetPeakRss(): boolean {
  try {
    Deno.writeTextFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}
