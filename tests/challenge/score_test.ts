import assert from "node:assert/strict";
import { discover, fullSamplePath } from "../../src/challenge/layout.ts";
import { Leaderboard } from "../../src/challenge/leaderboard.ts";
import { run4Ranking } from "../../src/challenge/reduce.ts";
import { aggregateGroups, type GroupScore } from "../../src/challenge/aggregate.ts";
import { scoreSubmission } from "../../src/challenge/score.ts";
import { referenceImage, type ReferenceRss } from "../../src/challenge/truth.ts";
import { pooledRss } from "../../src/pipeline/reference.ts";
import { SlicePool } from "../../src/recon/pool.ts";
import { LayoutError } from "../../src/errors.ts";
import { openMat } from "../../src/mat/read.ts";
import { writeMatV5 } from "../../src/mat/v5/write.ts";
import { writeMatV73 } from "../../src/mat/v73/write.ts";
import { zeroFilledRss } from "../../src/kspace/zerofill.ts";
import { synthesize } from "../../src/synth/dataset.ts";
import { lazyBomb } from "./bomb_fixture.ts";

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
  // Each gets the fix validate gives for it; the score is incomplete.
  const fixes = Object.fromEntries(r.malformed.map((m) => [m.file, m.fix]));
  assert.match(fixes[lax10.submissionPath], /apply the run4Ranking reduction/);
  assert.match(fixes[t1.submissionPath], /save the image under the name img4ranking/);
  assert.match(fixes[t2.submissionPath], /save it as MAT v5/);
  assert.equal(r.incomplete, true);
  assert.deepEqual(r.truthProblems, []);
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

/** Makes a named pipe (FIFO) with mkfifo. */
async function mkfifo(path: string): Promise<void> {
  const r = await new Deno.Command("mkfifo", { args: [path] }).output();
  assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
}

Deno.test("score: a submission entry that is not a regular file is malformed, with a fix", async () => {
  const dir = `${root}/pipe`;
  await Deno.mkdir(dir);
  await new Deno.Command("cp", { args: ["-r", `${ZF}/Submission`, dir] }).output();
  const sax4 = cases.find((c) => c.name === "cine_sax" && c.acc === 4)!;
  await Deno.remove(`${dir}/Submission/${sax4.submissionPath}`);
  await mkfifo(`${dir}/Submission/${sax4.submissionPath}`);
  const r = await scoreSubmission({
    submission: dir,
    truth: `${D}/GroundTruth`,
    task: "cine",
    accs: [4, 10],
  });
  assert.deepEqual(r.malformed, [{
    file: sax4.submissionPath,
    reason: "is a named pipe (FIFO), not an img4ranking file",
    fix: "write the img4ranking file itself there (a regular MAT v5 file)",
  }]);
  assert.equal(r.incomplete, true);
});

Deno.test("score: truth entries that cannot be read are listed, never dropped, and mark the score incomplete", async () => {
  // A truth root whose P001 is the real one; P002 holds a dangling link and a pipe, P003 a
  // regular file that is no MATLAB file.
  const truth = `${root}/badtruth`;
  const full = "MultiCoil/Cine/ValidationSet/FullSample";
  await Deno.mkdir(`${truth}/${full}/P002`, { recursive: true });
  await Deno.mkdir(`${truth}/${full}/P003`, { recursive: true });
  await Deno.symlink(`${D}/GroundTruth/${full}/P001`, `${truth}/${full}/P001`);
  await Deno.symlink(`${truth}/nowhere.mat`, `${truth}/${full}/P002/cine_sax.mat`);
  await mkfifo(`${truth}/${full}/P002/cine_lax.mat`);
  await Deno.writeTextFile(`${truth}/${full}/P003/cine_sax.mat`, "not a MATLAB file".repeat(20));
  // The submission holds P003's files, so its reference is needed.
  const sub = `${root}/sub3`;
  await Deno.mkdir(sub);
  await new Deno.Command("cp", { args: ["-r", `${ZF}/Submission`, sub] }).output();
  for (const acc of ["AccFactor04", "AccFactor10"]) {
    const base = `${sub}/Submission/MultiCoil/Cine/ValidationSet/${acc}`;
    await Deno.mkdir(`${base}/P003`);
    await Deno.copyFile(`${base}/P001/cine_sax.mat`, `${base}/P003/cine_sax.mat`);
  }
  const r = await scoreSubmission({ submission: sub, truth, task: "cine", accs: [4, 10] });
  const problems = Object.fromEntries(
    r.truthProblems.map((p) => [p.path.slice(truth.length + 1), p]),
  );
  assert.deepEqual(Object.keys(problems).sort(), [
    `${full}/P002/cine_lax.mat`,
    `${full}/P002/cine_sax.mat`,
    `${full}/P003/cine_sax.mat`,
  ]);
  assert.match(problems[`${full}/P002/cine_sax.mat`].reason, /symbolic link whose target/);
  assert.match(problems[`${full}/P002/cine_lax.mat`].reason, /named pipe/);
  assert.match(
    problems[`${full}/P003/cine_sax.mat`].reason,
    /reference cannot be read: not a MATLAB file/,
  );
  assert.ok(r.truthProblems.every((p) => p.fix.length > 0));
  assert.equal(r.incomplete, true);
  // Nothing is blamed on the submission: P003's files are neither missing nor malformed.
  assert.deepEqual(r.missing, []);
  assert.deepEqual(r.malformed, []);
  assert.equal(r.files.length, 4); // P001 at R4 and R10
});

Deno.test("score: a test-split submission without TestSet truth says who holds it and the fix", async () => {
  await assert.rejects(
    scoreSubmission({ submission: ZF, truth: `${D}/GroundTruth`, split: "test", accs: [4, 10] }),
    (e: Error) => {
      assert.ok(e instanceof LayoutError);
      assert.match(e.message, /no TestSet ground truth here/);
      assert.match(e.message, /organisers hold/);
      assert.match(e.message, /fix: .*deno task synth --test/);
      return true;
    },
  );
});

Deno.test("score: a test-split submission is scored against a TestSet truth, full size", async () => {
  const T = `${root}/testset`;
  await synthesize({
    out: T,
    size: "small",
    seed: 5,
    patients: 1,
    tasks: ["cine"],
    splits: ["test"],
    accs: [4],
  });
  const { cases: tc } = await discover(T, { split: "test" });
  const dir = `${root}/perfect-test`;
  for (const c of tc) {
    using gt = await openMat(fullSamplePath(c, `${T}/GroundTruth`));
    const ref = await referenceImage(gt, c, 2023, "test");
    await writeImg(dir, c.submissionPath, ref.data, ref.dims);
  }
  const r = await scoreSubmission({ submission: dir, truth: T, split: "test", accs: [4] });
  assert.equal(r.files.length, 2);
  assert.equal(r.incomplete, false);
  assert.equal(r.aggregate.cine!.ssim, 1);
  assert.ok(r.files.every((f) => f.images > 2 * 3), "full size: every slice and frame");
});

/**
 * Scores the zero-filled mapping submission with `labels`, checks that the T2 label alone was
 * used and one label skipped, and returns that skipped one.
 */
async function scoreMapsT1Skipped(labels: string) {
  const r = await scoreSubmission({
    submission: ZF,
    truth: `${D}/GroundTruth`,
    task: "mapping",
    labels,
    accs: [4],
  });
  assert.deepEqual(r.maps!.files.map((f) => f.view), ["T2"]);
  assert.equal(r.maps!.skipped.length, 1);
  return r.maps!.skipped[0];
}

Deno.test("score: a label entry that is not a regular file is named, not skipped for another", async () => {
  const labels = `${root}/badlabels`;
  const dir = `${labels}/MultiCoil/Mapping/ValidationSet/P001`;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.symlink(`${labels}/nowhere.mat`, `${dir}/T1map_label.mat`);
  await Deno.symlink(
    `${D}/Labels/MultiCoil/Mapping/ValidationSet/P001/T2map_label.mat`,
    `${dir}/T2map_label.mat`,
  );
  const skipped = await scoreMapsT1Skipped(labels);
  assert.match(
    skipped.reason,
    /T1map_label\.mat: is a symbolic link whose target does not exist, not a label file/,
  );
});

/** A copy of the zero-filled submission (or of another folder) to damage. */
async function copyOf(src: string, name: string): Promise<string> {
  const dst = `${root}/${name}`;
  const r = await new Deno.Command("cp", { args: ["-r", src, dst] }).output();
  assert.equal(r.code, 0);
  return dst;
}

const SAX4 = "MultiCoil/Cine/ValidationSet/AccFactor04/P001/cine_sax.mat";

/** Scores the cine files of `submission` at R4 against `truth`. */
function scoreCine4(submission: string, truth = `${D}/GroundTruth`, rss?: ReferenceRss) {
  return scoreSubmission({ submission, truth, task: "cine", accs: [4], rss });
}

/**
 * Scores the zero-filled submission at R4 with `inject` in place (it returns its undo): the
 * TypeError it injects must be thrown, whole.
 */
async function assertRethrown(inject: () => () => void, message: RegExp, rss?: ReferenceRss) {
  const undo = inject();
  try {
    await assert.rejects(
      scoreCine4(ZF, undefined, rss),
      (e: Error) => e instanceof TypeError && message.test(e.message),
    );
  } finally {
    undo();
  }
}

Deno.test("score: a compressed img4ranking is refused on its dims before it is inflated", async () => {
  const dir = await copyOf(ZF, "bomb");
  // 4096 x 4096 single declared (64 MiB); its data cannot be inflated, so a reader that
  // inflates before checking the dims reports a corrupt stream instead.
  await Deno.writeFile(`${dir}/Submission/${SAX4}`, lazyBomb([4096, 4096]));
  const r = await scoreCine4(dir);
  assert.equal(r.incomplete, true);
  assert.equal(r.malformed.length, 1);
  assert.equal(r.malformed[0].file, SAX4);
  assert.match(r.malformed[0].reason, /dims \[4096, 4096\], the reference \[/);
  assert.match(r.malformed[0].fix, /run4Ranking reduction/);
});

Deno.test("score: a submitted img4ranking holding Inf or NaN is malformed, with validate's fix", async () => {
  const dir = await copyOf(ZF, "inf");
  using m = await openMat(`${dir}/Submission/${SAX4}`);
  const a = m.read("img4ranking");
  a.data[17] = Infinity;
  a.data[18] = NaN;
  await writeImg(dir, SAX4, a.data as Float32Array, a.dims);
  const r = await scoreCine4(dir);
  assert.equal(r.incomplete, true);
  assert.deepEqual(r.files.map((f) => f.file).filter((f) => f === SAX4), []);
  assert.equal(r.malformed.length, 1);
  assert.match(r.malformed[0].reason, /2 of \d+ values are NaN or Inf/);
  assert.match(r.malformed[0].fix, /fix the reconstruction/);
  assert.ok(Number.isFinite(r.aggregate.cine!.ssim), "the other files are scored");
});

Deno.test("score: truth k-space holding NaN is a truth problem naming the file", async () => {
  const truth = await copyOf(`${D}/GroundTruth`, "nan-truth");
  const c = cases.find((x) => x.name === "cine_sax" && x.acc === 4)!;
  const file = fullSamplePath(c, truth);
  let dims: number[], data: Float32Array;
  {
    using m = await openMat(file);
    const a = m.read("kspace_full");
    dims = a.dims;
    data = a.data as Float32Array;
  }
  for (let i = 0; i < data.length; i += 997) data[i] = NaN;
  await Deno.remove(file);
  await writeMatV73(file, [{
    name: "kspace_full",
    array: { dims, matClass: "single", complex: true, data },
  }]);
  const r = await scoreCine4(ZF, truth);
  assert.equal(r.incomplete, true);
  assert.equal(r.truthProblems.length, 1);
  assert.equal(r.truthProblems[0].path, file);
  assert.match(r.truthProblems[0].reason, /NaN or Inf/);
  assert.deepEqual(r.files.map((f) => f.file), [SAX4.replace("cine_sax", "cine_lax")]);
});

Deno.test("score: a label that cannot be read names the label file and the fix", async () => {
  const labels = `${root}/gzlabels`;
  const seg = `${labels}/SegmentROI/P001`;
  await Deno.mkdir(seg, { recursive: true });
  await Deno.writeFile(`${seg}/T1map_label.nii.gz`, new Uint8Array(64).fill(7));
  await Deno.copyFile(
    `${D}/Labels/MultiCoil/Mapping/ValidationSet/P001/T2map_label.mat`,
    `${seg}/T2map_label.mat`,
  );
  const skipped = await scoreMapsT1Skipped(labels);
  assert.equal(skipped.path, `${seg}/T1map_label.nii.gz`);
  assert.ok(skipped.fix, "a fix is given");
});

Deno.test("score: an internal error making a reference is thrown, not listed as a truth problem", async () => {
  // A reconstruction worker that cannot start is a bug of cmrxkit (or its host), not a
  // damaged truth entry (references made on worker threads, as the CLI makes them).
  using pool = new SlicePool(2);
  await assertRethrown(
    () => {
      const Real = globalThis.Worker;
      globalThis.Worker = class {
        constructor() {
          throw new TypeError("injected: worker bug");
        }
      } as unknown as typeof Worker;
      return () => (globalThis.Worker = Real);
    },
    /injected: worker bug/,
    pooledRss(pool),
  );
});

Deno.test("score: an internal error reading a submitted file is thrown, not listed as malformed", async () => {
  const target = `${ZF}/Submission/${SAX4}`;
  await assertRethrown(() => {
    const real = Deno.readFile;
    Deno.readFile = ((path: string | URL, options?: Deno.ReadFileOptions) =>
      String(path) === target
        ? Promise.reject(new TypeError("injected: reader bug"))
        : real(path, options)) as typeof Deno.readFile;
    return () => (Deno.readFile = real);
  }, /injected: reader bug/);
});

globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(root, { recursive: true });
  } catch { /* gone */ }
});
