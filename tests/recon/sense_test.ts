import assert from "node:assert/strict";
import { CmrxError, ShapeError } from "../../src/errors.ts";
import { fft2c, ifft2c } from "../../src/kspace/fft.ts";
import { rss } from "../../src/kspace/complex.ts";
import { uniformMask2d } from "../../src/kspace/mask.ts";
import {
  conjugateGradient,
  EncodingOperator,
  resolveMaps,
  unitMap,
} from "../../src/recon/operators.ts";
import { cgSense, createSense, sense, SENSE_DEFAULTS } from "../../src/recon/sense.ts";
import { type Phantom, slicePhantom } from "./phantom.ts";
import type { SliceInput } from "../../src/kspace/slice.ts";
import { zeroFilledRss } from "../../src/recon/zerofill.ts";
import { Rng } from "../../src/synth/random.ts";

/** The test slice of these tests (noise seed 17). */
function phantom(
  nx: number,
  ny: number,
  nc: number,
  nt: number,
  opts: { noise?: number; kind?: "cine" | "T1" } = {},
): Phantom {
  return slicePhantom(nx, ny, nc, nt, { ...opts, seed: 17 });
}

function undersample(
  ph: Phantom,
  r: number,
  kind: "cine" | "mapping" = "cine",
  mask?: Float32Array,
  maskDims?: number[],
): SliceInput {
  const [nx, ny, nc, nt] = ph.dims;
  const npix = nx * ny;
  const m = mask ?? uniformMask2d(nx, ny, r, 24);
  const perFrame = m.length === npix * nt && nt > 1;
  const k = new Float32Array(ph.full.length);
  for (let t = 0; t < nt; t++) {
    for (let c = 0; c < nc; c++) {
      for (let p = 0; p < npix; p++) {
        if (m[(perFrame ? npix * t : 0) + p] === 0) continue;
        const i = 2 * (p + npix * (c + nc * t));
        k[i] = ph.full[i];
        k[i + 1] = ph.full[i + 1];
      }
    }
  }
  return { kspace: k, dims: ph.dims, mask: m, maskDims: maskDims ?? [nx, ny], kind };
}

function nmse(x: Float32Array, ref: Float32Array): number {
  let e = 0, r = 0;
  for (let i = 0; i < ref.length; i++) {
    e += (x[i] - ref[i]) ** 2;
    r += ref[i] ** 2;
  }
  return e / r;
}

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

Deno.test("operator: conjugate gradients solve a small Hermitian system exactly", () => {
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

Deno.test("operator: bad maps, masks and slices are typed errors", () => {
  const maps = unitMap(8, 8);
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
  const input: SliceInput = {
    kspace: new Float32Array(2 * 8 * 8 * 2 * 3),
    dims: [8, 8, 2, 3],
    mask: uniformMask2d(8, 8, 2, 2),
    maskDims: [8, 8],
    kind: "cine",
  };
  assert.throws(() => resolveMaps(input, new Float32Array(10)), ShapeError);
  assert.throws(() => cgSense({ ...input, maskDims: [8, 7] }, randomComplex(128, 1)), ShapeError);
  assert.throws(() => cgSense({ ...input, dims: [8, 8, 2, 4] }, randomComplex(128, 1)), ShapeError);
  const nan = input.kspace.slice();
  nan[17] = NaN;
  assert.throws(() => cgSense({ ...input, kspace: nan }, randomComplex(128, 1)), /non-finite/);
  assert.throws(() => cgSense(input, randomComplex(128, 1), { lambda: -1 }), ShapeError);
});

// ---------------------------------------------------------------------------------------
// CG-SENSE
// ---------------------------------------------------------------------------------------

const CINE = phantom(160, 128, 10, 12);

Deno.test("sense: beats zero-filled at R 4, 8, 10 (cine, 160 x 128, 10 coils, true maps)", () => {
  const rows: string[] = [];
  for (const r of [4, 8, 10]) {
    const input = undersample(CINE, r);
    const zf = nmse(zeroFilledRss(input.kspace, input.dims), CINE.gt);
    const res = cgSense(input, CINE.maps);
    const s = nmse(res.magnitude, CINE.gt);
    rows.push(
      `R${r}: zero-filled ${zf.toFixed(4)}  sense ${s.toFixed(4)}  ` +
        `(CG iterations ${res.iterations.join(",")})`,
    );
    assert.ok(s < 0.7 * zf, `R${r}: sense ${s} vs zero-filled ${zf}`);
  }
  console.log("cine NMSE vs fully sampled RSS\n  " + rows.join("\n  "));
});

Deno.test("sense: data consistency, E x = y on the sampled points for lambda -> 0 (noise-free)", () => {
  const ph = phantom(64, 48, 8, 2, { noise: 0 });
  const input = undersample(ph, 4);
  const res = cgSense(input, ph.maps, { lambda: 0, maxIter: 300, tol: 1e-7 });
  const [nx, ny, nc] = ph.dims;
  const op = new EncodingOperator(ph.maps, nx, ny, nc, input.mask, input.maskDims);
  for (let t = 0; t < 2; t++) {
    const ex = op.forward(res.image.subarray(2 * nx * ny * t, 2 * nx * ny * (t + 1)), t);
    const y = input.kspace.subarray(2 * nx * ny * nc * t, 2 * nx * ny * nc * (t + 1));
    let err = 0, ref = 0;
    for (let i = 0; i < y.length; i++) {
      err += (ex[i] - y[i]) ** 2;
      ref += y[i] ** 2;
    }
    assert.ok(
      Math.sqrt(err / ref) < 1e-4,
      `frame ${t}: ||Ex - y|| / ||y|| = ${Math.sqrt(err / ref)}`,
    );
  }
});

Deno.test("sense: warm start across frames needs fewer CG iterations for the same tolerance", () => {
  const input = undersample(CINE, 8);
  const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
  for (const tol of [1e-2, SENSE_DEFAULTS.tol]) {
    const opts = { maxIter: 100, tol };
    const warm = cgSense(input, CINE.maps, { ...opts, warmStart: true });
    const cold = cgSense(input, CINE.maps, { ...opts, warmStart: false });
    const [w, c] = [sum(warm.iterations), sum(cold.iterations)];
    const [nw, nc] = [nmse(warm.magnitude, CINE.gt), nmse(cold.magnitude, CINE.gt)];
    console.log(
      `CG iterations at tol ${tol}: warm ${w} (NMSE ${nw.toFixed(4)}), ` +
        `cold ${c} (NMSE ${nc.toFixed(4)})`,
    );
    assert.ok(w < c, `tol ${tol}: warm ${w} vs cold ${c}`);
    assert.equal(warm.iterations[0], cold.iterations[0]);
    for (const r of [...warm.relResidual, ...cold.relResidual]) assert.ok(r <= tol);
  }
});

Deno.test("sense: output scales with the data; lambda is relative to the map scale", () => {
  const ph = phantom(48, 40, 4, 2);
  const input = undersample(ph, 4);
  const a = cgSense(input, ph.maps).magnitude;
  const scaled = { ...input, kspace: input.kspace.map((v) => v * 1000) };
  const b = cgSense(scaled, ph.maps).magnitude;
  // maps scaled by 2: x halves, the RSS of the coil images S_c x stays
  const c = cgSense(input, ph.maps.map((v) => 2 * v)).magnitude;
  for (let i = 0; i < a.length; i++) {
    assert.ok(Math.abs(b[i] - 1000 * a[i]) <= 1e-3 * (1000 * a[i]) + 1e-9);
    assert.ok(Math.abs(c[i] - a[i]) <= 1e-3 * a[i] + 1e-12);
  }
});

Deno.test("sense: single-coil data is refused with a clear error", () => {
  const ph = phantom(32, 32, 1, 2);
  const input = undersample(ph, 4);
  assert.equal(sense.singleCoil, false);
  assert.throws(() => sense.reconstruct(input), (e: unknown) => {
    assert.ok(e instanceof CmrxError);
    assert.match((e as Error).message, /multi-coil.*1 coil/);
    assert.match((e as Error).message, /zerofill or lps/);
    return true;
  });
  assert.throws(() => cgSense(input, unitMap(32, 32)), ShapeError);
});

Deno.test("sense: T1 mapping weightings run and beat zero-filled at R 4, 8, 10", () => {
  const ph = phantom(128, 96, 10, 9, { kind: "T1" });
  const rows: string[] = [];
  for (const r of [4, 8, 10]) {
    const input = undersample(ph, r, "mapping");
    const zf = nmse(zeroFilledRss(input.kspace, input.dims), ph.gt);
    const s = nmse(cgSense(input, ph.maps).magnitude, ph.gt);
    rows.push(`R${r}: zero-filled ${zf.toFixed(4)}  sense ${s.toFixed(4)}`);
    assert.ok(s < zf, `R${r}: ${s} vs ${zf}`);
  }
  console.log("T1 mapping NMSE\n  " + rows.join("\n  "));
});

Deno.test("operator: data-consistent RSS keeps the measured samples and fills the rest from S_c x", () => {
  const ph = phantom(40, 30, 4, 1, { noise: 0.05 });
  const [nx, ny, nc] = ph.dims;
  const npix = nx * ny;
  const input = undersample(ph, 4);
  const op = new EncodingOperator(ph.maps, nx, ny, nc, input.mask, input.maskDims);
  const x = randomComplex(npix, 5);
  const re = new Float64Array(npix), im = new Float64Array(npix);
  op.toSolver(x, re, im);
  const out = new Float32Array(npix);
  op.dataConsistentRss(re, im, input.kspace, 0, out);
  // expected: k-space of S_c x with the sampled points replaced, back to images, RSS
  const coil = new Float32Array(2 * npix * nc);
  for (let c = 0; c < nc; c++) {
    for (let p = 0; p < npix; p++) {
      const i = 2 * (npix * c + p), a = x[2 * p], b = x[2 * p + 1];
      coil[i] = a * ph.maps[i] - b * ph.maps[i + 1];
      coil[i + 1] = a * ph.maps[i + 1] + b * ph.maps[i];
    }
  }
  const k = fft2c(coil, nx, ny, nc);
  for (let c = 0; c < nc; c++) {
    for (let p = 0; p < npix; p++) {
      if (input.mask[p] === 0) continue;
      k[2 * (npix * c + p)] = input.kspace[2 * (npix * c + p)];
      k[2 * (npix * c + p) + 1] = input.kspace[2 * (npix * c + p) + 1];
    }
  }
  const want = rss(ifft2c(k, nx, ny, nc), npix, nc);
  let err = 0, ref = 0;
  for (let p = 0; p < npix; p++) {
    err = Math.max(err, Math.abs(out[p] - want[p]));
    ref = Math.max(ref, want[p]);
  }
  assert.ok(err <= 1e-5 * ref, `max error ${err} vs peak ${ref}`);
  // and it differs from the plain coil RSS (the measured samples carry noise x does not)
  const plain = new Float32Array(npix);
  op.coilRss(re, im, plain);
  assert.ok(nmse(plain, want) > 1e-3);
  // fully sampled: the result is the RSS of the measured coil images, whatever x is
  const all = new Float32Array(npix).fill(1);
  const full = new EncodingOperator(ph.maps, nx, ny, nc, all, [nx, ny]);
  full.dataConsistentRss(re, im, ph.full, 0, out);
  assert.ok(nmse(out, ph.gt) < 1e-10);
});

Deno.test("sense: mapping output defaults to dc-rss (measured samples put back) and beats zero-filled at R 10", () => {
  const ph = phantom(96, 72, 10, 9, { kind: "T1", noise: 0.03 });
  const input = undersample(ph, 10, "mapping");
  const s = createSense({ maps: ph.maps });
  const dc = s.reconstruct(input) as { image: Float32Array };
  const plain = createSense({ maps: ph.maps, output: "rss" }).reconstruct(input) as {
    image: Float32Array;
  };
  const zf = zeroFilledRss(input.kspace, input.dims);
  const [eDc, ePlain, eZf] = [nmse(dc.image, ph.gt), nmse(plain.image, ph.gt), nmse(zf, ph.gt)];
  console.log(
    `T1 R10 NMSE: zero-filled ${eZf.toFixed(4)}  rss ${ePlain.toFixed(4)}  dc-rss ${
      eDc.toFixed(4)
    }`,
  );
  assert.ok(eDc < eZf, `dc-rss ${eDc} vs zero-filled ${eZf}`);
  assert.notDeepEqual(dc.image, plain.image);
});

Deno.test("sense: the Reconstructor with estimated maps (acs, espirit) beats zero-filled", () => {
  const rows: string[] = [];
  for (const r of [4, 8, 10]) {
    const input = undersample(CINE, r);
    const zf = nmse(zeroFilledRss(input.kspace, input.dims), CINE.gt);
    const line = [`R${r}: zero-filled ${zf.toFixed(4)}`];
    for (const maps of ["acs", "espirit"] as const) {
      const out = createSense({ maps }).reconstruct(input);
      assert.ok(!(out instanceof Promise));
      const s = nmse(out.image, CINE.gt);
      line.push(`sense/${maps} ${s.toFixed(4)}`);
      assert.ok(s < 0.8 * zf, `R${r} ${maps}: ${s} vs ${zf}`);
      assert.ok(out.info!.iterations > 0);
    }
    rows.push(line.join("  "));
  }
  console.log("cine NMSE with estimated maps\n  " + rows.join("\n  "));
  assert.equal(SENSE_DEFAULTS.maps, "acs");
});
