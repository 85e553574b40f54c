/**
 * The layering of cmrxkit as data, and the import graph of `src/` and `cli/` read from the
 * source: what `architecture_test.ts` checks. docs/architecture.md draws the same picture.
 *
 * A file may import files of its own group and of groups in lower layers; groups of one
 * layer are peers and never import each other. In `cli/`, commands never import commands:
 * only the dispatchers (`cli/main.ts`, `cli/<command>/mod.ts`) import command files, and
 * every cli file may import the shared helpers.
 *
 * @module
 */

import { REPO_ROOT } from "../src/repo_root.ts";

/** Layers, lowest first; each holds peer groups (a folder of `src/`, or `base`, or `cli`). */
export const LAYERS: readonly (readonly string[])[] = [
  ["base"], // src/*.ts: errors, fsutil, output (writeAtomic), format, progress, tempname, ...
  ["linalg", "mat"],
  ["kspace"],
  ["engine"],
  ["recon", "models", "mapping"],
  ["challenge"],
  ["pipeline", "synth"],
  ["report", "container"],
  ["cli"],
];

/**
 * Lower groups a group may still not import: the rules know nothing of how images are made
 * (scoring receives the coil combination as a function, `challenge/truth.ts`).
 */
export const NOT_BELOW: Readonly<Record<string, readonly string[]>> = {
  challenge: ["recon", "models", "engine"],
};

/**
 * cli helpers every command may import: `cli/{flags,print,command}.ts`, and files of the
 * same names inside a command's folder for its subcommands (`cli/container/flags.ts`).
 */
export const CLI_SHARED = new Set(["flags.ts", "print.ts", "command.ts"]);

/** Whether `to` is a shared cli helper that `from` may import. */
function isSharedHelper(from: string, to: string): boolean {
  const name = to.slice(to.lastIndexOf("/") + 1);
  if (!CLI_SHARED.has(name)) return false;
  const dir = to.slice(0, to.lastIndexOf("/") + 1);
  return dir === "cli/" || from.startsWith(dir);
}

/** The group of a source file: `src/<group>/...`, `base` for `src/*.ts`, `cli`. */
export function groupOf(path: string): string {
  const parts = path.split("/");
  if (parts[0] === "cli") return "cli";
  if (parts[0] !== "src") throw new Error(`not a source file: ${path}`);
  return parts.length === 2 ? "base" : parts[1];
}

/** The layer index of a group. */
export function layerOf(group: string): number {
  const k = LAYERS.findIndex((l) => l.includes(group));
  if (k < 0) throw new Error(`group '${group}' is in no layer: add it to LAYERS`);
  return k;
}

/** One import between two source files (repository-relative paths). */
export interface Edge {
  from: string;
  to: string;
}

/** Whether a cli file is a dispatcher (it may import the commands below it). */
function isDispatcher(path: string): boolean {
  return path === "cli/main.ts" || /^cli\/[^/]+\/mod\.ts$/.test(path);
}

/**
 * What is wrong with one edge, or undefined: an upward or sideways import between layers,
 * or a cli command importing another command.
 */
export function edgeViolation(e: Edge): string | undefined {
  const a = groupOf(e.from), b = groupOf(e.to);
  if (a === "cli" && b === "cli") {
    if (isSharedHelper(e.from, e.to)) return undefined;
    const dir = e.from.slice(0, e.from.lastIndexOf("/") + 1);
    if (isDispatcher(e.from) && e.to.startsWith(dir)) return undefined;
    return `${e.from} -> ${e.to}: a command imports a command (share it through ` +
      `cli/flags.ts, cli/print.ts, cli/command.ts or the library)`;
  }
  if (a === b) return undefined;
  const la = layerOf(a), lb = layerOf(b);
  if (NOT_BELOW[a]?.includes(b)) {
    return `${e.from} -> ${e.to}: ${a}/ may not import ${b}/ (it knows the rules, not how images are made)`;
  }
  if (lb < la) return undefined;
  return lb === la
    ? `${e.from} -> ${e.to}: ${a}/ and ${b}/ are peers and must not import each other`
    : `${e.from} -> ${e.to}: ${a}/ (layer ${la}) imports ${b}/ (layer ${lb}), a higher layer`;
}

/** Import cycles among files (each as a path list, first file repeated at the end). */
export function cycles(edges: readonly Edge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.from, [...next.get(e.from) ?? [], e.to]);
  const state = new Map<string, 1 | 2>(); // 1 on the stack, 2 done
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (f: string) => {
    state.set(f, 1);
    stack.push(f);
    for (const t of next.get(f) ?? []) {
      if (state.get(t) === 1) found.push([...stack.slice(stack.indexOf(t)), t]);
      else if (!state.has(t)) visit(t);
    }
    stack.pop();
    state.set(f, 2);
  };
  for (const f of [...next.keys()].sort()) if (!state.has(f)) visit(f);
  return found;
}

/** Every `.ts` file under a repository folder, repository-relative, sorted. */
export function sourceFiles(root = REPO_ROOT, dirs = ["src", "cli"]): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of Deno.readDirSync(`${root}/${rel}`)) {
      const p = `${rel}/${e.name}`;
      if (e.isDirectory) walk(p);
      else if (e.isFile && p.endsWith(".ts")) out.push(p);
    }
  };
  for (const d of dirs) walk(d);
  return out.sort();
}

/** Resolves a relative specifier against the importing file (repository-relative). */
function resolve(from: string, spec: string): string {
  const parts = from.split("/").slice(0, -1);
  for (const s of spec.split("/")) {
    if (s === "..") parts.pop();
    else if (s !== ".") parts.push(s);
  }
  return parts.join("/");
}

const IMPORT_RE =
  /(?:^|\n)\s*(?:import|export)\b[^"'`;]*?from\s*["'](\.{1,2}\/[^"']+)["']|\bimport\s*\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)|(?:^|\n)\s*import\s*["'](\.{1,2}\/[^"']+)["']/g;

/** The relative imports of one source text (static, re-exports, dynamic, side-effect). */
export function importsOf(path: string, text: string): Edge[] {
  const out: Edge[] = [];
  for (const m of text.matchAll(IMPORT_RE)) {
    const spec = m[1] ?? m[2] ?? m[3];
    out.push({ from: path, to: resolve(path, spec) });
  }
  return out;
}

/** The import graph of `src/` and `cli/` (edges to files outside them are left out). */
export function importGraph(root = REPO_ROOT): Edge[] {
  const edges: Edge[] = [];
  for (const f of sourceFiles(root)) {
    for (const e of importsOf(f, Deno.readTextFileSync(`${root}/${f}`))) {
      if (e.to.startsWith("src/") || e.to.startsWith("cli/")) edges.push(e);
    }
  }
  return edges;
}
