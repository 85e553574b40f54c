import assert from "node:assert/strict";
import { gzipSync } from "fflate";
import { reportError } from "../../cli/print.ts";
import { maps } from "../../cli/maps.ts";
import { discover, fullSamplePath } from "../../src/challenge/layout.ts";
import { scoreSubmission } from "../../src/challenge/score.ts";
import { referenceImage } from "../../src/challenge/truth.ts";
import { submissionFolder, writeImg4Ranking } from "../../src/challenge/submission.ts";
import { mapsPath } from "../../src/challenge/maps/case_maps.ts";
import { readMappingCsv } from "../../src/challenge/maps/csv.ts";
import { MYOCARDIUM } from "../../src/challenge/maps/labels.ts";
import { openMat } from "../../src/mat/read.ts";
import { submit } from "../../src/pipeline/submit.ts";
import { getMethod } from "../../src/recon/registry.ts";
import { synthesize } from "../../src/synth/dataset.ts";

const root = await Deno.makeTempDir({ prefix: "cmrxkit-mapping-" });
const data = `${root}/data`;
await synthesize({
  out: data,
  size: "small",
  seed: 17,
  patients: 1,
  tasks: ["mapping"],
  splits: ["validation", "test"],
  accs: [4, 10],
});
globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));
const zf = getMethod("zerofill");
const out = `${root}/out`;
const summary = await submit({
  input: data,
  output: out,
  task: "mapping",
  split: "validation",
  select: () => zf,
  maps: true,
});
const labelDir = `${data}/Labels/MultiCoil/Mapping/ValidationSet/P001`;

/** `deno task maps ARGS` as cli/main.ts runs it: the exit code, errors printed. */
async function mapsCli(...args: string[]): Promise<number> {
  try {
    return await maps.run(args);
  } catch (e) {
    return reportError(e);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

Deno.test("submit --task mapping: T1 and T2 files of every acceleration, all weightings kept", async () => {
  assert.equal(summary.written, 4);
  assert.deepEqual(summary.failed, []);
  assert.ok(summary.validation?.ok);
  const { cases } = await discover(data, { split: "validation", task: "mapping" });
  for (const c of cases) {
    using m = await openMat(`${submissionFolder(out)}/${c.submissionPath}`);
    assert.deepEqual(
      m.info("img4ranking").dims,
      c.name === "T1map" ? [32, 32, 2, 9] : [32, 32, 2, 3],
    );
  }
});

Deno.test("submit --maps writes MAT maps beside the submission; T1/T2 match the phantom in the myocardium", async () => {
  const { cases } = await discover(data, { split: "validation", task: "mapping", acc: [4] });
  for (const c of cases) {
    const path = mapsPath(out, c.submissionPath);
    assert.ok(path.startsWith(`${out}/Maps/MultiCoil/Mapping/ValidationSet/AccFactor04/`));
    using m = await openMat(path);
    const kind = c.name === "T1map" ? "T1" : "T2";
    const map = m.read(kind);
    assert.deepEqual(map.dims, [96, 64, 2]);
    assert.deepEqual(Array.from(m.read("slices").data), [1, 2]);
    const csv = await readMappingCsv(c.csvFile!);
    const nw = kind === "T1" ? 9 : 3;
    assert.deepEqual(
      Array.from(m.read("times").data.subarray(nw, 2 * nw)),
      (csv.columns[1] ?? csv.columns[0]).slice(0, nw),
    );
    using lm = await openMat(`${labelDir}/${c.name}_label.mat`);
    const label = lm.read("label").data, truth = lm.read(kind).data;
    const errs: number[] = [];
    for (let i = 0; i < label.length; i++) {
      if (label[i] === MYOCARDIUM) errs.push(Math.abs(map.data[i] - truth[i]) / truth[i]);
    }
    assert.ok(errs.length > 50, `${errs.length} myocardium pixels`);
    // Zero-filled R = 4 blurs blood into the thin myocardium (measured median errors: T1
    // ~5 %, T2 ~13 %); misplaced maps would be off by the blood/myocardium ratio (>50 %).
    assert.ok(median(errs) < 0.2, `${kind} median relative error ${median(errs)}`);
  }
  // Nothing extra inside Submission/ (the validator rejects extra files).
  assert.ok(summary.validation?.ok);
});

Deno.test("submit --maps on the test split fits every slice; a case without csv still submits", async () => {
  const copy = `${root}/nocsv`;
  await new Deno.Command("cp", { args: ["-r", data, copy] }).output();
  const { cases } = await discover(copy, { split: "test", task: "mapping", acc: [10] });
  const t2 = cases.find((c) => c.name === "T2map")!;
  await Deno.remove(t2.csvFile!);
  const events: { file: string; maps?: string; mapsError?: string }[] = [];
  const o = `${root}/test-out`;
  const s = await submit({
    input: copy,
    output: o,
    task: "mapping",
    split: "test",
    acc: [10],
    select: () => zf,
    maps: true,
    onCase: (e) => events.push(e),
  });
  assert.equal(s.written, 2);
  const t1e = events.find((e) => e.file.endsWith("T1map.mat"))!;
  using m = await openMat(t1e.maps!);
  assert.deepEqual(m.read("T1").dims, [96, 64, 2]);
  const t2e = events.find((e) => e.file.endsWith("T2map.mat"))!;
  assert.equal(t2e.maps, undefined);
  assert.match(t2e.mapsError!, /no T2map\.csv beside the k-space file/);
  await assert.rejects(Deno.stat(mapsPath(o, t2.submissionPath)), Deno.errors.NotFound);
});

Deno.test("score: map accuracy in the myocardium (synth labels): RMSE / MAE vs reference and truth", async () => {
  const r = await scoreSubmission({
    submission: out,
    truth: `${data}/GroundTruth`,
    task: "mapping",
  });
  assert.ok(r.maps, "labels found beside the truth");
  assert.equal(r.maps.labels, `${data}/Labels`);
  assert.deepEqual(r.maps.skipped, []);
  assert.equal(r.maps.files.length, 4);
  for (const f of r.maps.files) {
    assert.ok(f.pixels > 20, `${f.file}: ${f.pixels} pixels`);
    assert.ok(f.rmse > 0 && f.rmse >= f.mae && Number.isFinite(f.rmse));
    assert.ok(f.truth && f.truth.rmse > 0 && f.truth.pixels === f.pixels);
    assert.ok(f.labels.endsWith(`${f.kind}map_label.mat`));
  }
  assert.equal(r.maps.groups.length, 4);
  const t1r4 = r.maps.groups.find((g) => g.view === "T1" && g.acc === 4)!;
  const t1r10 = r.maps.groups.find((g) => g.view === "T1" && g.acc === 10)!;
  assert.ok(t1r4.rmseTruth! < t1r10.rmseTruth! * 1.5, "R4 not much worse than R10");
  assert.ok(t1r4.rmseTruth! < 200 && r.maps.groups.every((g) => g.rmseTruth! < 400));
  const none = await scoreSubmission({
    submission: out,
    truth: `${data}/GroundTruth`,
    task: "mapping",
    labels: false,
  });
  assert.equal(none.maps, undefined);
  await assert.rejects(
    scoreSubmission({ submission: out, truth: `${data}/GroundTruth`, labels: `${root}/nope` }),
    /nope: the labels folder does not exist/,
  );
});

Deno.test("score: the reference images as submission give zero map error; small error vs the phantom", async () => {
  const perfect = `${root}/perfect`;
  const { cases } = await discover(data, { split: "validation", task: "mapping" });
  for (const c of cases) {
    using gt = await openMat(fullSamplePath(c, `${data}/GroundTruth`));
    const ref = await referenceImage(gt, c, 2023, "validation");
    await writeImg4Ranking(submissionFolder(perfect), c.submissionPath, ref.data, ref.dims);
  }
  const r = await scoreSubmission({ submission: perfect, truth: `${data}/GroundTruth` });
  for (const f of r.maps!.files) {
    assert.equal(f.rmse, 0, f.file);
    // The fully sampled images fitted against the phantom's true maps (noise 1 %).
    const tol = f.kind === "T1" ? 60 : 6;
    assert.ok(f.truth!.rmse < tol, `${f.file}: ${f.kind} RMSE vs truth ${f.truth!.rmse} ms`);
  }
});

/** NIfTI-1 `.nii.gz` writer for the test: uint8 volume, dims (x, y, z), column-major. */
function niftiU8(dims: number[], data: ArrayLike<number>): Uint8Array {
  const hdr = new Uint8Array(352 + data.length);
  const v = new DataView(hdr.buffer);
  v.setInt32(0, 348, true);
  v.setInt16(40, 3, true);
  dims.forEach((d, i) => v.setInt16(42 + 2 * i, d, true));
  v.setInt16(70, 2, true); // uint8
  v.setInt16(72, 8, true);
  v.setFloat32(108, 352, true);
  hdr.set([0x6e, 0x2b, 0x31, 0], 344); // "n+1\0"
  for (let i = 0; i < data.length; i++) hdr[352 + i] = data[i];
  return gzipSync(hdr);
}

Deno.test("score: official SegmentROI-form NIfTI labels give the same myocardial errors", async () => {
  const seg = `${root}/seg`;
  await Deno.mkdir(`${seg}/SegmentROI/P001`, { recursive: true });
  for (const name of ["T1map", "T2map"]) {
    using lm = await openMat(`${labelDir}/${name}_label.mat`);
    const l = lm.read("label");
    await Deno.writeFile(`${seg}/SegmentROI/P001/${name}_label.nii.gz`, niftiU8(l.dims, l.data));
  }
  const base = await scoreSubmission({ submission: out, truth: `${data}/GroundTruth` });
  const r = await scoreSubmission({ submission: out, truth: `${data}/GroundTruth`, labels: seg });
  assert.equal(r.maps!.files.length, 4);
  for (const f of r.maps!.files) {
    const b = base.maps!.files.find((x) => x.file === f.file)!;
    assert.ok(f.labels.endsWith(`SegmentROI/P001/${f.kind}map_label.nii.gz`));
    assert.equal(f.pixels, b.pixels);
    assert.equal(f.rmse, b.rmse);
    assert.equal(f.truth, undefined); // NIfTI labels carry no true map
  }
});

Deno.test("deno task maps: fits a submitted file with its csv; a bad csv fails naming it", async () => {
  const { cases } = await discover(data, { split: "validation", task: "mapping", acc: [4] });
  const c = cases.find((x) => x.name === "T1map")!;
  const input = `${submissionFolder(out)}/${c.submissionPath}`;
  const dest = `${root}/cli/t1.mat`;
  await Deno.mkdir(`${root}/cli`);
  assert.equal(await mapsCli("--input", input, "--csv", c.csvFile!, "--out", dest), 0);
  using m = await openMat(dest);
  assert.deepEqual(m.read("T1").dims, [32, 32, 2]);
  assert.deepEqual(Array.from(m.read("slices").data), [1, 2]);
  const bad = `${root}/cli/T1map.csv`;
  await Deno.writeTextFile(bad, "W,S1,S2\nTI1,100,x\n");
  const errors: string[] = [];
  const orig = console.error;
  console.error = (...a: unknown[]) => errors.push(a.join(" "));
  try {
    const code = await mapsCli("--input", input, "--csv", bad, "--out", `${root}/cli/b.mat`);
    assert.equal(code, 1);
    assert.equal(await mapsCli("--input", input), 2); // usage error
  } finally {
    console.error = orig;
  }
  assert.match(errors.join("\n"), /cli\/T1map\.csv: line 2, column 3/);
  assert.match(errors.join("\n"), /--input FILE, --csv FILE and --out FILE are required/);
  await assert.rejects(Deno.stat(`${root}/cli/b.mat`), Deno.errors.NotFound);
});
