/**
 * A synthetic cardiac MR phantom in the image domain: chest (body outline, subcutaneous
 * fat, muscle, ribs, sternum, lungs with vessels, liver, spine, descending aorta) and a
 * beating heart (LV, myocardium, RV, papillary muscles, atria, valves, aortic root) for
 * short-axis (SAX) and long-axis (2ch/3ch/4ch) cine, plus static T1 (MOLLI) and T2
 * (T2-prep) weighted mapping series with their ground-truth T1/T2 maps.
 *
 * Everything is deterministic for a seed; randomness comes from {@link phantomParams}
 * (per patient) and from streams derived from `params.seed` per view and slice.
 *
 * ## Geometry
 * Images are `(nx, ny)` with x (readout, first MATLAB dim, fastest in memory) 2x
 * oversampled: the body fills roughly the central half of x. Anatomy is described in
 * millimetres about the image centre (pixel `floor(nx/2), floor(ny/2)`, the k-space centre
 * and the centre of the official run4Ranking crop); x grows to the patient's left,
 * y grows posterior. Pixels are square for real sizes; the scale is chosen by
 * {@link imageGeometry} so that the body fits the central half of x and the heart lies inside the crop window
 * `x in [floor(nx/2) - floor(round(nx/3)/2), +round(nx/3))`,
 * `y in [floor(ny/2) - floor(round(ny/2)/2), +round(ny/2))`.
 *
 * Edges are partial-volume ramps about 1.2 px wide (no hard steps, so Gibbs ringing does
 * not dominate); images carry a smooth low-frequency intensity variation and a smooth
 * background phase, so they are genuinely complex.
 *
 * ## Labels (Uint8Array, one per pixel)
 * | value | meaning |
 * |---|---|
 * | 0 | background (air) |
 * | 1 | LV blood pool (papillary muscles included, as in ACDC / CMRxRecon) |
 * | 2 | LV myocardium (incl. septum) |
 * | 3 | RV blood pool |
 * | 4 | other soft tissue: skeletal muscle, RV free wall, atrial walls, valves, mediastinum |
 * | 5 | fat (subcutaneous, epicardial) |
 * | 6 | lung |
 * | 7 | liver |
 * | 8 | atrial blood (LA, RA) |
 * | 9 | other vessel blood (aorta, pulmonary vessels) |
 * | 10 | bone and spinal canal (vertebra, ribs, sternum, CSF) |
 *
 * The first four values match the CMRxRecon mapping labels (0 BG, 1 LV, 2 Myo, 3 RV).
 * A pixel gets the label of the top-most structure covering at least half of it.
 *
 * ## Cardiac cycle
 * Frame `f` of `nframes` is at phase `frac(f / nframes + phaseOffset)`; the contraction
 * curve (0 = end-diastole, 1 = end-systole) is C1-periodic: a raised-cosine systole of
 * 33–40 % of the cycle, rapid early filling, diastasis and an atrial kick, so the last
 * frame flows smoothly into the first. Blood pools shrink in systole; the LV myocardium
 * keeps its cross-sectional area (so it thickens); the RV contracts; in long-axis views
 * the base descends toward the fixed apex and the atria fill.
 *
 * @module
 */

import { type Rng, rngFor } from "./random.ts";
import { ShapeError } from "../errors.ts";

// =======================================================================================
// Public types and constants
// =======================================================================================

/** Cine views: short axis and the three long-axis views (the 3 "slices" of cine_lax). */
export type CineView = "sax" | "2ch" | "3ch" | "4ch";

/** Long-axis views in the order they are stored as slices of `cine_lax` (kz = 0, 1, 2). */
export const LAX_VIEWS: readonly CineView[] = ["2ch", "3ch", "4ch"];

/** Label values of the phantom's segmentation (see the module table). */
export const LABEL = {
  BACKGROUND: 0,
  LV_BLOOD: 1,
  MYOCARDIUM: 2,
  RV_BLOOD: 3,
  OTHER: 4,
  FAT: 5,
  LUNG: 6,
  LIVER: 7,
  ATRIAL_BLOOD: 8,
  VESSEL_BLOOD: 9,
  BONE: 10,
} as const;

/** Tissue classes the phantom is built from. */
export type Tissue =
  | "air"
  | "fat"
  | "muscle"
  | "lung"
  | "liver"
  | "myocardium"
  | "blood"
  | "marrow"
  | "cortical"
  | "csf"
  | "soft";

/** Relaxation and proton density of a tissue at 3 T. */
export interface TissueProps {
  /** longitudinal relaxation time, ms */
  t1: number;
  /** transverse relaxation time, ms */
  t2: number;
  /** relative proton density (water = 1) */
  pd: number;
}

/** Random but plausible anatomy and physiology of one synthetic patient (mm, rad, ms). */
export interface PhantomParams {
  /** seed the parameters came from; also seeds the per-view/per-slice details */
  seed: number;
  /** body outline: centre offset from the image centre, semi-axes, layer thicknesses (mm) */
  body: { cx: number; cy: number; a: number; b: number; fat: number; muscle: number };
  /** heart placement and size */
  heart: {
    /** LV centre at mid-ventricle in SAX, mm from the image centre */
    cx: number;
    cy: number;
    /** in-plane rotation of the SAX anatomy, rad */
    angle: number;
    /** end-diastolic LV endocardial radius at mid-ventricle, mm */
    lvRadius: number;
    /** end-diastolic LV wall thickness, mm */
    wall: number;
    /** RV size relative to normal */
    rvSize: number;
    /** end-diastolic LV cavity length base to apex (long-axis views), mm */
    lvLength: number;
    /** direction base -> apex in the long-axis views, rad from +x (negative = up-right) */
    laxAngle: number;
    /** centre of the long-axis heart (midway LA to apex), mm from the image centre */
    laxCx: number;
    laxCy: number;
    /** atrial size relative to normal */
    atrialSize: number;
    /** epicardial fat thickness, mm */
    epiFat: number;
  };
  /** cardiac motion */
  motion: {
    /** phase of frame 0 in cycles (small: frame 0 is near end-diastole) */
    phaseOffset: number;
    /** fraction of the cycle spent in systole */
    systole: number;
    /** fractional shrink of the LV endocardial radius at end-systole */
    contraction: number;
    /** fractional shrink of the RV at end-systole */
    rvContraction: number;
    /** fractional long-axis shortening at end-systole */
    shortening: number;
  };
  /** tissue relaxation properties */
  tissues: Record<Tissue, TissueProps>;
  /** multiplicative cine brightness jitter per tissue (inflow, flow voids, coil loading) */
  brightness: Record<Tissue, number>;
  /** optional myocardial lesion (oedema-like raised T1/T2 in a sector), or null */
  lesion: null | {
    /** sector centre angle relative to the LV centre, rad */
    angle: number;
    /** sector half-width, rad */
    width: number;
    /** SAX slice positions (0 base .. 1 apex) covered */
    zFrom: number;
    zTo: number;
    /** multiplicative raise of T1 and T2 inside the lesion */
    t1Scale: number;
    t2Scale: number;
  };
}

/** A rendered cine frame. */
export interface CineFrame {
  /** complex interleaved image, MATLAB dims `(nx, ny)` (x fastest), blood magnitude ~1 */
  image: Float32Array;
  /** labels, dims `(nx, ny)`, values as in {@link LABEL} */
  label: Uint8Array;
}

/** A rendered mapping series with ground truth. */
export interface MappingImages {
  /** complex interleaved images, MATLAB dims `(nx, ny, ntimes)` */
  images: Float32Array;
  /** labels, dims `(nx, ny)` */
  label: Uint8Array;
  /** ground-truth T1, ms, dims `(nx, ny)`; 0 in air */
  t1: Float32Array;
  /** ground-truth T2, ms, dims `(nx, ny)`; 0 in air */
  t2: Float32Array;
}

/** MOLLI apparent-recovery ratio B/A used by the signal model. */
export const MOLLI_B_OVER_A = 2.2;

// =======================================================================================
// Parameters
// =======================================================================================

/** Nominal 3 T tissue properties (ms, ms, relative PD). */
const TISSUES: Record<Tissue, TissueProps> = {
  air: { t1: 0, t2: 0, pd: 0 },
  fat: { t1: 400, t2: 60, pd: 0.9 },
  muscle: { t1: 1400, t2: 35, pd: 0.75 },
  lung: { t1: 1300, t2: 40, pd: 0.12 },
  liver: { t1: 800, t2: 30, pd: 0.7 },
  myocardium: { t1: 1200, t2: 45, pd: 0.75 },
  blood: { t1: 1900, t2: 250, pd: 0.9 },
  marrow: { t1: 600, t2: 50, pd: 0.6 },
  cortical: { t1: 1000, t2: 10, pd: 0.03 },
  csf: { t1: 4000, t2: 1500, pd: 1.0 },
  soft: { t1: 1100, t2: 50, pd: 0.7 },
};

const TISSUE_NAMES = Object.keys(TISSUES) as Tissue[];

/**
 * Random but plausible anatomy for one patient. Same seed, same patient.
 * @param seed patient seed (e.g. `deriveSeed(datasetSeed, "P001")`)
 */
export function phantomParams(seed: number): PhantomParams {
  const r = rngFor(seed, "phantom");
  const bodyA = r.uniform(150, 172);
  const bodyB = r.uniform(105, 122);
  const tissues = {} as Record<Tissue, TissueProps>;
  const brightness = {} as Record<Tissue, number>;
  for (const name of TISSUE_NAMES) {
    const t = TISSUES[name];
    tissues[name] = {
      t1: Math.round(r.jitter(t.t1, 0.05)),
      t2: Math.round(r.jitter(t.t2, 0.08) * 10) / 10,
      pd: r.jitter(t.pd, 0.05),
    };
    brightness[name] = r.jitter(1, 0.08);
  }
  brightness.blood = r.uniform(1.0, 1.12); // inflow enhancement
  brightness.csf = 0.55;
  const hasLesion = r.uniform() < 0.3;
  const lesion = hasLesion
    ? {
      angle: r.uniform(-Math.PI, Math.PI),
      width: r.uniform(0.35, 0.8),
      zFrom: r.uniform(0, 0.5),
      zTo: r.uniform(0.55, 1),
      t1Scale: r.uniform(1.08, 1.2),
      t2Scale: r.uniform(1.15, 1.35),
    }
    : null;
  // the scanner FOV is centred on the heart; the body centre lies to the patient's right
  // of and posterior to it
  const heartX = r.uniform(-2, 10), heartY = r.uniform(-6, 6);
  return {
    seed: seed >>> 0,
    body: {
      cx: heartX - r.uniform(14, 28),
      cy: heartY + r.uniform(18, 30),
      a: bodyA,
      b: bodyB,
      fat: r.uniform(7, 20),
      muscle: r.uniform(9, 15),
    },
    heart: {
      cx: heartX,
      cy: heartY,
      angle: r.uniform(-0.25, 0.25),
      lvRadius: r.uniform(22, 28),
      wall: r.uniform(8, 11),
      rvSize: r.uniform(0.85, 1.15),
      lvLength: r.uniform(78, 92),
      laxAngle: r.uniform(-0.4, -0.15),
      laxCx: heartX + r.uniform(-8, 2),
      laxCy: heartY + r.uniform(-3, 3),
      atrialSize: r.uniform(0.9, 1.15),
      epiFat: r.uniform(1, 5),
    },
    motion: {
      phaseOffset: r.uniform(-0.03, 0.03),
      systole: r.uniform(0.33, 0.4),
      contraction: r.uniform(0.28, 0.38),
      rvContraction: r.uniform(0.2, 0.3),
      shortening: r.uniform(0.1, 0.16),
    },
    tissues,
    brightness,
    lesion,
  };
}

// =======================================================================================
// Geometry helpers
// =======================================================================================

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

/** Phase in cycles, in [0, 1), of frame `frame` of `nframes` (periodic in `frame`). */
export function cardiacPhase(params: PhantomParams, frame: number, nframes: number): number {
  const p = frame / nframes + params.motion.phaseOffset;
  return p - Math.floor(p);
}

/**
 * Contraction at a cardiac phase: 0 at end-diastole, 1 at end-systole (phase =
 * `params.motion.systole`). C1-periodic with period 1.
 */
export function contractionAt(params: PhantomParams, phase: number): number {
  const ph = phase - Math.floor(phase);
  const ts = params.motion.systole;
  if (ph < ts) return 0.5 - 0.5 * Math.cos((Math.PI * ph) / ts);
  const s = (ph - ts) / (1 - ts);
  const early = 0.8 * smooth01(s / 0.4); // rapid filling
  const kick = 0.2 * smooth01((s - 0.72) / 0.23); // atrial contraction
  return Math.max(0, 1 - early - kick);
}

function smooth01(t: number): number {
  if (t <= 0) return 0;
  if (t >= 1) return 1;
  return t * t * (3 - 2 * t);
}

// =======================================================================================
// Rasteriser: ellipses (with radial harmonics), intersections and half-plane clips,
// composited back to front with ~1 px partial-volume edges
// =======================================================================================

interface Ellipse {
  /** centre, mm */
  cx: number;
  cy: number;
  /** semi-axis along the rotated u axis, mm */
  a: number;
  /** semi-axis along the rotated v axis, mm */
  b: number;
  /** rotation of the u axis from +x, rad */
  th: number;
  /** radial perturbation: flattened [k, amplitude, phase, ...] */
  harm?: number[];
}

interface Layer {
  shape: Ellipse;
  /** intersect with these shapes */
  and?: Ellipse[];
  /** keep the side nx*X + ny*Y <= c of each half-plane (unit normal, mm) */
  clip?: [number, number, number][];
  tissue: Tissue;
  label: number;
  /** cine brightness multiplier */
  gain?: number;
}

/** Half-width of the partial-volume edge ramp, px. */
const EDGE_HALF = 0.6;

class Prepared {
  readonly cx: number;
  readonly cy: number;
  readonly c: number;
  readonly s: number;
  readonly ia: number;
  readonly ib: number;
  readonly ia2: number;
  readonly ib2: number;
  readonly minAxis: number;
  readonly hk: Int32Array;
  readonly hc: Float64Array;
  readonly hs: Float64Array;
  readonly maxK: number;
  readonly reach: number;

  constructor(e: Ellipse) {
    this.cx = e.cx;
    this.cy = e.cy;
    this.c = Math.cos(e.th);
    this.s = Math.sin(e.th);
    const a = Math.max(e.a, 1e-3), b = Math.max(e.b, 1e-3);
    this.ia = 1 / a;
    this.ib = 1 / b;
    this.ia2 = 1 / (a * a);
    this.ib2 = 1 / (b * b);
    this.minAxis = Math.min(a, b);
    const h = e.harm ?? [];
    const n = Math.floor(h.length / 3);
    this.hk = new Int32Array(n);
    this.hc = new Float64Array(n);
    this.hs = new Float64Array(n);
    let amp = 0, maxK = 0;
    for (let i = 0; i < n; i++) {
      const k = h[3 * i], am = h[3 * i + 1], ph = h[3 * i + 2];
      this.hk[i] = k;
      // amp * cos(k t - ph) = amp cos(ph) cos(kt) + amp sin(ph) sin(kt)
      this.hc[i] = am * Math.cos(ph);
      this.hs[i] = am * Math.sin(ph);
      amp += Math.abs(am);
      if (k > maxK) maxK = k;
    }
    this.maxK = maxK;
    this.reach = Math.max(a, b) * (1 + amp);
  }

  /** Approximate signed distance in mm (negative inside), accurate near the boundary. */
  sd(X: number, Y: number): number {
    const dx = X - this.cx, dy = Y - this.cy;
    const u = dx * this.c + dy * this.s, v = dy * this.c - dx * this.s;
    const ua = u * this.ia, vb = v * this.ib;
    const q = Math.sqrt(ua * ua + vb * vb);
    if (q < 1e-9) return -this.minAxis;
    let rad = 1;
    if (this.maxK > 0) {
      const ct = ua / q, st = vb / q;
      let ck = 1, sk = 0;
      let j = 0;
      for (let k = 1; k <= this.maxK; k++) {
        const nc = ck * ct - sk * st;
        sk = sk * ct + ck * st;
        ck = nc;
        while (j < this.hk.length && this.hk[j] === k) {
          rad += this.hc[j] * ck + this.hs[j] * sk;
          j++;
        }
      }
    }
    const gx = ua * this.ia, gy = vb * this.ib;
    const g = Math.sqrt(gx * gx + gy * gy) / q;
    return (q - rad) / g;
  }
}

interface Raster {
  nx: number;
  ny: number;
  geo: ImageGeometry;
  chans: Float32Array[];
  label: Uint8Array;
}

function drawLayer(r: Raster, layer: Layer, vals: number[]): void {
  const main = new Prepared(layer.shape);
  const ands = (layer.and ?? []).map((e) => new Prepared(e));
  const clips = layer.clip ?? [];
  const { nx, ny, geo, chans, label } = r;
  const sx = geo.pxPerMmX, sy = geo.pxPerMmY;
  const s = Math.sqrt(sx * sy); // mm -> px for the edge ramp
  let xmin = main.cx - main.reach, xmax = main.cx + main.reach;
  let ymin = main.cy - main.reach, ymax = main.cy + main.reach;
  for (const a of ands) {
    xmin = Math.max(xmin, a.cx - a.reach);
    xmax = Math.min(xmax, a.cx + a.reach);
    ymin = Math.max(ymin, a.cy - a.reach);
    ymax = Math.min(ymax, a.cy + a.reach);
  }
  const x0 = Math.max(0, Math.floor(geo.cx + xmin * sx - 2));
  const x1 = Math.min(nx - 1, Math.ceil(geo.cx + xmax * sx + 2));
  const y0 = Math.max(0, Math.floor(geo.cy + ymin * sy - 2));
  const y1 = Math.min(ny - 1, Math.ceil(geo.cy + ymax * sy + 2));
  const nch = chans.length;
  const lab = layer.label;
  const invx = 1 / sx, invy = 1 / sy;
  for (let iy = y0; iy <= y1; iy++) {
    const Y = (iy - geo.cy) * invy;
    const row = nx * iy;
    for (let ix = x0; ix <= x1; ix++) {
      const X = (ix - geo.cx) * invx;
      let d = main.sd(X, Y);
      for (let i = 0; i < ands.length; i++) {
        const da = ands[i].sd(X, Y);
        if (da > d) d = da;
      }
      for (let i = 0; i < clips.length; i++) {
        const cl = clips[i];
        const dc = cl[0] * X + cl[1] * Y - cl[2];
        if (dc > d) d = dc;
      }
      const dp = d * s;
      if (dp >= EDGE_HALF) continue;
      let al = 1;
      if (dp > -EDGE_HALF) {
        const t = (EDGE_HALF - dp) / (2 * EDGE_HALF);
        al = t * t * (3 - 2 * t);
      }
      const p = row + ix;
      for (let c = 0; c < nch; c++) {
        const ch = chans[c];
        ch[p] += al * (vals[c] - ch[p]);
      }
      if (al >= 0.5) label[p] = lab;
    }
  }
}

// =======================================================================================
// Anatomy: static surroundings
// =======================================================================================

function circle(cx: number, cy: number, r: number, harm?: number[]): Ellipse {
  return { cx, cy, a: r, b: r, th: 0, harm };
}

/** Rotate a vector (x, y) by angle t (image coordinates, y down). */
function rot(x: number, y: number, t: number): [number, number] {
  const c = Math.cos(t), s = Math.sin(t);
  return [x * c - y * s, x * s + y * c];
}

/** Static chest anatomy for one view/slice (body, fat, muscle, ribs, lungs, liver, spine). */
function staticLayers(p: PhantomParams, view: CineView, z: number): Layer[] {
  const r = rngFor(p.seed, "static", view, Math.round(z * 1000));
  const { body } = p;
  const L: Layer[] = [];
  const bx = body.cx, by = body.cy;
  const wob = [2, r.uniform(-0.03, 0.03), r.uniform(0, 6.3), 3, r.uniform(0, 0.025), 0];
  // body outline -> subcutaneous fat
  L.push({
    shape: { cx: bx, cy: by, a: body.a, b: body.b, th: 0, harm: wob },
    tissue: "fat",
    label: LABEL.FAT,
  });
  // muscle layer (pectorals, intercostals, back muscles)
  const ma = body.a - body.fat, mb = body.b - body.fat * 0.8;
  L.push({
    shape: { cx: bx, cy: by, a: ma, b: mb, th: 0, harm: wob },
    tissue: "muscle",
    label: LABEL.OTHER,
  });
  // thoracic cavity (lungs), a bit anterior; posterior wall thicker (paraspinal muscles)
  const ta = ma - body.muscle, tb = mb - body.muscle - 6;
  const tcy = by - 5;
  const thorax: Ellipse = { cx: bx, cy: tcy, a: ta, b: tb, th: 0 };
  // ribs: cortical bone ovals in the chest wall just outside the cavity
  const nRibs = 10;
  for (let i = 0; i < nRibs; i++) {
    const t = -Math.PI * 0.92 + (i / (nRibs - 1)) * Math.PI * 0.84 + r.uniform(-0.05, 0.05);
    const side = i % 2 === 0 ? 1 : -1;
    const ang = side > 0 ? t : Math.PI + t;
    const rx = bx + Math.cos(ang) * (ta + body.muscle * 0.45);
    const ry = tcy + Math.sin(ang) * (tb + body.muscle * 0.45);
    if (Math.abs(Math.cos(ang)) < 0.25 && Math.sin(ang) < 0) continue; // not over the sternum
    L.push({
      shape: { cx: rx, cy: ry, a: r.uniform(5, 8), b: 3.2, th: ang + Math.PI / 2 },
      tissue: "cortical",
      label: LABEL.BONE,
    });
    L.push({
      shape: { cx: rx, cy: ry, a: r.uniform(3, 5), b: 1.6, th: ang + Math.PI / 2 },
      tissue: "marrow",
      label: LABEL.BONE,
    });
  }
  // sternum
  L.push({
    shape: { cx: bx + r.uniform(-3, 3), cy: by - mb + body.muscle * 0.55, a: 14, b: 5.5, th: 0 },
    tissue: "marrow",
    label: LABEL.BONE,
  });
  L.push({ shape: thorax, tissue: "lung", label: LABEL.LUNG });
  // pulmonary vessels: small bright-ish dots in the lungs
  const nVessels = r.int(12, 22);
  for (let i = 0; i < nVessels; i++) {
    const ang = r.uniform(0, 2 * Math.PI), rad = Math.sqrt(r.uniform(0.15, 0.92));
    const vr = r.uniform(1.5, 3.5);
    L.push({
      shape: {
        cx: bx + Math.cos(ang) * rad * ta,
        cy: tcy + Math.sin(ang) * rad * tb,
        a: vr * r.uniform(1, 2.2),
        b: vr,
        th: r.uniform(0, Math.PI),
      },
      and: [thorax],
      tissue: "blood",
      label: LABEL.VESSEL_BLOOD,
      gain: r.uniform(0.35, 0.7),
    });
  }
  // liver under the right hemidiaphragm: lower left of the image, larger toward the apex
  const lv = view === "sax" ? 0.7 + 0.5 * z : 0.8;
  const cavity = { ...thorax, a: thorax.a + 2, b: thorax.b + 2 };
  L.push({
    shape: {
      cx: bx - 40 - 15 * (1 - lv),
      cy: tcy + tb * 0.55,
      a: 100 * lv,
      b: 70 * lv,
      th: -0.3,
      harm: [2, 0.04, r.uniform(0, 6.3), 3, 0.03, r.uniform(0, 6.3)],
    },
    and: [cavity],
    tissue: "liver",
    label: LABEL.LIVER,
  });
  // hepatic vessels
  const nHep = r.int(4, 9);
  for (let i = 0; i < nHep; i++) {
    const ang = r.uniform(0, 2 * Math.PI), rad = Math.sqrt(r.uniform(0.05, 0.6));
    const vr = r.uniform(2, 5);
    L.push({
      shape: {
        cx: bx - 40 - 15 * (1 - lv) + Math.cos(ang) * rad * 100 * lv,
        cy: tcy + tb * 0.55 + Math.sin(ang) * rad * 70 * lv,
        a: vr * r.uniform(1, 2),
        b: vr,
        th: r.uniform(0, Math.PI),
      },
      and: [cavity],
      tissue: "blood",
      label: LABEL.VESSEL_BLOOD,
      gain: r.uniform(0.5, 0.8),
    });
  }
  // stomach below the apex (mid/apical SAX, and the LAX views): fluid with a gas cap
  const st = view === "sax" ? smooth01((z - 0.35) / 0.4) : 0.6;
  if (st > 0.05) {
    const scx = bx + 75, scy = tcy + tb * 0.62;
    const sa = 38 * st + 4, sb = 26 * st + 3;
    L.push({
      shape: { cx: scx, cy: scy, a: sa + 3, b: sb + 3, th: 0.4 },
      and: [cavity],
      tissue: "soft",
      label: LABEL.OTHER,
    });
    L.push({
      shape: { cx: scx, cy: scy, a: sa, b: sb, th: 0.4 },
      and: [cavity],
      tissue: "csf",
      label: LABEL.OTHER,
      gain: 0.9,
    });
    // gas floats anterior: an air-fluid level
    L.push({
      shape: { cx: scx, cy: scy, a: sa, b: sb, th: 0.4 },
      clip: [[0, 1, scy - sb * r.uniform(0.35, 0.6)]],
      tissue: "air",
      label: LABEL.BACKGROUND,
    });
  }
  // spine: paraspinal muscles, vertebral body (cortex + marrow), spinal canal
  const sy = tcy + tb - 4;
  L.push({
    shape: { cx: bx, cy: sy + 14, a: 48, b: 24, th: 0 },
    and: [{ cx: bx, cy: by, a: body.a - body.fat, b: body.b - body.fat * 0.8, th: 0 }],
    tissue: "muscle",
    label: LABEL.OTHER,
  });
  L.push({ shape: circle(bx, sy, 18), tissue: "cortical", label: LABEL.BONE });
  L.push({ shape: circle(bx, sy, 16), tissue: "marrow", label: LABEL.BONE });
  L.push({ shape: circle(bx, sy + 26, 7.5), tissue: "csf", label: LABEL.BONE });
  // descending aorta, left-anterior of the spine
  L.push({ shape: circle(bx + 26, sy - 16, 13.5), tissue: "soft", label: LABEL.OTHER });
  L.push({
    shape: circle(bx + 26, sy - 16, 11.5),
    tissue: "blood",
    label: LABEL.VESSEL_BLOOD,
    gain: 0.9,
  });
  // oesophagus: small soft-tissue blob between aorta and heart
  L.push({ shape: circle(bx + 6, sy - 28, 6), tissue: "soft", label: LABEL.OTHER });
  return L;
}

// =======================================================================================
// Anatomy: the heart
// =======================================================================================

/** SAX heart at slice position z (0 base .. 1 apex) and contraction c (0 ED .. 1 ES). */
function saxHeart(p: PhantomParams, z: number, c: number): Layer[] {
  const h = p.heart, m = p.motion;
  const th = h.angle;
  const L: Layer[] = [];
  // the long axis is oblique to the slices: the centre drifts from base to apex
  const [ox, oy] = rot((z - 0.5) * 8, (z - 0.5) * 5, th);
  const lcx = h.cx + ox + 1.5 * c, lcy = h.cy + oy - 1.5 * c;
  // ellipsoidal taper of the cavity toward the apex (cavity closes just past z = 1)
  const zz = Math.min(z, 0.98);
  const prof = Math.sqrt(Math.max(0, 1 - zz * zz)) * (1 - 0.08 * (0.3 - z));
  const riED = h.lvRadius * prof;
  const w = h.wall * (1 + 0.1 * z);
  const reED = riED + w;
  const ri = riED * (1 - m.contraction * c);
  const re = Math.sqrt(ri * ri + reED * reED - riED * riED); // constant myocardial area
  // RV: crescent wrapping the septum, anterior-right (image left-up); fades to the apex
  const rvFade = smooth01((0.9 - z) / 0.35) * h.rvSize;
  const rs = 1 - p.motion.rvContraction * c;
  const psi = th + (215 * Math.PI) / 180;
  const ux = Math.cos(psi), uy = Math.sin(psi);
  // RV: a flattened ellipse centred just inside the LV epicardium; the part outside the
  // LV is a crescent spanning ~150 degrees around the septum
  const rvOff = re * 0.7;
  const depth = 0.65 * reED * rvFade * rs * (1 + 0.4 * Math.max(0, 0.35 - z));
  const rr = re * 0.3 + depth;
  const rt = re * (0.55 + 0.55 * rvFade) * (1 - 0.25 * (1 - rs));
  const rvx = lcx + ux * rvOff, rvy = lcy + uy * rvOff;
  const rvWall = 3.5;
  const fr = rngFor(p.seed, "heart-shape", Math.round(z * 1000));
  const hasRv = depth > 0.8;
  // anterior pericardial fat pad between the RV and the chest wall
  L.push({
    shape: {
      cx: lcx + ux * (re + depth + 10) + 6,
      cy: lcy + uy * (re + depth + 10) - 4,
      a: 16 + 2 * h.epiFat,
      b: 8 + h.epiFat,
      th: psi + Math.PI / 2 + 0.3,
      harm: [3, 0.08, fr.uniform(0, 6.3)],
    },
    tissue: "fat",
    label: LABEL.FAT,
  });
  if (hasRv) {
    // epicardial fat around the RV free wall and in the grooves
    L.push({
      shape: {
        cx: rvx,
        cy: rvy,
        a: rr + rvWall + 0.6 * h.epiFat,
        b: rt + rvWall + 0.6 * h.epiFat,
        th: psi,
        harm: [
          2,
          0.06,
          fr.uniform(0, 6.3),
          3,
          0.07,
          fr.uniform(0, 6.3),
          5,
          0.05,
          fr.uniform(0, 6.3),
        ],
      },
      tissue: "fat",
      label: LABEL.FAT,
    });
  }
  // groove fat where the RV meets the LV (anterior and inferior insertion points)
  for (const sgn of [-1, 1]) {
    const a = psi + sgn * 1.05;
    L.push({
      shape: circle(lcx + Math.cos(a) * reED * 1.05, lcy + Math.sin(a) * reED * 1.05, 4 + h.epiFat),
      tissue: "fat",
      label: LABEL.FAT,
    });
  }
  if (hasRv) {
    const harm = [2, 0.03, fr.uniform(0, 6.3), 4, 0.02, fr.uniform(0, 6.3)];
    L.push({
      shape: { cx: rvx, cy: rvy, a: rr + rvWall, b: rt + rvWall, th: psi, harm },
      tissue: "myocardium",
      label: LABEL.OTHER,
    });
    L.push({
      shape: { cx: rvx, cy: rvy, a: rr, b: rt, th: psi, harm },
      tissue: "blood",
      label: LABEL.RV_BLOOD,
      gain: 0.96,
    });
  }
  // basal slices: left atrium / LVOT region behind the LV
  if (z < 0.2) {
    const f = smooth01((0.2 - z) / 0.12);
    const [ax, ay] = rot(4, reED + 10 * f, th);
    L.push({
      shape: { cx: lcx + ax, cy: lcy + ay, a: 24 * f + 1, b: 15 * f + 1, th },
      tissue: "soft",
      label: LABEL.OTHER,
    });
    L.push({
      shape: { cx: lcx + ax, cy: lcy + ay, a: 22 * f, b: 13 * f, th },
      tissue: "blood",
      label: LABEL.ATRIAL_BLOOD,
    });
  }
  // LV myocardium and cavity
  L.push({
    shape: {
      cx: lcx,
      cy: lcy,
      a: re,
      b: re * 0.96,
      th,
      harm: [2, 0.015, fr.uniform(0, 6.3), 3, 0.012, fr.uniform(0, 6.3)],
    },
    tissue: "myocardium",
    label: LABEL.MYOCARDIUM,
  });
  if (ri > 0.5) {
    L.push({
      shape: {
        cx: lcx,
        cy: lcy,
        a: ri,
        b: ri * 0.94,
        th,
        harm: [
          2,
          0.03,
          fr.uniform(0, 6.3),
          5,
          0.02 + 0.02 * c,
          fr.uniform(0, 6.3),
          7,
          0.015 + 0.015 * c,
          fr.uniform(0, 6.3),
        ],
      },
      tissue: "blood",
      label: LABEL.LV_BLOOD,
    });
  }
  // papillary muscles (mid-ventricular slices), anterolateral and posteromedial
  const pf = smooth01((z - 0.15) / 0.15) * smooth01((0.85 - z) / 0.15);
  if (pf > 0 && ri > 4) {
    const rp = 0.2 * riED * pf;
    for (const deg of [-45, 130]) {
      const a = th + (deg * Math.PI) / 180;
      const d = Math.max(0, ri - rp * 0.9);
      L.push({
        shape: { cx: lcx + Math.cos(a) * d, cy: lcy + Math.sin(a) * d, a: rp * 1.15, b: rp, th: a },
        tissue: "myocardium",
        label: LABEL.LV_BLOOD,
      });
    }
  }
  return L;
}

/** A bullet (half ellipse) along axis e from base point (bx, by), cut at the base plane. */
function bullet(
  bx: number,
  by: number,
  ex: number,
  ey: number,
  length: number,
  radius: number,
  back = 0,
): { shape: Ellipse; clip: [number, number, number][] } {
  const c0 = 0.25 * length;
  return {
    shape: {
      cx: bx + ex * c0,
      cy: by + ey * c0,
      a: length - c0,
      b: radius,
      th: Math.atan2(ey, ex),
    },
    // keep (X - base) . e >= -back  <=>  -e . X <= -e . base + back
    clip: [[-ex, -ey, -(ex * bx + ey * by) + back]],
  };
}

/** Long-axis heart (2ch, 3ch, 4ch) at contraction c. */
function laxHeart(p: PhantomParams, view: CineView, c: number): Layer[] {
  const h = p.heart, m = p.motion;
  const L: Layer[] = [];
  const tilt = view === "2ch" ? -0.12 : view === "3ch" ? 0 : 0.1;
  const ang = h.laxAngle + tilt;
  const ex = Math.cos(ang), ey = Math.sin(ang); // base -> apex
  const bx0 = -ey, by0 = ex; // +b: posterior-left side (LV lateral wall, LA)
  const sz = h.atrialSize;
  const L0 = h.lvLength * (view === "2ch" ? 1.03 : 1);
  const R0 = h.lvRadius * (view === "2ch" ? 0.95 : 1);
  const w0 = h.wall;
  const laA = 21 * sz, laB = 25 * sz;
  // base position at ED so that [LA back, apex] is centred on (laxCx, laxCy)
  const d = (L0 + w0 - 2 * laA) / 2;
  // per-view shift so the chambers of each view are centred on (laxCx, laxCy)
  const dyView = view === "2ch" ? -6 : view === "3ch" ? 6 : 12;
  const baseX0 = h.laxCx - ex * d, baseY0 = h.laxCy + dyView - ey * d;
  const apexX = baseX0 + ex * L0, apexY = baseY0 + ey * L0;
  // systole: base descends toward the fixed apex; cavity narrows; wall thickens
  const Lc = L0 * (1 - m.shortening * c);
  const Rc = R0 * (1 - m.contraction * c);
  const K = (L0 + w0) * (R0 + w0) - L0 * R0; // ~ constant myocardial area
  const wc = (-(Lc + Rc) + Math.sqrt((Lc + Rc) * (Lc + Rc) + 4 * K)) / 2;
  const bX = apexX - ex * Lc, bY = apexY - ey * Lc;
  const fr = rngFor(p.seed, "lax-shape", view);
  const atr = 1 + 0.18 * c; // atria fill during ventricular systole
  // left atrium behind the base, slightly to the +b side
  const laOff = view === "2ch" ? 2 : 8;
  const lax = bX - ex * laA * 0.85 * atr + bx0 * laOff,
    lay = bY - ey * laA * 0.85 * atr + by0 * laOff;
  const laHarm = [2, 0.05, fr.uniform(0, 6.3), 3, 0.04, fr.uniform(0, 6.3)];
  // epicardial fat in the AV groove (both sides of the base) and over the apex
  for (const sgn of [1, -1]) {
    const gx = bX + sgn * bx0 * (Rc + wc + 1) - ex * 3,
      gy = bY + sgn * by0 * (Rc + wc + 1) - ey * 3;
    L.push({ shape: circle(gx, gy, 4 + h.epiFat), tissue: "fat", label: LABEL.FAT });
  }
  L.push({
    shape: {
      cx: apexX + ex * (wc * 0.85 + 1),
      cy: apexY + ey * (wc * 0.85 + 1),
      a: 3 + h.epiFat,
      b: 10 + h.epiFat,
      th: ang,
    },
    tissue: "fat",
    label: LABEL.FAT,
  });
  // descending aorta behind the LA (4ch, 2ch)
  if (view !== "3ch") {
    const ax = lax - ex * (laA + 10) + bx0 * 18, ay = lay - ey * (laA + 10) + by0 * 18;
    L.push({ shape: circle(ax, ay, 13), tissue: "soft", label: LABEL.OTHER });
    L.push({ shape: circle(ax, ay, 11), tissue: "blood", label: LABEL.VESSEL_BLOOD, gain: 0.9 });
  }
  // right heart (4ch): RA behind the RV, RV along the septum on the -b side
  if (view === "4ch") {
    const rvR0 = R0 * 0.72 * h.rvSize, rvL0 = L0 * 0.78;
    const rvR = rvR0 * (1 - m.rvContraction * c), rvL = rvL0 * (1 - 0.8 * m.shortening * c);
    const off = R0 + w0 + rvR0 * 0.55;
    const tvX = bX + ex * 6 - bx0 * off, tvY = bY + ey * 6 - by0 * off; // tricuspid: apical
    const raA = 18 * sz * atr, raB = 20 * sz;
    const rax = tvX - ex * raA * 0.85 - bx0 * 4, ray = tvY - ey * raA * 0.85 - by0 * 4;
    L.push({
      shape: { cx: rax, cy: ray, a: raA + 2, b: raB + 2, th: ang, harm: laHarm },
      tissue: "soft",
      label: LABEL.OTHER,
    });
    L.push({
      shape: { cx: rax, cy: ray, a: raA, b: raB, th: ang, harm: laHarm },
      tissue: "blood",
      label: LABEL.ATRIAL_BLOOD,
    });
    const rvAng = Math.atan2(ey, ex) - 0.12;
    const rex = Math.cos(rvAng), rey = Math.sin(rvAng);
    const fat = bullet(tvX, tvY, rex, rey, rvL + 3.5 + h.epiFat, rvR + 3.5 + h.epiFat, 1);
    L.push({ ...fat, tissue: "fat", label: LABEL.FAT });
    const wall = bullet(tvX, tvY, rex, rey, rvL + 3.5, rvR + 3.5, 1);
    L.push({ ...wall, tissue: "myocardium", label: LABEL.OTHER });
    const cav = bullet(tvX, tvY, rex, rey, rvL, rvR);
    L.push({ ...cav, tissue: "blood", label: LABEL.RV_BLOOD, gain: 0.96 });
  }
  // 3ch: RV outflow anterior, aortic root leaving the base on the -b side
  if (view === "3ch") {
    const rvR = 11 * h.rvSize * (1 - m.rvContraction * c);
    const cx = bX + ex * L0 * 0.3 - bx0 * (R0 + w0 + rvR + 1);
    const cy = bY + ey * L0 * 0.3 - by0 * (R0 + w0 + rvR + 1);
    const rvLen = L0 * 0.42;
    L.push({
      shape: { cx, cy, a: rvLen + 3.5, b: rvR + 3.5, th: ang - 0.1 },
      tissue: "myocardium",
      label: LABEL.OTHER,
    });
    L.push({
      shape: { cx, cy, a: rvLen, b: rvR, th: ang - 0.1 },
      tissue: "blood",
      label: LABEL.RV_BLOOD,
      gain: 0.96,
    });
    const aoAng = ang + Math.PI + 0.55; // away from the apex, toward -b
    const aex = Math.cos(aoAng), aey = Math.sin(aoAng);
    const rootX = bX - bx0 * R0 * 0.55, rootY = bY - by0 * R0 * 0.55;
    const acx = rootX + aex * 24, acy = rootY + aey * 24;
    L.push({
      shape: { cx: acx, cy: acy, a: 30, b: 13.5, th: aoAng },
      tissue: "soft",
      label: LABEL.OTHER,
    });
    L.push({
      shape: { cx: acx, cy: acy, a: 29, b: 11.5, th: aoAng, harm: [2, 0.03, 0] },
      tissue: "blood",
      label: LABEL.VESSEL_BLOOD,
    });
  }
  // left atrium
  L.push({
    shape: { cx: lax, cy: lay, a: laA * atr + 2, b: laB + 2, th: ang, harm: laHarm },
    tissue: "soft",
    label: LABEL.OTHER,
  });
  L.push({
    shape: { cx: lax, cy: lay, a: laA * atr, b: laB, th: ang, harm: laHarm },
    tissue: "blood",
    label: LABEL.ATRIAL_BLOOD,
  });
  // LV myocardium and cavity
  const myo = bullet(bX, bY, ex, ey, Lc + wc * 0.85, Rc + wc, 1);
  L.push({
    ...myo,
    shape: { ...myo.shape, harm: [3, 0.012, fr.uniform(0, 6.3)] },
    tissue: "myocardium",
    label: LABEL.MYOCARDIUM,
  });
  const cav = bullet(bX, bY, ex, ey, Lc, Rc);
  L.push({
    ...cav,
    shape: {
      ...cav.shape,
      harm: [4, 0.012 + 0.015 * c, fr.uniform(0, 6.3), 7, 0.01 + 0.01 * c, fr.uniform(0, 6.3)],
    },
    tissue: "blood",
    label: LABEL.LV_BLOOD,
  });
  // papillary muscle in the cavity (4ch: lateral; 2ch: inferior)
  {
    const pa = 0.55 * Lc, pb = Rc * 0.62;
    const px = bX + ex * pa + bx0 * pb, py = bY + ey * pa + by0 * pb;
    L.push({
      shape: { cx: px, cy: py, a: 9, b: 3.5 + 1.5 * c, th: ang - 0.3 },
      tissue: "myocardium",
      label: LABEL.LV_BLOOD,
    });
  }
  // mitral leaflets hinged at the annulus: closed across the orifice in systole,
  // open into the LV in diastole
  const open = 1 - smooth01(c * 1.6);
  const annR = Rc * 0.85;
  for (const sgn of [1, -1]) {
    const hx = bX + sgn * bx0 * annR, hy = bY + sgn * by0 * annR;
    const g = (open * 75 * Math.PI) / 180;
    const dx = -sgn * bx0 * Math.cos(g) + ex * Math.sin(g);
    const dy = -sgn * by0 * Math.cos(g) + ey * Math.sin(g);
    const len = sgn > 0 ? 8 : 6; // posterior and anterior leaflet halves
    L.push({
      shape: { cx: hx + dx * len, cy: hy + dy * len, a: len, b: 0.9, th: Math.atan2(dy, dx) },
      tissue: "soft",
      label: LABEL.OTHER,
    });
  }
  return L;
}

// =======================================================================================
// Smooth fields
// =======================================================================================

/**
 * A smooth random field on the pixel grid, about [-1, 1]: a sum of separable cosines up
 * to `order` half-periods across the image with decaying random amplitudes.
 */
function smoothField(r: Rng, nx: number, ny: number, order: number): Float32Array {
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
function textureField(r: Rng, nx: number, ny: number, pxPerMm: number): Float32Array {
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
function modulation(p: PhantomParams, tag: string, slice: number, nx: number, ny: number) {
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

// =======================================================================================
// Cine
// =======================================================================================

/** bSSFP steady-state magnitude (TE = TR/2, on resonance), flip angle in degrees. */
function bssfp(t: TissueProps, flipDeg = 50): number {
  if (t.pd <= 0 || t.t2 <= 0) return 0;
  const a = (flipDeg * Math.PI) / 180;
  const ratio = t.t1 / t.t2;
  return (t.pd * Math.sin(a)) / (ratio + 1 - Math.cos(a) * (ratio - 1));
}

function cineIntensities(p: PhantomParams): Record<Tissue, number> {
  const ref = bssfp(p.tissues.blood);
  const out = {} as Record<Tissue, number>;
  for (const name of TISSUE_NAMES) {
    out[name] = (bssfp(p.tissues[name]) / ref) * p.brightness[name];
  }
  return out;
}

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

function checkRender(
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

// =======================================================================================
// Mapping
// =======================================================================================

/**
 * MOLLI signal magnitude `|A - B exp(-TI / T1*)|` with `B = bOverA * A` and the
 * Look-Locker apparent time `T1* = T1 / (B/A - 1)` (so T1* < T1 for B/A < 2; with the
 * default B/A = 2.2, T1* = T1 / 1.2). Inverting: `T1 = T1* (B/A - 1)`.
 * @param ti inversion time, ms
 * @param t1 true T1, ms
 * @param a steady-state amplitude A
 * @param bOverA ratio B/A (default {@link MOLLI_B_OVER_A})
 */
export function molliSignal(ti: number, t1: number, a = 1, bOverA = MOLLI_B_OVER_A): number {
  if (t1 <= 0) return 0;
  const t1s = t1 / (bOverA - 1);
  return Math.abs(a * (1 - bOverA * Math.exp(-ti / t1s)));
}

/**
 * T2-prepared signal `A exp(-TE / T2)`.
 * @param te T2-preparation echo time, ms
 * @param t2 T2, ms
 * @param a amplitude at TE = 0
 */
export function t2PrepSignal(te: number, t2: number, a = 1): number {
  if (t2 <= 0) return 0;
  return a * Math.exp(-te / t2);
}

/**
 * MOLLI 4-(1)-3-(1)-2 inversion times for one slice, ms, sorted ascending (9 values).
 * Three inversions with first TIs `TI0`, `TI0 + 80`, `TI0 + 160` (TI0 ~ 100–130 ms), read
 * out on 4, 3 and 2 consecutive heartbeats (`+ k * RR`, RR ~ 900–1100 ms per patient,
 * slightly different per slice). Rounded to 0.1 ms.
 * @param slice slice index
 * @param seed patient seed (same seed as {@link phantomParams})
 */
export function molliTimes(slice: number, seed: number): number[] {
  const rp = rngFor(seed, "molli-patient");
  const rrPatient = rp.uniform(900, 1100);
  const ti0Patient = rp.uniform(100, 130);
  const rs = rngFor(seed, "molli-slice", slice);
  const rr = rrPatient + rs.uniform(-25, 25);
  const ti0 = ti0Patient + rs.uniform(-3, 3);
  const out: number[] = [];
  const counts = [4, 3, 2];
  for (let inv = 0; inv < 3; inv++) {
    for (let k = 0; k < counts[inv]; k++) out.push(ti0 + 80 * inv + k * rr);
  }
  return out.map((t) => Math.round(t * 10) / 10).sort((a, b) => a - b);
}

/** T2-prep echo times, ms: `[0, 35, 55]`. */
export function t2PrepTimes(): number[] {
  return [0, 35, 55];
}

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
