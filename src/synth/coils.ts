/**
 * Synthetic receive-coil sensitivity maps for the phantom of `phantom/`.
 *
 * Coil elements sit on an ellipse around the chest (an anterior array over the chest and a
 * posterior array in the table), each at its own out-of-plane offset. Each sensitivity is
 * a smooth complex function of position, Biot–Savart-like:
 * `g e^{i phi} * conj(d) / sqrt(|d|^2 + eps^2) * (r0^2 / (|d|^2 + dz^2 + r0^2))^0.75`
 * with `d` the in-plane offset from the element as a complex number (eps = 8 mm,
 * r0 = 60 mm): the magnitude falls off with distance and the phase winds around the
 * element (which lies outside the body); a gentle linear phase is added. The set is then
 * partially normalised (divided by RSS^0.7) and scaled so that the
 * root-sum-of-squares over coils is smooth and about 1 inside the body.
 *
 * @module
 */

import { imageGeometry, NOMINAL_BODY } from "./phantom/mod.ts";
import { rngFor } from "./random.ts";
import { ShapeError } from "../errors.ts";

/** Where the phantom's body sits on average, mm from the image centre (see phantomParams). */
const BODY_CENTRE = { x: -17, y: 24 } as const;
/** Element size scale (loop radius), mm. */
const R0 = 60;
/** Regularisation of the phase winding at the element itself, mm. */
const EPS = 8;
/** Exponent of the partial RSS normalisation (1 = flat RSS, 0 = raw coil shading). */
const FLATTEN = 0.7;

/**
 * Complex coil sensitivities for one slice.
 *
 * @param ncoil number of coils (CMRxRecon uses 10 virtual coils)
 * @param nx image size along x (readout)
 * @param ny image size along y (phase encode)
 * @param seed seed of the coil arrangement (e.g. the patient seed); same seed, same maps
 * @param slice slice index; elements shift out of plane by ~12 mm per slice, so the maps
 *   change smoothly from slice to slice (default 0)
 * @returns complex interleaved sensitivities, MATLAB dims `(nx, ny, ncoil)` (x fastest)
 * @throws {ShapeError} for a non-positive coil count or sizes below 16
 */
export function coilMaps(
  ncoil: number,
  nx: number,
  ny: number,
  seed: number,
  slice = 0,
): Float32Array {
  if (!Number.isInteger(ncoil) || ncoil < 1) {
    throw new ShapeError(`coilMaps: ncoil must be a positive integer, got ${ncoil}`);
  }
  const geo = imageGeometry(nx, ny);
  const r = rngFor(seed, "coils");
  const nAnt = Math.ceil(ncoil / 2), nPost = ncoil - nAnt;
  const ea = NOMINAL_BODY.a + 15, eb = NOMINAL_BODY.b + 12;
  interface Element {
    x: number;
    y: number;
    dz: number;
    gain: number;
    phase: number;
    gx: number;
    gy: number;
  }
  const elements: Element[] = [];
  for (let c = 0; c < ncoil; c++) {
    const ant = c < nAnt;
    const i = ant ? c : c - nAnt;
    const n = ant ? nAnt : nPost;
    // anterior arc: angles in [-165, -15] deg (y < 0); posterior arc: [15, 165] deg
    const frac = n === 1 ? 0.5 : i / (n - 1);
    const deg = (ant ? -165 : 15) + 150 * frac + r.uniform(-8, 8);
    const t = (deg * Math.PI) / 180;
    elements.push({
      x: BODY_CENTRE.x + ea * Math.cos(t),
      y: BODY_CENTRE.y + eb * Math.sin(t),
      dz: r.uniform(-30, 30) + (slice - 2) * 12 * r.uniform(0.8, 1.2),
      gain: r.uniform(0.6, 1.2),
      phase: r.uniform(-Math.PI, Math.PI),
      gx: r.uniform(-0.004, 0.004),
      gy: r.uniform(-0.004, 0.004),
    });
  }
  const npix = nx * ny;
  const out = new Float32Array(2 * npix * ncoil);
  const sumsq = new Float64Array(npix);
  const r02 = R0 * R0, eps2 = EPS * EPS;
  const ex = new Float64Array(2 * nx);
  for (let c = 0; c < ncoil; c++) {
    const e = elements[c];
    const base = 2 * npix * c;
    const dz2 = e.dz * e.dz;
    // separable phase e^{i (phase + gx X + gy Y)} = e^{i gx X} * e^{i (phase + gy Y)}
    for (let ix = 0; ix < nx; ix++) {
      const X = (ix - geo.cx) / geo.pxPerMmX;
      ex[2 * ix] = Math.cos(e.gx * X);
      ex[2 * ix + 1] = Math.sin(e.gx * X);
    }
    for (let iy = 0; iy < ny; iy++) {
      const Y = (iy - geo.cy) / geo.pxPerMmY;
      const dy = Y - e.y;
      const py = e.phase + e.gy * Y;
      const yr = Math.cos(py), yi = Math.sin(py);
      for (let ix = 0; ix < nx; ix++) {
        const X = (ix - geo.cx) / geo.pxPerMmX;
        const dx = X - e.x;
        const d2 = dx * dx + dy * dy;
        const t = r02 / (d2 + dz2 + r02);
        const st = Math.sqrt(t);
        const mag = (e.gain * st * Math.sqrt(st)) / Math.sqrt(d2 + eps2);
        const xr = ex[2 * ix], xi = ex[2 * ix + 1];
        const cr = xr * yr - xi * yi, ci = xr * yi + xi * yr;
        // conj(d) * e^{i ph}
        const re = mag * (dx * cr + dy * ci);
        const im = mag * (dx * ci - dy * cr);
        const k = ix + nx * iy;
        out[base + 2 * k] = re;
        out[base + 2 * k + 1] = im;
        sumsq[k] += re * re + im * im;
      }
    }
  }
  // partial flattening, then unit mean RSS inside the nominal body ellipse
  const w = new Float64Array(npix);
  let acc = 0, cnt = 0;
  for (let iy = 0; iy < ny; iy++) {
    const Y = (iy - geo.cy) / geo.pxPerMmY - BODY_CENTRE.y;
    for (let ix = 0; ix < nx; ix++) {
      const X = (ix - geo.cx) / geo.pxPerMmX - BODY_CENTRE.x;
      const k = ix + nx * iy;
      const rss = Math.sqrt(sumsq[k]);
      w[k] = rss > 0 ? Math.pow(rss, -FLATTEN) : 0;
      const q = (X / (NOMINAL_BODY.a * 0.85)) ** 2 + (Y / (NOMINAL_BODY.b * 0.85)) ** 2;
      if (q < 1) {
        acc += rss * w[k];
        cnt++;
      }
    }
  }
  const scale = cnt > 0 && acc > 0 ? cnt / acc : 1;
  for (let c = 0; c < ncoil; c++) {
    const base = 2 * npix * c;
    for (let k = 0; k < npix; k++) {
      const f = w[k] * scale;
      out[base + 2 * k] *= f;
      out[base + 2 * k + 1] *= f;
    }
  }
  return out;
}
