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
 * Flags whose values are lowercase words in every command (`--task cine`, `--split
 * validation`, `--coil multi`): {@link parseFlags} lowercases them, so `--task Cine` works.
 */
const CASELESS_FLAGS = new Set(["task", "split", "coil"]);

/**
 * Parses flags strictly; unknown flags (with a did-you-mean), missing values and stray
 * arguments become a {@link UsageError} that names the command and the fix. The values of
 * `--task`, `--split` and `--coil` are lowercased.
 */
export function parseFlags<T extends Options>(
  command: string,
  args: string[],
  options: T,
  allowPositionals = false,
) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals, strict: true });
  } catch (e) {
    throw flagError(command, e, Object.keys(options));
  }
  const values = parsed.values as Record<string, unknown>;
  for (const flag of CASELESS_FLAGS) {
    if (typeof values[flag] === "string") values[flag] = (values[flag] as string).toLowerCase();
  }
  return parsed;
}

/** A usage error for what `parseArgs` rejected, in cmrxkit's words. */
function flagError(command: string, e: unknown, flags: string[]): UsageError {
  const help = `run 'deno task ${command} --help' for the flags`;
  const code = (e as { code?: string })?.code;
  const message = e instanceof Error ? e.message : String(e);
  const quoted = message.match(/'(-[^' <]*)/)?.[1] ?? "";
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const near = closest(quoted.replace(/^-+/, ""), [...flags, "help"]);
    return new UsageError(`${command}: unknown flag ${quoted}`, {
      hint: near ? `did you mean --${near}? (${help})` : help,
    });
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    if (/argument missing|ambiguous/.test(message)) {
      return new UsageError(`${command}: ${quoted} needs a value`, {
        hint: `write ${quoted} VALUE (a value starting with '-' as ${quoted}=-VALUE); ${help}`,
      });
    }
    if (/does not take an argument/.test(message)) {
      return new UsageError(`${command}: ${quoted} is a switch and takes no value`, {
        hint: `write ${quoted} alone; ${help}`,
      });
    }
  }
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
    const arg = message.match(/argument '([^']*)'/)?.[1] ?? "";
    return new UsageError(`${command}: unexpected argument '${arg}'`, {
      hint: `every value follows its flag (--flag VALUE); ${help}`,
    });
  }
  return new UsageError(`${command}: ${message.split("\n")[0]}`, { hint: help });
}

/**
 * Checks that `value` of `--flag` is one of `choices`, ignoring case; returns the choice as
 * written in `choices`, or throws a {@link UsageError} listing them (with a did-you-mean).
 */
export function choice<const C extends string>(
  command: string,
  flag: string,
  value: string,
  choices: readonly C[],
): C {
  const found = choices.find((c) => c.toLowerCase() === value.toLowerCase());
  if (found !== undefined) return found;
  const near = closest(value.toLowerCase(), choices.map((c) => c.toLowerCase()));
  const list = choices.length > 1
    ? `${choices.slice(0, -1).join(", ")} or ${choices[choices.length - 1]}`
    : choices.join("");
  return fail(
    `${command}: --${flag} must be ${list}, got '${value}'`,
    near
      ? `did you mean --${flag} ${choices.find((c) => c.toLowerCase() === near)}?`
      : `use one of: ${choices.join(", ")}`,
  );
}

/**
 * Parses a `--year` value: one of `years` (a {@link choice}), as a number.
 *
 * @throws {UsageError} naming the flag and the years it takes
 */
export function yearChoice<const Y extends number>(
  command: string,
  value: string,
  years: readonly Y[],
): Y {
  const known = ["2023", "2024", "2025"];
  if (known.includes(value.trim()) && !years.map(String).includes(value.trim())) {
    fail(
      `${command}: --year must be ${years.join(" or ")}, got '${value}'`,
      `the ${value.trim()} rules are not supported by this command yet: use --year ${
        years.join(" or --year ")
      }`,
    );
  }
  return Number(choice(command, "year", value, years.map(String))) as Y;
}

/**
 * Parses `--acc 4,8,10`: acceleration factors, whole numbers from 1.
 *
 * @throws {UsageError} anything else, with an example
 */
export function accFlag(command: string, value: string): number[] {
  const accs = value.split(",").map(Number);
  if (accs.some((a) => !Number.isInteger(a) || a < 1)) {
    fail(
      `${command}: --acc takes a list like 4,8,10, got '${value}'`,
      "write the acceleration factors separated by commas, e.g. --acc 4,8",
    );
  }
  return accs;
}

function fail(message: string, hint: string): never {
  throw new UsageError(message, { hint });
}

/** The candidate nearest to `word` (edit distance at most 2, or a unique prefix), if any. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  if (!word) return undefined;
  let best: string | undefined;
  let bestDist = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestDist) [best, bestDist] = [c, d];
  }
  if (best !== undefined && bestDist <= Math.min(2, Math.max(1, Math.floor(word.length / 3)))) {
    return best;
  }
  const prefixed = candidates.filter((c) => c.startsWith(word) || word.startsWith(c));
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

/** Levenshtein distance with adjacent transpositions counted as one edit. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/** Parses a non-negative integer flag value, or throws a {@link UsageError}. */
export function intFlag(command: string, flag: string, value: string | undefined, dflt: number) {
  if (value === undefined) return dflt;
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < 0) {
    throw new UsageError(`${command}: --${flag} must be a non-negative integer, got '${value}'`, {
      hint: `write a whole number, e.g. --${flag} ${dflt}`,
    });
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
