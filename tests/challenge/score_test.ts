import assert from "node:assert/strict";
import { discover, fullSamplePath } from "../../src/challenge/layout.ts";
import { Leaderboard } from "../../src/challenge/leaderboard.ts";
import { run4Ranking } from "../../src/challenge/reduce.ts";
import {
  aggregateGroups,
  type GroupScore,
  referenceImage,
  scoreSubmission,
} from "../../src/challenge/score.ts";
import { LayoutError } from "../../src/errors.ts";
import { openMat } from "../../src/mat/read.ts";
import { writeMatV5 } from "../../src/mat/v5.ts";
import { writeMatV73 } from "../../src/mat/v73.ts";
import { zeroFilledRss } from "../../src/recon/zerofill.ts";
import { synthesize } from "../../src/synth/dataset.ts";

const root = await Deno.makeTempDir({ prefix: "cmrxkit-score-" });
const D = `${root}/data`;
await synthesize({
  out: D,
  size: "small",
  seed: 4,
  patients: 1,
  splits: ["validation"],
  accs: [4, 10],
});
const { cases } = await discover(D, { split: "validation" });

async function writeImg(dir: string, rel: string, data: Float32Array, dims: number[]) {
  const p = `${dir}/Submission/${rel}`;
  await Deno.mkdir(p.slice(0, p.lastIndexOf("/")), { recursive: true });
  await writeMatV5(p, [{
    name: "img4ranking",
    array: { dims, matClass: "single", complex: false, data },
  }]);
}

/** A zero-filled, reduced submission of every validation case. */
async function zeroFilledSubmission(dir: string) {
  for (const c of cases) {
    using mat = await openMat(c.file);
    const [nx, ny, nc, nz, nt] = mat.info(c.variable).dims;
    const img = new Float32Array(nx * ny * nz * nt);
    for (let z = 0; z < nz; z++) {
      for (let t = 0; t < nt; t++) {
        const s = mat.readSlab(c.variable, [, , , z, t]);
        img.set(zeroFilledRss(s.data as Float32Array, [nx, ny, nc]), nx * ny * (z + nz * t));
      }
    }
    const r = run4Ranking(img, [nx, ny, nz, nt], 2023, c.name, c.task === "mapping");
    await writeImg(dir, c.submissionPath, r.data, r.dims);
  }
}

const ZF = `${root}/zf`;
await zeroFilledSubmission(ZF);

Deno.test("score: zero-filled submission against the synth GroundTruth, official structure", async () => {
  const r = await scoreSubmission({ submission: ZF, truth: `${D}/GroundTruth`, accs: [4, 10] });
  assert.equal(r.files.length, cases.length);
  assert.deepEqual(r.missing, []);
  assert.deepEqual(r.malformed, []);
  const f = r.files.find((x) => x.file.endsWith("AccFactor04/P001/cine_sax.mat"))!;
  assert.equal(f.images, 2 * 3); // 2 central slices x 3 frames
  assert.ok(f.ssim > 0.3 && f.ssim < 1, `ssim ${f.ssim}`);
  assert.ok(f.psnr > 10 && f.psnr < 60);
  assert.ok(f.nmse > 0 && f.nmse < 1);
  const cine = r.aggregate.cine!, mapping = r.aggregate.mapping!;
  assert.equal(cine.files, 4);
  assert.equal(cine.expected, 4);
  assert.ok(cine.byAcc.AccFactor04.ssim > cine.byAcc.AccFactor10.ssim, "R4 beats R10");
  assert.ok(mapping.byAcc.AccFactor04.psnr > mapping.byAcc.AccFactor10.psnr);
  assert.equal(cine.ssim, Math.round(cine.ssim * 1e4) / 1e4);
  // The dataset root finds its GroundTruth folder by itself.
  const again = await scoreSubmission({
    submission: `${ZF}/Submission`,
    truth: D,
    task: "cine",
    accs: [4, 10],
  });
  assert.equal(again.aggregate.cine!.ssim, cine.ssim);
  assert.equal(again.aggregate.mapping, undefined);
});

Deno.test("score: the reference made from k-space is the official ranking image; a perfect submission scores SSIM 1", async () => {
  const dir = `${root}/perfect`;
  for (const c of cases) {
    using gt = await openMat(fullSamplePath(c, `${D}/GroundTruth`));
    const ref = await referenceImage(gt, c, 2023, "validation");
    await writeImg(dir, c.submissionPath, ref.data, ref.dims);
  }
  const r = await scoreSubmission({ submission: dir, truth: `${D}/GroundTruth`, accs: [4, 10] });
  for (const f of r.files) {
    assert.equal(f.ssim, 1);
    assert.equal(f.nmse, 0);
    assert.equal(f.psnr, Infinity);
  }
  // Official ground truth as img4ranking files mirroring the submission scores the same.
  const r2 = await scoreSubmission({ submission: ZF, truth: `${dir}/Submission`, accs: [4, 10] });
  const r1 = await scoreSubmission({ submission: ZF, truth: `${D}/GroundTruth`, accs: [4, 10] });
  assert.deepEqual(r2.aggregate, r1.aggregate);
});

Deno.test("score: missing and malformed files are listed, not scored, and counted as n/N", async () => {
  const dir = `${root}/broken`;
  await Deno.mkdir(dir);
  await new Deno.Command("cp", { args: ["-r", `${ZF}/Submission`, dir] }).output();
  const sax4 = cases.find((c) => c.name === "cine_sax" && c.acc === 4)!;
  const lax10 = cases.find((c) => c.name === "cine_lax" && c.acc === 10)!;
  const t1 = cases.find((c) => c.name === "T1map" && c.acc === 4)!;
  const t2 = cases.find((c) => c.name === "T2map" && c.acc === 10)!;
  await Deno.remove(`${dir}/Submission/${sax4.submissionPath}`);
  await writeImg(dir, lax10.submissionPath, new Float32Array(10 * 10 * 2 * 3), [10, 10, 2, 3]);
  await writeMatV5(`${dir}/Submission/${t1.submissionPath}`, [{
    name: "recon",
    array: { dims: [2, 2], matClass: "single", complex: false, data: new Float32Array(4) },
  }]);
  await writeMatV73(`${dir}/Submission/${t2.submissionPath}`, [{
    name: "img4ranking",
    array: { dims: [2, 2], matClass: "single", complex: false, data: new Float32Array(4) },
  }]);
  const r = await scoreSubmission({ submission: dir, truth: `${D}/GroundTruth`, accs: [4, 10] });
  assert.deepEqual(r.missing, [sax4.submissionPath]);
  const reasons = Object.fromEntries(r.malformed.map((m) => [m.file, m.reason]));
  assert.match(
    reasons[lax10.submissionPath],
    /dims \[10, 10, 2, 3\], the reference \[32, 32, 2, 3\]/,
  );
  assert.match(reasons[t1.submissionPath], /no variable 'img4ranking'.*recon/);
  assert.match(reasons[t2.submissionPath], /MAT v7\.3\/HDF5.*transposed/);
  assert.equal(r.aggregate.cine!.files, 2);
  assert.equal(r.aggregate.cine!.expected, 4);
  const g = r.groups.find((x) => x.view === "sax" && x.acc === 4)!;
  assert.equal(g.files, 0);
  assert.ok(Number.isNaN(g.ssim));
});

Deno.test("score: a truth without references is a clear LayoutError", async () => {
  await assert.rejects(
    scoreSubmission({ submission: ZF, truth: `${D}/MultiCoil`, accs: [4, 10] }),
    (e: Error) => {
      assert.ok(e instanceof LayoutError);
      assert.match(e.message, /no reference files for the validation split/);
      return true;
    },
  );
  await assert.rejects(
    scoreSubmission({ submission: root, truth: D, accs: [4, 10] }),
    /no Submission\/ folder and no MultiCoil/,
  );
});

Deno.test("aggregation: coil max (for every metric, as the official code), NaN-aware mean of views, mean of accs", () => {
  const g = (
    coil: string,
    view: string,
    acc: number,
    ssim: number,
    psnr: number,
    nmse: number,
  ): GroupScore => ({
    coil,
    modality: "Cine",
    view,
    acc,
    files: 1,
    expected: 1,
    ssim,
    psnr,
    nmse,
  });
  const a = aggregateGroups([
    g("MultiCoil", "sax", 4, 0.9, 30, 0.02),
    g("SingleCoil", "sax", 4, 0.8, 31, 0.05),
    g("MultiCoil", "lax", 4, 0.7, 25, 0.04),
    g("MultiCoil", "sax", 8, 0.6, 20, 0.1),
    g("MultiCoil", "lax", 8, NaN, NaN, NaN),
  ]).cine!;
  assert.deepEqual(a.byAcc.AccFactor04, {
    ssim: (0.9 + 0.7) / 2,
    psnr: (31 + 25) / 2,
    nmse: (0.05 + 0.04) / 2,
  });
  assert.deepEqual(a.byAcc.AccFactor08, { ssim: 0.6, psnr: 20, nmse: 0.1 });
  assert.equal(a.ssim, Math.round(((0.8 + 0.6) / 2) * 1e4) / 1e4);
});

Deno.test("leaderboard: records runs in SQLite and ranks by SSIM, then PSNR", async () => {
  const db = `${root}/lb/leaderboard.sqlite`;
  const r = await scoreSubmission({ submission: ZF, truth: `${D}/GroundTruth`, accs: [4, 10] });
  {
    using lb = new Leaderboard(db);
    lb.record(r, { name: "zero-filled", model: "zerofill", date: new Date("2026-01-01") });
    const better = structuredClone(r);
    better.aggregate.cine!.ssim += 0.01;
    lb.record(better, { name: "better", model: "x" });
    const worseTie = structuredClone(r);
    worseTie.aggregate.cine!.psnr -= 1;
    lb.record(worseTie, { name: "tie-lower-psnr", model: "y" });
  }
  using lb = new Leaderboard(db); // persisted across opens
  const rows = lb.ranked({ task: "cine" });
  assert.deepEqual(rows.map((x) => x.name), ["better", "zero-filled", "tie-lower-psnr"]);
  assert.equal(rows[1].files, 4);
  assert.equal(lb.ranked({ task: "mapping" }).length, 3);
  assert.ok(lb.remove(rows[0].id));
  assert.equal(lb.ranked({ task: "cine" }).length, 2);
});

globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(root, { recursive: true });
  } catch { /* gone */ }
});
