import assert from "node:assert/strict";
import { ShapeError } from "../../src/errors.ts";
import { EncodingOperator } from "../../src/kspace/encoding.ts";
import { uniformMask2d } from "../../src/kspace/mask.ts";
import { Rng } from "../../src/synth/random.ts";

function randomComplex(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(2 * n);
  for (let i = 0; i < out.length; i++) out[i] = rng.gaussian();
  return out;
}

/** Re <a, b> = Re sum conj(a) b over interleaved complex arrays. */
function dotRe(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

// ---------------------------------------------------------------------------------------
// The encoding operator
// ---------------------------------------------------------------------------------------

Deno.test("operator: E^H is the adjoint of E (line mask and 2-D random mask, odd and even sizes)", () => {
  for (const [nx, ny, nc] of [[24, 20, 3], [21, 17, 2]]) {
    const maps = randomComplex(nx * ny * nc, 1);
    const rng = new Rng(5);
    const lineMask = uniformMask2d(nx, ny, 3, 4);
    const randMask = Float32Array.from({ length: nx * ny }, () => (rng.uniform() < 0.4 ? 1 : 0));
    for (const mask of [lineMask, randMask]) {
      const op = new EncodingOperator(maps, nx, ny, nc, mask, [nx, ny]);
      assert.equal(op.lineMask, mask === lineMask);
      const x = randomComplex(nx * ny, 2);
      const y = randomComplex(nx * ny * nc, 3);
      for (let c = 0; c < nc; c++) {
        for (let p = 0; p < nx * ny; p++) {
          if (!mask[p]) y[2 * (c * nx * ny + p)] = y[2 * (c * nx * ny + p) + 1] = 0;
        }
      }
      const ex = op.forward(x, 0);
      const ehy = op.adjoint(y, 0);
      const lhs = dotRe(ex, y), rhs = dotRe(x, ehy);
      assert.ok(Math.abs(lhs - rhs) < 1e-4 * Math.abs(lhs), `${lhs} vs ${rhs}`);
    }
  }
});

Deno.test("operator: the hybrid-space normal operator equals E^H E through fft2c, for k-t masks too", () => {
  const [nx, ny, nc, nt] = [20, 18, 4, 3];
  const maps = randomComplex(nx * ny * nc, 7);
  // k-t line mask: a different line pattern in every frame
  const mask = new Float32Array(nx * ny * nt);
  for (let t = 0; t < nt; t++) {
    for (let y = t; y < ny; y += 3) mask.fill(1, nx * (y + ny * t), nx * (y + 1 + ny * t));
  }
  const op = new EncodingOperator(maps, nx, ny, nc, mask, [nx, ny, nt]);
  assert.equal(op.lineMask, true);
  const x = randomComplex(nx * ny, 8);
  const re = new Float64Array(nx * ny), im = new Float64Array(nx * ny);
  const oRe = new Float64Array(nx * ny), oIm = new Float64Array(nx * ny);
  op.toSolver(x, re, im);
  for (let t = 0; t < nt; t++) {
    op.normal(re, im, t, oRe, oIm);
    const fast = op.fromSolver(oRe, oIm);
    const slow = op.adjoint(op.forward(x, t), t);
    let err = 0, ref = 0;
    for (let i = 0; i < fast.length; i++) {
      err += (fast[i] - slow[i]) ** 2;
      ref += slow[i] ** 2;
    }
    assert.ok(Math.sqrt(err / ref) < 1e-5, `frame ${t}: ${Math.sqrt(err / ref)}`);
  }
  // toSolver / fromSolver round trip
  assert.deepEqual(op.fromSolver(re, im), x);
});

Deno.test("operator: Lipschitz bound is max sum_c |S_c|^2 and bounds ||E^H E||", () => {
  const [nx, ny, nc] = [16, 16, 3];
  const maps = randomComplex(nx * ny * nc, 9);
  const op = new EncodingOperator(maps, nx, ny, nc, uniformMask2d(nx, ny, 2, 4), [nx, ny]);
  let lip = 0;
  for (let p = 0; p < nx * ny; p++) {
    let s = 0;
    for (let c = 0; c < nc; c++) {
      s += maps[2 * (c * nx * ny + p)] ** 2 + maps[2 * (c * nx * ny + p) + 1] ** 2;
    }
    lip = Math.max(lip, s);
  }
  assert.ok(Math.abs(op.lipschitz - lip) < 1e-9 * lip);
  // power iteration
  let re = Float64Array.from({ length: nx * ny }, (_, i) => Math.sin(i));
  let im = new Float64Array(nx * ny);
  let oRe = new Float64Array(nx * ny), oIm = new Float64Array(nx * ny);
  let eig = 0;
  for (let k = 0; k < 50; k++) {
    op.normal(re, im, 0, oRe, oIm);
    let n = 0;
    for (let i = 0; i < nx * ny; i++) n += oRe[i] ** 2 + oIm[i] ** 2;
    n = Math.sqrt(n);
    let nx2 = 0;
    for (let i = 0; i < nx * ny; i++) nx2 += re[i] ** 2 + im[i] ** 2;
    eig = n / Math.sqrt(nx2);
    for (let i = 0; i < nx * ny; i++) {
      oRe[i] /= n;
      oIm[i] /= n;
    }
    [re, oRe] = [oRe, re];
    [im, oIm] = [oIm, im];
  }
  assert.ok(eig <= op.lipschitz * (1 + 1e-9), `${eig} > ${op.lipschitz}`);
});

Deno.test("operator: maps and masks that do not fit are ShapeErrors", () => {
  const maps = new Float32Array(2 * 8 * 8);
  for (let p = 0; p < maps.length; p += 2) maps[p] = 1;
  assert.throws(
    () => new EncodingOperator(maps, 8, 8, 2, new Float32Array(64), [8, 8]),
    ShapeError,
  );
  assert.throws(
    () => new EncodingOperator(maps, 8, 8, 1, new Float32Array(60), [8, 8]),
    ShapeError,
  );
  assert.throws(
    () => new EncodingOperator(new Float32Array(128), 8, 8, 1, new Float32Array(64), [8, 8]),
    ShapeError,
  );
});
