/**
 * Checking a submission folder before it is zipped and uploaded: folder naming, the files
 * present against those the input dataset calls for, and each file's content (MAT v5, the
 * variable `img4ranking`, class single, real, the expected dims, finite, not all zero,
 * non-negative).
 *
 * The folder given may be the `Submission` folder itself, a folder holding `Submission/`, or
 * (accepted by the 2023 scorer, with a warning) a folder holding `MultiCoil/`/`SingleCoil/`
 * directly. The layout inside it is the edition's (`paths.ts` is its grammar):
 * `{MultiCoil|SingleCoil}/{Cine|Mapping}/{ValidationSet|TestSet}/AccFactorNN/Pxxx/{name}.mat`
 * plus an optional `readme.txt` at the top (2023), or
 * `{Modality}/{ValidationSet|TestSet}/TaskN/Pxxx/{name}_kus_{Pattern}{R}.mat` (2024).
 *
 * Without an input dataset only structural checks run (naming, variable, class, real, finite,
 * plausible dims); the report says that shapes were not checked.
 *
 * The parts: `walk.ts` finds and lists the files, `../paths.ts` parses their paths,
 * `checks.ts` checks each file's content, `report.ts` holds the report and its text; this
 * module puts them together ({@link validateSubmission}).
 *
 * @module
 */

import type { Task, Year } from "../edition.ts";
import { DEFAULT_YEAR, editionOf, EDITIONS } from "../editions/mod.ts";
import {
  isReadme,
  layoutEdition,
  parseSubmissionPath,
  SUBMISSION_FOLDER,
  type SubmissionPathInfo,
} from "../paths.ts";
import { problemReason } from "../problem_text.ts";
import { type ExpectedFile, type ExpectedSubmission, expectedSubmission } from "../submission.ts";
import { checkImg4RankingFile, dimsText } from "./checks.ts";
import type { GroupCount, Problem, ValidationReport } from "./report.ts";
import { listSubmissionFiles, locateSubmission, type SubmissionFile } from "./walk.ts";
import { LayoutError } from "../../errors.ts";

/** Options of {@link validateSubmission}. */
export interface ValidateOptions {
  /** Dataset root to check against (every expected file, exact dims). */
  input?: string;
  /** Check only this task's files (2024's other modalities count as `cine`). */
  task?: Task | "both";
  /** Default: inferred from the folders present (TestSet only -> test, else validation). */
  split?: "validation" | "test";
  /** Check only `MultiCoil` (`multi`) or `SingleCoil` (`single`) files. */
  coil?: "multi" | "single" | "both";
  /** Check only these acceleration factors (e.g. `[4, 8]`). */
  acc?: number[];
  /** 2023 (default) or 2024 layout and reduction rules. */
  year?: Year;
  /**
   * The files the input calls for and its entries that cannot be read, already planned by
   * the caller (what `expectedSubmission` returns for this input, split and filters): used
   * instead of opening the input's headers again.
   */
  expected?: ExpectedSubmission;
  /** Called after each file whose content is checked. */
  onProgress?: (done: number, total: number, file: string) => void;
}

/**
 * Validates a submission folder. Without `opts.input`, structural checks only; with it, every
 * expected file must be present with exactly the expected dims and no other file may be there.
 * Files outside the --task/--coil/--acc filters are skipped (listed in `skipped`).
 *
 * @throws {LayoutError} `dir` does not exist or holds no submission; the input has no cases
 */
export async function validateSubmission(
  dir: string,
  opts: ValidateOptions = {},
): Promise<ValidationReport> {
  const year: Year = opts.year ?? DEFAULT_YEAR;
  if (!editionOf(year).supports.validate) {
    throw new LayoutError(`the ${year} submission layout is not supported`, {
      hint: `validate with --year ${
        EDITIONS.filter((e) => e.supports.validate).map((e) => e.year).join(" or ")
      }`,
    });
  }
  const { layout } = layoutEdition(year);
  const loc = await locateSubmission(dir, year);
  const { files, problems: walkProblems } = await listSubmissionFiles(loc.root);
  const problems: Problem[] = [...walkProblems];
  const warnings: Problem[] = [...loc.warnings];
  const skipped: string[] = [];
  let readme: string | null = null;
  const cases: { file: SubmissionFile; info: SubmissionPathInfo }[] = [];
  const inScope = (info: SubmissionPathInfo) =>
    (!opts.task || opts.task === "both" || opts.task === info.task) &&
    (!opts.coil || opts.coil === "both" ||
      (opts.coil === "multi") === (info.coil === "MultiCoil")) &&
    (!opts.acc || opts.acc.includes(info.acc));
  let inScopeFiles = 0;
  for (const f of files) {
    if (isReadme(f.rel)) {
      readme = f.path;
      inScopeFiles++;
      continue;
    }
    const p = parseSubmissionPath(f.rel, year);
    if (!p.ok) {
      inScopeFiles++;
      problems.push({
        kind: p.kind,
        severity: "error",
        file: f.rel,
        path: f.path,
        message: p.message,
        fix: p.fix,
      });
      continue;
    }
    if (!inScope(p.info)) {
      skipped.push(f.rel);
      continue;
    }
    inScopeFiles++;
    cases.push({ file: f, info: p.info });
  }

  // The split: given, or what the folders say.
  const nTest = cases.filter((c) => c.info.split === "TestSet").length;
  const split = opts.split ?? (nTest > 0 && nTest === cases.length ? "test" : "validation");
  const splitFolder = split === "test" ? "TestSet" : "ValidationSet";
  const inSplit: typeof cases = [];
  for (const c of cases) {
    if (c.info.split === splitFolder) {
      inSplit.push(c);
      continue;
    }
    problems.push({
      kind: "split",
      severity: "error",
      file: c.file.rel,
      path: c.file.path,
      message: `${c.info.split} file in a ${split} submission`,
      fix: opts.split
        ? `delete it, or validate with --split ${split === "test" ? "validation" : "test"}`
        : `a submission holds one split: delete the ${c.info.split} files (or the others)`,
    });
  }

  // Expected files.
  let expected: ExpectedFile[] | null = null;
  /** Submission paths of input cases that cannot be read (not "extra", not checked exactly). */
  const unreadableInput = new Set<string>();
  const plan = await expectedFor(opts, split);
  if (plan) {
    expected = plan.files;
    for (const p of plan.problems) {
      if (p.submissionPath) unreadableInput.add(p.submissionPath);
      problems.push({
        kind: "input",
        severity: "error",
        file: p.path,
        path: p.path,
        message: `input entry ${problemReason(p, { consequence: "cannot be checked" })}`,
        fix: `${p.fix}; then validate again (the submission must hold this case too)`,
      });
    }
  }
  const groups = new Map<string, GroupCount>();
  const group = (g: string) => {
    let e = groups.get(g);
    if (!e) {
      e = { group: g, expected: expected ? 0 : null, present: 0, valid: 0 };
      groups.set(g, e);
    }
    return e;
  };
  const expectedByRel = new Map<string, ExpectedFile>();
  if (expected) {
    for (const e of expected) {
      expectedByRel.set(e.relPath, e);
      const p = parseSubmissionPath(e.relPath, year);
      const g = group(p.ok ? p.info.group : e.relPath.split("/").slice(0, 2).join("/"));
      g.expected = (g.expected ?? 0) + 1;
    }
  }

  // Content checks.
  const toCheck: { c: (typeof cases)[number]; exp?: ExpectedFile }[] = [];
  const present = new Set<string>();
  for (const c of inSplit) {
    present.add(c.file.rel);
    if (expected) {
      const exp = expectedByRel.get(c.file.rel);
      if (!exp && unreadableInput.has(c.file.rel)) {
        toCheck.push({ c }); // structural checks only: its input entry is reported
        continue;
      }
      if (!exp) {
        // An error where the edition's scorer refuses it (2025 stops at "Extra file
        // submitted"), a warning where it reads only the files it expects (2024).
        (layout.extraFiles === "error" ? problems : warnings).push({
          kind: "extra",
          severity: layout.extraFiles,
          file: c.file.rel,
          path: c.file.path,
          message: "extra file: the input has no such case",
          fix: "delete it (the organisers ask for exactly the expected files; the 2025 scorer " +
            "aborts on extra files); if it should exist, check the --input dataset",
        });
        continue;
      }
      toCheck.push({ c, exp });
    } else toCheck.push({ c });
  }
  if (expected) {
    for (const e of expected) {
      if (present.has(e.relPath)) continue;
      problems.push({
        kind: "missing",
        severity: "error",
        file: e.relPath,
        path: `${loc.root}/${e.relPath}`,
        message: "missing",
        fix: `reconstruct ${e.case.file} (${e.case.variable}) and write img4ranking with dims ${
          dimsText(e.dims)
        }`,
        expected: e.dims,
      });
    }
  } else if (layout.submissionLevels.includes("acc")) {
    warnings.push(...consistency(inSplit, loc.root));
  }
  if (!expected && inSplit.length === 0) problems.push(emptyProblem(loc.root, split, opts));
  let done = 0;
  for (const { c, exp } of toCheck) {
    const r = await checkImg4RankingFile(c.file.path, c.file.rel, {
      split,
      task: c.info.task,
      name: c.info.name,
      year,
      expectedDims: exp?.dims,
    });
    problems.push(...r.problems);
    warnings.push(...r.warnings);
    const g = group(c.info.group);
    g.present++;
    if (r.problems.length === 0) g.valid++;
    opts.onProgress?.(++done, toCheck.length, c.file.rel);
  }
  const order = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return {
    dir,
    root: loc.root,
    rootKind: loc.kind,
    year,
    split,
    input: opts.input ?? null,
    shapesChecked: expected !== null,
    filters: {
      ...(opts.task ? { task: opts.task } : {}),
      ...(opts.coil ? { coil: opts.coil } : {}),
      ...(opts.acc ? { acc: opts.acc } : {}),
    },
    files: inScopeFiles,
    checked: toCheck.length,
    expected: expected ? expected.length : null,
    skipped,
    readme,
    groups: [...groups.values()].sort((a, b) => order(a.group, b.group)),
    problems,
    warnings,
    ok: problems.length === 0,
  };
}

/**
 * The files the input calls for, and the input entries that cannot be read: `opts.expected`
 * when the caller planned them, else read from the input's headers; null without either
 * (structural checks only). The one place validation asks `submission.ts` for them.
 */
async function expectedFor(
  opts: ValidateOptions,
  split: "validation" | "test",
): Promise<ExpectedSubmission | null> {
  if (opts.expected) return opts.expected;
  if (!opts.input) return null;
  return await expectedSubmission(opts.input, {
    task: opts.task,
    split,
    coil: opts.coil,
    acc: opts.acc,
    year: opts.year,
  });
}

/** The error for a submission folder with no file to check: zero files is never valid. */
function emptyProblem(root: string, split: string, opts: ValidateOptions): Problem {
  const f = [
    opts.task && opts.task !== "both" ? `task ${opts.task}` : "",
    opts.coil && opts.coil !== "both" ? `coil ${opts.coil}` : "",
    opts.acc ? `acc ${opts.acc.join(",")}` : "",
  ].filter(Boolean).join(", ");
  const layout = layoutEdition(opts.year ?? DEFAULT_YEAR).layout.submission;
  return {
    kind: "empty",
    severity: "error",
    file: ".",
    path: root,
    message: `no ${split}-split img4ranking file found in ${root}${f ? ` for ${f}` : ""}`,
    fix: `write the reconstructions there first (deno task submit --split ${split} --output ` +
      `DIR writes DIR/${SUBMISSION_FOLDER}/${layout}), or pass the folder that holds them`,
  };
}

/** Without an input: a case present for one acceleration but not another is suspicious. */
function consistency(
  cases: { file: SubmissionFile; info: SubmissionPathInfo }[],
  root: string,
): Problem[] {
  const byBlock = new Map<string, Map<string, Set<string>>>();
  for (const { info, file } of cases) {
    const block = file.rel.split("/").slice(0, file.rel.split("/").length - 3).join("/");
    const accs = byBlock.get(block) ?? new Map<string, Set<string>>();
    byBlock.set(block, accs);
    const key = file.rel.split("/").slice(-2).join("/");
    const set = accs.get(info.accFolder) ?? new Set<string>();
    accs.set(info.accFolder, set);
    set.add(key);
  }
  const out: Problem[] = [];
  for (const [block, accs] of byBlock) {
    if (accs.size < 2) continue;
    const all = new Set<string>();
    for (const s of accs.values()) for (const k of s) all.add(k);
    for (const [acc, set] of accs) {
      for (const k of all) {
        if (set.has(k)) continue;
        const has = [...accs].filter(([, s]) => s.has(k)).map(([a]) => a);
        const rel = `${block}/${acc}/${k}`;
        out.push({
          kind: "inconsistent",
          severity: "warning",
          file: rel,
          path: `${root}/${rel}`,
          message: `not present, but ${k} is in ${has.join(", ")}`,
          fix: "if the input has this case, reconstruct it; run with --input ROOT to check " +
            "against the dataset",
        });
      }
    }
  }
  return out;
}
