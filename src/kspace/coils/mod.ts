/**
 * Coil sensitivity maps: a fast low-resolution ACS / RSS estimate (`acs.ts`), ESPIRiT
 * (Uecker et al., MRM 71:990, 2014; `espirit.ts`), the time average of cine k-space both
 * calibrate on (`calibration.ts`), the one-call entry {@link sensitivityMaps}
 * (`sensitivity.ts`) and the SENSE-1 coil combination that uses the maps (`combine.ts`).
 * This file only re-exports their public API.
 *
 * Maps have MATLAB dims `(x, y, coil)` (or `(x, y, coil, map)` for several ESPIRiT maps),
 * complex interleaved `Float32Array`, column-major (x fastest), the same grid as
 * `ifft2c` of the k-space. Both estimators remove the (arbitrary) common phase of the coils
 * the same way BART's `ecalib` does by default: per pixel, the maps are rotated so that
 * their projection on the first principal component of the calibration data (a "virtual
 * body coil") is real and positive. The coil-combined image then carries the phase of that
 * virtual coil, and the maps carry no object phase.
 *
 * @module
 */

export { timeAveragedKspace } from "./calibration.ts";
export { acsRssMaps, type AcsRssOptions } from "./acs.ts";
export { espirit, type EspiritOptions, type EspiritResult } from "./espirit.ts";
export {
  MIN_ACS_LINES,
  type SensitivityMaps,
  sensitivityMaps,
  type SensitivityOptions,
} from "./sensitivity.ts";
export { coilCombine, type CoilCombineOptions } from "./combine.ts";
