/**
 * The shape of a CLI command and the helpers every command shares: flag parsing with
 * clear usage errors, and printing typed errors without a stack trace.
 *
 * @module
 */

import { parseArgs, type ParseArgsConfig } from "node:util";
import { CmrxError, UsageError } from "../src/errors.ts";

/** One `deno task <name>` command. */
export interface Command {
  /** The word after `cli/main.ts`. */
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Full help text (flags, defaults, an example). */
  help: string;
  /** Runs with the arguments after the command word; returns the exit code. */
  run(args: string[]): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * Parses flags strictly; unknown flags and missing values become a {@link UsageError}
 * that names the command and points at `--help`.
 */
export function parseFlags<T extends Options>(
  command: string,
  args: string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (e) {
    throw new UsageError(`${command}: ${e instanceof Error ? e.message : e}`, {
      hint: `run 'deno task ${command} --help' for the flags`,
    });
  }
}

/** Parses a positive integer flag value, or throws a {@link UsageError}. */
export function intFlag(command: string, flag: string, value: string | undefined, dflt: number) {
  if (value === undefined) return dflt;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new UsageError(`${command}: --${flag} must be a non-negative integer, got '${value}'`);
  }
  return n;
}

/** Prints an error the way users should see it: message and fix, no stack for ours. */
export function reportError(e: unknown): number {
  if (e instanceof CmrxError) {
    console.error(`error: ${e.message}`);
    return e instanceof UsageError ? 2 : 1;
  }
  console.error("internal error (please report it with the command you ran):");
  console.error(e instanceof Error ? e.stack ?? e.message : String(e));
  return 70;
}

export { formatBytes, formatDuration } from "../src/format.ts";
