/**
 * Submit on bad output locations, unknown models, folders written by another run, stale
 * temporary files, concurrent runs and broken inputs (issue #17).
 */
import assert from "node:assert/strict";
import { discover } from "../../src/challenge/layout.ts";
import { CmrxError, UsageError } from "../../src/errors.ts";
import { listModels, SHIPPED_MODELS } from "../../src/models/registry.ts";
import { lockName } from "../../src/pipeline/lock.ts";
import { readRunManifest, RUN_MANIFEST } from "../../src/pipeline/run_manifest.ts";
import { checkModel } from "../../src/pipeline/select.ts";
import { submit, type SubmitOptions } from "../../src/pipeline/submit.ts";
import { getMethod } from "../../src/recon/registry.ts";
import { synthesize } from "../../src/synth/dataset.ts";
import { main } from "../../cli/main.ts";

const root = await Deno.makeTempDir({ prefix: "cmrxkit-submit-safety-" });
const data = `${root}/data`;
await synthesize({ out: data, size: "small", seed: 7, patients: 1, accs: [4] });
const zf = getMethod("zerofill");
const base = (output: string, extra: Partial<SubmitOptions> = {}): SubmitOptions => ({
  input: data,
  output,
  task: "cine",
  split: "validation",
  select: () => zf,
  model: "zerofill",
  workers: 1,
  ...extra,
});

async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (p: string, rel: string) => {
    for await (const e of Deno.readDir(p)) {
      if (e.isDirectory) await walk(`${p}/${e.name}`, `${rel}${e.name}/`);
      else out.push(rel + e.name);
    }
  };
  await walk(dir, "").catch(() => {});
  return out.sort();
}

/** A pid that was alive a moment ago and is not any more. */
async function deadPid(): Promise<number> {
  const child = new Deno.Command("true").spawn();
  await child.status;
  return child.pid;
}

Deno.test("submit --output: a file, a path under a file, a dangling link: errors naming the path, nothing created", async () => {
  const file = `${root}/a-file`;
  await Deno.writeTextFile(file, "user data");
  await assert.rejects(() => submit(base(file)), (e: Error) => {
    assert.ok(e instanceof CmrxError);
    assert.match(e.message, /a-file: is a regular file, not a folder/);
    assert.match(e.message, /fix: give --output a folder/);
    return true;
  });
  await assert.rejects(
    () => submit(base(`${file}/sub/out`)),
    /a-file\/sub\/out: cannot create the folder: .*a-file is a regular file/,
  );
  await Deno.symlink(`${root}/nowhere`, `${root}/dangling`);
  await assert.rejects(() => submit(base(`${root}/dangling`)), /symbolic link whose target/);
  assert.equal(await Deno.readTextFile(file), "user data");
  await assert.rejects(() => Deno.lstat(`${root}/nowhere`), Deno.errors.NotFound);
  // Inside the folder: a file where Submission/ goes, a folder where the run log goes.
  const odd = `${root}/odd`;
  await Deno.mkdir(odd);
  await Deno.writeTextFile(`${odd}/Submission`, "not a folder");
  await assert.rejects(() => submit(base(odd)), /odd\/Submission: is a regular file, not a folder/);
  await Deno.remove(`${odd}/Submission`);
  await Deno.mkdir(`${odd}/run-log.jsonl`);
  await assert.rejects(() => submit(base(odd)), /run-log.jsonl: is a directory, not a file/);
  await assert.rejects(
    () => submit(base(`${root}/odd2`, { log: `${file}/log.jsonl` })),
    /log.jsonl: cannot write the run log: .*a-file: is a regular file, not a folder/,
  );
  assert.deepEqual(await tree(odd), []);
  await assert.rejects(() => Deno.lstat(`${root}/odd2`), Deno.errors.NotFound);
});

Deno.test({
  name: "submit --output in a read-only folder: error naming it before any work",
  ignore: Deno.uid() === 0, // root writes anywhere
  fn: async () => {
    const ro = `${root}/ro`;
    await Deno.mkdir(ro);
    await Deno.chmod(ro, 0o555);
    try {
      await assert.rejects(() => submit(base(`${ro}/out`)), /is not writable/);
      await assert.rejects(() => submit(base(ro)), /ro: is not writable/);
      assert.deepEqual(await tree(ro), []);
    } finally {
      await Deno.chmod(ro, 0o755);
    }
  },
});

Deno.test({
  name: "submit --output in a folder nobody may write to (sysfs, also for root): error first",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    await assert.rejects(() => submit(base("/sys/kernel/cmrxkit-out")), (e: Error) => {
      assert.ok(e instanceof CmrxError);
      assert.match(e.message, /\/sys\/kernel\/cmrxkit-out: cannot be created: \/sys\/kernel/);
      assert.match(e.message, /fix: give --output a folder you can write to/);
      return true;
    });
  },
});

Deno.test("submit --output under missing folders: they are created", async () => {
  const out = `${root}/new/deeper/out`;
  const s = await submit(base(out));
  assert.ok(s.validation?.ok);
  assert.ok((await tree(out)).includes(RUN_MANIFEST));
  assert.ok(!(await tree(out)).some((f) => f.includes("write-test") || f.endsWith(".lock")));
});

Deno.test("--model that does not exist: listed choices, nothing created", async () => {
  const models = await listModels(SHIPPED_MODELS);
  await assert.rejects(() => checkModel("nosuch", models), (e: Error) => {
    assert.ok(e instanceof UsageError);
    assert.match(e.message, /unknown model 'nosuch'/);
    assert.match(e.message, /zerofill, grappa/);
    return true;
  });
  await checkModel("zerofill", models);
  await checkModel(undefined, models);
  const out = `${root}/never`;
  const code = await main(["submit", "--input", data, "--output", out, "--model", "nosuch"]);
  assert.notEqual(code, 0);
  await assert.rejects(() => Deno.lstat(out), Deno.errors.NotFound);
});

Deno.test("run manifest: written before the first case; another model stops the resume; --force recomputes", async () => {
  const out = `${root}/manifest`;
  let seenAtStart: unknown;
  const first = await submit(base(out, {
    onStart: () => {
      seenAtStart = Deno.readTextFileSync(`${out}/${RUN_MANIFEST}`);
    },
  }));
  assert.ok(seenAtStart, "manifest exists before the first case");
  const m = (await readRunManifest(out))!;
  assert.equal(m.model, "zerofill");
  assert.equal(m.task, "cine");
  assert.equal(m.split, "validation");
  assert.equal(m.year, 2023);
  assert.equal(m.input.path, data);
  assert.ok(m.input.files > 0 && m.input.fingerprint.length >= 16);

  const before = await Deno.readFile(`${out}/Submission/${(await tree(`${out}/Submission`))[0]}`);
  const grappa = getMethod("grappa");
  await assert.rejects(
    () => submit(base(out, { model: "grappa", select: () => grappa })),
    (e: Error) => {
      assert.ok(e instanceof CmrxError);
      assert.match(e.message, /model: "zerofill" vs "grappa"/);
      assert.match(e.message, /--force/);
      return true;
    },
  );
  assert.deepEqual(
    await Deno.readFile(`${out}/Submission/${(await tree(`${out}/Submission`))[0]}`),
    before,
  );
  assert.ok(!(await tree(out)).some((f) => f.endsWith(".lock")), "lock released on error");

  const forced = await submit(base(out, { model: "grappa", select: () => grappa, force: true }));
  assert.equal(forced.written, first.written);
  assert.equal((await readRunManifest(out))!.model, "grappa");
  // The same settings resume.
  const again = await submit(base(out, { model: "grappa", select: () => grappa }));
  assert.equal(again.written, 0);
  assert.equal(again.skipped, first.written);
});

Deno.test("run manifest: other filters merge (union); another input or options stop", async () => {
  const out = `${root}/merge`;
  await submit(base(out, { task: "cine", acc: [4] }));
  const s = await submit(base(out, { task: "mapping" }));
  assert.ok(s.written > 0);
  const m = (await readRunManifest(out))!;
  assert.equal(m.task, "both");
  assert.equal(m.acc, null);
  // Changed input: a file grows.
  const copy = `${root}/data-copy`;
  await new Deno.Command("cp", { args: ["-a", data, copy] }).output();
  const out2 = `${root}/merge2`;
  await submit({ ...base(out2), input: copy });
  const { cases } = await discover(copy, { split: "validation", task: "mapping" });
  await Deno.writeFile(cases[0].csvFile!, new TextEncoder().encode("\n"), { append: true });
  await assert.rejects(() => submit({ ...base(out2), input: copy }), /input: .* differ/);
  await submit({ ...base(out2), input: copy, force: true });
  // The same data at another path (e.g. mounted at /input) is the same input.
  const moved = `${root}/data-moved`;
  await Deno.rename(copy, moved);
  const r = await submit({ ...base(out2), input: moved });
  assert.equal(r.written, 0);
});

Deno.test("a folder with submission files but no manifest is refused unless --force", async () => {
  const out = `${root}/legacy`;
  await submit(base(out));
  await Deno.remove(`${out}/${RUN_MANIFEST}`);
  await assert.rejects(() => submit(base(out)), (e: Error) => {
    assert.match(e.message, /legacy: holds submission files .* but no run manifest/);
    assert.match(e.message, /--force/);
    return true;
  });
  const s = await submit(base(out, { force: true }));
  assert.ok(s.written > 0);
  assert.ok(await readRunManifest(out));
});

Deno.test("stale temporary files: cmrxkit's own of dead writers are removed, nothing else", async () => {
  const out = `${root}/stale`;
  await submit(base(out));
  const dir = `${out}/Submission/MultiCoil/Cine/ValidationSet/AccFactor04/P001`;
  const dead = await deadPid();
  const old = new Date(Date.now() - 3600_000);
  const names = {
    deadPid: `cine_sax.mat.tmp-${dead}-0a1b2c3d`,
    livePid: `cine_sax.mat.tmp-${Deno.pid}-0a1b2c3d`,
    legacy: "cine_lax.mat.tmp-0123456789ab",
    legacyH5: "cine_lax.mat.tmp-89abcdef.h5",
    notOurs: "notes.tmp",
    userFile: "cine_sax.mat.tmp-mine",
    link: "cine_lax.mat.tmp-fedcba98",
  };
  for (const [k, n] of Object.entries(names)) {
    if (k === "link") await Deno.symlink(`${root}/data`, `${dir}/${n}`);
    else {
      await Deno.writeTextFile(`${dir}/${n}`, "partial");
      await Deno.utime(`${dir}/${n}`, old, old);
    }
  }
  await Deno.writeTextFile(`${out}/Submission.zip.tmp-00112233aabb`, "partial zip");
  await Deno.utime(`${out}/Submission.zip.tmp-00112233aabb`, old, old);
  const notices: string[] = [];
  const s = await submit(base(out, { onNotice: (m) => notices.push(m) }));
  assert.equal(s.staleRemoved, 4);
  assert.ok(notices.some((n) => /removed 4 stale temporary file/.test(n)), notices.join("\n"));
  const left = await tree(dir);
  for (const k of ["livePid", "notOurs", "userFile", "link"] as const) {
    assert.ok(left.includes(names[k]), `${k} kept`);
  }
  for (const k of ["deadPid", "legacy", "legacyH5"] as const) {
    assert.ok(!left.includes(names[k]), `${k} removed`);
  }
  assert.ok(!(await tree(out)).includes("Submission.zip.tmp-00112233aabb"));
});

Deno.test("stale temporary files: the user's own files in --output are never removed", async () => {
  const out = `${root}/stale-user`;
  await submit(base(out));
  const dir = `${out}/Submission/MultiCoil/Cine/ValidationSet/AccFactor04/P001`;
  const old = new Date(Date.now() - 3600_000);
  const user = [
    "backup.tmp-20240101-cafebabe",
    "notes.tmp-0a1b2c3d",
    "Submission/x.txt.tmp-0a1b2c3d",
  ];
  const stale =
    `Submission/MultiCoil/Cine/ValidationSet/AccFactor04/P001/cine_sax.mat.tmp-${await deadPid()}-0a1b2c3d`;
  for (const n of [...user, stale]) {
    await Deno.writeTextFile(`${out}/${n}`, "mine");
    await Deno.utime(`${out}/${n}`, old, old);
  }
  const s = await submit(base(out));
  assert.equal(s.staleRemoved, 1);
  for (const n of user) assert.equal(await Deno.readTextFile(`${out}/${n}`), "mine", n);
  assert.ok(!(await tree(dir)).some((f) => f.includes(".tmp-")));
});

Deno.test("lock: a second run of the same output is refused naming the first; shards have their own", async () => {
  const out = `${root}/lock`;
  // Another process holds the lock.
  const sleeper = new Deno.Command("sleep", { args: ["30"] }).spawn();
  try {
    await Deno.mkdir(out, { recursive: true });
    const info = {
      pid: sleeper.pid,
      host: Deno.hostname(),
      started: "2025-01-02T03:04:05.000Z",
      command: "deno task submit --output lock",
      shard: null,
    };
    await Deno.writeTextFile(`${out}/${lockName()}`, JSON.stringify(info));
    await assert.rejects(() => submit(base(out)), (e: Error) => {
      assert.ok(e instanceof CmrxError);
      assert.match(e.message, new RegExp(`process ${sleeper.pid} on .*2025-01-02T03:04:05`));
      assert.match(e.message, /fix: wait for it to end/);
      return true;
    });
    assert.deepEqual(await tree(out), [lockName()], "nothing written");
    // A shard conflicts with the unsharded run too.
    await assert.rejects(() => submit(base(out, { shard: [0, 2] })), /another submit run/);
  } finally {
    sleeper.kill();
    await sleeper.status;
  }
  // Its process is gone: the lock is stale and taken over.
  const notices: string[] = [];
  const s = await submit(base(out, { onNotice: (m) => notices.push(m) }));
  assert.ok(s.validation?.ok);
  assert.ok(notices.some((n) => n.includes(`took over the stale lock of process ${sleeper.pid}`)));
  assert.ok(!(await tree(out)).some((f) => f.endsWith(".lock")), "released");
  // Two runs at once in this process: one does the work, the other is refused.
  const out2 = `${root}/lock2`;
  const both = await Promise.allSettled([submit(base(out2)), submit(base(out2))]);
  assert.equal(both.filter((r) => r.status === "fulfilled").length, 1);
  const refused = both.find((r) => r.status === "rejected") as PromiseRejectedResult;
  assert.match(String(refused.reason), new RegExp(`another submit run .* process ${Deno.pid}`));
});

Deno.test("a broken entry at a k-space position is a failed case, not OK", async () => {
  const copy = `${root}/broken`;
  await new Deno.Command("cp", { args: ["-r", data, copy] }).output();
  const { cases } = await discover(copy, { split: "validation", task: "cine" });
  await Deno.remove(cases[0].file);
  await Deno.symlink(`${copy}/missing.mat`, cases[0].file);
  const s = await submit({ ...base(`${root}/broken-out`), input: copy });
  assert.equal(s.failed.length, 1, JSON.stringify(s.failed));
  assert.match(s.failed[0].error!, /symbolic link whose target does not exist/);
  assert.match(s.failed[0].error!, /fix:/);
});

Deno.test("two runs on the same input into two folders: byte-identical files and zips", async () => {
  const a = `${root}/same-a`, b = `${root}/same-b`;
  await submit(base(a, { task: "both", zip: { team: "t" } }));
  await submit(base(b, { task: "both", zip: { team: "t" } }));
  const fa = (await tree(`${a}/Submission`)).filter((f) => f.endsWith(".mat"));
  assert.deepEqual((await tree(`${b}/Submission`)).filter((f) => f.endsWith(".mat")), fa);
  assert.ok(fa.length >= 4);
  for (const f of fa) {
    assert.deepEqual(
      await Deno.readFile(`${b}/Submission/${f}`),
      await Deno.readFile(`${a}/Submission/${f}`),
      f,
    );
  }
  assert.deepEqual(
    await Deno.readFile(`${b}/Submission.zip`),
    await Deno.readFile(`${a}/Submission.zip`),
  );
});

globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(root, { recursive: true });
  } catch { /* gone */ }
});
