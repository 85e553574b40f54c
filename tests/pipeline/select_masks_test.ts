/**
 * Issue 22, automatic selection and mask kinds: a manifest's `serves.masks` (absent:
 * `["uniform"]`, the 2023 line masks every shipped model was trained on), the case's mask
 * kind from its file name's pattern, no model given a k-t case it does not serve, L+S as the
 * classical default for k-t masks (GRAPPA for multi-coil line masks as before), the reason in
 * the run log, and `submit` without `--model` on a 2024 tree writing every case.
 */
import assert from "node:assert/strict";
import type { Case } from "../../src/challenge/case.ts";
import { discover } from "../../src/challenge/layout.ts";
import { CmrxError, UsageError } from "../../src/errors.ts";
import { ktMask } from "../../src/kspace/masks_kt.ts";
import { checkManifest, type ModelManifest } from "../../src/models/manifest.ts";
import {
  type ModelEntry,
  type ModelKey,
  serves,
  unservedReason,
} from "../../src/models/registry.ts";
import { PreflightError, refuseUnserved, unservedCases } from "../../src/pipeline/preflight.ts";
import { submitWithModels } from "../../src/pipeline/run.ts";
import { chooseModel, maskKindOf, modelKey } from "../../src/pipeline/select.ts";
import { defaultMethodFor, getMethod } from "../../src/recon/registry.ts";
import { synthesizeEdition } from "../../src/synth/editions.ts";
import { submitCommand } from "../../cli/submit.ts";

const tmp = await Deno.makeTempDir({ prefix: "cmrxkit-selmasks-" });
globalThis.addEventListener("unload", () => Deno.removeSync(tmp, { recursive: true }));

/** A checked-shape manifest serving cine sax/lax multi-coil at any acceleration. */
function manifest(name: string, extra: Partial<ModelManifest["serves"]> = {}): ModelManifest {
  return {
    format: 1,
    name,
    file: `${name}.onnx`,
    description: "test",
    inputs: [{ name: "k", role: "kspace", layout: "B,T,C,Y,X,2" }],
    output: { name: "img", role: "image", layout: "B,T,Y,X" },
    feeder: { kind: "sequence" },
    normalization: { kind: "none" },
    serves: { tasks: ["cine"], views: ["sax", "lax"], accelerations: [], coils: [], ...extra },
  };
}

const entry = (m: ModelManifest): ModelEntry => ({
  manifest: m,
  manifestPath: `/nowhere/${m.name}.json`,
  onnxPath: `/nowhere/${m.name}.onnx`,
});

const line: ModelKey = { task: "cine", view: "sax", acc: 8, coil: "MultiCoil" };
const kt = (mask: ModelKey["mask"]): ModelKey => ({ ...line, mask });
const nameOf = (m: ModelEntry | string) => typeof m === "string" ? m : m.manifest.name;

Deno.test("manifest: serves.masks is optional and checked with a clear error", () => {
  checkManifest(manifest("a"), "a.json");
  checkManifest(manifest("b", { masks: ["uniform", "ktGaussian", "ktRadial"] }), "b.json");
  for (const bad of [[], ["radial"], "ktRadial", [4]]) {
    const m = manifest("c", { masks: bad as unknown as ModelManifest["serves"]["masks"] });
    assert.throws(() => checkManifest(m, "/m/c.json"), (e: Error) => {
      assert.ok(e instanceof CmrxError);
      assert.match(e.message, /c\.json: manifest field 'serves\.masks' must list the mask kinds/);
      assert.match(e.message, /uniform, ktUniform, ktGaussian, ktRadial/);
      return true;
    });
  }
});

Deno.test("registry: a manifest without serves.masks serves the 2023 line masks only", () => {
  const old = manifest("old");
  assert.equal(serves(old, line), true);
  assert.equal(serves(old, kt("uniform")), true);
  for (const k of ["ktUniform", "ktGaussian", "ktRadial"] as const) {
    assert.equal(serves(old, kt(k)), false);
    assert.equal(
      unservedReason(old, kt(k)),
      `${k} masks (manifest serves.masks = [uniform] when absent)`,
    );
  }
  const ktModel = manifest("kt", { masks: ["ktGaussian"] });
  assert.equal(serves(ktModel, kt("ktGaussian")), true);
  assert.equal(serves(ktModel, line), false);
  assert.equal(
    unservedReason(ktModel, line),
    "uniform masks (manifest serves.masks = [ktGaussian])",
  );
});

Deno.test("a case's mask kind comes from its pattern", () => {
  assert.equal(maskKindOf("Uniform"), "uniform");
  assert.equal(maskKindOf("ktGaussian"), "ktGaussian");
  assert.equal(maskKindOf("ktradial"), "ktRadial");
  assert.equal(maskKindOf(""), undefined);
  const c = { task: "cine", view: "sax", acc: 8, coil: "MultiCoil", pattern: "ktUniform" } as Case;
  assert.deepEqual(modelKey(c), { ...line, mask: "ktUniform" });
  assert.deepEqual(modelKey({ ...c, pattern: "" }), line);
});

Deno.test("automatic selection: a k-t case never gets a 2023 model; L+S is its classical default", async () => {
  const models = [entry(manifest("crnn")), entry(manifest("skip", {}))];
  models[1].manifest.auto = false;
  // a line-pattern case: the model, as before
  assert.equal(nameOf((await chooseModel(line, { models })).model), "crnn");
  assert.equal(nameOf((await chooseModel(kt("uniform"), { models })).model), "crnn");
  // k-t cases: L+S, the reason naming the mask kind and the model left out
  for (const k of ["ktUniform", "ktGaussian", "ktRadial"] as const) {
    const ch = await chooseModel(kt(k), { models });
    assert.equal(ch.model, "lps");
    assert.equal(ch.model, defaultMethodFor("MultiCoil", k));
    assert.match(ch.reason, new RegExp(`^no ONNX model serves this case \\(crnn: not ${k} masks`));
    assert.match(ch.reason, /lps, the best classical method on k-t masks/);
    assert.doesNotMatch(ch.reason, /skip/); // auto: false is never a candidate
  }
  assert.match((await chooseModel(kt("ktRadial"), { models })).reason, /GRAPPA refuses it/);
  // no model at all: GRAPPA for multi-coil line masks, L+S for k-t and single-coil
  assert.deepEqual(await chooseModel(line, { models: [] }), {
    model: "grappa",
    reason: "no ONNX model serves this case",
  });
  assert.equal((await chooseModel(kt("ktGaussian"), { models: [] })).model, "lps");
  assert.equal((await chooseModel({ ...line, coil: "SingleCoil" }, { models: [] })).model, "lps");
  // a model that says it serves a k-t kind gets those cases
  const ktModels = [entry(manifest("ktnet", { masks: ["uniform", "ktGaussian"] }))];
  assert.equal(nameOf((await chooseModel(kt("ktGaussian"), { models: ktModels })).model), "ktnet");
  assert.equal((await chooseModel(kt("ktRadial"), { models: ktModels })).model, "lps");
});

Deno.test("--model grappa on a k-t case is kept, and GRAPPA refuses a ktRadial mask clearly", async () => {
  const ch = await chooseModel(kt("ktRadial"), { models: [], override: "grappa" });
  assert.deepEqual(ch, { model: "grappa", reason: "--model" });
  const [nx, ny, nc, nt] = [16, 24, 2, 3];
  const mask = ktMask({ pattern: "ktRadial", nx, ny, nt, acc: 4, acs: 4 });
  const kspace = new Float32Array(2 * nx * ny * nc * nt).fill(1);
  await assert.rejects(
    async () =>
      await getMethod("grappa").reconstruct({
        kspace,
        dims: [nx, ny, nc, nt],
        mask,
        maskDims: [nx, ny, nt],
        task: "cine",
      }),
    (e: Error) => e instanceof UsageError && /not a Cartesian line pattern/.test(e.message),
  );
});

const D24 = `${tmp}/d24`;
await synthesizeEdition({
  edition: 2024,
  out: D24,
  size: "small",
  patients: 1,
  coils: 4,
  seed: 3,
  tasks: ["cine"],
  splits: ["validation"],
});

async function quiet<T>(f: () => Promise<T>): Promise<T> {
  const log = console.log, err = console.error;
  console.log = () => {};
  console.error = () => {};
  try {
    return await f();
  } finally {
    console.log = log;
    console.error = err;
  }
}

Deno.test("submit without --model on a 2024 cine tree: GRAPPA for Task 1, L+S for k-t, every case written", async () => {
  const cases = (await discover(D24, { split: "validation" })).cases;
  const ktCases = cases.filter((c) => c.pattern.startsWith("kt"));
  assert.ok(ktCases.length > 0 && ktCases.length < cases.length);
  // a model that would serve every k-t case but for its mask kind, with a graph that cannot
  // load: the run would stop before writing anything if selection gave it a case
  const models = `${tmp}/models`;
  await Deno.mkdir(models);
  const accs = [...new Set(ktCases.map((c) => c.acc!))].filter((a) => ![4, 8, 10].includes(a));
  assert.ok(accs.length > 0);
  const m = manifest("old2023", { accelerations: accs });
  await Deno.writeTextFile(`${models}/old2023.json`, JSON.stringify(m));
  await Deno.writeTextFile(`${models}/old2023.onnx`, "not a graph");
  const s = await submitWithModels({
    input: D24,
    output: `${tmp}/out`,
    task: "cine",
    split: "validation",
    modelsDir: models,
    workers: 1,
  });
  assert.equal(s.failed.length, 0);
  assert.equal(s.written, cases.length);
  assert.equal(s.validation?.ok, true);
  const log = (await Deno.readTextFile(`${tmp}/out/run-log.jsonl`)).trim().split("\n")
    .map((l) => JSON.parse(l)).filter((e) => e.event === "case");
  assert.equal(log.length, cases.length);
  for (const e of log) {
    const k = /_kus_([A-Za-z]+?)\d+\.mat$/.exec(e.file)![1];
    if (k === "Uniform") {
      assert.equal(e.method, "grappa");
      assert.equal(e.why, "no ONNX model serves this case");
    } else {
      assert.equal(e.method, "lps", e.file);
      assert.match(e.why, new RegExp(`${k} masks change from frame to frame: lps`));
      if (accs.includes(e.acc)) assert.match(e.why, new RegExp(`old2023: not ${k} masks`));
    }
  }
});

Deno.test("the CLI: submit on a 2024 tree with no --model exits 0 (empty models folder)", async () => {
  const empty = `${tmp}/no-models`;
  await Deno.mkdir(empty);
  const code = await quiet(() =>
    submitCommand.run([
      "--input",
      D24,
      "--output",
      `${tmp}/cli-out`,
      "--task",
      "cine",
      "--split",
      "validation",
      "--models",
      empty,
      "--workers",
      "1",
    ])
  );
  assert.equal(code, 0);
});

Deno.test("--model naming a 2023 model on k-t cases is refused before the run, naming the mask kind", async () => {
  const cases = (await discover(D24, { split: "validation" })).cases;
  const e = entry(manifest("old2023"));
  const unserved = unservedCases(e, cases);
  assert.deepEqual(
    unserved.map((u) => u.case.submissionPath),
    cases.filter((c) => c.pattern.startsWith("kt")).map((c) => c.submissionPath),
  );
  assert.throws(() => refuseUnserved(e, unserved), (err: Error) => {
    assert.ok(err instanceof PreflightError);
    assert.match(err.message, /model old2023 does not serve kt(Uniform|Gaussian|Radial) masks/);
    return true;
  });
});
