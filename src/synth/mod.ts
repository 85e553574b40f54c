/**
 * Synthetic CMRxRecon data: {@link synthesize} writes a whole dataset in the official
 * 2023 layout (multi-coil; single-coil too with its `tracks` option) (k-space MAT v7.3 files, masks, csv times, ground truth and
 * labels with true T1/T2) from a beating-heart phantom; {@link synthesizeKspaceFile}
 * writes one fully sampled file. Everything is deterministic for a seed.
 *
 * The building blocks are exported too: the image-domain phantom (cine frames for SAX and
 * 2ch/3ch/4ch views, MOLLI and T2-prep series with their true maps; see
 * {@link phantomParams}, {@link cineFrame}, {@link mappingImages}), synthetic coil maps
 * ({@link coilMaps}) and the seeded generator ({@link Rng}, {@link deriveSeed}).
 *
 * @example A small dataset
 * ```ts
 * import { synthesize } from "@cmrxkit/cmrxkit/synth";
 *
 * const report = await synthesize({ out: "/tmp/cmrx-synth", size: "small", seed: 7 });
 * console.log(report.files, report.kspaceFiles[0]);
 * ```
 *
 * @example A phantom frame with coil maps
 * ```ts
 * import { cineFrame, coilMaps, phantomParams } from "@cmrxkit/cmrxkit/synth";
 *
 * const patient = phantomParams(42);
 * const frame = cineFrame(patient, "sax", 0, 3, 0, 12, 96, 72); // slice 0 of 3, frame 0 of 12
 * // frame.image: complex interleaved (x, y) = (96, 72); frame.label: tissue labels
 * const maps = coilMaps(10, 96, 72, 42); // complex interleaved (x, y, coil)
 * ```
 *
 * @module
 */

export {
  type FileGeometry,
  type FileKind,
  GEOMETRY,
  mappingCsv,
  mappingTimes,
  synthesize,
  synthesizeKspaceFile,
  type SynthOptions,
  type SynthReport,
  type SynthSize,
} from "./dataset.ts";
export {
  type EditionSynthOptions,
  infoCsv,
  patternName,
  SITES_2025,
  type SynthEdition,
  synthesizeEdition,
  type Task2025,
  TASKS_2025,
} from "./editions.ts";
export { deriveSeed, Rng, rngFor } from "./random.ts";
export { coilMaps } from "./coils.ts";
export * from "./phantom/mod.ts";

// Types of other layers that appear in the signatures above.
export type { Split } from "../challenge/edition.ts";
export type { KtPattern } from "../kspace/masks_kt.ts";
