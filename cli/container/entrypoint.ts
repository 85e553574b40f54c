/**
 * `deno task container entrypoint`: what the evaluation image runs (docker/entrypoint.sh).
 * With no arguments, as the organisers run it, it looks at /input, picks the split (TestSet:
 * full size; else ValidationSet: run4Ranking), checks /output and calls the library's
 * `submit()` with typed options and a Selector, as `deno task submit` does, printing the
 * same progress and summary (`src/container/entrypoint.ts` checks and decides).
 * `cmrxkit COMMAND ...` runs any cmrxkit command inside the image instead.
 *
 * @module
 */

import { REPO_ROOT } from "../../src/container/context.ts";
import {
  buildInfoLine,
  checkUserArgs,
  CONTAINER_INPUT,
  CONTAINER_OUTPUT,
  entrypointExitCode,
  preflight,
  submitDefaultsFor,
} from "../../src/container/entrypoint.ts";
import { cudaAvailable } from "../../src/engine/providers.ts";
import { submitWithModels } from "../../src/pipeline/run.ts";
import { submitFlags } from "../flags.ts";
import { formatDuration, printSummary, reportForRun, submitProgress, summaryOk } from "../print.ts";

/**
 * The Deno arguments of `entrypoint cmrxkit COMMAND ...`: main.ts run offline with the
 * project's configuration named (its import map, lock file and node_modules), so the child
 * works whatever folder it starts in; it starts in the caller's, where relative paths of the
 * command line point. Paths are file paths (a folder with spaces is not URL-encoded).
 */
export function childArgs(command: readonly string[], root = REPO_ROOT): string[] {
  return [
    "run",
    "--cached-only",
    "-A",
    "--config",
    `${root}/deno.json`,
    `${root}/cli/main.ts`,
    ...command,
  ];
}

/**
 * `container entrypoint`, what the image runs: `cmrxkit COMMAND ...` runs any command in a
 * child Deno; otherwise the arguments are submit flags: checks /input and /output, prints
 * what it found, and reconstructs the detected split. Returns the exit code: as `submit`'s,
 * and never 0 while an input entry could not be read.
 */
export async function containerEntrypoint(args: string[]): Promise<number> {
  if (args[0] === "cmrxkit") {
    // Another command in a child Deno (importing main.ts here would be a cycle: main.ts is
    // still evaluating its top-level await); offline like the parent.
    const status = await new Deno.Command(Deno.execPath(), {
      args: childArgs(args.slice(1)),
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn().status;
    return status.code;
  }
  checkUserArgs(args);
  const flags = submitFlags("submit", args); // the user's flags are submit's
  const t0 = performance.now();
  const info = buildInfoLine(`${REPO_ROOT}/build-info.json`);
  if (info) console.log(info);
  const pf = await preflight(
    flags.input ?? CONTAINER_INPUT,
    flags.output ?? CONTAINER_OUTPUT,
    flags.split,
  );
  for (const l of pf.lines) console.log(l);
  for (const w of pf.warnings) console.log(`warning: ${w}`);
  for (const e of pf.errors) console.error(`error: ${e}`);
  const cuda = cudaAvailable();
  console.log(
    `GPU: ${cuda.available ? "CUDA available" : `CPU only (${cuda.reason?.split(" (")[0]})`}`,
  );
  const target = submitDefaultsFor(flags, pf.split);
  const summary = await submitWithModels({
    ...flags.options,
    ...submitProgress(),
    ...target,
    model: flags.model,
    modelsDir: flags.modelsDir,
    engine: flags.engine,
    onEngineNotice: (notice) => console.error(notice),
    command: `cmrxkit container entrypoint ${args.join(" ")}`.trimEnd(),
  });
  printSummary(summary);
  const reported = !flags.report || await reportForRun({
    output: target.output,
    input: target.input,
    truth: flags.truth,
    timeBudget: flags.options.timeBudget,
  });
  const code = entrypointExitCode(summaryOk(summary) && reported ? 0 : 1, pf);
  if (pf.problems.length) {
    console.error(
      `error: ${pf.problems.length} input entr${pf.problems.length === 1 ? "y" : "ies"} could ` +
        `not be read (listed above): the output is incomplete`,
    );
  }
  console.log(`cmrxkit container: exit ${code} after ${formatDuration(performance.now() - t0)}`);
  return code;
}
