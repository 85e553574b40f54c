/**
 * The manifest's choice of coil maps (issue 19, "the contract, written down and widened"):
 * `sensitivity: { method, normalize }` picks ACS/RSS or ESPIRiT maps and their
 * normalisation for the `sensitivity` input and the `zerofilled` combination; without it the
 * library option decides, as before. Data: a disc phantom seen by synthetic coils.
 */
import assert from "node:assert/strict";
import { CmrxError } from "../../src/errors.ts";
import { coilCombine, sensitivityMaps } from "../../src/kspace/coils/mod.ts";
import { fft2c, ifft2c } from "../../src/kspace/fft.ts";
import { uniformMask2d } from "../../src/kspace/mask.ts";
import type { SliceInput } from "../../src/kspace/slice.ts";
import { prepareSlice } from "../../src/models/feeders.ts";
import type { ModelManifest } from "../../src/models/manifest.ts";
import { readManifest } from "../../src/models/registry.ts";
import { coilMaps } from "../../src/synth/coils.ts";

const NX = 48, NY = 40, NC = 4, NT = 2;
const NPIX = NX * NY;

/** A disc (zero outside) times synthetic coil maps, fully sampled then masked (R 4, 16 ACS). */
function slice(): SliceInput {
  const coils = coilMaps(NC, NX, NY, 7);
  const img = new Float32Array(2 * NPIX * NC * NT);
  for (let t = 0; t < NT; t++) {
    for (let c = 0; c < NC; c++) {
      for (let y = 0; y < NY; y++) {
        for (let x = 0; x < NX; x++) {
          const r = Math.hypot((x - NX / 2) / (NX * 0.3), (y - NY / 2) / (NY * 0.3));
          if (r > 1) continue;
          const v = 1 + 0.3 * Math.cos(x / 3 + t) * Math.sin(y / 4);
          const p = y * NX + x, s = 2 * (c * NPIX + p), o = 2 * ((t * NC + c) * NPIX + p);
          img[o] = v * coils[s];
          img[o + 1] = v * coils[s + 1];
        }
      }
    }
  }
  const k = fft2c(img, NX, NY);
  const mask = uniformMask2d(NX, NY, 4, 16);
  for (let i = 0; i < k.length / 2; i++) {
    if (!mask[i % NPIX]) k[2 * i] = k[2 * i + 1] = 0;
  }
  return { kspace: k, dims: [NX, NY, NC, NT], mask, maskDims: [NX, NY], task: "cine" };
}

function manifest(extra: Partial<ModelManifest> = {}): ModelManifest {
  return {
    format: 1,
    name: "maps-test",
    file: "maps-test.onnx",
    description: "coil-map contract test",
    inputs: [
      { name: "kspace", role: "kspace", layout: "T,C,Y,X,2" },
      { name: "sens", role: "sensitivity", layout: "C,Y,X,2" },
      { name: "zf", role: "zerofilled", layout: "T,Y,X,2" },
    ],
    output: { name: "image", role: "image", layout: "T,Y,X,2" },
    feeder: { kind: "sequence" },
    normalization: { kind: "none" },
    serves: { tasks: ["cine"], views: ["sax"], accelerations: [], coils: [] },
    ...extra,
  };
}

/** Root-sum-of-squares of coil maps `C,Y,X,2` over coils, per pixel. */
function mapsRss(maps: Float32Array): Float64Array {
  const r = new Float64Array(NPIX);
  for (let c = 0; c < NC; c++) {
    for (let p = 0; p < NPIX; p++) {
      const i = 2 * (c * NPIX + p);
      r[p] += maps[i] * maps[i] + maps[i + 1] * maps[i + 1];
    }
  }
  return r.map(Math.sqrt);
}

/** The `zerofilled` input the maps should give: SENSE-1 per frame. */
function zerofilledWith(input: SliceInput, maps: Float32Array): Float32Array {
  const imgs = ifft2c(input.kspace, NX, NY, NC * NT);
  const out = new Float32Array(2 * NPIX * NT);
  for (let t = 0; t < NT; t++) {
    const c = coilCombine(
      imgs.subarray(2 * NPIX * NC * t, 2 * NPIX * NC * (t + 1)),
      maps,
      NX,
      NY,
      NC,
    );
    out.set(c, 2 * NPIX * t);
  }
  return out;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

Deno.test("maps: normalize unit gives coil maps of RSS 1 wherever nonzero, zerofilled with the same maps", () => {
  const input = slice();
  // the default maps are not unit-norm (so the field changes something)
  const plain = prepareSlice(manifest(), input, "acs").maps!;
  assert.ok(mapsRss(plain).some((v) => v > 0 && v < 0.99), "ACS/RSS maps are below 1 somewhere");
  for (const method of ["acs", "espirit"] as const) {
    const p = prepareSlice(manifest({ sensitivity: { method, normalize: "unit" } }), input, "acs");
    const rss = mapsRss(p.maps!);
    let nonzero = 0;
    for (let q = 0; q < NPIX; q++) {
      if (rss[q] === 0) continue;
      nonzero++;
      assert.ok(Math.abs(rss[q] - 1) <= 1e-5, `${method}: pixel ${q} has maps RSS ${rss[q]}`);
    }
    assert.ok(nonzero > NPIX / 5, `${method}: maps nonzero on ${nonzero} of ${NPIX} pixels`);
    // zero-filled image built with the same (unit) maps
    assert.ok(maxAbsDiff(p.zerofilled!, zerofilledWith(input, p.maps!)) <= 1e-6);
  }
});

Deno.test("maps: a manifest's method espirit wins over the library option, acs likewise", () => {
  const input = slice();
  const esp = sensitivityMaps(input, "espirit").maps;
  const acs = sensitivityMaps(input, "acs").maps;
  assert.ok(maxAbsDiff(esp, acs) > 1e-3, "ESPIRiT and ACS maps differ on this slice");
  const p = prepareSlice(manifest({ sensitivity: { method: "espirit" } }), input, "acs");
  assert.deepEqual(p.maps, esp);
  assert.ok(maxAbsDiff(p.zerofilled!, zerofilledWith(input, esp)) <= 1e-6);
  const q = prepareSlice(manifest({ sensitivity: { method: "acs" } }), input, "espirit");
  assert.deepEqual(q.maps, acs);
});

Deno.test("maps: without the field, the library option decides and the maps are as estimated", () => {
  const input = slice();
  assert.deepEqual(prepareSlice(manifest(), input, "acs").maps, sensitivityMaps(input, "acs").maps);
  assert.deepEqual(
    prepareSlice(manifest(), input, "espirit").maps,
    sensitivityMaps(input, "espirit").maps,
  );
  // normalize none, method left to the library
  assert.deepEqual(
    prepareSlice(manifest({ sensitivity: { normalize: "none" } }), input, "acs").maps,
    sensitivityMaps(input, "acs").maps,
  );
});

Deno.test("maps: a bad sensitivity value is refused, naming the manifest and the allowed values", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cmrxkit-maps-" });
  try {
    const cases: [unknown, RegExp][] = [
      [{ method: "sense" }, /sensitivity\.method.*acs or espirit.*"sense"/],
      [{ normalize: "l2" }, /sensitivity\.normalize.*none or unit.*"l2"/],
      ["espirit", /'sensitivity' must be an object/],
    ];
    for (const [i, [sensitivity, re]] of cases.entries()) {
      const path = `${dir}/bad${i}.json`;
      await Deno.writeTextFile(path, JSON.stringify({ ...manifest(), sensitivity }));
      await assert.rejects(readManifest(path), (e: Error) => {
        assert.ok(e instanceof CmrxError, `${e}`);
        assert.ok(e.message.startsWith(path), e.message);
        assert.match(e.message, re);
        return true;
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
