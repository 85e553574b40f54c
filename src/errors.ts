/**
 * Typed errors that a user can cause. Every error names the file (when there is one),
 * says what is wrong and what to do. The CLI prints `message` (and `hint`) without a
 * stack trace and exits non-zero.
 *
 * @module
 */

/** Base class of every error cmrxkit expects a user may cause. */
export class CmrxError extends Error {
  /** The file or folder concerned, if any. */
  readonly file?: string;
  /** What the user can do about it. */
  readonly hint?: string;
  /** What is wrong, without the file and the hint (`message` adds them around it). */
  readonly detail: string;

  /**
   * Builds the message `<file>: <message>\n  fix: <hint>` (parts left out when absent).
   *
   * @param message what is wrong (kept as {@link CmrxError.detail})
   * @param opts `file`: the file or folder concerned, put in front of the message;
   *   `hint`: what to do, appended as `fix: ...`; `cause`: the underlying error
   */
  constructor(message: string, opts: { file?: string; hint?: string; cause?: unknown } = {}) {
    super(
      (opts.file ? `${opts.file}: ` : "") + message + (opts.hint ? `\n  fix: ${opts.hint}` : ""),
      { cause: opts.cause },
    );
    this.name = new.target.name;
    this.file = opts.file;
    this.hint = opts.hint;
    this.detail = message;
  }
}

/** A file is not a MAT file, is truncated or corrupt, or uses an unsupported feature. */
export class MatFormatError extends CmrxError {}

/** A MAT file lacks the variable that was asked for. */
export class MatVariableError extends CmrxError {}

/** An array has the wrong rank, shape or type for what was asked of it. */
export class ShapeError extends CmrxError {}

/** A dataset folder does not follow the expected CMRxRecon layout. */
export class LayoutError extends CmrxError {}

/** A command-line argument is missing or invalid. */
export class UsageError extends CmrxError {}

/** The message of a caught value: `e.message` for an Error, else `String(e)`. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
