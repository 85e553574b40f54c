/**
 * Rendering T1 (MOLLI) and T2 (T2-prep) weighted series of a static SAX slice at
 * mid-diastole with their ground-truth T1/T2 maps. Images are MATLAB dims `(nx, ny, ntimes)`,
 * complex interleaved `(re, im)`; maps and labels `(nx, ny)`.
 *
 * @module
 */

import { ShapeError } from "../../errors.ts";
import { rngFor } from "../random.ts";
import { staticLayers } from "./chest.ts";
import { molliSignal, t2PrepSignal } from "./contrast.ts";
import { modulation, smoothField, textureField } from "./fields.ts";
import { checkRender, imageGeometry, saxSlicePosition } from "./geometry.ts";
import { saxHeart } from "./heart.ts";
import { smooth01 } from "./motion.ts";
import { drawLayer, type Raster, rot } from "./raster.ts";
import { LABEL, type MappingImages, type PhantomParams } from "./types.ts";

/** Contraction at which mapping images are drawn (ECG-triggered mid-diastole). */
const MAPPING_CONTRACTION = 0.08;

/**
 * Render a T1 (MOLLI) or T2 (T2-prep) weighted series of one static SAX slice at
 * mid-diastole, with ground-truth T1 and T2 maps.
 *
 * Partial-volume pixels blend the parameters (PD-weighted T1/T2), not the signals, so
 * every pixel follows the signal model exactly: T1 images are
 * `PD * |1 - 2.2 exp(-TI / T1*)|`, `T1* = T1 / 1.2` ({@link molliSignal}); T2 images are
 * `PD * exp(-TE / T2)` ({@link t2PrepSignal}); both times a smooth bias and phase.
 * T1 and T2 vary mildly (~±3 %) within tissues; an optional lesion raises them in a
 * myocardial sector.
 *
 * @param params patient from {@link phantomParams}
 * @param kind `"T1"` (times are inversion times) or `"T2"` (times are prep echo times)
 * @param slice slice index, 0 = base
 * @param nslices number of slices
 * @param times TI or TE per weighting, ms (e.g. {@link molliTimes}, {@link t2PrepTimes})
 * @param nx image size along x (readout, 2x oversampled)
 * @param ny image size along y
 * @returns images `(nx, ny, ntimes)` complex interleaved; label, t1, t2 `(nx, ny)`
 * @throws {ShapeError} for bad sizes or slice index
 */
export function mappingImages(
  params: PhantomParams,
  kind: "T1" | "T2",
  slice: number,
  nslices: number,
  times: number[],
  nx: number,
  ny: number,
): MappingImages {
  checkRender("mappingImages", slice, nslices, nx, ny);
  if (kind !== "T1" && kind !== "T2") {
    throw new ShapeError(`mappingImages: kind must be "T1" or "T2", got "${kind}"`);
  }
  const geo = imageGeometry(nx, ny);
  const n = nx * ny;
  const z = saxSlicePosition(slice, nslices);
  const pd = new Float32Array(n), pdT1 = new Float32Array(n), pdT2 = new Float32Array(n);
  const label = new Uint8Array(n);
  const raster: Raster = { nx, ny, geo, chans: [pd, pdT1, pdT2], label };
  const layers = [...staticLayers(params, "sax", z), ...saxHeart(params, z, MAPPING_CONTRACTION)];
  for (const layer of layers) {
    const t = params.tissues[layer.tissue];
    drawLayer(raster, layer, [t.pd, t.pd * t.t1, t.pd * t.t2]);
  }
  const tex = textureField(
    rngFor(params.seed, "texture", "map", slice),
    nx,
    ny,
    Math.sqrt(geo.pxPerMmX * geo.pxPerMmY),
  );
  // mild smooth spatial variation of T1 and T2, and the optional lesion
  const r = rngFor(params.seed, "mapping-variation", slice);
  const v1 = smoothField(r, nx, ny, 3), v2 = smoothField(r, nx, ny, 3);
  const t1 = new Float32Array(n), t2 = new Float32Array(n);
  const les = params.lesion;
  const inLesionSlice = les !== null && z >= les.zFrom && z <= les.zTo;
  const h = params.heart;
  const [ox, oy] = rot((z - 0.5) * 8, (z - 0.5) * 5, h.angle);
  const lcx = geo.cx + (h.cx + ox + 1.5 * MAPPING_CONTRACTION) * geo.pxPerMmX;
  const lcy = geo.cy + (h.cy + oy - 1.5 * MAPPING_CONTRACTION) * geo.pxPerMmY;
  for (let k = 0; k < n; k++) {
    if (pd[k] <= 1e-6) continue;
    let a1 = (pdT1[k] / pd[k]) * (1 + 0.03 * v1[k]);
    let a2 = (pdT2[k] / pd[k]) * (1 + 0.03 * v2[k]);
    if (inLesionSlice && label[k] === LABEL.MYOCARDIUM) {
      const ix = k % nx, iy = (k - ix) / nx;
      const ang = Math.atan2((iy - lcy) / geo.pxPerMmY, (ix - lcx) / geo.pxPerMmX);
      let dAng = Math.abs(ang - les!.angle);
      if (dAng > Math.PI) dAng = 2 * Math.PI - dAng;
      const f = smooth01((les!.width - dAng) / (0.4 * les!.width));
      a1 *= 1 + (les!.t1Scale - 1) * f;
      a2 *= 1 + (les!.t2Scale - 1) * f;
    }
    t1[k] = a1;
    t2[k] = a2;
    pd[k] *= 1 + 0.05 * tex[k];
  }
  const mod = modulation(params, `map-${kind}`, slice, nx, ny);
  const nt = times.length;
  const images = new Float32Array(2 * n * nt);
  for (let w = 0; w < nt; w++) {
    const tw = times[w];
    const base = 2 * n * w;
    for (let k = 0; k < n; k++) {
      if (pd[k] <= 1e-6) continue;
      const s = kind === "T1" ? molliSignal(tw, t1[k], pd[k]) : t2PrepSignal(tw, t2[k], pd[k]);
      images[base + 2 * k] = s * mod[2 * k];
      images[base + 2 * k + 1] = s * mod[2 * k + 1];
    }
  }
  return { images, label, t1, t2 };
}
