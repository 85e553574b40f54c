/**
 * Merged axes (issue 19): frames and (re, im) sharing one channel axis, the usual 2T-channel
 * U-Net layout `B,T*2,Y,X` (and `B,2*T,Y,X`), for inputs and for the output.
 */
import assert from "node:assert/strict";
import { ShapeError } from "../../src/errors.ts";
import { CmrxError } from "../../src/errors.ts";
import { buildFeeds, inputShapes, planCalls, prepareSlice } from "../../src/models/feeders.ts";
import { axisGroups, layoutDims, rank, toLayout } from "../../src/models/layout.ts";
import { checkManifest, type ModelManifest } from "../../src/models/manifest.ts";
import { OnnxReconstructor } from "../../src/models/onnx_model.ts";
import { readManifest } from "../../src/models/registry.ts";
import { interfaceProblems } from "../../src/pipeline/preflight.ts";
import { identityModel } from "../engine/models.ts";
import { maxRel, randomSlice } from "./fixtures.ts";

const root = await Deno.makeTempDir({ prefix: "cmrxkit-channels-" });
globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(root, { recursive: true });
  } catch { /* gone */ }
});

function manifest(name: string, inLayout: string, outLayout: string): ModelManifest {
  return {
    format: 1,
    name,
    file: `${name}.onnx`,
    description: "zero-filled image returned as it came (test model)",
    inputs: [{ name: "x", role: "zerofilled", layout: inLayout }],
    output: { name: "y", role: "image", layout: outLayout },
    feeder: { kind: "sequence" },
    normalization: { kind: "max" },
    serves: { tasks: ["cine"], views: ["sax"], accelerations: [], coils: ["MultiCoil"] },
  };
}

async function write(m: ModelManifest, dims: (number | string)[]): Promise<string> {
  const dir = `${root}/${m.name}`;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeFile(`${dir}/${m.file}`, identityModel(dims));
  await Deno.writeTextFile(`${dir}/${m.name}.json`, JSON.stringify(m));
  return `${dir}/${m.name}.json`;
}

Deno.test("layout: merged axes are groups of letters, their dims the products", () => {
  assert.deepEqual(axisGroups("B,T*2,Y,X"), [["B"], ["T", "2"], ["Y"], ["X"]]);
  assert.deepEqual(axisGroups("B,K*T,Y,X"), [["B"], ["2", "T"], ["Y"], ["X"]]);
  assert.equal(rank("B,T*2,Y,X"), 4);
  assert.deepEqual(layoutDims("B,T*2,Y,X", { B: 1, T: 12, Y: 5, X: 7, "2": 2 }), [1, 24, 5, 7]);
  // T,Y,X,2 -> T*2,Y,X: channel 2t+k holds part k of frame t
  const nt = 3, ny = 2, nx = 2;
  const data = new Float32Array(nt * ny * nx * 2).map((_, i) => i);
  const src = ["T", "Y", "X", "2"];
  const a = toLayout("T*2,Y,X", { data, src, dims: [nt, ny, nx, 2] });
  assert.deepEqual(a.dims, [6, 2, 2]);
  const b = toLayout("2*T,Y,X", { data, src, dims: [nt, ny, nx, 2] });
  assert.deepEqual(b.dims, [6, 2, 2]);
  for (let t = 0; t < nt; t++) {
    for (let p = 0; p < ny * nx; p++) {
      for (let k = 0; k < 2; k++) {
        const v = data[2 * (ny * nx * t + p) + k];
        assert.equal(a.data[(2 * t + k) * ny * nx + p], v);
        assert.equal(b.data[(k * nt + t) * ny * nx + p], v);
      }
    }
  }
});

Deno.test("2T-channel input and output: the same image as the T,Y,X,2 layout, both orders", async () => {
  const input = randomSlice(20, 14, 3, 4, 3, 8);
  const plain = await write(manifest("plain", "B,T,Y,X,2", "B,T,Y,X,2"), ["B", "T", "Y", "X", 2]);
  const want = await new OnnxReconstructor(await readManifest(plain), { device: "cpu" })
    .reconstruct(input);
  for (const l of ["B,T*2,Y,X", "B,2*T,Y,X", "T*2,Y,X"]) {
    const m = manifest(`ch-${l.replace(/[^A-Z2]/g, "")}`, l, l);
    const path = await write(m, l.startsWith("B") ? ["B", "C2", "Y", "X"] : ["C2", "Y", "X"]);
    const r = new OnnxReconstructor(await readManifest(path), { device: "cpu" });
    const p = prepareSlice(m, input, "acs");
    const feeds = buildFeeds(m, p, planCalls(m, p.nt), path);
    assert.deepEqual(feeds.x.dims, l.startsWith("B") ? [1, 8, 14, 20] : [8, 14, 20]);
    assert.deepEqual(inputShapes(m, p, 1, 4, path).x, feeds.x.dims);
    const got = await r.reconstruct(input);
    assert.ok(maxRel(got.image, want.image) < 1e-7, `${l}: ${maxRel(got.image, want.image)}`);
    await r.release();
  }
});

Deno.test("2T-channel output of the wrong size is a ShapeError naming the merged axis", async () => {
  const input = randomSlice(20, 14, 3, 4, 3, 8);
  // the graph returns 4 channels (T) where T*2 = 8 are declared
  const m = manifest("ch-wrong", "B,T,Y,X,2", "B,T*2,Y,X");
  const path = await write(m, ["B", "T", "Y", "X", 2]);
  const bad = { ...m, inputs: [{ name: "x", role: "rss" as const, layout: "B,T,Y,X" }] };
  await Deno.writeTextFile(path, JSON.stringify(bad));
  await Deno.writeFile(path.replace(/json$/, "onnx"), identityModel(["B", "T", "Y", "X"]));
  const r = new OnnxReconstructor(await readManifest(path), { device: "cpu" });
  await assert.rejects(
    () => r.reconstruct(input),
    (e: unknown) => e instanceof ShapeError && /axis T\*2 is 4, expected 8/.test(e.message),
  );
  await r.release();
});

Deno.test("checkManifest: merged layouts accepted; a letter twice or a merged B refused; rank counts merged axes", () => {
  const ok = manifest("m", "B,T*2,Y,X", "B,T*2,Y,X");
  checkManifest(ok, "m.json");
  assert.throws(
    () => checkManifest(manifest("m", "B,T*2,Y,T", "B,T,Y,X,2"), "m.json"),
    (e: unknown) => e instanceof CmrxError && /axis T twice/.test(e.message),
  );
  assert.throws(
    () => checkManifest(manifest("m", "B*T,2,Y,X", "B,T,Y,X,2"), "m.json"),
    (e: unknown) => e instanceof CmrxError && /merges the batch axis/.test(e.message),
  );
  assert.throws(
    () => checkManifest(manifest("m", "B,T**2,Y,X", "B,T,Y,X,2"), "m.json"),
    (e: unknown) => e instanceof CmrxError && /"B,T\*\*2,Y,X"/.test(e.message),
  );
  // the pre-run check compares the graph's rank with the number of axes, merged ones once
  const graph = {
    inputs: [{ name: "x", elemType: 1, dims: ["B", "C2", "Y", "X"] }],
    outputs: [{ name: "y", elemType: 1, dims: ["B", "C2", "Y", "X"] }],
  };
  assert.deepEqual(interfaceProblems(ok, graph as never), []);
});
