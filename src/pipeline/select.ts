/**
 * The per-case choice of reconstructor that `submit` uses: `--model` (a classical method,
 * a model name or a manifest path) or, without it, the first ONNX model whose manifest
 * serves the case, else the default classical method. This is where the classical methods
 * (`recon/registry.ts`) and the ONNX models (`models/registry.ts`) meet; neither knows the
 * other. ONNX sessions are opened once per model and shared by all the cases it serves.
 *
 * @module
 */

import type { Case } from "../challenge/case.ts";
import type { OnnxSessionOptions } from "../engine/session.ts";
import { OnnxReconstructor } from "../models/onnx_model.ts";
import type { ProcessSessionStats } from "../models/process_model.ts";
import {
  autoModelFor,
  findModel,
  listModels,
  type ModelEntry,
  type ModelKey,
  serves,
  unservedReason,
} from "../models/registry.ts";
import { UsageError } from "../errors.ts";
import { KT_PATTERNS, type KtPattern } from "../kspace/masks_kt.ts";
import { defaultMethodFor, getMethod, methodNames } from "../recon/registry.ts";
import type { Reconstructor } from "../kspace/slice.ts";

/** The facts of a case that models are matched on, its mask kind included. */
export function modelKey(c: Case): ModelKey {
  const mask = maskKindOf(c.pattern);
  return { task: c.task, view: c.view, acc: c.acc, coil: c.coil, ...(mask ? { mask } : {}) };
}

/**
 * The mask kind a case's sampling pattern names (the pattern of its file name, e.g.
 * `cine_sax_kus_ktGaussian8.mat`; `Uniform` for a 2023 case), case aside; undefined for a
 * fully sampled case (no pattern), a `Case`-like object without one, or a name that is not a
 * known kind.
 */
export function maskKindOf(pattern: string | undefined): KtPattern | undefined {
  const p = (pattern ?? "").toLowerCase();
  return KT_PATTERNS.find((k) => k.toLowerCase() === p);
}

/** How a choice for a case was made, for logs. */
export interface Choice {
  /** `onnx` model entry, or a classical method name. */
  model: ModelEntry | string;
  /**
   * Why: `--model` (the override), `serves this case` (an ONNX model's manifest) or
   * `no ONNX model serves this case` (the default classical method); for a k-t case the
   * default's reason also names the mask kind, the models left out for it and why L+S
   * (see {@link defaultReason}).
   */
  reason: string;
}

/**
 * Picks the model for a case: the override (`--model NAME|PATH`) when given; else the first
 * (by name) ONNX model whose manifest serves the case (its mask kind included: a manifest
 * without `serves.masks` serves `uniform` only) and does not opt out of automatic choice
 * (`auto: false`); else the default classical method for its coils and mask kind
 * (`defaultMethodFor`: GRAPPA for multi-coil line masks, L+S for k-t masks and single-coil).
 */
export async function chooseModel(
  c: ModelKey,
  opts: { override?: string; models?: ModelEntry[] } = {},
): Promise<Choice> {
  const models = opts.models ?? await listModels();
  if (opts.override) {
    const o = opts.override;
    if (methodNames().includes(o)) return { model: o, reason: "--model" };
    const named = await findModel(o, models);
    if (named) return { model: named, reason: "--model" };
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
  const m = autoModelFor(c, models);
  if (m) return { model: m, reason: "serves this case" };
  return { model: defaultMethodFor(c.coil, c.mask), reason: defaultReason(c, models) };
}

/**
 * Why the default classical method was chosen: `no ONNX model serves this case`, and for a
 * k-t mask the models that would serve the case but for its mask kind (with the `serves`
 * field that excludes them) and why L+S, e.g. `no ONNX model serves this case (crnn: not
 * ktGaussian masks (manifest serves.masks = [uniform] when absent)); ktGaussian masks
 * change from frame to frame: lps, the best classical method on k-t masks (deno task
 * bench kt, docs/editions.md)`.
 */
export function defaultReason(c: ModelKey, models: readonly ModelEntry[]): string {
  const mask = c.mask ?? "uniform";
  const base = "no ONNX model serves this case";
  if (mask === "uniform") return base;
  const left = models.filter((e) =>
    e.manifest.auto !== false && serves(e.manifest, { ...c, mask: "uniform" })
  ).map((e) => `${e.manifest.name}: not ${unservedReason(e.manifest, c)}`);
  const method = defaultMethodFor(c.coil, mask);
  const grappa = mask === "ktRadial" ? "; GRAPPA refuses it, not a line pattern" : "";
  return `${base}${left.length ? ` (${left.join("; ")})` : ""}; ${mask} masks change from ` +
    `frame to frame: ${method}, the best classical method on k-t masks (deno task bench ` +
    `kt, docs/editions.md)${grappa}`;
}

/** A classical reconstructor by name. */
export function classical(name: string): Reconstructor {
  return getMethod(name);
}

/** A selector with the sessions it opened. */
export interface ModelSelector {
  /** The reconstructor for a case. */
  select(c: Case): Promise<Reconstructor>;
  /**
   * Why `select` chose what it did for a case ({@link Choice.reason}), once it was asked;
   * undefined before.
   */
  why(c: Case): string | undefined;
  /** Frees every onnxruntime session opened so far. */
  release(): Promise<void>;
}

/** Options of {@link createSelector}. */
export interface SelectorOptions {
  /** `--model`: a classical method name, a model name, or a manifest path. */
  override?: string;
  /** The models to choose from (`listModels(dir)`). */
  models: ModelEntry[];
  /** Engine options for the ONNX sessions. */
  engine?: OnnxSessionOptions;
  /** Called once with the engine's notice (e.g. "CUDA not available, using CPU"). */
  onNotice?: (notice: string) => void;
  /**
   * Method for the cases the override model does not serve (default: use the override for
   * every case, as `--model` does). Benchmarks pass `"zerofill"` to compare one model on
   * the cases it serves.
   */
  fallback?: string;
}

/**
 * Checks `--model` before any work: a classical method, a model in `models`, or a readable
 * manifest path. Does nothing without an override.
 *
 * @throws {UsageError} for an unknown name, listing the methods and models to choose from
 * @throws {CmrxError} naming a manifest path that cannot be read
 */
export async function checkModel(override: string | undefined, models: ModelEntry[]) {
  if (!override) return;
  await chooseModel({ task: "cine", view: "sax", acc: 4, coil: "MultiCoil" }, {
    override,
    models,
  });
}

/**
 * A {@link ModelSelector}: classical methods by name, ONNX models loaded lazily and cached.
 * @param opts override, model list, engine options
 */
export function createSelector(opts: SelectorOptions): ModelSelector {
  return createLoadingSelector(opts);
}

/** A {@link ModelSelector} that also hands out its ONNX models (for the checks before a run). */
export interface LoadingSelector extends ModelSelector {
  /**
   * The model of an entry, its onnxruntime session open: the one `select` returns for the
   * cases it serves (loaded once, shared).
   */
  load(entry: ModelEntry): Promise<OnnxReconstructor>;
  /**
   * The largest static GPU memory estimate (weights + peak activations) of the models
   * loaded so far, over the input shapes they ran; null when none was estimated.
   */
  gpuEstimateBytes(): number | null;
  /** The entries of the models loaded so far, with their reconstructors. */
  loaded(): { entry: ModelEntry; model: OnnxReconstructor }[];
  /**
   * From now on runs `entry`'s model on the CPU provider (its GPU session released): what
   * a failed parity probe asks for.
   */
  useCpu(entry: ModelEntry): Promise<void>;
}

/** {@link createSelector} with its loader: `submitWithModels` checks the models it opens. */
export function createLoadingSelector(opts: SelectorOptions): LoadingSelector {
  const loaded = new Map<string, OnnxReconstructor>();
  const entries = new Map<string, ModelEntry>();
  const reasons = new Map<Case, string>();
  let noticed = false;
  const load = async (entry: ModelEntry): Promise<OnnxReconstructor> => {
    let r = loaded.get(entry.onnxPath);
    if (!r) {
      r = new OnnxReconstructor(entry, opts.engine ?? {});
      const engine = await r.engine();
      if (engine.notice && !noticed) {
        opts.onNotice?.(engine.notice);
        noticed = true;
      }
      loaded.set(entry.onnxPath, r);
      entries.set(entry.onnxPath, entry);
    }
    return r;
  };
  return {
    async select(c: Case): Promise<Reconstructor> {
      const key = modelKey(c);
      const choice = await chooseModel(key, { override: opts.override, models: opts.models });
      reasons.set(c, choice.reason);
      if (typeof choice.model === "string") return getMethod(choice.model);
      const entry = choice.model;
      if (opts.fallback && !serves(entry.manifest, key)) {
        reasons.set(c, `fallback: ${entry.manifest.name} does not serve this case`);
        return getMethod(opts.fallback);
      }
      return await load(entry);
    },
    why: (c: Case) => reasons.get(c),
    load,
    loaded() {
      return [...loaded.entries()].map(([k, model]) => ({ entry: entries.get(k)!, model }));
    },
    async useCpu(entry: ModelEntry): Promise<void> {
      const old = loaded.get(entry.onnxPath);
      const cpu = new OnnxReconstructor(entry, { ...opts.engine, device: "cpu" });
      await cpu.engine();
      loaded.set(entry.onnxPath, cpu);
      entries.set(entry.onnxPath, entry);
      await old?.release();
    },
    gpuEstimateBytes(): number | null {
      let most: number | null = null;
      for (const r of loaded.values()) {
        for (const e of r.memoryEstimates()) {
          const need = e.weightsBytes + e.peakActivationBytes;
          if (most === null || need > most) most = need;
        }
      }
      return most;
    },
    async release(): Promise<void> {
      for (const r of loaded.values()) {
        const e = await r.engine().catch(() => null);
        // an external program: its calls and the GPU memory sampled for it, in the log
        if (e && "gpuSampling" in e.stats) opts.onNotice?.(processStatsText(r.name, e.stats));
        await r.release();
      }
      loaded.clear();
    },
  };
}

/**
 * One line on an external-process model after the run: its calls, their mean time, and the
 * peak GPU memory `nvidia-smi` saw for the program (or why it was not sampled).
 */
export function processStatsText(name: string, s: ProcessSessionStats): string {
  const mean = s.runs ? (s.totalMs / s.runs / 1000).toFixed(2) : "-";
  const gpu = s.gpuPeakBytes === null
    ? `GPU memory ${s.gpuSampling}`
    : `peak GPU memory ${(s.gpuPeakBytes / 1024 ** 3).toFixed(2)} GiB (${s.gpuSampling})`;
  return `model ${name} (external process, pid ${s.pid}): ${s.runs} call(s), ${mean} s each; ${gpu}`;
}
