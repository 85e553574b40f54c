/**
 * The shape of a CLI command: its name, one-line summary, help text and `run`. `cli/main.ts`
 * dispatches on the name; shared flag parsing is in `flags.ts`, shared printing in `print.ts`.
 *
 * @module
 */

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
