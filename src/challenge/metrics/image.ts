/**
 * What the metrics take: 2-D images as float32 values, MATLAB dims `(nx, ny)`,
 * column-major (x fastest), and the checks every metric does on them.
 *
 * @module
 */

import { ShapeError } from "../../errors.ts";

/** Values a metric accepts: converted to float32 first (the scorers read single data). */
export type ImageValues = Float32Array | Float64Array | ArrayLike<number>;

/** The values as float32 (the scorers read single data): a copy unless already float32. */
export function asF32(x: ImageValues): Float32Array {
  return x instanceof Float32Array ? x : Float32Array.from(x as ArrayLike<number>);
}

/** Refuses dims that are not positive integers, or a length that is not `nx * ny`. */
export function checkImage(what: string, x: ArrayLike<number>, nx: number, ny: number): void {
  if (!Number.isInteger(nx) || !Number.isInteger(ny) || nx < 1 || ny < 1) {
    throw new ShapeError(`${what}: image dims must be positive integers, got (${nx}, ${ny})`);
  }
  if (x.length !== nx * ny) {
    throw new ShapeError(
      `${what}: an (${nx}, ${ny}) image has ${nx * ny} values, got ${x.length}`,
      { hint: "pass one 2-D image, MATLAB dims (nx, ny), column-major" },
    );
  }
}
