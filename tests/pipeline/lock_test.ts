/**
 * The run lock's take-over of a stale lock, and the removal of stale temporary files from a
 * submit output folder (a folder that may hold the user's own files).
 */
import assert from "node:assert/strict";
import {
  acquireRunLock,
  hostName,
  isLockName,
  liveLocks,
  type LockInfo,
  lockName,
  lockTestHooks,
  readLock,
} from "../../src/pipeline/lock.ts";
import { removeStaleTemps } from "../../src/pipeline/stale_temp.ts";

const root = await Deno.makeTempDir({ prefix: "cmrxkit-lock-" });

/** A pid that was alive a moment ago and is not any more. */
async function deadPid(): Promise<number> {
  const child = new Deno.Command("true").spawn();
  await child.status;
  return child.pid;
}

async function names(dir: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
}

function lockOf(pid: number, command: string): LockInfo {
  return { pid, host: hostName(), started: "2025-01-02T03:04:05.000Z", command, shard: null };
}

Deno.test("lock take-over: a lock another run creates in between is never removed", async () => {
  const dir = await Deno.makeTempDir({ dir: root });
  const path = `${dir}/${lockName()}`;
  await Deno.writeTextFile(path, JSON.stringify(lockOf(await deadPid(), "the dead run")));
  const sleeper = new Deno.Command("sleep", { args: ["30"] }).spawn();
  const third = lockOf(sleeper.pid, "the third run");
  // Right before this run takes the stale lock over, a third run takes it over first.
  lockTestHooks.beforeTakeOver = async (p) => {
    lockTestHooks.beforeTakeOver = undefined;
    await Deno.remove(p);
    await Deno.writeTextFile(p, JSON.stringify(third), { createNew: true });
  };
  try {
    await assert.rejects(() => acquireRunLock(dir, undefined, "me"), (e: Error) => {
      assert.match(e.message, new RegExp(`process ${sleeper.pid} on .*the third run`));
      return true;
    });
    assert.deepEqual(await readLock(path), third, "the third run's lock is intact");
    assert.deepEqual(await names(dir), [lockName()], "nothing left aside");
  } finally {
    lockTestHooks.beforeTakeOver = undefined;
    sleeper.kill();
    await sleeper.status;
  }
});

Deno.test("lock take-over: a stale lock is taken over once, nothing left aside", async () => {
  const dir = await Deno.makeTempDir({ dir: root });
  const path = `${dir}/${lockName()}`;
  const dead = lockOf(await deadPid(), "the dead run");
  await Deno.writeTextFile(path, JSON.stringify(dead));
  // Two runs of this process find it stale at the same time: exactly one gets it.
  const both = await Promise.allSettled([
    acquireRunLock(dir, undefined, "a"),
    acquireRunLock(dir, undefined, "b"),
  ]);
  const won = both.filter((r) => r.status === "fulfilled");
  assert.equal(won.length, 1);
  const lock = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof acquireRunLock>>>)
    .value;
  // The winner took it over, or found it gone (the other moved it aside and lost the race).
  if (lock.tookOver) assert.deepEqual(lock.tookOver, dead);
  assert.equal((await readLock(path))?.pid, Deno.pid);
  assert.deepEqual(await names(dir), [lockName()]);
  lock.release();
  assert.deepEqual(await names(dir), []);
});

Deno.test("lock names and live locks: one definition for the lock and the cleaner", async () => {
  assert.ok(isLockName(lockName()) && isLockName(lockName([1, 4])));
  assert.ok(!isLockName("cmrxkit-run.lock.stale-12-0a1b2c3d") && !isLockName("my.lock"));
  const dir = await Deno.makeTempDir({ dir: root });
  const dead = JSON.stringify(lockOf(await deadPid(), "x"));
  await Deno.writeTextFile(`${dir}/${lockName([0, 3])}`, dead);
  await Deno.writeTextFile(`${dir}/${lockName([1, 2])}`, ""); // being written: alive
  using mine = await acquireRunLock(dir, [0, 2], "me");
  const live = (await liveLocks(dir)).map((l) => [l.path.slice(dir.length + 1), l.shard]).sort();
  assert.deepEqual(live, [[lockName([0, 2]), "1/2"], [lockName([1, 2]), "2/2"]]);
  // Shard 2/3 conflicts with both (another count of shards), even with a lock being written.
  await assert.rejects(() => acquireRunLock(dir, [1, 3], "me too"), /another submit run/);
  // A run whose lock another run took over (thinking it stale) leaves that run's lock alone.
  const other = lockOf(Deno.pid + 1, "took it over");
  await Deno.writeTextFile(mine.path, JSON.stringify(other));
  mine.release();
  assert.deepEqual(await readLock(mine.path), other);
});

Deno.test("stale temporary files: only what submit writes, of dead writers with real pids", async () => {
  const dir = await Deno.makeTempDir({ dir: root });
  const sub = `${dir}/Submission/MultiCoil/Cine/ValidationSet/AccFactor04/P001`;
  const maps = `${dir}/Maps/MultiCoil/Mapping/ValidationSet/AccFactor04/P001`;
  await Deno.mkdir(sub, { recursive: true });
  await Deno.mkdir(maps, { recursive: true });
  const dead = await deadPid();
  const old = new Date(Date.now() - 3600_000);
  const removed = [
    `cmrxkit-run.json.tmp-${dead}-0a1b2c3d`,
    `run-log.jsonl.tmp-${dead}-0a1b2c3d`,
    `run-log-shard1of2.jsonl.tmp-0a1b2c3d`,
    `Submission.zip.tmp-00112233aabb`,
    `${lockName([0, 2])}.tmp-${dead}-0a1b2c3d`,
    `${lockName()}.stale-${dead}-0a1b2c3d`,
    `Submission/MultiCoil/Cine/ValidationSet/AccFactor04/P001/cine_sax.mat.tmp-${dead}-0a1b2c3d`,
    `Maps/MultiCoil/Mapping/ValidationSet/AccFactor04/P001/T1map.mat.tmp-${dead}-0a1b2c3d.h5`,
  ];
  const kept = [
    "backup.tmp-20240101-cafebabe", // a user's file: not a pid, not a target of submit
    "notes.tmp-0a1b2c3d",
    `notes.txt.tmp-${dead}-0a1b2c3d`,
    `other.lock.stale-${dead}-0a1b2c3d`,
    `cmrxkit-run.json.tmp-99999999-0a1b2c3d`, // no real pid
    `cmrxkit-run.json.tmp-0-0a1b2c3d`,
    "Submission/x.txt.tmp-0a1b2c3d",
    `Submission/MultiCoil/Cine/ValidationSet/AccFactor04/P001/x.txt.tmp-${dead}-0a1b2c3d`,
    `Submission/MultiCoil/Cine/ValidationSet/AccFactor04/P001/cine_lax.mat.tmp-20240101-cafebabe`,
    `Maps/notes.tmp-0a1b2c3d`,
  ];
  for (const n of [...removed, ...kept]) {
    await Deno.writeTextFile(`${dir}/${n}`, "partial");
    await Deno.utime(`${dir}/${n}`, old, old);
  }
  const own = `${dir}/${lockName()}`;
  await Deno.writeTextFile(own, JSON.stringify(lockOf(Deno.pid, "me")));
  const r = await removeStaleTemps(dir, own, Date.now());
  assert.deepEqual(r.removed.map((p) => p.slice(dir.length + 1)).sort(), [...removed].sort());
  for (const n of kept) await Deno.lstat(`${dir}/${n}`); // still there
});

globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(root, { recursive: true });
  } catch { /* gone */ }
});
