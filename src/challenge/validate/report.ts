/**
 * The validation report: what is wrong with a submission ({@link Problem}, one per finding,
 * with the file concerned and a concrete fix), the counts per group, and the report as text
 * for a terminal ({@link formatReport}) or one line for logs ({@link summaryLine}). Dims in
 * messages are MATLAB (column-major) dims, `[sx, sy, slice, frame]`.
 *
 * @module
 */

import type { Year } from "../edition.ts";

/**
 * Where the submission folder was found: `Submission` (the folder given is it), `parent`
 * (the folder given holds it), `bare` (the folder given holds `MultiCoil/...` directly).
 */
export type SubmissionRootKind = "Submission" | "parent" | "bare";

/** What is wrong (or worth a warning); each member's comment says when it is given. */
export type ProblemKind =
  | "root" // the folder is not named Submission, or is not a submission
  | "junk" // hidden, system or temporary file
  | "not-mat" // not a .mat file, or not a MATLAB file at all
  | "naming" // a folder or file name that does not follow the layout
  | "split" // a file of the other split
  | "missing" // an expected file is absent
  | "empty" // no submission file at all (in scope)
  | "input" // an entry of the input dataset cannot be read: its case cannot be checked
  | "extra" // a file the input does not call for
  | "inconsistent" // (no input) a case present for one acceleration but not another
  | "v73" // MAT v7.3 / HDF5 instead of MAT v5
  | "corrupt" // unreadable MAT v5
  | "variable" // no img4ranking (or other variables beside it)
  | "class" // not single
  | "complex" // complex data
  | "dims" // wrong dims
  | "transposed" // dims reversed
  | "non-finite" // NaN / Inf values
  | "zero" // all values zero, or an empty array
  | "negative"; // negative values: not a magnitude

/** One finding, with the file concerned and a concrete fix. */
export interface Problem {
  /** What kind of finding it is. */
  kind: ProblemKind;
  /** Errors make the submission invalid; warnings do not. */
  severity: "error" | "warning";
  /** Path relative to the submission folder (`.` for the folder itself). */
  file: string;
  /** The path on disk (or where the file should be). */
  path: string;
  /** What is wrong, one sentence (dims in MATLAB order). */
  message: string;
  /** A concrete fix. */
  fix: string;
  /** Expected dims, where dims are concerned. */
  expected?: number[];
  /** Actual dims, where dims are concerned. */
  actual?: number[];
}

/** Files present (and expected, when checked against an input) per group. */
export interface GroupCount {
  /** `MultiCoil/Cine/AccFactor04` (2023) or `Cine/Task1` (2024). */
  group: string;
  /** Expected files; null without an input dataset. */
  expected: number | null;
  /** Files present (expected ones only, when checked against an input). */
  present: number;
  /** Present files without errors. */
  valid: number;
}

/** The result of {@link validateSubmission}. */
export interface ValidationReport {
  /** The folder given. */
  dir: string;
  /** The folder checked: the one that becomes `Submission/` in the archive. */
  root: string;
  /** `Submission`: dir is it; `parent`: dir holds it; `bare`: dir holds MultiCoil/... */
  rootKind: SubmissionRootKind;
  /** Layout/reduction rules used. */
  year: Year;
  /** The split checked for (given, or inferred from the folders present). */
  split: "validation" | "test";
  /** The input dataset checked against, or null (structural checks only). */
  input: string | null;
  /** True when dims were checked against the input. */
  shapesChecked: boolean;
  /** Filters applied (task, coil, acc), for the record. */
  filters: { task?: string; coil?: string; acc?: number[] };
  /** Files found in scope (readme.txt included). */
  files: number;
  /** Files whose content was read and checked. */
  checked: number;
  /** Expected files (with an input), else null. */
  expected: number | null;
  /** Files outside the --task/--coil/--acc filters, not checked. */
  skipped: string[];
  /** `readme.txt` found at the top of the submission folder, if any. */
  readme: string | null;
  /** Files present (and expected) per group, e.g. `MultiCoil/Cine/AccFactor04`. */
  groups: GroupCount[];
  /** Errors, in order of discovery. */
  problems: Problem[];
  /** Warnings, in order of discovery. */
  warnings: Problem[];
  /** True when there is no error. */
  ok: boolean;
}

/** Options of {@link formatReport}. */
export interface FormatOptions {
  /** Problems listed per kind before "... and N more" (default 20; Infinity for all). */
  limit?: number;
}

/** The report as text for a terminal: header, counts per group, problems with fixes, verdict. */
export function formatReport(r: ValidationReport, opts: FormatOptions = {}): string {
  const limit = opts.limit ?? 20;
  const lines: string[] = [];
  lines.push(`Submission folder: ${r.root} (${r.split} split, ${r.year} rules)`);
  if (r.input) lines.push(`Checked against input: ${r.input} (${r.expected} expected files)`);
  else {
    lines.push(
      "Structural checks only: shapes could not be checked against the input " +
        "(pass --input ROOT to check that every file is present with the exact dims)",
    );
  }
  const f = r.filters;
  if (f.task || f.coil || f.acc) {
    lines.push(
      `Filters: ${
        [
          f.task ? `task ${f.task}` : "",
          f.coil ? `coil ${f.coil}` : "",
          f.acc ? `acc ${f.acc.join(",")}` : "",
        ].filter(Boolean).join(", ")
      }${r.skipped.length ? `; ${r.skipped.length} files outside them not checked` : ""}`,
    );
  }
  if (r.groups.length) {
    const w = Math.max(...r.groups.map((g) => g.group.length));
    for (const g of r.groups) {
      const count = g.expected === null
        ? `${g.present} files`
        : `${g.present}/${g.expected} present`;
      lines.push(`  ${g.group.padEnd(w)}  ${count}, ${g.valid} valid`);
    }
  }
  lines.push(`readme.txt: ${r.readme ? "present" : "absent (pack adds one with --team NAME)"}`);
  const section = (title: string, list: Problem[]) => {
    if (!list.length) return;
    lines.push("", `${title} (${list.length}):`);
    const byKind = new Map<ProblemKind, Problem[]>();
    for (const p of list) byKind.set(p.kind, [...(byKind.get(p.kind) ?? []), p]);
    for (const [kind, ps] of byKind) {
      lines.push(`  ${kind} (${ps.length}):`);
      for (const p of ps.slice(0, limit)) {
        lines.push(`    ${p.file}: ${p.message}`, `      fix: ${p.fix}`);
      }
      if (ps.length > limit) {
        lines.push(`    ... and ${ps.length - limit} more ${kind} (use --json FILE or --all)`);
      }
    }
  };
  section("Problems", r.problems);
  section("Warnings", r.warnings);
  lines.push("");
  if (r.ok) {
    lines.push(
      `OK: ${r.checked} file(s) valid${
        r.warnings.length ? `, ${r.warnings.length} warning(s)` : ""
      }`,
    );
  } else {
    const nfiles = new Set(r.problems.map((p) => p.file)).size;
    lines.push(`INVALID: ${r.problems.length} problem(s) in ${nfiles} file(s)`);
  }
  return lines.join("\n");
}

/** A one-line summary for logs. */
export function summaryLine(r: ValidationReport): string {
  return r.ok
    ? `valid: ${r.checked} files`
    : `invalid: ${r.problems.length} problem(s), first: ${r.problems[0].file}: ${
      r.problems[0].message
    }`;
}
