/**
 * Human-readable durations and byte counts for progress lines and summaries, and parsing
 * byte counts given on the command line (`24GiB`, `500MB`).
 *
 * @module
 */

import { UsageError } from "./errors.ts";

/** A compact human duration: `850 ms`, `12.3 s`, `4 min 05 s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
}

/** A human byte count: `1.2 GiB`. */
export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u++;
  }
  return `${n.toFixed(u === 0 ? 0 : 1)} ${units[u]}`;
}

const BYTE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/**
 * Parses a byte count: `24GiB`, `500MB`, `1.5G`, `1048576`. SI units (k, M, G, T, with or
 * without B) are powers of 1000; binary units (KiB, MiB, GiB, TiB) powers of 1024.
 * @throws {UsageError} for an unparsable or negative value
 */
export function parseBytes(s: string): number {
  const m = /^\s*(\d+(?:\.\d*)?|\.\d+)(?:e(\d+))?\s*([a-z]*)\s*$/i.exec(s);
  const unit = m ? BYTE_UNITS[m[3].toLowerCase()] : undefined;
  if (!m || unit === undefined) {
    throw new UsageError(`cannot read "${s}" as a byte count`, {
      hint: "write e.g. 24GiB, 500MB, 1.5G or a number of bytes",
    });
  }
  return Math.round(Number(m[1]) * 10 ** Number(m[2] ?? 0) * unit);
}
