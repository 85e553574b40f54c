import assert from "node:assert/strict";
import { CmrxError, ShapeError } from "../../src/errors.ts";
import { fft2c, ifft2c } from "../../src/kspace/fft.ts";
import { rss } from "../../src/kspace/complex.ts";
import { uniformMask2d } from "../../src/kspace/mask.ts";
import { EncodingOperator } from "../../src/kspace/encoding.ts";
import { resolveMaps, unitMap } from "../../src/recon/iterative.ts";
import { cgSense, createSense, SENSE_DEFAULTS } from "../../src/recon/sense.ts";
import { nmse, type Phantom, slicePhantom } from "./phantom.ts";
import type { SliceInput } from "../../src/kspace/slice.ts";
import { zeroFilledRss } from "../../src/kspace/zerofill.ts";
import { Rng } from "../../src/synth/random.ts";

const sense = createSense();

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
  return { kspace: k, dims: ph.dims, mask: m, maskDims: maskDims ?? [nx, ny], task: kind };
}

function randomComplex(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(2 * n);
  for (let i = 0; i < out.length; i++) out[i] = rng.gaussian();
  return out;
}

// ---------------------------------------------------------------------------------------
// Input checks (the encoding operator's own tests are in tests/kspace/encoding_test.ts)
// ---------------------------------------------------------------------------------------

Deno.test("sense: bad maps, masks and slices are typed errors", () => {
  const input: SliceInput = {
    kspace: new Float32Array(2 * 8 * 8 * 2 * 3),
    dims: [8, 8, 2, 3],
    mask: uniformMask2d(8, 8, 2, 2),
    maskDims: [8, 8],
    task: "cine",
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
