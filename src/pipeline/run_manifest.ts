/**
 * The run manifest: `<output>/cmrxkit-run.json`, written by `deno task submit` before its
 * first case. It says what produced the files of an output folder, so that
 *
 * - a resumed run keeps only files made with the same model and output-changing options
 *   from the same input (a mismatch stops before any work, naming what differs and
 *   `--force`, which recomputes everything and rewrites the manifest);
 * - `validate`, `pack`, `score` and `leaderboard` take the task, split, edition and model of
 *   a submission from it instead of asking the user again.
 *
 * ```json
 * { "tool": "cmrxkit", "version": 1, "task": "cine", "split": "validation", "year": 2023,
 *   "coil": null, "acc": null, "model": "auto", "models": [{ "name": "crnn-mri", "bytes": 1 }],
 *   "input": { "path": "/abs/data", "files": 24, "fingerprint": "..." },
 *   "options": { "maps": false } }
 * ```
 *
 * What must match for a resume ({@link manifestDifferences}): `split`, `year`, `model`,
 * `models` (names and ONNX sizes: a retrained model is another model), the input's
 * fingerprint (relative paths, sizes and modification times of every k-space, mask and csv
 * file of the split, whatever the filters: no file is hashed) and `options` other than
 * `maps`. The input's absolute path may differ (the same data mounted elsewhere, e.g. at
 * `/input` in the container). `maps` writes only `Maps/` files, which a resume adds where
 * they are missing: it records the latest run's choice.
 *
 * Task, coil and acceleration filters only choose which cases of the same split a run does:
 * a run with other filters resumes into the folder, and the manifest records the union
 * ({@link mergeManifests}), i.e. every case any run into the folder was asked for.
 *
 * The manifest holds no dates (the run log has them), so shards of one run writing into one
 * folder write the same bytes; the first writer creates it atomically (hard link of a
 * complete temporary file), later ones replace it by rename.
 *
 * @module
 */

import type { Case } from "../challenge/case.ts";
import { CmrxError } from "../errors.ts";
import type { ModelEntry } from "../models/registry.ts";
import { writeAtomic } from "../output.ts";

/** File name of the run manifest inside a submit output folder. */
export const RUN_MANIFEST = "cmrxkit-run.json";

/** What produced the files of an output folder. */
export interface RunManifest {
  /** Always `cmrxkit`: tells a run manifest from another JSON file of that name. */
  tool: "cmrxkit";
  /** Manifest format version. */
  version: 1;
  /** The task(s) of the run. */
  task: "cine" | "mapping" | "both";
  /** The split: `validation` (run4Ranking reduction) or `test` (full size). */
  split: "validation" | "test";
  /** Challenge edition whose rules were applied. */
  year: number;
  /** Coil track filter, or null for every track present. */
  coil: "multi" | "single" | "both" | null;
  /** Acceleration filter, or null for every acceleration present. */
  acc: number[] | null;
  /**
   * What reconstructed the cases: `--model` as given (ONNX model name, manifest path or
   * classical method), or `auto` (per case, the registry's choice). With `auto`, `models`
   * names the models that were available, since they decide the choice.
   */
  model: string;
  /** Models seen by `auto` selection (name and ONNX byte size), when `model` is `auto`. */
  models?: { name: string; bytes?: number }[];
  /** Identity of the input: absolute path and a fingerprint of the files read. */
  input: { path: string; files: number; fingerprint: string };
  /** Other options that change the written files (e.g. `maps`). */
  options: Record<string, unknown>;
  /**
   * The GPU providers the latest run probed against the CPU, per model (provider, largest
   * relative difference, tolerance, whether the provider was used). Not compared on resume:
   * a run on another machine may probe another provider.
   */
  providers?: {
    model: string;
    provider: string;
    maxRel: number;
    tolerance: number;
    used: string;
  }[];
  /** Not written by submit (the run log has the dates); kept for manifests made elsewhere. */
  created?: string;
  /** Not written by submit; see {@link created}. */
  updated?: string;
}

/**
 * Reads `<dir>/cmrxkit-run.json`; `undefined` when there is none (a submission made
 * elsewhere).
 *
 * @throws {CmrxError} naming the file when it exists but is not a cmrxkit run manifest
 */
export async function readRunManifest(dir: string): Promise<RunManifest | undefined> {
  const path = `${dir}/${RUN_MANIFEST}`;
  let text: string;
  try {
    const st = await Deno.stat(path);
    if (!st.isFile) {
      throw new CmrxError("is not a regular file", {
        file: path,
        hint: "it should be the run manifest written by deno task submit; remove what is there",
      });
    }
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
  let m: Partial<RunManifest>;
  try {
    m = JSON.parse(text);
  } catch {
    throw new CmrxError("is not valid JSON", {
      file: path,
      hint: "it is written by deno task submit; re-run submit with --force to rewrite it",
    });
  }
  if (m?.tool !== "cmrxkit" || m.version !== 1 || typeof m.task !== "string") {
    throw new CmrxError("is not a cmrxkit run manifest (version 1)", {
      file: path,
      hint: "re-run deno task submit with --force to rewrite it",
    });
  }
  return m as RunManifest;
}

/** The bytes of a manifest: fixed key order, so equal manifests give equal files. */
export function manifestText(m: RunManifest): string {
  const ordered: RunManifest = {
    tool: m.tool,
    version: m.version,
    task: m.task,
    split: m.split,
    year: m.year,
    coil: m.coil,
    acc: m.acc,
    model: m.model,
    ...(m.models ? { models: m.models } : {}),
    input: { path: m.input.path, files: m.input.files, fingerprint: m.input.fingerprint },
    options: Object.fromEntries(Object.entries(m.options).sort(([a], [b]) => a < b ? -1 : 1)),
    ...(m.providers?.length ? { providers: m.providers } : {}),
    ...(m.created ? { created: m.created } : {}),
    ...(m.updated ? { updated: m.updated } : {}),
  };
  return JSON.stringify(ordered, null, 2) + "\n";
}

/** Writes `<dir>/cmrxkit-run.json` atomically (a complete temporary file, then rename). */
export async function writeRunManifest(dir: string, m: RunManifest): Promise<void> {
  await writeAtomic(`${dir}/${RUN_MANIFEST}`, manifestText(m));
}

/**
 * Creates `<dir>/cmrxkit-run.json` when there is none, atomically and complete (a temporary
 * file hard-linked into place), so that of two runs starting at once exactly one creates it
 * and the other finds it. Returns false, writing nothing, when a manifest exists.
 */
export async function createRunManifest(dir: string, m: RunManifest): Promise<boolean> {
  try {
    await writeAtomic(`${dir}/${RUN_MANIFEST}`, manifestText(m), { replace: false });
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) return false;
    throw e;
  }
}

/** Identity of the input of a run (see {@link RunManifest.input}). */
export async function inputIdentity(
  root: string,
  files: readonly string[],
): Promise<RunManifest["input"]> {
  const abs = absolute(root);
  const rows: string[] = [];
  for (const f of new Set(files)) {
    const rel = relativeTo(absolute(f), abs);
    try {
      const st = await Deno.stat(f);
      rows.push(`${rel}\t${st.size}\t${st.mtime?.getTime() ?? 0}`);
    } catch {
      rows.push(`${rel}\tmissing`);
    }
  }
  rows.sort();
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(rows.join("\n")));
  const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  return { path: abs, files: rows.length, fingerprint: hex.slice(0, 32) };
}

function absolute(p: string): string {
  const full = p.startsWith("/") ? p : `${Deno.cwd()}/${p}`;
  const out: string[] = [];
  for (const part of full.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return "/" + out.join("/");
}

function relativeTo(path: string, root: string): string {
  return path.startsWith(root + "/") ? path.slice(root.length + 1) : path;
}

/** Options not compared on resume (see the module docs). */
const MERGED_OPTIONS = new Set(["maps"]);

/**
 * What differs between the manifest of a folder and a new run in a way that makes their
 * files incompatible: one line per field, `field: old vs new`. Empty when the run may resume.
 */
export function manifestDifferences(old: RunManifest, run: RunManifest): string[] {
  const out: string[] = [];
  const show = (v: unknown) => v === undefined ? "(none)" : JSON.stringify(v);
  const cmp = (field: string, a: unknown, b: unknown) => {
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${field}: ${show(a)} vs ${show(b)}`);
  };
  cmp("split", old.split, run.split);
  cmp("year", old.year, run.year);
  cmp("model", old.model, run.model);
  cmp("models", modelsKey(old.models), modelsKey(run.models));
  if (old.input?.fingerprint !== run.input.fingerprint) {
    out.push(
      `input: ${old.input?.files} file(s) at ${old.input?.path} vs ${run.input.files} file(s) ` +
        `at ${run.input.path} (names, sizes or modification times differ)`,
    );
  }
  const keys = new Set([...Object.keys(old.options ?? {}), ...Object.keys(run.options)]);
  for (const k of [...keys].sort()) {
    if (!MERGED_OPTIONS.has(k)) cmp(`option ${k}`, old.options?.[k], run.options[k]);
  }
  return out;
}

function modelsKey(ms: RunManifest["models"]): string | undefined {
  return ms?.map((m) => `${m.name}:${m.bytes ?? "?"}`).sort().join(", ");
}

/**
 * The manifest after `run` resumed into a folder described by `old` (compatible: see
 * {@link manifestDifferences}): the union of the cases asked for, the latest run's options.
 */
export function mergeManifests(old: RunManifest, run: RunManifest): RunManifest {
  return {
    ...run,
    task: old.task === run.task ? run.task : "both",
    coil: unionCoil(old.coil, run.coil),
    acc: old.acc === null || run.acc === null
      ? null
      : [...new Set([...old.acc, ...run.acc])].sort((a, b) => a - b),
  };
}

function unionCoil(a: RunManifest["coil"], b: RunManifest["coil"]): RunManifest["coil"] {
  if (a === null || b === null) return null;
  return a === b ? a : "both";
}

/**
 * The manifest of `dir` after a run described by `run` starts there, written before its
 * first case:
 *
 * - no manifest and no `Submission/` file: `run` (created atomically: of two shards starting
 *   at once, one creates it and the other checks against it);
 * - a compatible manifest: the union of both ({@link mergeManifests});
 * - `force`: `run`, replacing whatever was there.
 *
 * @throws {CmrxError} naming what differs (old vs new) and `--force` when the folder was
 *   written by another model, options or input, or holds submission files without a manifest
 */
export async function reconcileRunManifest(
  dir: string,
  run: RunManifest,
  force: boolean,
): Promise<RunManifest> {
  if (force) {
    await writeRunManifest(dir, run);
    return run;
  }
  let old = await readRunManifest(dir);
  if (!old) {
    const existing = await firstSubmissionFile(`${dir}/Submission`);
    if (existing) {
      throw new CmrxError(
        `holds submission files (e.g. ${existing}) but no run manifest (${RUN_MANIFEST}): ` +
          "cmrxkit cannot tell which model, options and input made them",
        {
          file: dir,
          hint: "give --output a new folder, or add --force to recompute every file here " +
            "(made by an older cmrxkit or by hand)",
        },
      );
    }
    if (await createRunManifest(dir, run)) return run;
    old = (await readRunManifest(dir))!; // another shard created it meanwhile
  }
  const diffs = manifestDifferences(old, run);
  if (diffs.length) {
    throw new CmrxError(
      `was written by another run; resuming would mix its files with this run's:\n    ${
        diffs.join("\n    ")
      }\n  (old vs new)`,
      {
        file: `${dir}/${RUN_MANIFEST}`,
        hint: "run with the same settings to resume, give --output a new folder, or add " +
          "--force to recompute every file with the new settings",
      },
    );
  }
  const merged = mergeManifests(old, run);
  if (manifestText(merged) !== manifestText(old)) await writeRunManifest(dir, merged);
  return merged;
}

/** The first `.mat` file under `dir` (relative path), or undefined. */
async function firstSubmissionFile(dir: string, rel = ""): Promise<string | undefined> {
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch {
    return undefined;
  }
  entries.sort((a, b) => a.name < b.name ? -1 : 1);
  for (const e of entries) {
    if (e.isFile && e.name.endsWith(".mat")) return `Submission/${rel}${e.name}`;
    if (e.isDirectory) {
      const f = await firstSubmissionFile(`${dir}/${e.name}`, `${rel}${e.name}/`);
      if (f) return f;
    }
  }
  return undefined;
}

/** What {@link runManifestFor} records of a run. */
export interface RunManifestInput {
  /** `--task`. */
  task: RunManifest["task"];
  /** `--split`. */
  split: RunManifest["split"];
  /** The edition's year. */
  year: number;
  /** `--coil`, when given. */
  coil?: "multi" | "single" | "both";
  /** `--acc`, when given. */
  acc?: number[];
  /** `--model` as given; undefined for the per-case choice (`auto`). */
  model?: string;
  /** The ONNX models the run chooses from (names and sizes are recorded). */
  models?: readonly ModelEntry[];
  /** The dataset root. */
  input: string;
  /** The parity probes of GPU providers (`providers` of the manifest). */
  probes?: readonly {
    model: string;
    provider: string;
    maxRel: number;
    tolerance: number;
    ok: boolean;
  }[];
  /** Every case of the split, whatever the filters: the input identity covers them all. */
  cases: readonly Case[];
  /** `--maps`. */
  maps: boolean;
}

/** The run manifest of a run, before it is merged with the one in the output folder. */
export async function runManifestFor(run: RunManifestInput): Promise<RunManifest> {
  const files = run.cases.flatMap((c) =>
    [c.file, c.maskFile, c.csvFile].filter((f) => !!f)
  ) as string[];
  return {
    tool: "cmrxkit",
    version: 1,
    task: run.task,
    split: run.split,
    year: run.year,
    coil: run.coil ?? null,
    acc: run.acc ? [...run.acc].sort((a, b) => a - b) : null,
    model: run.model ?? "auto",
    ...(run.models?.length ? { models: await modelSizes(run.models) } : {}),
    input: await inputIdentity(run.input, files),
    options: { maps: run.maps },
    ...(run.probes?.length
      ? {
        providers: run.probes.map((p) => ({
          model: p.model,
          provider: p.provider,
          maxRel: Number.isFinite(p.maxRel) ? p.maxRel : -1,
          tolerance: p.tolerance,
          used: p.ok ? p.provider : "cpu",
        })),
      }
      : {}),
  };
}

/** Names and file sizes of the models, sorted by name. */
async function modelSizes(models: readonly ModelEntry[]) {
  const out: { name: string; bytes?: number }[] = [];
  for (const m of models) {
    const bytes = await Deno.stat(m.onnxPath).then((s) => s.size, () => undefined);
    out.push({ name: m.manifest.name, ...(bytes !== undefined ? { bytes } : {}) });
  }
  return out.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}
