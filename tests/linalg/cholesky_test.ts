import assert from "node:assert/strict";
import { choleskyInPlace, choleskySolve } from "../../src/linalg/cholesky.ts";
import { Rng } from "../../src/synth/random.ts";

Deno.test("complex Cholesky solves a Hermitian positive definite system", () => {
  const n = 7, nrhs = 2;
  const rng = new Rng(3);
  // A = B^H B + I with random complex B
  const b = Array.from({ length: 2 * n * n }, () => rng.gaussian());
  const a = new Float64Array(2 * n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let sr = i === j ? 1 : 0, si = 0;
      for (let k = 0; k < n; k++) {
        const xr = b[2 * (k * n + i)], xi = -b[2 * (k * n + i) + 1];
        const yr = b[2 * (k * n + j)], yi = b[2 * (k * n + j) + 1];
        sr += xr * yr - xi * yi;
        si += xr * yi + xi * yr;
      }
      a[2 * (i * n + j)] = sr;
      a[2 * (i * n + j) + 1] = si;
    }
  }
  const x = Float64Array.from({ length: 2 * n * nrhs }, () => rng.gaussian());
  const rhs = new Float64Array(2 * n * nrhs);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < nrhs; r++) {
      let sr = 0, si = 0;
      for (let k = 0; k < n; k++) {
        const ar = a[2 * (i * n + k)], ai = a[2 * (i * n + k) + 1];
        const xr = x[2 * (k * nrhs + r)], xi = x[2 * (k * nrhs + r) + 1];
        sr += ar * xr - ai * xi;
        si += ar * xi + ai * xr;
      }
      rhs[2 * (i * nrhs + r)] = sr;
      rhs[2 * (i * nrhs + r) + 1] = si;
    }
  }
  const l = a.slice();
  assert.ok(choleskyInPlace(l, n));
  choleskySolve(l, n, rhs, nrhs);
  for (let i = 0; i < x.length; i++) assert.ok(Math.abs(rhs[i] - x[i]) < 1e-9);
  // not positive definite
  const bad = new Float64Array(2 * 4);
  bad[0] = 1;
  bad[6] = -1;
  assert.equal(choleskyInPlace(bad, 2), false);
});
