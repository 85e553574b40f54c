import assert from "node:assert/strict";
import { complexMatmul, orthonormalize } from "../../src/linalg/dense.ts";
import { hermitianEigenvalues, jacobiEigen, symmetricJacobiEigen } from "../../src/linalg/eigen.ts";
import { Rng } from "../../src/synth/random.ts";

function randomHermitian(n: number, seed: number): [Float64Array, Float64Array] {
  const rng = new Rng(seed);
  const ar = new Float64Array(n * n), ai = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i <= j; i++) {
      const re = rng.gaussian(), im = i === j ? 0 : rng.gaussian();
      ar[i + n * j] = re;
      ai[i + n * j] = im;
      ar[j + n * i] = re;
      ai[j + n * i] = -im;
    }
  }
  return [ar, ai];
}

function eigenResidual(
  ar: Float64Array,
  ai: Float64Array,
  n: number,
  lam: number,
  vr: Float64Array,
  vi: Float64Array,
  o: number,
): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    let r = -lam * vr[o + i], im = -lam * vi[o + i];
    for (let j = 0; j < n; j++) {
      const a = ar[i + n * j], b = ai[i + n * j];
      r += a * vr[o + j] - b * vi[o + j];
      im += a * vi[o + j] + b * vr[o + j];
    }
    s += r * r + im * im;
  }
  return Math.sqrt(s);
}

Deno.test("hermitianEigenvalues and jacobiEigen: A v = lambda v, orthonormal, descending", () => {
  for (const n of [1, 2, 5, 12, 40]) {
    const [ar, ai] = randomHermitian(n, n);
    const e = hermitianEigenvalues(ar, ai, n);
    const { re, im } = e.vectors(n);
    const vals = new Float64Array(n), vr = new Float64Array(n * n), vi = new Float64Array(n * n);
    jacobiEigen(Float64Array.from(ar), Float64Array.from(ai), n, vals, vr, vi);
    for (let j = 0; j < n; j++) {
      if (j > 0) assert.ok(e.values[j] <= e.values[j - 1] && vals[j] <= vals[j - 1]);
      assert.ok(Math.abs(e.values[j] - vals[j]) < 1e-10 * n, `n=${n} eigenvalue ${j}`);
      assert.ok(eigenResidual(ar, ai, n, e.values[j], re, im, n * j) < 1e-10 * n);
      assert.ok(eigenResidual(ar, ai, n, vals[j], vr, vi, n * j) < 1e-10 * n);
      for (let k = 0; k <= j; k++) {
        let sr = 0, si = 0;
        for (let i = 0; i < n; i++) {
          sr += re[n * k + i] * re[n * j + i] + im[n * k + i] * im[n * j + i];
          si += re[n * k + i] * im[n * j + i] - im[n * k + i] * re[n * j + i];
        }
        assert.ok(Math.hypot(sr - (j === k ? 1 : 0), si) < 1e-10, `n=${n} <v${k}, v${j}>`);
      }
    }
  }
});

Deno.test("jacobiEigen: the eigenpairs of a known 2 x 2 Hermitian matrix", () => {
  // [[2, i], [-i, 2]]: eigenvalues 3 and 1, eigenvectors (1, -i)/sqrt2 and (1, i)/sqrt2
  const ar = Float64Array.of(2, 0, 0, 2), ai = Float64Array.of(0, -1, 1, 0);
  const vals = new Float64Array(2), vr = new Float64Array(4), vi = new Float64Array(4);
  jacobiEigen(ar, ai, 2, vals, vr, vi);
  assert.ok(Math.abs(vals[0] - 3) < 1e-12 && Math.abs(vals[1] - 1) < 1e-12, `${vals}`);
  // v0 is parallel to (1, -i): v0[1] = -i v0[0]
  assert.ok(Math.abs(vr[1] - vi[0]) < 1e-12 && Math.abs(vi[1] + vr[0]) < 1e-12);
  assert.ok(Math.abs(Math.hypot(vr[0], vi[0]) - Math.SQRT1_2) < 1e-12);
});

Deno.test("symmetricJacobiEigen: A v = lambda v with orthonormal columns, known spectrum", () => {
  // Q diag(5, -2, 0.5, 3) Q^T with a Householder Q: eigenvalues known
  const m = 4, lam = [5, -2, 0.5, 3];
  const u = [1, 2, -1, 0.5];
  const uu = u.reduce((s, x) => s + x * x, 0);
  const q = (i: number, j: number) => (i === j ? 1 : 0) - (2 * u[i] * u[j]) / uu;
  const a = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      for (let k = 0; k < m; k++) a[i * m + j] += q(i, k) * lam[k] * q(j, k);
    }
  }
  const a0 = a.slice();
  const v = new Float64Array(m * m);
  const vals = symmetricJacobiEigen(a, m, v);
  assert.deepEqual(
    [...vals].sort((x, y) => x - y).map((x) => Math.round(x * 1e9) / 1e9),
    [-2, 0.5, 3, 5],
  );
  for (let j = 0; j < m; j++) {
    for (let i = 0; i < m; i++) {
      let av = 0;
      for (let k = 0; k < m; k++) av += a0[i * m + k] * v[k * m + j];
      assert.ok(Math.abs(av - vals[j] * v[i * m + j]) < 1e-10, `column ${j} row ${i}`);
    }
    for (let k = 0; k < m; k++) {
      let d = 0;
      for (let i = 0; i < m; i++) d += v[i * m + j] * v[i * m + k];
      assert.ok(Math.abs(d - (j === k ? 1 : 0)) < 1e-12);
    }
  }
});

Deno.test("complexMatmul and orthonormalize: a known product; orthonormal columns spanning the input", () => {
  // M = [[1, i], [2, 0]] (column-major), V = [1 + i, 1]^T: M V = [1 + 2i, 2 + 2i]
  const mr = Float64Array.of(1, 2, 0, 0), mi = Float64Array.of(0, 0, 1, 0);
  const ur = new Float64Array(2), ui = new Float64Array(2);
  complexMatmul(mr, mi, Float64Array.of(1, 1), Float64Array.of(1, 0), ur, ui, 2, 1);
  assert.deepEqual([...ur, ...ui], [1, 2, 2, 2]);

  const n = 3, m = 2;
  const vr = Float64Array.of(1, 1, 0, 1, 0, 0), vi = Float64Array.of(0, 0, 0, 0, 1, 0);
  const v0r = vr.slice(), v0i = vi.slice();
  orthonormalize(vr, vi, n, m);
  for (let j = 0; j < m; j++) {
    for (let k = 0; k <= j; k++) {
      let sr = 0, si = 0;
      for (let i = 0; i < n; i++) {
        sr += vr[n * k + i] * vr[n * j + i] + vi[n * k + i] * vi[n * j + i];
        si += vr[n * k + i] * vi[n * j + i] - vi[n * k + i] * vr[n * j + i];
      }
      assert.ok(Math.hypot(sr - (j === k ? 1 : 0), si) < 1e-12, `<v${k}, v${j}>`);
    }
  }
  // the first column keeps its direction: (1, 1, 0) / sqrt 2
  assert.ok(
    Math.abs(vr[0] - v0r[0] / Math.SQRT2) < 1e-12 && Math.abs(vr[1] - Math.SQRT1_2) < 1e-12,
  );
  assert.equal(v0i[0], 0);
  // a vanishing column is replaced by a unit vector orthogonal to the others
  const zr = Float64Array.of(1, 0, 0, 2, 0, 0), zi = new Float64Array(6);
  orthonormalize(zr, zi, 3, 2);
  assert.deepEqual([...zr], [1, 0, 0, 0, 1, 0]);
});
