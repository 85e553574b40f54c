/**
 * Issue 22, modalities beyond cine and mapping: `synthesizeEdition({ modalities })` writes the
 * other modality folders of 2024 (Aorta, Tagging, BlackBlood) and 2025 (T1w, LGE) from the
 * same phantom; discovery finds them (cine-like task), `submit` (zero-filled) reconstructs,
 * reduces with the edition's frame rule and writes them, `validate` accepts them and `score`
 * scores them in the year's per-modality groups. BlackBlood and T1w are 4-D
 * `(kx, ky, coil, slice)` files without frames, reduced to one frame.
 */
import assert from "node:assert/strict";
import { discover } from "../../src/challenge/layout.ts";
import { scoreSubmission } from "../../src/challenge/score.ts";
import { validateSubmission } from "../../src/challenge/validate/mod.ts";
import { CmrxError } from "../../src/errors.ts";
import { openMat } from "../../src/mat/read.ts";
import { submit, type SubmitOptions } from "../../src/pipeline/submit.ts";
import { getMethod } from "../../src/recon/registry.ts";
import { synthesizeEdition } from "../../src/synth/editions.ts";
import { synth as synthCommand } from "../../cli/synth.ts";

const tmp = await Deno.makeTempDir({ prefix: "cmrxkit-modalities-" });
globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(tmp, { recursive: true });
  } catch { /* gone */ }
});
const D24 = `${tmp}/d24`, D25 = `${tmp}/d25`;
const common = {
  size: "small" as const,
  patients: 1,
  coils: 2,
  seed: 5,
  tasks: [],
  splits: ["validation" as const],
};
await synthesizeEdition({
  edition: 2024,
  out: D24,
  modalities: ["Aorta", "Tagging", "BlackBlood"],
  ...common,
});
await synthesizeEdition({
  edition: 2025,
  out: D25,
  modalities: ["T1w", "LGE", "T1mappost"],
  tasks2025: ["TaskR1"],
  ...common,
});

const zf = getMethod("zerofill");
const base = (input: string, output: string): SubmitOptions => ({
  input,
  output,
  task: "both",
  split: "validation",
  select: () => zf,
  workers: 1,
});

/** MATLAB round (half away from zero), for positive sizes. */
const mround = (x: number) => Math.floor(x + 0.5);

/** Counts per key. */
function counts(keys: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of keys) out[k] = (out[k] ?? 0) + 1;
  return out;
}

Deno.test("2024 modalities: synth writes Aorta/Tagging/BlackBlood (BlackBlood 4-D); discovery counts per modality", async () => {
  const { cases, problems } = await discover(D24, { split: "validation" });
  assert.deepEqual(problems, []);
  // per stem: Task 1 at Uniform 4/8/10, Task 2 one R per kt pattern: 6 files
  assert.deepEqual(counts(cases.map((c) => c.modality)), { Aorta: 12, BlackBlood: 6, Tagging: 6 });
  assert.deepEqual(counts(cases.map((c) => c.name)), {
    aorta_sag: 6,
    aorta_tra: 6,
    blackblood: 6,
    tagging: 6,
  });
  assert.ok(cases.every((c) => c.task === "cine")); // every folder but Mapping is cine-like
  const bb = cases.find((c) => c.name === "blackblood")!;
  using k = await openMat(bb.file);
  assert.deepEqual(k.info("kus").dims, [96, 72, 2, 3]); // (kx, ky, coil, slice): no frames
  using gt = await openMat(
    `${D24}/GroundTruth/MultiCoil/BlackBlood/ValidationSet/FullSample/P001/blackblood.mat`,
  );
  assert.deepEqual(gt.info("kspace_full").dims, [96, 72, 2, 3]);
  using mk = await openMat(bb.maskFile!);
  assert.equal(mk.info("mask").dims.length, 2); // one frame: one (kx, ky) plane
  using t = await openMat(cases.find((c) => c.name === "tagging")!.file);
  assert.deepEqual(t.info("kus").dims, [96, 72, 2, 3, 6]);
});

Deno.test("2024 modalities: submit (zerofill) -> validate -> score, blackblood reduced to one frame", async () => {
  const out = `${tmp}/o24`;
  const s = await submit(base(D24, out));
  assert.deepEqual(s.failed, []);
  assert.equal(s.written, 24);
  assert.ok(s.validation?.ok, JSON.stringify(s.validation?.problems));
  const { cases } = await discover(D24, { split: "validation" });
  for (const c of cases) {
    assert.match(c.submissionPath, /^(Aorta|Tagging|BlackBlood)\/ValidationSet\/Task[12]\/P001\//);
    using m = await openMat(`${out}/Submission/${c.submissionPath}`);
    const dims = m.info("img4ranking").dims;
    // 3 slices -> the 2 central ones; blackblood: 1 frame (3-D); others: the first 3 frames
    const nz = 2;
    const [nx, ny] = c.name.startsWith("aorta") ? [96, 64] : [96, 72];
    const want = c.name === "blackblood"
      ? [mround(nx / 3), mround(ny / 2), nz]
      : [mround(nx / 3), mround(ny / 2), nz, 3];
    assert.deepEqual(dims, want, c.submissionPath);
  }
  const v = await validateSubmission(out, { input: D24, task: "both", year: 2024 });
  assert.ok(v.ok, JSON.stringify(v.problems));

  const r = await scoreSubmission({
    submission: `${out}/Submission`,
    truth: `${D24}/GroundTruth`,
    year: 2024,
  });
  assert.equal(r.missing.length + r.malformed.length, 0);
  assert.equal(r.files.length, 24);
  for (const f of r.files) assert.ok(f.ssim > 0 && f.ssim < 1 && Number.isFinite(f.psnr), f.file);
  const [t1, t2] = r.edition!.results;
  assert.equal(t1.keys["num_file_Aorta_Uniform4"], "2/2");
  assert.equal(t1.keys["num_file_Tagging_Uniform8"], "1/1");
  assert.equal(t1.keys["num_file_BlackBlood_Uniform10"], "1/1");
  assert.equal(typeof t1.keys["BlackBlood_Uniform10_SSIM"], "number");
  assert.equal(t1.keys["Num_Files"], "12/12");
  // the 2024 scorer's Task 2 groups are Tagging, Mapping, Cine and Aorta (no BlackBlood)
  assert.equal(t2.keys["num_file_Aorta_ktRadial"], "2/2");
  assert.equal(typeof t2.keys["Tagging_ktGaussian_SSIM"], "number");
  assert.equal(t2.keys["num_file_BlackBlood_ktRadial"], undefined);
});

Deno.test("2025 modalities: T1w (4-D) and LGE through synth -> submit (zerofill) -> validate -> score", async () => {
  const { cases, problems } = await discover(D25, { split: "validation" });
  assert.deepEqual(problems, []);
  assert.deepEqual(counts(cases.map((c) => c.modality)), { LGE: 1, Mapping: 1, T1w: 1 });
  assert.equal(cases.find((c) => c.name === "T1mappost")!.task, "mapping");
  const t1w = cases.find((c) => c.name === "T1w")!;
  {
    using k = await openMat(t1w.file);
    assert.deepEqual(k.info("kus").dims, [96, 72, 2, 3]);
  }
  const out = `${tmp}/o25`;
  const s = await submit(base(D25, out));
  assert.deepEqual(s.failed, []);
  assert.equal(s.written, 3);
  assert.ok(s.validation?.ok, JSON.stringify(s.validation?.problems));
  for (const c of cases) {
    assert.match(
      c.submissionPath,
      /^TaskR1\/MultiCoil\/(T1w|LGE|Mapping)\/ValidationSet\/UnderSample_TaskR1\/Center001\//,
    );
    using m = await openMat(`${out}/Submission/${c.submissionPath}`);
    // T1w: single-frame rule, (x, y, 2 slices); LGE: first min(3, t) = 3 frames; T1mappost:
    // every weighting (9), 2 slices of 96 x 64
    const want = { T1w: [32, 36, 2], lge: [32, 36, 2, 3], T1mappost: [32, 32, 2, 9] }[c.name];
    assert.deepEqual(m.info("img4ranking").dims, want, c.name);
  }
  const v = await validateSubmission(out, { input: D25, task: "both", year: 2025 });
  assert.ok(v.ok, JSON.stringify(v.problems));
  const r = await scoreSubmission({
    submission: `${out}/Submission`,
    truth: `${D25}/GroundTruth`,
    year: 2025,
  });
  assert.equal(r.missing.length + r.malformed.length, 0);
  assert.equal(r.files.length, 3);
  for (const f of r.files) assert.ok(f.ssim > 0 && f.ssim < 1, f.file);
  const res = r.edition!.results;
  assert.deepEqual(res.map((x) => x.task), ["TaskR1"]);
  assert.ok(Number.isFinite(res[0].main.ssim));
});

Deno.test("synth --modalities: the CLI writes the listed modalities (any case); unknown ones and 2023 are refused", async () => {
  const out = `${tmp}/cli24`;
  const log = console.log;
  console.log = () => {};
  try {
    const args = ["--out", out, "--edition", "2024", "--patients", "1", "--task", "mapping"];
    const code = await synthCommand.run([
      ...args,
      "--no-validation",
      "--modalities",
      "blackblood,LVOT",
    ]);
    assert.equal(code, 0);
  } finally {
    console.log = log;
  }
  const full = `${out}/MultiCoil/%s/TrainingSet/FullSample/P001`;
  const names = async (m: string) =>
    (await Array.fromAsync(Deno.readDir(full.replace("%s", m)))).map((e) => e.name).sort();
  assert.deepEqual(await names("BlackBlood"), ["blackblood.mat"]);
  assert.deepEqual(await names("Cine"), ["cine_lvot.mat"]);
  assert.deepEqual(await names("Mapping"), ["T1map.mat", "T2map.mat"]);
  await assert.rejects(
    () => synthCommand.run(["--out", `${tmp}/bad1`, "--edition", "2025", "--modalities", "Aorta"]),
    (e) => e instanceof CmrxError && /--modalities must be .*LGE.*got 'Aorta'/s.test(e.message),
  );
  await assert.rejects(
    () => synthCommand.run(["--out", `${tmp}/bad2`, "--modalities", "Aorta"]),
    (e) => e instanceof CmrxError && /2024 or 2025/.test(e.message),
  );
  await assert.rejects(
    () =>
      synthesizeEdition({ edition: 2025, out: `${tmp}/bad3`, modalities: ["Aorta"], ...common }),
    (e) => e instanceof CmrxError && /no modality 'Aorta'.*2025/.test(e.message),
  );
});
