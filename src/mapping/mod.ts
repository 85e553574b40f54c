/**
 * Parametric mapping: T1 from MOLLI ({@link fitMolli}, three-parameter Look-Locker model
 * with polarity restoration) and T2 from T2-prepared images ({@link fitT2Prep},
 * mono-exponential), per pixel of one slice; {@link fitMaps} fits every slice of a mapping
 * image with each slice's own times and {@link writeMaps} saves the maps as a MAT file.
 * {@link readNifti} reads NIfTI-1/2 label volumes (`.nii`, `.nii.gz`), such as the official
 * segmentations.
 *
 * Times are in ms. Images are magnitudes, MATLAB dims `(nx, ny, nz, nw)` (weightings
 * last); a slice for the per-slice fits is `(npix, nw)`; maps are `(nx, ny, nz)`, all
 * column-major. Reading the csv times and scoring against labels is the challenge layer's
 * part (`src/challenge/maps/`).
 *
 * @example T1 maps of a reconstructed mapping image
 * ```ts
 * import { fitMaps, writeMaps } from "@cmrxkit/cmrxkit/mapping";
 *
 * declare const image: Float32Array; // magnitudes, MATLAB dims (nx, ny, nz, nw)
 * declare const dims: [number, number, number, number];
 * declare const times: number[][]; // times[z][w]: inversion times of slice z, ms
 * const maps = fitMaps("T1", image, dims, times); // air pixels (< 5 % of max) skipped
 * const t1 = maps.maps.T1; // ms, (nx, ny, nz); 0 where not fitted
 * await writeMaps("T1map_maps.mat", maps, [0, 1, 2]); // 0-based source slices
 * ```
 *
 * @example One pixel
 * ```ts
 * import { fitMolliPixel } from "@cmrxkit/cmrxkit/mapping";
 *
 * const tis = [100, 180, 260, 1000, 1080, 1160, 1900, 2700, 3500]; // ms
 * const fit = fitMolliPixel([405, 335, 271, 132, 160, 187, 350, 433, 470], tis);
 * console.log(fit.t1, fit.flips); // about 1000 (ms) and 3 (samples whose sign was restored)
 * ```
 *
 * @module
 */

export {
  fitMolli,
  fitMolliPixel,
  type MolliFit,
  type MolliFitOptions,
  type MolliPixelFit,
} from "./t1.ts";
export { fitT2Prep, fitT2PrepPixel, type T2Fit, type T2FitOptions } from "./t2.ts";
export {
  airMask,
  fitMaps,
  type MapFitOptions,
  type MapKind,
  mapKindOf,
  type ParametricMaps,
  writeMaps,
} from "./maps.ts";
export { MAX_NIFTI_VOXELS, type NiftiVolume, parseNifti, readNifti } from "./nifti.ts";
