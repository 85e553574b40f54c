import assert from "node:assert/strict";
import {
  accelerationOf,
  acsRange,
  sampledLines,
  uniformLines,
  uniformMask2d,
} from "../../src/kspace/mask.ts";

Deno.test("uniform mask: every R-th line from 0 plus 24 central lines (ny 246 -> 111..134)", () => {
  const lines = uniformLines(246, 4, 24);
  for (let y = 0; y < 246; y++) {
    const inAcs = y >= 111 && y <= 134;
    assert.equal(lines[y], y % 4 === 0 || inAcs ? 1 : 0, `line ${y}`);
  }
  assert.deepEqual(acsRange(lines), [111, 135]);
  assert.deepEqual(acsRange(uniformLines(246, 8, 16)), [115, 131]);
  assert.deepEqual(acsRange(uniformLines(246, 10, 20)), [113, 133]);
  // A sampled line right next to the band (112 = 14 * 8) joins it: the ACS is what is contiguous.
  assert.deepEqual(acsRange(uniformLines(246, 8, 20)), [112, 133]);
});

Deno.test("uniform mask: odd ny keeps the ACS band centred on floor(ny/2)", () => {
  const lines = uniformLines(75, 10, 24);
  const [s, e] = acsRange(lines);
  assert.equal(e - s >= 24, true);
  assert.equal(s <= 37 - 12 && e >= 37 + 12, true);
});

Deno.test("mask 2-D (kx, ky): whole kx columns sampled; sampledLines and acceleration invert it", () => {
  const nx = 10, ny = 64;
  const m = uniformMask2d(nx, ny, 8, 24);
  const lines = sampledLines(m, nx, ny);
  assert.deepEqual(lines, uniformLines(ny, 8, 24));
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) assert.equal(m[x + nx * y], lines[y]);
  }
  const n = [...lines].filter(Boolean).length;
  assert.equal(accelerationOf(lines), ny / n);
  assert.deepEqual(acsRange(new Uint8Array(8)), [4, 4]);
});
