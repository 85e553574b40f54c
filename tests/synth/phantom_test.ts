import assert from "node:assert/strict";
import {
  cardiacPhase,
  cineFrame,
  type CineView,
  contractionAt,
  imageGeometry,
  LABEL,
  LAX_VIEWS,
  mappingImages,
  molliSignal,
  molliTimes,
  phantomParams,
  t2PrepSignal,
  t2PrepTimes,
} from "../../src/synth/phantom/mod.ts";
import { coilMaps } from "../../src/synth/coils.ts";
import { deriveSeed, Rng } from "../../src/synth/random.ts";
import { abs, rss } from "../../src/kspace/complex.ts";
import { ShapeError } from "../../src/errors.ts";

const HEART = new Set<number>([
  LABEL.LV_BLOOD,
  LABEL.MYOCARDIUM,
  LABEL.RV_BLOOD,
  LABEL.ATRIAL_BLOOD,
]);

/** The official run4Ranking crop window, 0-based half-open, as crop.m computes it. */
function cropWindow(nx: number, ny: number) {
  const sx = Math.round(nx / 3), sy = Math.round(ny / 2);
  const x0 = Math.floor(nx / 2) - Math.floor(sx / 2);
  const y0 = Math.floor(ny / 2) - Math.floor(sy / 2);
  return { x0, x1: x0 + sx, y0, y1: y0 + sy };
}

function count(label: Uint8Array, value: number): number {
  let n = 0;
  for (const v of label) if (v === value) n++;
  return n;
}

function meanWhere(mag: Float32Array, label: Uint8Array, value: number): number {
  let s = 0, n = 0;
  for (let k = 0; k < label.length; k++) {
    if (label[k] === value) {
      s += mag[k];
      n++;
    }
  }
  return s / n;
}

function relDiff(a: Float32Array, b: Float32Array): number {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

function esFrame(p: ReturnType<typeof phantomParams>, nframes: number): number {
  let best = 0, bestC = -1;
  for (let f = 0; f < nframes; f++) {
    const c = contractionAt(p, cardiacPhase(p, f, nframes));
    if (c > bestC) {
      bestC = c;
      best = f;
    }
  }
  return best;
}

// ---------------------------------------------------------------------------------------
// random.ts
// ---------------------------------------------------------------------------------------

Deno.test("Rng is deterministic, uniform in [0,1), Gaussian with mean 0 and sd 1", () => {
  const a = new Rng(42), b = new Rng(42), c = new Rng(43);
  const xa = Array.from({ length: 5 }, () => a.nextUint32());
  const xb = Array.from({ length: 5 }, () => b.nextUint32());
  const xc = Array.from({ length: 5 }, () => c.nextUint32());
  assert.deepEqual(xa, xb);
  assert.notDeepEqual(xa, xc);
  const r = new Rng(7);
  let s = 0, s2 = 0, g = 0, g2 = 0, lo = 1, hi = 0;
  const n = 20000;
  for (let i = 0; i < n; i++) {
    const u = r.uniform();
    lo = Math.min(lo, u);
    hi = Math.max(hi, u);
    s += u;
    s2 += u * u;
    const z = r.gaussian();
    g += z;
    g2 += z * z;
  }
  assert.ok(lo >= 0 && hi < 1);
  assert.ok(Math.abs(s / n - 0.5) < 0.01 && Math.abs(s2 / n - 1 / 3) < 0.01);
  assert.ok(Math.abs(g / n) < 0.03 && Math.abs(g2 / n - 1) < 0.04);
  const k = r.int(3, 9);
  assert.ok(Number.isInteger(k) && k >= 3 && k < 9);
});

Deno.test("deriveSeed separates streams by label, label type and order", () => {
  const seeds = [
    deriveSeed(1),
    deriveSeed(2),
    deriveSeed(1, "P001"),
    deriveSeed(1, "P002"),
    deriveSeed(1, 1),
    deriveSeed(1, "1"),
    deriveSeed(1, "a", "b"),
    deriveSeed(1, "b", "a"),
  ];
  assert.equal(new Set(seeds).size, seeds.length);
  assert.equal(deriveSeed(9, "x", 3), deriveSeed(9, "x", 3));
  for (const s of seeds) assert.ok(Number.isInteger(s) && s >= 0 && s < 2 ** 32);
});

// ---------------------------------------------------------------------------------------
// phantom: determinism and cycle
// ---------------------------------------------------------------------------------------

Deno.test("same seed gives identical bytes; a different seed gives a different patient", () => {
  const a = cineFrame(phantomParams(5), "sax", 3, 8, 2, 12, 128, 96);
  const b = cineFrame(phantomParams(5), "sax", 3, 8, 2, 12, 128, 96);
  const c = cineFrame(phantomParams(6), "sax", 3, 8, 2, 12, 128, 96);
  assert.deepEqual(new Uint8Array(a.image.buffer), new Uint8Array(b.image.buffer));
  assert.deepEqual(a.label, b.label);
  assert.ok(relDiff(abs(a.image), abs(c.image)) > 0.05);
  assert.deepEqual(phantomParams(5), phantomParams(5));
  const m1 = mappingImages(phantomParams(5), "T1", 1, 5, molliTimes(1, 5), 96, 64);
  const m2 = mappingImages(phantomParams(5), "T1", 1, 5, molliTimes(1, 5), 96, 64);
  assert.deepEqual(m1.images, m2.images);
  assert.deepEqual(m1.t1, m2.t1);
  assert.deepEqual(coilMaps(10, 96, 64, 5, 2), coilMaps(10, 96, 64, 5, 2));
  assert.notDeepEqual(coilMaps(10, 96, 64, 5, 2), coilMaps(10, 96, 64, 6, 2));
});

Deno.test("the contraction curve is periodic and smooth, 0 at ED and 1 at ES", () => {
  const p = phantomParams(11);
  assert.equal(contractionAt(p, 0), 0);
  assert.ok(Math.abs(contractionAt(p, p.motion.systole) - 1) < 1e-12);
  const eps = 1e-4;
  assert.ok(Math.abs(contractionAt(p, 1 - eps) - contractionAt(p, eps)) < 1e-3);
  assert.ok(p.motion.systole < 0.5, "systole shorter than diastole");
  for (let i = 0; i < 1000; i++) {
    const t = i / 1000;
    const d = Math.abs(contractionAt(p, t + 1e-3) - contractionAt(p, t));
    assert.ok(d < 0.02, `jump at ${t}`);
  }
});

Deno.test("cine wraps around: frame nframes equals frame 0; the last frame is close to frame 0", () => {
  for (const view of ["sax", "4ch"] as CineView[]) {
    const p = phantomParams(3);
    const nt = 12;
    const f0 = cineFrame(p, view, 2, 6, 0, nt, 192, 96);
    const fn = cineFrame(p, view, 2, 6, nt, nt, 192, 96);
    const fl = cineFrame(p, view, 2, 6, nt - 1, nt, 192, 96);
    const fe = cineFrame(p, view, 2, 6, esFrame(p, nt), nt, 192, 96);
    assert.ok(relDiff(fn.image, f0.image) < 1e-5, `${view}: frame nt != frame 0`);
    const dLast = relDiff(abs(fl.image), abs(f0.image));
    const dEs = relDiff(abs(fe.image), abs(f0.image));
    assert.ok(dLast < 0.5 * dEs, `${view}: last->first ${dLast} vs ED->ES ${dEs}`);
  }
});

Deno.test("blood pools shrink in systole, myocardial area is about conserved", () => {
  for (const seed of [1, 2, 3, 4]) {
    const p = phantomParams(seed);
    const es = esFrame(p, 12);
    for (const slice of [2, 4, 6]) {
      const ed = cineFrame(p, "sax", slice, 9, 0, 12, 512, 246);
      const sys = cineFrame(p, "sax", slice, 9, es, 12, 512, 246);
      const lvEd = count(ed.label, LABEL.LV_BLOOD), lvEs = count(sys.label, LABEL.LV_BLOOD);
      assert.ok(lvEs < 0.75 * lvEd, `seed ${seed} slice ${slice}: LV ${lvEs} vs ${lvEd}`);
      const rvEd = count(ed.label, LABEL.RV_BLOOD), rvEs = count(sys.label, LABEL.RV_BLOOD);
      assert.ok(rvEs < rvEd, `RV ${rvEs} vs ${rvEd}`);
      const myEd = count(ed.label, LABEL.MYOCARDIUM), myEs = count(sys.label, LABEL.MYOCARDIUM);
      assert.ok(Math.abs(myEs / myEd - 1) < 0.2, `myocardium ${myEs} vs ${myEd}`);
    }
    for (const view of LAX_VIEWS) {
      const ed = cineFrame(p, view, 0, 1, 0, 12, 448, 204);
      const sys = cineFrame(p, view, 0, 1, es, 12, 448, 204);
      const a = count(ed.label, LABEL.LV_BLOOD), b = count(sys.label, LABEL.LV_BLOOD);
      assert.ok(b < 0.75 * a, `${view}: LV ${b} vs ${a}`);
    }
  }
});

Deno.test("SAX: the LV cavity shrinks from base to apex and the RV disappears at the apex", () => {
  const p = phantomParams(8);
  const lv: number[] = [], rv: number[] = [];
  for (let s = 0; s < 10; s++) {
    const f = cineFrame(p, "sax", s, 10, 0, 12, 512, 246);
    lv.push(count(f.label, LABEL.LV_BLOOD));
    rv.push(count(f.label, LABEL.RV_BLOOD));
  }
  assert.ok(lv[9] < 0.5 * lv[2] && lv[5] < lv[1], `LV areas ${lv}`);
  assert.ok(rv[9] < 0.1 * rv[2], `RV areas ${rv}`);
});

// ---------------------------------------------------------------------------------------
// phantom: geometry and labels
// ---------------------------------------------------------------------------------------

Deno.test("the heart lies inside the official crop window for real and small sizes", () => {
  const cases: [CineView, number, number, number][] = [
    ["sax", 512, 246, 10],
    ["sax", 96, 64, 5],
    ["sax", 80, 72, 5],
    ["2ch", 448, 204, 1],
    ["3ch", 448, 204, 1],
    ["4ch", 448, 204, 1],
    ["4ch", 448, 168, 1],
    ["3ch", 96, 64, 1],
  ];
  for (let seed = 100; seed < 112; seed++) {
    const p = phantomParams(seed);
    const es = esFrame(p, 12);
    for (const [view, nx, ny, ns] of cases) {
      const w = cropWindow(nx, ny);
      for (let s = 0; s < ns; s += view === "sax" && ns > 5 ? 3 : 1) {
        for (const f of [0, es]) {
          const { label } = cineFrame(p, view, s, ns, f, 12, nx, ny);
          let n = 0;
          for (let iy = 0; iy < ny; iy++) {
            for (let ix = 0; ix < nx; ix++) {
              if (!HEART.has(label[ix + nx * iy])) continue;
              n++;
              const inside = ix >= w.x0 && ix < w.x1 && iy >= w.y0 && iy < w.y1;
              assert.ok(inside, `seed ${seed} ${view} ${nx}x${ny} slice ${s}: (${ix},${iy})`);
            }
          }
          assert.ok(n > 0, `no heart in ${view} ${nx}x${ny}`);
        }
      }
    }
    for (const [nx, ny] of [[448, 162], [96, 64]]) {
      const w = cropWindow(nx, ny);
      const { label } = mappingImages(p, "T2", 4, 6, t2PrepTimes(), nx, ny);
      for (let k = 0; k < label.length; k++) {
        if (!HEART.has(label[k])) continue;
        const ix = k % nx, iy = (k - ix) / nx;
        assert.ok(ix >= w.x0 && ix < w.x1 && iy >= w.y0 && iy < w.y1, `mapping ${nx}x${ny}`);
      }
    }
  }
});

Deno.test("anatomy fills the central half of x; the edges of x are empty (2x oversampling)", () => {
  for (const [nx, ny] of [[512, 246], [448, 204], [96, 64]]) {
    const { image, label } = cineFrame(phantomParams(2), "sax", 1, 3, 0, 12, nx, ny);
    const mag = abs(image);
    let inner = 0, outer = 0;
    for (let iy = 0; iy < ny; iy++) {
      for (let ix = 0; ix < nx; ix++) {
        const k = ix + nx * iy;
        if (ix < nx / 8 || ix >= (7 * nx) / 8) {
          outer += mag[k];
          assert.equal(label[k], LABEL.BACKGROUND);
        } else inner += mag[k];
      }
    }
    assert.equal(outer, 0);
    assert.ok(inner > 0);
    const geo = imageGeometry(nx, ny);
    assert.ok(geo.pxPerMmY >= geo.pxPerMmX);
  }
});

Deno.test("labels are consistent with anatomy and intensities look like bSSFP cine", () => {
  const p = phantomParams(21);
  const nx = 512, ny = 246;
  const { image, label } = cineFrame(p, "sax", 4, 9, 0, 12, nx, ny);
  const mag = abs(image);
  for (const v of label) assert.ok(v <= 10);
  // LV blood is enclosed by myocardium (4-neighbours are LV blood or myocardium)
  for (let iy = 1; iy < ny - 1; iy++) {
    for (let ix = 1; ix < nx - 1; ix++) {
      if (label[ix + nx * iy] !== LABEL.LV_BLOOD) continue;
      for (
        const k of [ix - 1 + nx * iy, ix + 1 + nx * iy, ix + nx * (iy - 1), ix + nx * (iy + 1)]
      ) {
        assert.ok(
          label[k] === LABEL.LV_BLOOD || label[k] === LABEL.MYOCARDIUM,
          `LV blood next to label ${label[k]}`,
        );
      }
    }
  }
  for (
    const v of [LABEL.MYOCARDIUM, LABEL.RV_BLOOD, LABEL.FAT, LABEL.LUNG, LABEL.LIVER, LABEL.OTHER]
  ) {
    assert.ok(count(label, v) > 50, `label ${v} missing`);
  }
  const blood = meanWhere(mag, label, LABEL.LV_BLOOD);
  const myo = meanWhere(mag, label, LABEL.MYOCARDIUM);
  const lung = meanWhere(mag, label, LABEL.LUNG);
  const fat = meanWhere(mag, label, LABEL.FAT);
  assert.ok(blood > 0.8 && blood < 1.3, `blood ${blood}`);
  assert.ok(myo < 0.45 * blood && myo > 0.15 * blood, `myocardium ${myo}`);
  assert.ok(lung < 0.15 * blood, `lung ${lung}`);
  assert.ok(fat > 0.7 * blood, `fat ${fat}`);
  assert.equal(meanWhere(mag, label, LABEL.BACKGROUND) < 0.01, true);
  // the image is complex with a smooth, non-constant phase in the body
  let minPh = Infinity, maxPh = -Infinity;
  for (let k = 0; k < label.length; k++) {
    if (label[k] !== LABEL.LV_BLOOD && label[k] !== LABEL.LIVER) continue;
    const ph = Math.atan2(image[2 * k + 1], image[2 * k]);
    minPh = Math.min(minPh, ph);
    maxPh = Math.max(maxPh, ph);
  }
  assert.ok(maxPh - minPh > 0.2, "phase should vary");
});

Deno.test("edges are partial-volume ramps, not hard steps", () => {
  const { image, label } = cineFrame(phantomParams(4), "sax", 4, 9, 0, 12, 512, 246);
  const mag = abs(image);
  const blood = meanWhere(mag, label, LABEL.LV_BLOOD);
  const myo = meanWhere(mag, label, LABEL.MYOCARDIUM);
  // pixels on the blood/myocardium boundary take values between the two tissues
  let between = 0, boundary = 0;
  const nx = 512;
  for (let k = nx; k < label.length - nx; k++) {
    if (label[k] !== LABEL.LV_BLOOD && label[k] !== LABEL.MYOCARDIUM) continue;
    const other = label[k] === LABEL.LV_BLOOD ? LABEL.MYOCARDIUM : LABEL.LV_BLOOD;
    if (![k - 1, k + 1, k - nx, k + nx].some((j) => label[j] === other)) continue;
    boundary++;
    const v = mag[k];
    if (v > myo + 0.15 * (blood - myo) && v < blood - 0.15 * (blood - myo)) between++;
  }
  assert.ok(boundary > 50 && between > 0.15 * boundary, `${between} of ${boundary}`);
});

// ---------------------------------------------------------------------------------------
// mapping
// ---------------------------------------------------------------------------------------

Deno.test("molliTimes: 9 ascending TIs per slice from a 4-(1)-3-(1)-2 scheme; t2PrepTimes", () => {
  for (const seed of [1, 2, 3]) {
    const a = molliTimes(0, seed), b = molliTimes(1, seed);
    assert.equal(a.length, 9);
    for (let i = 1; i < 9; i++) assert.ok(a[i] > a[i - 1]);
    assert.ok(a[0] >= 95 && a[0] <= 135, `first TI ${a[0]}`);
    assert.ok(Math.abs(a[1] - a[0] - 80) < 1e-6 && Math.abs(a[2] - a[0] - 160) < 1e-6);
    const rr = a[3] - a[0];
    assert.ok(rr > 850 && rr < 1150, `RR ${rr}`);
    assert.notDeepEqual(a, b);
    assert.ok(Math.abs(a[0] - b[0]) < 10);
    assert.deepEqual(molliTimes(0, seed), a);
  }
  assert.deepEqual(t2PrepTimes(), [0, 35, 55]);
});

Deno.test("MOLLI signal inverts: T1 = T1* (B/A - 1), null at TI = T1* ln(B/A)", () => {
  for (const t1 of [400, 800, 1200, 1900]) {
    const t1s = t1 / 1.2;
    assert.ok(molliSignal(t1s * Math.log(2.2), t1) < 1e-12);
    assert.ok(Math.abs(molliSignal(0, t1) - 1.2) < 1e-12);
    assert.ok(Math.abs(molliSignal(1e7, t1) - 1) < 1e-9);
  }
  assert.ok(Math.abs(t2PrepSignal(45, 45, 2) - 2 / Math.E) < 1e-12);
});

/** 3-parameter MOLLI fit |A - B exp(-t/T1*)| with polarity restoration; returns T1. */
function fitMolli(ti: number[], s: number[]): number {
  let best = { err: Infinity, t1s: 0, a: 0, b: 0 };
  const solve = (t1s: number) => {
    const e = ti.map((t) => Math.exp(-t / t1s));
    let bestLocal = { err: Infinity, a: 0, b: 0 };
    for (let flip = 0; flip <= ti.length; flip++) {
      const y = s.map((v, i) => (i < flip ? -v : v));
      // least squares y = a - b e
      let n = 0, se = 0, see = 0, sy = 0, sey = 0;
      for (let i = 0; i < y.length; i++) {
        n++;
        se += e[i];
        see += e[i] * e[i];
        sy += y[i];
        sey += e[i] * y[i];
      }
      const det = n * see - se * se;
      const a = (see * sy - se * sey) / det;
      const b = -(n * sey - se * sy) / det;
      let err = 0;
      for (let i = 0; i < y.length; i++) err += (y[i] - (a - b * e[i])) ** 2;
      if (err < bestLocal.err) bestLocal = { err, a, b };
    }
    return bestLocal;
  };
  for (let t1s = 100; t1s < 3000; t1s += 5) {
    const r = solve(t1s);
    if (r.err < best.err) best = { ...r, t1s };
  }
  // golden-section refinement
  let lo = best.t1s - 5, hi = best.t1s + 5;
  for (let it = 0; it < 60; it++) {
    const m1 = lo + (hi - lo) * 0.382, m2 = lo + (hi - lo) * 0.618;
    if (solve(m1).err < solve(m2).err) hi = m2;
    else lo = m1;
  }
  const t1s = (lo + hi) / 2, r = solve(t1s);
  return t1s * (r.b / r.a - 1);
}

Deno.test("T1 and T2 series fit back to the ground-truth maps", () => {
  const p = phantomParams(31);
  const nx = 192, ny = 128;
  const ti = molliTimes(2, 31);
  const m1 = mappingImages(p, "T1", 2, 5, ti, nx, ny);
  const m2 = mappingImages(p, "T2", 2, 5, t2PrepTimes(), nx, ny);
  const n = nx * ny;
  assert.equal(m1.images.length, 2 * n * 9);
  assert.deepEqual(m1.label, m2.label);
  const checked = { [LABEL.MYOCARDIUM]: 0, [LABEL.LV_BLOOD]: 0, [LABEL.LIVER]: 0 };
  for (let k = 0; k < n; k += 7) {
    const lab = m1.label[k] as keyof typeof checked;
    if (!(lab in checked) || checked[lab] >= 6) continue;
    checked[lab]++;
    const s = ti.map((_, w) =>
      Math.hypot(m1.images[2 * (n * w + k)], m1.images[2 * (n * w + k) + 1])
    );
    const t1 = fitMolli(ti, s);
    assert.ok(Math.abs(t1 / m1.t1[k] - 1) < 0.01, `T1 fit ${t1} vs ${m1.t1[k]} (label ${lab})`);
    const e = [0, 35, 55].map((_, w) =>
      Math.hypot(m2.images[2 * (n * w + k)], m2.images[2 * (n * w + k) + 1])
    );
    const t2 = -55 / Math.log(e[2] / e[0]);
    assert.ok(Math.abs(t2 / m2.t2[k] - 1) < 1e-3, `T2 fit ${t2} vs ${m2.t2[k]}`);
  }
  assert.ok(Object.values(checked).every((v) => v > 0));
  // tissue values at 3 T
  const med = (map: Float32Array, lab: number) => {
    const v: number[] = [];
    for (let k = 0; k < n; k++) if (m1.label[k] === lab) v.push(map[k]);
    v.sort((a, b) => a - b);
    return v[v.length >> 1];
  };
  const myoT1 = med(m1.t1, LABEL.MYOCARDIUM), bloodT1 = med(m1.t1, LABEL.LV_BLOOD);
  assert.ok(myoT1 > 1050 && myoT1 < 1400, `myocardium T1 ${myoT1}`);
  assert.ok(bloodT1 > 1700 && bloodT1 < 2100, `blood T1 ${bloodT1}`);
  const myoT2 = med(m2.t2, LABEL.MYOCARDIUM);
  assert.ok(myoT2 > 38 && myoT2 < 60, `myocardium T2 ${myoT2}`);
  for (let k = 0; k < n; k++) {
    if (m1.label[k] === LABEL.BACKGROUND && m1.images[2 * k] === 0) assert.equal(m1.t1[k], 0);
  }
});

// ---------------------------------------------------------------------------------------
// coils
// ---------------------------------------------------------------------------------------

Deno.test("coil maps: RSS about 1 and smooth in the body, coils differ, slices change smoothly", () => {
  for (const [nx, ny] of [[512, 246], [96, 64]]) {
    const nc = 10, n = nx * ny;
    const maps = coilMaps(nc, nx, ny, 77, 3);
    assert.equal(maps.length, 2 * n * nc);
    const r = rss(maps, n, nc);
    const { label } = cineFrame(phantomParams(77), "sax", 3, 8, 0, 12, nx, ny);
    let lo = Infinity, hi = 0, maxStep = 0;
    for (let iy = 0; iy < ny - 1; iy++) {
      for (let ix = 0; ix < nx - 1; ix++) {
        const k = ix + nx * iy;
        if (label[k] === LABEL.BACKGROUND) continue;
        lo = Math.min(lo, r[k]);
        hi = Math.max(hi, r[k]);
        maxStep = Math.max(maxStep, Math.abs(r[k + 1] - r[k]), Math.abs(r[k + nx] - r[k]));
      }
    }
    assert.ok(lo > 0.75 && hi < 1.3, `${nx}x${ny}: RSS in [${lo}, ${hi}]`);
    assert.ok(maxStep < (nx > 100 ? 0.01 : 0.05), `RSS step ${maxStep}`);
    // individual coils are localised: their magnitudes differ across the body
    const c0 = abs(maps.subarray(0, 2 * n)), c9 = abs(maps.subarray(2 * n * 9, 2 * n * 10));
    assert.ok(relDiff(c0, c9) > 0.3);
    const next = coilMaps(nc, nx, ny, 77, 4);
    const d = relDiff(next, maps);
    assert.ok(d > 1e-3 && d < 0.6, `slice-to-slice change ${d}`);
  }
});

// ---------------------------------------------------------------------------------------
// errors and speed
// ---------------------------------------------------------------------------------------

Deno.test("bad arguments raise ShapeError", () => {
  const p = phantomParams(1);
  assert.throws(() => cineFrame(p, "sax", 5, 5, 0, 12, 96, 64), ShapeError);
  assert.throws(() => cineFrame(p, "sax", 0, 5, 0, 12, 8, 64), ShapeError);
  assert.throws(() => cineFrame(p, "5ch" as CineView, 0, 1, 0, 12, 96, 64), ShapeError);
  assert.throws(() => cineFrame(p, "sax", 0, 5, 0, 0, 96, 64), ShapeError);
  assert.throws(() => mappingImages(p, "T1", -1, 5, [100], 96, 64), ShapeError);
  assert.throws(() => coilMaps(0, 96, 64, 1), ShapeError);
});
