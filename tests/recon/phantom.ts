/**
 * A fully sampled synthetic slice for the recon tests: cine frames, T1 (MOLLI) or T2
 * (T2-prep) weightings of a SAX phantom times synthetic coil maps, to k-space with fft2c,
 * plus complex noise, all scaled by 1e-3 like the synthetic datasets.
 *
 * @module
 */

import { fft2c, ifft2c } from "../../src/kspace/fft.ts";
import { rss } from "../../src/kspace/complex.ts";
import { unitMap } from "../../src/recon/iterative.ts";
import { coilMaps } from "../../src/synth/coils.ts";
import {
  cineFrame,
  mappingImages,
  molliTimes,
  phantomParams,
  t2PrepTimes,
} from "../../src/synth/phantom/mod.ts";
import { Rng } from "../../src/synth/random.ts";

export type Dims = [number, number, number, number];

/** A fully sampled synthetic slice, its ground truth and the true maps (unit RSS). */
export interface Phantom {
  /** k-space `(kx, ky, coil, frame)`. */
  full: Float32Array;
  dims: Dims;
  /** Coil maps `(x, y, coil)` normalised to unit root-sum-of-squares (1 for one coil). */
  maps: Float32Array;
  /** RSS of the fully sampled coil images, `(x, y, frame)` (the official reference). */
  gt: Float32Array;
}

/**
 * @param nx image size along x
 * @param ny image size along y
 * @param nc coils (one coil: a unit map)
 * @param nt frames or weightings
 * @param opts `kind` (default cine), complex noise sd `noise` relative to tissue (~1,
 *   default 0.01), `seed` of the noise
 */
export function slicePhantom(
  nx: number,
  ny: number,
  nc: number,
  nt: number,
  opts: { kind?: "cine" | "T1" | "T2"; noise?: number; seed: number },
): Phantom {
  const scale = 1e-3, noise = opts.noise ?? 0.01, kind = opts.kind ?? "cine";
  const params = phantomParams(3);
  const npix = nx * ny;
  const raw = nc === 1 ? unitMap(nx, ny) : coilMaps(nc, nx, ny, 3, 4);
  const norm = rss(raw, npix, nc);
  const maps = new Float32Array(raw.length);
  for (let i = 0; i < raw.length; i++) maps[i] = raw[i] / norm[(i >> 1) % npix];
  const weighted = kind === "cine" ? null : mappingImages(
    params,
    kind,
    4,
    10,
    (kind === "T1" ? molliTimes(4, 3) : t2PrepTimes()).slice(0, nt),
    nx,
    ny,
  ).images;
  const full = new Float32Array(2 * npix * nc * nt);
  const gt = new Float32Array(npix * nt);
  const coil = new Float32Array(2 * npix * nc);
  const rng = new Rng(opts.seed);
  for (let t = 0; t < nt; t++) {
    const img = weighted
      ? weighted.subarray(2 * npix * t, 2 * npix * (t + 1))
      : cineFrame(params, "sax", 4, 10, t, nt, nx, ny).image;
    for (let c = 0; c < nc; c++) {
      for (let p = 0; p < npix; p++) {
        const i = 2 * (npix * c + p);
        const ar = img[2 * p] * scale, ai = img[2 * p + 1] * scale;
        coil[i] = ar * raw[i] - ai * raw[i + 1];
        coil[i + 1] = ar * raw[i + 1] + ai * raw[i];
      }
    }
    const k = fft2c(coil, nx, ny, nc);
    for (let i = 0; i < k.length; i++) k[i] += noise * scale * rng.gaussian();
    full.set(k, 2 * npix * nc * t);
    gt.set(rss(ifft2c(k, nx, ny, nc), npix, nc), npix * t);
  }
  return { full, dims: [nx, ny, nc, nt], maps, gt };
}

/** Normalised squared error `sum (x - ref)^2 / sum ref^2`. */
export function nmse(x: Float32Array, ref: Float32Array): number {
  let e = 0, r = 0;
  for (let i = 0; i < ref.length; i++) {
    e += (x[i] - ref[i]) ** 2;
    r += ref[i] ** 2;
  }
  return e / r;
}
