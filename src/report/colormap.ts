/**
 * Colour maps for the report: grey for magnitude images, and two perceptual maps defined
 * here from published anchor colours, interpolated in CIELAB (so equal steps in value are
 * near-equal steps in perceived colour, and lightness rises monotonically):
 *
 * - `relax` for T1/T2 maps: the nine colours of matplotlib's *viridis* at 0, 1/8, ..., 1
 *   (van der Walt and Smith, "A better default colormap for Matplotlib", SciPy 2015, as the
 *   matplotlib documentation lists them);
 * - `error` for |error| maps: the nine colours of *inferno* at the same points (same source),
 *   black for no error, so larger errors are brighter.
 *
 * A map is a 256-entry RGB lookup table; {@link applyColormap} windows values into it.
 *
 * @module
 */

import type { RasterImage } from "./png.ts";

/** A 256-entry lookup table, `rgb[3 * i + c]` for level `i`. */
export interface Colormap {
  /** Its name: `grey`, `relax`, `error`, or the name given to {@link colormapFromAnchors}. */
  name: string;
  /** 768 bytes: red, green, blue of each of the 256 levels. */
  rgb: Uint8Array;
}

/** The anchor colours of `relax` (viridis at k/8). */
export const RELAX_ANCHORS = [
  "#440154",
  "#472d7b",
  "#3b528b",
  "#2c728e",
  "#21918c",
  "#28ae80",
  "#5ec962",
  "#addc30",
  "#fde725",
] as const;

/** The anchor colours of `error` (inferno at k/8). */
export const ERROR_ANCHORS = [
  "#000004",
  "#210c4a",
  "#57106e",
  "#8a226a",
  "#bc3754",
  "#e45a31",
  "#f98e09",
  "#f9cb35",
  "#fcffa4",
] as const;

// sRGB (D65) <-> CIELAB, the IEC 61966-2-1 transfer curve and the CIE 1976 formulas.
const WHITE = [0.95047, 1, 1.08883];

function toLinear(c: number): number {
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

function fromLinear(c: number): number {
  const v = c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055;
  return Math.min(1, Math.max(0, v));
}

/** sRGB components in [0, 1] to CIELAB `[L*, a*, b*]`. */
export function srgbToLab(r: number, g: number, b: number): [number, number, number] {
  const [R, G, B] = [toLinear(r), toLinear(g), toLinear(b)];
  const xyz = [
    0.4124564 * R + 0.3575761 * G + 0.1804375 * B,
    0.2126729 * R + 0.7151522 * G + 0.072175 * B,
    0.0193339 * R + 0.119192 * G + 0.9503041 * B,
  ];
  const f = (t: number) => t > (6 / 29) ** 3 ? Math.cbrt(t) : t / (3 * (6 / 29) ** 2) + 4 / 29;
  const [fx, fy, fz] = xyz.map((v, i) => f(v / WHITE[i]));
  return [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)];
}

/** CIELAB to sRGB components in [0, 1] (clipped to the gamut). */
export function labToSrgb(L: number, a: number, b: number): [number, number, number] {
  const fy = (L + 16) / 116, fx = fy + a / 500, fz = fy - b / 200;
  const g = (t: number) => t > 6 / 29 ? t ** 3 : 3 * (6 / 29) ** 2 * (t - 4 / 29);
  const [X, Y, Z] = [g(fx) * WHITE[0], g(fy) * WHITE[1], g(fz) * WHITE[2]];
  return [
    fromLinear(3.2404542 * X - 1.5371385 * Y - 0.4985314 * Z),
    fromLinear(-0.969266 * X + 1.8760108 * Y + 0.041556 * Z),
    fromLinear(0.0556434 * X - 0.2040259 * Y + 1.0572252 * Z),
  ];
}

function hex(h: string): [number, number, number] {
  const n = parseInt(h.slice(1), 16);
  return [(n >> 16 & 255) / 255, (n >> 8 & 255) / 255, (n & 255) / 255];
}

/**
 * A 256-level map through equally spaced anchor colours (`#rrggbb`), interpolated linearly in
 * CIELAB. The first and last levels are the first and last anchors exactly.
 */
export function colormapFromAnchors(name: string, anchors: readonly string[]): Colormap {
  if (anchors.length < 2) throw new RangeError("a colour map needs at least two anchors");
  const lab = anchors.map((a) => srgbToLab(...hex(a)));
  const rgb = new Uint8Array(256 * 3);
  const segs = anchors.length - 1;
  for (let i = 0; i < 256; i++) {
    const u = (i / 255) * segs;
    const k = Math.min(segs - 1, Math.floor(u));
    const f = u - k;
    const [L, A, B] = [0, 1, 2].map((c) => lab[k][c] * (1 - f) + lab[k + 1][c] * f);
    const c = labToSrgb(L, A, B);
    for (let j = 0; j < 3; j++) rgb[3 * i + j] = Math.round(c[j] * 255);
  }
  return { name, rgb };
}

/** Linear grey from black to white. */
export const GREY_MAP: Colormap = {
  name: "grey",
  rgb: Uint8Array.from({ length: 768 }, (_, i) => Math.floor(i / 3)),
};

/** The perceptual map of T1/T2 maps (viridis anchors). */
export const RELAX_MAP: Colormap = colormapFromAnchors("relax", RELAX_ANCHORS);

/** The perceptual map of |error| maps (inferno anchors; black = no error). */
export const ERROR_MAP: Colormap = colormapFromAnchors("error", ERROR_ANCHORS);

/**
 * Maps values to a colour image: `lo` -> level 0, `hi` -> level 255, clipped; NaN is shown
 * as level 0.
 *
 * @param values image, MATLAB dims `(nx, ny)` column-major: `values[x + nx * y]`
 * @param nx rows of the picture (MATLAB dim 1 is drawn top to bottom, as MATLAB's imshow)
 * @param ny columns of the picture
 * @param lo value of the darkest level
 * @param hi value of the brightest level (> lo)
 * @param map the lookup table (grey gives a 1-channel image)
 */
export function applyColormap(
  values: ArrayLike<number>,
  nx: number,
  ny: number,
  lo: number,
  hi: number,
  map: Colormap = GREY_MAP,
): RasterImage {
  const grey = map === GREY_MAP;
  const ch = grey ? 1 : 3;
  const data = new Uint8Array(nx * ny * ch);
  const scale = hi > lo ? 255 / (hi - lo) : 0;
  for (let x = 0; x < nx; x++) {
    for (let y = 0; y < ny; y++) {
      const v = values[x + nx * y];
      let level = Math.round((v - lo) * scale);
      level = level >= 0 ? (level > 255 ? 255 : level) : 0; // NaN fails both: 0
      const o = (x * ny + y) * ch;
      if (grey) data[o] = level;
      else {
        data[o] = map.rgb[3 * level];
        data[o + 1] = map.rgb[3 * level + 1];
        data[o + 2] = map.rgb[3 * level + 2];
      }
    }
  }
  return { width: ny, height: nx, channels: ch as 1 | 3, data };
}

/** A horizontal colour bar, `width` x `height` pixels, low values on the left. */
export function colorbar(map: Colormap, width = 256, height = 12): RasterImage {
  const data = new Uint8Array(width * height * 3);
  for (let x = 0; x < width; x++) {
    const level = Math.round((x / Math.max(1, width - 1)) * 255);
    for (let y = 0; y < height; y++) {
      data.set(map.rgb.subarray(3 * level, 3 * level + 3), 3 * (y * width + x));
    }
  }
  return { width, height, channels: 3, data };
}
