import assert from "node:assert/strict";
import {
  cropRange,
  frameRule,
  matlabRound,
  rankingSlices,
  reductionPlan,
  run4Ranking,
} from "../../src/challenge/reduce.ts";
import { ShapeError } from "../../src/errors.ts";

Deno.test("matlabRound rounds half away from zero (not banker's rounding)", () => {
  assert.deepEqual([0.5, 1.5, 2.5, 61.5, 123, -2.5, 5.49].map(matlabRound), [
    1,
    2,
    3,
    62,
    123,
    -3,
    5,
  ]);
});

Deno.test("cropRange follows crop.m: 1-based floor(m/2)+1+ceil(-s/2) : floor(m/2)+ceil(s/2)", () => {
  for (let m = 1; m <= 600; m++) {
    for (const s of [1, 2, 3, Math.round(m / 3), Math.round(m / 2), m - 1, m]) {
      if (s < 1 || s > m) continue;
      const first1 = Math.floor(m / 2) + 1 + Math.ceil(-s / 2);
      const last1 = Math.floor(m / 2) + Math.ceil(s / 2);
      assert.deepEqual(cropRange(m, s), [first1 - 1, last1], `m ${m} s ${s}`);
    }
  }
});

Deno.test("worked examples: 512x246 -> 171x123 from x 171, y 62; 448x204; 448x168", () => {
  const p = reductionPlan(2023, [512, 246, 10, 12], "cine_sax");
  assert.deepEqual(p.x, [171, 342]);
  assert.deepEqual(p.y, [62, 185]);
  assert.deepEqual(p.dims, [171, 123, 2, 3]);
  assert.deepEqual(p.slices, [3, 4]);
  assert.deepEqual(p.frames, [0, 1, 2]);
  const lax = reductionPlan(2023, [448, 204, 3, 12], "cine_lax");
  assert.deepEqual([lax.x, lax.y, lax.dims, lax.slices], [[150, 299], [51, 153], [149, 102, 2, 3], [
    0,
    1,
  ]]);
  const q = reductionPlan(2023, [448, 168, 5, 9], "T1map", true);
  assert.deepEqual([q.x, q.y, q.dims, q.slices, q.frames.length], [
    [150, 299],
    [42, 126],
    [149, 84, 2, 9],
    [1, 2],
    9,
  ]);
  // The naive (m - s) // 2 start would be 170 / 149: wrong.
  assert.notEqual(p.x[0], Math.floor((512 - 171) / 2));
});

Deno.test("slice selection table: sz < 3 keeps all, else 0-based {R(sz/2)-2, R(sz/2)-1}", () => {
  const table: [number, number[]][] = [
    [1, [0]],
    [2, [0, 1]],
    [3, [0, 1]],
    [4, [0, 1]],
    [5, [1, 2]],
    [6, [1, 2]],
    [7, [2, 3]],
    [9, [3, 4]],
    [10, [3, 4]],
    [11, [4, 5]],
    [12, [4, 5]],
  ];
  for (const [sz, want] of table) assert.deepEqual(rankingSlices(sz), want, `sz ${sz}`);
});

Deno.test("reduction table over odd and even sizes, slice counts 1, 2, 3, 5, 10, 11", () => {
  const cases: [number[], string, boolean, number[]][] = [
    [[512, 246, 10, 12], "cine_sax", false, [171, 123, 2, 3]],
    [[511, 245, 11, 25], "cine_sax", false, [170, 123, 2, 3]],
    [[448, 204, 3, 12], "cine_lax", false, [149, 102, 2, 3]],
    [[449, 203, 5, 12], "cine_sax", false, [150, 102, 2, 3]],
    [[448, 162, 2, 9], "T1map", true, [149, 81, 2, 9]],
    [[448, 132, 1, 3], "T2map", true, [149, 66, 1, 3]],
    [[96, 72, 1, 12], "cine_sax", false, [32, 36, 1, 3]],
    [[97, 73, 10, 2], "cine_sax", false, [32, 37, 2, 2]],
  ];
  for (const [dims, name, mapping, want] of cases) {
    const p = reductionPlan(2023, dims, name, mapping);
    assert.deepEqual(p.dims, want, `${dims} ${name}`);
    const [sx, sy] = dims;
    assert.equal(p.x[1] - p.x[0], Math.floor(sx / 3 + 0.5));
    assert.equal(p.y[1] - p.y[0], Math.floor(sy / 2 + 0.5));
  }
});

Deno.test("2024 and 2025 frame rules and output ranks", () => {
  assert.equal(frameRule(2023, "T1map"), "first3"); // 2023 decides by task
  assert.equal(frameRule(2023, "T1map", true), "all");
  assert.equal(frameRule(2024, "T2map"), "all");
  assert.equal(frameRule(2024, "blackblood"), "single");
  assert.equal(frameRule(2024, "cine_lvot"), "first3");
  assert.equal(frameRule(2025, "T1w"), "single");
  assert.equal(frameRule(2025, "T1rho"), "all");
  assert.equal(frameRule(2025, "T2smap"), "all");
  assert.equal(frameRule(2025, "lge"), "first3");
  assert.deepEqual(reductionPlan(2024, [512, 246, 12], "blackblood").dims, [171, 123, 2]);
  assert.deepEqual(reductionPlan(2024, [512, 246, 1, 12], "cine_lax_4ch").dims, [171, 123, 1, 3]);
  assert.deepEqual(reductionPlan(2025, [512, 246, 1], "blackblood").dims, [171, 123]);
  assert.deepEqual(reductionPlan(2025, [512, 246, 1, 2], "cine_lax_2ch").dims, [171, 123, 1, 2]);
  assert.deepEqual(reductionPlan(2025, [512, 246, 6, 1], "lge").dims, [171, 123, 2]);
  assert.deepEqual(reductionPlan(2025, [512, 246, 5, 9], "T1map").dims, [171, 123, 2, 9]);
  assert.throws(() => reductionPlan(2023, [512, 246, 10, 10, 12], "cine_sax"), ShapeError);
});

Deno.test("run4Ranking picks the planned voxels, takes magnitude, returns single", () => {
  const dims = [9, 8, 5, 4];
  const n = 9 * 8 * 5 * 4;
  const value = (x: number, y: number, z: number, t: number) => x + 10 * y + 100 * z + 1000 * t;
  const img = new Float64Array(2 * n);
  for (let t = 0; t < 4; t++) {
    for (let z = 0; z < 5; z++) {
      for (let y = 0; y < 8; y++) {
        for (let x = 0; x < 9; x++) {
          const i = x + 9 * (y + 8 * (z + 5 * t));
          const v = value(x, y, z, t);
          img[2 * i] = 0.6 * v;
          img[2 * i + 1] = -0.8 * v; // |.| = v
        }
      }
    }
  }
  const r = run4Ranking(img, dims, 2023, "cine_sax", false, true);
  assert.deepEqual(r.dims, [3, 4, 2, 3]);
  assert.ok(r.data instanceof Float32Array);
  // x range [3, 6), y [2, 6), slices {1, 2}, frames {0, 1, 2}
  let o = 0;
  for (let t = 0; t < 3; t++) {
    for (const z of [1, 2]) {
      for (let y = 2; y < 6; y++) {
        for (let x = 3; x < 6; x++) {
          assert.ok(Math.abs(r.data[o++] - value(x, y, z, t)) < 1e-3);
        }
      }
    }
  }
  const real = run4Ranking(
    Float32Array.from({ length: n }, (_, i) => -i),
    dims,
    2023,
    "T2map",
    true,
  );
  assert.deepEqual(real.dims, [3, 4, 2, 4]);
  assert.ok(real.data.every((v) => v >= 0));
  assert.throws(() => run4Ranking(new Float32Array(5), dims, 2023, "cine_sax"), ShapeError);
});
