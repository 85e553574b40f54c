/**
 * {@link submitWithModels}: {@link submit} with the per-case choice of reconstructor made
 * from a folder of ONNX models, as `deno task submit`, the image's entrypoint and its
 * self-test run it. The caller prints; nothing here writes to the console.
 *
 * @module
 */

import type { Case } from "../challenge/case.ts";
import type { Edition } from "../challenge/edition.ts";
import { narrowDiscovery } from "../challenge/discovery/scope.ts";
import { discover } from "../challenge/layout.ts";
import { DEFAULT_YEAR, editionOf } from "../challenge/editions/mod.ts";
import type { OnnxSessionOptions } from "../engine/session.ts";
import { CmrxError } from "../errors.ts";
import { listModels, type ModelEntry, SHIPPED_MODELS } from "../models/registry.ts";
import { methodNames } from "../recon/registry.ts";
import { preflight, type PreflightModel, sizeText } from "./preflight.ts";
import { probeProvider, probeText, type ProviderProbe } from "./provider_probe.ts";
import { checkModel, createLoadingSelector, type LoadingSelector } from "./select.ts";
import { editionOfInput, submit, type SubmitOptions, type SubmitSummary } from "./submit.ts";

/**
 * Options of {@link submitWithModels}: those of {@link submit} except `select` and `models`,
 * which it makes from `modelsDir`, `model` and `engine`.
 */
export interface SubmitWithModelsOptions extends Omit<SubmitOptions, "select" | "models"> {
  /**
   * `--model`: one reconstructor for every case (a classical method name, a model name in
   * `modelsDir` or a manifest path); absent: chosen per case (the first ONNX model whose
   * manifest serves it, else the default classical method).
   */
  model?: string;
  /** Folder of ONNX models and their manifests (default: the shipped `models/`). */
  modelsDir?: string;
  /** Options of the ONNX sessions (device, GPU memory limit, threads). */
  engine?: OnnxSessionOptions;
  /** Called once with the engine's notice when a session opens (e.g. CUDA not available). */
  onEngineNotice?: (notice: string) => void;
  /**
   * Check each ONNX model the run uses before the first case (default true): a `--model`
   * must serve every case, its graph must match its manifest and run once on each size of
   * the cases it gets (`preflight.ts`). `false` leaves the failures to the cases.
   */
  preflight?: boolean;
}

/**
 * Lists the models of `opts.modelsDir`, checks `opts.model` before anything is created,
 * builds the per-case selector, checks each ONNX model it will use against the cases
 * (`preflight.ts`: served cases, graph against manifest, one probe run per size) and runs
 * {@link submit} with it; the ONNX sessions it opened are released when the run ends, also
 * when it fails. Nothing is written when a check fails.
 *
 * @throws {UsageError} for an unknown `--model` name (nothing is written then)
 * @throws {PreflightError} naming the model's manifest: a case `--model` does not serve
 *   (all are listed), a graph that does not match its manifest, a size it cannot run
 * @throws {CmrxError} naming a manifest that cannot be read, and whatever {@link submit}
 * throws
 */
export async function submitWithModels(opts: SubmitWithModelsOptions): Promise<SubmitSummary> {
  const { modelsDir, onEngineNotice, preflight: check, ...rest } = opts;
  // No --vram-limit: the GPU memory of the edition the run follows (2023 24 GiB, ...).
  const engine: OnnxSessionOptions | undefined = opts.engine?.vramLimitBytes === undefined
    ? { ...opts.engine, vramLimitBytes: (await runEdition(rest)).limits.gpuMemoryBytes }
    : opts.engine;
  const models = await listModels(modelsDir ?? SHIPPED_MODELS);
  await checkModel(opts.model, models); // before anything is created
  const selector = createLoadingSelector({
    override: opts.model,
    models,
    engine,
    onNotice: onEngineNotice,
  });
  try {
    const probes: ProviderProbe[] = [];
    if (check !== false) {
      const checked = await checkBeforeRun(rest, models, selector);
      for (const m of checked) rest.onNotice?.(preflightText(m));
      // every model loaded on a GPU provider: compared with the CPU before it is trusted
      for (const { entry, model } of selector.loaded()) {
        const like = checked.find((m) => m.manifestPath === entry.manifestPath)?.sizes[0];
        const p = await probeProvider(entry, model, { like, engine });
        if (!p) continue;
        probes.push(p);
        rest.onNotice?.(probeText(p));
        if (!p.ok) await selector.useCpu(entry);
      }
    }
    return await submit({
      ...rest,
      select: (c) => selector.select(c),
      why: (c) => selector.why(c),
      models,
      gpuEstimateBytes: () => selector.gpuEstimateBytes(),
      gpuLimitBytes: engine?.vramLimitBytes,
      providerProbes: probes,
    });
  } finally {
    await selector.release(); // the ONNX sessions, also when the run fails
  }
}

/**
 * The edition a run will follow, for its limits: the one {@link submit} will find
 * ({@link editionOfInput}), or `--year`'s (else the default) when the input cannot be read
 * (submit then says why).
 */
export async function runEdition(
  opts: Pick<SubmitWithModelsOptions, "input" | "split" | "year">,
): Promise<Edition> {
  try {
    const all = await discover(opts.input, { split: opts.split, allowEmpty: true });
    return editionOfInput(all.cases, opts.input, opts.year);
  } catch (e) {
    if (!(e instanceof CmrxError)) throw e;
    return editionOf(opts.year ?? DEFAULT_YEAR);
  }
}

/** One line on a model checked before the run. */
function preflightText(m: PreflightModel): string {
  const sizes = m.sizes.map((s) => sizeText(s)).join("; ");
  const what = m.kind === "graph"
    ? `graph matches ${m.manifestPath}`
    : `external process of ${m.manifestPath} started`;
  return `model ${m.name}: ${what}; ran once on ` +
    `${m.sizes.length} size(s) (${sizes}) in ${m.seconds.toFixed(1)} s`;
}

/**
 * {@link preflight} for the cases the run will find (the same discovery and filters as
 * {@link submit}). Nothing when `--model` is a classical method or no ONNX model is listed;
 * an input that cannot be discovered is left to {@link submit}, which says why.
 */
async function checkBeforeRun(
  opts: Omit<SubmitWithModelsOptions, "modelsDir" | "engine" | "onEngineNotice" | "preflight">,
  models: ModelEntry[],
  selector: LoadingSelector,
): Promise<PreflightModel[]> {
  if (opts.model ? methodNames().includes(opts.model) : models.length === 0) return [];
  let cases: readonly Case[];
  let edition: Edition;
  try {
    const all = await discover(opts.input, { split: opts.split, allowEmpty: true });
    const scope = { task: opts.task, coil: opts.coil, acc: opts.acc };
    cases = narrowDiscovery(all, opts.input, scope).cases;
    edition = editionOfInput(cases, opts.input, opts.year);
    const year = edition.year;
    cases = cases.filter((c) => c.year === year);
  } catch (e) {
    if (e instanceof CmrxError) return [];
    throw e;
  }
  return await preflight({
    override: opts.model,
    models,
    cases,
    split: opts.split,
    edition,
    load: (entry) => selector.load(entry),
  });
}
