/**
 * The task, split and edition of a submission folder, for `validate`, `pack` and `score`:
 * explicit flags first, then the run manifest `submit` wrote beside `Submission/`
 * (`<output>/cmrxkit-run.json`), then what the folder's content says (which of the Cine /
 * Mapping folders hold files, ValidationSet or TestSet, 2023 or 2024 layout), else the
 * defaults (both tasks, validation, 2023). Each value carries where it came from
 * ({@link ContextSource}), so a command can say it in one line.
 *
 * It lives in pipeline/ because it reads the pipeline's run manifest, which src/challenge/
 * must not depend on. Accelerations are `number[]` (e.g. `[4, 8]`); absent means every one.
 *
 * @module
 */

import { inferSubmissionContent } from "../challenge/context.ts";
import { SUBMISSION_FOLDER } from "../challenge/paths.ts";
import { readRunManifest, RUN_MANIFEST, type RunManifest } from "./run_manifest.ts";

/** Where a value came from. */
export type ContextSource =
  | { from: "flag"; flag: string }
  | { from: "manifest" }
  | { from: "content"; evidence: string }
  | { from: "default" };

/** The flags a command was given (already checked), all optional. */
export interface ContextFlags {
  /** `--task`. */
  task?: "cine" | "mapping" | "both";
  /** `--split`. */
  split?: "validation" | "test";
  /** `--year`: the challenge edition. */
  year?: number;
  /** `--coil`. */
  coil?: "multi" | "single" | "both";
  /** `--acc`, e.g. `[4, 8]`. */
  acc?: number[];
}

/** What {@link submissionContext} decided. */
export interface SubmissionContext {
  /** The task(s) of the submission (default: both). */
  task: "cine" | "mapping" | "both";
  /** The split of the submission (default: validation). */
  split: "validation" | "test";
  /** Challenge edition (layout and reduction rules; metric rules for `score`). */
  year: number;
  /** Coil filter (flag or manifest), absent for every coil present. */
  coil?: "multi" | "single" | "both";
  /** Acceleration filter (flag or manifest), absent for every acceleration present. */
  acc?: number[];
  /** The run manifest, when the folder has one. */
  manifest?: RunManifest;
  /** Its path, when found. */
  manifestPath?: string;
  /** Where each value came from. */
  sources: {
    task: ContextSource;
    split: ContextSource;
    year: ContextSource;
    coil?: ContextSource;
    acc?: ContextSource;
  };
}

/**
 * The run manifest of a submission folder: `<dir>/cmrxkit-run.json`, or, when `dir` is the
 * `Submission` folder itself, the one beside it.
 *
 * @throws {CmrxError} a manifest is there but is not a cmrxkit run manifest
 */
export async function findRunManifest(
  dir: string,
): Promise<{ manifest: RunManifest; path: string } | undefined> {
  const base = dir.replace(/\/+$/, "") || "/";
  const dirs = [base];
  if (base.split("/").pop() === SUBMISSION_FOLDER) {
    dirs.push(base.slice(0, base.lastIndexOf("/")) || (base.startsWith("/") ? "/" : "."));
  }
  for (const d of dirs) {
    const manifest = await readRunManifest(d);
    if (manifest) return { manifest, path: `${d}/${RUN_MANIFEST}` };
  }
  return undefined;
}

/**
 * Decides the task, split, edition (and coil / acceleration filters) of the submission in
 * `dir`: each from its flag when given, else from the run manifest, else (task, split,
 * edition) from the folder's content, else the default.
 *
 * @throws {CmrxError} a run manifest is there but cannot be read
 */
export async function submissionContext(
  dir: string,
  flags: ContextFlags,
): Promise<SubmissionContext> {
  const found = await findRunManifest(dir);
  const m = found?.manifest;
  const needContent = flags.task === undefined || flags.split === undefined ||
    flags.year === undefined;
  const content = !m && needContent ? await inferSubmissionContent(dir) : undefined;
  const flag = (name: string): ContextSource => ({ from: "flag", flag: `--${name}` });
  const manifest: ContextSource = { from: "manifest" };
  const fromContent = (evidence?: string): ContextSource =>
    evidence ? { from: "content", evidence } : { from: "default" };

  const pick = <T>(
    name: string,
    given: T | undefined,
    fromManifest: T | undefined,
    inferred: T | undefined,
    evidence: string | undefined,
    dflt: T,
  ): [T, ContextSource] => {
    if (given !== undefined) return [given, flag(name)];
    if (fromManifest !== undefined && fromManifest !== null) return [fromManifest, manifest];
    if (inferred !== undefined) return [inferred, fromContent(evidence)];
    return [dflt, { from: "default" }];
  };
  const [task, taskSrc] = pick<SubmissionContext["task"]>(
    "task",
    flags.task,
    m?.task,
    content?.task,
    content?.evidence.task,
    "both",
  );
  const [split, splitSrc] = pick<SubmissionContext["split"]>(
    "split",
    flags.split,
    m?.split,
    content?.split,
    content?.evidence.split,
    "validation",
  );
  const [year, yearSrc] = pick<number>(
    "year",
    flags.year,
    typeof m?.year === "number" ? m.year : undefined,
    content?.year,
    content?.evidence.year,
    2023,
  );
  const ctx: SubmissionContext = {
    task,
    split,
    year,
    sources: { task: taskSrc, split: splitSrc, year: yearSrc },
    ...(found ? { manifest: found.manifest, manifestPath: found.path } : {}),
  };
  const coil = flags.coil ?? m?.coil ?? undefined;
  if (coil) {
    ctx.coil = coil;
    ctx.sources.coil = flags.coil ? flag("coil") : manifest;
  }
  const acc = flags.acc ?? m?.acc ?? undefined;
  if (acc) {
    ctx.acc = acc;
    ctx.sources.acc = flags.acc ? flag("acc") : manifest;
  }
  return ctx;
}
