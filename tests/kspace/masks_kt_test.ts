import assert from "node:assert/strict";
import {
  acsFullySampled,
  acsRegion,
  effectiveAcceleration,
  KT_EDITIONS,
  ktMask,
  type KtPattern,
} from "../../src/kspace/masks_kt.ts";
import { sampledLines } from "../../src/kspace/mask.ts";
import { UsageError } from "../../src/errors.ts";

const R2024 = [4, 8, 12, 16, 20, 24];
const NY = 246;
const NT = 12;

/**
 * Effective accelerations (numel / nnz) printed by the organisers' MATLAB generators
 * (CMRxRecon2024 `UniformSampling.m`, `ktUniformSampling.m`, `ktGaussianSampling.m`), run in
 * GNU Octave 7.3 with nx 4, ny 246, nt 12. ktGaussian: mean over seeds 100..500.
 */
const OFFICIAL: Record<number, Record<string, number[]>> = {
  16: {
    uniform: [3.324, 5.467, 6.833, 7.935, 8.786, 9.462],
    ktUniform: [3.347, 5.487, 6.995, 8.066, 8.918, 9.616],
    ktGaussian: [3.491, 5.711, 7.166, 8.440, 9.273, 9.916],
  },
  20: {
    uniform: [3.195, 5.020, 6.308, 7.029, 7.688, 8.200],
    ktUniform: [3.216, 5.098, 6.335, 7.200, 7.810, 8.339],
    ktGaussian: [3.389, 5.345, 6.552, 7.567, 8.188, 8.670],
  },
};

function frame(m: Float32Array, nx: number, ny: number, t: number): Float32Array {
  return m.subarray(t * nx * ny, (t + 1) * nx * ny);
}

function sameFrames(m: Float32Array, nx: number, ny: number, a: number, b: number): boolean {
  const fa = frame(m, nx, ny, a);
  const fb = frame(m, nx, ny, b);
  return fa.every((v, i) => v === fb[i]);
}

Deno.test("k-t masks: Uniform and ktUniform give exactly the official effective acceleration (ACS 16 and 20)", () => {
  for (const acs of [16, 20]) {
    for (const pattern of ["uniform", "ktUniform"] as const) {
      R2024.forEach((acc, i) => {
        const m = ktMask({ pattern, nx: 4, ny: NY, nt: NT, acc, acs });
        const eff = effectiveAcceleration(m, 4, NY, NT);
        assert.ok(
          Math.abs(eff - OFFICIAL[acs][pattern][i]) < 1e-3,
          `${pattern} R${acc} ACS ${acs}: ${eff} vs official ${OFFICIAL[acs][pattern][i]}`,
        );
        // the ACS is added on top of the nominal lattice: never more accelerated than R
        assert.ok(eff <= acc);
      });
    }
  }
});

Deno.test("k-t masks: ktGaussian effective acceleration within 5% of the official generator's mean", () => {
  for (const acs of [16, 20]) {
    R2024.forEach((acc, i) => {
      for (let seed = 1; seed <= 5; seed++) {
        const m = ktMask({ pattern: "ktGaussian", nx: 4, ny: NY, nt: NT, acc, acs, seed });
        const eff = effectiveAcceleration(m, 4, NY, NT);
        const ref = OFFICIAL[acs].ktGaussian[i];
        assert.ok(
          Math.abs(eff / ref - 1) < 0.05,
          `R${acc} ACS ${acs} seed ${seed}: ${eff} vs ${ref}`,
        );
      }
    });
  }
});

Deno.test("k-t masks: ktGaussian draws round(ny/R) distinct lines per frame, denser at the centre", () => {
  const nx = 1, acc = 8;
  const m = ktMask({ pattern: "ktGaussian", nx, ny: NY, nt: 64, acc, acs: 0, seed: 7 });
  const counts = new Float64Array(NY);
  for (let t = 0; t < 64; t++) {
    const lines = sampledLines(m, nx, NY, t);
    assert.equal(lines.reduce((a, b) => a + b, 0), Math.round(NY / acc), `frame ${t}`);
    lines.forEach((v, y) => counts[y] += v);
  }
  const centre = counts.slice(113, 133).reduce((a, b) => a + b, 0) / 20;
  const edge = (counts.slice(0, 20).reduce((a, b) => a + b, 0) +
    counts.slice(226).reduce((a, b) => a + b, 0)) / 40;
  assert.ok(centre > 1.5 * edge, `centre ${centre} vs edge ${edge}`);
});

Deno.test("k-t masks: ktRadial at the official demo size (400 x 246 x 12) is within 10% of the nominal R", () => {
  for (const [acs, rs] of [[16, R2024], [20, KT_EDITIONS[2025].all.accelerations]] as const) {
    for (const acc of rs) {
      const m = ktMask({ pattern: "ktRadial", nx: 400, ny: NY, nt: NT, acc, acs });
      const eff = effectiveAcceleration(m, 400, NY, NT);
      assert.ok(Math.abs(eff / acc - 1) < 0.1, `R${acc} ACS ${acs}: ${eff}`);
    }
  }
});

Deno.test("k-t masks: every pattern is 0/1, whole kx lines when Cartesian, ACS in every frame", () => {
  const nx = 16;
  for (const acs of [16, 20]) {
    for (const pattern of ["uniform", "ktUniform", "ktGaussian", "ktRadial"] as KtPattern[]) {
      for (const acc of [4, 8, 16, 24]) {
        const m = ktMask({ pattern, nx, ny: NY, nt: NT, acc, acs, seed: 3 });
        assert.equal(m.length, nx * NY * NT);
        assert.ok(m.every((v) => v === 0 || v === 1), `${pattern} values`);
        assert.ok(acsFullySampled(m, pattern, nx, NY, NT, acs), `${pattern} R${acc} ACS`);
        if (pattern !== "ktRadial") {
          for (let t = 0; t < NT; t++) {
            for (let y = 0; y < NY; y++) {
              const col = m.subarray(nx * (y + NY * t), nx * (y + 1 + NY * t));
              assert.ok(col.every((v) => v === col[0]), `${pattern} frame ${t} line ${y}`);
            }
          }
        }
      }
    }
  }
  // the ACS placement of zpad: 0-based start floor(n/2) - floor(acs/2)
  assert.deepEqual(acsRegion("ktUniform", 16, 246, 16), { x: [0, 16], y: [115, 131] });
  assert.deepEqual(acsRegion("ktUniform", 16, 246, 20), { x: [0, 16], y: [113, 133] });
  assert.deepEqual(acsRegion("ktRadial", 400, 246, 16), { x: [192, 208], y: [115, 131] });
  // a mask with a hole in the ACS is caught
  const m = ktMask({ pattern: "ktUniform", nx, ny: NY, nt: NT, acc: 8, acs: 16 });
  m[nx * (120 + NY * 5)] = 0;
  assert.equal(acsFullySampled(m, "ktUniform", nx, NY, NT, 16), false);
});

Deno.test("k-t masks: ktUniform, ktGaussian and ktRadial vary over time; Uniform does not", () => {
  const nx = 64, ny = 96;
  for (const pattern of ["uniform", "ktUniform", "ktGaussian", "ktRadial"] as KtPattern[]) {
    const m = ktMask({ pattern, nx, ny, nt: NT, acc: 8, acs: 16, seed: 1 });
    let differing = 0;
    for (let t = 1; t < NT; t++) if (!sameFrames(m, nx, ny, t - 1, t)) differing++;
    assert.equal(differing, pattern === "uniform" ? 0 : NT - 1, pattern);
  }
  // ktUniform: frame t holds the lines y with (y - t) mod R = 0 (official output: frame 0
  // lines 0, 4, 8, ...; frame 1 lines 1, 5, 9, ...)
  const m = ktMask({ pattern: "ktUniform", nx: 1, ny: NY, nt: NT, acc: 4, acs: 0 });
  for (let t = 0; t < NT; t++) {
    const lines = sampledLines(m, 1, NY, t);
    for (let y = 0; y < NY; y++) assert.equal(lines[y], (y - t) % 4 === 0 ? 1 : 0);
  }
});

Deno.test("k-t masks: deterministic per seed; ktGaussian changes with the seed or a random source", () => {
  const o = { nx: 8, ny: NY, nt: NT, acc: 8, acs: 16 };
  for (const pattern of ["uniform", "ktUniform", "ktGaussian", "ktRadial"] as KtPattern[]) {
    assert.deepEqual(ktMask({ ...o, pattern, seed: 11 }), ktMask({ ...o, pattern, seed: 11 }));
  }
  const a = ktMask({ ...o, pattern: "ktGaussian", seed: 11 });
  const b = ktMask({ ...o, pattern: "ktGaussian", seed: 12 });
  assert.notDeepEqual(a, b);
  let k = 0;
  const c = ktMask({ ...o, pattern: "ktGaussian", random: () => ((k++ * 0.618034) % 1) });
  assert.notDeepEqual(a, c);
});

Deno.test("k-t masks: ktRadial samples the centre in every frame, symmetric about it, rotating", () => {
  const nx = 128, ny = 96, nt = 6;
  const cx = nx / 2, cy = ny / 2;
  const m = ktMask({ pattern: "ktRadial", nx, ny, nt, acc: 8, acs: 0 });
  for (let t = 0; t < nt; t++) {
    assert.equal(m[cx + nx * (cy + ny * t)], 1, `centre, frame ${t}`);
    for (let y = 1; y < ny; y++) {
      for (let x = 1; x < nx; x++) {
        const v = m[x + nx * (y + ny * t)];
        const w = m[2 * cx - x + nx * (2 * cy - y + ny * t)];
        assert.equal(v, w, `point symmetry at (${x}, ${y}), frame ${t}`);
      }
    }
  }
  // frame 0 holds the spoke kx = centre over all ky (angle 0); frame 1 is rotated by 137.5°
  for (let y = 0; y < ny; y++) assert.equal(m[cx + nx * y], 1);
  assert.equal(sameFrames(m, nx, ny, 0, 1), false);
  // corners outside the disc of diameter max(nx, ny) are never sampled
  for (let t = 0; t < nt; t++) assert.equal(m[0 + nx * (0 + ny * t)], 0);
});

Deno.test("k-t masks: single-frame data and bad arguments", () => {
  const m = ktMask({ pattern: "ktGaussian", nx: 8, ny: 64, nt: 1, acc: 8, acs: 20, seed: 1 });
  assert.equal(m.length, 8 * 64);
  assert.ok(acsFullySampled(m, "ktGaussian", 8, 64, 1, 20));
  assert.throws(
    () => ktMask({ pattern: "ktUniform", nx: 0, ny: 8, nt: 1, acc: 4, acs: 2 }),
    UsageError,
  );
  assert.throws(
    () => ktMask({ pattern: "ktUniform", nx: 8, ny: 8, nt: 1, acc: 0.5, acs: 2 }),
    UsageError,
  );
  assert.throws(
    () => ktMask({ pattern: "spiral" as KtPattern, nx: 8, ny: 8, nt: 1, acc: 4, acs: 2 }),
    UsageError,
  );
});
