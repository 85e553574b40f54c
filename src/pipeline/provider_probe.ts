/**
 * The parity probe of a GPU provider: before a run uses an ONNX model on a provider other
 * than the CPU (WebGPU, CUDA), the model runs once on a small probe slice on that provider
 * and once on onnxruntime's CPU provider, and the two images are compared. Beyond the
 * tolerance ({@link PROBE_TOLERANCE}, relative to the CPU image's maximum) the run does not
 * use the provider for that model: it falls back to the CPU, naming the model, the
 * difference and the tolerance. `submitWithModels` probes every model it loaded on a GPU
 * provider and records the result in the run log and the run manifest;
 * `deno task models --probe DEVICE` prints it for every model.
 *
 * ```
 * probe slice: small (32 x 24, at most 4 coils, the model's frame count), else the size of
 *   the run's first case (a graph exported for fixed sizes)
 * image_gpu = model on the provider, image_cpu = the same manifest on the CPU provider
 * maxRel = max |image_gpu - image_cpu| / max |image_cpu|   ok when <= tolerance
 * ```
 *
 * @module
 */

import type { OnnxSessionOptions } from "../engine/session.ts";
import { CmrxError, errorMessage } from "../errors.ts";
import { OnnxReconstructor } from "../models/onnx_model.ts";
import type { ModelManifest } from "../models/manifest.ts";
import type { ModelEntry } from "../models/registry.ts";
import { probeInput, type SizeClass, sizeText } from "./preflight.ts";

/** Largest accepted difference, relative to the CPU image's maximum. */
export const PROBE_TOLERANCE = 1e-4;

/** What a parity probe found. */
export interface ProviderProbe {
  /** The model's name. */
  model: string;
  /** Its manifest. */
  manifestPath: string;
  /** The provider probed (`webgpu`, `cuda`). */
  provider: string;
  /** The probe slice's size (`32x24, 4 coil(s), 12 frames`). */
  size: string;
  /** Largest absolute difference of the two images. */
  maxAbs: number;
  /** `maxAbs` over the CPU image's largest value. */
  maxRel: number;
  /** The tolerance it was held to. */
  tolerance: number;
  /** Whether the provider may be used for this model. */
  ok: boolean;
  /** Seconds of the run on the CPU provider. */
  cpuSeconds: number;
  /** Seconds of the run on the probed provider. */
  deviceSeconds: number;
}

/** Weightings of a mapping model, from the views its manifest serves (T1 9, T2 3). */
function defaultFrames(m: ModelManifest, task: "cine" | "mapping"): number {
  if (task === "cine") return 12;
  return m.serves.views.includes("T1") ? 9 : 3;
}

/**
 * The small probe size of a model: 32 x 24 (readout x phase encode), at most 4 coils, the
 * frames of `like` (a size the run meets) or the manifest's (`feeder.frames`, else 12 cine
 * frames, 9 T1 or 3 T2 weightings).
 */
export function smallProbeClass(m: ModelManifest, like?: SizeClass): SizeClass {
  const task = like?.task ?? m.serves.tasks[0] ?? "cine";
  const nt = like?.nt ??
    (m.feeder.kind === "sequence" && m.feeder.frames ? m.feeder.frames : defaultFrames(m, task));
  return {
    task,
    nx: 32,
    ny: 24,
    nc: Math.min(like?.nc ?? 4, 4),
    nt,
    acc: like?.acc ?? 4,
    cases: like?.cases ?? [],
  };
}

/** The largest absolute difference and the largest magnitude of the reference. */
function compare(a: Float32Array, ref: Float32Array): { maxAbs: number; maxRel: number } {
  let d = 0, n = 0;
  for (let i = 0; i < ref.length; i++) {
    d = Math.max(d, Math.abs(a[i] - ref[i]));
    n = Math.max(n, Math.abs(ref[i]));
  }
  if (a.length !== ref.length || a.some((v) => !Number.isFinite(v))) d = Infinity;
  return { maxAbs: d, maxRel: n > 0 ? d / n : d };
}

/** Options of {@link probeProvider}. */
export interface ProbeProviderOptions {
  /** Largest accepted relative difference (default {@link PROBE_TOLERANCE}). */
  tolerance?: number;
  /** A size the run meets, tried when the small probe does not fit the graph. */
  like?: SizeClass;
  /** Engine options of the CPU reference (threads); the device is always `cpu`. */
  engine?: OnnxSessionOptions;
  /** The small probe's size instead of 32 x 24 with at most 4 coils. */
  small?: { nx: number; ny: number; nc?: number };
}

/**
 * Runs `model` (already loaded on a GPU provider) and the same manifest on the CPU provider
 * on one probe slice and compares them; null when `model` runs on the CPU.
 *
 * @throws {CmrxError} naming the manifest when the model cannot run the probe on either
 *   provider (neither the small size nor `like`)
 */
export async function probeProvider(
  entry: ModelEntry,
  model: OnnxReconstructor,
  opts: ProbeProviderOptions = {},
): Promise<ProviderProbe | null> {
  const engine = await model.engine();
  if (engine.provider === "cpu") return null;
  const tolerance = opts.tolerance ?? PROBE_TOLERANCE;
  const cpu = new OnnxReconstructor(entry, { ...opts.engine, device: "cpu" });
  try {
    const small = smallProbeClass(entry.manifest, opts.like);
    if (opts.small) {
      small.nx = opts.small.nx;
      small.ny = opts.small.ny;
      small.nc = opts.small.nc ?? small.nc;
    }
    const sizes = [small];
    if (opts.like) sizes.push(opts.like);
    let last: unknown;
    for (const s of sizes) {
      const input = probeInput(s);
      let ref: Float32Array;
      const c0 = performance.now();
      try {
        ref = (await cpu.reconstruct(input)).image;
      } catch (e) {
        last = e; // a graph of fixed sizes: try the run's own size
        continue;
      }
      const cpuSeconds = (performance.now() - c0) / 1000;
      const d0 = performance.now();
      const got = (await model.reconstruct(input)).image;
      const deviceSeconds = (performance.now() - d0) / 1000;
      const { maxAbs, maxRel } = compare(got, ref);
      return {
        model: entry.manifest.name,
        manifestPath: entry.manifestPath,
        provider: engine.provider,
        size: sizeText(s),
        maxAbs,
        maxRel,
        tolerance,
        ok: maxRel <= tolerance,
        cpuSeconds,
        deviceSeconds,
      };
    }
    throw new CmrxError(
      `model ${entry.manifest.name}: the ${engine.provider} parity probe could not run (${
        last instanceof CmrxError ? last.detail : errorMessage(last)
      })`,
      { file: entry.manifestPath, cause: last },
    );
  } finally {
    await cpu.release();
  }
}

/** One line on a probe: the difference, the tolerance and what the run does. */
export function probeText(p: ProviderProbe): string {
  const diff = `${p.maxRel.toExponential(1)} of the output's maximum`;
  return p.ok
    ? `model ${p.model}: ${p.provider} matches the CPU on a ${p.size} probe (${diff}, ` +
      `tolerance ${p.tolerance.toExponential(0)}); running on ${p.provider}`
    : `model ${p.model}: ${p.provider} differs from the CPU on a ${p.size} probe by ${diff} ` +
      `(tolerance ${p.tolerance.toExponential(0)}); running it on the CPU instead`;
}
