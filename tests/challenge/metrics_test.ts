import assert from "node:assert/strict";
import {
  meanStd32,
  nmse,
  normalizeImage,
  percentileAbs,
  psnr,
  scoreImage,
  scoreVolume,
  ssim,
} from "../../src/challenge/metrics/mod.ts";
import type { Year } from "../../src/challenge/edition.ts";
import { ShapeError } from "../../src/errors.ts";

type Num = number | string;
interface Scores {
  ssim: Num;
  psnr: Num;
  nmse: Num;
  L: Num;
}
interface GoldenCase {
  name: string;
  nx: number;
  ny: number;
  gt: number;
  pred: number;
  raw: { L: number; ssim: Num; psnr: Num; nmse: Num; nmse64: Num };
  scores: Record<string, Scores>;
  normalised: Record<string, Record<string, number>>;
}
interface GoldenVolume {
  dims: number[];
  gt: number;
  pred: number;
  scores: Record<string, { ssim: Num; psnr: Num; nmse: Num; images: number }>;
}

const dir = new URL("../fixtures/metrics/", import.meta.url);
const golden: { elements: number; cases: GoldenCase[]; volumes: GoldenVolume[] } = JSON.parse(
  await Deno.readTextFile(new URL("golden.json", dir)),
);
const bytes = await Deno.readFile(new URL("inputs.f32", dir));
const all = new Float32Array(golden.elements);
{
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < all.length; i++) all[i] = view.getFloat32(4 * i, true);
}
const arr = (off: number, n: number) => all.subarray(off, off + n);
const num = (v: Num) => (typeof v === "number" ? v : Number(v));

/** Fingerprint of the golden script: sum of bits(v_i) * (i + 1) mod 2^32. */
function fingerprint(a: Float32Array): number {
  const bits = new Uint32Array(a.buffer, a.byteOffset, a.length);
  let h = 0;
  for (let i = 0; i < bits.length; i++) h = (h + Math.imul(bits[i], i + 1)) >>> 0;
  return h;
}

/** |a - b| treating equal non-finite values (NaN, ±Infinity) as 0 difference. */
function absDiff(a: number, b: number): number {
  if (Number.isNaN(a) && Number.isNaN(b)) return 0;
  if (a === b) return 0;
  return Math.abs(a - b);
}
function relDiff(a: number, b: number): number {
  const d = absDiff(a, b);
  return d === 0 ? 0 : d / Math.max(Math.abs(b), 1e-300);
}

const YEAR_KEYS: [string, Year, boolean][] = [
  ["2023", 2023, true],
  ["2024_r4", 2024, true],
  ["2024_r3", 2024, false],
  ["2025_r4", 2025, true],
  ["2025_r3", 2025, false],
];

Deno.test("SSIM, PSNR and NMSE of raw images match scikit-image / numpy", () => {
  let dS = 0, dP = 0, dN = 0, dN64 = 0;
  for (const c of golden.cases) {
    const n = c.nx * c.ny;
    const g = arr(c.gt, n), p = arr(c.pred, n);
    const s = ssim(g, p, c.nx, c.ny, c.raw.L);
    const q = psnr(g, p, c.raw.L);
    const e = nmse(g, p);
    dS = Math.max(dS, absDiff(s, num(c.raw.ssim)));
    dP = Math.max(dP, absDiff(q, num(c.raw.psnr)));
    dN = Math.max(dN, relDiff(e, num(c.raw.nmse)));
    dN64 = Math.max(dN64, relDiff(e, num(c.raw.nmse64)));
    assert.ok(absDiff(s, num(c.raw.ssim)) <= 1e-6, `${c.name}: ssim ${s} vs ${c.raw.ssim}`);
    assert.ok(absDiff(q, num(c.raw.psnr)) <= 1e-4, `${c.name}: psnr ${q} vs ${c.raw.psnr}`);
    assert.ok(relDiff(e, num(c.raw.nmse)) <= 1e-5, `${c.name}: nmse ${e} vs ${c.raw.nmse}`);
  }
  console.log(
    `raw: max |dSSIM| ${dS.toExponential(2)}, |dPSNR| ${dP.toExponential(2)} dB, ` +
      `rel dNMSE ${dN.toExponential(2)} (vs float64 NMSE ${dN64.toExponential(2)})`,
  );
});

Deno.test("normalisation is bit-identical to numpy (2023 max, 2024 z-score, 2025 percentile)", () => {
  for (const c of golden.cases) {
    const n = c.nx * c.ny;
    for (const [who, off] of [["gt", c.gt], ["pred", c.pred]] as const) {
      const x = arr(off, n);
      for (const year of [2023, 2024, 2025] as Year[]) {
        const got = fingerprint(normalizeImage(x, year));
        assert.equal(got, c.normalised[String(year)][who], `${c.name} ${who} ${year}`);
      }
      const [mean, std] = meanStd32(x);
      assert.equal(mean, c.normalised["2024"][`${who}Mean`], `${c.name} ${who} mean`);
      assert.equal(std, c.normalised["2024"][`${who}Std`], `${c.name} ${who} std`);
      assert.equal(percentileAbs(x, 99.5), c.normalised["2025"][`${who}P`], `${c.name} ${who} p`);
    }
  }
});

Deno.test("scoreImage matches the official scorers for every year and branch", () => {
  const max: Record<string, [number, number, number]> = {};
  for (const [key, year, rank4] of YEAR_KEYS) {
    let dS = 0, dP = 0, dN = 0;
    for (const c of golden.cases) {
      const n = c.nx * c.ny;
      const want = c.scores[key];
      const got = scoreImage(arr(c.pred, n), arr(c.gt, n), c.nx, c.ny, year, rank4);
      const ds = absDiff(got.ssim, num(want.ssim));
      const dp = absDiff(got.psnr, num(want.psnr));
      const dn = relDiff(got.nmse, num(want.nmse));
      assert.ok(ds <= 1e-6, `${c.name} ${key}: ssim ${got.ssim} vs ${want.ssim}`);
      assert.ok(dp <= 1e-4, `${c.name} ${key}: psnr ${got.psnr} vs ${want.psnr}`);
      assert.ok(dn <= 1e-5, `${c.name} ${key}: nmse ${got.nmse} vs ${want.nmse}`);
      dS = Math.max(dS, ds);
      dP = Math.max(dP, dp);
      dN = Math.max(dN, dn);
    }
    max[key] = [dS, dP, dN];
  }
  for (const [k, [s, p, n]] of Object.entries(max)) {
    console.log(
      `${k.padEnd(8)} max |dSSIM| ${s.toExponential(2)}  |dPSNR| ${p.toExponential(2)} dB  ` +
        `rel dNMSE ${n.toExponential(2)}`,
    );
  }
});

Deno.test("scoreVolume matches the per-file mean of the official calmetric (4-D, 3-D, 2-D)", () => {
  for (const v of golden.volumes) {
    const n = v.dims.reduce((a, b) => a * b, 1);
    for (const year of [2023, 2024, 2025] as Year[]) {
      const want = v.scores[String(year)];
      const got = scoreVolume(arr(v.pred, n), arr(v.gt, n), v.dims, year);
      assert.equal(got.images, want.images);
      assert.ok(absDiff(got.ssim, num(want.ssim)) <= 1e-6, `${v.dims} ${year} ssim`);
      assert.ok(absDiff(got.psnr, num(want.psnr)) <= 1e-4, `${v.dims} ${year} psnr`);
      assert.ok(relDiff(got.nmse, num(want.nmse)) <= 1e-5, `${v.dims} ${year} nmse`);
    }
  }
});

// ---------------------------------------------------------------- properties

/** Deterministic smooth-plus-noise image, MATLAB dims (nx, ny), column-major. */
function image(nx: number, ny: number, seed: number, scale = 1, offset = 0): Float32Array {
  const out = new Float32Array(nx * ny);
  let s = seed >>> 0;
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      const v = 0.5 + 0.3 * Math.sin(x / 5) * Math.cos(y / 7) + 0.05 * (s / 2 ** 32);
      out[x + nx * y] = offset + scale * v;
    }
  }
  return out;
}

Deno.test("ssim(x, x) = 1, psnr of identical images = Infinity, nmse = 0", () => {
  const x = image(40, 33, 1);
  assert.equal(ssim(x, x, 40, 33, 1), 1);
  assert.equal(psnr(x, x, 1), Infinity);
  assert.equal(nmse(x, x), 0);
  const s = scoreImage(x, x, 40, 33, 2024);
  assert.equal(s.ssim, 1);
  assert.equal(s.psnr, Infinity);
});

Deno.test("SSIM is symmetric and its crop ignores the 3-pixel border", () => {
  const a = image(30, 20, 2), b = image(30, 20, 3);
  assert.equal(ssim(a, b, 30, 20, 1), ssim(b, a, 30, 20, 1));
  // changing a border pixel changes windows of cropped pixels only within reach; a pixel
  // farther than 6 from the kept region cannot matter: none exists in 30x20, so instead
  // check the layout: transposing both images gives the same SSIM (axis-symmetric filter)
  const t = (m: Float32Array, nx: number, ny: number) => {
    const o = new Float32Array(m.length);
    for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) o[y + ny * x] = m[x + nx * y];
    return o;
  };
  const d = ssim(a, b, 30, 20, 1) - ssim(t(a, 30, 20), t(b, 30, 20), 20, 30, 1);
  assert.ok(Math.abs(d) < 1e-6, `transpose changed SSIM by ${d}`);
});

Deno.test("2023 normalisation makes every metric scale invariant", () => {
  const g = image(48, 40, 4), p = image(48, 40, 5);
  const p2 = p.map((v) => v * 37.5);
  const a = scoreImage(p, g, 48, 40, 2023), b = scoreImage(p2, g, 48, 40, 2023);
  assert.ok(Math.abs(a.ssim - b.ssim) < 1e-6);
  assert.ok(Math.abs(a.psnr - b.psnr) < 1e-4);
  assert.ok(Math.abs(a.nmse - b.nmse) / a.nmse < 1e-5);
});

Deno.test("2024 z-score makes every metric offset (and scale) invariant", () => {
  const g = image(48, 40, 6), p = image(48, 40, 7);
  const p2 = p.map((v) => 3 * v + 250);
  for (const rank4 of [true, false]) {
    const a = scoreImage(p, g, 48, 40, 2024, rank4);
    const b = scoreImage(p2, g, 48, 40, 2024, rank4);
    assert.ok(Math.abs(a.ssim - b.ssim) < 1e-5, `ssim ${a.ssim} ${b.ssim}`);
    assert.ok(Math.abs(a.psnr - b.psnr) < 1e-3, `psnr ${a.psnr} ${b.psnr}`);
    assert.ok(Math.abs(a.nmse - b.nmse) / a.nmse < 1e-4, `nmse ${a.nmse} ${b.nmse}`);
  }
});

Deno.test("argument-order quirks: 2024/2025 4-D take L and NMSE denominator from the submission", () => {
  const g = image(64, 48, 8);
  const p = new Float32Array(g.length);
  for (let i = 0; i < g.length; i++) p[i] = g[i] + (i % 7 === 0 ? 0.4 : 0); // bright spikes
  for (const year of [2024, 2025] as Year[]) {
    const r4 = scoreImage(p, g, 64, 48, year, true);
    const r3 = scoreImage(p, g, 64, 48, year, false);
    assert.notEqual(r4.psnr, r3.psnr, `${year}: rank does not change PSNR`);
    assert.notEqual(r4.nmse, r3.nmse, `${year}: rank does not change NMSE`);
    // swapping the images swaps the branches exactly
    const swapped = scoreImage(g, p, 64, 48, year, false);
    assert.equal(r4.psnr, swapped.psnr);
    assert.equal(r4.ssim, swapped.ssim);
    assert.equal(r4.nmse, swapped.nmse);
  }
  // 2023 is not swapped: the rank does not matter
  assert.deepEqual(scoreImage(p, g, 64, 48, 2023, true), scoreImage(p, g, 64, 48, 2023, false));
});

Deno.test("ShapeErrors: small images, wrong lengths, pred/gt dims differ", () => {
  const x = new Float32Array(6 * 9);
  assert.throws(() => ssim(x, x, 6, 9, 1), ShapeError);
  assert.throws(() => ssim(x, x, 9, 6, 1), ShapeError);
  assert.throws(() => scoreImage(x, x, 6, 9, 2023), ShapeError);
  assert.throws(() => ssim(x, x, 7, 7, 1), ShapeError); // 54 != 49 values
  assert.throws(() => ssim(new Float32Array(49), new Float32Array(49), 7, 7, 1, { winSize: 4 }));
  assert.throws(() => psnr(new Float32Array(3), new Float32Array(4), 1), ShapeError);
  assert.throws(() => nmse(new Float32Array(3), new Float32Array(4)), ShapeError);
  const v = new Float32Array(8 * 8 * 2);
  assert.throws(
    () => scoreVolume(v, v, { pred: [8, 8, 2], gt: [8, 8, 1, 2] }, 2024),
    (e: unknown) =>
      e instanceof ShapeError && e.message.includes("(8, 8, 2)") &&
      e.message.includes("(8, 8, 1, 2)"),
  );
  assert.throws(() => scoreVolume(v, v, [8, 8, 3], 2024), ShapeError);
  assert.throws(() => scoreVolume(v, v, [8, 8, 2, 1, 1], 2024), ShapeError);
});

Deno.test("scoreVolume: NaN images propagate (np.mean) unless omitted", () => {
  const nx = 12, ny = 10, n = nx * ny;
  const gt = new Float32Array(2 * n), pred = new Float32Array(2 * n);
  gt.set(image(nx, ny, 9), 0);
  gt.set(image(nx, ny, 10), n);
  pred.set(image(nx, ny, 11), 0); // second submission image all zero: 0/0 in 2023
  const prop = scoreVolume(pred, gt, [nx, ny, 2], 2023);
  assert.equal(prop.images, 2);
  assert.equal(prop.nanImages, 1);
  assert.ok(Number.isNaN(prop.ssim));
  const omit = scoreVolume(pred, gt, [nx, ny, 2], 2023, { nan: "omit" });
  assert.equal(omit.ssim, prop.perImage.ssim[0]);
  // Float64Array input is rounded to float32 per image and scores the same
  const a = scoreVolume(Float64Array.from(pred), Float64Array.from(gt), [nx, ny, 2], 2024);
  const b = scoreVolume(pred, gt, [nx, ny, 2], 2024);
  assert.deepEqual(a.perImage, b.perImage);
});

Deno.test("percentileAbs follows numpy's linear interpolation", () => {
  const x = Float32Array.from([5, -1, 3, 2, 4]); // |x| sorted: 1 2 3 4 5
  assert.equal(percentileAbs(x, 50), 3);
  assert.equal(percentileAbs(x, 100), 5);
  assert.equal(percentileAbs(x, 0), 1);
  assert.ok(Math.abs(percentileAbs(x, 99.5) - (4 + 0.98)) < 1e-12);
  assert.ok(Number.isNaN(percentileAbs(Float32Array.from([1, NaN]), 50)));
});
