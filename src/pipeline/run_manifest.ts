/**
 * The run manifest: `<output>/cmrxkit-run.json`, written by `deno task submit` before its
 * first case and rewritten (atomically) as the run goes. It says what produced the files of
 * an output folder, so that
 *
 * - a resumed run keeps only files made with the same model and output-changing options
 *   from the same input (a mismatch recomputes or stops, naming `--force`);
 * - `validate`, `pack`, `score` and `leaderboard` take the task, split, edition and model of
 *   a submission from it instead of asking the user again.
 *
 * ```json
 * { "tool": "cmrxkit", "version": 1, "task": "cine", "split": "validation", "year": 2023,
 *   "coil": null, "acc": null, "model": "crnn-mri", "input": { "path": "/abs/data",
 *   "files": 24, "fingerprint": "..." }, "options": { ... }, "created": "...", "updated": "..." }
 * ```
 *
 * @module
 */

import { CmrxError } from "../errors.ts";

/** File name of the run manifest inside a submit output folder. */
export const RUN_MANIFEST = "cmrxkit-run.json";

/** What produced the files of an output folder. */
export interface RunManifest {
  tool: "cmrxkit";
  /** Manifest format version. */
  version: 1;
  task: "cine" | "mapping" | "both";
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
  /** Other options that change the written bytes (e.g. `maps`). */
  options: Record<string, unknown>;
  /** ISO dates. */
  created: string;
  updated: string;
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

/** Writes `<dir>/cmrxkit-run.json` atomically (temporary file, then rename). */
export async function writeRunManifest(dir: string, m: RunManifest): Promise<void> {
  const path = `${dir}/${RUN_MANIFEST}`;
  const tmp = `${path}.tmp-${Deno.pid}`;
  await Deno.writeTextFile(tmp, JSON.stringify(m, null, 2) + "\n");
  await Deno.rename(tmp, path);
}
