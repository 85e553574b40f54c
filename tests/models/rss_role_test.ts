/**
 * The `rss` input role (issue 19): the zero-filled root-sum-of-squares magnitude image of
 * the normalised k-space per frame, real, canonical `T,Y,X`. An identity graph that returns
 * its `rss` input as the image reproduces the zero-filled RSS image of the slice (the
 * normalisation undone), with the sequence and the window feeders; a manifest whose layout
 * does not match its role's kind (real or complex) is refused.
 */
import assert from "node:assert/strict";
import { CmrxError } from "../../src/errors.ts";
import type { SliceInput } from "../../src/kspace/slice.ts";
import { zeroFilledRss } from "../../src/kspace/zerofill.ts";
import { inputShapes, prepareSlice } from "../../src/models/feeders.ts";
import type { ModelManifest } from "../../src/models/manifest.ts";
import { OnnxReconstructor } from "../../src/models/onnx_model.ts";
import { readManifest } from "../../src/models/registry.ts";
import { identityModel } from "../engine/models.ts";
import { maxRel, randomSlice } from "./fixtures.ts";

const root = await Deno.makeTempDir({ prefix: "cmrxkit-rss-role-" });
globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(root, { recursive: true });
  } catch { /* gone */ }
});

const NX = 40, NY = 30, NC = 3, NT = 6, W = 3;

function slice(): SliceInput {
  return randomSlice(NX, NY, NC, NT, 11, 8);
}

async function writeModel(
  name: string,
  onnx: Uint8Array,
  over: Partial<ModelManifest> = {},
): Promise<string> {
  const dir = `${root}/${name}`;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeFile(`${dir}/${name}.onnx`, onnx);
  const m: ModelManifest = {
    format: 1,
    name,
    file: `${name}.onnx`,
    description: "returns its rss input (test model)",
    inputs: [{ name: "mag", role: "rss", layout: "B,T,Y,X" }],
    output: { name: "image", role: "image", layout: "B,T,Y,X" },
    feeder: { kind: "sequence" },
    normalization: { kind: "max" },
    serves: { tasks: ["cine"], views: ["sax"], accelerations: [], coils: ["MultiCoil"] },
    ...over,
  };
  await Deno.writeTextFile(`${dir}/${name}.json`, JSON.stringify(m));
  return `${dir}/${name}.json`;
}

async function run(path: string, input: SliceInput) {
  const r = new OnnxReconstructor(await readManifest(path), { device: "cpu" });
  try {
    return await r.reconstruct(input);
  } finally {
    await r.release();
  }
}

Deno.test("rss input: an identity graph returns the zero-filled RSS image (sequence and window feeders)", async () => {
  const input = slice();
  const want = zeroFilledRss(input.kspace, input.dims);
  const id = (t: number | string) =>
    identityModel(["B", t, NY, NX], { input: "mag", output: "image" });
  const seq = await writeModel("rss-seq", id("T"));
  const a = await run(seq, input);
  assert.equal(a.image.length, NX * NY * NT);
  assert.ok(maxRel(a.image, want) < 1e-5, `sequence: max rel ${maxRel(a.image, want)}`);
  // percentile normalisation: the scale is undone all the same
  const pct = await writeModel("rss-pct", id("T"), {
    normalization: { kind: "percentile", percentile: 90 },
  });
  const b = await run(pct, input);
  assert.ok(maxRel(b.image, want) < 1e-5, `percentile: max rel ${maxRel(b.image, want)}`);
  // window of W frames, all returned, the centre kept; several windows per run along B
  const win = await writeModel("rss-win", id(W), { feeder: { kind: "window", frames: W } });
  const c = await run(win, input);
  assert.ok(maxRel(c.image, want) < 1e-5, `window: max rel ${maxRel(c.image, want)}`);
});

Deno.test("rss input: the fed array is the zero-filled RSS of the normalised k-space, T,Y,X", async () => {
  const input = slice();
  const path = await writeModel("rss-shapes", identityModel(["B", "T", NY, NX]));
  const { manifest } = await readManifest(path);
  const p = prepareSlice(manifest, input, "acs");
  const want = zeroFilledRss(input.kspace, input.dims).map((v) => v / p.scale);
  assert.ok(p.rss && maxRel(p.rss, want) < 1e-6);
  assert.ok(Math.abs(Math.max(...p.rss) - 1) < 1e-6, "max normalisation: the largest is 1");
  assert.deepEqual(inputShapes(manifest, p, 2, NT, path), { mag: [2, NT, NY, NX] });
});

Deno.test("manifest: a complex layout for rss, or a real layout for a complex role, is refused naming the input", async () => {
  const onnx = identityModel(["B", "T", NY, NX]);
  const cases: [string, ModelManifest["inputs"], RegExp][] = [
    [
      "rss-complex",
      [{ name: "mag", role: "rss", layout: "B,T,Y,X,2" }],
      /'inputs \(mag\)'.*'rss', which is real/,
    ],
    [
      "rss-k",
      [{ name: "mag", role: "rss", layout: "B,K,T,Y,X" }],
      /'inputs \(mag\)'.*'rss', which is real/,
    ],
    [
      "ksp-real",
      [{ name: "k", role: "kspace", layout: "B,T,C,Y,X" }],
      /'inputs \(k\)'.*'kspace', which is complex/,
    ],
    [
      "zf-real",
      [{ name: "zf", role: "zerofilled", layout: "B,T,Y,X" }],
      /'inputs \(zf\)'.*'zerofilled', which is complex/,
    ],
    [
      "sens-real",
      [{ name: "s", role: "sensitivity", layout: "B,C,Y,X" }],
      /'inputs \(s\)'.*'sensitivity', which is complex/,
    ],
    [
      "mask-cplx",
      [{ name: "m", role: "mask", layout: "B,T,Y,X,2" }],
      /'inputs \(m\)'.*'mask', which is real/,
    ],
    [
      "unknown",
      [{ name: "u", role: "phase" as never, layout: "B,T,Y,X" }],
      /'inputs \(u\)' has role 'phase'; roles: .*rss/,
    ],
  ];
  for (const [name, inputs, re] of cases) {
    const path = await writeModel(name, onnx, { inputs });
    await assert.rejects(readManifest(path), (e: Error) => {
      assert.ok(e instanceof CmrxError, String(e));
      assert.match(e.message, new RegExp(`${name}\\.json`));
      assert.match(e.message, re);
      return true;
    });
  }
});
