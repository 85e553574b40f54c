/**
 * Flag helpers the `container` subcommands share: the `--gpu` shorthand and index, folder
 * flags that must exist (`--input`, `--truth`), and the default `--user`.
 *
 * @module
 */

import { defaultUser } from "../../src/container/run.ts";
import { UsageError } from "../../src/errors.ts";

/** `--gpu` alone means GPU 0: insert the index parseArgs needs. */
export function normalizeGpuFlag(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--") {
      out.push(...args.slice(i));
      break;
    }
    out.push(args[i]);
    if (args[i] === "--gpu" && !/^\d+$/.test(args[i + 1] ?? "")) out.push("0");
  }
  return out;
}

/** Parses a `--gpu` value: a GPU index, or undefined for none. */
export function gpuIndex(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    throw new UsageError(`--gpu takes a GPU index (0, 1, ...), got '${v}'`);
  }
  return n;
}

/**
 * The real path of a folder flag of `container CMD` (`--input`, `--truth`).
 *
 * @throws {UsageError} not given, or not a folder
 */
export async function inputDir(flag: string, p: string | undefined, cmd: string): Promise<string> {
  if (!p) throw new UsageError(`container ${cmd}: --${flag} DIR is required`);
  try {
    const abs = await Deno.realPath(p);
    if (!(await Deno.stat(abs)).isDirectory) throw new Error("not a folder");
    return abs;
  } catch {
    throw new UsageError(`container ${cmd}: --${flag} ${p} is not a folder`, {
      hint: "give the dataset root (the folder that holds MultiCoil/)",
    });
  }
}

/**
 * The user the container runs as by default: yours (so that the output stays yours), or the
 * image's uid 1000 when you are root or have no uid (see `defaultUser`).
 */
export function hostUser(): string {
  return defaultUser(uid(), gid());
}

function uid(): number | null {
  try {
    return Deno.uid();
  } catch {
    return null;
  }
}

function gid(): number | null {
  try {
    return Deno.gid();
  } catch {
    return null;
  }
}
