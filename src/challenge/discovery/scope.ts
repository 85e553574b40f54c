/**
 * Narrowing a discovery to filters after the fact: `submit` discovers the whole split once
 * (the run manifest's input identity covers it, whatever the filters, so runs with other
 * task / coil / acceleration filters resume into the same folder), then keeps the run's
 * cases and the problems of entries in its scope. Where an entry's acceleration is in the
 * path, the edition's tree reader says (`TreeReader.accOf`).
 *
 * @module
 */

import type { DiscoverOptions, Discovery } from "../case.ts";
import { COIL_FOLDERS, type CoilType, taskOf } from "../paths.ts";
import { TREES } from "./mod.ts";

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
  const isCoil = (x?: string): x is CoilType => COIL_FOLDERS.includes(x as CoilType);
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
    if (modality !== undefined && !wantTask(taskOf(modality))) return false;
    if (accFolder === undefined || !scope.acc) return true;
    for (const tree of TREES) {
      const acc = tree.accOf(accFolder, file);
      if (acc !== undefined) return wantAcc(acc);
    }
    return true;
  };
  return { cases, ignored: all.ignored, problems: all.problems.filter((p) => inScope(p.path)) };
}
