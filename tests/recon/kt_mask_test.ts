/**
 * Time-varying (k-t) masks `(kx, ky, frame)` in the classical methods: the encoding
 * operator uses each frame's mask plane, coil calibration uses the lines sampled in every
 * frame and the per-line sample counts, zero-filled / CG-SENSE / L+S reconstruct with a
 * mask per frame, and GRAPPA refuses masks that are not Cartesian line patterns.
 */

import assert from "node:assert/strict";
import { CmrxError } from "../../src/errors.ts";
import { timeAveragedKspace } from "../../src/kspace/coils/calibration.ts";
import { sensitivityMaps } from "../../src/kspace/coils/mod.ts";
import { EncodingOperator } from "../../src/kspace/encoding.ts";
import { uniformLines } from "../../src/kspace/mask.ts";
import type { SliceInput } from "../../src/kspace/slice.ts";
import { zeroFilledRss } from "../../src/kspace/zerofill.ts";
import { createGrappa } from "../../src/recon/grappa.ts";
import { createLps } from "../../src/recon/lps.ts";
import { createSense } from "../../src/recon/sense.ts";
import { createZeroFilled } from "../../src/recon/zerofill.ts";
import { nmse, type Phantom, slicePhantom } from "./phantom.ts";

/**
 * A k-t line mask `(kx, ky, frame)`: every `r`-th ky line shifted by `t mod r` in frame `t`,
 * plus `ncalib` central lines (ktUniform-like).
 */
export function shiftedMask(
  nx: number,
  ny: number,
  nt: number,
  r: number,
  ncalib: number,
): Float32Array {
  const mask = new Float32Array(nx * ny * nt);
  const band = uniformLines(ny, ny + 1, ncalib); // central band only (line 0 aside)
  band[0] = 0;
  for (let t = 0; t < nt; t++) {
    for (let y = 0; y < ny; y++) {
      if (band[y] || (y - (t % r) + r) % r === 0) {
        mask.fill(1, nx * (y + ny * t), nx * (y + 1 + ny * t));
      }
    }
  }
  return mask;
}

/** The slice of `ph` sampled with `mask` (dims `maskDims`). */
function undersample(ph: Phantom, mask: Float32Array, maskDims: number[]): SliceInput {
  const [nx, ny, nc, nt] = ph.dims;
  const npix = nx * ny;
  const mf = maskDims[2] ?? 1;
  const k = new Float32Array(ph.full.length);
  for (let t = 0; t < nt; t++) {
    const mb = mf > 1 ? npix * t : 0;
    for (let c = 0; c < nc; c++) {
      const o = 2 * npix * (c + nc * t);
      for (let p = 0; p < npix; p++) {
        if (!mask[mb + p]) continue;
        k[o + 2 * p] = ph.full[o + 2 * p];
        k[o + 2 * p + 1] = ph.full[o + 2 * p + 1];
      }
    }
  }
  return { kspace: k, dims: ph.dims, mask, maskDims, task: "cine" };
}

const nx = 64, ny = 60, nc = 6, nt = 6;
const ph = slicePhantom(nx, ny, nc, nt, { seed: 31 });

Deno.test("kt: the encoding operator uses each frame's mask plane (fast and general route)", () => {
  const mask = shiftedMask(nx, ny, nt, 4, 8);
  // a 2-D pattern (one kx point removed in frame 2) forces the general route
  const general = mask.slice();
  general[nx * ny * 2 + nx * 6 + 3] = 0; // line 6 is sampled in frame 2
  for (const m of [mask, general]) {
    const op = new EncodingOperator(ph.maps, nx, ny, nc, m, [nx, ny, nt]);
    assert.equal(op.lineMask, m === mask);
    const img = new Float32Array(2 * nx * ny);
    for (let i = 0; i < img.length; i++) img[i] = Math.sin(i * 0.37) + 0.5;
    for (let t = 0; t < nt; t++) {
      const k = op.forward(img, t);
      for (let c = 0; c < nc; c++) {
        for (let p = 0; p < nx * ny; p++) {
          if (m[nx * ny * t + p] === 0) {
            assert.equal(k[2 * (nx * ny * c + p)], 0, `frame ${t}: unsampled point kept`);
          }
        }
      }
      // E^H E x == E^H (E x) for this frame
      const re = new Float64Array(nx * ny), im = new Float64Array(nx * ny);
      op.toSolver(img, re, im);
      const oRe = new Float64Array(nx * ny), oIm = new Float64Array(nx * ny);
      op.normal(re, im, t, oRe, oIm);
      const aRe = new Float64Array(nx * ny), aIm = new Float64Array(nx * ny);
      op.adjointToSolver(k, t, aRe, aIm);
      let d = 0, s = 0;
      for (let p = 0; p < nx * ny; p++) {
        d += (oRe[p] - aRe[p]) ** 2 + (oIm[p] - aIm[p]) ** 2;
        s += aRe[p] ** 2 + aIm[p] ** 2;
      }
      assert.ok(d <= 1e-8 * s, `frame ${t}: normal != adjoint(forward) (${d / s})`);
    }
  }
});

Deno.test("kt: calibration uses the lines of every frame, averaged per sample count", () => {
  // static object: every frame has the same k-space, so the per-count average is exact
  const static1: Phantom = { ...ph, full: ph.full.slice() };
  const per = 2 * nx * ny * nc;
  for (let t = 1; t < nt; t++) static1.full.set(ph.full.subarray(0, per), per * t);
  const mask = shiftedMask(nx, ny, nt, 4, 10);
  const input = undersample(static1, mask, [nx, ny, nt]);
  const avg = timeAveragedKspace(input);
  let d = 0, s = 0;
  for (let i = 0; i < per; i++) {
    d += (avg[i] - ph.full[i]) ** 2;
    s += ph.full[i] ** 2;
  }
  assert.ok(d <= 1e-10 * s, `time average of k-t data is not the sampled k-space (${d / s})`);
  const maps = sensitivityMaps(input, "acs");
  assert.deepEqual(maps.acs, [25, 35]); // the 10 central lines, sampled in every frame
});

Deno.test("kt: zero-filled, SENSE and L+S use a mask per frame and beat zero-filling", async () => {
  const mask = shiftedMask(nx, ny, nt, 4, 10);
  const input = undersample(ph, mask, [nx, ny, nt]);
  const zf = (await createZeroFilled().reconstruct(input)).image;
  assert.deepEqual(zf, zeroFilledRss(input.kspace, ph.dims));
  const ezf = nmse(zf, ph.gt);
  const es = nmse((await createSense().reconstruct(input)).image, ph.gt);
  const el = nmse((await createLps().reconstruct(input)).image, ph.gt);
  assert.ok(es < ezf / 2, `sense ${es} vs zero-filled ${ezf}`);
  assert.ok(el < ezf / 2, `lps ${el} vs zero-filled ${ezf}`);
  // the same acceleration with a static mask (frame 0's lines in every frame): L+S gains
  // from the lines that vary over time
  const still = new Float32Array(mask.length);
  for (let t = 0; t < nt; t++) still.set(mask.subarray(0, nx * ny), nx * ny * t);
  const elStatic = nmse(
    (await createLps().reconstruct(undersample(ph, still, [nx, ny, nt]))).image,
    ph.gt,
  );
  assert.ok(el < elStatic, `lps k-t ${el} vs static ${elStatic}`);
});

Deno.test("kt: GRAPPA refuses a mask that is not a Cartesian line pattern", () => {
  // a square k-t block (radial-like centre): lines sampled at some kx only
  const mask = shiftedMask(nx, ny, nt, 4, 10);
  for (let t = 0; t < nt; t++) {
    for (let y = 25; y < 35; y++) {
      mask.fill(0, nx * (y + ny * t), nx * (y + ny * t) + 20);
    }
  }
  const input = undersample(ph, mask, [nx, ny, nt]);
  assert.throws(
    () => createGrappa().reconstruct(input),
    (e: unknown) =>
      e instanceof CmrxError && /grappa/i.test(e.message) && /lps/.test(String(e.hint)) &&
      /sense/.test(String(e.hint)),
  );
  // k-t line masks (lines differ per frame) stay supported
  const lines = undersample(ph, shiftedMask(nx, ny, nt, 4, 10), [nx, ny, nt]);
  const g = createGrappa().reconstruct(lines) as { image: Float32Array };
  assert.ok(nmse(g.image, ph.gt) < nmse(zeroFilledRss(lines.kspace, ph.dims), ph.gt) / 2);
});
