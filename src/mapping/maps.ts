/**
 * Parametric maps of a whole mapping image: the air mask, the per-slice T1 (MOLLI) or T2
 * (T2-prep) fit with each slice's own times, and the MAT file the maps are saved in.
 *
 * Images are MATLAB dims `(x, y, slice, weighting)`, maps `(x, y, slice)`, column-major;
 * times come in as plain arrays `times[slice][weighting]` (ms). This module knows nothing of
 * the challenge: reading the csv times and the labels is `src/challenge/maps/`.
 *
 * @module
 */

import { CmrxError, ShapeError } from "../errors.ts";
import { writeMatV5 } from "../mat/v5/write.ts";
import { fitMolli, type MolliFitOptions } from "./t1.ts";
import { fitT2Prep, type T2FitOptions } from "./t2.ts";

/** Which relaxation time a mapping file measures. */
export type MapKind = "T1" | "T2";

/** Options of {@link fitMaps}. */
export interface MapFitOptions extends Omit<MolliFitOptions, "mask">, Omit<T2FitOptions, "mask"> {
  /**
   * Air mask: pixels whose largest magnitude over the weightings is below this fraction of
   * the slice's largest are not fitted (0 in every map); default 0.05, 0 fits every pixel.
   */
  airFraction?: number;
  /** Only pixels non-zero here are fitted, MATLAB dims `(nx, ny, nz)` (e.g. a label). */
  mask?: Uint8Array | null;
  /** Called after each slice. */
  onSlice?: (done: number, total: number) => void;
}

/** Maps of one image; every map has MATLAB dims `dims = (nx, ny, nz)`, column-major. */
export interface ParametricMaps {
  /** Which relaxation time was fitted. */
  kind: MapKind;
  /** MATLAB dims `(nx, ny, nz)` of every map and of `mask`. */
  dims: [number, number, number];
  /**
   * T1: `T1`, `A`, `B`, `T1star` (ms / signal units), `flips`, `rsq`; T2: `T2`, `S0`, `rsq`.
   * 0 where not fitted (air or outside the mask).
   */
  maps: Record<string, Float32Array>;
  /** 1 where the pixel was fitted. */
  mask: Uint8Array;
  /** The times (ms) used for each slice (trailing zero times dropped). */
  times: number[][];
}

/** The map kind of a file stem or csv name (`T1map`, `T2map.csv`), or null. */
export function mapKindOf(name: string): MapKind | null {
  const base = name.split("/").pop() ?? name;
  if (/T1/i.test(base)) return "T1";
  if (/T2/i.test(base)) return "T2";
  return null;
}

/**
 * Tissue mask of one slice: 1 where the largest magnitude over the weightings reaches
 * `fraction` of the slice's largest (relax_qmri uses 5 % of the image maximum).
 *
 * @param signals MATLAB dims `(npix, nw)` column-major, magnitudes (sign ignored)
 * @param npix pixels per weighting
 * @param nw weightings
 * @param fraction threshold relative to the slice's largest magnitude (default 0.05)
 * @returns one value per pixel: 1 tissue, 0 air (all 0 when the slice is all zero)
 */
export function airMask(
  signals: ArrayLike<number>,
  npix: number,
  nw: number,
  fraction = 0.05,
): Uint8Array {
  const peak = new Float32Array(npix);
  let top = 0;
  for (let w = 0; w < nw; w++) {
    for (let p = 0; p < npix; p++) {
      const v = Math.abs(signals[p + npix * w]);
      if (v > peak[p]) peak[p] = v;
    }
  }
  for (let p = 0; p < npix; p++) if (peak[p] > top) top = peak[p];
  const out = new Uint8Array(npix);
  const thr = fraction * top;
  for (let p = 0; p < npix; p++) out[p] = top > 0 && peak[p] >= thr ? 1 : 0;
  return out;
}

/**
 * Fits T1 or T2 maps to a magnitude mapping image.
 *
 * @param kind `T1` (MOLLI, times are inversion times) or `T2` (T2-prep, preparation times)
 * @param image magnitudes, MATLAB dims `(nx, ny, nz, nw)` column-major (weightings last,
 *   as `img4ranking` and the reconstructions hold them)
 * @param dims `[nx, ny, nz, nw]` (a 3-D `[nx, ny, nw]` is one slice)
 * @param times `times[z]`: the times (ms) of slice z's weightings (see `timesForSlices` in
 *   `src/challenge/maps/csv.ts`); slice z uses its first `times[z].length` weightings
 * @param opts air fraction, label mask, fit options of {@link fitMolli} / {@link fitT2Prep}
 * @returns the maps, MATLAB dims `(nx, ny, nz)`, with the fitted-pixel mask and the times
 * @throws {ShapeError} dims that do not match the data, a slice without times, a slice
 *   with more times than weightings, or times the fit refuses
 */
export function fitMaps(
  kind: MapKind,
  image: ArrayLike<number>,
  dims: readonly number[],
  times: readonly (readonly number[])[],
  opts: MapFitOptions = {},
): ParametricMaps {
  const d4 = dims.length === 3 ? [dims[0], dims[1], 1, dims[2]] : [...dims];
  const [nx, ny, nz, nw] = d4;
  if (d4.length !== 4 || d4.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new ShapeError(`fitMaps: expected MATLAB dims (x, y, slice, weighting), got [${dims}]`);
  }
  if (image.length !== nx * ny * nz * nw) {
    throw new ShapeError(
      `fitMaps: dims [${d4.join(", ")}] need ${nx * ny * nz * nw} values, got ${image.length}`,
    );
  }
  if (times.length !== nz) {
    throw new ShapeError(`fitMaps: ${times.length} slice(s) of times for ${nz} image slice(s)`);
  }
  const npix = nx * ny;
  const names = kind === "T1" ? ["T1", "A", "B", "T1star", "flips", "rsq"] : ["T2", "S0", "rsq"];
  const maps: Record<string, Float32Array> = {};
  for (const n of names) maps[n] = new Float32Array(npix * nz);
  const mask = new Uint8Array(npix * nz);
  const airFraction = opts.airFraction ?? 0.05;
  const slab = new Float32Array(npix * nw);
  for (let z = 0; z < nz; z++) {
    const tz = times[z];
    if (tz.length > nw) {
      throw new ShapeError(
        `fitMaps: slice ${z + 1} has ${tz.length} times but the image ${nw} weightings`,
      );
    }
    for (let w = 0; w < nw; w++) {
      const src = npix * (z + nz * w);
      for (let p = 0; p < npix; p++) slab[npix * w + p] = image[src + p];
    }
    const m = airFraction > 0 ? airMask(slab, npix, tz.length, airFraction) : new Uint8Array(npix)
      .fill(1);
    if (opts.mask) {
      for (let p = 0; p < npix; p++) if (!opts.mask[npix * z + p]) m[p] = 0;
    }
    mask.set(m, npix * z);
    const o = npix * z;
    if (kind === "T1") {
      const f = fitMolli(slab, npix, tz, { ...opts, mask: m });
      maps.T1.set(f.t1, o);
      maps.A.set(f.a, o);
      maps.B.set(f.b, o);
      maps.T1star.set(f.t1star, o);
      for (let p = 0; p < npix; p++) maps.flips[o + p] = f.flips[p];
      maps.rsq.set(f.rsq, o);
    } else {
      const f = fitT2Prep(slab, npix, tz, { ...opts, mask: m });
      maps.T2.set(f.t2, o);
      maps.S0.set(f.s0, o);
      maps.rsq.set(f.rsq, o);
    }
    opts.onSlice?.(z + 1, nz);
  }
  return { kind, dims: [nx, ny, nz], maps, mask, times: times.map((t) => [...t]) };
}

/**
 * Writes maps to a MAT v5 file atomically (tmp + rename): one single-precision variable per
 * map (`T1`, `A`, `B`, `T1star`, `flips`, `rsq` or `T2`, `S0`, `rsq`; MATLAB dims
 * `(nx, ny, nz)`), `mask` (uint8), `times` (double, `(nw, nz)`, ms, 0-padded) and `slices`
 * (the 1-based slices of the source file the maps belong to).
 *
 * @param path the `.mat` file to write; its folder is created
 * @param maps the maps from {@link fitMaps}
 * @param slices 0-based slices of the source file, one per map slice
 * @throws {CmrxError} when `slices` does not have one entry per map slice
 */
export async function writeMaps(
  path: string,
  maps: ParametricMaps,
  slices: readonly number[],
): Promise<void> {
  const [nx, ny, nz] = maps.dims;
  if (slices.length !== nz) {
    throw new CmrxError(`${slices.length} slice indices for ${nz} map slices`, { file: path });
  }
  const nw = Math.max(1, ...maps.times.map((t) => t.length));
  const times = new Float64Array(nw * nz);
  maps.times.forEach((t, z) => times.set(t, nw * z));
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : ".";
  await Deno.mkdir(dir, { recursive: true });
  await writeMatV5(path, [
    ...Object.entries(maps.maps).map(([name, data]) => ({
      name,
      array: { dims: [nx, ny, nz], matClass: "single" as const, complex: false, data },
    })),
    {
      name: "mask",
      array: {
        dims: [nx, ny, nz],
        matClass: "uint8" as const,
        complex: false,
        data: Float32Array.from(maps.mask),
      },
    },
    {
      name: "times",
      array: { dims: [nw, nz], matClass: "double" as const, complex: false, data: times },
    },
    {
      name: "slices",
      array: {
        dims: [1, nz],
        matClass: "double" as const,
        complex: false,
        data: Float64Array.from(slices, (s) => s + 1),
      },
    },
  ]);
}
