/**
 * Small element-wise helpers on complex interleaved `Float32Array` data (re, im pairs),
 * MATLAB column-major order.
 *
 * @module
 */

import { ShapeError } from "../errors.ts";

function checkComplex(what: string, data: Float32Array, n: number): void {
  if (data.length < 2 * n) {
    throw new ShapeError(
      `${what}: complex data has ${data.length / 2} elements, expected at least ${n}`,
    );
  }
}

/**
 * Magnitude of every element.
 * @param data complex interleaved, any dims, `n = data.length / 2` elements
 * @returns magnitudes, same dims, real `Float32Array` of length n
 */
export function abs(data: Float32Array): Float32Array {
  const n = data.length >> 1;
  const out = new Float32Array(n);
  for (let i = 0, j = 0; i < n; i++, j += 2) out[i] = Math.hypot(data[j], data[j + 1]);
  return out;
}

/**
 * Root-sum-of-squares coil combination (MATLAB `sos(x, 3)`, fastMRI `rss_complex`):
 * `sqrt(sum_c |x(:, :, c)|^2)`.
 * @param data complex interleaved, MATLAB dims `(nx, ny, ncoil)` flattened as `(npix, ncoil)`
 *   column-major (pixel fastest); trailing dims beyond `npix*ncoil` are ignored
 * @param npix pixels per coil image (`nx * ny`)
 * @param ncoil number of coils
 * @returns magnitude image, dims `(nx, ny)`, `Float32Array` of length npix
 * @throws {ShapeError} when the data is shorter than `npix * ncoil` complex values
 */
export function rss(data: Float32Array, npix: number, ncoil: number): Float32Array {
  checkComplex("rss", data, npix * ncoil);
  const acc = new Float64Array(npix);
  for (let c = 0; c < ncoil; c++) {
    const base = 2 * npix * c;
    for (let i = 0, j = base; i < npix; i++, j += 2) {
      const re = data[j], im = data[j + 1];
      acc[i] += re * re + im * im;
    }
  }
  const out = new Float32Array(npix);
  for (let i = 0; i < npix; i++) out[i] = Math.sqrt(acc[i]);
  return out;
}

/**
 * Element-wise product `a .* b` where `b` repeats: `b` holds `nb` complex values and is
 * applied to each consecutive block of `nb` values of `a` (e.g. one image times a stack
 * of coil maps is `multiply(maps, image)`).
 * @param a complex interleaved, dims `(nb, k)` flattened (any k >= 1)
 * @param b complex interleaved, dims `(nb)`; `a.length` must be a multiple of `b.length`
 * @param out destination (may be `a`), allocated when absent
 * @returns `out`: complex interleaved, dims of `a`
 * @throws {ShapeError} when the lengths are incompatible
 */
export function multiply(a: Float32Array, b: Float32Array, out?: Float32Array): Float32Array {
  return product("multiply", a, b, out, 1);
}

/**
 * Element-wise `a .* conj(b)` with `b` repeating as in {@link multiply}.
 * @param a complex interleaved, dims `(nb, k)` flattened
 * @param b complex interleaved, dims `(nb)`
 * @param out destination (may be `a`), allocated when absent
 * @returns `out`: complex interleaved, dims of `a`
 * @throws {ShapeError} when the lengths are incompatible
 */
export function multiplyConj(
  a: Float32Array,
  b: Float32Array,
  out?: Float32Array,
): Float32Array {
  return product("multiplyConj", a, b, out, -1);
}

function product(
  what: string,
  a: Float32Array,
  b: Float32Array,
  out: Float32Array | undefined,
  sign: 1 | -1,
): Float32Array {
  if (b.length === 0 || a.length % b.length !== 0 || (b.length & 1) !== 0) {
    throw new ShapeError(
      `${what}: a has ${a.length} floats, b has ${b.length}; a must hold whole copies of b`,
    );
  }
  const dst = out ?? new Float32Array(a.length);
  if (dst.length < a.length) {
    throw new ShapeError(`${what}: out has ${dst.length} floats, need ${a.length}`);
  }
  const nb = b.length;
  for (let base = 0; base < a.length; base += nb) {
    for (let j = 0; j < nb; j += 2) {
      const ar = a[base + j], ai = a[base + j + 1];
      const br = b[j], bi = sign * b[j + 1];
      dst[base + j] = ar * br - ai * bi;
      dst[base + j + 1] = ar * bi + ai * br;
    }
  }
  return dst;
}
