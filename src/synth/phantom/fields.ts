/**
 * Smooth random fields on the `(nx, ny)` pixel grid (x fastest): low-frequency
 * intensity variation, fine tissue texture, and the complex bias-and-phase modulation
 * (interleaved `(re, im)`) that makes the images genuinely complex.
 *
 * @module
 */

import { type Rng, rngFor } from "../random.ts";
import type { PhantomParams } from "./types.ts";

/**
 * A smooth random field on the pixel grid, about [-1, 1]: a sum of separable cosines up
 * to `order` half-periods across the image with decaying random amplitudes.
 */
export function smoothField(r: Rng, nx: number, ny: number, order: number): Float32Array {
  const out = new Float32Array(nx * ny);
  const cx = new Float64Array(nx), cy = new Float64Array(ny);
  let norm = 0;
  for (let p = 0; p <= order; p++) {
    for (let q = 0; q <= order; q++) {
      if (p === 0 && q === 0) continue;
      const amp = r.gaussian() / (1 + p + q);
      norm += Math.abs(amp);
      const phx = r.uniform(0, 2 * Math.PI), phy = r.uniform(0, 2 * Math.PI);
      for (let i = 0; i < nx; i++) cx[i] = Math.cos((Math.PI * p * i) / nx + phx);
      for (let j = 0; j < ny; j++) cy[j] = amp * Math.cos((Math.PI * q * j) / ny + phy);
      for (let j = 0; j < ny; j++) {
        const v = cy[j], row = nx * j;
        for (let i = 0; i < nx; i++) out[row + i] += v * cx[i];
      }
    }
  }
  const s = norm > 0 ? 1 / norm : 0;
  for (let i = 0; i < out.length; i++) out[i] *= 2 * s;
  return out;
}

/**
 * Fine tissue texture, about [-1, 1]: random plane waves with wavelengths of 6–25 mm
 * (never shorter than 4 px), so flat regions are not perfectly flat.
 */
export function textureField(r: Rng, nx: number, ny: number, pxPerMm: number): Float32Array {
  const out = new Float32Array(nx * ny);
  const nw = 32;
  const cx = new Float64Array(nx), sx = new Float64Array(nx);
  const cy = new Float64Array(ny), sy = new Float64Array(ny);
  for (let w = 0; w < nw; w++) {
    const lamPx = Math.max(4, r.uniform(6, 25) * pxPerMm);
    const dir = r.uniform(0, Math.PI), ph = r.uniform(0, 2 * Math.PI);
    const kx = ((2 * Math.PI) / lamPx) * Math.cos(dir),
      ky = ((2 * Math.PI) / lamPx) * Math.sin(dir);
    for (let i = 0; i < nx; i++) {
      cx[i] = Math.cos(kx * i + ph);
      sx[i] = Math.sin(kx * i + ph);
    }
    for (let j = 0; j < ny; j++) {
      cy[j] = Math.cos(ky * j);
      sy[j] = Math.sin(ky * j);
    }
    // cos(a + b) = cos a cos b - sin a sin b
    for (let j = 0; j < ny; j++) {
      const c = cy[j], sn = sy[j], row = nx * j;
      for (let i = 0; i < nx; i++) out[row + i] += cx[i] * c - sx[i] * sn;
    }
  }
  const s = 1 / Math.sqrt(nw / 2) / 2.5;
  for (let i = 0; i < out.length; i++) out[i] *= s;
  return out;
}

/** Complex modulation `bias * exp(i phase)` for one view/slice, interleaved (nx, ny). */
export function modulation(p: PhantomParams, tag: string, slice: number, nx: number, ny: number) {
  const r = rngFor(p.seed, "modulation", tag, slice);
  const bias = smoothField(r, nx, ny, 2);
  const phase = smoothField(r, nx, ny, 2);
  const ph0 = r.uniform(-Math.PI, Math.PI);
  const gx = r.uniform(-1, 1), gy = r.uniform(-1, 1);
  const out = new Float32Array(2 * nx * ny);
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      const k = i + nx * j;
      const b = 1 + 0.12 * bias[k];
      const ph = ph0 + 1.2 * phase[k] + gx * (i / nx - 0.5) + gy * (j / ny - 0.5);
      out[2 * k] = b * Math.cos(ph);
      out[2 * k + 1] = b * Math.sin(ph);
    }
  }
  return out;
}
