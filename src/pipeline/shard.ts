/**
 * Sharing the cases of a split between `n` runs (`submit --shard i/n`) by work, not by count:
 * a cine SAX case reconstructs about three times the pixels of a LAX one, so every n-th case
 * is not a fair share. Every shard knows the whole list with each case's work and assigns it
 * the same way (greedy, largest first, onto the least-loaded shard; ties go to the earlier
 * case and the lower shard), so shards are disjoint, together complete, and stable, without
 * talking to each other. With equal work the assignment is round robin (case k to shard
 * k mod n), as before work was known.
 *
 * @module
 */

import { UsageError } from "../errors.ts";

/** One shard's part of the work. */
export interface ShardShare {
  /** 0-based shard index. */
  shard: number;
  /** Number of cases. */
  cases: number;
  /** Sum of the cases' work. */
  work: number;
  /** work / total work (1 when there is no work at all, for shard 0). */
  fraction: number;
}

/**
 * Assigns items to `n` shards by work (see the module docs).
 *
 * @param work per item, the same order as `items` (non-negative; NaN counts as 0)
 * @returns for each item its shard, and each shard's share
 */
export function assignShards(work: readonly number[], n: number): {
  owner: number[];
  shares: ShardShare[];
} {
  const w = work.map((x) => (Number.isFinite(x) && x > 0 ? x : 0));
  const order = w.map((_, k) => k).sort((a, b) => w[b] - w[a] || a - b);
  const load = new Array<number>(n).fill(0);
  const count = new Array<number>(n).fill(0);
  const owner = new Array<number>(w.length).fill(0);
  for (const k of order) {
    let best = 0;
    for (let s = 1; s < n; s++) {
      if (load[s] < load[best] || (load[s] === load[best] && count[s] < count[best])) best = s;
    }
    owner[k] = best;
    load[best] += w[k];
    count[best]++;
  }
  const total = load.reduce((a, b) => a + b, 0);
  const shares = load.map((l, s) => ({
    shard: s,
    cases: count[s],
    work: l,
    fraction: total > 0 ? l / total : s === 0 ? 1 : 0,
  }));
  return { owner, shares };
}

/**
 * The cases of shard `i` of `n` (`shard = [i, n]`, 0-based i), in their original order,
 * balanced by `work` (default: 1 per case, i.e. round robin). Disjoint, complete and stable:
 * every shard computes the same assignment from the same list.
 */
export function shardCases<T>(
  cases: readonly T[],
  shard?: [number, number],
  work?: (c: T, k: number) => number,
): T[] {
  if (!shard) return [...cases];
  const [i, n] = shard;
  const { owner } = assignShards(cases.map((c, k) => (work ? work(c, k) : 1)), n);
  return cases.filter((_, k) => owner[k] === i);
}

/** Parses `i/n` (1-based i as users type it) into a 0-based `[i, n]`. */
export function parseShard(s: string): [number, number] {
  const m = /^(\d+)\/(\d+)$/.exec(s.trim());
  const i = m ? Number(m[1]) : NaN, n = m ? Number(m[2]) : NaN;
  if (!m || n < 1 || i < 1 || i > n) {
    throw new UsageError(`'${s}' is not a shard`, {
      hint: "use i/n with 1 <= i <= n, e.g. --shard 2/4",
    });
  }
  return [i - 1, n];
}
