import assert from "node:assert/strict";
import { EDITION_2023 } from "../../src/challenge/editions/mod.ts";
import { discover } from "../../src/challenge/layout.ts";
import { openCase, readPlan } from "../../src/challenge/plan.ts";
import { reductionPlan } from "../../src/challenge/reduce.ts";
import { CmrxError } from "../../src/errors.ts";
import { writeMatV5 } from "../../src/mat/v5/write.ts";
import { synthesize } from "../../src/synth/dataset.ts";

// The case plan: one header read gives the variable, geometry, the reduction or full size,
// the slices to reconstruct, the img4ranking dims and the submission path.

const root = await Deno.makeTempDir({ prefix: "cmrxkit-plan-" });
const data = `${root}/data`;
await synthesize({
  out: data,
  size: "small",
  seed: 3,
  patients: 1,
  splits: ["validation", "test"],
});

Deno.test("plan: a validation case reconstructs the two ranking slices and submits the reduction", async () => {
  const { cases } = await discover(data, { split: "validation", task: "cine", acc: [4] });
  const sax = cases.find((c) => c.view === "sax")!;
  using opened = await openCase(sax, "validation", EDITION_2023);
  const { plan } = opened;
  assert.equal(plan.variable, "kspace_sub04");
  const g = plan.geometry;
  assert.deepEqual(plan.imageDims, [g.nx, g.ny, g.nz, g.nt]);
  const expected = reductionPlan(2023, plan.imageDims, "cine_sax", false);
  assert.deepEqual(plan.reduction, expected);
  assert.deepEqual(plan.slices, expected.slices);
  assert.equal(plan.slices.length, 2);
  assert.deepEqual(plan.dims, expected.dims);
  assert.equal(plan.submissionPath, sax.submissionPath);
  // the file stays open for the data
  assert.deepEqual(opened.mat.info(plan.variable).dims.slice(0, 2), [g.nx, g.ny]);
});

Deno.test("plan: a test case reconstructs every slice and submits the full-size image", async () => {
  const { cases } = await discover(data, { split: "test", task: "mapping", acc: [8] });
  const t1 = cases.find((c) => c.view === "T1")!;
  const plan = await readPlan(t1, "test", EDITION_2023);
  assert.equal(plan.reduction, null);
  assert.deepEqual(plan.slices, Array.from({ length: plan.geometry.nz }, (_, i) => i));
  const full = [...plan.imageDims];
  while (full.length > 2 && full[full.length - 1] === 1) full.pop();
  assert.deepEqual(plan.dims, full);
});

Deno.test("plan: a file without its k-space variable is an error naming the file", async () => {
  const { cases } = await discover(data, { split: "validation", task: "cine", acc: [8] });
  const lax = { ...cases.find((c) => c.view === "lax")! };
  lax.file = `${root}/not-kspace.mat`;
  await writeMatV5(lax.file, [{
    name: "other",
    array: { dims: [4, 4], matClass: "double", complex: false, data: new Float64Array(16) },
  }]);
  await assert.rejects(() => readPlan(lax, "validation", EDITION_2023), (e: unknown) => {
    assert.ok(e instanceof CmrxError);
    assert.ok(e.message.startsWith(lax.file), e.message);
    return true;
  });
});

globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(root, { recursive: true });
  } catch { /* gone */ }
});
