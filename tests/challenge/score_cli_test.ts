/**
 * The challenge commands as a user runs them (`deno run cli/main.ts ...` in a child
 * process): the README's flow on a cine-only submission, test-split and malformed
 * submissions, truth and dataset entries that cannot be read, and what reaches the
 * leaderboard.
 */

import assert from "node:assert/strict";
import { Leaderboard } from "../../src/challenge/leaderboard.ts";
import { writeRunManifest } from "../../src/pipeline/run_manifest.ts";
import { correctSubmission, getDataset, removeDataset } from "./submission_fixture.ts";
import { runManifest } from "./run_manifest_fixture.ts";
import { runCli } from "../cli/run_cli.ts";

const tmp = await Deno.makeTempDir({ prefix: "cmrx-score-cli-" });

function cli(...args: string[]) {
  return runCli(args, { CMRXKIT_HOME: `${tmp}/home` });
}

/** `score --submission SUB --truth TRUTH ...rest`. */
function score(sub: string, truth: string, ...rest: string[]) {
  return cli("score", "--submission", sub, "--truth", truth, ...rest);
}

const STACK = /\s+at .*\.ts:\d+/;

/** A submission of the cine files only, with the manifest `submit --task cine` writes. */
async function cineOnly(manifest = true): Promise<{ out: string; input: string }> {
  const { out, input } = await correctSubmission("cmrx-score-cli-out-");
  await Deno.remove(`${out}/Submission/MultiCoil/Mapping`, { recursive: true });
  // The fixture dataset has R 4 only, as after `submit --acc 4`.
  if (manifest) await writeRunManifest(out, runManifest({ task: "cine", acc: [4] }));
  return { out, input };
}

async function mkfifo(path: string): Promise<void> {
  const r = await new Deno.Command("mkfifo", { args: [path] }).output();
  assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
}

Deno.test("README flow: validate and score a cine-only submission take task and split from its manifest", async () => {
  const { out, input } = await cineOnly();
  const db = `${tmp}/readme.sqlite`;
  const v = await cli("validate", out, "--input", input, "--split", "validation");
  assert.equal(v.code, 0, v.stdout + v.stderr);
  assert.match(v.stdout, /submission: task cine \(run manifest .*cmrxkit-run\.json\)/);
  assert.match(v.stdout, /OK: 2 file\(s\) valid/);
  const s = await score(out, `${input}/GroundTruth`, "--db", db);
  assert.equal(s.code, 0, s.stdout + s.stderr);
  assert.match(
    s.stdout,
    /submission: task cine, split validation, 2023 rules, acc 4 \(from the run manifest/,
  );
  assert.match(s.stdout, /Cine_SSIM/);
  assert.doesNotMatch(s.stdout, /Mapping|NaN|missing|INCOMPLETE/);
  assert.match(s.stdout, /recorded as '.*' on the leaderboard/);
  using lb = new Leaderboard(db);
  const rows = lb.ranked({ task: "cine" });
  assert.equal(rows.length, 1);
  assert.equal(rows[0].model, "zerofill"); // from the manifest
  assert.equal(rows[0].incomplete, false);
  assert.equal(lb.ranked({ task: "mapping" }).length, 0);
  await Deno.remove(out, { recursive: true });
});

Deno.test("score: a task with no file scored prints no NaN table and records no NaN row", async () => {
  const { out, input } = await cineOnly(false);
  const db = `${tmp}/nan.sqlite`;
  const s = await score(out, `${input}/GroundTruth`, "--task", "mapping", "--acc", "4", "--db", db);
  assert.equal(s.code, 1);
  assert.match(s.stdout, /Mapping \(validation, 2023 rules\): no file scored \(0\/2\)/);
  assert.match(s.stdout, /INCOMPLETE: 2 file\(s\) missing/);
  assert.match(s.stdout, /not recorded on the leaderboard: no file was scored/);
  assert.doesNotMatch(s.stdout, /NaN/);
  using lb = new Leaderboard(db);
  assert.equal(lb.ranked({ task: "mapping" }).length, 0);
  assert.equal(lb.ranked({ task: "cine" }).length, 0);
  await Deno.remove(out, { recursive: true });
});

Deno.test("score: a test-split submission says it is scored against TestSet ground truth", async () => {
  const { input } = await getDataset();
  const out = `${tmp}/test-split`;
  const dir = `${out}/Submission/MultiCoil/Cine/TestSet/AccFactor04/P001`;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.copyFile(
    `${input}/MultiCoil/Cine/ValidationSet/AccFactor04/P001/cine_sax.mat`,
    `${dir}/cine_sax.mat`,
  );
  const s = await score(out, `${input}/GroundTruth`, "--no-record");
  assert.equal(s.code, 1);
  assert.match(s.stdout, /split test \(content: TestSet files\)/);
  assert.match(s.stderr, /no TestSet ground truth here: a test-split submission is scored/);
  assert.match(s.stderr, /fix: .*deno task synth --test/);
  assert.doesNotMatch(s.stdout + s.stderr, /NaN|missing|ValidationSet/);
  assert.doesNotMatch(s.stderr, STACK);
});

Deno.test("score: a malformed file exits 1 with validate's fix; the run is recorded marked incomplete", async () => {
  const { out, input } = await cineOnly();
  const db = `${tmp}/malformed.sqlite`;
  await Deno.writeTextFile(
    `${out}/Submission/MultiCoil/Cine/ValidationSet/AccFactor04/P001/cine_sax.mat`,
    "garbage".repeat(40),
  );
  const s = await score(out, `${input}/GroundTruth`, "--db", db);
  assert.equal(s.code, 1);
  assert.match(s.stdout, /malformed 1 file\(s\) \(not scored\):/);
  assert.match(s.stdout, /cine_sax\.mat: not a MATLAB file/);
  assert.match(s.stdout, /fix: save it as MAT v5/);
  assert.match(s.stdout, /INCOMPLETE: 1 file\(s\) malformed/);
  assert.match(s.stdout, /recorded as '.*' \(marked incomplete\)/);
  using lb = new Leaderboard(db);
  const rows = lb.ranked({ task: "cine" });
  assert.equal(rows.length, 1);
  assert.equal(rows[0].incomplete, true);
  assert.ok(Number.isFinite(rows[0].ssim));
  await Deno.remove(out, { recursive: true });
});

Deno.test("score: truth entries that cannot be read are errors; the score is not recorded", async () => {
  const { out, input } = await cineOnly();
  const db = `${tmp}/truth.sqlite`;
  const truth = `${tmp}/truth`;
  const full = "MultiCoil/Cine/ValidationSet/FullSample";
  await Deno.mkdir(`${truth}/${full}/P002`, { recursive: true });
  await Deno.symlink(`${input}/GroundTruth/${full}/P001`, `${truth}/${full}/P001`);
  await Deno.symlink("/dev/zero", `${truth}/${full}/P002/cine_sax.mat`);
  await Deno.mkdir(`${truth}/${full}/P002/cine_lax.mat`);
  const s = await score(out, truth, "--db", db);
  assert.equal(s.code, 1);
  assert.match(
    s.stderr,
    /error: .*P002\/cine_sax\.mat: is a character device, not a k-space file \(truth entry\)\n {2}fix: /,
  );
  assert.match(s.stderr, /P002\/cine_lax\.mat: is a directory/);
  assert.match(s.stdout, /INCOMPLETE: 2 truth entries cannot be read/);
  assert.match(s.stdout, /not recorded on the leaderboard: the truth is incomplete/);
  assert.doesNotMatch(s.stderr, STACK);
  using lb = new Leaderboard(db);
  assert.equal(lb.ranked({ task: "cine" }).length, 0);
  await Deno.remove(out, { recursive: true });
});

Deno.test("cases and submit-side discovery: unusable k-space entries are errors, exit 1", async () => {
  const root = `${tmp}/dataset`;
  const acc = `${root}/MultiCoil/Cine/ValidationSet/AccFactor04`;
  await Deno.mkdir(`${acc}/P002`, { recursive: true });
  const { input } = await getDataset();
  await Deno.symlink(`${input}/MultiCoil/Cine/ValidationSet/AccFactor04/P001`, `${acc}/P001`);
  await Deno.symlink(`${acc}/P002/cine_sax.mat`, `${acc}/P002/cine_sax.mat`);
  await mkfifo(`${acc}/P002/cine_lax.mat`);
  const c = await cli("cases", "--input", root);
  assert.equal(c.code, 1);
  assert.match(c.stdout, /2 files/);
  assert.match(
    c.stderr,
    /error: .*P002\/cine_lax\.mat: is a named pipe \(FIFO\), not a k-space file\n {2}fix: /,
  );
  assert.match(c.stderr, /P002\/cine_sax\.mat: is a symbolic link loop/);
  assert.match(c.stderr, /2 entries of the dataset cannot be read/);
  // validate against that input names them too.
  const { out } = await cineOnly(false);
  const v = await cli("validate", out, "--input", root);
  assert.equal(v.code, 1);
  assert.match(v.stdout, /input entry is a named pipe \(FIFO\)/);
  assert.doesNotMatch(v.stdout, /OK:/);
  await Deno.remove(out, { recursive: true });
});

Deno.test("validate: an empty folder is never OK (no --input)", async () => {
  await Deno.mkdir(`${tmp}/empty/Submission`, { recursive: true });
  const v = await cli("validate", `${tmp}/empty`);
  assert.equal(v.code, 1);
  assert.match(v.stdout, /no validation-split img4ranking file found in .*empty\/Submission/);
  assert.match(v.stdout, /fix: write the reconstructions there first/);
  assert.doesNotMatch(v.stdout, /OK: 0/);
});

Deno.test("score --labels: a label that cannot be read exits 1 naming the label file and the fix", async () => {
  const { out, input } = await correctSubmission("cmrx-score-cli-labels-");
  const labels = `${tmp}/labels`;
  const seg = `${labels}/SegmentROI/P001`;
  await Deno.mkdir(seg, { recursive: true });
  await Deno.writeFile(`${seg}/T1map_label.nii.gz`, new Uint8Array(64).fill(7));
  await Deno.copyFile(
    `${input}/Labels/MultiCoil/Mapping/ValidationSet/P001/T2map_label.mat`,
    `${seg}/T2map_label.mat`,
  );
  const maps = (labels: string) =>
    score(
      out,
      `${input}/GroundTruth`,
      "--acc",
      "4",
      "--task",
      "mapping",
      "--labels",
      labels,
      "--no-record",
    );
  const s = await maps(labels);
  assert.equal(s.code, 1, s.stdout + s.stderr);
  assert.match(s.stderr, /error: .*SegmentROI\/P001\/T1map_label\.nii\.gz: .*\n {2}fix: /);
  assert.match(s.stdout, /maps not scored for 1 file\(s\)/);
  assert.doesNotMatch(s.stderr, STACK);
  // With labels it can read, the same submission scores with exit 0.
  const ok = await maps(`${input}/Labels`);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  await Deno.remove(out, { recursive: true });
});

Deno.test("score --json / --csv: checked before scoring; a missing folder is made", async () => {
  const { out, input } = await cineOnly();
  const base = ["score", "--submission", out, "--truth", `${input}/GroundTruth`, "--no-record"];
  const made = `${tmp}/json-out/deeper/scores.json`;
  const s = await cli(...base, "--json", made, "--csv", `${tmp}/csv-out/scores.csv`);
  assert.equal(s.code, 0, s.stdout + s.stderr);
  assert.equal(JSON.parse(await Deno.readTextFile(made)).incomplete, false);
  assert.match(await Deno.readTextFile(`${tmp}/csv-out/scores.csv`), /^file,ssim/);
  // A folder, or a path under a file: refused before any scoring, naming the path.
  const file = `${tmp}/a-file.txt`;
  await Deno.writeTextFile(file, "x\n");
  for (const [path, why] of [[tmp, /--json names a folder/], [`${file}/s.json`, /is a file/]]) {
    const r = await cli(...base, "--json", path as string);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, why as RegExp);
    assert.match(r.stderr, /\n {2}fix: /);
    assert.doesNotMatch(r.stdout, /scored \d+ files/);
    assert.doesNotMatch(r.stderr, STACK);
  }
  const v = await cli("validate", out, "--json", `${tmp}/v-out/sub/report.json`);
  assert.equal(v.code, 0, v.stdout + v.stderr);
  assert.ok(JSON.parse(await Deno.readTextFile(`${tmp}/v-out/sub/report.json`)).ok);
  const vd = await cli("validate", out, "--json", tmp);
  assert.equal(vd.code, 1);
  assert.match(vd.stderr, /--json names a folder/);
  assert.doesNotMatch(vd.stderr, STACK);
  await Deno.remove(out, { recursive: true });
});

Deno.test("score cli: cleanup", async () => {
  await removeDataset();
  await Deno.remove(tmp, { recursive: true });
});
