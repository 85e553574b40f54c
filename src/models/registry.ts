/**
 * Models cmrxkit can run: the ONNX models with a manifest (shipped in `models/`, or any
 * folder given with `--models DIR`, or one `.json`/`.onnx` path given with `--model PATH`),
 * and the classical methods. The registry picks one per case from the manifests' `serves`
 * (the challenge passes only the input root, so the choice must be automatic).
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import type { Case } from "../challenge/layout.ts";
import { CmrxError, UsageError } from "../errors.ts";
import { defaultMethodFor, getMethod, methodNames } from "../recon/registry.ts";
import type { Reconstructor } from "../kspace/slice.ts";
import type { ModelManifest } from "./manifest.ts";

/** The folder of shipped models (repository `models/`). */
export const SHIPPED_MODELS: string = fileURLToPath(new URL("../../models/", import.meta.url));

/** A manifest with where it was found. */
export interface ModelEntry {
  manifest: ModelManifest;
  /** Path of the manifest JSON. */
  manifestPath: string;
  /** Path of the ONNX file. */
  onnxPath: string;
}

const LAYOUT_RE = /^(B,)?[A-Z2,]+$/;

/** Reads and checks one manifest; errors name the file and the field. */
export async function readManifest(path: string): Promise<ModelEntry> {
  let m: ModelManifest;
  try {
    m = JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    throw new CmrxError(`cannot read the model manifest (${e instanceof Error ? e.message : e})`, {
      file: path,
      hint: "a manifest is a JSON file beside the .onnx file (see README: exporting your model)",
    });
  }
  const bad = (field: string, why: string) =>
    new CmrxError(`manifest field '${field}' ${why}`, {
      file: path,
      hint: "see src/models/manifest.ts for the manifest format",
    });
  if (m.format !== 1) throw bad("format", "must be 1");
  if (typeof m.name !== "string" || !/^[\w.-]+$/.test(m.name)) throw bad("name", "must be a word");
  if (typeof m.file !== "string" || !m.file.endsWith(".onnx")) {
    throw bad("file", "must name an .onnx file");
  }
  if (!Array.isArray(m.inputs) || m.inputs.length === 0) {
    throw bad("inputs", "must list the graph inputs");
  }
  for (const t of [...m.inputs, m.output]) {
    if (!t || typeof t.name !== "string" || !LAYOUT_RE.test(t.layout ?? "")) {
      throw bad("inputs/output", `has an entry without a name or a layout like "B,T,C,Y,X,2"`);
    }
  }
  if (!["sequence", "window", "weightings"].includes(m.feeder?.kind)) {
    throw bad("feeder.kind", "must be sequence, window or weightings");
  }
  if (m.feeder.kind === "window" && !(m.feeder.frames && m.feeder.frames % 2 === 1)) {
    throw bad("feeder.frames", "must be an odd window length for a window feeder");
  }
  if (!["max", "percentile", "none"].includes(m.normalization?.kind)) {
    throw bad("normalization.kind", "must be max, percentile or none");
  }
  if (!m.serves || !Array.isArray(m.serves.tasks) || !Array.isArray(m.serves.views)) {
    throw bad("serves", "must say which tasks, views, accelerations and coils the model serves");
  }
  if (m.auto !== undefined && typeof m.auto !== "boolean") {
    throw bad("auto", "must be true or false");
  }
  if (m.outputMagnitude !== undefined && !["abs", "dc-rss"].includes(m.outputMagnitude)) {
    throw bad("outputMagnitude", "must be abs or dc-rss");
  }
  if (m.outputMagnitude === "dc-rss" && !m.inputs.some((t) => t.role === "sensitivity")) {
    throw bad("outputMagnitude", "dc-rss needs a sensitivity input (the coil maps of the output)");
  }
  const dir = path.slice(0, path.lastIndexOf("/") + 1);
  const onnxPath = m.file.startsWith("/") ? m.file : dir + m.file;
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

/** Whether a manifest serves a case. */
export function serves(m: ModelManifest, c: Pick<Case, "task" | "view" | "acc" | "coil">): boolean {
  const s = m.serves;
  return s.tasks.includes(c.task) && s.views.includes(c.view) &&
    (c.acc === null || !s.accelerations?.length || s.accelerations.includes(c.acc)) &&
    (!s.coils?.length || s.coils.includes(c.coil));
}

/** How a choice for a case was made, for logs. */
export interface Choice {
  /** `onnx` model entry, or a classical method name. */
  model: ModelEntry | string;
  reason: string;
}

/**
 * Picks the model for a case: the override (`--model NAME|PATH`) when given; else the first
 * (by name) ONNX model whose manifest serves the case and does not opt out of automatic
 * choice (`auto: false`); else the default classical method.
 */
export async function chooseModel(
  c: Pick<Case, "task" | "view" | "acc" | "coil">,
  opts: { override?: string; models?: ModelEntry[] } = {},
): Promise<Choice> {
  const models = opts.models ?? await listModels();
  if (opts.override) {
    const o = opts.override;
    if (methodNames().includes(o)) return { model: o, reason: "--model" };
    const byName = models.find((m) => m.manifest.name === o);
    if (byName) return { model: byName, reason: "--model" };
    if (/\.(json|onnx)$/.test(o)) {
      const path = o.endsWith(".onnx") ? o.replace(/\.onnx$/, ".json") : o;
      return { model: await readManifest(path), reason: "--model" };
    }
    throw new UsageError(`unknown model '${o}'`, {
      hint: `choose one of: ${
        [
          ...methodNames(),
          ...models.map((m) => m.manifest.name),
        ].join(", ")
      }, ` +
        "or a path to a manifest .json",
    });
  }
  const m = models.find((e) => e.manifest.auto !== false && serves(e.manifest, c));
  if (m) return { model: m, reason: "serves this case" };
  return { model: defaultMethodFor(c.coil), reason: "no ONNX model serves this case" };
}

/** A classical reconstructor by name (re-exported for the pipeline). */
export function classical(name: string): Reconstructor {
  return getMethod(name);
}
