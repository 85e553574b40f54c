import assert from "node:assert/strict";
import type { ModelManifest } from "../../src/models/manifest.ts";
import { unservedReason } from "../../src/models/registry.ts";
import { PreflightError } from "../../src/pipeline/preflight.ts";
import { submitWithModels } from "../../src/pipeline/run.ts";
import { synthesize } from "../../src/synth/dataset.ts";
import { dcZeroFillModel, identityModel } from "../engine/models.ts";

// Before the first case, submitWithModels checks the ONNX model(s) the run will use: a
// --model must serve every case, its graph must match its manifest, and it runs once on
// each size it will meet. A failure stops the run before anything is written.

const root = await Deno.makeTempDir({ prefix: "cmrxkit-preflight-" });
globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(root, { recursive: true });
  } catch { /* gone */ }
});
const data = `${root}/data`;
// small cine: sax 96x72, lax 96x64 (src/synth/dataset.ts GEOMETRY.small)
await synthesize({ out: data, size: "small", seed: 21, patients: 1, splits: ["validation"] });

const SERVES_BOTH: ModelManifest["serves"] = {
  tasks: ["cine"],
  views: ["sax", "lax"],
  accelerations: [],
  coils: ["MultiCoil"],
};

/** A zero-filled graph fixed to 72x96 (`dcZeroFillModel`) with its manifest. */
async function fixedModel(name: string, over: Partial<ModelManifest> = {}): Promise<string> {
  const dir = `${root}/models-${name}`;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeFile(`${dir}/${name}.onnx`, dcZeroFillModel(72, 96));
  const m: ModelManifest = {
    format: 1,
    name,
    file: `${name}.onnx`,
    description: "zero-filled RSS exported for 72x96 only",
    inputs: [{ name: "kspace", role: "kspace", layout: "T,C,Y,X,2" }],
    output: { name: "image", role: "image", layout: "T,Y,X" },
    feeder: { kind: "sequence" },
    normalization: { kind: "max" },
    serves: SERVES_BOTH,
    ...over,
  };
  await Deno.writeTextFile(`${dir}/${name}.json`, JSON.stringify(m));
  return `${dir}/${name}.json`;
}

/** A graph of any size: the zero-filled image as it is (complex, `T,Y,X,2`). */
async function anySizeModel(name: string): Promise<string> {
  const dir = `${root}/models-${name}`;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeFile(
    `${dir}/${name}.onnx`,
    identityModel(["T", "Y", "X", 2], { input: "zf", output: "image" }),
  );
  const m: ModelManifest = {
    format: 1,
    name,
    file: `${name}.onnx`,
    description: "the zero-filled image, any size",
    inputs: [{ name: "zf", role: "zerofilled", layout: "T,Y,X,2" }],
    output: { name: "image", role: "image", layout: "T,Y,X,2" },
    feeder: { kind: "sequence" },
    normalization: { kind: "max" },
    serves: SERVES_BOTH,
  };
  await Deno.writeTextFile(`${dir}/${name}.json`, JSON.stringify(m));
  return `${dir}/${name}.json`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Runs `submit --model PATH` on the small cine cases, R 4, into a fresh folder. */
function run(model: string, out: string, notices: string[] = []) {
  return submitWithModels({
    input: data,
    output: out,
    task: "cine",
    split: "validation",
    acc: [4],
    model,
    workers: 1,
    engine: { device: "cpu" },
    onNotice: (m) => notices.push(m),
  });
}

Deno.test("unservedReason names the serves field that excludes a case", () => {
  const m = { serves: { ...SERVES_BOTH, views: ["sax"], accelerations: [4, 8] } } as ModelManifest;
  const key = { task: "cine", view: "sax", acc: 4, coil: "MultiCoil" } as const;
  assert.equal(unservedReason(m, key), null);
  assert.equal(
    unservedReason(m, { ...key, view: "lax" }),
    "view lax (manifest serves.views = [sax])",
  );
  assert.equal(
    unservedReason(m, { ...key, acc: 10 }),
    "acceleration 10 (manifest serves.accelerations = [4, 8])",
  );
  assert.equal(
    unservedReason(m, { ...key, coil: "SingleCoil" }),
    "SingleCoil data (manifest serves.coils = [MultiCoil])",
  );
  assert.match(unservedReason(m, { ...key, task: "mapping" })!, /task mapping .*serves\.tasks/);
});

Deno.test("--model that does not serve some cases: every one is refused before anything is written", async () => {
  const manifest = await fixedModel("sax-only", {
    serves: { ...SERVES_BOTH, views: ["sax"] },
  });
  const out = `${root}/out-unserved`;
  await assert.rejects(run(manifest, out), (e: unknown) => {
    assert.ok(e instanceof PreflightError, String(e));
    assert.equal(e.file, manifest);
    assert.match(e.message, /--model sax-only does not serve 1 case\(s\)/);
    assert.match(
      e.message,
      /cine_lax\.mat: model sax-only does not serve view lax \(manifest serves\.views = \[sax\]\)/,
    );
    assert.doesNotMatch(e.message, /cine_sax/);
    assert.match(e.message, /fix: run these cases with another --model or without --model/);
    return true;
  });
  assert.equal(await exists(out), false, "nothing was created");
});

Deno.test("a fixed-size graph is probed on every size before the run: the LAX size is named", async () => {
  const manifest = await fixedModel("fixed-72x96");
  const out = `${root}/out-fixed`;
  await assert.rejects(run(manifest, out), (e: unknown) => {
    assert.ok(e instanceof PreflightError, String(e));
    assert.equal(e.file, manifest);
    assert.match(
      e.message,
      /model fixed-72x96 cannot run the size 96x64, \d+ coil\(s\), 12 frames/,
    );
    assert.match(e.message, /cine_lax\.mat/);
    assert.match(e.message, /kspace \[T, C, 72, 96, 2\]/, "the graph's fixed dims are named");
    assert.match(e.message, /fix: export the graph with dynamic axes/);
    return true;
  });
  assert.equal(await exists(out), false, "nothing was created");
});

Deno.test("a manifest that names an output the graph lacks is refused before the run", async () => {
  const manifest = await fixedModel("bad-output", {
    output: { name: "recon", role: "image", layout: "T,Y,X" },
  });
  const out = `${root}/out-bad-output`;
  await assert.rejects(run(manifest, out), (e: unknown) => {
    assert.ok(e instanceof PreflightError, String(e));
    assert.equal(e.file, manifest);
    assert.match(e.message, /output "recon" is not an output of the graph \(it has: image/);
    return true;
  });
  assert.equal(await exists(out), false, "nothing was created");
});

Deno.test("a layout whose rank differs from the graph's input is refused before the run", async () => {
  const manifest = await fixedModel("bad-rank", {
    inputs: [{ name: "kspace", role: "kspace", layout: "B,T,C,Y,X,2" }],
  });
  const out = `${root}/out-bad-rank`;
  await assert.rejects(run(manifest, out), (e: unknown) => {
    assert.ok(e instanceof PreflightError, String(e));
    assert.match(
      e.message,
      /input "kspace": the layout B,T,C,Y,X,2 has 6 axes, the graph's has 5/,
    );
    return true;
  });
  assert.equal(await exists(out), false, "nothing was created");
});

Deno.test("a model that takes every size passes the checks, says so, and the run writes every case", async () => {
  const manifest = await anySizeModel("any-size");
  const notices: string[] = [];
  const s = await run(manifest, `${root}/out-ok`, notices);
  assert.deepEqual(s.failed, []);
  assert.ok(s.written >= 2);
  assert.ok(s.validation?.ok);
  const line = notices.find((n) => n.startsWith("model any-size:"));
  assert.ok(line, notices.join("\n"));
  assert.match(line, /ran once on 2 size\(s\) \(/);
  assert.match(line, /96x72, \d+ coil\(s\), 12 frames/);
  assert.match(line, /96x64, \d+ coil\(s\), 12 frames/);
});

Deno.test("preflight: false leaves the failures to the cases (the old behaviour)", async () => {
  const manifest = await fixedModel("fixed-unchecked");
  const s = await submitWithModels({
    input: data,
    output: `${root}/out-unchecked`,
    task: "cine",
    split: "validation",
    acc: [4],
    model: manifest,
    workers: 1,
    engine: { device: "cpu" },
    preflight: false,
  });
  assert.equal(s.failed.length, 1);
  assert.match(s.failed[0].file, /cine_lax/);
});
