/**
 * The `mask` input of an ONNX model with a k-t mask (issue 22): a 3-D mask `(kx, ky, t)` (the
 * 2024 Task 2 and 2025 masks) reaches the graph frame by frame, and a 2-D mask `(kx, ky)` is
 * repeated for every frame. An identity graph that returns its `mask` input as the image shows
 * what the feeder passed.
 */
import assert from "node:assert/strict";
import { ktMask } from "../../src/kspace/masks_kt.ts";
import type { SliceInput } from "../../src/kspace/slice.ts";
import type { ModelManifest } from "../../src/models/manifest.ts";
import { OnnxReconstructor } from "../../src/models/onnx_model.ts";
import { readManifest } from "../../src/models/registry.ts";
import { identityModel } from "../engine/models.ts";
import { randomSlice } from "./fixtures.ts";

const root = await Deno.makeTempDir({ prefix: "cmrxkit-kt-feed-" });
globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(root, { recursive: true });
  } catch { /* gone */ }
});

const NX = 24, NY = 32, NC = 2, NT = 5;

async function maskEcho(): Promise<OnnxReconstructor> {
  const name = "mask-echo";
  await Deno.writeFile(
    `${root}/${name}.onnx`,
    identityModel(["B", "T", NY, NX], { input: "m", output: "image" }),
  );
  const m: ModelManifest = {
    format: 1,
    name,
    file: `${name}.onnx`,
    description: "returns its mask input (test model)",
    inputs: [{ name: "m", role: "mask", layout: "B,T,Y,X" }],
    output: { name: "image", role: "image", layout: "B,T,Y,X" },
    feeder: { kind: "sequence" },
    normalization: { kind: "max" },
    serves: { tasks: ["cine"], views: ["sax"], accelerations: [], coils: ["MultiCoil"] },
  };
  await Deno.writeTextFile(`${root}/${name}.json`, JSON.stringify(m));
  return new OnnxReconstructor(await readManifest(`${root}/${name}.json`), { device: "cpu" });
}

/** Frame `t` of a `(x, y, frame)` array, divided by the largest value over all frames. */
function plane(a: Float32Array, t: number, max: number): number[] {
  return Array.from(a.subarray(t * NX * NY, (t + 1) * NX * NY), (v) => v / max);
}

Deno.test("ONNX feeders: a k-t mask (kx, ky, t) reaches the graph frame by frame; a 2-D mask is repeated", async () => {
  const r = await maskEcho();
  try {
    const base = randomSlice(NX, NY, NC, NT, 3, 4);
    const kt = {
      mask: ktMask({ pattern: "ktGaussian", nx: NX, ny: NY, nt: NT, acc: 4, acs: 8, seed: 5 }),
    };
    // the frames of a ktGaussian mask differ (else this test could not tell frames apart)
    assert.notDeepEqual(
      Array.from(kt.mask.subarray(0, NX * NY)),
      Array.from(kt.mask.subarray(NX * NY, 2 * NX * NY)),
    );
    const input: SliceInput = { ...base, mask: kt.mask, maskDims: [NX, NY, NT] };
    const out = (await r.reconstruct(input)).image;
    const max = out.reduce((m, v) => (v > m ? v : m), 0);
    for (let t = 0; t < NT; t++) {
      assert.deepEqual(plane(out, t, max), plane(Float32Array.from(kt.mask), t, 1), `frame ${t}`);
    }
    // a 2-D mask: the same plane in every frame
    const two = Float32Array.from(kt.mask.subarray(0, NX * NY));
    const out2 = (await r.reconstruct({ ...base, mask: two, maskDims: [NX, NY] })).image;
    const max2 = out2.reduce((m, v) => (v > m ? v : m), 0);
    for (let t = 0; t < NT; t++) {
      assert.deepEqual(plane(out2, t, max2), plane(two, 0, 1), `frame ${t}`);
    }
  } finally {
    await r.release();
  }
});
