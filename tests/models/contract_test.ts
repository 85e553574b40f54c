/**
 * The model contract around window feeders and outputs (issue 19): coil maps in batched
 * window calls, centre-frame window models, and the output shape checked against the
 * manifest's layout. Graphs are built here; data is a small synthetic slice.
 */
import assert from "node:assert/strict";
import { estimateMemory } from "../../src/engine/memory/mod.ts";
import { decodeModel, GraphBuilder } from "../../src/engine/onnx/mod.ts";
import { DEFAULT_VRAM_LIMIT } from "../../src/engine/providers.ts";
import { CmrxError, ShapeError } from "../../src/errors.ts";
import { sensitivityMaps } from "../../src/kspace/coils/mod.ts";
import { ifft2c } from "../../src/kspace/fft.ts";
import type { SliceInput } from "../../src/kspace/slice.ts";
import { inputShapes, prepareSlice } from "../../src/models/feeders.ts";
import type { ModelManifest } from "../../src/models/manifest.ts";
import { OnnxReconstructor } from "../../src/models/onnx_model.ts";
import { readManifest } from "../../src/models/registry.ts";
import { centredIdftMatrix } from "../engine/models.ts";
import { maxRel, randomSlice } from "./fixtures.ts";

const root = await Deno.makeTempDir({ prefix: "cmrxkit-contract-" });
globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(root, { recursive: true });
  } catch { /* gone */ }
});

const NX = 96, NY = 72; // non-square: swapped Y and X are detectable
const W = 5; // window length

function transpose(a: Float32Array, n: number): Float32Array {
  const t = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) t[j * n + i] = a[i * n + j];
  return t;
}

/**
 * A SENSE-combined zero-filled image as an ONNX graph: `x = sum_c conj(S_c) ifft2c(k_c)`.
 * Inputs `kspace` `[(B,) T, C, Y, X, 2]` and `sens` `[(B,) C, Y, X, 2]` with Y and X fixed
 * (so a wrong shape in the memory estimate is refused); output `image` `[(B,) T, Y, X, 2]`,
 * or with `centre` only the centre frame (`[(B,) 1, Y, X, 2]`, or `[(B,) Y, X, 2]` with
 * `dropT`). `swapYX` returns `[(B,) T, X, Y, 2]` (a graph whose axes differ from its layout).
 */
function senseCombineModel(opts: {
  batch: boolean;
  frames: number | string;
  centre?: boolean;
  dropT?: boolean;
  swapYX?: boolean;
}): Uint8Array {
  const lead = opts.batch ? ["B"] : [];
  const a = lead.length; // index of T
  const T = opts.frames;
  const g = new GraphBuilder("sense_combine");
  g.input("kspace", "float32", [...lead, T, "C", NY, NX, 2]);
  g.input("sens", "float32", [...lead, "C", NY, NX, 2]);
  const outT = opts.centre ? (opts.dropT ? [] : [1]) : [T];
  const [oy, ox] = opts.swapYX ? [NX, NY] : [NY, NX];
  g.output("image", "float32", [...lead, ...outT, oy, ox, 2]);
  const ay = centredIdftMatrix(NY), ax = centredIdftMatrix(NX);
  g.initializer("AyR", ay.re, [NY, NY]).initializer("AyI", ay.im, [NY, NY]);
  g.initializer("BxR", transpose(ax.re, NX), [NX, NX]);
  g.initializer("BxI", transpose(ax.im, NX), [NX, NX]);
  g.ints("i0", [0], []);
  g.ints("i1", [1], []);
  g.ints("axT", [a]);
  g.ints("axC", [a + 1]);
  g.ints("axLast", [a + 3]);
  g.node("Gather", ["kspace", "i0"], ["kr"], { axis: a + 4 });
  g.node("Gather", ["kspace", "i1"], ["ki"], { axis: a + 4 });
  g.node("MatMul", ["kr", "BxR"], ["krBr"]).node("MatMul", ["ki", "BxI"], ["kiBi"]);
  g.node("MatMul", ["kr", "BxI"], ["krBi"]).node("MatMul", ["ki", "BxR"], ["kiBr"]);
  g.node("Sub", ["krBr", "kiBi"], ["zr"]).node("Add", ["krBi", "kiBr"], ["zi"]);
  g.node("MatMul", ["AyR", "zr"], ["ArZr"]).node("MatMul", ["AyI", "zi"], ["AiZi"]);
  g.node("MatMul", ["AyR", "zi"], ["ArZi"]).node("MatMul", ["AyI", "zr"], ["AiZr"]);
  g.node("Sub", ["ArZr", "AiZi"], ["xr"]).node("Add", ["ArZi", "AiZr"], ["xi"]);
  // coil maps [(B,) C, Y, X] -> [(B,) 1, C, Y, X], broadcast over frames
  g.node("Gather", ["sens", "i0"], ["sr0"], { axis: a + 3 });
  g.node("Gather", ["sens", "i1"], ["si0"], { axis: a + 3 });
  g.node("Unsqueeze", ["sr0", "axT"], ["sr"]).node("Unsqueeze", ["si0", "axT"], ["si"]);
  // conj(S) x = (sr xr + si xi) + i (sr xi - si xr), summed over coils
  g.node("Mul", ["sr", "xr"], ["p1"]).node("Mul", ["si", "xi"], ["p2"]);
  g.node("Mul", ["sr", "xi"], ["p3"]).node("Mul", ["si", "xr"], ["p4"]);
  g.node("Add", ["p1", "p2"], ["cr"]).node("Sub", ["p3", "p4"], ["ci"]);
  g.node("ReduceSum", ["cr", "axC"], ["yr"], { keepdims: 0 });
  g.node("ReduceSum", ["ci", "axC"], ["yi"], { keepdims: 0 });
  g.node("Unsqueeze", ["yr", "axLast"], ["yr1"]).node("Unsqueeze", ["yi", "axLast"], ["yi1"]);
  let cur = "y";
  g.node("Concat", ["yr1", "yi1"], [cur], { axis: a + 3 }); // [(B,) T, Y, X, 2]
  if (opts.centre) {
    g.ints("iT", [(W - 1) / 2], []);
    g.node("Gather", [cur, "iT"], ["yc"], { axis: a }); // [(B,) Y, X, 2]
    cur = "yc";
    if (!opts.dropT) {
      g.node("Unsqueeze", [cur, "axT"], ["yc1"]);
      cur = "yc1";
    }
  }
  if (opts.swapYX) {
    const perm = [...lead.map((_, i) => i), ...(opts.centre && opts.dropT ? [] : [a])];
    const y = perm.length;
    g.node("Transpose", [cur], ["ys"], { perm: [...perm, y + 1, y, y + 2] });
    cur = "ys";
  }
  g.node("Identity", [cur], ["image"]);
  return g.toModel({ opset: 17 });
}

function slice(nt: number, nc = 3): SliceInput {
  return randomSlice(NX, NY, nc, nt, 5, 24);
}

/** `|sum_c conj(S_c) ifft2c(k_c)|` per frame, MATLAB `(x, y, frame)`, with the ACS maps. */
function senseCombined(input: SliceInput): Float32Array {
  const [nx, ny, nc, nt] = input.dims;
  const npix = nx * ny;
  const maps = sensitivityMaps(input, "acs").maps;
  const x = ifft2c(input.kspace, nx, ny, nc * nt);
  const out = new Float32Array(npix * nt);
  for (let t = 0; t < nt; t++) {
    for (let i = 0; i < npix; i++) {
      let re = 0, im = 0;
      for (let c = 0; c < nc; c++) {
        const s = 2 * (npix * c + i), v = 2 * (npix * (nc * t + c) + i);
        re += maps[s] * x[v] + maps[s + 1] * x[v + 1];
        im += maps[s] * x[v + 1] - maps[s + 1] * x[v];
      }
      out[npix * t + i] = Math.hypot(re, im);
    }
  }
  return out;
}

/** Writes the graph and its manifest; returns the manifest path. */
async function writeModel(
  name: string,
  onnx: Uint8Array,
  batch: boolean,
  over: Partial<ModelManifest> = {},
): Promise<string> {
  const dir = `${root}/${name}`;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeFile(`${dir}/${name}.onnx`, onnx);
  const b = batch ? "B," : "";
  const m: ModelManifest = {
    format: 1,
    name,
    file: `${name}.onnx`,
    description: "SENSE-combined zero-filled image (test model)",
    inputs: [
      { name: "kspace", role: "kspace", layout: `${b}T,C,Y,X,2` },
      { name: "sens", role: "sensitivity", layout: `${b}C,Y,X,2` },
    ],
    output: { name: "image", role: "image", layout: `${b}T,Y,X,2` },
    feeder: { kind: "window", frames: W },
    normalization: { kind: "none" },
    serves: { tasks: ["cine"], views: ["sax"], accelerations: [], coils: ["MultiCoil"] },
    ...over,
  };
  await Deno.writeTextFile(`${dir}/${name}.json`, JSON.stringify(m));
  return `${dir}/${name}.json`;
}

async function run(path: string, input: SliceInput, vramLimitBytes?: number) {
  const r = new OnnxReconstructor(await readManifest(path), { device: "cpu", vramLimitBytes });
  try {
    const out = await r.reconstruct(input);
    return { ...out, batch: r.lastBatch };
  } finally {
    await r.release();
  }
}

Deno.test("window feeder with a coil-map input: batched and one by one give the SENSE-combined image", async () => {
  const input = slice(7);
  const want = senseCombined(input);
  // one window per run (no batch axis)
  const single = await writeModel(
    "win-sens",
    senseCombineModel({ batch: false, frames: W }),
    false,
  );
  const a = await run(single, input);
  assert.equal(a.info?.runs, 7);
  assert.ok(maxRel(a.image, want) < 1e-5, `one by one: max rel ${maxRel(a.image, want)}`);
  // every window in one run along B: the planner must know the shape of the coil maps
  const batched = await writeModel(
    "win-sens-b",
    senseCombineModel({ batch: true, frames: W }),
    true,
  );
  const b = await run(batched, input);
  assert.equal(b.batch, 7);
  assert.equal(b.info?.runs, 1);
  assert.ok(maxRel(b.image, want) < 1e-5, `batched: max rel ${maxRel(b.image, want)}`);
});

Deno.test("inputShapes gives every input role, coil maps included, the dims buildFeeds gives it", async () => {
  const path = await writeModel(
    "win-sens-shapes",
    senseCombineModel({ batch: true, frames: W }),
    true,
  );
  const { manifest } = await readManifest(path);
  const p = prepareSlice(manifest, slice(7), "acs");
  assert.deepEqual(inputShapes(manifest, p, 3, W, path), {
    kspace: [3, W, 3, NY, NX, 2],
    sens: [3, 3, NY, NX, 2],
  });
  const bad = {
    ...manifest,
    inputs: [...manifest.inputs, { name: "x", role: "phase" as never, layout: "B,Y,X" }],
  };
  assert.throws(() => inputShapes(bad, p, 1, W, path), /input role 'phase'/);
});

/** A memory limit under which the planner fits exactly 2 windows per run (on the CPU provider). */
async function limitForTwo(path: string, input: SliceInput): Promise<number> {
  const { manifest, onnxPath } = await readManifest(path);
  const p = prepareSlice(manifest, input, "acs");
  const model = decodeModel(await Deno.readFile(onnxPath));
  const est = (b: number) => estimateMemory(model, inputShapes(manifest, p, b, W, path));
  const weights = est(1).weightsBytes;
  const two = est(2).peakActivationBytes, three = est(3).peakActivationBytes;
  assert.ok(three > two);
  const limit = ((two + three) / 2 + weights) / 0.8;
  assert.ok(limit < Math.min(DEFAULT_VRAM_LIMIT, Deno.systemMemoryInfo().total / 4));
  return limit;
}

Deno.test("centre-output window models: the centre frame of every window, one by one and batched in groups", async () => {
  const input = slice(7);
  const want = senseCombined(input);
  const centre = { feeder: { kind: "window" as const, frames: W, output: "centre" as const } };
  const single = await writeModel(
    "centre",
    senseCombineModel({ batch: false, frames: W, centre: true }),
    false,
    centre,
  );
  const a = await run(single, input);
  assert.equal(a.info?.runs, 7);
  assert.ok(maxRel(a.image, want) < 1e-5, `one by one: max rel ${maxRel(a.image, want)}`);
  // batched: all 7 windows in one run, then 2 per run (4 runs, the last one short)
  const batched = await writeModel(
    "centre-b",
    senseCombineModel({ batch: true, frames: W, centre: true }),
    true,
    centre,
  );
  const b = await run(batched, input);
  assert.equal(b.info?.runs, 1);
  assert.ok(maxRel(b.image, want) < 1e-5, `batched: max rel ${maxRel(b.image, want)}`);
  const c = await run(batched, input, await limitForTwo(batched, input));
  assert.equal(c.batch, 2);
  assert.equal(c.info?.runs, 4);
  assert.ok(maxRel(c.image, want) < 1e-5, `batched by 2: max rel ${maxRel(c.image, want)}`);
  // an output layout without T ("B,Y,X,2") works too
  const noT = await writeModel(
    "centre-no-t",
    senseCombineModel({ batch: true, frames: W, centre: true, dropT: true }),
    true,
    { ...centre, output: { name: "image", role: "image", layout: "B,Y,X,2" } },
  );
  const d = await run(noT, input);
  assert.ok(maxRel(d.image, want) < 1e-5, `no T axis: max rel ${maxRel(d.image, want)}`);
});

Deno.test("all-frame window models (the default output) batched in groups keep each window's centre", async () => {
  const input = slice(7);
  const path = await writeModel("win-b2", senseCombineModel({ batch: true, frames: W }), true, {
    feeder: { kind: "window", frames: W, output: "window" },
  });
  const c = await run(path, input, await limitForTwo(path, input));
  assert.equal(c.batch, 2);
  assert.equal(c.info?.runs, 4);
  assert.ok(maxRel(c.image, senseCombined(input)) < 1e-5);
});

Deno.test("a centre-frame graph declared as returning the whole window is refused, naming the centre option", async () => {
  const input = slice(7);
  for (const batch of [false, true]) {
    const path = await writeModel(
      `centre-undeclared-${batch}`,
      senseCombineModel({ batch, frames: W, centre: true }),
      batch,
    );
    await assert.rejects(run(path, input), (e: Error) => {
      assert.ok(e instanceof ShapeError, String(e));
      assert.match(e.message, /centre-undeclared-\w+\.json: model centre-undeclared-\w+/);
      assert.match(e.message, /axis T is 1, expected 5/);
      assert.match(e.message, /"output": "centre"/);
      return true;
    });
  }
});

Deno.test("an output whose Y and X are swapped relative to its layout is refused, naming the axes", async () => {
  const input = slice(7);
  for (const batch of [false, true]) {
    const path = await writeModel(
      `swapped-${batch}`,
      senseCombineModel({ batch, frames: W, swapYX: true }),
      batch,
    );
    await assert.rejects(run(path, input), (e: Error) => {
      assert.ok(e instanceof ShapeError, String(e));
      assert.match(e.message, /model swapped-\w+ \(swapped-\w+\.onnx\): output 'image'/);
      assert.match(e.message, /axis Y is 96, expected 72; axis X is 72, expected 96/);
      assert.match(e.message, /another order than output\.layout/);
      return true;
    });
  }
});

Deno.test("manifest: feeder.output is window or centre, and only for a window feeder", async () => {
  const onnx = senseCombineModel({ batch: false, frames: W });
  const bad = await writeModel("bad-output", onnx, false, {
    feeder: { kind: "window", frames: W, output: "middle" as never },
  });
  await assert.rejects(readManifest(bad), (e: Error) => {
    assert.ok(e instanceof CmrxError);
    assert.match(e.message, /bad-output\.json: manifest field 'feeder\.output'/);
    return true;
  });
  const seq = await writeModel("seq-output", onnx, false, {
    feeder: { kind: "sequence", output: "centre" },
  });
  await assert.rejects(readManifest(seq), /'feeder\.output' applies to a window feeder only/);
});
