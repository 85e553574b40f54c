import assert from "node:assert/strict";
import { validate as validateCommand } from "../../cli/validate.ts";
import { submissionFolder, writeImg4Ranking } from "../../src/challenge/submission.ts";
import { parseSubmissionPath } from "../../src/challenge/paths.ts";
import { checkImg4RankingFile } from "../../src/challenge/validate/checks.ts";
import { validateSubmission } from "../../src/challenge/validate/mod.ts";
import {
  formatReport,
  type Problem,
  type ValidationReport,
} from "../../src/challenge/validate/report.ts";
import { locateSubmission } from "../../src/challenge/validate/walk.ts";
import { LayoutError } from "../../src/errors.ts";
import { numel } from "../../src/mat/types.ts";
import { writeMatV5 } from "../../src/mat/v5/write.ts";
import { writeMatV73 } from "../../src/mat/v73/write.ts";
import { writeRunManifest } from "../../src/pipeline/run_manifest.ts";
import { runManifest } from "./run_manifest_fixture.ts";
import { correctSubmission, getDataset, image, removeDataset } from "./submission_fixture.ts";
import { lazyBomb } from "./bomb_fixture.ts";

const SAX = "MultiCoil/Cine/ValidationSet/AccFactor04/P001/cine_sax.mat";
const LAX = "MultiCoil/Cine/ValidationSet/AccFactor04/P001/cine_lax.mat";
const T1 = "MultiCoil/Mapping/ValidationSet/AccFactor04/P001/T1map.mat";

function kinds(list: Problem[]): string[] {
  return list.map((p) => p.kind).sort();
}

function only(r: ValidationReport, kind: string): Problem {
  const ps = r.problems.filter((p) => p.kind === kind);
  assert.equal(ps.length, 1, `expected one '${kind}' problem, got ${JSON.stringify(r.problems)}`);
  return ps[0];
}

async function dimsOf(rel: string): Promise<number[]> {
  const { expected } = await getDataset();
  return expected.find((e) => e.relPath === rel)!.dims;
}

Deno.test("validate: a correct submission passes, with and without the input", async () => {
  const { out, root, input } = await correctSubmission("cmrx-validate-out-");
  const r = await validateSubmission(out, { input });
  assert.deepEqual(r.problems, []);
  assert.equal(r.ok, true);
  assert.equal(r.root, root);
  assert.equal(r.rootKind, "parent");
  assert.equal(r.split, "validation");
  assert.equal(r.shapesChecked, true);
  assert.equal(r.expected, 4);
  assert.equal(r.checked, 4);
  assert.deepEqual(r.groups, [
    { group: "MultiCoil/Cine/AccFactor04", expected: 2, present: 2, valid: 2 },
    { group: "MultiCoil/Mapping/AccFactor04", expected: 2, present: 2, valid: 2 },
  ]);
  const text = formatReport(r);
  assert.match(text, /MultiCoil\/Cine\/AccFactor04\s+2\/2 present, 2 valid/);
  assert.match(text, /OK: 4 file\(s\) valid/);

  const s = await validateSubmission(root);
  assert.equal(s.ok, true, JSON.stringify(s.problems));
  assert.equal(s.rootKind, "Submission");
  assert.equal(s.shapesChecked, false);
  assert.match(formatReport(s), /shapes could not be checked against the input/);
  assert.match(formatReport(s), /MultiCoil\/Cine\/AccFactor04\s+2 files, 2 valid/);
  await Deno.remove(out, { recursive: true });
});

Deno.test("validate: missing and extra files are listed with fixes and counted", async () => {
  const { out, root, input } = await correctSubmission("cmrx-validate-out-");
  await Deno.remove(`${root}/${LAX}`);
  const extra = "MultiCoil/Cine/ValidationSet/AccFactor04/P002/cine_sax.mat";
  await writeImg4Ranking(root, extra, image([32, 36, 2, 3]), [32, 36, 2, 3]);
  await Deno.writeTextFile(`${root}/MultiCoil/.DS_Store`, "x");
  await Deno.writeTextFile(`${root}/MultiCoil/Cine/ValidationSet/notes.txt`, "x");
  await Deno.writeTextFile(`${root}/${SAX}.tmp-0a1b2c3d4e5f`, "x");
  await Deno.writeTextFile(`${root}/${SAX}.tmp-4242-0a1b2c3d`, "x"); // tempPathFor's form
  const r = await validateSubmission(out, { input });
  assert.equal(r.ok, false);
  assert.deepEqual(kinds(r.problems), ["extra", "junk", "junk", "junk", "missing", "not-mat"]);
  const missing = only(r, "missing");
  assert.equal(missing.file, LAX);
  assert.match(missing.fix, /reconstruct .*cine_lax\.mat \(kspace_sub04\).*dims \[32, 32, 2, 3\]/);
  assert.equal(only(r, "extra").file, extra);
  assert.match(only(r, "not-mat").file, /notes\.txt$/);
  const junk = r.problems.filter((p) => p.kind === "junk").map((p) => p.message).join(" ");
  assert.match(junk, /macOS/);
  assert.equal(junk.match(/temporary file/g)?.length, 2);
  const cine = r.groups.find((g) => g.group === "MultiCoil/Cine/AccFactor04")!;
  assert.deepEqual(cine, {
    group: "MultiCoil/Cine/AccFactor04",
    expected: 2,
    present: 1,
    valid: 1,
  });
  const text = formatReport(r);
  assert.match(text, /1\/2 present/);
  assert.match(text, /fix: /);
  assert.match(text, /INVALID: 6 problem\(s\)/);
  await Deno.remove(out, { recursive: true });
});

Deno.test("validate: wrong variable name, double class and complex data are errors", async () => {
  const { out, root, input } = await correctSubmission("cmrx-validate-out-");
  const d = await dimsOf(SAX);
  await writeMatV5(`${root}/${SAX}`, [{
    name: "recon",
    array: { dims: d, matClass: "single", complex: false, data: image(d) },
  }]);
  await writeMatV5(`${root}/${LAX}`, [{
    name: "img4ranking",
    array: {
      dims: await dimsOf(LAX),
      matClass: "double",
      complex: false,
      data: Float64Array.from(image(await dimsOf(LAX))),
    },
  }]);
  const t1 = await dimsOf(T1);
  const cx = new Float32Array(2 * numel(t1)).fill(0.5);
  await writeMatV5(`${root}/${T1}`, [{
    name: "img4ranking",
    array: { dims: t1, matClass: "single", complex: true, data: cx },
  }]);
  const r = await validateSubmission(out, { input });
  assert.deepEqual(kinds(r.problems), ["class", "complex", "variable"]);
  const v = only(r, "variable");
  assert.equal(v.file, SAX);
  assert.match(v.message, /no variable 'img4ranking' \(the file holds 'recon'\)/);
  assert.match(v.fix, /savemat/);
  assert.match(only(r, "class").message, /class double, not single/);
  assert.equal(only(r, "class").file, LAX);
  assert.equal(only(r, "complex").file, T1);
  assert.match(only(r, "complex").fix, /abs/);
  await Deno.remove(out, { recursive: true });
});

Deno.test("validate: transposed and wrong dims print both; v7.3 explains the h5py pitfall", async () => {
  const { out, root, input } = await correctSubmission("cmrx-validate-out-");
  const d = await dimsOf(SAX); // [32, 36, 2, 3]
  const rev = [...d].reverse();
  await writeImg4Ranking(root, SAX, image(rev), rev);
  await writeImg4Ranking(root, LAX, image([96, 64, 3, 12]), [96, 64, 3, 12]);
  const t1 = await dimsOf(T1);
  await Deno.remove(`${root}/${T1}`);
  await writeMatV73(`${root}/${T1}`, [{
    name: "img4ranking",
    array: { dims: t1, matClass: "single", complex: false, data: image(t1) },
  }]);
  const r = await validateSubmission(out, { input });
  assert.deepEqual(kinds(r.problems), ["dims", "transposed", "v73"]);
  const t = only(r, "transposed");
  assert.equal(t.file, SAX);
  assert.match(t.message, /dims \[3, 2, 36, 32\] are the reverse of the expected \[32, 36, 2, 3\]/);
  assert.match(t.message, /transposed/);
  assert.deepEqual(t.expected, d);
  assert.deepEqual(t.actual, rev);
  const w = only(r, "dims");
  assert.match(w.message, /dims \[96, 64, 3, 12\], expected \[32, 32, 2, 3\]/);
  assert.match(w.fix, /run4Ranking/);
  const v = only(r, "v73");
  assert.equal(v.file, T1);
  assert.match(v.message, /MAT v7\.3.*h5py.*reversed/);
  assert.match(v.fix, /MAT v5/);
  await Deno.remove(out, { recursive: true });
});

Deno.test("validate: NaN, all-zero and negative values are errors", async () => {
  const { out, root, input } = await correctSubmission("cmrx-validate-out-");
  const d = await dimsOf(SAX);
  const nan = image(d);
  nan[3] = NaN;
  nan[4] = -Infinity;
  await writeImg4Ranking(root, SAX, nan, d, { allowNonFinite: true });
  await writeImg4Ranking(root, LAX, new Float32Array(numel(await dimsOf(LAX))), await dimsOf(LAX));
  const neg = image(await dimsOf(T1));
  neg[0] = -1;
  await writeImg4Ranking(root, T1, neg, await dimsOf(T1), { allowNegative: true });
  const r = await validateSubmission(out, { input });
  assert.deepEqual(kinds(r.problems), ["negative", "non-finite", "zero"]);
  assert.match(only(r, "non-finite").message, /2 of \d+ values are NaN or Inf/);
  assert.equal(only(r, "zero").file, LAX);
  assert.match(only(r, "negative").message, /1 of \d+ values are negative/);
  await Deno.remove(out, { recursive: true });
});

Deno.test("validate: wrong folder naming names the folder and the rename", async () => {
  const { out, root, input } = await correctSubmission("cmrx-validate-out-");
  await Deno.rename(
    `${root}/MultiCoil/Cine/ValidationSet/AccFactor04`,
    `${root}/MultiCoil/Cine/ValidationSet/AccFactor4`,
  );
  const r = await validateSubmission(out, { input });
  const naming = r.problems.filter((p) => p.kind === "naming");
  assert.equal(naming.length, 2);
  assert.match(naming[0].message, /acceleration folder 'AccFactor4' should be 'AccFactor04'/);
  assert.match(naming[0].fix, /rename it to AccFactor04/);
  assert.equal(r.problems.filter((p) => p.kind === "missing").length, 2);
  await Deno.remove(out, { recursive: true });
});

Deno.test("parseSubmissionPath: each layout mistake gets its own message", () => {
  const bad = (rel: string, re: RegExp, year: 2023 | 2024 = 2023) => {
    const p = parseSubmissionPath(rel, year);
    assert.equal(p.ok, false, rel);
    if (!p.ok) assert.match(`${p.message} | ${p.fix}`, re, rel);
  };
  bad("multicoil/Cine/ValidationSet/AccFactor04/P001/cine_sax.mat", /should be 'MultiCoil'/);
  bad("MultiCoil/cine/ValidationSet/AccFactor04/P001/cine_sax.mat", /should be 'Cine'/);
  bad("MultiCoil/Cine/Validation/AccFactor04/P001/cine_sax.mat", /should be 'ValidationSet'/);
  bad("MultiCoil/Cine/TrainingSet/AccFactor04/P001/cine_sax.mat", /training cases/);
  bad("MultiCoil/Cine/ValidationSet/FullSample/P001/cine_sax.mat", /fully sampled/);
  bad("MultiCoil/Cine/ValidationSet/AccFactor04/p001/cine_sax.mat", /should be 'P001'/);
  bad("MultiCoil/Cine/ValidationSet/AccFactor04/P001/T1map.mat", /belongs under Mapping/);
  bad("MultiCoil/Cine/ValidationSet/AccFactor04/P001/Cine_SAX.mat", /should be 'cine_sax\.mat'/);
  bad("MultiCoil/Cine/ValidationSet/AccFactor04/P001/recon.mat", /not an input file name/);
  bad("MultiCoil/Cine/ValidationSet/AccFactor04/P001/cine_sax_mask.mat", /masks are not/);
  bad("MultiCoil/Cine/ValidationSet/AccFactor04/cine_sax.mat", /too high.*patient folder/);
  bad("x/MultiCoil/Cine/ValidationSet/AccFactor04/P001/cine_sax.mat", /too deep/);
  bad("Submission/MultiCoil/Cine/ValidationSet/AccFactor04/P001/cine_sax.mat", /nested/);
  bad("MultiCoil/Cine/ValidationSet/AccFactor04/P001/cine_sax.MAT", /lower-case \.mat/);
  bad("MultiCoil/Cine/ValidationSet/AccFactor04/P001/._cine_sax.mat", /macOS/);
  bad("__MACOSX/MultiCoil/x.mat", /macOS/);
  bad("MultiCoil/Cine/ValidationSet/AccFactor04/P001/cine_sax.mat~", /temporary/);
  bad("MultiCoil/Cine/ValidationSet/Task1/P001/cine_sax_kus_Uniform4.mat", /unexpected acc/);
  bad("MultiCoil/Cine/ValidationSet/Task1/P001/cine_sax_kus_Uniform4.mat", /no MultiCoil/, 2024);
  bad("Cine/ValidationSet/UnderSample_Task1/P001/cine_sax_kus_Uniform4.mat", /'Task1'/, 2024);
  const ok = parseSubmissionPath("SingleCoil/Mapping/TestSet/AccFactor10/P120/T2map.mat");
  assert.ok(ok.ok);
  if (ok.ok) {
    assert.deepEqual(ok.info, {
      coil: "SingleCoil",
      modality: "Mapping",
      task: "mapping",
      split: "TestSet",
      accFolder: "AccFactor10",
      acc: 10,
      patient: "P120",
      name: "T2map",
      group: "SingleCoil/Mapping/AccFactor10",
    });
  }
  const y24 = parseSubmissionPath(
    "Cine/ValidationSet/Task2/P003/cine_lax_kus_ktRadial16.mat",
    2024,
  );
  assert.ok(y24.ok);
  if (y24.ok) assert.equal(y24.info.acc, 16);
});

Deno.test("validate: the folder may be Submission, hold it, or hold MultiCoil (warning)", async () => {
  const { out, root } = await correctSubmission("cmrx-validate-out-");
  assert.equal((await locateSubmission(root)).kind, "Submission");
  assert.equal((await locateSubmission(out)).kind, "parent");
  const bare = `${out}/recon`;
  await Deno.rename(root, bare);
  const loc = await locateSubmission(bare);
  assert.equal(loc.kind, "bare");
  assert.equal(loc.root, bare);
  const r = await validateSubmission(bare);
  assert.equal(r.ok, true);
  assert.equal(r.warnings[0].kind, "root");
  assert.match(r.warnings[0].message, /named 'recon', not 'Submission'/);
  await assert.rejects(() => locateSubmission(`${out}/nope`), (e: unknown) => {
    assert.ok(e instanceof LayoutError);
    assert.match(e.message, /nope: no such folder/);
    return true;
  });
  await Deno.mkdir(`${out}/empty`);
  await assert.rejects(() => validateSubmission(`${out}/empty`), /no Submission\/ folder/);
  await Deno.writeTextFile(`${out}/Submission.zip`, "x");
  await assert.rejects(() => validateSubmission(`${out}/Submission.zip`), /unzip the archive/);
  await Deno.remove(out, { recursive: true });
});

Deno.test("validate: structural checks without input catch implausible and reversed dims", async () => {
  const { out, root } = await correctSubmission("cmrx-validate-out-");
  await writeImg4Ranking(root, SAX, image([96, 72, 3, 12]), [96, 72, 3, 12]);
  await writeImg4Ranking(root, LAX, image([3, 2, 32, 32]), [3, 2, 32, 32]);
  await Deno.remove(`${root}/${T1}`);
  const r = await validateSubmission(root);
  assert.deepEqual(kinds(r.problems), ["dims", "transposed"]);
  assert.match(only(r, "dims").message, /3rd dim \(slices\) is 3.*4th dim \(frames\) is 12/);
  assert.equal(only(r, "transposed").file, LAX);
  // Without input a file missing for one acceleration only is noticed when another has it;
  // here there is only one acceleration, so no warning.
  assert.deepEqual(r.warnings, []);
  await Deno.remove(out, { recursive: true });
});

Deno.test("validate: without input, a case present at one acceleration but not another warns", async () => {
  const out = await Deno.makeTempDir();
  const root = submissionFolder(out);
  const d = [32, 36, 2, 3];
  for (const acc of ["AccFactor04", "AccFactor08"]) {
    await writeImg4Ranking(
      root,
      `MultiCoil/Cine/ValidationSet/${acc}/P001/cine_sax.mat`,
      image(d),
      d,
    );
  }
  await writeImg4Ranking(
    root,
    `MultiCoil/Cine/ValidationSet/AccFactor04/P002/cine_sax.mat`,
    image(d),
    d,
  );
  const r = await validateSubmission(out);
  assert.equal(r.ok, true);
  assert.equal(r.warnings.length, 1);
  assert.equal(r.warnings[0].kind, "inconsistent");
  assert.equal(r.warnings[0].file, "MultiCoil/Cine/ValidationSet/AccFactor08/P002/cine_sax.mat");
  await Deno.remove(out, { recursive: true });
});

Deno.test("validate: split inferred from TestSet folders; mixed splits are flagged", async () => {
  const out = await Deno.makeTempDir();
  const root = submissionFolder(out);
  const full = [96, 72, 3, 12];
  const rel = "MultiCoil/Cine/TestSet/AccFactor04/P001/cine_sax.mat";
  await writeImg4Ranking(root, rel, image(full), full);
  const r = await validateSubmission(out);
  assert.equal(r.split, "test");
  assert.equal(r.ok, true, JSON.stringify(r.problems));
  await writeImg4Ranking(root, SAX, image([32, 36, 2, 3]), [32, 36, 2, 3]);
  const m = await validateSubmission(out);
  assert.equal(m.split, "validation");
  assert.equal(only(m, "split").file, rel);
  await Deno.remove(out, { recursive: true });
});

Deno.test("validate: --task filter skips the other task's files", async () => {
  const { out, input } = await correctSubmission("cmrx-validate-out-");
  const r = await validateSubmission(out, { input, task: "cine" });
  assert.equal(r.ok, true);
  assert.equal(r.expected, 2);
  assert.equal(r.skipped.length, 2);
  assert.match(formatReport(r), /task cine; 2 files outside them not checked/);
  await Deno.remove(out, { recursive: true });
});

Deno.test("validate command: exit codes, --json report, usage errors", async () => {
  const { out, root, input } = await correctSubmission("cmrx-validate-out-");
  const json = `${out}/report.json`;
  const log = console.log;
  const lines: string[] = [];
  console.log = (...a: unknown[]) => lines.push(a.join(" "));
  try {
    assert.equal(await validateCommand.run([out, "--input", input, "--json", json]), 0);
    const rep = JSON.parse(await Deno.readTextFile(json));
    assert.equal(rep.ok, true);
    assert.equal(rep.expected, 4);
    await Deno.remove(`${root}/${T1}`);
    assert.equal(await validateCommand.run([out, "--input", input, "--json", json]), 1);
    const bad = JSON.parse(await Deno.readTextFile(json));
    assert.equal(bad.problems[0].kind, "missing");
    assert.equal(bad.problems[0].file, T1);
    assert.match(lines.join("\n"), /missing \(1\):/);
  } finally {
    console.log = log;
  }
  await assert.rejects(() => validateCommand.run([]), /give exactly one submission folder/);
  await assert.rejects(
    () => validateCommand.run([out, "--split", "training"]),
    /validation or test/,
  );
  await assert.rejects(() => validateCommand.run([out, "--year", "2026"]), /--year/);
  await assert.rejects(() => validateCommand.run([`${out}/missing`]), /no such folder/);
  await Deno.remove(out, { recursive: true });
});

Deno.test("validate: a folder with no submission file is never OK, with or without filters", async () => {
  const out = await Deno.makeTempDir({ prefix: "cmrx-validate-empty-" });
  await Deno.mkdir(`${out}/Submission`);
  const r = await validateSubmission(out);
  assert.equal(r.ok, false);
  const p = only(r, "empty");
  assert.equal(p.path, `${out}/Submission`);
  assert.match(p.message, /no validation-split img4ranking file found in .*Submission/);
  assert.match(p.fix, /deno task submit --split validation/);
  assert.match(formatReport(r), /INVALID: 1 problem/);
  assert.doesNotMatch(formatReport(r), /OK: 0 file/);
  // Files of another task only: nothing in scope is not OK either.
  const { out: full } = await correctSubmission("cmrx-validate-out-");
  await Deno.remove(`${full}/Submission/MultiCoil/Mapping`, { recursive: true });
  const m = await validateSubmission(full, { task: "mapping" });
  assert.match(only(m, "empty").message, /for task mapping/);
  assert.equal(await quiet(() => validateCommand.run([out])), 1);
  await Deno.remove(out, { recursive: true });
  await Deno.remove(full, { recursive: true });
});

/** Makes a named pipe (FIFO) with mkfifo. */
async function mkfifo(path: string): Promise<void> {
  const r = await new Deno.Command("mkfifo", { args: [path] }).output();
  assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
}

/** Runs `fn` with console.log captured; returns its result (the lines go to `lines`). */
async function quiet<T>(fn: () => Promise<T>, lines: string[] = []): Promise<T> {
  const log = console.log;
  console.log = (...a: unknown[]) => lines.push(a.join(" "));
  try {
    return await fn();
  } finally {
    console.log = log;
  }
}

Deno.test("validate: input entries that cannot be read are errors naming the entry and the fix", async () => {
  const { out, root, input } = await correctSubmission("cmrx-validate-out-");
  // An input whose P001 is the real one and whose P002 holds a dangling link and a pipe.
  const bad = await Deno.makeTempDir({ prefix: "cmrx-validate-badinput-" });
  const acc = "MultiCoil/Cine/ValidationSet/AccFactor04";
  await Deno.mkdir(`${bad}/${acc}/P002`, { recursive: true });
  await Deno.symlink(`${input}/${acc}/P001`, `${bad}/${acc}/P001`);
  await Deno.symlink(`${bad}/nowhere.mat`, `${bad}/${acc}/P002/cine_sax.mat`);
  await mkfifo(`${bad}/${acc}/P002/cine_lax.mat`);
  // The submission holds P002's sax (it is not "extra": its input entry is the problem).
  const sax2 = `${acc}/P002/cine_sax.mat`;
  await writeImg4Ranking(root, sax2, image(await dimsOf(SAX)), await dimsOf(SAX));
  const r = await validateSubmission(out, { input: bad, task: "cine" });
  assert.equal(r.ok, false);
  assert.deepEqual(kinds(r.problems), ["input", "input"]);
  const byPath = Object.fromEntries(r.problems.map((p) => [p.path, p]));
  const link = byPath[`${bad}/${sax2}`];
  assert.match(link.message, /input entry is a symbolic link whose target does not exist/);
  assert.match(link.message, /P002\/cine_sax\.mat cannot be checked/);
  assert.match(link.fix, /repair the link/);
  assert.match(byPath[`${bad}/${acc}/P002/cine_lax.mat`].message, /named pipe \(FIFO\)/);
  assert.match(formatReport(r), /INVALID: 2 problem/);
  await Deno.remove(bad, { recursive: true });
  await Deno.remove(out, { recursive: true });
});

Deno.test("validate command: task, split and edition from the run manifest, else from the content", async () => {
  const { out, input } = await correctSubmission("cmrx-validate-out-");
  await Deno.remove(`${out}/Submission/MultiCoil/Mapping`, { recursive: true });
  // No manifest: a cine-only folder is a cine submission.
  let lines: string[] = [];
  assert.equal(await quiet(() => validateCommand.run([out, "--input", input]), lines), 0);
  assert.match(
    lines[0],
    /^submission: task cine \(content: Cine files only\), split validation \(content: ValidationSet files\), 2023 rules \(default\)$/,
  );
  // A manifest saying both: the Mapping files are missing.
  await writeRunManifest(out, runManifest({ task: "both" }));
  lines = [];
  assert.equal(await quiet(() => validateCommand.run([out, "--input", input]), lines), 1);
  assert.match(
    lines[0],
    /task both, split validation, 2023 rules \(from the run manifest .*cmrxkit-run\.json\)/,
  );
  assert.match(
    lines.join("\n"),
    /MultiCoil\/Mapping\/ValidationSet\/AccFactor04\/P001\/T1map\.mat: missing/,
  );
  // The manifest next to Submission/ is found from the Submission folder too; flags override.
  lines = [];
  assert.equal(
    await quiet(
      () => validateCommand.run([`${out}/Submission`, "--input", input, "--task", "cine"]),
      lines,
    ),
    0,
  );
  assert.match(lines[0], /task cine \(--task\), split validation \(run manifest/);
  await Deno.remove(out, { recursive: true });
});

Deno.test("validate: a compressed img4ranking is refused on its declared dims before it is inflated", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cmrx-validate-bomb-" });
  const f = `${dir}/cine_sax.mat`;
  // 4096 x 4096 single (64 MiB declared): implausible for the validation split, wrong
  // against the expected dims. The data part cannot be inflated: reading it would say
  // "corrupt" instead (after allocating 64 MiB).
  await Deno.writeFile(f, lazyBomb([4096, 4096]));
  const ctx = {
    split: "validation" as const,
    task: "cine" as const,
    name: "cine_sax",
    year: 2023 as const,
  };
  for (const expectedDims of [undefined, [32, 36, 2, 3]]) {
    const c = await checkImg4RankingFile(f, "cine_sax.mat", { ...ctx, expectedDims });
    assert.deepEqual(kinds(c.problems), ["dims"], JSON.stringify(c.problems));
    assert.match(c.problems[0].message, /dims \[4096, 4096\]/);
    assert.deepEqual(c.dims, [4096, 4096]);
  }
  // Test split, no dims known: plausible in shape, but 2^28 values is more than any
  // CMRxRecon image holds (1 GiB as single): refused on that bound.
  await Deno.writeFile(f, lazyBomb([8192, 8192, 2, 2]));
  const t = await checkImg4RankingFile(f, "cine_sax.mat", { ...ctx, split: "test" });
  assert.deepEqual(kinds(t.problems), ["dims"], JSON.stringify(t.problems));
  assert.match(t.problems[0].message, /268435456 values.*more than/);
  // A big other variable beside a good img4ranking is refused too, not inflated.
  const good = [32, 36, 2, 3];
  await writeMatV5(f, [{
    name: "img4ranking",
    array: { dims: good, matClass: "single", complex: false, data: image(good) },
  }]);
  const both = new Uint8Array([
    ...await Deno.readFile(f),
    ...lazyBomb([4096, 4096, 16], "extra").subarray(128),
  ]);
  await Deno.writeFile(f, both);
  const o = await checkImg4RankingFile(f, "cine_sax.mat", { ...ctx, expectedDims: good });
  assert.deepEqual(kinds(o.problems), ["variable"], JSON.stringify(o.problems));
  assert.match(o.problems[0].message, /'extra'.*\[4096, 4096, 16\]/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("validate: cleanup shared dataset", async () => {
  await removeDataset();
});
