/**
 * The phantom's pixel grid: anatomy is in millimetres about the image centre
 * (pixel `floor(nx/2), floor(ny/2)`), x (readout, first MATLAB dim) 2x oversampled, y
 * posterior; {@link imageGeometry} picks the scale. Also the SAX slice positions along the
 * LV and the checks of a render request.
 *
 * @module
 */

import { ShapeError } from "../../errors.ts";

/** Pixel grid of the phantom: mm origin (pixel coordinates) and scale. */
export interface ImageGeometry {
  /** pixel x of the mm origin, `floor(nx/2)` */
  cx: number;
  /** pixel y of the mm origin, `floor(ny/2)` */
  cy: number;
  /** pixels per mm along x */
  pxPerMmX: number;
  /** pixels per mm along y (equal to x for the real sizes; larger for small test sizes) */
  pxPerMmY: number;
}

/** Nominal body semi-axes (mm) used to choose the scale and to place coils. */
export const NOMINAL_BODY = { a: 175, b: 125 } as const;

/** ny/nx of the reference acquisition (512 x 246 cine SAX). */
const REFERENCE_ASPECT = 246 / 512;

/**
 * Pixel grid for an `(nx, ny)` image: the body (nominal semi-axes 175 x 125 mm) fits the
 * central half of the 2x-oversampled x and about 90 % of y. Pixels are square for sizes
 * with the aspect of real data (512 x 246, 448 x 204, 448 x 162); images relatively
 * taller than 512 x 246 (small test sizes such as 96 x 64) get taller-than-wide pixels,
 * as a downsampled acquisition would, so the anatomy still fills the same fraction of y.
 * @throws {ShapeError} for sizes below 16 x 16
 */
export function imageGeometry(nx: number, ny: number): ImageGeometry {
  if (!Number.isInteger(nx) || !Number.isInteger(ny) || nx < 16 || ny < 16) {
    throw new ShapeError(`phantom image size must be integers >= 16, got ${nx} x ${ny}`);
  }
  const sx0 = nx / 4 / NOMINAL_BODY.a;
  const syFit = (0.9 * ny) / 2 / NOMINAL_BODY.b;
  const pxPerMmY = Math.min(syFit, sx0 * Math.max(1, ny / nx / REFERENCE_ASPECT));
  const pxPerMmX = Math.min(sx0, pxPerMmY);
  return { cx: Math.floor(nx / 2), cy: Math.floor(ny / 2), pxPerMmX, pxPerMmY };
}

/**
 * Position of SAX slice `slice` of `nslices` along the LV, 0 = base, 1 = apex
 * (slices are ordered base to apex and cover 0.08 .. 0.88).
 */
export function saxSlicePosition(slice: number, nslices: number): number {
  if (nslices <= 1) return 0.45;
  return 0.08 + (0.8 * slice) / (nslices - 1);
}

/** Throws a {@link ShapeError} for an image size below 16 or a slice outside `0..nslices-1`. */
export function checkRender(
  what: string,
  slice: number,
  nslices: number,
  nx: number,
  ny: number,
): void {
  imageGeometry(nx, ny);
  if (!Number.isInteger(nslices) || nslices < 1 || !Number.isInteger(slice)) {
    throw new ShapeError(`${what}: bad slice ${slice} of ${nslices}`);
  }
  if (slice < 0 || slice >= nslices) {
    throw new ShapeError(`${what}: slice ${slice} is outside 0..${nslices - 1}`);
  }
}
