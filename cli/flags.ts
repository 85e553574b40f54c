/**
 * Flag parsing every command shares: strict parsing with usage errors that name the command
 * and the fix (did-you-mean for misspelt flags and values), and the typed values of the flags
 * several commands take (`--task/--split/--coil/--acc`, `--year`, the submission edition and
 * split, the edition a submission folder says it is, and the submit flags that `submit` and
 * the image's entrypoint share).
 *
 * Values are plain strings in, typed values out; lists (`--acc 4,8,10`) become `number[]`.
 *
 * @module
 */

import { parseArgs, type ParseArgsConfig } from "node:util";
import type { DiscoverOptions } from "../src/challenge/case.ts";
import type { Year } from "../src/challenge/edition.ts";
import { YEARS } from "../src/challenge/editions/mod.ts";
import { parseDevice } from "../src/engine/providers.ts";
import type { OnnxSessionOptions } from "../src/engine/session.ts";
import { errorMessage, UsageError } from "../src/errors.ts";
import { parseBytes } from "../src/format.ts";
import { parseTimeBudget } from "../src/pipeline/budget.ts";
import type { SubmissionContext } from "../src/pipeline/context.ts";
import { parseShard } from "../src/pipeline/shard.ts";
import type { SubmitOptions } from "../src/pipeline/submit.ts";

/** The option table of `parseArgs`, as every command declares its flags. */
export type FlagTable = NonNullable<ParseArgsConfig["options"]>;

/**
 * Flags whose values are lowercase words in every command (`--task cine`, `--split
 * validation`, `--coil multi`): {@link parseFlags} lowercases them, so `--task Cine` works.
 */
const CASELESS_FLAGS = new Set(["task", "split", "coil"]);

/**
 * Parses flags strictly; unknown flags (with a did-you-mean), missing values and stray
 * arguments become a {@link UsageError} that names the command and the fix. The values of
 * `--task`, `--split` and `--coil` are lowercased. In a command that takes `--year` (and no
 * `--edition` of its own), `--edition Y` is the same flag.
 */
export function parseFlags<T extends FlagTable>(
  command: string,
  args: string[],
  options: T,
  allowPositionals = false,
) {
  if ("year" in options && !("edition" in options)) args = editionAsYear(command, args);
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

/** `--edition Y` (or `--edition=Y`) written as `--year`; both given is a usage error. */
function editionAsYear(command: string, args: string[]): string[] {
  const isFlag = (a: string, f: string) => a === `--${f}` || a.startsWith(`--${f}=`);
  const out: string[] = [];
  for (const [i, a] of args.entries()) {
    if (a === "--") return [...out, ...args.slice(i)];
    out.push(isFlag(a, "edition") ? a.replace(/^--edition/, "--year") : a);
  }
  if (args.some((a) => isFlag(a, "edition")) && args.some((a) => isFlag(a, "year"))) {
    throw new UsageError(`${command}: --edition and --year are the same flag; give one`, {
      hint: "keep --edition (or --year) and drop the other",
    });
  }
  return out;
}

/** A usage error for what `parseArgs` rejected, in cmrxkit's words. */
function flagError(command: string, e: unknown, flags: string[]): UsageError {
  const help = `run 'deno task ${command} --help' for the flags`;
  const code = (e as { code?: string })?.code;
  const message = errorMessage(e);
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

/** Parses --year (metric rules: 2023, 2024 or 2025; default 2023). */
export function yearFlag(command: string, value: string | undefined): Year {
  return value === undefined ? 2023 : yearChoice(command, value, YEARS);
}

/** The editions whose submission layout the submission commands know. */
export const SUBMISSION_YEARS = [2023, 2024, 2025] as const satisfies readonly Year[];

/** Parses --year for the submission commands (2023, 2024 or 2025 layouts). */
export function submissionYear(command: string, value: string | undefined): Year {
  return value === undefined ? 2023 : yearChoice(command, value, SUBMISSION_YEARS);
}

/** Parses --split for the submission commands (validation or test). */
export function submissionSplit(
  command: string,
  value: string | undefined,
): "validation" | "test" | undefined {
  return value === undefined ? undefined : choice(command, "split", value, ["validation", "test"]);
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

/** Parses the shared dataset filters (--task, --split, --coil, --acc). */
export function datasetFilters(
  command: string,
  values: { task?: string; split?: string; coil?: string; acc?: string },
): DiscoverOptions {
  const opts: DiscoverOptions = {};
  if (values.task) opts.task = choice(command, "task", values.task, ["cine", "mapping", "both"]);
  if (values.split) {
    opts.split = choice(command, "split", values.split, ["training", "validation", "test"]);
  }
  if (values.coil) opts.coil = choice(command, "coil", values.coil, ["multi", "single", "both"]);
  if (values.acc) opts.acc = accFlag(command, values.acc);
  return opts;
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

/**
 * The flags of `deno task submit`, which the image's entrypoint takes too. `--input`,
 * `--output`, `--task` and `--split` have no default here: each caller has its own.
 */
export const SUBMIT_FLAGS = {
  task: { type: "string" },
  split: { type: "string" },
  input: { type: "string" },
  output: { type: "string" },
  model: { type: "string" },
  coil: { type: "string" },
  acc: { type: "string" },
  year: { type: "string" },
  shard: { type: "string" },
  "time-budget": { type: "string" },
  force: { type: "boolean", default: false },
  zip: { type: "boolean", default: false },
  team: { type: "string" },
  log: { type: "string" },
  models: { type: "string" },
  device: { type: "string", default: "auto" },
  "vram-limit": { type: "string" },
  threads: { type: "string" },
  workers: { type: "string" },
  maps: { type: "boolean", default: false },
  report: { type: "boolean", default: false },
  truth: { type: "string" },
} as const satisfies FlagTable;

/** The options of the library's `submit()` that flags set (the rest is where and what). */
export type SubmitFlagOptions = Pick<
  SubmitOptions,
  "coil" | "acc" | "year" | "shard" | "timeBudget" | "force" | "zip" | "log" | "workers" | "maps"
>;

/** What the submit flags ask for, checked and typed. */
export interface SubmitFlags {
  /** `--input`, when given (`submit`: `.`; the image: `/input`). */
  input?: string;
  /** `--output`, when given (`submit`: `out`; the image: `/output`). */
  output?: string;
  /** `--task`, when given (default both). */
  task?: "cine" | "mapping" | "both";
  /** `--split`, when given (`submit`: validation; the image: what `/input` holds). */
  split?: "validation" | "test";
  /** The options of `submit()` the other flags set. */
  options: SubmitFlagOptions;
  /** `--model`: one reconstructor for every case; absent: chosen per case. */
  model?: string;
  /** `--models DIR`: where the ONNX models and manifests are (default: the shipped ones). */
  modelsDir?: string;
  /** `--device`, `--vram-limit`, `--threads`: the ONNX sessions' options. */
  engine: OnnxSessionOptions;
  /** `--report`: also write the HTML report of the run to `<output>/report`. */
  report: boolean;
  /** `--truth DIR` of the report (default: `<input>/GroundTruth` when it exists). */
  truth?: string;
}

/**
 * Parses and checks the submit flags (`--help` of `deno task submit` lists them); usage
 * errors name `command`.
 *
 * @throws {UsageError} an unknown flag, a bad value, `--split training`, `--zip` without
 * `--team`
 */
export function submitFlags(command: string, args: string[]): SubmitFlags {
  const { values } = parseFlags(command, args, SUBMIT_FLAGS);
  const filters = datasetFilters(command, values);
  if (filters.split !== undefined && filters.split !== "validation" && filters.split !== "test") {
    throw new UsageError(
      `${command}: --split must be validation or test (training data is for training)`,
    );
  }
  if (values.zip && !values.team) {
    throw new UsageError(
      `${command}: --zip needs --team NAME (the rules ask for readme.txt with the team name)`,
    );
  }
  const engine: OnnxSessionOptions = {
    device: parseDevice(values.device),
    // absent: the edition's GPU memory, once the run knows its edition (submitWithModels)
    vramLimitBytes: values["vram-limit"] === undefined
      ? undefined
      : parseBytes(values["vram-limit"]),
    intraOpThreads: values.threads ? intFlag(command, "threads", values.threads, 0) : undefined,
  };
  return {
    input: values.input,
    output: values.output,
    task: filters.task as SubmitFlags["task"],
    split: filters.split,
    options: {
      coil: filters.coil,
      acc: filters.acc,
      year: values.year === undefined ? undefined : yearFlag(command, values.year),
      shard: values.shard ? parseShard(values.shard) : undefined,
      timeBudget: values["time-budget"] ? parseTimeBudget(values["time-budget"]) : undefined,
      force: values.force,
      zip: values.zip ? { team: values.team! } : undefined,
      log: values.log,
      workers: values.workers ? intFlag(command, "workers", values.workers, 1) : undefined,
      maps: values.maps,
    },
    model: values.model,
    modelsDir: values.models,
    engine,
    report: values.report,
    truth: values.truth,
  };
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
