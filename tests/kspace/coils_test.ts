import { readCfl, writeCfl } from "../../src/mat/cfl.ts";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ShapeError } from "../../src/errors.ts";
import { rss } from "../../src/kspace/complex.ts";
import { fft2c, ifft2c } from "../../src/kspace/fft.ts";
import { uniformLines, uniformMask2d } from "../../src/kspace/mask.ts";
import {
  acsRssMaps,
  coilCombine,
  espirit,
  sensitivityMaps,
  timeAveragedKspace,
} from "../../src/kspace/coils/mod.ts";
import type { SliceInput } from "../../src/kspace/slice.ts";
import { coilMaps } from "../../src/synth/coils.ts";
import { cineFrame, phantomParams } from "../../src/synth/phantom/mod.ts";
import { Rng } from "../../src/synth/random.ts";

// ---------------------------------------------------------------------------------------
// Synthetic slice with known coil maps
// ---------------------------------------------------------------------------------------

interface Synthetic {
  input: SliceInput;
  /** fully sampled noisy coil images of frame 0, `(x, y, coil)` */
  coilImages: Float32Array;
  /** phantom image of frame 0, `(x, y)` */
  image: Float32Array;
  /** true maps `(x, y, coil)` */
  truth: Float32Array;
  /** 1 inside the body (labelled and above 5 % of the maximum) */
  body: Uint8Array;
  npix: number;
}

const cache = new Map<string, Synthetic>();

/** Cine SAX slice, `nt` frames, uniform R=4 mask with 24 ACS lines, noise sd 0.01. */
function synthetic(nx = 96, ny = 72, nc = 8, nt = 4): Synthetic {
  const key = [nx, ny, nc, nt].join();
  const hit = cache.get(key);
  if (hit) return hit;
  const npix = nx * ny;
  const pat = phantomParams(5);
  const truth = coilMaps(nc, nx, ny, 5, 1);
  const mask = uniformMask2d(nx, ny, 4, 24);
  const rng = new Rng(11);
  const kspace = new Float32Array(2 * npix * nc * nt);
  const body = new Uint8Array(npix);
  let image: Float32Array = new Float32Array(0), coilImages: Float32Array = new Float32Array(0);
  for (let t = 0; t < nt; t++) {
    const f = cineFrame(pat, "sax", 1, 3, t, nt, nx, ny);
    const coil = new Float32Array(2 * npix * nc);
    for (let c = 0; c < nc; c++) {
      for (let p = 0; p < npix; p++) {
        const o = 2 * (c * npix + p);
        const ar = f.image[2 * p], ai = f.image[2 * p + 1], br = truth[o], bi = truth[o + 1];
        coil[o] = ar * br - ai * bi;
        coil[o + 1] = ar * bi + ai * br;
      }
    }
    const k = fft2c(coil, nx, ny, nc);
    for (let i = 0; i < k.length; i++) k[i] += 0.01 * rng.gaussian();
    if (t === 0) {
      image = f.image;
      coilImages = ifft2c(k, nx, ny, nc);
      let max = 0;
      for (let p = 0; p < npix; p++) {
        max = Math.max(max, Math.hypot(image[2 * p], image[2 * p + 1]));
      }
      for (let p = 0; p < npix; p++) {
        body[p] = f.label[p] > 0 && Math.hypot(image[2 * p], image[2 * p + 1]) > 0.05 * max ? 1 : 0;
      }
    }
    for (let c = 0; c < nc; c++) {
      for (let p = 0; p < npix; p++) {
        if (mask[p] === 0) k[2 * (c * npix + p)] = k[2 * (c * npix + p) + 1] = 0;
      }
    }
    kspace.set(k, 2 * npix * nc * t);
  }
  const s: Synthetic = {
    input: { kspace, dims: [nx, ny, nc, nt], mask, maskDims: [nx, ny], task: "cine" },
    coilImages,
    image,
    truth,
    body,
    npix,
  };
  cache.set(key, s);
  return s;
}

/** Per-pixel |<a, b>| / (|a| |b|) inside `inside` where both are non-zero, sorted. */
function agreements(
  a: Float32Array,
  b: Float32Array,
  npix: number,
  nc: number,
  inside: Uint8Array,
): number[] {
  const v: number[] = [];
  for (let p = 0; p < npix; p++) {
    if (!inside[p]) continue;
    let sr = 0, si = 0, na = 0, nb = 0;
    for (let c = 0; c < nc; c++) {
      const o = 2 * (c * npix + p);
      sr += a[o] * b[o] + a[o + 1] * b[o + 1];
      si += a[o] * b[o + 1] - a[o + 1] * b[o];
      na += a[o] ** 2 + a[o + 1] ** 2;
      nb += b[o] ** 2 + b[o + 1] ** 2;
    }
    if (na > 0 && nb > 0) v.push(Math.hypot(sr, si) / Math.sqrt(na * nb));
  }
  return v.sort((x, y) => x - y);
}

const quantile = (v: number[], q: number) => v[Math.floor(q * (v.length - 1))];

/** RSS over coils of maps `(x, y, coil)` at the pixels in `inside`, sorted. */
function mapRss(maps: Float32Array, npix: number, nc: number, inside: Uint8Array): number[] {
  const r = rss(maps, npix, nc);
  const v: number[] = [];
  for (let p = 0; p < npix; p++) if (inside[p]) v.push(r[p]);
  return v.sort((x, y) => x - y);
}

function band(ny: number): [number, number] {
  return [Math.floor(ny / 2) - 12, Math.floor(ny / 2) + 12];
}

// ---------------------------------------------------------------------------------------
// Time average
// ---------------------------------------------------------------------------------------

Deno.test("timeAveragedKspace: the mean over frames for a mask shared by all frames", () => {
  const nx = 4, ny = 3, nc = 2, nt = 3, per = 2 * nx * ny * nc;
  const kspace = new Float32Array(per * nt);
  for (let i = 0; i < kspace.length; i++) kspace[i] = (i % 7) - 3 + 0.25 * i;
  const mask = new Float32Array(nx * ny).fill(1);
  const out = timeAveragedKspace({
    kspace,
    dims: [nx, ny, nc, nt],
    mask,
    maskDims: [nx, ny],
    task: "cine",
  });
  for (let i = 0; i < per; i++) {
    const mean = (kspace[i] + kspace[i + per] + kspace[i + 2 * per]) / 3;
    assert.ok(Math.abs(out[i] - mean) < 1e-5, `element ${i}`);
  }
});

Deno.test("timeAveragedKspace: a k-t mask fills each line with the mean of the frames that sampled it", () => {
  const nx = 2, ny = 4, nc = 1, nt = 3, npix = nx * ny;
  // frame t samples ky = t and ky = 3 (every frame)
  const mask = new Float32Array(npix * nt);
  const kspace = new Float32Array(2 * npix * nc * nt);
  for (let t = 0; t < nt; t++) {
    for (const y of [t, 3]) {
      for (let x = 0; x < nx; x++) {
        mask[t * npix + y * nx + x] = 1;
        kspace[2 * (t * npix + y * nx + x)] = 10 * (t + 1) + y; // real
        kspace[2 * (t * npix + y * nx + x) + 1] = -(t + 1);
      }
    }
  }
  const out = timeAveragedKspace({
    kspace,
    dims: [nx, ny, nc, nt],
    mask,
    maskDims: [nx, ny, nt],
    task: "cine",
  });
  for (let x = 0; x < nx; x++) {
    for (let y = 0; y < 3; y++) {
      assert.equal(
        out[2 * (y * nx + x)],
        10 * (y + 1) + y,
        `line ${y} comes from frame ${y} alone`,
      );
      assert.equal(out[2 * (y * nx + x) + 1], -(y + 1));
    }
    assert.ok(Math.abs(out[2 * (3 * nx + x)] - (20 + 3)) < 1e-5, "line 3: mean of 13, 23, 33");
    assert.ok(Math.abs(out[2 * (3 * nx + x) + 1] + 2) < 1e-5);
  }
});

Deno.test("timeAveragedKspace: mask dims that do not fit are a ShapeError", () => {
  assert.throws(
    () =>
      timeAveragedKspace({
        kspace: new Float32Array(2 * 4 * 4 * 2),
        dims: [4, 4, 1, 2],
        mask: new Float32Array(16 * 3),
        maskDims: [4, 4, 3],
        task: "cine",
      }),
    ShapeError,
  );
});

// ---------------------------------------------------------------------------------------
// ACS / RSS
// ---------------------------------------------------------------------------------------

Deno.test("acsRssMaps: reproduces the true maps up to a per-pixel phase, RSS about 1 in the body", () => {
  const s = synthetic();
  const [nx, ny, nc] = s.input.dims;
  const maps = acsRssMaps(timeAveragedKspace(s.input), nx, ny, nc, band(ny));
  const agree = agreements(maps, s.truth, s.npix, nc, s.body);
  assert.ok(quantile(agree, 0.5) > 0.995, `median agreement ${quantile(agree, 0.5)}`);
  assert.ok(quantile(agree, 0.05) > 0.98, `5th percentile ${quantile(agree, 0.05)}`);
  const r = mapRss(maps, s.npix, nc, s.body);
  assert.ok(
    quantile(r, 0.5) > 0.99 && quantile(r, 1) <= 1 + 1e-5,
    `RSS median ${quantile(r, 0.5)}`,
  );
  assert.ok(quantile(r, 0.05) > 0.97, `RSS 5th percentile ${quantile(r, 0.05)}`);
});

Deno.test("acsRssMaps: the box window and full kx also work, and crop zeroes the background", () => {
  const s = synthetic();
  const [nx, ny, nc] = s.input.dims;
  const avg = timeAveragedKspace(s.input);
  const box = acsRssMaps(avg, nx, ny, nc, band(ny), { taper: 0, kxWidth: nx });
  assert.ok(quantile(agreements(box, s.truth, s.npix, nc, s.body), 0.5) > 0.95);
  const cropped = acsRssMaps(avg, nx, ny, nc, band(ny), { crop: 0.1 });
  let zeros = 0;
  for (let p = 0; p < s.npix; p++) if (cropped[2 * p] === 0 && cropped[2 * p + 1] === 0) zeros++;
  assert.ok(zeros > 0.2 * s.npix, `${zeros} background pixels zeroed`);
  assert.throws(() => acsRssMaps(avg, nx, ny, nc, [30, 30]), ShapeError);
  assert.throws(() => acsRssMaps(avg.subarray(2), nx, ny, nc, band(ny)), ShapeError);
});

// ---------------------------------------------------------------------------------------
// ESPIRiT
// ---------------------------------------------------------------------------------------

Deno.test("espirit: reproduces the true maps up to a per-pixel phase (median > 0.999), unit RSS, eigenvalue 1", () => {
  const s = synthetic();
  const [nx, ny, nc] = s.input.dims;
  const r = espirit(timeAveragedKspace(s.input), nx, ny, nc, band(ny));
  assert.equal(r.maps.length, 2 * s.npix * nc);
  assert.equal(r.eigenvalues.length, s.npix);
  assert.ok(r.kernels > nc && r.kernels < 6 * 6 * nc, `${r.kernels} kernels`);
  for (let i = 1; i < r.singularValues.length; i++) {
    assert.ok(r.singularValues[i] <= r.singularValues[i - 1]);
  }
  const agree = agreements(r.maps, s.truth, s.npix, nc, s.body);
  assert.equal(agree.length, s.body.reduce((a, b) => a + b, 0), "no body pixel cropped");
  assert.ok(quantile(agree, 0.5) > 0.999, `median agreement ${quantile(agree, 0.5)}`);
  assert.ok(quantile(agree, 0.05) > 0.995, `5th percentile ${quantile(agree, 0.05)}`);
  const rs = mapRss(r.maps, s.npix, nc, s.body);
  assert.ok(Math.abs(quantile(rs, 0) - 1) < 1e-4 && Math.abs(quantile(rs, 1) - 1) < 1e-4);
  let evMin = Infinity, evMax = 0, zeroOutside = 0, outside = 0;
  for (let p = 0; p < s.npix; p++) {
    evMax = Math.max(evMax, r.eigenvalues[p]);
    if (s.body[p]) evMin = Math.min(evMin, r.eigenvalues[p]);
    else {
      outside++;
      if (r.maps[2 * p] === 0 && r.maps[2 * p + 1] === 0) zeroOutside++;
    }
  }
  assert.ok(evMin > 0.95 && evMax < 1 + 1e-3, `body eigenvalues ${evMin}..${evMax}`);
  assert.ok(zeroOutside > 0.5 * outside, `${zeroOutside} of ${outside} background pixels cropped`);
});

Deno.test("espirit: odd image sizes and a 48-point kx calibration window", () => {
  const s = synthetic(81, 63, 6, 2);
  const [nx, ny, nc] = s.input.dims;
  const r = espirit(timeAveragedKspace(s.input), nx, ny, nc, band(ny), { calibSize: [48, 24] });
  const agree = agreements(r.maps, s.truth, s.npix, nc, s.body);
  assert.ok(quantile(agree, 0.5) > 0.999, `median agreement ${quantile(agree, 0.5)}`);
});

Deno.test("espirit: two maps are orthonormal per pixel with descending eigenvalues", () => {
  const s = synthetic();
  const [nx, ny, nc] = s.input.dims;
  const r = espirit(timeAveragedKspace(s.input), nx, ny, nc, band(ny), { maps: 2, crop: 0 });
  const { npix } = s;
  assert.equal(r.maps.length, 2 * npix * nc * 2);
  let worst = 0;
  for (let p = 0; p < npix; p += 7) {
    assert.ok(r.eigenvalues[p] >= r.eigenvalues[p + npix] - 1e-6, `pixel ${p} order`);
    let sr = 0, si = 0, n1 = 0, n2 = 0;
    for (let c = 0; c < nc; c++) {
      const a = 2 * (c * npix + p), b = 2 * ((nc + c) * npix + p);
      sr += r.maps[a] * r.maps[b] + r.maps[a + 1] * r.maps[b + 1];
      si += r.maps[a] * r.maps[b + 1] - r.maps[a + 1] * r.maps[b];
      n1 += r.maps[a] ** 2 + r.maps[a + 1] ** 2;
      n2 += r.maps[b] ** 2 + r.maps[b + 1] ** 2;
    }
    worst = Math.max(worst, Math.hypot(sr, si), Math.abs(n1 - 1), Math.abs(n2 - 1));
  }
  assert.ok(worst < 1e-4, `orthonormality error ${worst}`);
  // the first map is the same as with maps: 1
  const one = espirit(timeAveragedKspace(s.input), nx, ny, nc, band(ny), { crop: 0 });
  const agree = agreements(one.maps, r.maps.subarray(0, 2 * npix * nc), npix, nc, s.body);
  assert.ok(quantile(agree, 0) > 0.9999);
});

Deno.test("espirit: a band or calibration region smaller than the kernel is a ShapeError", () => {
  const s = synthetic();
  const [nx, ny, nc] = s.input.dims;
  const avg = timeAveragedKspace(s.input);
  assert.throws(() => espirit(avg, nx, ny, nc, [34, 38]), ShapeError);
  assert.throws(() => espirit(avg, nx, ny, nc, band(ny), { calibSize: [4, 24] }), ShapeError);
  assert.throws(() => espirit(avg, nx, ny, nc, band(ny), { maps: nc + 1 }), ShapeError);
  assert.throws(() => espirit(new Float32Array(avg.length), nx, ny, nc, band(ny)), /no signal/);
});

// ---------------------------------------------------------------------------------------
// Coil combination
// ---------------------------------------------------------------------------------------

Deno.test("coilCombine: with the true maps it returns the image; with ESPIRiT maps |image| = RSS", () => {
  const s = synthetic();
  const [nx, ny, nc] = s.input.dims;
  const { npix } = s;
  // noise-free coil images from the true maps: exact recovery
  const coil = new Float32Array(2 * npix * nc);
  for (let c = 0; c < nc; c++) {
    for (let p = 0; p < npix; p++) {
      const o = 2 * (c * npix + p);
      coil[o] = s.image[2 * p] * s.truth[o] - s.image[2 * p + 1] * s.truth[o + 1];
      coil[o + 1] = s.image[2 * p] * s.truth[o + 1] + s.image[2 * p + 1] * s.truth[o];
    }
  }
  const exact = coilCombine(coil, s.truth, nx, ny, nc);
  let err = 0, ref = 0;
  for (let i = 0; i < exact.length; i++) {
    err += (exact[i] - s.image[i]) ** 2;
    ref += s.image[i] ** 2;
  }
  assert.ok(Math.sqrt(err / ref) < 1e-4, `relative error ${Math.sqrt(err / ref)}`);

  // ESPIRiT maps from the undersampled data, applied to the fully sampled coil images:
  // |combined| = |m| |<S_est, S_true>| = RSS where the maps are exact
  const maps = sensitivityMaps(s.input, "espirit").maps;
  const relToRss = (images: Float32Array) => {
    const combined = coilCombine(images, maps, nx, ny, nc);
    const r = rss(images, npix, nc);
    const rel: number[] = [];
    for (let p = 0; p < npix; p++) {
      if (s.body[p]) {
        rel.push(Math.abs(Math.hypot(combined[2 * p], combined[2 * p + 1]) / r[p] - 1));
      }
    }
    return { combined, rel: rel.sort((a, b) => a - b) };
  };
  const clean = relToRss(coil);
  assert.ok(
    quantile(clean.rel, 0.5) < 1e-4,
    `median |combined|/RSS - 1 = ${quantile(clean.rel, 0.5)}`,
  );
  assert.ok(quantile(clean.rel, 0.95) < 2e-3, `95th percentile ${quantile(clean.rel, 0.95)}`);
  // noisy coil images: RSS carries nc times the noise power, the combination once
  const noisy = relToRss(s.coilImages);
  assert.ok(quantile(noisy.rel, 0.5) < 0.02, `noisy: median ${quantile(noisy.rel, 0.5)}`);
  // the image up to phase: combined / image = |S_true| e^{i phi}, with phi the phase of the
  // virtual body coil (smooth)
  const tr = rss(s.truth, npix, nc);
  const ratio: number[] = [];
  let jumps = 0;
  for (let p = 0; p < npix; p++) {
    if (!s.body[p]) continue;
    const cr = clean.combined[2 * p], ci = clean.combined[2 * p + 1];
    const mr = s.image[2 * p], mi = s.image[2 * p + 1];
    const m = Math.hypot(mr, mi);
    ratio.push(Math.abs(Math.hypot(cr, ci) / (m * tr[p]) - 1));
    // phase of combined * conj(image) compared with the right neighbour
    if (p + 1 < npix && s.body[p + 1]) {
      const a = Math.atan2(ci * mr - cr * mi, cr * mr + ci * mi);
      const nr = clean.combined[2 * p + 2], ni = clean.combined[2 * p + 3];
      const br = s.image[2 * p + 2], bi = s.image[2 * p + 3];
      const b = Math.atan2(ni * br - nr * bi, nr * br + ni * bi);
      const d = Math.abs(Math.atan2(Math.sin(a - b), Math.cos(a - b)));
      if (d > 0.2) jumps++;
    }
  }
  ratio.sort((a, b) => a - b);
  assert.ok(quantile(ratio, 0.95) < 1e-3, `95th percentile image error ${quantile(ratio, 0.95)}`);
  assert.ok(jumps === 0, `${jumps} phase jumps between neighbours`);
});

Deno.test("coilCombine: frames are combined independently; zero maps give zero; bad sizes throw", () => {
  const nx = 3, ny = 2, nc = 2, npix = nx * ny;
  const maps = new Float32Array(2 * npix * nc);
  for (let p = 0; p < npix - 1; p++) {
    maps[2 * p] = 0.6; // coil 0: 0.6
    maps[2 * (npix + p) + 1] = 0.8; // coil 1: 0.8i
  }
  const images = new Float32Array(2 * npix * nc * 2);
  for (let t = 0; t < 2; t++) {
    for (let p = 0; p < npix; p++) {
      const v = t + 1 + p; // image value v: coil 0 = 0.6 v, coil 1 = 0.8i v
      images[2 * (t * npix * nc + p)] = 0.6 * v;
      images[2 * (t * npix * nc + npix + p) + 1] = 0.8 * v;
    }
  }
  const out = coilCombine(images, maps, nx, ny, nc);
  assert.equal(out.length, 2 * npix * 2);
  for (let t = 0; t < 2; t++) {
    for (let p = 0; p < npix; p++) {
      const want = p === npix - 1 ? 0 : t + 1 + p;
      assert.ok(Math.abs(out[2 * (t * npix + p)] - want) < 1e-4, `frame ${t} pixel ${p}`);
      assert.ok(Math.abs(out[2 * (t * npix + p) + 1]) < 1e-6);
    }
  }
  assert.throws(() => coilCombine(images.subarray(2), maps, nx, ny, nc), ShapeError);
  assert.throws(() => coilCombine(images, maps.subarray(2), nx, ny, nc), ShapeError);
});

// ---------------------------------------------------------------------------------------
// sensitivityMaps
// ---------------------------------------------------------------------------------------

Deno.test("sensitivityMaps: finds the ACS band in the mask and calls the method", () => {
  const s = synthetic();
  const [nx, ny, nc] = s.input.dims;
  const acs = sensitivityMaps(s.input, "acs");
  // the 24 ACS lines 24..47 plus line 48 (a multiple of R = 4) that touches the band
  assert.deepEqual(acs.acs, [24, 49]);
  assert.deepEqual(acs.dims, [nx, ny, nc, 1]);
  assert.equal(acs.eigenvalues, undefined);
  assert.deepEqual(acs.maps, acsRssMaps(timeAveragedKspace(s.input), nx, ny, nc, [24, 49]));
  const esp = sensitivityMaps(s.input, "espirit", { maps: 2 });
  assert.deepEqual(esp.dims, [nx, ny, nc, 2]);
  assert.equal(esp.eigenvalues!.length, 2 * s.npix);
  // a single frame calibrates too
  const one = sensitivityMaps(s.input, "espirit", { frame: 2 });
  assert.ok(quantile(agreements(one.maps, s.truth, s.npix, nc, s.body), 0.5) > 0.999);
  assert.throws(() => sensitivityMaps(s.input, "espirit", { frame: 9 }), ShapeError);
});

Deno.test("sensitivityMaps: a k-t mask uses the lines sampled in every frame as the ACS band", () => {
  const s = synthetic();
  const [nx, ny, nc, nt] = s.input.dims;
  const npix = nx * ny;
  // frames sample different outer lines; the central 24 are in every frame, and in frame 0
  // two more lines next to the band are sampled (they must not count)
  const mask = new Float32Array(npix * nt);
  const kspace = s.input.kspace.slice();
  for (let t = 0; t < nt; t++) {
    const lines = uniformLines(ny, 4, 24);
    for (let y = 0; y < ny; y++) {
      const extra = t === 0 && (y === band(ny)[0] - 1 || y === band(ny)[1]);
      const on = (lines[y] && (y % 8 === 0) === (t % 2 === 0)) ||
        (y >= band(ny)[0] && y < band(ny)[1]) || extra;
      if (on) mask.fill(1, t * npix + y * nx, t * npix + (y + 1) * nx);
    }
    for (let c = 0; c < nc; c++) {
      for (let p = 0; p < npix; p++) {
        if (!mask[t * npix + p]) {
          const o = 2 * ((t * nc + c) * npix + p);
          kspace[o] = kspace[o + 1] = 0;
        }
      }
    }
  }
  const input: SliceInput = { ...s.input, kspace, mask, maskDims: [nx, ny, nt] };
  const r = sensitivityMaps(input, "espirit");
  assert.deepEqual(r.acs, band(ny));
  assert.ok(quantile(agreements(r.maps, s.truth, s.npix, nc, s.body), 0.5) > 0.999);
});

Deno.test("sensitivityMaps: no ACS band is a ShapeError that says what it found", () => {
  const s = synthetic();
  const [nx, ny] = s.input.dims;
  const mask = uniformMask2d(nx, ny, 4, 6); // 6 central lines (plus every 4th)
  const input: SliceInput = { ...s.input, mask };
  assert.throws(
    () => sensitivityMaps(input, "acs"),
    (e: unknown) => {
      assert.ok(e instanceof ShapeError);
      assert.match(e.message, /no ACS band: 7 contiguous/);
      assert.match(e.message, /need at least 8/);
      return true;
    },
  );
  const none = new Float32Array(nx * ny);
  for (let y = 0; y < ny; y += 4) none.fill(1, y * nx, (y + 1) * nx);
  assert.throws(
    () => sensitivityMaps({ ...s.input, mask: none }, "espirit"),
    /no ACS band: 1 contiguous sampled line\(s\) around the centre ky = 36 \(18 of 72/,
  );
});

// ---------------------------------------------------------------------------------------
// BART ecalib
// ---------------------------------------------------------------------------------------

const hasBart = spawnSync("bart", ["version"], { encoding: "utf8" }).status === 0;

Deno.test({
  name: "espirit agrees with BART ecalib run with the same flags",
  ignore: !hasBart,
  fn() {
    const s = synthetic();
    const [nx, ny, nc] = s.input.dims;
    const { npix } = s;
    const avg = timeAveragedKspace(s.input);
    const dir = mkdtempSync(join(tmpdir(), "cmrxkit-ecalib-"));
    try {
      writeCfl(join(dir, "k"), avg, [nx, ny, 1, nc]);
      const res = spawnSync("bart", [
        "ecalib",
        "-m",
        "1",
        "-k",
        "6:6:1",
        "-r",
        "24:24:1",
        "-t",
        "0.0004",
        "-c",
        "0.95",
        join(dir, "k"),
        join(dir, "sens"),
        join(dir, "ev"),
      ], { encoding: "utf8" });
      assert.equal(res.status, 0, res.stderr);
      const sens = readCfl(join(dir, "sens")).data, ev = readCfl(join(dir, "ev")).data;
      assert.equal(sens.length, 2 * npix * nc);
      const ours = espirit(avg, nx, ny, nc, band(ny));
      const everywhere = new Uint8Array(npix).fill(1);
      const agree = agreements(ours.maps, sens, npix, nc, everywhere);
      assert.ok(quantile(agree, 0.5) > 0.9999, `median agreement ${quantile(agree, 0.5)}`);
      assert.ok(quantile(agree, 0.05) > 0.999, `5th percentile ${quantile(agree, 0.05)}`);
      let differ = 0, evDiff = 0;
      for (let p = 0; p < npix; p++) {
        const a = ours.maps[2 * p] !== 0 || ours.maps[2 * p + 1] !== 0;
        const b = sens[2 * p] !== 0 || sens[2 * p + 1] !== 0;
        if (a !== b) differ++;
        if (s.body[p]) evDiff = Math.max(evDiff, Math.abs(ours.eigenvalues[p] - ev[2 * p]));
      }
      assert.ok(differ < 0.01 * npix, `${differ} pixels cropped by one and not the other`);
      assert.ok(evDiff < 2e-3, `eigenvalues differ by up to ${evDiff} in the body`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
});
