/**
 * Runs cmrxkit's CLI (`cli/main.ts`) in a child Deno process, as a user types it, for the
 * tests that check a command end to end.
 *
 * @module
 */

/** `cli/main.ts`. */
export const MAIN: string = new URL("../../cli/main.ts", import.meta.url).pathname;

/** What a CLI run printed and its exit status. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `deno run -A cli/main.ts ...args` with `NO_COLOR=1` and the extra `env`
 * (e.g. `CMRXKIT_HOME` for a private leaderboard).
 */
export async function runCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<CliResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env: { NO_COLOR: "1", ...env },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
