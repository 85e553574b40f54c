/**
 * First contact (issue 17): the demo never deletes a user's files, flags get a did-you-mean
 * and case slips are accepted, relative paths mean the folder the user ran the command from,
 * and the demo shows progress, records where `deno task leaderboard` looks and prints
 * commands a user can copy.
 */

import assert from "node:assert/strict";
import { checkOwnedFolder, claimOwnedFolder, removeOwnedEntry } from "../../src/outdir.ts";
import { CmrxError } from "../../src/errors.ts";

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

Deno.test("outdir: a marked folder is reused and only the owner's entries are removed", async () => {
  const dir = await Deno.makeTempDir();
  const owner = { marker: ".cmrxkit-x", what: "x", flag: "--out" };
  assert.equal(await checkOwnedFolder(`${dir}/new`, owner), "missing");
  assert.equal(await claimOwnedFolder(`${dir}/new/deep`, owner), false);
  assert.ok(await exists(`${dir}/new/deep/.cmrxkit-x`));
  assert.equal(await checkOwnedFolder(`${dir}/new/deep`, owner), "owned");
  assert.equal(await claimOwnedFolder(`${dir}/new/deep`, owner), true);
  await Deno.mkdir(`${dir}/new/deep/data/sub`, { recursive: true });
  await Deno.writeTextFile(`${dir}/new/deep/mine.txt`, "keep");
  await removeOwnedEntry(`${dir}/new/deep`, "data");
  await removeOwnedEntry(`${dir}/new/deep`, "never-made");
  assert.deepEqual(
    [...Deno.readDirSync(`${dir}/new/deep`)].map((e) => e.name).sort(),
    [".cmrxkit-x", "mine.txt"],
  );
  await assert.rejects(removeOwnedEntry(`${dir}/new`, "../x"));
  await assert.rejects(removeOwnedEntry(`${dir}/new`, ".."));
  await Deno.writeTextFile(`${dir}/user.txt`, "x");
  await assert.rejects(checkOwnedFolder(dir, owner), CmrxError);
  await Deno.remove(dir, { recursive: true });
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
    // A folder left by an earlier demo, with a stale file of its own and a user's note.
    const dir = `${user}/cmrxkit-demo`;
    await Deno.mkdir(`${dir}/data`, { recursive: true });
    await Deno.writeTextFile(`${dir}/.cmrxkit-demo`, "earlier demo\n");
    await Deno.writeTextFile(`${dir}/data/stale.txt`, "old");
    await Deno.writeTextFile(`${dir}/notes.txt`, "mine");
    const env = { INIT_CWD: user, CMRXKIT_HOME: home };
    const r = await cli(["demo"], { cwd: REPO, env });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    noStack(r.stderr);
    assert.equal(await Deno.readTextFile(`${dir}/notes.txt`), "mine");
    assert.ok(!(await exists(`${dir}/data/stale.txt`)));
    assert.ok(await exists(`${dir}/out/Submission.zip`));
    assert.ok(await exists(`${dir}/out/report/index.html`));
    assert.match(r.stderr, /submit: 12\/12 files/);
    assert.match(r.stdout, new RegExp(`recorded on ${home}/leaderboard\\.sqlite`));
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
