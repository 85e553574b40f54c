/**
 * How cmrxkit words a problem with an entry of a dataset or submission layout (a dangling
 * link, a named pipe where a k-space file belongs, a folder that cannot be listed): as an
 * error (`PATH: REASON (...)\n  fix: FIX`), as one line for logs and reports, or as the
 * {@link LayoutError} a caller throws when it cannot go on. `layout.ts` finds the problems;
 * every command that reports them words them here.
 *
 * @module
 */

import { LayoutError } from "../errors.ts";

/**
 * What {@link formatProblem} and {@link problemsError} need of a problem (a discovery
 * problem of `layout.ts` is one).
 */
export interface ProblemLike {
  /** The entry on disk. */
  path: string;
  /** What is wrong, e.g. `is a named pipe (FIFO), not a k-space file`. */
  reason: string;
  /** What to do about it. */
  fix: string;
  /** For a k-space entry: where its reconstruction goes in a submission. */
  submissionPath?: string;
}

/** How a caller words a {@link ProblemLike} (see {@link formatProblem}). */
export interface ProblemWording {
  /** What the entry is to the caller, said before its path: `input entry`. */
  entry?: string;
  /**
   * What the problem means for the case the entry stands for, said after its submission path
   * when it has one: `cannot be checked` gives `(MultiCoil/.../cine_sax.mat cannot be checked)`.
   */
  consequence?: string;
  /** Said in brackets after the reason when there is no consequence to say: `truth entry`. */
  note?: string;
  /** The one-line form for logs and reports, `ENTRY PATH REASON (...); fix: FIX`. */
  oneLine?: boolean;
}

/**
 * The reason of a problem with what it means for its case, e.g. `is a named pipe (FIFO), not
 * a k-space file (MultiCoil/.../cine_sax.mat cannot be checked)`.
 */
export function problemReason(p: ProblemLike, w: ProblemWording = {}): string {
  const bracket = p.submissionPath && w.consequence
    ? `${p.submissionPath} ${w.consequence}`
    : w.note;
  return `${p.reason}${bracket ? ` (${bracket})` : ""}`;
}

/** The entry and its reason as one sentence: `input entry PATH is a named pipe (FIFO), ...`. */
function problemSentence(p: ProblemLike, w: ProblemWording = {}): string {
  return `${w.entry ? `${w.entry} ` : ""}${p.path} ${problemReason(p, w)}`;
}

/**
 * A discovery problem as cmrxkit prints it: by default the form of every error,
 * `PATH: REASON (...)\n  fix: FIX` (print it after `error: `); with `oneLine`,
 * `ENTRY PATH REASON (...); fix: FIX` for logs, reports and lists of lines.
 */
export function formatProblem(p: ProblemLike, w: ProblemWording = {}): string {
  if (w.oneLine) return `${problemSentence(p, w)}; fix: ${p.fix}`;
  return `${w.entry ? `${w.entry} ` : ""}${p.path}: ${problemReason(p, w)}\n  fix: ${p.fix}`;
}

/** Options of {@link problemsError}. */
export interface ProblemsErrorOptions {
  /** What the problems mean for the caller, said after the first one's reason. */
  context?: string;
  /** What the entries are, for the count of the others (default `entries`). */
  what?: string;
  /**
   * Name this folder as the error's file, with `context` first and the first entry as an
   * example (`discover` finding no case at all), instead of naming the first entry.
   */
  root?: string;
}

/**
 * The error for entries that cannot be read when the caller cannot go on without them: it
 * names the first (its reason, and its fix as the hint) and counts the others.
 *
 * @param problems at least one
 */
export function problemsError(
  problems: readonly ProblemLike[],
  opts: ProblemsErrorOptions = {},
): LayoutError {
  const [first] = problems;
  if (opts.root !== undefined) {
    const n = problems.length;
    return new LayoutError(
      `${opts.context ? `${opts.context}; ` : ""}${n} entr${n === 1 ? "y" : "ies"} cannot ` +
        `be read, e.g. ${problemSentence(first)}`,
      { file: opts.root, hint: first.fix },
    );
  }
  const others = problems.length - 1;
  return new LayoutError(
    `${first.reason}${opts.context ? `, ${opts.context}` : ""}${
      others ? ` (${others} more ${opts.what ?? "entries"} cannot be read)` : ""
    }`,
    { file: first.path, hint: first.fix },
  );
}
