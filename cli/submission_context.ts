/**
 * The task, split and edition of a submission folder for `validate`, `pack` and `score`:
 * explicit flags first, then the run manifest `deno task submit` wrote beside `Submission/`
 * (`<output>/cmrxkit-run.json`), then what the folder's content says (which of the Cine /
 * Mapping folders hold files, ValidationSet or TestSet, 2023 or 2024 layout), else the
 * defaults (both tasks, validation, 2023). {@link contextLine} says in one line what was used
 * and where it came from.
 *
 * It lives in cli/ because it reads the pipeline's run manifest, which src/challenge/ must
 * not depend on.
 *
 * @module
 */

import { inferSubmissionContent } from "../src/challenge/context.ts";
import { SUBMISSION_FOLDER } from "../src/challenge/submission.ts";
import { UsageError } from "../src/errors.ts";
import { readRunManifest, RUN_MANIFEST, type RunManifest } from "../src/pipeline/run_manifest.ts";
import { yearChoice } from "./command.ts";

/** Where a value came from. */
export type ContextSource =
  | { from: "flag"; flag: string }
  | { from: "manifest" }
  | { from: "content"; evidence: string }
  | { from: "default" };

/** The flags a command was given (already checked), all optional. */
export interface ContextFlags {
  task?: "cine" | "mapping" | "both";
  split?: "validation" | "test";
  year?: number;
  coil?: "multi" | "single" | "both";
  acc?: number[];
}

/** What {@link submissionContext} decided. */
export interface SubmissionContext {
  task: "cine" | "mapping" | "both";
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

/**
 * The edition of `ctx` when `command` takes it (one of `years`), else a {@link UsageError}
 * naming where it came from: `--year` (as for any flag value), the run manifest (as the file
 * at fault), or the folder's content.
 */
export function contextYear<const Y extends number>(
  command: string,
  ctx: SubmissionContext,
  years: readonly Y[],
): Y {
  const src = ctx.sources.year;
  if (src.from === "flag") return yearChoice(command, String(ctx.year), years);
  const year = years.find((y) => y === ctx.year);
  if (year !== undefined) return year;
  const list = years.length > 1
    ? `${years.slice(0, -1).join(", ")} or ${years[years.length - 1]}`
    : String(years[0]);
  const manifest = src.from === "manifest";
  const says = manifest
    ? "the run manifest says"
    : src.from === "content"
    ? `the folder's content (${src.evidence}) says`
    : "the default is";
  throw new UsageError(
    `${command}: ${says} year ${ctx.year}; ${command} takes ${list}`,
    {
      file: manifest ? ctx.manifestPath : undefined,
      hint: `pass ${years.map((y) => `--year ${y}`).join(" or ")}` +
        (manifest ? " (the flag overrides the run manifest)" : ""),
    },
  );
}

function sourceText(s: ContextSource, manifestPath?: string): string {
  switch (s.from) {
    case "flag":
      return s.flag;
    case "manifest":
      return `run manifest ${manifestPath ?? RUN_MANIFEST}`;
    case "content":
      return `content: ${s.evidence}`;
    case "default":
      return "default";
  }
}

/**
 * One line saying what was used and where it came from, e.g. `submission: task cine, split
 * validation, 2023 rules (from the run manifest out/cmrxkit-run.json)` or, with mixed sources,
 * `submission: task cine (content: Cine files only), split validation (--split), 2023 rules
 * (default)`.
 */
export function contextLine(ctx: SubmissionContext): string {
  const items: [string, ContextSource][] = [
    [`task ${ctx.task}`, ctx.sources.task],
    [`split ${ctx.split}`, ctx.sources.split],
    [`${ctx.year} rules`, ctx.sources.year],
  ];
  if (ctx.coil && ctx.sources.coil) items.push([`coil ${ctx.coil}`, ctx.sources.coil]);
  if (ctx.acc && ctx.sources.acc) items.push([`acc ${ctx.acc.join(",")}`, ctx.sources.acc]);
  const texts = items.map(([, s]) => sourceText(s, ctx.manifestPath));
  if (texts.every((t) => t === texts[0])) {
    return `submission: ${items.map(([v]) => v).join(", ")} (from ${
      texts[0] === "default" ? "the defaults" : `the ${texts[0]}`
    })`;
  }
  return `submission: ${items.map(([v], i) => `${v} (${texts[i]})`).join(", ")}`;
}
