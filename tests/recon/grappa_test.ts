import assert from "node:assert/strict";
import { nmse } from "./phantom.ts";
import { CmrxError, UsageError } from "../../src/errors.ts";
import { fft2c } from "../../src/kspace/fft.ts";
import { uniformLines, uniformMask2d } from "../../src/kspace/mask.ts";
import { createGrappa, GRAPPA_DEFAULTS, grappaKspace } from "../../src/recon/grappa.ts";
import type { SliceInput } from "../../src/kspace/slice.ts";
import { zeroFilledRss } from "../../src/kspace/zerofill.ts";
import { coilMaps } from "../../src/synth/coils.ts";
import { cineFrame, phantomParams } from "../../src/synth/phantom/mod.ts";
import { Rng } from "../../src/synth/random.ts";

type Dims = [number, number, number, number];

/**
 * Fully sampled multi-coil cine k-space of one SAX slice, MATLAB dims (kx, ky, coil, frame):
 * phantom frame x coil maps, fft2c, complex Gaussian noise of sd `noise` (blood ~1).
 */
function phantomKspace(nx: number, ny: number, nc: number, nt: number, noise: number) {
  const params = phantomParams(3);
  const sens = coilMaps(nc, nx, ny, 3);
  const npix = nx * ny;
  const k = new Float32Array(2 * npix * nc * nt);
  const coil = new Float32Array(2 * npix * nc);
  const rng = new Rng(11);
  for (let t = 0; t < nt; t++) {
    const img = cineFrame(params, "sax", 1, 3, t, nt, nx, ny).image;
    for (let c = 0; c < nc; c++) {
      for (let i = 0; i < npix; i++) {
        const ar = img[2 * i], ai = img[2 * i + 1];
        const br = sens[2 * (npix * c + i)], bi = sens[2 * (npix * c + i) + 1];
        coil[2 * (npix * c + i)] = ar * br - ai * bi;
        coil[2 * (npix * c + i) + 1] = ar * bi + ai * br;
      }
    }
    const kt = fft2c(coil, nx, ny, nc);
    for (let i = 0; i < kt.length; i++) kt[i] += noise * rng.gaussian();
    k.set(kt, 2 * npix * nc * t);
  }
  return { kspace: k, dims: [nx, ny, nc, nt] as Dims };
}

/** Zeroes the k-space where the mask (kx, ky) or (kx, ky, frame) is zero. */
function undersample(k: Float32Array, dims: Dims, mask: Float32Array): Float32Array {
  const [nx, ny, nc, nt] = dims;
  const npix = nx * ny;
  const perFrame = mask.length === npix * nt && nt > 1;
  const out = k.slice();
  for (let t = 0; t < nt; t++) {
    for (let c = 0; c < nc; c++) {
      for (let p = 0; p < npix; p++) {
        if (mask[(perFrame ? npix * t : 0) + p] === 0) {
          const i = 2 * (p + npix * (c + nc * t));
          out[i] = 0;
          out[i + 1] = 0;
        }
      }
    }
  }
  return out;
}

/** Every point the mask samples equals the input, bit for bit. */
function assertConsistent(out: Float32Array, input: SliceInput) {
  const [nx, ny, nc, nt] = input.dims;
  const npix = nx * ny;
  const mt = input.maskDims[2] ?? 1;
  for (let t = 0; t < nt; t++) {
    for (let c = 0; c < nc; c++) {
      for (let p = 0; p < npix; p++) {
        if (input.mask[(mt > 1 ? npix * t : 0) + p] === 0) continue;
        const i = 2 * (p + npix * (c + nc * t));
        if (out[i] !== input.kspace[i] || out[i + 1] !== input.kspace[i + 1]) {
          assert.fail(
            `sampled point (x ${p % nx}, y ${Math.floor(p / nx)}, c ${c}, t ${t}) changed`,
          );
        }
      }
    }
  }
}

// Full CMRxRecon size (512 x 246, 10 coils), 2 frames so that the averaged calibration
// averages something; noise 1% of the blood signal, as the synthetic datasets use.
const FULL = phantomKspace(512, 246, 10, 2, 0.01);
const FULL_REF = zeroFilledRss(FULL.kspace, FULL.dims);

Deno.test("grappa: NMSE clearly below zero-filled at R 4, 8, 10 (512 x 246, 10 coils, 24 ACS)", () => {
  const [nx, ny] = FULL.dims;
  const rows: string[] = [];
  for (const r of [4, 8, 10]) {
    const mask = uniformMask2d(nx, ny, r, 24);
    const input: SliceInput = {
      kspace: undersample(FULL.kspace, FULL.dims, mask),
      dims: FULL.dims,
      mask,
      maskDims: [nx, ny],
      task: "cine",
    };
    const zf = nmse(zeroFilledRss(input.kspace, input.dims), FULL_REF);
    const out = createGrappa().reconstruct(input) as {
      image: Float32Array;
      info: Record<string, number>;
    };
    const g = nmse(out.image, FULL_REF);
    rows.push(`R=${r}: zero-filled ${zf.toExponential(2)}, grappa ${g.toExponential(2)}`);
    assert.equal(out.info.unfilledLines, 0);
    assert.ok(g < zf / 2.5, `R=${r}: grappa NMSE ${g} not clearly below zero-filled ${zf}`);
    if (r === 4) assert.ok(g < zf / 6, `R=4: grappa NMSE ${g} vs zero-filled ${zf}`);
  }
  console.log(rows.join("\n"));
});

Deno.test("grappa: sampled k-space points are kept exactly (data consistency)", () => {
  const [nx, ny] = FULL.dims;
  const mask = uniformMask2d(nx, ny, 8, 24);
  const input: SliceInput = {
    kspace: undersample(FULL.kspace, FULL.dims, mask),
    dims: FULL.dims,
    mask,
    maskDims: [nx, ny],
    task: "cine",
  };
  const before = input.kspace.slice();
  const { kspace, info } = grappaKspace(input);
  assert.deepEqual(input.kspace, before, "input not modified");
  assertConsistent(kspace, input);
  const missing = ny - [...uniformLines(ny, 8, 24)].filter(Boolean).length;
  assert.equal(info.filledLines, missing * 2);
  // missing lines were actually filled
  let energy = 0;
  for (let x = 0; x < nx; x++) energy += kspace[2 * (x + nx * 121)] ** 2;
  assert.ok(energy > 0);
});

Deno.test("grappa: fully sampled input returns the RSS image", () => {
  const [nx, ny] = FULL.dims;
  const input: SliceInput = {
    kspace: FULL.kspace,
    dims: FULL.dims,
    mask: new Float32Array(nx * ny).fill(1),
    maskDims: [nx, ny],
    task: "cine",
  };
  const out = createGrappa().reconstruct(input) as {
    image: Float32Array;
    info: Record<string, number>;
  };
  assert.equal(out.info.filledLines, 0);
  assert.deepEqual(out.image, FULL_REF);
});

Deno.test("grappa: single-coil data throws a clear CmrxError", () => {
  const nx = 32, ny = 40;
  const input: SliceInput = {
    kspace: new Float32Array(2 * nx * ny * 3),
    dims: [nx, ny, 1, 3],
    mask: uniformMask2d(nx, ny, 4, 8),
    maskDims: [nx, ny],
    task: "cine",
  };
  const g = createGrappa();
  assert.equal(g.name, "grappa");
  assert.equal(g.singleCoil, false);
  assert.throws(() => g.reconstruct(input), (e: unknown) => {
    assert.ok(e instanceof CmrxError);
    assert.match((e as Error).message, /GRAPPA needs multi-coil data/);
    assert.match((e as Error).message, /zerofill or lps/);
    return true;
  });
});

Deno.test("grappa: k-t masks (lines differ per frame) run, stay consistent, beat zero-filling", () => {
  const nx = 128, ny = 120, nc = 8, nt = 4;
  const data = phantomKspace(nx, ny, nc, nt, 0.005);
  const ref = zeroFilledRss(data.kspace, data.dims);
  const r = 4;
  // ktUniform-like: every R-th line shifted by the frame, plus 24 central lines; and a
  // random (ktGaussian-like) pattern with the same band.
  const rng = new Rng(5);
  for (const kind of ["shifted", "random"]) {
    const mask = new Float32Array(nx * ny * nt);
    for (let t = 0; t < nt; t++) {
      for (let y = 0; y < ny; y++) {
        const inBand = y >= 48 && y < 72;
        const on = kind === "shifted" ? (y + t) % r === 0 : rng.uniform(0, 1) < 1 / r;
        if (inBand || on) mask.fill(1, nx * (y + ny * t), nx * (y + 1 + ny * t));
      }
    }
    const input: SliceInput = {
      kspace: undersample(data.kspace, data.dims, mask),
      dims: data.dims,
      mask,
      maskDims: [nx, ny, nt],
      task: "cine",
    };
    const { kspace, info } = grappaKspace(input);
    assertConsistent(kspace, input);
    assert.equal(info.unfilledLines, 0, kind);
    const image = (createGrappa().reconstruct(input) as { image: Float32Array }).image;
    const g = nmse(image, ref), zf = nmse(zeroFilledRss(input.kspace, input.dims), ref);
    assert.ok(g < zf / 2, `${kind}: grappa ${g} vs zero-filled ${zf}`);
    // per-frame calibration works on the same mask
    const pf = createGrappa({ calibration: "perFrame" }).reconstruct(input) as {
      image: Float32Array;
    };
    assert.ok(nmse(pf.image, ref) < zf / 2, `${kind}, per frame`);
  }
});

Deno.test("grappa: noiseless R = 2 and 4 are recovered almost exactly (kernel is right)", () => {
  const nx = 96, ny = 80, nc = 8;
  const data = phantomKspace(nx, ny, nc, 1, 0);
  const ref = zeroFilledRss(data.kspace, data.dims);
  for (const r of [2, 4]) {
    const mask = uniformMask2d(nx, ny, r, 24);
    const input: SliceInput = {
      kspace: undersample(data.kspace, data.dims, mask),
      dims: data.dims,
      mask,
      maskDims: [nx, ny],
      task: "mapping",
    };
    const out = createGrappa({ lambda: 1e-7, linesPerSide: 2 }).reconstruct(input) as {
      image: Float32Array;
    };
    const e = nmse(out.image, ref);
    const zf = nmse(zeroFilledRss(input.kspace, input.dims), ref);
    assert.ok(e < 1e-3 && e < zf / 100, `R=${r}: NMSE ${e} (zero-filled ${zf})`);
  }
});

Deno.test("grappa: edge cases degrade gracefully (no ACS, partial lines, one-sided edges)", () => {
  const nx = 64, ny = 60, nc = 4, nt = 2;
  const data = phantomKspace(nx, ny, nc, nt, 0.01);
  // No ACS band: nothing to calibrate on; the lines stay zero-filled.
  const noAcs = uniformMask2d(nx, ny, 3, 0);
  const a: SliceInput = {
    kspace: undersample(data.kspace, data.dims, noAcs),
    dims: data.dims,
    mask: noAcs,
    maskDims: [nx, ny],
    task: "cine",
  };
  const ra = createGrappa().reconstruct(a) as { image: Float32Array; info: Record<string, number> };
  assert.ok(ra.info.unfilledLines > 0);
  assert.equal(ra.info.filledLines, 0);
  assert.deepEqual(ra.image, zeroFilledRss(a.kspace, a.dims));

  // Radial-like k-t mask: scattered kx points on many lines plus a 20 x 20 centre block, no
  // full line anywhere except in the band below. Must not crash and must keep the samples.
  const rng = new Rng(9);
  const scattered = new Float32Array(nx * ny * nt);
  for (let i = 0; i < scattered.length; i++) scattered[i] = rng.uniform(0, 1) < 0.2 ? 1 : 0;
  for (let t = 0; t < nt; t++) {
    for (let y = 22; y < 38; y++) scattered.fill(1, nx * (y + ny * t), nx * (y + 1 + ny * t));
  }
  const b: SliceInput = {
    kspace: undersample(data.kspace, data.dims, scattered),
    dims: data.dims,
    mask: scattered,
    maskDims: [nx, ny, nt],
    task: "cine",
  };
  const rb = grappaKspace(b);
  assertConsistent(rb.kspace, b);
  assert.ok(rb.kspace.every(Number.isFinite));

  // Acquired lines only on one side of the edge lines: ny = 60, R = 8 -> last line 56, and
  // 57..59 have no acquired line above; they get one-sided kernels.
  const edge = uniformMask2d(nx, ny, 8, 24);
  const c: SliceInput = {
    kspace: undersample(data.kspace, data.dims, edge),
    dims: data.dims,
    mask: edge,
    maskDims: [nx, ny],
    task: "cine",
  };
  const rc = grappaKspace(c);
  assert.equal(rc.info.unfilledLines, 0);
  assert.ok(rc.kspace.every(Number.isFinite));
});

Deno.test("grappa: options are validated and the defaults documented", () => {
  assert.deepEqual({ ...GRAPPA_DEFAULTS }, {
    linesPerSide: 2,
    kxWidth: 5,
    lambda: 0.1,
    calibration: "average",
    minCalibFraction: 0.6,
  });
  assert.throws(() => createGrappa({ kxWidth: 4 }), UsageError);
  assert.throws(() => createGrappa({ linesPerSide: 0 }), UsageError);
  assert.throws(() => createGrappa({ lambda: -1 }), UsageError);
  assert.throws(() => createGrappa({ calibration: "frames" as never }), UsageError);
  assert.throws(() => createGrappa({ minCalibFraction: 2 }), UsageError);
  const nx = 16, ny = 16;
  assert.throws(
    () =>
      createGrappa().reconstruct({
        kspace: new Float32Array(2 * nx * ny * 2),
        dims: [nx, ny, 2, 1],
        mask: new Float32Array(nx * (ny - 1)),
        maskDims: [nx, ny - 1],
        task: "cine",
      }),
    CmrxError,
  );
});
