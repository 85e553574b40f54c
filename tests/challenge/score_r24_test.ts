/**
 * R = 24 (papers 000 and 002: the 2023 sampling with a gap of 24 outside the 24 ACS lines) and
 * the SingleCoil track through `scoreSubmission` without an explicit `accs`.
 */
import assert from "node:assert/strict";
import { discover } from "../../src/challenge/layout.ts";
import { run4Ranking } from "../../src/challenge/reduce.ts";
import { scoreSubmission } from "../../src/challenge/score.ts";
import { kspaceGeometry } from "../../src/kspace/geometry.ts";
import { openMat } from "../../src/mat/read.ts";
import { writeMatV5 } from "../../src/mat/v5/write.ts";
import { zeroFilledRss } from "../../src/kspace/zerofill.ts";
import { synthesize } from "../../src/synth/dataset.ts";

const root = await Deno.makeTempDir({ prefix: "cmrxkit-score24-" });
globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(root, { recursive: true });
  } catch { /* gone */ }
});
const D = `${root}/data`;
await synthesize({
  out: D,
  size: "small",
  seed: 5,
  patients: 1,
  tasks: ["cine"],
  splits: ["validation"],
  accs: [4, 24],
  tracks: ["MultiCoil", "SingleCoil"],
});

/** A zero-filled, reduced submission of every validation case (both coil tracks). */
async function zeroFilledSubmission(dir: string) {
  const { cases } = await discover(D, { split: "validation" });
  for (const c of cases) {
    using mat = await openMat(c.file);
    const g = kspaceGeometry(mat.info(c.variable), c.file, c.coil === "SingleCoil");
    const { nx, ny, nc, nz, nt } = g;
    const img = new Float32Array(nx * ny * nz * nt);
    for (let z = 0; z < nz; z++) {
      for (let t = 0; t < nt; t++) {
        const s = g.single
          ? mat.readSlab(c.variable, [, , z, t])
          : mat.readSlab(c.variable, [, , , z, t]);
        img.set(zeroFilledRss(s.data as Float32Array, [nx, ny, nc]), nx * ny * (z + nz * t));
      }
    }
    const r = run4Ranking(img, [nx, ny, nz, nt], 2023, c.name, false);
    const p = `${dir}/Submission/${c.submissionPath}`;
    await Deno.mkdir(p.slice(0, p.lastIndexOf("/")), { recursive: true });
    await writeMatV5(p, [{
      name: "img4ranking",
      array: { dims: r.dims, matClass: "single", complex: false, data: r.data },
    }]);
  }
  return cases;
}

const ZF = `${root}/zf`;
const cases = await zeroFilledSubmission(ZF);

Deno.test("score: AccFactor24 folders of a submission are scored without --acc (and 08/10 still expected)", async () => {
  assert.ok(cases.some((c) => c.acc === 24 && c.accFolder === "AccFactor24"));
  const r = await scoreSubmission({ submission: ZF, truth: `${D}/GroundTruth`, labels: false });
  const scored = r.files.filter((f) => f.file.includes("/AccFactor24/"));
  assert.equal(scored.length, 4, "2 cine files x 2 coil tracks at R = 24");
  assert.ok(r.aggregate.cine!.byAcc.AccFactor24, "an AccFactor24 group");
  assert.ok(Number.isFinite(r.aggregate.cine!.byAcc.AccFactor24.ssim));
  // The official default accelerations are still expected: 08 and 10 are missing.
  assert.equal(r.missing.length, 2 * 2 * 2);
  assert.ok(r.missing.every((m) => /AccFactor(08|10)/.test(m)));
});

Deno.test("score: --acc 4,24 scores both coil tracks, the better of the two per group", async () => {
  const r = await scoreSubmission({
    submission: ZF,
    truth: `${D}/GroundTruth`,
    accs: [4, 24],
    labels: false,
  });
  assert.equal(r.missing.length, 0);
  assert.equal(r.incomplete, false);
  assert.equal(r.files.length, 8);
  assert.deepEqual([...new Set(r.files.map((f) => f.file.split("/")[0]))].sort(), [
    "MultiCoil",
    "SingleCoil",
  ]);
  for (const f of r.files) assert.ok(Number.isFinite(f.ssim) && Number.isFinite(f.psnr), f.file);
  const agg = r.aggregate.cine!;
  assert.deepEqual(Object.keys(agg.byAcc).sort(), ["AccFactor04", "AccFactor24"]);
  for (const acc of [4, 24]) {
    const g = r.groups.filter((x) => x.acc === acc && x.view === "sax");
    assert.equal(g.length, 2);
    const best = Math.max(...g.map((x) => x.ssim));
    const lax = r.groups.filter((x) => x.acc === acc && x.view === "lax");
    const bestLax = Math.max(...lax.map((x) => x.ssim));
    const key = `AccFactor${String(acc).padStart(2, "0")}`;
    // The aggregate is rounded to 4 decimals.
    assert.ok(Math.abs(agg.byAcc[key].ssim - (best + bestLax) / 2) < 1e-4);
  }
});

Deno.test("score: a single-coil-only submission expects only the SingleCoil track (both are optional)", async () => {
  const only = `${root}/single-only`;
  await Deno.mkdir(`${only}/Submission`, { recursive: true });
  await Deno.rename(`${ZF}/Submission/SingleCoil`, `${only}/Submission/SingleCoil`);
  try {
    const r = await scoreSubmission({
      submission: only,
      truth: `${D}/GroundTruth`,
      accs: [4, 24],
      labels: false,
    });
    assert.deepEqual(r.missing, []);
    assert.equal(r.incomplete, false);
    assert.equal(r.files.length, 4);
    assert.ok(r.files.every((f) => f.file.startsWith("SingleCoil/")));
    assert.ok(r.groups.every((g) => g.coil === "SingleCoil"));
    assert.ok(Number.isFinite(r.aggregate.cine!.ssim));
  } finally {
    await Deno.rename(`${only}/Submission/SingleCoil`, `${ZF}/Submission/SingleCoil`);
  }
});
