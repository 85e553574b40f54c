import assert from "node:assert/strict";
import { TREES } from "../../src/challenge/discovery/mod.ts";
import { discover } from "../../src/challenge/layout.ts";
import { LayoutError } from "../../src/errors.ts";
import { readMatVar } from "../../src/mat/read.ts";
import { GEOMETRY } from "../../src/synth/dataset.ts";
import { SITES_2025, synthesizeEdition } from "../../src/synth/editions.ts";

const tmp = await Deno.makeTempDir({ prefix: "cmrxkit-disc25-" });
globalThis.addEventListener("unload", () => Deno.removeSync(tmp, { recursive: true }));
const common = { size: "small" as const, patients: 2, coils: 2, tasks: ["cine" as const] };
const D24 = `${tmp}/d24`;
const D25 = `${tmp}/d25`;
await synthesizeEdition({ edition: 2024, out: D24, seed: 2, ...common });
await synthesizeEdition({
  edition: 2025,
  out: D25,
  seed: 2,
  tasks2025: ["TaskR1", "TaskR2"],
  ...common,
});

Deno.test("discovery: a synthetic 2024 tree, validation cases with kus, masks 2-D (Task1) and 3-D (Task2)", async () => {
  const { cases, ignored, problems } = await discover(D24, { split: "validation" });
  assert.deepEqual(problems, []);
  assert.deepEqual(ignored, []);
  // 2 patients x 2 stems x (3 Uniform + 3 kt patterns)
  assert.equal(cases.length, 24);
  assert.ok(
    cases.every((c) => c.year === 2024 && c.variable === "kus" && c.maskVariable === "mask"),
  );
  const g = GEOMETRY.small.cine_sax;
  for (const c of cases.filter((c) => c.name === "cine_sax" && c.patient === "P001")) {
    const m = await readMatVar(c.maskFile!, "mask");
    const task1 = c.accFolder === "UnderSample_Task1";
    assert.equal(task1, c.pattern === "Uniform");
    assert.deepEqual(m.dims, task1 ? [g.nx, g.ny] : [g.nx, g.ny, g.nframes]);
    const task = task1 ? "Task1" : "Task2";
    assert.equal(c.submissionPath, `Cine/ValidationSet/${task}/P001/${c.file.split("/").pop()}`);
  }
  assert.deepEqual(
    [...new Set(cases.map((c) => c.pattern))].sort(),
    ["Uniform", "ktGaussian", "ktRadial", "ktUniform"],
  );
  // Training: FullSample references (kspace_full); the Mask_TaskN folders are known, not ignored.
  const train = await discover(D24, { split: "training", fullSample: true });
  assert.equal(train.cases.length, 4);
  assert.ok(train.cases.every((c) => c.year === 2024 && c.variable === "kspace_full"));
  assert.deepEqual(train.ignored, []);
  // --acc narrows by the R in the file name.
  const r4 = await discover(D24, { split: "validation", acc: [4] });
  assert.ok(r4.cases.length >= 4 && r4.cases.every((c) => c.acc === 4));
});

Deno.test("discovery: a synthetic 2025 tree, task folders above MultiCoil, centre/vendor levels", async () => {
  const { cases, ignored, problems } = await discover(D25, { split: "validation" });
  assert.deepEqual(problems, []);
  assert.deepEqual(ignored, []);
  // 2 tasks x 2 patients x 2 stems, each file at one pattern and R
  assert.equal(cases.length, 8);
  for (const c of cases) {
    assert.equal(c.year, 2025);
    assert.equal(c.variable, "kus");
    assert.equal(c.maskVariable, "mask");
    const task = /UnderSample_(Task\w+)$/.exec(c.accFolder)![1];
    const site = SITES_2025[Number(c.patient.slice(1)) - 1];
    assert.equal(c.center, site.center);
    assert.equal(c.vendor, site.vendor);
    const rel =
      `${task}/MultiCoil/Cine/ValidationSet/UnderSample_${task}/${site.center}/${site.vendor}/${c.patient}`;
    assert.equal(c.file, `${D25}/${rel}/${c.file.split("/").pop()}`);
    assert.equal(c.submissionPath, `${rel}/${c.file.split("/").pop()}`);
    assert.equal(c.infoFile, `${D25}/${rel}/${c.name}_info.csv`);
    assert.ok(c.maskFile!.includes(`/Mask_${task}/${site.center}/${site.vendor}/${c.patient}/`));
    const m = await readMatVar(c.maskFile!, "mask");
    const g = GEOMETRY.small[c.name as "cine_sax"];
    assert.deepEqual(m.dims, [g.nx, g.ny, g.nframes]);
  }
  assert.deepEqual(
    [...new Set(cases.map((c) => c.accFolder))].sort(),
    ["UnderSample_TaskR1", "UnderSample_TaskR2"],
  );
  assert.deepEqual([...new Set(cases.map((c) => c.pattern))].sort(), [
    "Uniform",
    "ktGaussian",
    "ktRadial",
  ]);
  // Training (shared by the tasks, no task folder): FullSample with kspace.
  const train = await discover(D25, { split: "training", fullSample: true });
  assert.equal(train.cases.length, 4);
  assert.ok(train.cases.every((c) => c.year === 2025 && c.variable === "kspace" && c.infoFile));
  assert.deepEqual(train.ignored, []);
  // A task folder given as the root.
  const r1 = await discover(`${D25}/TaskR1`, { split: "validation" });
  assert.equal(r1.cases.length, 4);
});

Deno.test("discovery: a tree that matches no edition lists what each edition expects", async () => {
  const bad = `${tmp}/bad`;
  await Deno.mkdir(`${bad}/MultiCoil/Cine/ValidationSet/Weird/P001`, { recursive: true });
  await Deno.writeFile(`${bad}/MultiCoil/Cine/ValidationSet/Weird/P001/x.mat`, new Uint8Array());
  const none = `${tmp}/none`;
  await Deno.mkdir(`${none}/Cine`, { recursive: true });
  for (const root of [bad, none]) {
    const err = await discover(root).then(() => null, (e) => e);
    assert.ok(err instanceof LayoutError, String(err));
    const text = `${err.message} ${err.hint}`;
    for (const t of TREES) {
      assert.ok(text.includes(`${t.expects} (${t.year})`), `${t.year}: ${text}`);
    }
    assert.ok(text.includes("UnderSample_TaskR1/Center001/"), text);
  }
});
