/**
 * The scope of a run: the whole split is discovered once (the run manifest's input identity
 * covers it, whatever the filters, so runs with other task / coil / acceleration filters
 * resume into the same folder), then narrowed to the run's filters.
 *
 * @module
 */

import type { DiscoverOptions, Discovery } from "../challenge/layout.ts";
import type { CoilType } from "../challenge/paths.ts";

/** The filters of a run, as {@link discover} takes them. */
export type DiscoveryScope = Pick<DiscoverOptions, "task" | "coil" | "acc">;

/**
 * `all`, the cases of a split of `root` found by {@link discover} without task, coil or
 * acceleration filters, narrowed to `scope`: the cases and problems that `discover` finds
 * with those filters, in the same order (`ignored` is left whole). Problems are placed by
 * their path: `<coil folder>/<modality>/<split>/<acc folder>/<patient>/<file>`.
 */
export function narrowDiscovery(all: Discovery, root: string, scope: DiscoveryScope): Discovery {
  const wantCoil = (c: string) =>
    !scope.coil || scope.coil === "both" || (scope.coil === "multi") === (c === "MultiCoil");
  const wantTask = (t: string) => !scope.task || scope.task === "both" || scope.task === t;
  const wantAcc = (acc: number | null) => !scope.acc || acc === null || scope.acc.includes(acc);
  const cases = all.cases.filter((c) => wantCoil(c.coil) && wantTask(c.task) && wantAcc(c.acc));
  const segs = (p: string) => p.split("/").filter((x) => x && x !== ".");
  const base = segs(root);
  const isCoil = (x?: string): x is CoilType => x === "MultiCoil" || x === "SingleCoil";
  const inScope = (path: string): boolean => {
    const parts = segs(path);
    if (!base.every((b, k) => parts[k] === b)) return true; // not under the root: keep
    let rel = parts.slice(base.length);
    let coil = base[base.length - 1];
    if (!isCoil(coil)) {
      const k = rel.findIndex(isCoil);
      if (k < 0) return true;
      coil = rel[k];
      rel = rel.slice(k + 1);
    }
    const [modality, , accFolder, , file] = rel;
    if (!wantCoil(coil)) return false;
    if (modality !== undefined && !wantTask(modality === "Mapping" ? "mapping" : "cine")) {
      return false;
    }
    if (accFolder === undefined || !scope.acc) return true;
    const acc2023 = /^AccFactor(\d+)$/.exec(accFolder);
    if (acc2023) return wantAcc(Number(acc2023[1]));
    // 2024: the acceleration is in the file names (k-space and mask).
    const acc2024 = file === undefined
      ? null
      : accFolder.startsWith("UnderSample_")
      ? /_kus_[A-Za-z]+?(\d+)\.mat$/.exec(file)
      : accFolder.startsWith("Mask_")
      ? /_mask_[A-Za-z]+?(\d+)\.mat$/.exec(file)
      : null;
    return acc2024 ? wantAcc(Number(acc2024[1])) : true;
  };
  return { cases, ignored: all.ignored, problems: all.problems.filter((p) => inScope(p.path)) };
}
