import assert from "node:assert/strict";
import { fft, fft2c, fftPlan, ifft, ifft2c } from "../../src/kspace/fft.ts";
import { abs, multiply, multiplyConj, rss } from "../../src/kspace/complex.ts";
import { ShapeError } from "../../src/errors.ts";

interface GoldenCase {
  nx: number;
  ny: number;
  count: number;
  x: number[];
  fft2c: number[];
  ifft2c: number[];
  ifft2c_python_port: number[];
}

const golden: { cases: GoldenCase[] } = JSON.parse(
  await Deno.readTextFile(new URL("../fixtures/fft/fft2c_golden.json", import.meta.url)),
);

/** Deterministic pseudo-random values in [-1, 1). */
function noise(n: number, seed: number): Float64Array {
  const out = new Float64Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

function naiveDft(re: Float64Array, im: Float64Array, sign: number): [Float64Array, Float64Array] {
  const n = re.length;
  const or = new Float64Array(n), oi = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let sr = 0, si = 0;
    for (let j = 0; j < n; j++) {
      const a = (sign * 2 * Math.PI * ((j * k) % n)) / n;
      const c = Math.cos(a), s = Math.sin(a);
      sr += re[j] * c - im[j] * s;
      si += re[j] * s + im[j] * c;
    }
    or[k] = sr;
    oi[k] = si;
  }
  return [or, oi];
}

/** max |a - b| / max |b| over interleaved complex arrays. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let err = 0, ref = 0;
  for (let i = 0; i < b.length; i += 2) {
    err = Math.max(err, Math.hypot(a[i] - b[i], a[i + 1] - b[i + 1]));
    ref = Math.max(ref, Math.hypot(b[i], b[i + 1]));
  }
  return err / ref;
}

const LENGTHS = [
  ...Array.from({ length: 64 }, (_, i) => i + 1),
  ...[82, 94, 97, 123, 132, 141, 162, 164, 168, 204, 246, 289, 448, 512],
];

Deno.test("1-D fft matches a naive DFT for lengths 1..64 and composite ones (41, 17, 47 factors)", () => {
  for (const n of LENGTHS) {
    const re = noise(n, n), im = noise(n, 1000 + n);
    const [er, ei] = naiveDft(re, im, -1);
    const r = re.slice(), i = im.slice();
    fft(r, i);
    let err = 0, ref = 0;
    for (let k = 0; k < n; k++) {
      err = Math.max(err, Math.hypot(r[k] - er[k], i[k] - ei[k]));
      ref = Math.max(ref, Math.hypot(er[k], ei[k]));
    }
    assert.ok(err <= 1e-12 * Math.max(1, ref), `n=${n}: error ${err}`);
  }
});

Deno.test("1-D inverse matches the naive inverse DFT and ifft(fft(x)) == x", () => {
  for (const n of LENGTHS) {
    const re = noise(n, 7 * n), im = noise(n, 3 + n);
    const [er, ei] = naiveDft(re, im, +1);
    const r = re.slice(), i = im.slice();
    fftPlan(n).inverse(r, i);
    for (let k = 0; k < n; k++) {
      assert.ok(Math.hypot(r[k] - er[k], i[k] - ei[k]) < 1e-11, `inverse n=${n} k=${k}`);
    }
    const r2 = re.slice(), i2 = im.slice();
    fft(r2, i2);
    ifft(r2, i2);
    for (let k = 0; k < n; k++) {
      assert.ok(Math.hypot(r2[k] - re[k], i2[k] - im[k]) < 1e-13, `round trip n=${n}`);
    }
  }
});

Deno.test("batched 1-D plan equals per-sequence transforms", () => {
  // Batches large enough for the Rader stages (17, 41, 47 with nested 23), blocks that
  // straddle sub-sequence boundaries, and the small-batch generic fallback.
  const cases = [[12, 5], [41, 5], [97, 5], [246, 5], [41, 40], [82, 7], [123, 11], [204, 9]];
  for (const [n, batch] of [...cases, [34, 33], [289, 3], [47, 13], [94, 6]]) {
    const re = noise(n * batch, n), im = noise(n * batch, n + 1);
    const r = re.slice(), i = im.slice();
    fftPlan(n).forward(r, i, batch);
    for (let b = 0; b < batch; b++) {
      const sr = new Float64Array(n), si = new Float64Array(n);
      for (let k = 0; k < n; k++) {
        sr[k] = re[b + batch * k];
        si[k] = im[b + batch * k];
      }
      fft(sr, si);
      for (let k = 0; k < n; k++) {
        assert.ok(Math.abs(r[b + batch * k] - sr[k]) < 1e-12, `n=${n} b=${b}`);
        assert.ok(Math.abs(i[b + batch * k] - si[k]) < 1e-12, `n=${n} b=${b}`);
      }
    }
  }
});

Deno.test("fft2c / ifft2c match MATLAB's definition (numpy golden) for odd and even sizes", () => {
  assert.ok(golden.cases.length >= 5);
  for (const c of golden.cases) {
    const x = Float32Array.from(c.x);
    const k = fft2c(x, c.nx, c.ny, c.count);
    const im = ifft2c(x, c.nx, c.ny);
    const ek = relErr(k, c.fft2c), ei = relErr(im, c.ifft2c);
    assert.ok(ek < 1e-6, `fft2c ${c.nx}x${c.ny}x${c.count}: rel err ${ek}`);
    assert.ok(ei < 1e-6, `ifft2c ${c.nx}x${c.ny}x${c.count}: rel err ${ei}`);
  }
});

Deno.test("odd sizes follow MATLAB's shift order, not the Python port's", () => {
  // Evaluation/loadFun.py uses ifftshift(ifft2(fftshift(x))): equal for even sizes only.
  for (const c of golden.cases) {
    const im = ifft2c(Float32Array.from(c.x), c.nx, c.ny);
    const d = relErr(im, c.ifft2c_python_port);
    if (c.nx % 2 === 0 && c.ny % 2 === 0) assert.ok(d < 1e-6, `${c.nx}x${c.ny}`);
    else if (c.nx > 1 || c.ny > 1) assert.ok(d > 1e-2, `${c.nx}x${c.ny} should differ`);
  }
});

Deno.test("ifft2c(fft2c(x)) == x and in-place output, count images stacked", () => {
  for (const [nx, ny, count] of [[512, 246, 1], [448, 204, 1], [9, 7, 4], [1, 1, 2], [3, 1, 1]]) {
    const x = Float32Array.from(noise(2 * nx * ny * count, nx * ny));
    const k = fft2c(x, nx, ny, count);
    const back = ifft2c(k, nx, ny, count, k); // in place
    assert.equal(back, k);
    assert.ok(relErr(back, x) < 1e-6, `${nx}x${ny}x${count}`);
  }
});

Deno.test("Parseval: fft2c and ifft2c preserve the energy", () => {
  for (const [nx, ny] of [[16, 12], [15, 13], [246, 7]]) {
    const x = Float32Array.from(noise(2 * nx * ny, nx + ny));
    let e0 = 0;
    for (const v of x) e0 += v * v;
    for (const f of [fft2c, ifft2c]) {
      let e1 = 0;
      for (const v of f(x, nx, ny)) e1 += v * v;
      assert.ok(Math.abs(e1 - e0) / e0 < 1e-5, `${f.name} ${nx}x${ny}: ${e1} vs ${e0}`);
    }
  }
});

Deno.test("ifft2c of a centred delta is a flat image (centre = index floor(n/2))", () => {
  for (const [nx, ny] of [[8, 6], [7, 5]]) {
    const k = new Float32Array(2 * nx * ny);
    k[2 * ((nx >> 1) + nx * (ny >> 1))] = 1;
    const img = ifft2c(k, nx, ny);
    const v = 1 / Math.sqrt(nx * ny);
    for (let i = 0; i < nx * ny; i++) {
      assert.ok(Math.abs(img[2 * i] - v) < 1e-7 && Math.abs(img[2 * i + 1]) < 1e-7);
    }
  }
});

Deno.test("fft2c rejects sizes that do not match the data", () => {
  const x = new Float32Array(2 * 6 * 5);
  assert.throws(() => fft2c(x, 7, 5), ShapeError);
  assert.throws(() => ifft2c(x, 6, 5, 2), ShapeError);
  assert.throws(() => ifft2c(x, 6, 5, 1, new Float32Array(10)), ShapeError);
  assert.throws(() => fft2c(x, 0, 5), ShapeError);
  assert.throws(() => fftPlan(0), ShapeError);
});

Deno.test("rss, abs, multiply, multiplyConj", () => {
  // two coils, 3 pixels
  const data = Float32Array.from([3, 4, 1, 0, 0, 0, 0, 0, 0, 2, 1, 1]);
  const r = rss(data, 3, 2);
  assert.deepEqual(Array.from(r), [5, Math.sqrt(5), Math.SQRT2].map(Math.fround));
  assert.deepEqual(Array.from(abs(Float32Array.from([3, 4, 0, -2]))), [5, 2]);
  const a = Float32Array.from([1, 2, 3, 4]);
  const b = Float32Array.from([0, 1]);
  assert.deepEqual(Array.from(multiply(a, b)), [-2, 1, -4, 3]);
  assert.deepEqual(Array.from(multiplyConj(a, b)), [2, -1, 4, -3]);
  assert.throws(() => multiply(a, Float32Array.from([1, 2, 3])), ShapeError);
  assert.throws(() => rss(data, 4, 2), ShapeError);
});
