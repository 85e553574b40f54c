import assert from "node:assert/strict";
import { CmrxError, ShapeError } from "../../src/errors.ts";
import { readMatVar } from "../../src/mat/read.ts";
import { checkManifest, type ModelManifest } from "../../src/models/manifest.ts";
import { OnnxReconstructor } from "../../src/models/onnx_model.ts";
import { gpuBytesOf, parseComputeApps } from "../../src/engine/gpu_memory.ts";
import { ProcessSession } from "../../src/models/process_model.ts";
import { readManifest } from "../../src/models/registry.ts";
import { PreflightError } from "../../src/pipeline/preflight.ts";
import { submitWithModels } from "../../src/pipeline/run.ts";
import { synthesize } from "../../src/synth/dataset.ts";
import { identityModel } from "../engine/models.ts";
import { maxRel, randomSlice } from "./fixtures.ts";
import { PYTHON, pythonHas, ROOT } from "../train/python.ts";

// An external-process model: the manifest names a program instead of an .onnx file; cmrxkit
// feeds it the tensors a graph would get over stdin/stdout (src/models/process_model.ts) and
// reads its answer as a graph output. The program here is the reference Python client with
// a NumPy "model" (clients/python/example_numpy_model.py): FACTOR x the zero-filled image.

const hasNumpy = pythonHas("numpy");
if (!hasNumpy) {
  console.warn(`notice: ${PYTHON} lacks numpy; the external-process model tests are skipped`);
}

const CLIENT = `${ROOT}clients/python`;
const root = await Deno.makeTempDir({ prefix: "cmrxkit-process-" });
globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(root, { recursive: true });
  } catch { /* gone */ }
});
const SERVES: ModelManifest["serves"] = {
  tasks: ["cine"],
  views: ["sax", "lax"],
  accelerations: [],
  coils: ["MultiCoil"],
};

/** The manifest of the zero-filled image in and out (`T,Y,X,2`), ONNX or process. */
function manifest(name: string, over: Partial<ModelManifest>): ModelManifest {
  return {
    format: 1,
    name,
    description: "the zero-filled image times a constant",
    inputs: [{ name: "zf", role: "zerofilled", layout: "T,Y,X,2" }],
    output: { name: "image", role: "image", layout: "T,Y,X,2" },
    feeder: { kind: "sequence" },
    normalization: { kind: "max" },
    serves: SERVES,
    ...over,
  };
}

/** Writes a process manifest into its own folder; returns its path. */
async function processModel(
  name: string,
  process: ModelManifest["process"],
  over: Partial<ModelManifest> = {},
): Promise<string> {
  const dir = `${root}/${name}`;
  await Deno.mkdir(dir, { recursive: true });
  const path = `${dir}/${name}.json`;
  await Deno.writeTextFile(path, JSON.stringify(manifest(name, { process, ...over })));
  return path;
}

/** The NumPy example model, `factor` x the zero-filled image. */
function example(factor: number, env: Record<string, string> = {}): ModelManifest["process"] {
  return {
    command: [PYTHON, `${CLIENT}/example_numpy_model.py`],
    env: { CMRX_EXAMPLE_FACTOR: String(factor), ...env },
    startupSeconds: 30,
    callSeconds: 60,
  };
}

/** A Python program using the client (a script in the manifest's folder). */
async function scriptModel(
  name: string,
  code: string,
  extra: Partial<ModelManifest["process"]> = {},
) {
  const dir = `${root}/${name}`;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(`${dir}/model.py`, code);
  return await processModel(name, {
    command: [PYTHON, "model.py"],
    env: { PYTHONPATH: CLIENT },
    startupSeconds: 30,
    callSeconds: 30,
    ...extra,
  });
}

/** The identity graph on the zero-filled image: cmrxkit's own zero-filled magnitude. */
async function identityEntry(name: string): Promise<string> {
  const dir = `${root}/${name}`;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeFile(
    `${dir}/${name}.onnx`,
    identityModel(["T", "Y", "X", 2], { input: "zf", output: "image" }),
  );
  const path = `${dir}/${name}.json`;
  await Deno.writeTextFile(path, JSON.stringify(manifest(name, { file: `${name}.onnx` })));
  return path;
}

const slice = randomSlice(40, 32, 4, 3, 7, 12);

async function reconstructWith(path: string) {
  const model = new OnnxReconstructor(await readManifest(path), { device: "cpu" });
  try {
    return await model.reconstruct(slice);
  } finally {
    await model.release();
  }
}

/** `fn` must reject with a CmrxError naming the manifest, and its message must match `re`. */
async function rejectsNaming(
  fn: () => Promise<unknown>,
  path: string,
  re: RegExp,
  type = CmrxError,
) {
  await assert.rejects(fn, (e: unknown) => {
    assert.ok(e instanceof type, `${e}`);
    assert.equal((e as CmrxError).file, path);
    assert.match((e as Error).message, re);
    return true;
  });
}

Deno.test("checkManifest: a process model needs process.command and no file", () => {
  const base = manifest("p", {});
  checkManifest({ ...base, process: { command: ["python3", "m.py"] } }, "p.json");
  assert.throws(
    () => checkManifest(base, "p.json"),
    /'file' must name an \.onnx file \(or give "process"/,
  );
  assert.throws(
    () => checkManifest({ ...base, file: "p.onnx", process: { command: ["x"] } }, "p.json"),
    /'file' and 'process' are exclusive/,
  );
  for (const command of [[], "python3 m.py", [1], [""]]) {
    assert.throws(
      () => checkManifest({ ...base, process: { command } as never }, "p.json"),
      /'process\.command' must be a non-empty array of strings/,
    );
  }
  assert.throws(
    () => checkManifest({ ...base, process: { command: ["x"], callSeconds: 0 } }, "p.json"),
    /'process\.callSeconds' must be a positive number/,
  );
  assert.throws(
    () => checkManifest({ ...base, process: { command: ["x"], env: { A: 1 } } as never }, "p.json"),
    /'process\.env' must be an object of string values/,
  );
});

Deno.test("the registry reads a process manifest (no .onnx file to find)", async () => {
  const path = await processModel("listed", example(2));
  const e = await readManifest(path);
  assert.deepEqual(e.manifest.process?.command.slice(1), [`${CLIENT}/example_numpy_model.py`]);
  assert.equal(e.onnxPath, path, "the manifest stands for the graph file (cache key)");
});

Deno.test("nvidia-smi compute-apps rows are parsed and summed for the process tree", () => {
  const canned = "1234, 5120\n  99 , 300\n4321, [N/A]\nNo running processes found\n1234, 1024\n";
  const apps = parseComputeApps(canned);
  assert.deepEqual(apps, [
    { pid: 1234, usedMiB: 5120 },
    { pid: 99, usedMiB: 300 },
    { pid: 1234, usedMiB: 1024 },
  ]);
  assert.equal(gpuBytesOf(apps, new Set([1234])), 6144 * 1024 * 1024);
  assert.equal(gpuBytesOf(apps, new Set([1234, 99])), 6444 * 1024 * 1024);
  assert.equal(gpuBytesOf(apps, new Set([7])), null);
});

Deno.test({
  name: "the NumPy model through OnnxReconstructor gives 3 x cmrxkit's zero-filled image",
  ignore: !hasNumpy,
  async fn() {
    const want = await reconstructWith(await identityEntry("zf-identity"));
    const path = await processModel("numpy-x3", example(3));
    const got = await reconstructWith(path);
    const scaled = want.image.map((v) => 3 * v);
    assert.ok(maxRel(got.image, scaled) < 1e-6, `max rel diff ${maxRel(got.image, scaled)}`);
    assert.equal(got.info?.runs, 1);
    assert.equal(got.info?.scale, want.info?.scale);
  },
});

Deno.test({
  name: "ProcessSession: stats after a call, GPU memory 'not sampled' without nvidia-smi",
  ignore: !hasNumpy,
  async fn() {
    const path = await processModel("numpy-stats", example(1));
    const m = (await readManifest(path)).manifest;
    const s = await ProcessSession.start(m, path);
    try {
      const zf = { data: new Float32Array(2 * 3 * 4 * 2).fill(0.5), dims: [2, 3, 4, 2] };
      const out = await s.run({ zf });
      assert.deepEqual(out.image.dims, [2, 3, 4, 2]);
      assert.deepEqual([...out.image.data], [...zf.data]);
      const st = s.stats;
      assert.equal(st.runs, 1);
      assert.ok(st.pid > 0 && st.loadMs > 0);
      let smi = true;
      try {
        new Deno.Command("nvidia-smi", { args: ["-L"], stdout: "null", stderr: "null" })
          .outputSync();
      } catch {
        smi = false;
      }
      if (!smi) {
        assert.equal(st.gpuSampling, "not sampled (no nvidia-smi)");
        assert.equal(st.gpuPeakBytes, null);
      }
    } finally {
      await s.release();
    }
  },
});

Deno.test({
  name: "submit with a process --model writes the same submission as the graph it imitates",
  ignore: !hasNumpy,
  async fn() {
    const data = `${root}/data`;
    await synthesize({ out: data, size: "small", seed: 5, patients: 1, splits: ["validation"] });
    const run = (model: string, out: string) =>
      submitWithModels({
        input: data,
        output: out,
        task: "cine",
        split: "validation",
        acc: [4],
        model,
        workers: 1,
        engine: { device: "cpu" },
      });
    const graph = await run(await identityEntry("submit-identity"), `${root}/out-graph`);
    const proc = await run(await processModel("submit-numpy", example(1)), `${root}/out-proc`);
    assert.deepEqual(proc.failed, []);
    assert.ok(proc.written >= 2, `written ${proc.written}`);
    assert.equal(proc.written, graph.written);
    assert.ok(proc.validation?.ok);
    const files: string[] = [];
    const dir = "Submission/MultiCoil/Cine/ValidationSet/AccFactor04/P001";
    for await (const f of Deno.readDir(`${root}/out-proc/${dir}`)) files.push(f.name);
    assert.ok(files.length >= 2, files.join());
    for (const f of files) {
      const rel = `${dir}/${f}`;
      const a = await readMatVar(`${root}/out-proc/${rel}`, "img4ranking");
      const b = await readMatVar(`${root}/out-graph/${rel}`, "img4ranking");
      assert.deepEqual(a.dims, b.dims);
      assert.ok(maxRel(Float32Array.from(a.data), Float32Array.from(b.data)) < 1e-6, f);
    }
  },
});

Deno.test({
  name: "a process model whose program does not exist: the manifest and the command are named",
  ignore: !hasNumpy,
  async fn() {
    const path = await processModel("missing", { command: ["/no/such/model-program", "x"] });
    await rejectsNaming(
      () => reconstructWith(path),
      path,
      /model missing: cannot start \["\/no\/such\/model-program","x"\] .*does not exist/,
    );
  },
});

Deno.test({
  name: "a program that exits at start: its exit code and last stderr lines",
  ignore: !hasNumpy,
  async fn() {
    const path = await scriptModel(
      "exits",
      "import sys\nsys.stderr.write('loading weights\\nno such checkpoint: team.pt\\n')\nsys.exit(3)\n",
    );
    await rejectsNaming(
      () => reconstructWith(path),
      path,
      /model exits: the program .*model\.py"\] exited with code 3; its last stderr lines:\n {2}loading weights\n {2}no such checkpoint: team\.pt/,
    );
  },
});

Deno.test({
  name: "a program that never says hello is stopped after startupSeconds",
  ignore: !hasNumpy,
  async fn() {
    const path = await scriptModel("silent", "import time\ntime.sleep(60)\n", {
      startupSeconds: 0.5,
    });
    const t0 = performance.now();
    await rejectsNaming(
      () => reconstructWith(path),
      path,
      /model silent: the program .* did not manage to say hello within 0\.5 s \(manifest process\.startupSeconds\)/,
    );
    assert.ok(performance.now() - t0 < 10_000);
  },
});

Deno.test({
  name: "a call that takes longer than callSeconds is stopped, naming the field",
  ignore: !hasNumpy,
  async fn() {
    const path = await scriptModel(
      "slow",
      "import time\nfrom cmrxkit_model import serve\nserve(lambda i, info: time.sleep(60))\n",
      { callSeconds: 1 },
    );
    await rejectsNaming(
      () => reconstructWith(path),
      path,
      /model slow: .* did not manage to answer call 1 within 1 s \(manifest process\.callSeconds\)/,
    );
  },
});

Deno.test({
  name: "a malformed reply (print() on stdout) names what was written",
  ignore: !hasNumpy,
  async fn() {
    const path = await scriptModel(
      "chatty",
      "from cmrxkit_model import serve\n" +
        "def f(inputs, info):\n    print('shape', inputs['zf'].shape)\n    return inputs['zf']\n" +
        "serve(f)\n",
    );
    await rejectsNaming(
      () => reconstructWith(path),
      path,
      /model chatty: the program .* wrote "shape \(3, 32, 40, 2\)" to stdout, not a JSON result message \(stdout is the protocol's: log to stderr\)/,
    );
  },
});

Deno.test({
  name: "an error reply: the program's message, naming the manifest",
  ignore: !hasNumpy,
  async fn() {
    const path = await scriptModel(
      "raises",
      "from cmrxkit_model import serve\n" +
        "def f(inputs, info):\n    raise RuntimeError('CUDA out of memory')\n" +
        "serve(f)\n",
    );
    await rejectsNaming(
      () => reconstructWith(path),
      path,
      /model raises \(.*model\.py"\]\) failed on call 1: RuntimeError: CUDA out of memory/,
    );
  },
});

Deno.test({
  name: "a wrong output shape is a ShapeError from the output check, axes named",
  ignore: !hasNumpy,
  async fn() {
    const path = await processModel("transposed", example(1, { CMRX_EXAMPLE_TRANSPOSE: "1" }));
    await rejectsNaming(
      () => reconstructWith(path),
      path,
      /output 'image' has dims \[3, 40, 32, 2\]; its layout T,Y,X,2 expects \[3, 32, 40, 2\]/,
      ShapeError,
    );
  },
});

Deno.test({
  name: "submit with a process model that fails its probe writes nothing",
  ignore: !hasNumpy,
  async fn() {
    const data = `${root}/data-probe`;
    await synthesize({ out: data, size: "small", seed: 6, patients: 1, splits: ["validation"] });
    const path = await processModel("probe-fails", example(1, { CMRX_EXAMPLE_TRANSPOSE: "1" }));
    const out = `${root}/out-probe`;
    await assert.rejects(
      submitWithModels({
        input: data,
        output: out,
        task: "cine",
        split: "validation",
        acc: [4],
        model: path,
        workers: 1,
        engine: { device: "cpu" },
      }),
      (e: unknown) => {
        assert.ok(e instanceof PreflightError, String(e));
        assert.equal(e.file, path);
        assert.match(
          e.message,
          /model probe-fails cannot run the size 96x(72|64), .*: .*output 'image' has dims \[12, 96, /,
        );
        return true;
      },
    );
    assert.equal(await Deno.stat(out).then(() => true, () => false), false);
  },
});

Deno.test("deno task models lists a process model with its command (no .onnx to stat)", async () => {
  const dir = `${root}/listing`;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(
    `${dir}/listed-proc.json`,
    JSON.stringify(manifest("listed-proc", { process: { command: ["python3", "team.py"] } })),
  );
  const { models } = await import("../../cli/models.ts");
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => void lines.push(a.join(" "));
  try {
    assert.equal(await models.run(["--models", dir]), 0);
  } finally {
    console.log = log;
  }
  assert.ok(lines.includes("  listed-proc  (process python3 team.py)"), lines.join("\n"));
});
