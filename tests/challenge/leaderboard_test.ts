import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import {
  Leaderboard,
  LeaderboardBusyError,
  modelLabel,
  rowMark,
} from "../../src/challenge/leaderboard.ts";
import type { TaskScore } from "../../src/challenge/aggregate.ts";
import type { ScoreReport } from "../../src/challenge/score.ts";

const LEADERBOARD_URL = new URL("../../src/challenge/leaderboard.ts", import.meta.url).href;

function task(ssim: number, files = 4, expected = 4): TaskScore {
  return { ssim, psnr: 30, nmse: 0.01, byAcc: {}, files, expected };
}

/** A score report with both tasks (only what the leaderboard reads). */
function report(ssim = 0.9, truth = "/data/GroundTruth"): ScoreReport {
  return {
    year: 2023,
    split: "validation",
    submission: "out/Submission",
    truth,
    files: [],
    groups: [],
    aggregate: { cine: task(ssim), mapping: task(ssim - 0.1, 2, 2) },
    missing: [],
    malformed: [],
    truthProblems: [],
    incomplete: false,
  };
}

async function tempDb(): Promise<{ dir: string; db: string }> {
  const dir = await Deno.makeTempDir({ prefix: "cmrx-leaderboard-" });
  return { dir, db: `${dir}/leaderboard.sqlite` };
}

function count(db: string): number {
  const d = new DatabaseSync(db);
  try {
    return Number((d.prepare("select count(*) as n from runs").get() as { n: number }).n);
  } finally {
    d.close();
  }
}

Deno.test("leaderboard: concurrent records from separate processes are all stored", async () => {
  const { dir, db } = await tempDb();
  const procs = 4, each = 5;
  // Each child says it is ready, waits for the go file, then opens the (not yet existing)
  // database and records: all of them at the same time.
  const code = `
    import { Leaderboard } from ${JSON.stringify(LEADERBOARD_URL)};
    const [db, go, who] = Deno.args;
    Deno.writeTextFileSync(go + "-ready-" + who, "");
    while (true) { try { Deno.statSync(go); break; } catch { await new Promise((r) => setTimeout(r, 5)); } }
    const report = ${JSON.stringify(report())};
    for (let i = 0; i < ${each}; i++) {
      using lb = new Leaderboard(db);
      lb.record(report, { name: who + "-" + i });
    }`;
  const children = Array.from({ length: procs }, (_, i) =>
    new Deno.Command(Deno.execPath(), {
      args: ["eval", code, db, `${dir}/go`, `p${i}`],
      stdout: "piped",
      stderr: "piped",
    }).spawn());
  const ready = async () => {
    for (let i = 0; i < procs; i++) {
      if (!await Deno.stat(`${dir}/go-ready-p${i}`).then(() => true, () => false)) return false;
    }
    return true;
  };
  for (let t = 0; !await ready() && t < 6000; t++) await new Promise((r) => setTimeout(r, 10));
  await Deno.writeTextFile(`${dir}/go`, "");
  const outs = await Promise.all(children.map((c) => c.output()));
  for (const o of outs) assert.equal(o.code, 0, new TextDecoder().decode(o.stderr));
  using lb = new Leaderboard(db);
  assert.equal(lb.ranked({ task: "cine" }).length, procs * each);
  assert.equal(lb.ranked({ task: "mapping" }).length, procs * each);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("leaderboard: a record is one transaction (a failure mid-way leaves no half entry)", async () => {
  const { dir, db } = await tempDb();
  {
    using lb = new Leaderboard(db);
    lb.record(report(), { name: "first" });
  }
  // Make the second insert of a record (the mapping row) fail.
  const raw = new DatabaseSync(db);
  raw.exec(`create trigger fail_mapping before insert on runs when new.task = 'mapping'
    and new.name = 'broken' begin select raise(abort, 'simulated failure'); end`);
  raw.close();
  using lb = new Leaderboard(db);
  assert.throws(() => lb.record(report(), { name: "broken" }), /simulated failure/);
  assert.deepEqual(lb.ranked({ task: "cine" }).map((r) => r.name), ["first"]);
  assert.equal(count(db), 2);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("leaderboard: a lock held past the busy timeout is a clear error naming the file", async () => {
  const { dir, db } = await tempDb();
  new Leaderboard(db).close();
  const other = new DatabaseSync(db);
  other.exec("begin immediate"); // another process holding the write lock
  try {
    using lb = new Leaderboard(db, { busyTimeoutMs: 100 });
    const t0 = performance.now();
    assert.throws(() => lb.record(report(), { name: "late" }), (e: unknown) => {
      assert.ok(e instanceof LeaderboardBusyError);
      assert.equal(e.file, db);
      assert.match(e.message, /another process holds the database locked/);
      assert.match(e.hint!, /wait for it to finish and run the command again/);
      assert.doesNotMatch(e.message, /writable/);
      return true;
    });
    assert.ok(performance.now() - t0 >= 90, "waited for the lock");
  } finally {
    other.exec("rollback");
    other.close();
  }
  assert.equal(count(db), 0);
  // Once released, the record goes through.
  using lb = new Leaderboard(db, { busyTimeoutMs: 100 });
  assert.equal(lb.record(report(), { name: "late" }).length, 2);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("leaderboard: rescoring the same submission replaces its entry", async () => {
  const { dir, db } = await tempDb();
  using lb = new Leaderboard(db);
  const sub = `${dir}/out/Submission`;
  lb.record(report(0.8), { name: "a", submission: sub });
  lb.record(report(0.85), { name: "a again", submission: `${sub}/` });
  assert.deepEqual(
    lb.ranked({ task: "cine" }).map((r) => [r.name, r.ssim, r.submission]),
    [["a again", 0.85, `${sub}/`]],
  );
  assert.equal(lb.ranked({ task: "mapping" }).length, 1);
  // Another truth is another measurement; another submission is another entry.
  lb.record(report(0.7, "/other/GroundTruth"), { name: "other truth", submission: sub });
  lb.record(report(0.75), { name: "b", submission: `${dir}/b/Submission` });
  // Without a submission path every record is kept (the former behaviour).
  lb.record(report(0.6), { name: "anon" });
  lb.record(report(0.6), { name: "anon" });
  assert.deepEqual(
    lb.ranked({ task: "cine" }).map((r) => r.name),
    ["a again", "b", "other truth", "anon", "anon"],
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("leaderboard: a database of the first schema is migrated; old rows keep working", async () => {
  const { dir, db } = await tempDb();
  const raw = new DatabaseSync(db);
  raw.exec(`create table runs (id integer primary key autoincrement, name text not null,
    model text not null, date text not null, year integer not null, split text not null,
    task text not null, ssim real, psnr real, nmse real, files integer not null,
    expected integer not null, submission text not null, truth text not null,
    report text not null);
    create index runs_task on runs(task, year, split);
    insert into runs (name, model, date, year, split, task, ssim, psnr, nmse, files, expected,
      submission, truth, report) values ('old', 'zf', '2026-01-01T00:00:00.000Z', 2023,
      'validation', 'cine', 0.7, 25, 0.05, 4, 4, 's', 't', '{}');`);
  raw.close();
  using lb = new Leaderboard(db);
  lb.record(report(0.9), { name: "new", submission: `${dir}/Submission`, incomplete: true });
  const rows = lb.ranked({ task: "cine" });
  assert.deepEqual(rows.map((r) => [r.name, r.incomplete]), [["new", true], ["old", false]]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("leaderboard: incomplete runs are marked, NaN scores are not ranked, model labels", () => {
  using lb = new Leaderboard(":memory:");
  lb.record(report(0.9), { name: "complete", model: "lps" });
  lb.record(report(0.95), { name: "partial", incomplete: true });
  lb.record({ ...report(0.92), incomplete: true }, { name: "partial report" });
  const nan = report();
  nan.aggregate.cine!.ssim = NaN;
  lb.record(nan, { name: "nan" });
  const rows = lb.ranked({ task: "cine" });
  assert.deepEqual(rows.map((r) => [r.name, rowMark(r)]), [
    ["partial", "!"],
    ["partial report", "!"],
    ["complete", " "],
  ]);
  assert.equal(rows[2].model, "lps");
  assert.equal(rowMark({ files: 3, expected: 4, incomplete: false }), "!");
  assert.equal(lb.ranked({ task: "mapping" }).length, 4);
  assert.equal(modelLabel(undefined), undefined);
  assert.equal(modelLabel({ model: "crnn-mri" }), "crnn-mri");
  assert.equal(modelLabel({ model: "auto", models: [{ name: "a" }, { name: "b" }] }), "auto: a, b");
});
