/**
 * Means of named values per group and source, as the report's comparison tables show them
 * (dynamic-region PSNR/SSIM, map errors): groups are strings like `"cine|sax AccFactor04"`,
 * sources are run labels; NaN values are left out of a mean, and a mean of nothing is NaN.
 *
 * @module
 */

/** Accumulates means of named values per group and source. */
export class GroupMeans {
  #m = new Map<string, Map<string, Record<string, { s: number; n: number }>>>();

  /** Adds one set of values of `source` in `group` (NaN values are not counted). */
  add(group: string, source: string, values: Record<string, number>) {
    const g = this.#m.get(group) ?? new Map();
    this.#m.set(group, g);
    const r = g.get(source) ?? {};
    g.set(source, r);
    for (const [k, v] of Object.entries(values)) {
      const a = r[k] ??= { s: 0, n: 0 };
      if (!Number.isNaN(v)) {
        a.s += v;
        a.n++;
      }
    }
  }

  /** The groups, in the order first added. */
  groups(): string[] {
    return [...this.#m.keys()];
  }

  /** The mean of `key` of `source` in `group`; NaN when none was counted. */
  mean(group: string, source: string, key: string): number {
    const a = this.#m.get(group)?.get(source)?.[key];
    return a && a.n ? a.s / a.n : NaN;
  }

  /** The number of groups. */
  get size() {
    return this.#m.size;
  }

  /** `{group: {source: {name: mean}}}` with `keys` renamed to `names`. */
  toRecord(keys: Record<string, string>): Record<string, Record<string, Record<string, number>>> {
    const out: Record<string, Record<string, Record<string, number>>> = {};
    for (const [g, srcs] of this.#m) {
      out[g] = {};
      for (const s of srcs.keys()) {
        out[g][s] = Object.fromEntries(
          Object.entries(keys).map(([k, name]) => [name, this.mean(g, s, k)]),
        );
      }
    }
    return out;
  }
}
