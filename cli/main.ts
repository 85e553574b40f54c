/**
 * cmrxkit's command line: `deno run -A cli/main.ts <command> [flags]`, usually through
 * `deno task <command>`. Every command has `--help`.
 *
 * @module
 */

import { cases } from "./cases.ts";
import type { Command } from "./command.ts";
import { container } from "./container/mod.ts";
import { demo } from "./demo.ts";
import { closest } from "./flags.ts";
import { inspect } from "./inspect.ts";
import { maps } from "./maps.ts";
import { models } from "./models.ts";
import { recon } from "./recon.ts";
import { leaderboard } from "./leaderboard.ts";
import { score } from "./score.ts";
import { submitCommand } from "./submit.ts";
import { synth } from "./synth.ts";
import { validate } from "./validate.ts";
import { pack } from "./pack.ts";
import { reportError } from "./print.ts";
import { report } from "./report.ts";

/** All commands, in the order `--help` lists them. */
export const COMMANDS: Command[] = [
  demo,
  synth,
  cases,
  inspect,
  recon,
  submitCommand,
  maps,
  models,
  validate,
  pack,
  score,
  leaderboard,
  report,
  container,
];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "cmrxkit: reconstruct, submit and score CMRxRecon cardiac MRI data",
    "",
    "Usage: deno task <command> [flags]     (or: deno run -A cli/main.ts <command> [flags])",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Run 'deno task <command> --help' for the flags of a command.",
  ].join("\n");
}

/**
 * `deno task` runs commands in the repository root and sets `INIT_CWD` to the folder the user
 * ran it from; relative paths on the command line mean that folder, so work there. (The
 * repository's own files, such as models/ and docker/, are found from import.meta.url.)
 */
export function enterUserFolder(env: { get(name: string): string | undefined } = Deno.env) {
  const dir = env.get("INIT_CWD");
  if (!dir) return;
  try {
    if (Deno.statSync(dir).isDirectory) Deno.chdir(dir);
  } catch { /* the folder is gone: stay where deno task put us */ }
}

/** Runs one command line; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    const topic = name === "help" ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    console.log(topic ? topic.help : usage());
    return 0;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    const near = closest(name, COMMANDS.map((c) => c.name));
    console.error(
      `error: unknown command '${name}'\n  fix: ${
        near ? `did you mean '${near}'?` : "choose one of the commands listed below"
      }\n\n${usage()}`,
    );
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(cmd.help);
    return 0;
  }
  try {
    return await cmd.run(rest);
  } catch (e) {
    return reportError(e);
  }
}

if (import.meta.main) {
  enterUserFolder();
  Deno.exit(await main(Deno.args));
}
