/**
 * The checks `submitWithModels` makes before the first case, so that a model that cannot
 * run a case stops the run before anything is written rather than failing file by file:
 *
 * ```
 * --model NAME|PATH: every case it is given must be served by its manifest (serves: task,
 *   view, acceleration, coil); all unserved cases are listed, with the field and the fix
 * each ONNX model the run uses (the override, or the per-case automatic choice):
 *   load it (onnxruntime session)
 *   its graph against its manifest: input and output names, ranks (the declared layouts),
 *   element types cmrxkit can feed and read
 *   one probe run per size class it will meet (task, nx, ny, coils, frames, from the case
 *   plans' headers): a synthetic slice of that size through `reconstruct`, the image
 *   checked for its size and finite values (fixed-size graphs, memory limits, layout
 *   errors show here, naming the sizes)
 * ```
 *
 * Every failure is a {@link PreflightError} naming the model's manifest. Cases whose header
 * cannot be read are left to the run, which reports them as failed cases.
 *
 * @module
 */

import type { Case } from "../challenge/case.ts";
import type { Edition, Split } from "../challenge/edition.ts";
import { readPlan } from "../challenge/plan.ts";
import { DataType, type DecodedValueInfo, elemTypeName } from "../engine/onnx/mod.ts";
import { FEEDABLE } from "../engine/session.ts";
import { CmrxError, errorMessage } from "../errors.ts";
import { uniformMask2d } from "../kspace/mask.ts";
import type { SliceInput } from "../kspace/slice.ts";
import { rank as layoutRank } from "../models/layout.ts";
import type { ModelManifest } from "../models/manifest.ts";
import type { OnnxReconstructor } from "../models/onnx_model.ts";
import { type ModelEntry, unservedReason } from "../models/registry.ts";
import { chooseModel, modelKey } from "./select.ts";

/** A model that cannot run the cases of this run; raised before anything is written. */
export class PreflightError extends CmrxError {}

/** A case the `--model` does not serve, and why. */
export interface Unserved {
  /** The case. */
  case: Case;
  /** The `serves` field that excludes it, e.g. `view lax (manifest serves.views = [sax])`. */
  reason: string;
}

/** The cases of `cases` the model's manifest does not serve. */
export function unservedCases(entry: ModelEntry, cases: readonly Case[]): Unserved[] {
  const out: Unserved[] = [];
  for (const c of cases) {
    const reason = unservedReason(entry.manifest, modelKey(c));
    if (reason) out.push({ case: c, reason });
  }
  return out;
}

/** Cases listed one per line in an error before the rest is counted. */
const LISTED = 20;

/**
 * Refuses a run that would give `--model` cases it does not serve, listing every one.
 * @throws {PreflightError} naming the manifest, each case and the `serves` field
 */
export function refuseUnserved(entry: ModelEntry, unserved: readonly Unserved[]): void {
  if (!unserved.length) return;
  const name = entry.manifest.name;
  const lines = unserved.slice(0, LISTED).map((u) =>
    `  ${u.case.submissionPath}: model ${name} does not serve ${u.reason}`
  );
  if (unserved.length > LISTED) lines.push(`  ... and ${unserved.length - LISTED} more`);
  throw new PreflightError(
    `--model ${name} does not serve ${unserved.length} case(s) of this run; nothing was written:\n${
      lines.join("\n")
    }`,
    {
      file: entry.manifestPath,
      hint: "run these cases with another --model or without --model (the per-case choice), " +
        "or leave them out with --task/--coil/--acc; if the model does handle them, add them " +
        "to the manifest's serves",
    },
  );
}

/** Output element types read as float32 (0: not declared). */
const READABLE = new Set<number>([0, DataType.FLOAT, DataType.FLOAT16, DataType.DOUBLE]);

/** The graph's inputs and outputs, as an `OnnxSession` reports them. */
export interface GraphInterface {
  /** Graph inputs (initializers excluded). */
  inputs: readonly DecodedValueInfo[];
  /** Graph outputs. */
  outputs: readonly DecodedValueInfo[];
}

function describe(v: DecodedValueInfo): string {
  const dims = v.dims ? `[${v.dims.map((d) => d ?? "?").join(", ")}]` : "[unknown]";
  return `${v.name} ${dims} ${elemTypeName(v.elemType)}`;
}

/**
 * What does not match between a manifest and its graph: names, ranks against the declared
 * layouts, element types. Empty when they agree.
 */
export function interfaceProblems(m: ModelManifest, g: GraphInterface): string[] {
  const problems: string[] = [];
  const graphIn = g.inputs.map(describe).join(", ");
  const graphOut = g.outputs.map(describe).join(", ");
  const rank = (what: string, layout: string, v: DecodedValueInfo) => {
    const axes = layoutRank(layout);
    if (v.dims && v.dims.length !== axes) {
      problems.push(
        `${what} "${v.name}": the layout ${layout} has ${axes} axes, the graph's has ${v.dims.length} (${
          describe(v)
        })`,
      );
    }
  };
  m.inputs.forEach((spec, i) => {
    const v = g.inputs.find((x) => x.name === spec.name);
    if (!v) {
      problems.push(
        `inputs[${i}] "${spec.name}" is not an input of the graph (the graph has: ${graphIn})`,
      );
      return;
    }
    rank("input", spec.layout, v);
    if (!FEEDABLE.has(v.elemType)) {
      problems.push(
        `input "${v.name}" is ${elemTypeName(v.elemType)}, which cmrxkit cannot feed ` +
          "(float32, float64, int64, int32, uint8 or bool)",
      );
    }
  });
  for (const v of g.inputs) {
    if (!m.inputs.some((s) => s.name === v.name)) {
      problems.push(
        `graph input "${v.name}" is not in the manifest's inputs, so cmrxkit cannot feed it`,
      );
    }
  }
  const out = g.outputs.find((x) => x.name === m.output.name);
  if (!out) {
    problems.push(`output "${m.output.name}" is not an output of the graph (it has: ${graphOut})`);
  } else {
    rank("output", m.output.layout, out);
    if (!READABLE.has(out.elemType)) {
      problems.push(
        `output "${out.name}" is ${elemTypeName(out.elemType)}; cmrxkit reads float32, ` +
          "float16 or float64",
      );
    }
  }
  return problems;
}

/** One size a model will meet: the probe runs it once. */
export interface SizeClass {
  /** The task (cine frames or mapping weightings). */
  task: "cine" | "mapping";
  /** Readout size. */
  nx: number;
  /** Phase-encode size. */
  ny: number;
  /** Coils (1 for single-coil). */
  nc: number;
  /** Frames or weightings. */
  nt: number;
  /** An acceleration of its cases (for the probe's mask), null when fully sampled. */
  acc: number | null;
  /** Submission paths of the cases of this size. */
  cases: string[];
}

/** `96x64, 10 coils, 12 frames` */
export function sizeText(s: Pick<SizeClass, "nx" | "ny" | "nc" | "nt" | "task">): string {
  return `${s.nx}x${s.ny}, ${s.nc} coil(s), ${s.nt} ${s.task === "cine" ? "frames" : "weightings"}`;
}

/** The distinct sizes of planned cases, in order of first appearance. */
export function sizeClasses(
  planned: readonly { c: Case; geometry: { nx: number; ny: number; nc: number; nt: number } }[],
): SizeClass[] {
  const byKey = new Map<string, SizeClass>();
  for (const { c, geometry: g } of planned) {
    const key = [c.task, g.nx, g.ny, g.nc, g.nt].join(",");
    let s = byKey.get(key);
    if (!s) {
      s = { task: c.task, nx: g.nx, ny: g.ny, nc: g.nc, nt: g.nt, acc: c.acc, cases: [] };
      byKey.set(key, s);
    }
    s.cases.push(c.submissionPath);
  }
  return [...byKey.values()];
}

/**
 * A synthetic slice of a size class: small deterministic non-zero k-space on a uniform
 * mask with calibration lines (so coil maps and normalisation have something to work on;
 * 24 lines, or a third of a small slice's, at least 8, so that it stays undersampled).
 */
export function probeInput(s: SizeClass): SliceInput {
  const { nx, ny, nc, nt } = s;
  // calibration lines: 24, fewer on small probes (at least 8, for the coil maps) so that the
  // probe stays undersampled: a fully sampled slice would hide a model's network behind its
  // data consistency
  const mask = uniformMask2d(nx, ny, s.acc ?? 4, Math.min(24, Math.max(8, Math.floor(ny / 3))));
  const k = new Float32Array(2 * nx * ny * nc * nt);
  let state = 0x2545f491;
  for (let i = 0; i < nx * ny * nc * nt; i++) {
    if (!mask[i % (nx * ny)]) continue;
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    k[2 * i] = ((state >>> 8) / 2 ** 24 - 0.5) * 2e-3;
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    k[2 * i + 1] = ((state >>> 8) / 2 ** 24 - 0.5) * 2e-3;
  }
  return { kspace: k, dims: [nx, ny, nc, nt], mask, maskDims: [nx, ny], task: s.task };
}

function casesText(s: SizeClass): string {
  const shown = s.cases.slice(0, 3).join(", ");
  return s.cases.length > 3 ? `${shown} and ${s.cases.length - 3} more` : shown;
}

/**
 * Runs the model once on a probe slice of each size class.
 * @throws {PreflightError} naming the manifest, the size, the cases of that size, the
 *   graph's declared inputs and what went wrong
 */
export async function probeModel(
  entry: ModelEntry,
  model: OnnxReconstructor,
  classes: readonly SizeClass[],
  graph?: GraphInterface,
): Promise<void> {
  const name = entry.manifest.name;
  const declared = graph ? ` (the graph's inputs: ${graph.inputs.map(describe).join(", ")})` : "";
  for (const s of classes) {
    let image: Float32Array;
    try {
      image = (await model.reconstruct(probeInput(s))).image;
    } catch (e) {
      throw new PreflightError(
        `model ${name} cannot run the size ${sizeText(s)} of ${casesText(s)}: ${
          e instanceof CmrxError ? e.detail : errorMessage(e)
        }${declared}`,
        {
          file: entry.manifestPath,
          hint: "export the graph with dynamic axes for the sizes that vary " +
            "(torch.onnx.export dynamic_axes); if it needs sizes that are multiples of N " +
            '(a U-Net\'s poolings), add "padMultiple": [N, N] to the manifest; or keep the ' +
            "model to the cases it can take " +
            "(its manifest's serves; run the others with another --model or without --model)",
          cause: e,
        },
      );
    }
    const want = s.nx * s.ny * s.nt;
    if (image.length !== want) {
      throw new PreflightError(
        `model ${name} returned ${image.length} values for the size ${sizeText(s)} ` +
          `(${casesText(s)}), not ${s.nx}x${s.ny}x${s.nt} = ${want}`,
        {
          file: entry.manifestPath,
          hint: "check the output layout of the manifest against the graph's output",
        },
      );
    }
    const bad = image.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      throw new PreflightError(
        `model ${name} returned non-finite values (NaN or infinity, first at index ${bad}) ` +
          `on a probe slice of the size ${sizeText(s)} (${casesText(s)})`,
        {
          file: entry.manifestPath,
          hint: "check the manifest's feeder and output layout against what the graph " +
            "computes; a submission must be finite",
        },
      );
    }
  }
}

/** Options of {@link preflight}. */
export interface PreflightOptions {
  /** `--model` as given (a method, a model name or a manifest path); absent: auto. */
  override?: string;
  /** The models chosen from. */
  models: ModelEntry[];
  /** The cases of the run (discovered and narrowed to its filters). */
  cases: readonly Case[];
  /** The split (for the case plans). */
  split: Split;
  /** The rules of the run (for the case plans). */
  edition: Edition;
  /** Opens a model (the selector's, so that the run reuses the session). */
  load: (entry: ModelEntry) => Promise<OnnxReconstructor>;
}

/** What {@link preflight} checked, per ONNX model. */
export interface PreflightModel {
  /** The model's name. */
  name: string;
  /** Its manifest. */
  manifestPath: string;
  /** The sizes it was probed on. */
  sizes: SizeClass[];
  /** Seconds the checks of this model took (load and probes). */
  seconds: number;
  /** `graph`: an ONNX graph (checked against the manifest); `process`: an external program. */
  kind: "graph" | "process";
}

/**
 * The checks before the run (see the module docs). Does nothing for a classical method.
 * @returns the ONNX models checked, each with the sizes it was probed on
 * @throws {PreflightError} for an unserved case of `--model`, a graph that does not match
 *   its manifest, or a probe that fails
 */
export async function preflight(opts: PreflightOptions): Promise<PreflightModel[]> {
  const groups = new Map<string, { entry: ModelEntry; cases: Case[] }>();
  for (const c of opts.cases) {
    const choice = await chooseModel(modelKey(c), {
      override: opts.override,
      models: opts.models,
    });
    if (typeof choice.model === "string") continue;
    const g = groups.get(choice.model.onnxPath) ??
      groups.set(choice.model.onnxPath, { entry: choice.model, cases: [] }).get(
        choice.model.onnxPath,
      )!;
    g.cases.push(c);
  }
  if (opts.override) {
    for (const { entry, cases } of groups.values()) {
      refuseUnserved(entry, unservedCases(entry, cases));
    }
  }
  const checked: PreflightModel[] = [];
  for (const { entry, cases } of groups.values()) {
    const t0 = performance.now();
    const planned = [];
    for (const c of cases) {
      try {
        planned.push({ c, geometry: (await readPlan(c, opts.split, opts.edition)).geometry });
      } catch (e) {
        if (!(e instanceof CmrxError)) throw e; // the run reports the unreadable header
      }
    }
    let model: OnnxReconstructor;
    try {
      model = await opts.load(entry);
    } catch (e) {
      if (!(e instanceof CmrxError)) throw e;
      throw new PreflightError(
        `model ${entry.manifest.name} cannot be loaded: ${e.file ? `${e.file}: ` : ""}${e.detail}`,
        { file: entry.manifestPath, hint: e.hint, cause: e },
      );
    }
    const engine = await model.engine();
    // an external-process model has no graph to compare: only its probe runs check it
    const graph = "inputs" in engine ? engine : undefined;
    const problems = graph ? interfaceProblems(entry.manifest, graph) : [];
    if (problems.length) {
      throw new PreflightError(
        `model ${entry.manifest.name}: the graph ${entry.onnxPath} does not match its manifest:\n${
          problems.map((p) => `  ${p}`).join("\n")
        }`,
        {
          file: entry.manifestPath,
          hint: "make the manifest's inputs and output name the graph's (names, one layout " +
            "letter per axis), or export the graph again with those names",
        },
      );
    }
    const sizes = sizeClasses(planned);
    await probeModel(entry, model, sizes, graph);
    checked.push({
      name: entry.manifest.name,
      manifestPath: entry.manifestPath,
      sizes,
      seconds: (performance.now() - t0) / 1000,
      kind: graph ? "graph" : "process",
    });
  }
  return checked;
}
