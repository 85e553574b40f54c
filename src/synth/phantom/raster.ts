/**
 * The phantom's rasteriser: ellipses (with radial harmonics), intersections and
 * half-plane clips in millimetres, composited back to front onto `(nx, ny)` channels (x fastest)
 * with ~1 px partial-volume edges; a pixel gets the label of a layer covering half of it.
 *
 * @module
 */

import type { ImageGeometry } from "./geometry.ts";
import type { Tissue } from "./types.ts";

/** An ellipse in mm (with optional radial harmonics): the shape of a layer. */
export interface Ellipse {
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

/** One structure to draw: a shape, maybe intersected and clipped, with its tissue and label. */
export interface Layer {
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

/** The channels (x fastest, `(nx, ny)`) and labels being drawn, with their pixel grid. */
export interface Raster {
  nx: number;
  ny: number;
  geo: ImageGeometry;
  chans: Float32Array[];
  label: Uint8Array;
}

/**
 * Composites `layer` over the raster: each channel `c` blends towards `vals[c]` by the
 * layer's coverage of the pixel; the label is set where the coverage is at least 1/2.
 */
export function drawLayer(r: Raster, layer: Layer, vals: number[]): void {
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

/** A circle of radius `r` mm at `(cx, cy)`, optionally with radial harmonics. */
export function circle(cx: number, cy: number, r: number, harm?: number[]): Ellipse {
  return { cx, cy, a: r, b: r, th: 0, harm };
}

/** Rotate a vector (x, y) by angle t (image coordinates, y down). */
export function rot(x: number, y: number, t: number): [number, number] {
  const c = Math.cos(t), s = Math.sin(t);
  return [x * c - y * s, x * s + y * c];
}
