/**
 * The ONNX models cmrxkit can run: manifests shipped in `models/`, or in any folder given
 * with `--models DIR`, or one `.json`/`.onnx` path given with `--model PATH`. The registry
 * lists and reads them and matches them against a {@link ModelKey} (what a case is, as far
 * as a model cares); choosing between a model and a classical method is the pipeline's
 * part (`src/pipeline/select.ts`).
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { CmrxError, errorMessage } from "../errors.ts";
import type { KtPattern } from "../kspace/masks_kt.ts";
import { checkManifest, type ModelManifest } from "./manifest.ts";

/** The folder of shipped models (repository `models/`). */
export const SHIPPED_MODELS: string = fileURLToPath(new URL("../../models/", import.meta.url));

/**
 * What a model is matched on: the few facts of a case that a manifest's `serves` names.
 * A challenge case has these fields, so a `Case` can be passed as it is.
 */
export interface ModelKey {
  /** `cine` or `mapping`. */
  task: "cine" | "mapping";
  /** Short view name: `sax`, `lax`, `T1`, `T2`, ... */
  view: string;
  /** Acceleration factor, null for fully sampled data (matches any). */
  acc: number | null;
  /** Coil configuration. */
  coil: "MultiCoil" | "SingleCoil";
  /**
   * The kind of the case's sampling mask (`uniform`, `ktUniform`, `ktGaussian`,
   * `ktRadial`); absent: `uniform` (a 2023 case, or fully sampled data).
   */
  mask?: KtPattern;
}

/** The mask kinds of a manifest without `serves.masks`: the 2023 line masks. */
export const DEFAULT_MASKS: readonly KtPattern[] = Object.freeze(["uniform"]);

/** The mask kinds a manifest serves: its `serves.masks`, absent meaning {@link DEFAULT_MASKS}. */
export function servedMasks(m: ModelManifest): readonly KtPattern[] {
  return m.serves.masks ?? DEFAULT_MASKS;
}

/** A manifest with where it was found. */
export interface ModelEntry {
  /** The parsed and checked manifest. */
  manifest: ModelManifest;
  /** Path of the manifest JSON. */
  manifestPath: string;
  /**
   * Path of the ONNX file; for a `process` model (no graph), the manifest's path, so that
   * it still identifies the model (callers key loaded models on it).
   */
  onnxPath: string;
}

/** Reads and checks one manifest; errors name the file and the field. */
export async function readManifest(path: string): Promise<ModelEntry> {
  let m: ModelManifest;
  try {
    m = JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    throw new CmrxError(`cannot read the model manifest (${errorMessage(e)})`, {
      file: path,
      hint: "a manifest is a JSON file beside the .onnx file (see README: exporting your model)",
    });
  }
  checkManifest(m, path);
  if (m.process) return { manifest: m, manifestPath: path, onnxPath: path };
  const dir = path.slice(0, path.lastIndexOf("/") + 1);
  const file = m.file!; // checkManifest: a file when there is no process
  const onnxPath = file.startsWith("/") ? file : dir + file;
  try {
    await Deno.stat(onnxPath);
  } catch {
    throw new CmrxError(`the model file ${onnxPath} named by the manifest does not exist`, {
      file: path,
      hint: "put the .onnx file beside its manifest, or fix 'file'",
    });
  }
  return { manifest: m, manifestPath: path, onnxPath };
}

/** All manifests in a folder (sorted by name). */
export async function listModels(dir: string = SHIPPED_MODELS): Promise<ModelEntry[]> {
  const out: ModelEntry[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && e.name.endsWith(".json")) out.push(await readManifest(`${dir}/${e.name}`));
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out.sort((a, b) => a.manifest.name.localeCompare(b.manifest.name));
}

/**
 * Whether a manifest serves a key (an empty `accelerations` or `coils` list means any; an
 * absent `masks`, `["uniform"]`).
 */
export function serves(m: ModelManifest, key: ModelKey): boolean {
  const s = m.serves;
  return s.tasks.includes(key.task) && s.views.includes(key.view) &&
    (key.acc === null || !s.accelerations?.length || s.accelerations.includes(key.acc)) &&
    (!s.coils?.length || s.coils.includes(key.coil)) &&
    servedMasks(m).includes(key.mask ?? "uniform");
}

/**
 * Why a manifest does not serve a key, in words naming the `serves` field, e.g. `view lax
 * (manifest serves.views = [sax])`; null when it serves it (as {@link serves} says).
 */
export function unservedReason(m: ModelManifest, key: ModelKey): string | null {
  const s = m.serves;
  const list = (v: readonly unknown[] | undefined) => `[${(v ?? []).join(", ")}]`;
  if (!s.tasks.includes(key.task)) {
    return `task ${key.task} (manifest serves.tasks = ${list(s.tasks)})`;
  }
  if (!s.views.includes(key.view)) {
    return `view ${key.view} (manifest serves.views = ${list(s.views)})`;
  }
  if (key.acc !== null && s.accelerations?.length && !s.accelerations.includes(key.acc)) {
    return `acceleration ${key.acc} (manifest serves.accelerations = ${list(s.accelerations)})`;
  }
  if (s.coils?.length && !s.coils.includes(key.coil)) {
    return `${key.coil} data (manifest serves.coils = ${list(s.coils)})`;
  }
  const mask = key.mask ?? "uniform";
  if (!servedMasks(m).includes(mask)) {
    return `${mask} masks (manifest serves.masks = ${list(servedMasks(m))}${
      s.masks ? "" : " when absent"
    })`;
  }
  return null;
}

/**
 * The model chosen automatically for a key: the first (by name, as {@link listModels}
 * sorts) whose manifest serves it and does not opt out (`auto: false`); undefined if none.
 */
export function autoModelFor(key: ModelKey, models: ModelEntry[]): ModelEntry | undefined {
  return models.find((e) => e.manifest.auto !== false && serves(e.manifest, key));
}

/**
 * A model named on the command line: by manifest name among `models`, else a manifest
 * path (`.json`, or the `.onnx` beside it); null when `ref` is neither.
 *
 * @throws {CmrxError} naming a manifest path that cannot be read or is invalid
 */
export async function findModel(ref: string, models: ModelEntry[]): Promise<ModelEntry | null> {
  const byName = models.find((m) => m.manifest.name === ref);
  if (byName) return byName;
  if (/\.(json|onnx)$/.test(ref)) {
    return await readManifest(ref.endsWith(".onnx") ? ref.replace(/\.onnx$/, ".json") : ref);
  }
  return null;
}
