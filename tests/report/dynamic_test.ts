import assert from "node:assert/strict";
import { ssim } from "../../src/challenge/metrics/mod.ts";
import { ShapeError } from "../../src/errors.ts";
import { dynamicMask, regionScores, ssimMap } from "../../src/report/dynamic.ts";
import { series } from "../../src/report/panels.ts";
import { Rng } from "../../src/synth/random.ts";

const NX = 40, NY = 36, NZ = 1, NT = 12;
const CX = 19, CY = 17;
const radius = (t: number) => 6 + 3 * Math.sin((2 * Math.PI * t) / NT);

/**
 * A beating "ventricle": a static textured background and a bright disc whose radius
 * pulses between 3 and 9 pixels. Only the annulus the wall sweeps changes over time.
 */
function beating() {
  const rng = new Rng(7);
  const bg = Float32Array.from({ length: NX * NY }, () => 0.2 + 0.1 * rng.uniform());
  const d = new Float32Array(NX * NY * NZ * NT);
  for (let t = 0; t < NT; t++) {
    const r = radius(t);
    for (let y = 0; y < NY; y++) {
      for (let x = 0; x < NX; x++) {
        const inside = Math.hypot(x - CX, y - CY) < r;
        d[x + NX * (y + NY * NT * 0) + NX * NY * t] = inside ? 1 : bg[x + NX * y];
      }
    }
  }
  return series(d, [NX, NY, NZ, NT]);
}

Deno.test("dynamicMask: the pixels the wall sweeps, at most 10% of the slice", () => {
  const s = beating();
  const mask = dynamicMask(s);
  const n = mask.reduce((a, b) => a + b, 0);
  assert.ok(n > 0.04 * NX * NY && n <= 0.1 * NX * NY, `${n} dynamic pixels`);
  let rMin = Infinity, rMax = 0;
  for (let t = 0; t < NT; t++) {
    rMin = Math.min(rMin, radius(t));
    rMax = Math.max(rMax, radius(t));
  }
  for (let y = 0; y < NY; y++) {
    for (let x = 0; x < NX; x++) {
      if (!mask[x + NX * y]) continue;
      const r = Math.hypot(x - CX, y - CY);
      assert.ok(r >= rMin - 0.5 && r <= rMax + 0.5, `dynamic pixel (${x}, ${y}) at r=${r}`);
    }
  }
});

Deno.test("ssimMap: its mean over scikit-image's crop is the challenge SSIM", () => {
  const rng = new Rng(2);
  const nx = 23, ny = 19;
  const a = Float32Array.from({ length: nx * ny }, (_, i) => (i % nx) / nx + 0.2 * rng.uniform());
  const b = Float32Array.from(a, (v) => v + 0.05 * rng.gaussian());
  const map = ssimMap(a, b, nx, ny, 1);
  let s = 0, n = 0;
  for (let y = 3; y < ny - 3; y++) {
    for (let x = 3; x < nx - 3; x++) {
      s += map[x + nx * y];
      n++;
    }
  }
  const ref = ssim(a, b, nx, ny, 1);
  assert.ok(Math.abs(s / n - ref) < 1e-5, `${s / n} vs ${ref}`);
  assert.ok(ref < 0.99);
  // identical images: SSIM 1 everywhere
  assert.ok(ssimMap(a, a, nx, ny, 1).every((v) => Math.abs(v - 1) < 1e-9));
});

Deno.test("regionScores: an error only in one region shows only there", () => {
  const gt = beating();
  const mask = dynamicMask(gt);
  const npix = NX * NY;
  const withError = (where: 0 | 1) => {
    const rng = new Rng(where + 10);
    const d = Float32Array.from(gt.data);
    for (let t = 0; t < NT; t++) {
      for (let i = 0; i < npix; i++) {
        if ((mask[i] ? 0 : 1) === where) d[npix * t + i] -= 0.05 * rng.gaussian() ** 2;
      }
    }
    return series(d, gt.dims);
  };
  // the errors only lower values and the disc's centre (static) keeps its 1, so the 2023
  // normalisation (by the max) is the same for truth and reconstruction
  const dyn = regionScores(withError(0), gt, mask);
  const sta = regionScores(withError(1), gt, mask);
  assert.equal(dyn.images, NT);
  assert.equal(dyn.static.psnr, Infinity);
  assert.ok(Number.isFinite(dyn.dynamic.psnr));
  assert.equal(sta.dynamic.psnr, Infinity);
  assert.ok(Number.isFinite(sta.static.psnr));
  assert.ok(dyn.dynamic.ssim < 1 && sta.static.ssim < 1);
  // Only the first frames of the truth are compared with a shorter reconstruction.
  const three = series(gt.data.slice(0, 3 * npix), [NX, NY, NZ, 3]);
  const r3 = regionScores(three, gt, mask);
  assert.equal(r3.images, 3);
  assert.equal(r3.dynamic.psnr, Infinity);
  assert.throws(() => regionScores(series(new Float32Array(4 * 4), [4, 4]), gt, mask), ShapeError);
});
