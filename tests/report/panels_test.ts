import assert from "node:assert/strict";
import {
  absError,
  displayWindow,
  firstFrames,
  imageAt,
  locatorPicture,
  motionCentre,
  percentile,
  series,
  temporalStd,
  xtProfile,
} from "../../src/report/panels.ts";
import { ShapeError } from "../../src/errors.ts";

/** A series whose value encodes its MATLAB index: x + 100 y + 10^4 slice + 10^6 frame. */
function coded(nx: number, ny: number, nz: number, nt: number) {
  const d = new Float32Array(nx * ny * nz * nt);
  for (let t = 0; t < nt; t++) {
    for (let z = 0; z < nz; z++) {
      for (let y = 0; y < ny; y++) {
        for (let x = 0; x < nx; x++) {
          d[x + nx * (y + ny * (z + nz * t))] = x + 100 * y + 1e4 * z + 1e6 * t;
        }
      }
    }
  }
  return series(d, [nx, ny, nz, nt]);
}

Deno.test("percentile: numpy's linear interpolation, NaN ignored", () => {
  assert.equal(percentile([4, 1, 3, 2], 50), 2.5);
  assert.ok(Math.abs(percentile([1, 2, 3, 4], 90) - 3.7) < 1e-12);
  assert.equal(percentile([5, NaN, 1], 100), 5);
  assert.equal(percentile([5, NaN, 1], 0), 1);
  assert.ok(Number.isNaN(percentile([NaN], 50)));
  const ramp = Array.from({ length: 1001 }, (_, i) => i / 1000);
  assert.deepEqual(displayWindow(ramp), [0, 0.995]);
});

Deno.test("imageAt, xtProfile and firstFrames follow MATLAB (x, y, slice, frame) order", () => {
  const s = coded(4, 3, 2, 5);
  const im = imageAt(s, 1, 3);
  assert.equal(im[2 + 4 * 1], 2 + 100 + 1e4 + 3e6);
  const xt = xtProfile(s, 1, 2, 4); // (x, frame) along column y = 2
  assert.equal(xt.length, 4 * 4);
  assert.equal(xt[3 + 4 * 2], 3 + 200 + 1e4 + 2e6);
  assert.equal(xtProfile(s, 0, 0).length, 4 * 5);
  const f = firstFrames(s, 2);
  assert.deepEqual(f.dims, [4, 3, 2, 2]);
  assert.equal(f.data[f.data.length - 1], 3 + 200 + 1e4 + 1e6);
  assert.throws(() => imageAt(s, 2, 0), ShapeError);
  assert.throws(() => series(new Float32Array(5), [2, 2]), ShapeError);
  assert.deepEqual([...absError([1, -2], [3, 1])], [2, 3]);
});

Deno.test("temporalStd: population standard deviation over frames", () => {
  // one pixel, frames 1, 2, 3, 4 -> std sqrt(1.25)
  const s = series(Float32Array.of(1, 2, 3, 4), [1, 1, 1, 4]);
  assert.ok(Math.abs(temporalStd(s, 0)[0] - Math.sqrt(1.25)) < 1e-6);
});

Deno.test("motionCentre: the middle of a moving ring, not a point on it", () => {
  const nx = 48, ny = 40, cx = 20, cy = 23;
  const std = new Float32Array(nx * ny);
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      const r = Math.hypot(x - cx, y - cy);
      // a wall moving at radius 5..7, strongest on one side
      if (r > 5 && r < 7) std[x + nx * y] = 1 + (x > cx ? 0.5 : 0);
    }
  }
  const c = motionCentre(std, nx, ny);
  assert.ok(Math.abs(c.x - cx) <= 2 && Math.abs(c.y - cy) <= 2, JSON.stringify(c));
  // With a 1-pixel box it lands on the ring's brightest part instead.
  const p = motionCentre(std, nx, ny, 1);
  assert.ok(Math.hypot(p.x - cx, p.y - cy) > 4, JSON.stringify(p));
});

Deno.test("locatorPicture: profile column red, mask tinted, rest grey", () => {
  const nx = 3, ny = 4;
  const img = new Float32Array(nx * ny).fill(0.5);
  const mask = new Uint8Array(nx * ny);
  mask[0 + nx * 0] = 1;
  const p = locatorPicture(img, nx, ny, [0, 1], 2, mask);
  const px = (x: number, y: number) => [...p.data.subarray(3 * (x * ny + y), 3 * (x * ny + y) + 3)];
  assert.deepEqual(px(1, 2), [255, 64, 48]);
  const g = Math.round(0.5 * 255);
  assert.deepEqual(px(1, 1), [g, g, g]);
  assert.notDeepEqual(px(0, 0), [g, g, g]);
});
