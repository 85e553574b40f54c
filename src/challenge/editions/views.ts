/**
 * The views every edition shares so far: cine `lax` / `sax` (`cine_lax.mat`,
 * `cine_sax.mat`) and mapping `T1` / `T2` (`T1map.mat`, `T2map.mat`). Later editions add
 * modalities whose files keep their stem as the view name.
 *
 * @module
 */

import type { Task } from "../edition.ts";

const VIEWS: Record<Task, readonly string[]> = { cine: ["lax", "sax"], mapping: ["T1", "T2"] };

const VIEW_OF: Readonly<Record<string, string>> = {
  cine_lax: "lax",
  cine_sax: "sax",
  T1map: "T1",
  T2map: "T2",
};

/** The views of a task, in report order (`both`: cine, then mapping). */
export function cineMappingViews(task: Task | "both"): string[] {
  return task === "both" ? [...VIEWS.cine, ...VIEWS.mapping] : [...VIEWS[task]];
}

/** The view of a file stem (`cine_sax` -> `sax`), or the stem itself. */
export function viewOfStem(stem: string): string {
  return VIEW_OF[stem] ?? stem;
}
