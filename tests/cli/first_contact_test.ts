/**
 * First contact (issue 17): the demo never deletes a user's files, flags get a did-you-mean
 * and case slips are accepted, relative paths mean the folder the user ran the command from,
 * and the demo shows progress, records where `deno task leaderboard` looks and prints
 * commands a user can copy.
 */

import assert from "node:assert/strict";
import { checkOwnedFolder, readWrittenList, writeMarker } from "../../src/written_files.ts";
import { CmrxError, UsageError } from "../../src/errors.ts";
import {
  DEMO_MARKER,
  type DemoFolder,
  moveFilesInto,
  prepareDemoFolder,
  recordDemoFiles,
} from "../../cli/demo.ts";

const MAIN = new URL("../../cli/main.ts", import.meta.url).pathname;
const REPO = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

async function cli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    cwd: opts.cwd,
    // `deno task test` sets INIT_CWD for the whole suite: say where each command "was typed".
    env: { NO_COLOR: "1", INIT_CWD: opts.cwd ?? Deno.cwd(), ...opts.env },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

const noStack = (s: string) => assert.doesNotMatch(s, /\s+at .*\.ts:\d+|internal error/);

async function exists(path: string) {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("demo --out refuses a folder holding a user's file, and leaves it intact", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/thesis.tex`, "years of work");
  const r = await cli(["demo", "--out", dir]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, new RegExp(`error: ${dir}: the folder is not empty and was not made`));
  assert.match(r.stderr, /fix: choose a new or empty folder for --out/);
  noStack(r.stderr);
  assert.equal(await Deno.readTextFile(`${dir}/thesis.tex`), "years of work");
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["thesis.tex"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("demo --out . (or a file) is refused in a folder the demo did not make", async () => {
  // Stand-ins for the repository root (where deno task runs) and the user's folder, so that a
  // regression could only ever empty temporary folders.
  const repo = await Deno.makeTempDir();
  await Deno.writeTextFile(`${repo}/deno.json`, "{}");
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/notes.txt`, "mine");
  // As `deno task demo --out .` typed in the user's folder (deno task runs in the repository
  // root and sets INIT_CWD), and as a plain run from either folder.
  for (const opts of [{ cwd: repo, env: { INIT_CWD: dir } }, { cwd: dir }, { cwd: repo }]) {
    const r = await cli(["demo", "--out", "."], opts);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /error: \.: the folder is not empty and was not made by cmrxkit's demo/);
    noStack(r.stderr);
  }
  const f = await cli(["demo", "--out", `${dir}/notes.txt`]);
  assert.equal(f.code, 2, f.stderr);
  assert.match(f.stderr, /notes\.txt: the demo's output exists and is not a folder/);
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["notes.txt"]);
  assert.equal(await Deno.readTextFile(`${dir}/notes.txt`), "mine");
  assert.deepEqual([...Deno.readDirSync(repo)].map((e) => e.name), ["deno.json"]);
  await Deno.remove(dir, { recursive: true });
  await Deno.remove(repo, { recursive: true });
});

async function put(path: string, text: string) {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  await Deno.writeTextFile(path, text);
}

/** What an earlier demo run writes, as the demo does it: prepare, write, record. */
async function fakeDemoRun(dir: string): Promise<DemoFolder> {
  const folder = await prepareDemoFolder(dir);
  const tmp = await Deno.makeTempDir();
  await put(`${tmp}/MultiCoil/Cine/ValidationSet/AccFactor04/P001/cine_sax.mat`, "demo");
  await moveFilesInto(folder, tmp, "data");
  await Deno.remove(tmp, { recursive: true });
  for (
    const rel of [
      "out/Submission.zip",
      "out/run-log.jsonl",
      "out/report/index.html",
      "out/report/.cmrxkit-report",
    ]
  ) await put(`${dir}/${rel}`, "demo");
  await recordDemoFiles(folder);
  return folder;
}

Deno.test("demo folder: a re-run removes only the files the demo wrote; a user's stay", async () => {
  const dir = `${await Deno.makeTempDir()}/cmrxkit-demo`;
  const first = await fakeDemoRun(dir);
  assert.equal(first.reused, false);
  assert.deepEqual(await readWrittenList(`${dir}/${DEMO_MARKER}`), [
    "data/MultiCoil/Cine/ValidationSet/AccFactor04/P001/cine_sax.mat",
    "out/Submission.zip",
    "out/report/.cmrxkit-report",
    "out/report/index.html",
    "out/run-log.jsonl",
  ]);
  // The user adds files next to the demo's, in data/, out/ and out/report/.
  await put(`${dir}/data/notes.txt`, "mine");
  await put(`${dir}/data/MultiCoil/Cine/ValidationSet/AccFactor04/P001/my.mat`, "mine");
  await put(`${dir}/out/mine/results.csv`, "mine");
  await put(`${dir}/out/report/extra.png`, "mine");
  const again = await prepareDemoFolder(dir);
  assert.equal(again.reused, true);
  assert.deepEqual(again.removed.sort(), [
    "data/MultiCoil/Cine/ValidationSet/AccFactor04/P001/cine_sax.mat",
    "out/Submission.zip",
    "out/report/index.html",
    "out/run-log.jsonl",
  ]);
  // (data/ holds none of the demo's files any more: named as a whole)
  assert.deepEqual(again.kept, ["data/", "out/mine/", "out/report/extra.png"]);
  for (
    const rel of [
      "data/notes.txt",
      "data/MultiCoil/Cine/ValidationSet/AccFactor04/P001/my.mat",
      "out/mine/results.csv",
      "out/report/extra.png",
    ]
  ) assert.equal(await Deno.readTextFile(`${dir}/${rel}`), "mine", rel);
  // The report's marker stays with the user's file in its folder (a later report needs it).
  assert.ok(await exists(`${dir}/out/report/.cmrxkit-report`));
  assert.ok(!(await exists(`${dir}/out/Submission.zip`)));
  // The second run's files are recorded; the user's are not, and survive a third run.
  await put(`${dir}/out/Submission.zip`, "demo again");
  await recordDemoFiles(again);
  assert.deepEqual(await readWrittenList(`${dir}/${DEMO_MARKER}`), [
    "out/Submission.zip",
    "out/report/.cmrxkit-report",
  ]);
  await prepareDemoFolder(dir);
  assert.equal(await Deno.readTextFile(`${dir}/data/notes.txt`), "mine");
  assert.equal(await Deno.readTextFile(`${dir}/out/mine/results.csv`), "mine");
  assert.ok(!(await exists(`${dir}/out/Submission.zip`)));
  await Deno.remove(dir.slice(0, dir.lastIndexOf("/")), { recursive: true });
});

Deno.test("demo folder: the dataset is moved in beside a user's files, never over one", async () => {
  const dir = `${await Deno.makeTempDir()}/cmrxkit-demo`;
  const folder = await prepareDemoFolder(dir);
  await put(`${dir}/data/notes.txt`, "mine");
  const tmp = await Deno.makeTempDir();
  await put(`${tmp}/MultiCoil/a.mat`, "demo");
  await put(`${tmp}/GroundTruth/b.mat`, "demo");
  await moveFilesInto(folder, tmp, "data");
  assert.equal(await Deno.readTextFile(`${dir}/data/notes.txt`), "mine");
  assert.equal(await Deno.readTextFile(`${dir}/data/MultiCoil/a.mat`), "demo");
  assert.deepEqual(await readWrittenList(`${dir}/${DEMO_MARKER}`), [
    "data/GroundTruth/b.mat",
    "data/MultiCoil/a.mat",
  ]);
  // A user's file where the dataset goes is refused, not overwritten.
  const again = await prepareDemoFolder(dir);
  await put(`${dir}/data/MultiCoil/a.mat`, "mine");
  const tmp2 = await Deno.makeTempDir();
  await put(`${tmp2}/MultiCoil/a.mat`, "demo");
  await assert.rejects(moveFilesInto(again, tmp2, "data"), (e: Error) => {
    assert.ok(e instanceof UsageError);
    assert.match(e.message, /holds data\/MultiCoil\/a\.mat, which cmrxkit did not write/);
    return true;
  });
  assert.equal(await Deno.readTextFile(`${dir}/data/MultiCoil/a.mat`), "mine");
  assert.equal(await Deno.readTextFile(`${tmp2}/MultiCoil/a.mat`), "demo");
  await Deno.remove(tmp, { recursive: true });
  await Deno.remove(tmp2, { recursive: true });
  await Deno.remove(dir.slice(0, dir.lastIndexOf("/")), { recursive: true });
});

Deno.test("demo folder: an older demo's marker (no list) removes nothing and refuses", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/${DEMO_MARKER}`, "earlier demo\n");
  await put(`${dir}/data/notes.txt`, "mine");
  await put(`${dir}/out/Submission.zip`, "old");
  await assert.rejects(prepareDemoFolder(dir), (e: Error) => {
    assert.ok(e instanceof UsageError);
    assert.match(e.message, /data\/ and out\/ of an older demo/);
    assert.match((e as UsageError).hint ?? "", /move .*data.* out of the folder/);
    return true;
  });
  assert.equal(await Deno.readTextFile(`${dir}/data/notes.txt`), "mine");
  assert.equal(await Deno.readTextFile(`${dir}/out/Submission.zip`), "old");
  assert.equal(await Deno.readTextFile(`${dir}/${DEMO_MARKER}`), "earlier demo\n");
  // Once they are out of the way, the folder is the demo's again.
  await Deno.remove(`${dir}/data`, { recursive: true });
  await Deno.remove(`${dir}/out`, { recursive: true });
  assert.equal((await prepareDemoFolder(dir)).reused, true);
  // Other owners' folders and users' folders are refused.
  const owner = { marker: ".cmrxkit-x", what: "x", flag: "--out" };
  assert.equal(await checkOwnedFolder(`${dir}/new`, owner), "missing");
  await Deno.writeTextFile(`${dir}/user.txt`, "x");
  await assert.rejects(checkOwnedFolder(dir, owner), CmrxError);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("demo --method: an unknown name is refused before anything is created", async () => {
  const dir = await Deno.makeTempDir();
  const home = await Deno.makeTempDir();
  const r = await cli(["demo", "--out", `${dir}/d`, "--method", "nosuch"], {
    env: { CMRXKIT_HOME: home },
  });
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /error: .*unknown model 'nosuch'/);
  noStack(r.stderr);
  assert.doesNotMatch(r.stdout, /synthesising/);
  assert.deepEqual([...Deno.readDirSync(dir)], []);
  assert.deepEqual([...Deno.readDirSync(home)], []);
  await Deno.remove(dir, { recursive: true });
  await Deno.remove(home, { recursive: true });
});

Deno.test("flags: did-you-mean for unknown flags and commands; one error style", async () => {
  const dir = await Deno.makeTempDir();
  const s = await cli(["submit", "--ouput", `${dir}/o`, "--input", dir]);
  assert.equal(s.code, 2);
  assert.match(s.stderr, /^error: submit: unknown flag --ouput\n {2}fix: did you mean --output\?/);
  noStack(s.stderr);
  assert.deepEqual([...Deno.readDirSync(dir)], []);
  const p = await cli(["demo", "--pateints", "2", "--out", `${dir}/d`]);
  assert.equal(p.code, 2);
  assert.match(
    p.stderr,
    /error: demo: unknown flag --pateints\n {2}fix: did you mean --patients\?/,
  );
  assert.ok(!(await exists(`${dir}/d`)));
  const m = await cli(["synth", "--out"]);
  assert.equal(m.code, 2);
  assert.match(m.stderr, /error: synth: --out needs a value\n {2}fix: /);
  const c = await cli(["sumbit"]);
  assert.equal(c.code, 2);
  assert.match(c.stderr, /error: unknown command 'sumbit'\n {2}fix: did you mean 'submit'\?/);
  const t = await cli(["cases", "--input", dir, "--task", "cien"]);
  assert.equal(t.code, 2);
  assert.match(t.stderr, /error: cases: --task must be cine, mapping or both, got 'cien'/);
  assert.match(t.stderr, /fix: did you mean --task cine\?/);
  const z = await cli(["synth", "--out", `${dir}/s`, "--size", "huge"]);
  assert.equal(z.code, 2);
  assert.match(z.stderr, /error: synth: --size must be small or full, got 'huge'\n {2}fix: /);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("paths: relative paths mean INIT_CWD; case slips in --task/--split/--coil work", async () => {
  const ran = await Deno.makeTempDir(); // where deno task runs (the repository root)
  const user = await Deno.makeTempDir(); // where the user typed the command
  const r = await cli(
    ["synth", "--out", "rel", "--patients", "1", "--task", "Cine", "--acc", "4"],
    { cwd: ran, env: { INIT_CWD: user } },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.ok(await exists(`${user}/rel/MultiCoil/Cine/ValidationSet/AccFactor04/P001`));
  assert.ok(!(await exists(`${ran}/rel`)));
  const c = await cli(
    ["cases", "--input", "rel", "--task", "Cine", "--split", "Validation", "--coil", "Multi"],
    { cwd: ran, env: { INIT_CWD: user } },
  );
  assert.equal(c.code, 0, c.stderr);
  assert.match(c.stdout, /MultiCoil\/Cine\/ValidationSet\/AccFactor04\s+1 patients/);
  // The repository's own files are found wherever the command runs.
  const m = await cli(["models"], { cwd: ran, env: { INIT_CWD: user } });
  assert.equal(m.code, 0, m.stderr);
  assert.match(m.stdout, new RegExp(`ONNX models in ${REPO}/models/: [1-9]`));
  await Deno.remove(ran, { recursive: true });
  await Deno.remove(user, { recursive: true });
});

Deno.test({
  name: "demo: visible folder, progress, leaderboard, copyable commands; reuses its own folder",
  // The whole pipeline once (about a minute or two on two cores).
  async fn() {
    const user = await Deno.makeTempDir();
    const home = await Deno.makeTempDir();
    // A folder left by an earlier demo, with a stale file of its own (listed in its marker)
    // and a user's notes beside it, in data/ and in out/.
    const dir = `${user}/cmrxkit-demo`;
    await put(`${dir}/data/stale.txt`, "old");
    await writeMarker(`${dir}/${DEMO_MARKER}`, "earlier demo", ["data/stale.txt"]);
    await put(`${dir}/notes.txt`, "mine");
    await put(`${dir}/data/notes.txt`, "mine");
    await put(`${dir}/out/notes.txt`, "mine");
    const env = { INIT_CWD: user, CMRXKIT_HOME: home };
    const r = await cli(["demo"], { cwd: REPO, env });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    noStack(r.stderr);
    for (const f of ["notes.txt", "data/notes.txt", "out/notes.txt"]) {
      assert.equal(await Deno.readTextFile(`${dir}/${f}`), "mine", f);
    }
    assert.match(r.stdout, /removed the 1 file\(s\) it wrote/);
    assert.match(
      r.stdout,
      /left as they are \(the demo did not write them\): data\/, notes\.txt, out\/\n/,
    );
    assert.ok(!(await exists(`${dir}/data/stale.txt`)));
    // Every file the demo wrote is listed in its marker; the user's are not.
    const listed = (await readWrittenList(`${dir}/${DEMO_MARKER}`))!;
    assert.ok(listed.includes("out/Submission.zip"), listed.join("\n"));
    assert.ok(listed.includes("out/report/index.html"));
    assert.ok(listed.some((f) => f.startsWith("data/GroundTruth/")));
    assert.ok(!listed.some((f) => f.endsWith("notes.txt")));
    assert.ok(await exists(`${dir}/out/Submission.zip`));
    assert.ok(await exists(`${dir}/out/report/index.html`));
    assert.match(r.stderr, /submit: 12\/12 files/);
    assert.match(r.stdout, new RegExp(`on the leaderboard \\(${home}/leaderboard\\.sqlite\\)`));
    assert.match(r.stdout, /cine #1 on .*: 'demo /);
    const lb = await cli(["leaderboard"], { cwd: REPO, env });
    assert.equal(lb.code, 0, lb.stderr);
    assert.match(lb.stdout, /Cine: 1 run\(s\)[\s\S]*\bdemo /);
    // The printed commands carry the real paths and run as printed.
    const validate = r.stdout.match(/^ {2}.* task(?: --config \S+)? validate (.*)$/m);
    assert.ok(validate, r.stdout);
    assert.equal(validate[1], "cmrxkit-demo/out --input cmrxkit-demo/data");
    const v = await cli(["validate", ...validate[1].split(" ")], { cwd: user });
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(r.stdout, /task(?: --config \S+)? score --submission cmrxkit-demo\/out --truth/);
    assert.match(r.stdout, /task(?: --config \S+)? report --runs cmrxkit-demo\/out/);
    assert.match(r.stdout, /Next: run it on real data[\s\S]* submit --input /);
    await Deno.remove(user, { recursive: true });
    await Deno.remove(home, { recursive: true });
  },
});
