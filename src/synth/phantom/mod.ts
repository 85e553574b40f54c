/**
 * A synthetic cardiac MR phantom in the image domain: chest (body outline, subcutaneous
 * fat, muscle, ribs, sternum, lungs with vessels, liver, spine, descending aorta) and a
 * beating heart (LV, myocardium, RV, papillary muscles, atria, valves, aortic root) for
 * short-axis (SAX) and long-axis (2ch/3ch/4ch) cine, plus static T1 (MOLLI) and T2
 * (T2-prep) weighted mapping series with their ground-truth T1/T2 maps.
 *
 * Everything is deterministic for a seed; randomness comes from {@link phantomParams}
 * (per patient) and from streams derived from `params.seed` per view and slice.
 *
 * ## Geometry
 * Images are `(nx, ny)` with x (readout, first MATLAB dim, fastest in memory) 2x
 * oversampled: the body fills roughly the central half of x. Anatomy is described in
 * millimetres about the image centre (pixel `floor(nx/2), floor(ny/2)`, the k-space centre
 * and the centre of the official run4Ranking crop); x grows to the patient's left,
 * y grows posterior. Pixels are square for real sizes; the scale is chosen by
 * {@link imageGeometry} so that the body fits the central half of x and the heart lies
 * inside the crop window
 * `x in [floor(nx/2) - floor(round(nx/3)/2), +round(nx/3))`,
 * `y in [floor(ny/2) - floor(round(ny/2)/2), +round(ny/2))`.
 *
 * Edges are partial-volume ramps about 1.2 px wide (no hard steps, so Gibbs ringing does
 * not dominate); images carry a smooth low-frequency intensity variation and a smooth
 * background phase, so they are genuinely complex.
 *
 * ## Labels (Uint8Array, one per pixel)
 * | value | meaning |
 * |---|---|
 * | 0 | background (air) |
 * | 1 | LV blood pool (papillary muscles included, as in ACDC / CMRxRecon) |
 * | 2 | LV myocardium (incl. septum) |
 * | 3 | RV blood pool |
 * | 4 | other soft tissue: skeletal muscle, RV free wall, atrial walls, valves, mediastinum |
 * | 5 | fat (subcutaneous, epicardial) |
 * | 6 | lung |
 * | 7 | liver |
 * | 8 | atrial blood (LA, RA) |
 * | 9 | other vessel blood (aorta, pulmonary vessels) |
 * | 10 | bone and spinal canal (vertebra, ribs, sternum, CSF) |
 *
 * The first four values match the CMRxRecon mapping labels (0 BG, 1 LV, 2 Myo, 3 RV).
 * A pixel gets the label of the top-most structure covering at least half of it.
 *
 * ## Cardiac cycle
 * Frame `f` of `nframes` is at phase `frac(f / nframes + phaseOffset)`; the contraction
 * curve (0 = end-diastole, 1 = end-systole) is C1-periodic: a raised-cosine systole of
 * 33–40 % of the cycle, rapid early filling, diastasis and an atrial kick, so the last
 * frame flows smoothly into the first. Blood pools shrink in systole; the LV myocardium
 * keeps its cross-sectional area (so it thickens); the RV contracts; in long-axis views
 * the base descends toward the fixed apex and the atria fill.
 *
 * ## Files
 * `types.ts` (public types, labels), `params.ts` (a patient's parameters), `geometry.ts`
 * (pixel grid, slice positions), `motion.ts` (cardiac cycle), `raster.ts` (shapes to pixels),
 * `chest.ts` and `heart.ts` (anatomy), `fields.ts` (smooth fields, modulation),
 * `contrast.ts` (bSSFP, MOLLI and T2-prep signals), `cine.ts` and `mapping.ts` (rendering).
 * This module re-exports the public API.
 *
 * @module
 */

export {
  type CineFrame,
  type CineView,
  LABEL,
  LAX_VIEWS,
  type MappingImages,
  MOLLI_B_OVER_A,
  type PhantomParams,
  type Tissue,
  type TissueProps,
} from "./types.ts";
export { phantomParams } from "./params.ts";
export { type ImageGeometry, imageGeometry, NOMINAL_BODY, saxSlicePosition } from "./geometry.ts";
export { cardiacPhase, contractionAt } from "./motion.ts";
export { molliSignal, molliTimes, t2PrepSignal, t2PrepTimes } from "./contrast.ts";
export { cineFrame } from "./cine.ts";
export { mappingImages } from "./mapping.ts";
