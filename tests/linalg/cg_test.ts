import assert from "node:assert/strict";
import { CgWork, conjugateGradient } from "../../src/linalg/cg.ts";

Deno.test("conjugateGradient: solves a small Hermitian system exactly", () => {
  // A = diag(1..n) + rank-1 complex term, Hermitian positive definite
  const n = 12;
  const uRe = Float64Array.from({ length: n }, (_, i) => Math.cos(i));
  const uIm = Float64Array.from({ length: n }, (_, i) => Math.sin(2 * i));
  const apply = (re: Float64Array, im: Float64Array, oRe: Float64Array, oIm: Float64Array) => {
    let dr = 0, di = 0; // u^H x
    for (let i = 0; i < n; i++) {
      dr += uRe[i] * re[i] + uIm[i] * im[i];
      di += uRe[i] * im[i] - uIm[i] * re[i];
    }
    for (let i = 0; i < n; i++) {
      oRe[i] = (i + 1) * re[i] + uRe[i] * dr - uIm[i] * di;
      oIm[i] = (i + 1) * im[i] + uRe[i] * di + uIm[i] * dr;
    }
  };
  const xtRe = Float64Array.from({ length: n }, (_, i) => i - 3);
  const xtIm = Float64Array.from({ length: n }, (_, i) => 1 / (i + 1));
  const bRe = new Float64Array(n), bIm = new Float64Array(n);
  apply(xtRe, xtIm, bRe, bIm);
  const xRe = new Float64Array(n), xIm = new Float64Array(n);
  const r = conjugateGradient(apply, bRe, bIm, xRe, xIm, { maxIter: 50, tol: 1e-12 });
  assert.ok(r.iterations <= n + 2, `${r.iterations}`);
  for (let i = 0; i < n; i++) {
    assert.ok(Math.abs(xRe[i] - xtRe[i]) < 1e-8 && Math.abs(xIm[i] - xtIm[i]) < 1e-8);
  }
});

Deno.test("conjugateGradient: b = 0 gives x = 0; maxIter and a reused work space are honoured", () => {
  const n = 6;
  // A = diag(1, 10, 100, ...): badly conditioned, so one iteration cannot converge
  const apply = (re: Float64Array, im: Float64Array, oRe: Float64Array, oIm: Float64Array) => {
    for (let i = 0; i < n; i++) {
      oRe[i] = 10 ** i * re[i];
      oIm[i] = 10 ** i * im[i];
    }
  };
  const xRe = new Float64Array(n).fill(5), xIm = new Float64Array(n).fill(-1);
  const zero = new Float64Array(n);
  const r0 = conjugateGradient(apply, zero, zero, xRe, xIm);
  assert.deepEqual(r0, { iterations: 0, relResidual: 0 });
  assert.ok(xRe.every((v) => v === 0) && xIm.every((v) => v === 0));

  const bRe = new Float64Array(n).fill(1), bIm = new Float64Array(n);
  const work = new CgWork(n);
  const r1 = conjugateGradient(apply, bRe, bIm, xRe, xIm, { maxIter: 1, tol: 1e-12, work });
  assert.equal(r1.iterations, 1);
  assert.ok(r1.relResidual > 1e-3, `${r1.relResidual}`);
  xRe.fill(0);
  const r2 = conjugateGradient(apply, bRe, bIm, xRe, xIm, { maxIter: 100, tol: 1e-12, work });
  assert.ok(r2.relResidual <= 1e-12, `${r2.relResidual}`);
  for (let i = 0; i < n; i++) assert.ok(Math.abs(xRe[i] - 10 ** -i) < 1e-9 * 10 ** -i + 1e-15);
});
