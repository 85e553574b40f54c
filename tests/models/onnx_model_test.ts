import assert from "node:assert/strict";
import { discover } from "../../src/challenge/layout.ts";
import type { Case } from "../../src/challenge/case.ts";
import { CmrxError, ShapeError, UsageError } from "../../src/errors.ts";
import type { ModelManifest } from "../../src/models/manifest.ts";
import { windowFrames } from "../../src/models/feeders.ts";
import { permute } from "../../src/models/layout.ts";
import { OnnxReconstructor } from "../../src/models/onnx_model.ts";
import { listModels, readManifest } from "../../src/models/registry.ts";
import { openMat } from "../../src/mat/read.ts";
import { submit } from "../../src/pipeline/submit.ts";
import { chooseModel, createSelector } from "../../src/pipeline/select.ts";
import { getMethod } from "../../src/recon/registry.ts";
import type { SliceInput } from "../../src/kspace/slice.ts";
import { zeroFilledRss } from "../../src/kspace/zerofill.ts";
import { synthesize } from "../../src/synth/dataset.ts";
import { dcZeroFillModel, identityModel } from "../engine/models.ts";
import { GraphBuilder } from "../../src/engine/onnx/mod.ts";
import { maxRel, randomSlice } from "./fixtures.ts";

const root = await Deno.makeTempDir({ prefix: "cmrxkit-onnx-" });
const NX = 96, NY = 72; // small cine_sax

async function writeModel(dir: string, name: string, over: Partial<ModelManifest> = {}) {
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeFile(`${dir}/${name}.onnx`, dcZeroFillModel(NY, NX));
  const m: ModelManifest = {
    format: 1,
    name,
    file: `${name}.onnx`,
    description: "zero-filled RSS as an ONNX graph (test model, DFT as matrix products)",
    inputs: [{ name: "kspace", role: "kspace", layout: "T,C,Y,X,2" }],
    output: { name: "image", role: "image", layout: "T,Y,X" },
    feeder: { kind: "sequence" },
    normalization: { kind: "max" },
    serves: { tasks: ["cine"], views: ["sax"], accelerations: [4, 8, 10], coils: ["MultiCoil"] },
    ...over,
  };
  await Deno.writeTextFile(`${dir}/${name}.json`, JSON.stringify(m));
  return `${dir}/${name}.json`;
}

function slice(nt = 4, nc = 3): SliceInput {
  return randomSlice(NX, NY, nc, nt, 3, 24);
}

Deno.test("ONNX model behind Reconstructor: sequence feeder with max normalisation matches TS zero-filled", async () => {
  const path = await writeModel(`${root}/m1`, "zf-seq");
  const r = new OnnxReconstructor(await readManifest(path), { device: "cpu" });
  const input = slice();
  const out = await r.reconstruct(input);
  const want = zeroFilledRss(input.kspace, [NX, NY, 3, 4]);
  assert.ok(maxRel(out.image, want) < 1e-5, `max rel ${maxRel(out.image, want)}`);
  assert.equal(r.memoryEstimates().length, 1);
  assert.ok(r.memoryEstimates()[0].peakActivationBytes > 0);
  await r.release();
});

Deno.test("window feeder: 5 frames with circular wrap, the centre frame kept", async () => {
  assert.deepEqual(windowFrames(0, 5, 12), [10, 11, 0, 1, 2]);
  assert.deepEqual(windowFrames(11, 5, 12), [9, 10, 11, 0, 1]);
  const path = await writeModel(`${root}/m2`, "zf-win", { feeder: { kind: "window", frames: 5 } });
  const r = new OnnxReconstructor(await readManifest(path), { device: "cpu" });
  const input = slice(6, 2);
  const out = await r.reconstruct(input);
  assert.equal(out.info?.runs, 6);
  assert.ok(maxRel(out.image, zeroFilledRss(input.kspace, [NX, NY, 2, 6])) < 1e-5);
  await r.release();
});

Deno.test("window feeder batches windows along B as the memory plan allows; same result as one by one", async () => {
  const dir = `${root}/mb`;
  await Deno.mkdir(dir, { recursive: true });
  const base = {
    format: 1 as const,
    description: "identity on the zero-filled image (test model)",
    normalization: { kind: "none" as const },
    serves: {
      tasks: ["cine" as const],
      views: ["sax"],
      accelerations: [],
      coils: ["MultiCoil" as const],
    },
  };
  await Deno.writeFile(
    `${dir}/idb.onnx`,
    identityModel(["B", 5, NY, NX, 2], { input: "zf", output: "image" }),
  );
  await Deno.writeTextFile(
    `${dir}/idb.json`,
    JSON.stringify({
      ...base,
      name: "idb",
      file: "idb.onnx",
      inputs: [{ name: "zf", role: "zerofilled", layout: "B,T,Y,X,2" }],
      output: { name: "image", role: "image", layout: "B,T,Y,X,2" },
      feeder: { kind: "window", frames: 5 },
    }),
  );
  await Deno.writeFile(
    `${dir}/ids.onnx`,
    identityModel(["T", NY, NX, 2], { input: "zf", output: "image" }),
  );
  await Deno.writeTextFile(
    `${dir}/ids.json`,
    JSON.stringify({
      ...base,
      name: "ids",
      file: "ids.onnx",
      inputs: [{ name: "zf", role: "zerofilled", layout: "T,Y,X,2" }],
      output: { name: "image", role: "image", layout: "T,Y,X,2" },
      feeder: { kind: "sequence" },
    }),
  );
  const batched = new OnnxReconstructor(await readManifest(`${dir}/idb.json`), { device: "cpu" });
  const single = new OnnxReconstructor(await readManifest(`${dir}/ids.json`), { device: "cpu" });
  const input = slice(6, 3);
  const a = await batched.reconstruct(input), b = await single.reconstruct(input);
  assert.equal(batched.lastBatch, 6);
  assert.equal(a.info?.runs, 1);
  assert.deepEqual(a.image, b.image);
  await batched.release();
  await single.release();
});

Deno.test("permute reorders row-major axes by letters and adds a batch axis", () => {
  const data = Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => i); // [T=2, Y=3, X=4]
  const p = permute(data, ["T", "Y", "X"], [2, 3, 4], ["B", "X", "T", "Y"]);
  assert.deepEqual(p.dims, [1, 4, 2, 3]);
  // element (x=1, t=1, y=2) -> src index t*12 + y*4 + x = 21
  assert.equal(p.data[1 * 6 + 1 * 3 + 2], 21);
  assert.equal(permute(data, ["T", "Y", "X"], [2, 3, 4], ["B", "T", "Y", "X"]).data, data);
});

Deno.test("registry: manifests are checked; a case gets the model that serves it, else the classical default", async () => {
  const dir = `${root}/m3`;
  await writeModel(dir, "zf-sax");
  const models = await listModels(dir);
  assert.deepEqual(models.map((m) => m.manifest.name), ["zf-sax"]);
  const sax = await chooseModel({ task: "cine", view: "sax", acc: 8, coil: "MultiCoil" }, {
    models,
  });
  assert.equal(typeof sax.model === "string" ? sax.model : sax.model.manifest.name, "zf-sax");
  const lax = await chooseModel({ task: "cine", view: "lax", acc: 8, coil: "MultiCoil" }, {
    models,
  });
  assert.equal(lax.model, "grappa");
  const forced = await chooseModel({ task: "cine", view: "sax", acc: 8, coil: "MultiCoil" }, {
    models,
    override: "zerofill",
  });
  assert.equal(forced.model, "zerofill");
  await assert.rejects(
    chooseModel({ task: "cine", view: "sax", acc: 8, coil: "MultiCoil" }, {
      models,
      override: "nope",
    }),
    UsageError,
  );
  await Deno.writeTextFile(
    `${dir}/broken.json`,
    JSON.stringify({ format: 1, name: "b", file: "b.onnx" }),
  );
  await assert.rejects(listModels(dir), (e: Error) => {
    assert.ok(e instanceof CmrxError);
    assert.match(e.message, /broken\.json: manifest field 'inputs'/);
    return true;
  });
});

Deno.test("a model exported for a fixed frame count refuses other counts with a clear message", async () => {
  const path = await writeModel(`${root}/m4`, "zf-12", {
    feeder: { kind: "sequence", frames: 12 },
  });
  const r = new OnnxReconstructor(await readManifest(path), { device: "cpu" });
  await assert.rejects(Promise.resolve(r.reconstruct(slice(4, 2))), ShapeError);
  await r.release();
});

Deno.test("submit picks the ONNX model for the cases it serves and matches the TS zero-filled files", async () => {
  const data = `${root}/data`;
  await synthesize({
    out: data,
    size: "small",
    patients: 1,
    seed: 8,
    splits: ["validation"],
    accs: [8],
    tasks: ["cine"],
  });
  const dir = `${root}/m5`;
  await writeModel(dir, "zf-sax");
  const models = await listModels(dir);
  const onnx = new OnnxReconstructor(models[0], { device: "cpu" });
  const used: Record<string, string> = {};
  await submit({
    input: data,
    output: `${root}/onnx-out`,
    task: "cine",
    split: "validation",
    select: async (c) => {
      const ch = await chooseModel(c, { models });
      return typeof ch.model === "string" ? getMethod(ch.model) : onnx;
    },
    onCase: (e) => (used[e.view] = e.method),
  });
  await onnx.release();
  assert.deepEqual(used, { lax: "grappa", sax: "zf-sax" });
  await submit({
    input: data,
    output: `${root}/zf-out`,
    task: "cine",
    split: "validation",
    select: () => getMethod("zerofill"),
  });
  const { cases } = await discover(data, { split: "validation" });
  const sax = cases.find((c) => c.view === "sax")!;
  using a = await openMat(`${root}/onnx-out/Submission/${sax.submissionPath}`);
  using b = await openMat(`${root}/zf-out/Submission/${sax.submissionPath}`);
  const x = a.read("img4ranking").data as Float32Array,
    y = b.read("img4ranking").data as Float32Array;
  assert.ok(maxRel(x, y) < 1e-5, `max rel ${maxRel(x, y)}`);
});

globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(root, { recursive: true });
  } catch { /* gone */ }
});

Deno.test("selector: --model overrides, sessions are shared per model, fallback covers unserved cases", async () => {
  const dir = `${root}/select`;
  await writeModel(dir, "zf-sax");
  const models = await listModels(dir);
  const sax = { task: "cine", view: "sax", acc: 8, coil: "MultiCoil" } as Case;
  const lax = { ...sax, view: "lax" } as Case;
  const auto = createSelector({ models });
  const a = await auto.select(sax), b = await auto.select({ ...sax, acc: 4 } as Case);
  assert.equal(a.name, "zf-sax");
  assert.equal(a, b, "one session per model");
  assert.equal((await auto.select(lax)).name, "grappa");
  await auto.release();
  const forced = createSelector({ models, override: "sense" });
  assert.equal((await forced.select(sax)).name, "sense");
  const bench = createSelector({ models, override: "zf-sax", fallback: "zerofill" });
  assert.equal((await bench.select(sax)).name, "zf-sax");
  assert.equal((await bench.select(lax)).name, "zerofill");
  await bench.release();
  await assert.rejects(
    () => createSelector({ models, override: "nope" }).select(sax),
    UsageError,
  );
  // a model with auto: false is used only when named
  const manual = `${root}/select-manual`;
  await writeModel(manual, "zf-manual", { auto: false });
  const manualModels = await listModels(manual);
  assert.equal((await createSelector({ models: manualModels }).select(sax)).name, "grappa");
  const named = createSelector({ models: manualModels, override: "zf-manual" });
  assert.equal((await named.select(sax)).name, "zf-manual");
  await named.release();
  await writeModel(manual, "zf-bad", { auto: "yes" as unknown as boolean });
  await assert.rejects(listModels(manual), /manifest field 'auto'/);
});

Deno.test("outputMagnitude dc-rss: the measured samples go back into S_c x before the RSS", async () => {
  // A graph that returns x = 0 for any input: "abs" gives zeros, "dc-rss" must give exactly
  // the RSS of the measured (zero-filled) k-space, since only the samples are left.
  const g = new GraphBuilder("zero-image")
    .input("kspace", "float32", ["T", "C", "Y", "X", 2])
    .input("sens", "float32", ["C", "Y", "X", 2])
    .output("image", "float32", ["T", "Y", "X", 2]);
  g.initializer("zero_idx", new BigInt64Array([0n]), [])
    .initializer("zero", new Float32Array([0]), [1])
    .node("Gather", ["kspace", "zero_idx"], ["coil0"], { axis: 1 })
    .node("Mul", ["coil0", "zero"], ["image"]);
  const dir = `${root}/dc`;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeFile(`${dir}/zero.onnx`, g.toModel({ opset: 17 }));
  const manifest = (over: Partial<ModelManifest>): ModelManifest => ({
    format: 1,
    name: "zero",
    file: "zero.onnx",
    description: "returns a zero image (test)",
    inputs: [
      { name: "kspace", role: "kspace", layout: "T,C,Y,X,2" },
      { name: "sens", role: "sensitivity", layout: "C,Y,X,2" },
    ],
    output: { name: "image", role: "image", layout: "T,Y,X,2" },
    feeder: { kind: "sequence" },
    normalization: { kind: "max" },
    serves: { tasks: ["cine"], views: ["sax"], accelerations: [4], coils: ["MultiCoil"] },
    ...over,
  });
  const input = slice();
  const run = async (m: ModelManifest) => {
    await Deno.writeTextFile(`${dir}/zero.json`, JSON.stringify(m));
    const r = new OnnxReconstructor(await readManifest(`${dir}/zero.json`), { device: "cpu" });
    const out = await r.reconstruct(input);
    await r.release();
    return out.image;
  };
  const abs = await run(manifest({}));
  assert.ok(abs.every((v) => v === 0));
  const dc = await run(manifest({ outputMagnitude: "dc-rss" }));
  const want = zeroFilledRss(input.kspace, [NX, NY, 3, 4]);
  assert.ok(maxRel(dc, want) < 1e-5, `max rel ${maxRel(dc, want)}`);
  // dc-rss needs the coil maps of the output
  await Deno.writeTextFile(
    `${dir}/zero.json`,
    JSON.stringify(manifest({ outputMagnitude: "dc-rss", inputs: [manifest({}).inputs[0]] })),
  );
  await assert.rejects(readManifest(`${dir}/zero.json`), /outputMagnitude/);
});
