import assert from "node:assert/strict";
import { discover } from "../../src/challenge/layout.ts";
import { editionOf } from "../../src/challenge/editions/mod.ts";
import { openCase } from "../../src/challenge/plan.ts";
import { GraphBuilder } from "../../src/engine/onnx/mod.ts";
import { OnnxSession } from "../../src/engine/session.ts";
import { CmrxError, UsageError } from "../../src/errors.ts";
import { readNpy } from "../../src/mat/npy.ts";
import { openMat } from "../../src/mat/read.ts";
import type { ModelManifest } from "../../src/models/manifest.ts";
import { type ModelRun, OnnxReconstructor } from "../../src/models/onnx_model.ts";
import { readManifest } from "../../src/models/registry.ts";
import { PARITY_MARKER, parityCheck } from "../../src/pipeline/parity.ts";
import { reconstructFile } from "../../src/recon/run.ts";
import { synthesize } from "../../src/synth/dataset.ts";
import { PYTHON, pythonHas } from "../train/python.ts";

// `models check` (src/pipeline/parity.ts): runs a model on real slices as submit does and
// writes the inputs it fed and the outputs the graph returned, with check_parity.py.

const hasNumpy = pythonHas("numpy");
const hasH5py = pythonHas("numpy, h5py");
const hasTorch = pythonHas("numpy, torch");
if (!hasNumpy || !hasTorch || !hasH5py) {
  console.warn(
    `notice: ${PYTHON} lacks ${
      [!hasNumpy && "numpy", !hasH5py && "h5py", !hasTorch && "torch"].filter(Boolean).join(", ")
    }; the check_parity.py runs of tests/pipeline/parity_test.ts that need them are skipped ` +
      "(apt-get install python3-numpy python3-h5py python3-torch)",
  );
}

const root = await Deno.makeTempDir({ prefix: "cmrxkit-parity-" });
globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(root, { recursive: true });
  } catch { /* gone */ }
});
const data = `${root}/data`;
// small cine: sax 96x72, lax 96x64, validation (two central slices planned)
await synthesize({ out: data, size: "small", seed: 5, patients: 1, splits: ["validation"] });

/**
 * The test graph: `image = 0.5 * sum_c kspace[t, c] * mask[t]` as (re, im), `T,Y,X,2`; any
 * size. The k-space input's name has a dot (not a file-name or MATLAB-name character).
 */
function sumCoilsModel(): Uint8Array {
  const g = new GraphBuilder("sum_coils");
  g.input("k.space", "float32", ["T", "C", "Y", "X", 2]);
  g.input("mask", "float32", ["T", "Y", "X"]);
  g.output("image", "float32", ["T", "Y", "X", 2]);
  g.ints("ax_c", [1]);
  g.ints("ax_last", [-1]);
  g.initializer("half", new Float32Array([0.5]), []);
  g.node("ReduceSum", ["k.space", "ax_c"], ["s"], { keepdims: 0 });
  g.node("Unsqueeze", ["mask", "ax_last"], ["m"]);
  g.node("Mul", ["s", "m"], ["sm"]);
  g.node("Mul", ["sm", "half"], ["image"]);
  return g.toModel({ opset: 17 });
}

async function writeModel(name: string, over: Partial<ModelManifest> = {}): Promise<string> {
  const dir = `${root}/models-${name}`;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeFile(`${dir}/${name}.onnx`, sumCoilsModel());
  const m: ModelManifest = {
    format: 1,
    name,
    file: `${name}.onnx`,
    description: "0.5 * coil sum of the masked k-space",
    inputs: [
      { name: "k.space", role: "kspace", layout: "T,C,Y,X,2" },
      { name: "mask", role: "mask", layout: "T,Y,X" },
    ],
    output: { name: "image", role: "image", layout: "T,Y,X,2" },
    feeder: { kind: "sequence" },
    normalization: { kind: "max" },
    serves: { tasks: ["cine"], views: ["sax", "lax"], accelerations: [], coils: ["MultiCoil"] },
    ...over,
  };
  await Deno.writeTextFile(`${dir}/${name}.json`, JSON.stringify(m));
  return `${dir}/${name}.json`;
}

const manifest = await writeModel("sumcoils");

/** The same function in Python: numpy (positional) and torch (a module with a factory). */
const NUMPY_MODULE = `
import numpy as np
def forward(kspace, mask):
    return 0.5 * kspace.sum(axis=1) * mask[..., None]
def wrong(kspace, mask):
    return 0.5 * kspace.sum(axis=1) * mask[..., None] * 1.001
`;
const TORCH_MODULE = `
import torch
class SumCoils(torch.nn.Module):
    def __init__(self, factor=0.5):
        super().__init__()
        self.factor = torch.nn.Parameter(torch.tensor(factor))
    def forward(self, mask, **kw):
        k = kw["k.space"]
        return {"image": self.factor * k.sum(dim=1) * mask.unsqueeze(-1)}
def build(factor=0.5):
    return SumCoils(factor)
`;
await Deno.writeTextFile(`${root}/np_model.py`, NUMPY_MODULE);
await Deno.writeTextFile(`${root}/torch_model.py`, TORCH_MODULE);

async function py(args: string[]): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command(PYTHON, {
    args,
    stdout: "piped",
    stderr: "piped",
    env: { OMP_NUM_THREADS: "1", PYTHONWARNINGS: "ignore" },
  }).output();
  const d = new TextDecoder();
  return { code: r.code, out: d.decode(r.stdout) + d.decode(r.stderr) };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

const bits = (a: Float32Array) => [...new Uint32Array(a.buffer, a.byteOffset, a.length)];

Deno.test("models check writes exactly the inputs cmrxkit fed and the outputs the graph returned (.npy)", async () => {
  const out = `${root}/out-npy`;
  const seen: string[] = [];
  const r = await parityCheck({
    model: manifest,
    models: [],
    data,
    out,
    engine: { device: "cpu" },
    onSlice: (s) => seen.push(`${s.done + 1}/${s.total} ${s.file} ${s.slice}`),
  });
  // default: the 2 central slices of the first case served
  assert.equal(r.runs.length, 2);
  assert.equal(seen.length, 2);
  assert.match(seen[0], /^1\/2 .*cine_lax\.mat \d+$/);
  assert.match(r.command, /check_parity\.py --module .* --factory .* --weights/);
  const runs = JSON.parse(await Deno.readTextFile(`${out}/runs.json`));
  assert.equal(runs.model, "sumcoils");
  assert.equal(runs.fileFormat, "npy");
  assert.deepEqual(runs.inputs.map((i: { name: string }) => i.name), ["k.space", "mask"]);
  assert.deepEqual(
    JSON.parse(await Deno.readTextFile(`${out}/manifest.json`)),
    JSON.parse(await Deno.readTextFile(manifest)),
  );
  assert.ok(await exists(`${out}/check_parity.py`));
  assert.ok(await exists(`${out}/${PARITY_MARKER}`));

  // Recompute what OnnxReconstructor feeds, through its observer, on the same slices.
  const entry = await readManifest(manifest);
  const fed: ModelRun[] = [];
  const model = new OnnxReconstructor(entry, {
    device: "cpu",
    onRun: (run) =>
      fed.push({
        ...run,
        feeds: Object.fromEntries(
          Object.entries(run.feeds).map(([k, v]) => [k, { data: v.data.slice(), dims: v.dims }]),
        ),
      }),
  });
  const found = await discover(data, { split: "validation" });
  const c = found.cases[0];
  using opened = await openCase(c, "validation", editionOf(2023));
  using mm = await openMat(c.maskFile!);
  const mask = mm.read(c.maskVariable!);
  for (const run of runs.runs) {
    assert.equal(run.file, c.file);
    assert.ok(opened.plan.slices.includes(run.slice));
    await reconstructFile(opened.mat, model, {
      variable: opened.plan.variable,
      mask: { data: mask.data, dims: mask.dims },
      slices: [run.slice],
    });
  }
  await model.release();
  assert.equal(fed.length, runs.runs.length);
  const session = await OnnxSession.load(entry.onnxPath, { device: "cpu" });
  try {
    for (const [k, run] of runs.runs.entries()) {
      assert.equal(run.scale, fed[k].scale);
      assert.deepEqual(run.frames, fed[k].frames);
      const inputs: Record<string, { data: Float32Array; dims: number[] }> = {};
      for (const i of run.inputs) {
        assert.match(i.file, /^run00\d\.in\.(k_space|mask)\.npy$/);
        const a = await readNpy(`${out}/${i.file}`);
        assert.deepEqual(a.dims, fed[k].feeds[i.name].dims, i.name);
        assert.deepEqual(a.dims, i.dims);
        assert.deepEqual(bits(a.data), bits(fed[k].feeds[i.name].data), `${i.name} bit-exact`);
        inputs[i.name] = a;
      }
      // the outputs are the graph's on those inputs (bit-exact) and the test function's
      const o = await readNpy(`${out}/${run.outputs[0].file}`);
      const again = await session.run(inputs);
      assert.deepEqual(bits(o.data), bits(again.image.data));
      const [nt, nc, ny, nx] = inputs["k.space"].dims;
      assert.deepEqual(o.dims, [nt, ny, nx, 2]);
      const kd = inputs["k.space"].data, md = inputs.mask.data;
      let err = 0, big = 0;
      for (let t = 0; t < nt; t++) {
        for (let p = 0; p < ny * nx; p++) {
          for (let w = 0; w < 2; w++) {
            let s = 0;
            for (let ci = 0; ci < nc; ci++) s += kd[2 * (p + ny * nx * (ci + nc * t)) + w];
            const want = 0.5 * s * md[p + ny * nx * t];
            err = Math.max(err, Math.abs(want - o.data[2 * (p + ny * nx * t) + w]));
            big = Math.max(big, Math.abs(want));
          }
        }
      }
      assert.ok(big > 0 && err / big < 1e-5, `output is the graph's function (${err / big})`);
    }
  } finally {
    await session.release();
  }
});

Deno.test({
  name: "check_parity.py: a numpy module of the same function passes (< 1e-5), a wrong one exits 1",
  ignore: !hasNumpy,
  async fn() {
    const out = `${root}/out-py`;
    await parityCheck({ model: manifest, models: [], data, out, engine: { device: "cpu" } });
    const ok = await py([
      `${out}/check_parity.py`,
      "--module",
      `${root}/np_model.py`,
      "--function",
      "forward",
      "--numpy",
    ]);
    assert.equal(ok.code, 0, ok.out);
    const rels = [...ok.out.matchAll(/relative ([0-9.e+-]+)/g)].map((m) => Number(m[1]));
    assert.equal(rels.length, 2, ok.out);
    assert.ok(rels.every((x) => x < 1e-5), ok.out);
    assert.match(ok.out, /run 0 \(.*cine_lax\.mat slice \d+, frames \[0, 1, .*\]\) output image/);
    const bad = await py([
      `${out}/check_parity.py`,
      "--module",
      `${root}/np_model.py`,
      "--function",
      "wrong",
      "--numpy",
    ]);
    assert.equal(bad.code, 1, bad.out);
    assert.match(bad.out, /relative 1\.0\d*e-03 .*FAIL/);
    assert.match(bad.out, /largest relative difference .*: FAIL/);
    const missing = await py([
      `${out}/check_parity.py`,
      "--module",
      `${root}/np_model.py`,
      "--function",
      "nothing",
      "--numpy",
    ]);
    assert.equal(missing.code, 2, missing.out);
    assert.match(missing.out, /has no callable 'nothing'/);
  },
});

Deno.test({
  name: "check_parity.py with a torch module, factory, weights and inputs by keyword; .mat runs",
  ignore: !hasTorch || !hasH5py,
  async fn() {
    const out = `${root}/out-mat`;
    const r = await parityCheck({
      model: manifest,
      models: [],
      data,
      out,
      format: "mat",
      slices: 1,
      cases: 2,
      engine: { device: "cpu" },
    });
    assert.equal(r.runs.length, 2, "one slice of each of two cases");
    assert.notEqual(r.runs[0].file, r.runs[1].file);
    assert.deepEqual(r.runs[0].inputs.map((i) => [i.file, i.variable]), [
      ["run000.mat", "in_k_space"],
      ["run000.mat", "in_mask"],
    ]);
    // weights saved by torch: the factor 0.5 as a state dict
    const save = await py([
      "-c",
      `import sys, torch; sys.path.insert(0, "${root}"); import torch_model as t; ` +
      `torch.save(t.build(0.5).state_dict(), "${root}/w.pt"); ` +
      `torch.save(t.build(0.25).state_dict(), "${root}/w_bad.pt")`,
    ]);
    assert.equal(save.code, 0, save.out);
    const args = (w: string) => [
      `${out}/check_parity.py`,
      "--module",
      `${root}/torch_model.py`,
      "--factory",
      "build",
      "--kwargs",
      '{"factor": 3.0}',
      "--weights",
      w,
      "--keyword",
    ];
    const ok = await py(args(`${root}/w.pt`));
    assert.equal(ok.code, 0, ok.out);
    assert.match(ok.out, /largest relative difference .*: ok/);
    const bad = await py(args(`${root}/w_bad.pt`));
    assert.equal(bad.code, 1, bad.out);
    assert.match(bad.out, /relative 5\.0\d*e-01/);
  },
});

Deno.test("models check: errors name the file and the fix, and write nothing", async () => {
  // unknown model
  await assert.rejects(
    parityCheck({ model: "nosuch", models: [], data, out: `${root}/out-x` }),
    (e: unknown) => e instanceof UsageError && /unknown model 'nosuch'/.test(e.message),
  );
  // no served case: the manifest is named with the serves field
  const t1 = await writeModel("t1only", {
    serves: { tasks: ["cine"], views: ["2ch"], accelerations: [], coils: ["MultiCoil"] },
  });
  await assert.rejects(
    parityCheck({ model: t1, models: [], data, out: `${root}/out-t1` }),
    (e: unknown) => {
      assert.ok(e instanceof CmrxError);
      assert.equal(e.file, t1);
      assert.match(
        e.message,
        /model t1only serves none of the \d+ case\(s\) in .*view (lax|sax) \(manifest serves\.views = \[2ch\]\)/,
      );
      assert.match(e.hint!, /--data/);
      return true;
    },
  );
  assert.equal(await exists(`${root}/out-t1`), false);
  // a folder with a user's files is refused before any work, and left as it was
  const foreign = `${root}/out-foreign`;
  await Deno.mkdir(foreign);
  await Deno.writeTextFile(`${foreign}/notes.txt`, "mine");
  await assert.rejects(
    parityCheck({ model: manifest, models: [], data, out: foreign }),
    (e: unknown) =>
      e instanceof UsageError && e.file === foreign && /not made by cmrxkit/.test(e.message),
  );
  assert.deepEqual([...Deno.readDirSync(foreign)].map((e) => e.name), ["notes.txt"]);
  // a dataset folder that is not one
  await assert.rejects(
    parityCheck({ model: manifest, models: [], data: `${root}/nodata`, out: `${root}/out-y` }),
    (e: unknown) => e instanceof CmrxError && e.file === `${root}/nodata`,
  );
});

Deno.test("models check: a damaged k-space file is named, and nothing is written", async () => {
  const broken = `${root}/broken`;
  await synthesize({ out: broken, size: "small", seed: 6, patients: 1, splits: ["validation"] });
  const c = (await discover(broken, { split: "validation" })).cases[0];
  const bytes = await Deno.readFile(c.file);
  await Deno.writeFile(c.file, bytes.subarray(0, 600));
  const out = `${root}/out-broken`;
  await assert.rejects(
    parityCheck({ model: manifest, models: [], data: broken, out }),
    (e: unknown) => e instanceof CmrxError && e.file === c.file,
  );
  assert.equal(await exists(out), false);
  assert.deepEqual(
    [...Deno.readDirSync(root)].filter((e) => e.name.startsWith("out-broken")),
    [],
  );
});

Deno.test("models check into an earlier check's folder replaces only its own files", async () => {
  const out = `${root}/out-again`;
  await parityCheck({ model: manifest, models: [], data, out, slices: 2 });
  await Deno.writeTextFile(`${out}/mine.txt`, "kept");
  const r = await parityCheck({ model: manifest, models: [], data, out, slices: 1 });
  assert.equal(r.runs.length, 1);
  const names = [...Deno.readDirSync(out)].map((e) => e.name).sort();
  assert.deepEqual(names, [
    PARITY_MARKER,
    "check_parity.py",
    "manifest.json",
    "mine.txt",
    "run000.in.k_space.npy",
    "run000.in.mask.npy",
    "run000.out.image.npy",
    "runs.json",
  ]);
  // no temporary folder left beside it
  assert.deepEqual(
    [...Deno.readDirSync(root)].filter((e) => e.name.startsWith("out-again.tmp")),
    [],
  );
});
