import assert from "node:assert/strict";
import { ShapeError } from "../../src/errors.ts";
import { fft2c } from "../../src/kspace/fft.ts";
import { uniformMask2d } from "../../src/kspace/mask.ts";
import { createLps, lowRankPlusSparse, LPS_DEFAULTS } from "../../src/recon/lps.ts";
import { resolveMaps, unitMap } from "../../src/recon/iterative.ts";
import { cgSense } from "../../src/recon/sense.ts";
import { nmse, type Phantom, slicePhantom } from "./phantom.ts";
import type { SliceInput } from "../../src/kspace/slice.ts";
import { zeroFilledRss } from "../../src/kspace/zerofill.ts";
import { Rng } from "../../src/synth/random.ts";

const lps = createLps();

/** The test slice of these tests (noise seed 23). */
function phantom(nx: number, ny: number, nc: number, nt: number, kind: "cine" | "T1" | "T2") {
  return slicePhantom(nx, ny, nc, nt, { kind, seed: 23 });
}

function undersample(ph: Phantom, r: number, kind: "cine" | "mapping"): SliceInput {
  const [nx, ny] = ph.dims;
  const npix = nx * ny;
  const mask = uniformMask2d(nx, ny, r, 24);
  const k = new Float32Array(ph.full.length);
  for (let f = 0; f < ph.full.length / (2 * npix); f++) {
    for (let p = 0; p < npix; p++) {
      if (!mask[p]) continue;
      k[2 * (npix * f + p)] = ph.full[2 * (npix * f + p)];
      k[2 * (npix * f + p) + 1] = ph.full[2 * (npix * f + p) + 1];
    }
  }
  return { kspace: k, dims: ph.dims, mask, maskDims: [nx, ny], task: kind };
}

/** Fully sampled single-coil slice whose frames are the complex images `x (x, y, frame)`. */
function fullySampled(x: Float32Array, nx: number, ny: number, nt: number): SliceInput {
  return {
    kspace: fft2c(x, nx, ny, nt),
    dims: [nx, ny, 1, nt],
    mask: new Float32Array(nx * ny).fill(1),
    maskDims: [nx, ny],
    task: "cine",
  };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

// ---------------------------------------------------------------------------------------
// The proximal maps, through fully sampled single-coil data (E = F, unitary)
// ---------------------------------------------------------------------------------------

Deno.test("lps: with E unitary and S switched off, L is the singular value soft-threshold", () => {
  // X = s1 u1 v1^H + s2 u2 v2^H with orthonormal images u and temporal vectors v
  const [nx, ny, nt] = [12, 10, 6];
  const npix = nx * ny;
  const rng = new Rng(4);
  const u = [0, 1].map(() => Float64Array.from({ length: 2 * npix }, () => rng.gaussian()));
  const dot = (a: Float64Array, b: Float64Array) => {
    let re = 0, im = 0;
    for (let p = 0; p < npix; p++) {
      re += a[2 * p] * b[2 * p] + a[2 * p + 1] * b[2 * p + 1];
      im += a[2 * p] * b[2 * p + 1] - a[2 * p + 1] * b[2 * p];
    }
    return [re, im];
  };
  const normalise = (a: Float64Array) => {
    const n = Math.sqrt(dot(a, a)[0]);
    for (let i = 0; i < a.length; i++) a[i] /= n;
  };
  normalise(u[0]);
  const [pr, pi] = dot(u[0], u[1]); // u1 -= <u0, u1> u0
  for (let p = 0; p < npix; p++) {
    const ar = u[0][2 * p], ai = u[0][2 * p + 1];
    u[1][2 * p] -= pr * ar - pi * ai;
    u[1][2 * p + 1] -= pr * ai + pi * ar;
  }
  normalise(u[1]);
  const sigma = [5, 2.5];
  // v_k(t) = exp(2 pi i k t / nt) / sqrt(nt), k = 0, 1: conj(v) in X = U S V^H
  const build = (s: number[]) => {
    const x = new Float32Array(2 * npix * nt);
    for (let t = 0; t < nt; t++) {
      for (let k = 0; k < 2; k++) {
        const a = (-2 * Math.PI * k * t) / nt;
        const vr = Math.cos(a) / Math.sqrt(nt), vi = Math.sin(a) / Math.sqrt(nt);
        for (let p = 0; p < npix; p++) {
          const ur = u[k][2 * p], ui = u[k][2 * p + 1];
          x[2 * (npix * t + p)] += s[k] * (ur * vr - ui * vi);
          x[2 * (npix * t + p) + 1] += s[k] * (ur * vi + ui * vr);
        }
      }
    }
    return x;
  };
  const input = fullySampled(build(sigma), nx, ny, nt);
  // tauL = 0.2 * sigma_1 = 1: singular values 5, 2.5 -> 4, 1.5
  const r = lowRankPlusSparse(input, unitMap(nx, ny), {
    lambdaL: 0.2,
    lambdaS: 100,
    maxIter: 200,
    tol: 1e-9,
  });
  const want = build([4, 1.5]);
  assert.ok(maxAbsDiff(r.lowRank, want) < 1e-5, `${maxAbsDiff(r.lowRank, want)}`);
  assert.ok(maxAbsDiff(r.sparse, new Float32Array(want.length)) === 0);
  assert.equal(r.rank, 2);
  // a threshold above sigma_2 drops the second component
  const r2 = lowRankPlusSparse(input, unitMap(nx, ny), { lambdaL: 0.6, lambdaS: 100, tol: 1e-9 });
  assert.ok(maxAbsDiff(r2.lowRank, build([2, 0])) < 1e-5);
  assert.equal(r2.rank, 1);
});

Deno.test("lps: with E unitary and L switched off, S is soft-thresholded in the chosen transform", () => {
  const [nx, ny, nt] = [8, 6, 9];
  const npix = nx * ny;
  const rng = new Rng(6);
  // one transform coefficient per pixel: amplitude a_p at coefficient k_p
  const amp = Float64Array.from({ length: npix }, () => 0.2 + 2 * rng.uniform());
  const ph = Float64Array.from({ length: npix }, () => 2 * Math.PI * rng.uniform());
  const kk = Int32Array.from({ length: npix }, () => Math.floor(rng.uniform() * nt));
  const basis = (sp: string, k: number, t: number): [number, number] => {
    if (sp === "temporal-fft") {
      const a = (2 * Math.PI * k * t) / nt;
      return [Math.cos(a) / Math.sqrt(nt), Math.sin(a) / Math.sqrt(nt)];
    }
    if (sp === "temporal-dct") {
      const c = k === 0 ? Math.sqrt(1 / nt) : Math.sqrt(2 / nt);
      return [c * Math.cos((Math.PI * (t + 0.5) * k) / nt), 0];
    }
    return [t === k ? 1 : 0, 0];
  };
  for (const sparsity of ["temporal-fft", "temporal-dct", "image"] as const) {
    const build = (shrink: number) => {
      const x = new Float32Array(2 * npix * nt);
      for (let p = 0; p < npix; p++) {
        const a = Math.max(amp[p] - shrink, 0);
        const cr = a * Math.cos(ph[p]), ci = a * Math.sin(ph[p]);
        for (let t = 0; t < nt; t++) {
          const [br, bi] = basis(sparsity, kk[p], t);
          x[2 * (npix * t + p)] = cr * br - ci * bi;
          x[2 * (npix * t + p) + 1] = cr * bi + ci * br;
        }
      }
      return x;
    };
    const x = build(0);
    let peak = 0;
    for (let i = 0; i < x.length; i += 2) peak = Math.max(peak, Math.hypot(x[i], x[i + 1]));
    const tau = 0.5;
    const r = lowRankPlusSparse(fullySampled(x, nx, ny, nt), unitMap(nx, ny), {
      lambdaL: 100,
      lambdaS: tau / peak,
      sparsity,
      maxIter: 200,
      tol: 1e-9,
    });
    assert.equal(r.rank, 0, sparsity);
    const d = maxAbsDiff(r.sparse, build(tau));
    assert.ok(d < 1e-5, `${sparsity}: ${d}`);
  }
});

Deno.test("lps: ISTA (Otazo's scheme) and POGM reach the same solution of a denoising problem", () => {
  const [nx, ny, nt] = [16, 12, 6];
  const rng = new Rng(8);
  const x = Float32Array.from({ length: 2 * nx * ny * nt }, () => rng.gaussian());
  const input = fullySampled(x, nx, ny, nt);
  const opts = { lambdaL: 0.1, lambdaS: 0.05, maxIter: 500, tol: 1e-8 };
  const a = lowRankPlusSparse(input, unitMap(nx, ny), { ...opts, solver: "pogm" });
  const b = lowRankPlusSparse(input, unitMap(nx, ny), { ...opts, solver: "ista" });
  assert.ok(maxAbsDiff(a.image, b.image) < 1e-3, `${maxAbsDiff(a.image, b.image)}`);
  assert.ok(a.iterations < b.iterations, `pogm ${a.iterations} vs ista ${b.iterations}`);
});

// ---------------------------------------------------------------------------------------
// Reconstruction quality on the synthetic phantom
// ---------------------------------------------------------------------------------------

const CINE = phantom(160, 128, 10, 12, "cine");

Deno.test("lps: cine beats zero-filled at R 4, 8, 10 and CG-SENSE at R 8, 10 (true maps)", () => {
  const rows: string[] = [];
  for (const r of [4, 8, 10]) {
    const input = undersample(CINE, r, "cine");
    const zf = nmse(zeroFilledRss(input.kspace, input.dims), CINE.gt);
    const s = nmse(cgSense(input, CINE.maps).magnitude, CINE.gt);
    const res = lowRankPlusSparse(input, CINE.maps);
    const l = nmse(res.magnitude, CINE.gt);
    rows.push(
      `R${r}: zero-filled ${zf.toFixed(4)}  sense ${s.toFixed(4)}  lps ${l.toFixed(4)}` +
        `  (${res.iterations} iterations, rank ${res.rank})`,
    );
    assert.ok(l < 0.7 * zf, `R${r}: lps ${l} vs zero-filled ${zf}`);
    if (r >= 8) assert.ok(l < s, `R${r}: lps ${l} vs sense ${s}`);
  }
  console.log(
    "cine NMSE vs fully sampled RSS (160 x 128, 10 coils, 12 frames)\n  " +
      rows.join("\n  "),
  );
});

Deno.test("lps: the Reconstructor with estimated ACS maps beats zero-filled and CG-SENSE at R 8", () => {
  const input = undersample(CINE, 8, "cine");
  const zf = nmse(zeroFilledRss(input.kspace, input.dims), CINE.gt);
  const out = lps.reconstruct(input);
  assert.ok(!(out instanceof Promise));
  // CG-SENSE with the same ACS map estimate the L+S Reconstructor uses
  const senseOut = cgSense(input, resolveMaps(input, "acs")).magnitude;
  const l = nmse(out.image, CINE.gt), s = nmse(senseOut, CINE.gt);
  console.log(
    `R8 estimated ACS maps: zero-filled ${zf.toFixed(4)}  sense ${s.toFixed(4)}  ` +
      `lps ${l.toFixed(4)}`,
  );
  assert.ok(l < s && l < zf);
  assert.equal(out.info!.iterations, LPS_DEFAULTS.maxIter.cine);
  assert.equal(LPS_DEFAULTS.maps, "acs");
});

Deno.test("lps: T1 and T2 mapping series run and beat zero-filled at R 4, 8, 10", () => {
  const rows: string[] = [];
  for (const [kind, nt] of [["T1", 9], ["T2", 3]] as const) {
    const ph = phantom(128, 96, 10, nt, kind);
    for (const r of [4, 8, 10]) {
      const input = undersample(ph, r, "mapping");
      const zf = nmse(zeroFilledRss(input.kspace, input.dims), ph.gt);
      const s = nmse(cgSense(input, ph.maps).magnitude, ph.gt);
      const line = [`${kind} R${r}: zero-filled ${zf.toFixed(4)}  sense ${s.toFixed(4)}`];
      for (const sparsity of ["temporal-dct", "image", "temporal-fft"] as const) {
        const l = nmse(lowRankPlusSparse(input, ph.maps, { sparsity }).magnitude, ph.gt);
        line.push(`lps/${sparsity} ${l.toFixed(4)}`);
        if (sparsity === LPS_DEFAULTS.sparsity.mapping) {
          assert.ok(l < zf, `${kind} R${r}: ${l} vs ${zf}`);
        }
      }
      rows.push(line.join("  "));
    }
  }
  console.log("mapping NMSE (128 x 96, 10 coils)\n  " + rows.join("\n  "));
});

Deno.test("lps: single-coil data works (unit sensitivity) and beats zero-filled", () => {
  const ph = phantom(96, 80, 1, 12, "cine");
  assert.equal(lps.singleCoil, true);
  const rows: string[] = [];
  for (const r of [4, 8]) {
    const input = undersample(ph, r, "cine");
    const zf = nmse(zeroFilledRss(input.kspace, input.dims), ph.gt);
    const out = lps.reconstruct(input);
    assert.ok(!(out instanceof Promise));
    const l = nmse(out.image, ph.gt);
    rows.push(`R${r}: zero-filled ${zf.toFixed(4)}  lps ${l.toFixed(4)}`);
    assert.ok(l < zf, `R${r}: ${l} vs ${zf}`);
  }
  console.log("single-coil cine NMSE (96 x 80)\n  " + rows.join("\n  "));
});

Deno.test("lps: bad options and inputs are typed errors", () => {
  const ph = phantom(24, 20, 2, 3, "cine");
  const input = undersample(ph, 2, "cine");
  assert.throws(() => lowRankPlusSparse(input, ph.maps, { lambdaL: -1 }), ShapeError);
  assert.throws(
    () => lowRankPlusSparse(input, ph.maps, { sparsity: "wavelet" as never }),
    ShapeError,
  );
  assert.throws(() => lowRankPlusSparse(input, ph.maps, { solver: "admm" as never }), ShapeError);
  assert.throws(() => lowRankPlusSparse(input, new Float32Array(8)), ShapeError);
  assert.throws(
    () => lowRankPlusSparse({ ...input, mask: new Float32Array(10) }, ph.maps),
    ShapeError,
  );
  assert.throws(() => createLps({ maps: "nonsense" as never }).reconstruct(input), ShapeError);
});
