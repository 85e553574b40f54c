/**
 * What a submission folder's content says about it: the task (which of the Cine / Mapping
 * folders hold files), the split (ValidationSet / TestSet) and the layout edition (2023:
 * `MultiCoil/` at the top; 2024: modality folders at the top). `validate`, `pack` and
 * `score` use it when the folder has no run manifest and the flags do not say.
 *
 * @module
 */

import type { Task } from "./edition.ts";
import { EDITIONS } from "./editions/mod.ts";
import { parseSubmissionPath } from "./paths.ts";
import { listSubmissionFiles, locateSubmission } from "./validate/walk.ts";

/** What {@link inferSubmissionContent} found; a field is absent when the content does not say. */
export interface SubmissionContent {
  /** The folder that holds the files (`Submission/`). */
  root: string;
  /** `cine` or `mapping` when only that task's files are present, `both` when both are. */
  task?: Task | "both";
  /** `test` when every file is under `TestSet`, `validation` when any is under `ValidationSet`. */
  split?: "validation" | "test";
  /**
   * 2024 when the files follow the 2024 layout (no coil level), 2025 its layout (task folders
   * at the top), else 2023.
   */
  year?: 2023 | 2024 | 2025;
  /** A few words for each field saying what in the content decided it. */
  evidence: { task?: string; split?: string; year?: string };
}

/**
 * Reads the names (never the content) of the files under a submission folder and says which
 * task, split and layout edition they are. Returns `undefined` when `dir` holds no
 * submission folder in either layout (the command's own checks then say what is wrong).
 */
export async function inferSubmissionContent(dir: string): Promise<SubmissionContent | undefined> {
  // The editions whose trees can be validated, the default (2023) first.
  const candidates = EDITIONS.filter((e) => e.supports.validate && e.layout);
  for (const [i, { year, layout }] of candidates.entries()) {
    let root: string;
    try {
      root = (await locateSubmission(dir, year)).root;
    } catch {
      continue;
    }
    const { files } = await listSubmissionFiles(root);
    const infos = files.map((f) => parseSubmissionPath(f.rel, year)).flatMap((p) =>
      p.ok ? [p.info] : []
    );
    if (infos.length === 0 && i < candidates.length - 1) continue; // maybe a later edition's
    const out: SubmissionContent = { root, evidence: {} };
    if (infos.length === 0) return out;
    if (i > 0) {
      out.year = year as SubmissionContent["year"];
      out.evidence.year = `${year} layout (${layout!.signature})`;
    }
    const tasks = new Set(infos.map((i) => i.task));
    out.task = tasks.size > 1 ? "both" : [...tasks][0];
    out.evidence.task = tasks.size > 1
      ? "Cine and Mapping files"
      : `${out.task === "cine" ? "Cine" : "Mapping"} files only`;
    const splits = new Set(infos.map((i) => i.split));
    out.split = splits.has("ValidationSet") ? "validation" : "test";
    out.evidence.split = splits.size > 1
      ? "ValidationSet and TestSet files"
      : `${[...splits][0]} files`;
    return out;
  }
  return undefined;
}
