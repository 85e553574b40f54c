/**
 * `scoreSubmission` for 2024 and 2025 (`src/challenge/score_editions.ts`): the submission
 * files of each year matched to the synthetic ground truth, scored with the year's metric
 * rules and aggregated like that year's leaderboard. Submissions are written here directly
 * (the exact reference images at the submission paths), not by `submit`.
 */
import assert from "node:assert/strict";
import { ExtraFileError } from "../../src/challenge/aggregate_editions.ts";
import type { Year } from "../../src/challenge/edition.ts";
import { scoreSubmission } from "../../src/challenge/score.ts";
import { looks2025 } from "../../src/challenge/score_editions.ts";
import { referenceImage } from "../../src/challenge/truth.ts";
import { openMat } from "../../src/mat/read.ts";
import { writeMatV5 } from "../../src/mat/v5/write.ts";
import { synthesizeEdition } from "../../src/synth/editions.ts";

const root = await Deno.makeTempDir({ prefix: "cmrxkit-score-editions-" });
globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(root, { recursive: true });
  } catch { /* gone */ }
});
const common = { size: "small" as const, patients: 2, tasks: ["mapping" as const], coils: 2 };
const D24 = `${root}/d24`, D25 = `${root}/d25`;
await synthesizeEdition({ edition: 2024, out: D24, seed: 3, splits: ["validation"], ...common });
await synthesizeEdition({
  edition: 2025,
  out: D25,
  seed: 3,
  splits: ["validation"],
  tasks2025: ["TaskR1", "TaskR2"],
  ...common,
});

async function files(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory) out.push(...await files(`${dir}/${e.name}`, rel));
    else out.push(rel);
  }
  return out.sort();
}

/** Writes the exact reference of `gt` (reduced for the year) as img4ranking at `path`. */
async function writeReference(gt: string, stem: string, year: Year, path: string) {
  using m = await openMat(gt);
  const ref = await referenceImage(
    m,
    { name: stem, task: "mapping", coil: "MultiCoil" },
    year,
    "validation",
  );
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  await writeMatV5(path, [{
    name: "img4ranking",
    array: { dims: ref.dims, matClass: "single", complex: false, data: ref.data },
  }]);
}

/** A perfect 2024 submission: every validation kus file of the input, at its submission path. */
async function perfect2024(out: string): Promise<string[]> {
  const rels: string[] = [];
  const base = `${D24}/MultiCoil/Mapping/ValidationSet`;
  for (const task of ["Task1", "Task2"]) {
    for (const rel of await files(`${base}/UnderSample_${task}`)) {
      const [patient, name] = rel.split("/");
      const stem = name.split("_kus_")[0];
      const sub = `Mapping/ValidationSet/${task}/${patient}/${name}`;
      await writeReference(
        `${D24}/GroundTruth/MultiCoil/Mapping/ValidationSet/FullSample/${patient}/${stem}.mat`,
        stem,
        2024,
        `${out}/Submission/${sub}`,
      );
      rels.push(sub);
    }
  }
  return rels;
}

/**
 * A perfect 2025 submission: one kus file per ground-truth file (the first pattern), as the
 * released validation set gives one undersampled file per file.
 */
async function perfect2025(out: string): Promise<string[]> {
  const rels: string[] = [];
  for (const task of ["TaskR1", "TaskR2"]) {
    const under = `MultiCoil/Mapping/ValidationSet/UnderSample_${task}`;
    const seen = new Set<string>();
    for (const rel of await files(`${D25}/${task}/${under}`)) {
      if (!rel.endsWith(".mat")) continue;
      const dir = rel.slice(0, rel.lastIndexOf("/"));
      const stem = rel.slice(dir.length + 1).split("_kus_")[0];
      if (seen.has(`${dir}/${stem}`)) continue;
      seen.add(`${dir}/${stem}`);
      const sub = `${task}/${under}/${rel}`;
      await writeReference(
        `${D25}/GroundTruth/${task}/MultiCoil/Mapping/ValidationSet/FullSample/${dir}/${stem}.mat`,
        stem,
        2025,
        `${out}/${sub}`,
      );
      rels.push(sub);
    }
  }
  return rels;
}

const S24 = `${root}/s24`, S25 = `${root}/s25`;
const subs24 = await perfect2024(S24);
const subs25 = await perfect2025(S25);

Deno.test("score 2024: a perfect submission scores SSIM 1 / NMSE 0 per file, official keys", async () => {
  const r = await scoreSubmission({ submission: S24, truth: `${D24}/GroundTruth`, year: 2024 });
  assert.equal(r.year, 2024);
  assert.equal(r.files.length, subs24.length);
  assert.equal(r.missing.length + r.malformed.length, 0);
  assert.equal(r.incomplete, false);
  for (const f of r.files) {
    assert.ok(Math.abs(f.ssim - 1) < 1e-12, `${f.file}: ${f.ssim}`);
    assert.equal(f.nmse, 0, f.file);
  }
  assert.deepEqual(r.groups, []);
  assert.deepEqual(r.aggregate, {});
  const e = r.edition!;
  assert.equal(e.aggregation, "2024");
  assert.deepEqual(e.results.map((x) => x.task), ["Task1", "Task2"]);
  const t1 = e.results[0];
  assert.deepEqual(Object.keys(t1.keys).slice(0, 6), [
    "submission_status",
    "Num_Files",
    "num_file_Tagging_Uniform4",
    "Tagging_Uniform4_PSNR",
    "Tagging_Uniform4_SSIM",
    "Tagging_Uniform4_NMSE",
  ]);
  assert.deepEqual(Object.keys(t1.keys).slice(-6), [
    "All_PSNR",
    "All_SSIM",
    "All_NMSE",
    "All_adj.PSNR",
    "All_adj.SSIM",
    "All_adj.NMSE",
  ]);
  // 2 patients x T1map, T2map at Uniform 4, 8, 10; Task 2: one R per kt pattern.
  assert.equal(t1.keys.Num_Files, "12/12");
  assert.equal(t1.keys["num_file_Mapping_Uniform8"], "4/4");
  assert.equal(t1.keys["Cine_Uniform8_SSIM"], null);
  assert.equal(t1.keys["All_SSIM"], 1);
  assert.equal(t1.keys["All_adj.SSIM"], 1);
  assert.equal(t1.keys["All_NMSE"], 0);
  assert.deepEqual(t1.main, {
    keys: { ssim: "All_adj.SSIM", psnr: "All_adj.PSNR", nmse: "All_adj.NMSE" },
    ssim: 1,
    psnr: Infinity,
    nmse: 0,
  });
  assert.equal(e.results[1].keys.Num_Files, "12/12");
  assert.equal(e.results[1].keys["num_file_Mapping_ktRadial"], "4/4");
});

Deno.test("score 2024: a missing file lowers the adjusted keys as the 2024 scorer does", async () => {
  const dir = `${root}/s24-missing`;
  await Deno.mkdir(dir);
  await Deno.rename(`${S24}/Submission`, `${dir}/Submission`);
  try {
    const gone = "Mapping/ValidationSet/Task1/P001/T1map_kus_Uniform4.mat";
    const keep = await Deno.readFile(`${dir}/Submission/${gone}`);
    await Deno.remove(`${dir}/Submission/${gone}`);
    // An extra file the scorer never reads: listed, not scored.
    await Deno.writeFile(
      `${dir}/Submission/Mapping/ValidationSet/Task1/P001/T1map_kus_Uniform6.mat`,
      keep,
    );
    const r = await scoreSubmission({ submission: dir, truth: D24, year: 2024 });
    assert.deepEqual(r.missing, [gone]);
    assert.equal(r.incomplete, true);
    assert.deepEqual(r.edition!.extra, ["Mapping/ValidationSet/Task1/P001/T1map_kus_Uniform6.mat"]);
    const k = r.edition!.results.find((x) => x.task === "Task1")!.keys;
    assert.equal(k.Num_Files, "11/12");
    assert.equal(k["num_file_Mapping_Uniform4"], "3/4");
    // Group means over scored files stay 1; the adjusted Uniform4 group is 3/4 and the
    // All_adj mean weighs the three Mapping groups equally.
    assert.equal(k["Mapping_Uniform4_SSIM"], 1);
    assert.equal(k["All_SSIM"], 1);
    assert.equal(k["All_adj.SSIM"], 0.9167); // (0.75 + 1 + 1) / 3
    assert.equal(k["All_adj.NMSE"], 0);
    assert.equal(r.edition!.results.find((x) => x.task === "Task2")!.keys.Num_Files, "12/12");
  } finally {
    await Deno.remove(`${dir}/Submission/Mapping/ValidationSet/Task1/P001/T1map_kus_Uniform6.mat`)
      .catch(() => {});
    await Deno.rename(`${dir}/Submission`, `${S24}/Submission`);
  }
});

Deno.test("score 2025: perfect, one file missing, the case table, and an extra file", async () => {
  assert.equal(await looks2025(S25), true);
  assert.equal(await looks2025(S24), false);
  const r = await scoreSubmission({ submission: S25, truth: D25, year: 2025 });
  assert.equal(r.files.length, subs25.length);
  assert.equal(r.incomplete, false);
  for (const f of r.files) {
    assert.ok(Math.abs(f.ssim - 1) < 1e-12, `${f.file}: ${f.ssim}`);
    assert.equal(f.nmse, 0, f.file);
  }
  const e = r.edition!;
  assert.equal(e.aggregation, "2025");
  assert.equal(e.cases, `${D25}/GroundTruth/GroupTable.csv`);
  const [r1, r2] = e.results;
  assert.equal(r1.task, "TaskR1");
  assert.deepEqual(Object.keys(r1.keys), [
    "submission_status",
    "Num_Files",
    "Center001_Siemens_30T_Vida_Num",
    "Center001_Siemens_30T_Vida_PSNR_adj",
    "Center001_Siemens_30T_Vida_SSIM_adj",
    "Center001_Siemens_30T_Vida_NMSE_adj",
    "Center002_Philips_15T_Ingenia_Num",
    "Center002_Philips_15T_Ingenia_PSNR_adj",
    "Center002_Philips_15T_Ingenia_SSIM_adj",
    "Center002_Philips_15T_Ingenia_NMSE_adj",
    "Mean_of_all_centers_PSNR_adj",
    "Mean_of_all_centers_SSIM_adj",
    "Mean_of_all_centers_NMSE_adj",
  ]);
  assert.equal(r1.keys.Num_Files, "4/4");
  assert.equal(r1.keys["Mean_of_all_centers_SSIM_adj"], 1);
  assert.equal(r1.main.ssim, 1);
  assert.equal(r1.main.nmse, 0);
  assert.equal(r2.task, "TaskR2");
  assert.ok("SynthHealthy_Num" in r2.keys && "SynthDiseaseA_Num" in r2.keys);
  assert.equal(r2.keys["Mean_of_all_diseases_SSIM_adj"], 1);

  // One TaskR1 file missing: its centre's SSIM_adj is 1/2, NMSE_adj mean(0)*(2-1/2) = 0.
  const gone = subs25.find((s) => s.startsWith("TaskR1/") && s.includes("/Center002/"))!;
  const keep = await Deno.readFile(`${S25}/${gone}`);
  await Deno.remove(`${S25}/${gone}`);
  try {
    const m = await scoreSubmission({
      submission: S25,
      truth: `${D25}/GroundTruth`,
      year: 2025,
      cases: `${D25}/GroundTruth/GroupTable.csv`,
    });
    assert.equal(m.missing.length, 1);
    assert.equal(m.incomplete, true);
    const k = m.edition!.results[0].keys;
    assert.equal(k.Num_Files, "3/4");
    assert.equal(k["Center002_Philips_15T_Ingenia_Num"], "1/2");
    assert.equal(k["Center002_Philips_15T_Ingenia_SSIM_adj"], 0.5);
    assert.equal(k["Mean_of_all_centers_SSIM_adj"], 0.75);
    assert.equal(k["Mean_of_all_centers_NMSE_adj"], 0);
  } finally {
    await Deno.writeFile(`${S25}/${gone}`, keep);
  }

  // A file without ground truth stops scoring with the official message.
  const extra = `${S25}/TaskR1/MultiCoil/Mapping/ValidationSet/UnderSample_TaskR1/Center001/` +
    "Siemens_30T_Vida/P009/T1map_kus_Uniform8.mat";
  await Deno.mkdir(extra.slice(0, extra.lastIndexOf("/")), { recursive: true });
  await Deno.writeFile(extra, keep);
  try {
    await assert.rejects(
      () => scoreSubmission({ submission: S25, truth: D25, year: 2025 }),
      (err: unknown) => {
        assert.ok(err instanceof ExtraFileError);
        assert.match(err.message, /Extra file submitted/);
        assert.match(err.message, /P009\/T1map_kus_Uniform8\.mat/);
        return true;
      },
    );
  } finally {
    await Deno.remove(
      `${S25}/TaskR1/MultiCoil/Mapping/ValidationSet/UnderSample_TaskR1/Center001/Siemens_30T_Vida/P009`,
      { recursive: true },
    );
  }
});

Deno.test("score 2025: no case table gives an error naming --cases", async () => {
  const t = `${root}/gt-copy`;
  await Deno.mkdir(t);
  await Deno.symlink(`${D25}/GroundTruth/TaskR1`, `${t}/TaskR1`);
  await Deno.symlink(`${D25}/GroundTruth/TaskR2`, `${t}/TaskR2`);
  await assert.rejects(
    () => scoreSubmission({ submission: S25, truth: t, year: 2025 }),
    /case table[\s\S]*--cases FILE/,
  );
});

Deno.test("cli score: 2025 told from the tree, official keys printed and in --json, leaderboard rows per task; extra file: one clear error", async () => {
  const { runCli } = await import("../cli/run_cli.ts");
  const env = { CMRXKIT_HOME: `${root}/home` };
  const json = `${root}/s25.json`;
  const r = await runCli(["score", "--submission", S25, "--truth", D25, "--json", json], env);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /2025 rules \(content: 2025 layout/);
  assert.match(r.stdout, /TaskR1 \(validation, 2025 rules, 2025 leaderboard keys\)/);
  assert.match(r.stdout, /Mean_of_all_centers_SSIM_adj +1\n/);
  assert.match(r.stdout, /Mean_of_all_diseases_SSIM_adj +1\n/);
  const j = JSON.parse(await Deno.readTextFile(json));
  assert.equal(j.edition.results[0].keys["Mean_of_all_centers_SSIM_adj"], 1);
  const lb = await runCli(["leaderboard"], env);
  assert.match(lb.stdout, /TaskR1: 1 run\(s\)[\s\S]*TaskR2: 1 run\(s\)/);
  assert.match(lb.stdout, /1\.0000/);

  const refused = await runCli(
    ["score", "--submission", S24, "--truth", D24, "--cases", "x.csv", "--no-record"],
    env,
  );
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /--cases is the 2025 case table/);

  const extra = `${S25}/TaskR2/MultiCoil/Mapping/ValidationSet/UnderSample_TaskR2/Center001/` +
    "Siemens_30T_Vida/P001/T9map_kus_Uniform8.mat";
  await Deno.writeTextFile(extra, "x");
  try {
    const x = await runCli(["score", "--submission", S25, "--truth", D25, "--no-record"], env);
    assert.notEqual(x.code, 0);
    assert.match(x.stderr, /T9map_kus_Uniform8\.mat: has no ground truth.*Extra file submitted/);
    assert.match(x.stderr, /fix: remove it/);
    assert.doesNotMatch(x.stderr, /^ +at /m);
  } finally {
    await Deno.remove(extra);
  }
});
