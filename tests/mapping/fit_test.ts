import assert from "node:assert/strict";
import { ShapeError } from "../../src/errors.ts";
import { airMask, fitMaps } from "../../src/mapping/maps.ts";
import { fitMolli, fitMolliPixel } from "../../src/mapping/t1.ts";
import { fitT2Prep, fitT2PrepPixel } from "../../src/mapping/t2.ts";
import { usableTimes } from "../../src/challenge/maps/csv.ts";
import { molliSignal, molliTimes, t2PrepSignal, t2PrepTimes } from "../../src/synth/phantom/mod.ts";

const golden = JSON.parse(
  await Deno.readTextFile(new URL("../fixtures/mapping/golden.json", import.meta.url)),
);
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

Deno.test("MOLLI fit recovers T1, A, B exactly from noise-free curves (synth's signal model)", () => {
  for (const seed of [1, 7, 42]) {
    const ti = molliTimes(0, seed);
    for (const t1 of [250, 600, 1200, 1900, 3500]) {
      for (const a of [1e-3, 0.8, 250]) {
        const y = ti.map((t) => molliSignal(t, t1, a));
        const f = fitMolliPixel(y, ti);
        assert.ok(rel(f.t1, t1) < 1e-5, `T1 ${t1} a ${a}: got ${f.t1}`);
        assert.ok(rel(f.a, a) < 1e-5, `A ${a}: got ${f.a}`);
        assert.ok(rel(f.b, 2.2 * a) < 1e-5, `B: got ${f.b}`);
        assert.ok(rel(f.t1star, t1 / 1.2) < 1e-5, `T1*: got ${f.t1star}`);
      }
    }
  }
});

Deno.test("polarity restoration: the samples before the null are flipped, in TI order", () => {
  // Acquisition order (unsorted TIs): the flip count counts the smallest TIs.
  const ti = [120, 1120, 2120, 3120, 200, 1200, 2200, 280, 1280];
  for (const t1 of [400, 900, 1500, 2500]) {
    const t1s = t1 / 1.2;
    const nullTi = t1s * Math.log(2.2);
    const expected = ti.filter((t) => t < nullTi).length;
    const f = fitMolliPixel(ti.map((t) => molliSignal(t, t1, 1)), ti);
    assert.equal(f.flips, expected, `T1 ${t1}`);
    assert.ok(rel(f.t1, t1) < 1e-5);
  }
  // The fitted signed curve is negative exactly at the restored samples and reproduces the
  // magnitudes everywhere (noisy data: still the right samples flipped).
  const y = ti.map((t, i) => molliSignal(t, 1100, 1) * (1 + 0.003 * Math.cos(3 * i)));
  const f = fitMolliPixel(y, ti);
  const order = [...ti].sort((a, b) => a - b);
  order.forEach((t, i) => {
    const model = f.a - f.b * Math.exp(-t / f.t1star);
    assert.equal(model < 0, i < f.flips, `TI ${t}`);
  });
  assert.ok(rel(f.t1, 1100) < 0.02);
});

Deno.test("MOLLI fit agrees with scipy curve_fit on 240 noisy pixels (golden, 1e-3 relative)", () => {
  let compared = 0, maxDiff = 0;
  for (const p of golden.molli) {
    if (!p.fit.ok) continue;
    const f = fitMolliPixel(p.y, p.times, { t1Range: [-1e9, 1e9] });
    // Never worse than curve_fit; where both reach the same minimum, the same parameters.
    assert.ok(f.sse <= p.fit.sse * (1 + 1e-6), `residual ${f.sse} > curve_fit ${p.fit.sse}`);
    if (f.sse < p.fit.sse * (1 - 1e-6)) continue;
    compared++;
    assert.equal(f.flips, p.fit.flips);
    for (const k of ["t1", "t1star", "a", "b"] as const) {
      const d = rel(f[k], p.fit[k === "t1star" ? "t1star" : k]);
      maxDiff = Math.max(maxDiff, d);
      assert.ok(d < 1e-3, `${k}: ${f[k]} vs curve_fit ${p.fit[k]}`);
    }
  }
  assert.ok(compared >= 230, `compared ${compared} pixels`);
  assert.ok(maxDiff < 1e-5, `max relative difference ${maxDiff}`);
});

Deno.test("T2 fit: exact on noise-free curves, agrees with curve_fit on 160 noisy pixels", () => {
  for (const t2 of [12, 45, 80, 250]) {
    for (const te of [t2PrepTimes(), [0, 25, 50, 80]]) {
      const f = fitT2PrepPixel(te.map((t) => t2PrepSignal(t, t2, 0.004)), te);
      assert.ok(rel(f.t2, t2) < 1e-6, `T2 ${t2}: ${f.t2}`);
      assert.ok(rel(f.s0, 0.004) < 1e-6);
    }
  }
  let compared = 0;
  for (const p of golden.t2) {
    if (!p.fit.ok) continue;
    const f = fitT2PrepPixel(p.y, p.times, { t2Range: [0, 1e9] });
    assert.ok(f.sse <= p.fit.sse * (1 + 1e-6) + 1e-30);
    assert.ok(rel(f.t2, p.fit.t2) < 1e-3, `T2 ${f.t2} vs curve_fit ${p.fit.t2}`);
    assert.ok(rel(f.s0, p.fit.s0) < 1e-3);
    compared++;
  }
  assert.equal(compared, golden.t2.length);
});

Deno.test("T2 is clipped to the range; rising or flat signals give its upper end", () => {
  const te = [0, 35, 55];
  assert.equal(fitT2PrepPixel(te.map((t) => Math.exp(-t / 900)), te).t2, 500);
  assert.equal(fitT2PrepPixel([1, 1.1, 1.2], te).t2, 500);
  assert.equal(
    fitT2PrepPixel(te.map((t) => Math.exp(-t / 900)), te, { t2Range: [0, 2000] }).t2 > 899,
    true,
  );
  assert.equal(fitT2PrepPixel(te.map((t) => Math.exp(-t / 4)), te, { t2Range: [10, 300] }).t2, 10);
});

Deno.test("trailing zero times are dropped with their images", () => {
  assert.deepEqual(usableTimes([100, 200, 300, 0]), [100, 200, 300]);
  assert.deepEqual(usableTimes([0, 35, 55]), [0, 35, 55]);
  assert.deepEqual(usableTimes([100, 200, 0, 0], 3), [100, 200]);
  // A 9-weighting image whose last weighting has TI 0 (garbage image): the fit of the
  // first 8 is exact, the 9th image is ignored.
  const ti = molliTimes(1, 3).slice(0, 8);
  const npix = 4, t1s = [500, 1000, 1500, 2000];
  const img = new Float32Array(npix * 9);
  for (let p = 0; p < npix; p++) {
    for (let w = 0; w < 8; w++) img[p + npix * w] = molliSignal(ti[w], t1s[p], 1);
    img[p + npix * 8] = 123; // the dropped weighting
  }
  const maps = fitMaps("T1", img, [2, 2, 1, 9], [usableTimes([...ti, 0])], { airFraction: 0 });
  for (let p = 0; p < npix; p++) assert.ok(rel(maps.maps.T1[p], t1s[p]) < 1e-4);
  assert.deepEqual(maps.times, [ti]);
});

Deno.test("air mask: pixels below 5 % of the slice's maximum are not fitted (0 in every map)", () => {
  const te = t2PrepTimes();
  const nx = 4, ny = 3, npix = nx * ny;
  const img = new Float32Array(npix * 2 * 3); // 2 slices
  for (let z = 0; z < 2; z++) {
    for (let p = 0; p < npix; p++) {
      const amp = p % 3 === 0 ? 0.01 : 1; // every third pixel is "air"
      for (let w = 0; w < 3; w++) img[p + npix * (z + 2 * w)] = t2PrepSignal(te[w], 40 + z, amp);
    }
  }
  const m = fitMaps("T2", img, [nx, ny, 2, 3], [te, te]);
  for (let z = 0; z < 2; z++) {
    for (let p = 0; p < npix; p++) {
      const i = p + npix * z;
      if (p % 3 === 0) {
        assert.equal(m.mask[i], 0);
        assert.equal(m.maps.T2[i], 0);
        assert.equal(m.maps.S0[i], 0);
      } else {
        assert.equal(m.mask[i], 1);
        assert.ok(rel(m.maps.T2[i], 40 + z) < 1e-5);
      }
    }
  }
  assert.deepEqual(Array.from(airMask([0, 1, 0.04, 0.05], 4, 1)), [0, 1, 0, 1]);
  const all = fitMaps("T2", img, [nx, ny, 2, 3], [te, te], { airFraction: 0 });
  assert.ok(all.mask.every((v) => v === 1));
});

Deno.test("vectorised fits equal the pixel fits; bad inputs are typed errors", () => {
  const ti = molliTimes(2, 5);
  const npix = 50;
  const img = new Float32Array(npix * 9);
  for (let p = 0; p < npix; p++) {
    for (let w = 0; w < 9; w++) {
      img[p + npix * w] = molliSignal(ti[w], 300 + 40 * p, 1) + 0.01 * Math.sin(7 * p + w);
    }
  }
  const f = fitMolli(img, npix, ti);
  for (const p of [0, 17, 49]) {
    const y = Array.from({ length: 9 }, (_, w) => img[p + npix * w]);
    assert.equal(f.t1[p], fitMolliPixel(y, ti).t1);
  }
  const t2 = fitT2Prep(new Float32Array([1, 2, 0.5, 1, 0.3, 0.6]), 2, [0, 35, 55]);
  assert.equal(t2.t2.length, 2);
  assert.throws(() => fitMolli(img, npix, [100, 200]), ShapeError);
  assert.throws(() => fitMolli(img, npix, [100, -1, 300]), ShapeError);
  assert.throws(() => fitMolli(img.subarray(0, 10), npix, ti), ShapeError);
  assert.throws(() => fitT2Prep(img, npix, [0]), ShapeError);
  assert.throws(() => fitMaps("T1", img, [5, 10, 1, 9], [ti, ti]), ShapeError);
});
