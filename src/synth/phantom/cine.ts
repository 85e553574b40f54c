/**
 * Rendering cine frames: the static surroundings of a view/slice (cached), the heart
 * at the frame's contraction on top, times the complex modulation. Images are MATLAB dims
 * `(nx, ny)`, complex interleaved `(re, im)`, blood magnitude ~1.
 *
 * @module
 */

import { ShapeError } from "../../errors.ts";
import { rngFor } from "../random.ts";
import { staticLayers } from "./chest.ts";
import { cineIntensities } from "./contrast.ts";
import { modulation, textureField } from "./fields.ts";
import { checkRender, imageGeometry, saxSlicePosition } from "./geometry.ts";
import { laxHeart, saxHeart } from "./heart.ts";
import { cardiacPhase, contractionAt } from "./motion.ts";
import { drawLayer, type Raster } from "./raster.ts";
import { type CineFrame, type CineView, LAX_VIEWS, type PhantomParams } from "./types.ts";

interface StaticCine {
  bg: Float32Array;
  label: Uint8Array;
  mod: Float32Array;
}

const staticCache = new Map<string, StaticCine>();
const STATIC_CACHE_SIZE = 8;

function staticCine(
  p: PhantomParams,
  view: CineView,
  slice: number,
  z: number,
  nx: number,
  ny: number,
): StaticCine {
  const key = `${JSON.stringify(p)}|${view}|${slice}|${z}|${nx}|${ny}`;
  const hit = staticCache.get(key);
  if (hit) {
    staticCache.delete(key); // refresh LRU position
    staticCache.set(key, hit);
    return hit;
  }
  const geo = imageGeometry(nx, ny);
  const bg = new Float32Array(nx * ny);
  const label = new Uint8Array(nx * ny);
  const raster: Raster = { nx, ny, geo, chans: [bg], label };
  const inten = cineIntensities(p);
  for (const layer of staticLayers(p, view, z)) {
    drawLayer(raster, layer, [inten[layer.tissue] * (layer.gain ?? 1)]);
  }
  const tex = textureField(
    rngFor(p.seed, "texture", view, slice),
    nx,
    ny,
    Math.sqrt(geo.pxPerMmX * geo.pxPerMmY),
  );
  for (let k = 0; k < bg.length; k++) bg[k] *= 1 + 0.06 * tex[k];
  const mod = modulation(p, view, view === "sax" ? slice : 0, nx, ny);
  const entry = { bg, label, mod };
  staticCache.set(key, entry);
  if (staticCache.size > STATIC_CACHE_SIZE) {
    staticCache.delete(staticCache.keys().next().value!);
  }
  return entry;
}

/**
 * Render one cine frame.
 *
 * @param params patient from {@link phantomParams}
 * @param view `"sax"`, or a long-axis view `"2ch" | "3ch" | "4ch"`
 * @param slice SAX slice index, 0 = base .. nslices-1 = apex (ignored for LAX views)
 * @param nslices number of SAX slices (ignored for LAX views; pass 1)
 * @param frame frame index; periodic: frame `nframes` equals frame 0
 * @param nframes frames per cardiac cycle (>= 1)
 * @param nx image size along x (readout, 2x oversampled)
 * @param ny image size along y (phase encode)
 * @returns complex image and labels, MATLAB dims `(nx, ny)`
 * @throws {ShapeError} for sizes below 16, or a slice outside `0..nslices-1`
 */
export function cineFrame(
  params: PhantomParams,
  view: CineView,
  slice: number,
  nslices: number,
  frame: number,
  nframes: number,
  nx: number,
  ny: number,
): CineFrame {
  const isSax = view === "sax";
  if (!isSax && !LAX_VIEWS.includes(view)) {
    throw new ShapeError(`unknown cine view "${view}"`, { hint: "use sax, 2ch, 3ch or 4ch" });
  }
  checkRender("cineFrame", isSax ? slice : 0, isSax ? nslices : 1, nx, ny);
  if (!(nframes >= 1)) throw new ShapeError(`cineFrame: nframes must be >= 1, got ${nframes}`);
  const z = isSax ? saxSlicePosition(slice, nslices) : 0.5;
  const st = staticCine(params, view, isSax ? slice : 0, z, nx, ny);
  const mag = st.bg.slice();
  const label = st.label.slice();
  const raster: Raster = { nx, ny, geo: imageGeometry(nx, ny), chans: [mag], label };
  const c = contractionAt(params, cardiacPhase(params, frame, nframes));
  const inten = cineIntensities(params);
  const layers = isSax ? saxHeart(params, z, c) : laxHeart(params, view, c);
  for (const layer of layers) {
    drawLayer(raster, layer, [inten[layer.tissue] * (layer.gain ?? 1)]);
  }
  const image = new Float32Array(2 * nx * ny);
  const mod = st.mod;
  for (let k = 0; k < nx * ny; k++) {
    const v = mag[k];
    image[2 * k] = v * mod[2 * k];
    image[2 * k + 1] = v * mod[2 * k + 1];
  }
  return { image, label };
}
