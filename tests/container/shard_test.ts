import assert from "node:assert/strict";
import { discover } from "../../src/challenge/layout.ts";
import { validateSubmission } from "../../src/challenge/validate/mod.ts";
import { CmrxError } from "../../src/errors.ts";
import {
  checkShardSet,
  MAT_HEADER_TEXT_BYTES,
  mergeShards,
  sameMatContent,
  shardLogStatus,
} from "../../src/container/merge.ts";
import { shardCases } from "../../src/pipeline/shard.ts";
import { submit, type SubmitOptions } from "../../src/pipeline/submit.ts";
import { assignShards } from "../../src/pipeline/shard.ts";
import { getMethod } from "../../src/recon/registry.ts";
import { synthesize } from "../../src/synth/dataset.ts";

const root = await Deno.makeTempDir({ prefix: "cmrxkit-shard-" });
globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));
const data = `${root}/data`;
await synthesize({
  out: data,
  size: "small",
  seed: 11,
  patients: 1,
  splits: ["test"],
  accs: [4, 8],
});
const { cases } = await discover(data, { split: "test" });
const grappa = getMethod("grappa");
const opts = (output: string, extra: Partial<SubmitOptions> = {}): SubmitOptions => ({
  input: data,
  output,
  task: "both",
  split: "test",
  select: () => grappa,
  workers: 1,
  ...extra,
});

async function matFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (p: string, rel: string) => {
    for await (const e of Deno.readDir(p)) {
      if (e.isDirectory) await walk(`${p}/${e.name}`, `${rel}${e.name}/`);
      else if (e.name.endsWith(".mat")) out.push(rel + e.name);
    }
  };
  await walk(dir, "");
  return out.sort();
}

/** The header text without its "Created on ..." date. */
function headerWithoutDate(b: Uint8Array): string {
  return new TextDecoder().decode(b.subarray(0, MAT_HEADER_TEXT_BYTES))
    .replace(/Created on: .* UTC/, "Created on: <date> UTC");
}

/** Every file of `b` equals the same file of `a`: bytes after the header text identical,
 * header text identical but for the creation date. */
async function assertSameSubmission(a: string, b: string): Promise<number> {
  const fa = await matFiles(`${a}/Submission`), fb = await matFiles(`${b}/Submission`);
  assert.deepEqual(fb, fa, "same files");
  for (const f of fa) {
    const x = await Deno.readFile(`${a}/Submission/${f}`);
    const y = await Deno.readFile(`${b}/Submission/${f}`);
    assert.equal(y.length, x.length, f);
    assert.deepEqual(
      y.subarray(MAT_HEADER_TEXT_BYTES),
      x.subarray(MAT_HEADER_TEXT_BYTES),
      `${f}: data bytes`,
    );
    assert.equal(headerWithoutDate(y), headerWithoutDate(x), `${f}: header`);
    assert.ok(sameMatContent(x, y));
  }
  return fa.length;
}

function caseFiles(logText: string): string[] {
  return logText.trim().split("\n").map((l) => JSON.parse(l))
    .filter((e) => e.event === "case" && e.status === "written").map((e) => e.file);
}

const whole = `${root}/whole`;
await submit(opts(whole));

Deno.test("shardCases: disjoint, complete, balanced, stable for any size and shard count", () => {
  for (let len = 0; len <= 23; len++) {
    const items = Array.from({ length: len }, (_, k) => k);
    for (let n = 1; n <= 7; n++) {
      const parts = Array.from({ length: n }, (_, i) => shardCases(items, [i, n]));
      const flat = parts.flat();
      assert.equal(flat.length, len, `len ${len} n ${n}: complete, no duplicates`);
      assert.deepEqual([...flat].sort((a, b) => a - b), items, "every item once");
      const sizes = parts.map((p) => p.length);
      assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `balanced ${sizes}`);
      for (const p of parts) assert.deepEqual(p, [...p].sort((a, b) => a - b), "stable order");
    }
  }
  assert.deepEqual(shardCases([1, 2, 3]), [1, 2, 3]);
});

Deno.test("shardCases by work: disjoint, complete, stable, loads within the largest case", () => {
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let len = 0; len <= 40; len += 3) {
    const items = Array.from({ length: len }, (_, k) => k);
    const work = items.map(() => Math.floor(1 + 100 * rand()));
    for (let n = 1; n <= 6; n++) {
      const parts = Array.from({ length: n }, (_, i) => shardCases(items, [i, n], (k) => work[k]));
      assert.deepEqual(parts.flat().sort((a, b) => a - b), items, `len ${len} n ${n}: complete`);
      for (const p of parts) assert.deepEqual(p, [...p].sort((a, b) => a - b), "stable order");
      const loads = parts.map((p) => p.reduce((s, k) => s + work[k], 0));
      if (len >= n) {
        assert.ok(
          Math.max(...loads) - Math.min(...loads) <= Math.max(...work),
          `len ${len} n ${n}: loads ${loads}`,
        );
      }
      // The same call gives the same answer (every shard computes it on its own).
      assert.deepEqual(shardCases(items, [0, n], (k) => work[k]), parts[0]);
    }
  }
  // The reported case: LAX and SAX alternate, SAX about 3x the work. Every other case put all
  // SAX on one shard (75% of the work); by work each shard gets about half.
  const views = Array.from({ length: 24 }, (_, k) => (k % 2 ? "sax" : "lax"));
  const w = (v: string) => (v === "sax" ? 3 : 1);
  const { shares } = assignShards(views.map(w), 2);
  assert.deepEqual(shares.map((s) => s.fraction), [0.5, 0.5]);
  const old = shardCases(views, [1, 2]);
  assert.ok(old.every((v) => v === "sax"), "every other case: all SAX on shard 2");
  const mine = shardCases(views, [1, 2], w);
  assert.ok(mine.includes("lax") && mine.includes("sax"));
});

Deno.test("two shards in their own folders, merged: identical files to one unsharded run", async () => {
  const s1 = `${root}/s1`, s2 = `${root}/s2`, merged = `${root}/merged`;
  const r1 = await submit(opts(s1, { shard: [0, 2] }));
  const r2 = await submit(opts(s2, { shard: [1, 2] }));
  assert.equal(r1.written + r2.written, cases.length);
  assert.ok(r1.written > 0 && r2.written > 0);
  // Balanced by work, and both shards computed the same shares.
  assert.deepEqual(r1.shares, r2.shares);
  for (const sh of r1.shares!) assert.ok(sh.fraction > 0.4 && sh.fraction < 0.6, `${sh.fraction}`);
  // The run logs say which cases each shard did: disjoint and together every case.
  const l1 = caseFiles(await Deno.readTextFile(`${s1}/run-log-shard1of2.jsonl`));
  const l2 = caseFiles(await Deno.readTextFile(`${s2}/run-log-shard2of2.jsonl`));
  assert.equal(l1.filter((f) => l2.includes(f)).length, 0, "disjoint");
  assert.deepEqual([...l1, ...l2].sort(), cases.map((c) => c.submissionPath).sort(), "complete");

  await Deno.mkdir(merged);
  const m = await mergeShards(merged, [s1, `${s2}/Submission`]);
  assert.equal(m.copied, cases.length);
  assert.equal(m.same, 0);
  assert.deepEqual(m.logs.sort(), ["run-log-shard1of2.jsonl", "run-log-shard2of2.jsonl"]);
  assert.deepEqual(m.problems, []);
  assert.deepEqual(m.shards.map((s) => [s.shard, s.ended, s.written]), [
    ["1/2", true, r1.written],
    ["2/2", true, r2.written],
  ]);
  assert.equal(await assertSameSubmission(whole, merged), cases.length);
  const v = await validateSubmission(merged, { input: data, split: "test" });
  assert.ok(v.ok, JSON.stringify(v.problems.slice(0, 3)));
  // Merging again finds everything in place.
  const again = await mergeShards(merged, [s1, s2]);
  assert.equal(again.copied, 0);
  assert.equal(again.same, cases.length);
  assert.deepEqual(again.logs, []);
  assert.deepEqual(again.manifest, { from: `${s1}/cmrxkit-run.json`, copied: false });
});

Deno.test("merge copies the shards' run manifest; shards of different runs are refused", async () => {
  const s1 = `${root}/s1`, s2 = `${root}/s2`, merged = `${root}/merged-manifest`;
  await Deno.mkdir(merged);
  const m = await mergeShards(merged, [s1, s2]);
  assert.deepEqual(m.manifest, { from: `${s1}/cmrxkit-run.json`, copied: true });
  const text = await Deno.readTextFile(`${merged}/cmrxkit-run.json`);
  assert.equal(text, await Deno.readTextFile(`${s1}/cmrxkit-run.json`));
  assert.equal(text, await Deno.readTextFile(`${s2}/cmrxkit-run.json`));
  // Validation takes the task and split of the merged folder from it.
  const v = await validateSubmission(merged, { input: data });
  assert.ok(v.ok, JSON.stringify(v.problems.slice(0, 3)));
  // A shard of another run (another model): refused before anything is written, naming both.
  const other = `${root}/s2-other-model`, out = `${root}/merged-mixed`;
  await new Deno.Command("cp", { args: ["-r", s2, other] }).output();
  const man = JSON.parse(await Deno.readTextFile(`${other}/cmrxkit-run.json`));
  await Deno.writeTextFile(
    `${other}/cmrxkit-run.json`,
    JSON.stringify({ ...man, model: "other-model" }),
  );
  await Deno.mkdir(out);
  const e = await mergeShards(out, [s1, other]).catch((x) => x);
  assert.ok(e instanceof CmrxError, String(e));
  assert.ok(e.message.includes(`${s1}/cmrxkit-run.json`), e.message);
  assert.ok(e.message.includes(`${other}/cmrxkit-run.json`), e.message);
  assert.match(e.message, /model: .* vs "other-model"/);
  assert.deepEqual([...Deno.readDirSync(out)], []);
  // A shard without a manifest beside one with: merged, but said, and no manifest claimed.
  const bare = `${root}/s2-bare`, out2 = `${root}/merged-bare`;
  await new Deno.Command("cp", { args: ["-r", s2, bare] }).output();
  await Deno.remove(`${bare}/cmrxkit-run.json`);
  await Deno.mkdir(out2);
  const b = await mergeShards(out2, [s1, bare]);
  assert.equal(b.manifest, null);
  assert.ok(b.problems.some((p) => /no run manifest/.test(p) && p.includes(bare)), b.problems[0]);
  assert.equal(await Deno.stat(`${out2}/cmrxkit-run.json`).catch(() => null), null);
});

Deno.test("two shards at the same time into one shared folder: identical to one run", async () => {
  const shared = `${root}/shared`;
  const [a, b] = await Promise.all([
    submit(opts(shared, { shard: [0, 2] })),
    submit(opts(shared, { shard: [1, 2] })),
  ]);
  assert.equal(a.written + b.written, cases.length);
  assert.equal(await assertSameSubmission(whole, shared), cases.length);
  const m = await mergeShards(shared, []); // nothing to copy: only the shard check
  assert.equal(m.copied, 0);
  assert.deepEqual(m.manifest, { from: `${shared}/cmrxkit-run.json`, copied: false });
  assert.deepEqual(m.problems, []);
  assert.equal(m.shards.length, 2);
});

Deno.test("merge refuses shards that disagree and leaves the target untouched", async () => {
  const s1 = `${root}/s1`, bad = `${root}/s1bad`, out = `${root}/conflict`;
  await new Deno.Command("cp", { args: ["-r", s1, bad] }).output();
  const victim = (await matFiles(`${bad}/Submission`))[0];
  const bytes = await Deno.readFile(`${bad}/Submission/${victim}`);
  bytes[bytes.length - 1] ^= 0x01; // one bit of the last value
  await Deno.writeFile(`${bad}/Submission/${victim}`, bytes);
  await Deno.mkdir(out);
  await assert.rejects(() => mergeShards(out, [s1, bad]), /two shards wrote different files/);
  assert.deepEqual(await matFiles(out).catch(() => []), []);
  // Only the header text may differ.
  const a = await Deno.readFile(`${s1}/Submission/${victim}`);
  const b = a.slice();
  b[30] ^= 0x01;
  assert.ok(sameMatContent(a, b));
  b[MAT_HEADER_TEXT_BYTES] ^= 0x01;
  assert.ok(!sameMatContent(a, b));
  assert.ok(!sameMatContent(a, a.subarray(1)));
});

Deno.test("shard logs: missing, unfinished, failed and mismatched shards are reported", () => {
  const log = (shard: string | null, cases: number, end: boolean, failed = 0) =>
    [
      JSON.stringify({ event: "start", shard, cases }),
      ...Array.from({ length: cases }, (_, k) =>
        JSON.stringify({ event: "case", status: k < failed ? "failed" : "written" })),
      ...(end ? [JSON.stringify({ event: "end", skipped: 0, notReached: [] })] : []),
    ].join("\n");
  const s1 = shardLogStatus(log("1/3", 4, true), "a");
  assert.deepEqual(s1, {
    file: "a",
    shard: "1/3",
    cases: 4,
    written: 4,
    skipped: 0,
    failed: 0,
    notReached: 0,
    ended: true,
  });
  const s3 = shardLogStatus(log("3/3", 3, false), "c");
  assert.equal(s3.ended, false);
  const p = checkShardSet([s1, s3]);
  assert.ok(p.some((x) => /shard 3\/3 did not finish/.test(x)), p.join("\n"));
  assert.ok(p.some((x) => /shard 2\/3 has no run log/.test(x)), p.join("\n"));
  const f = checkShardSet([shardLogStatus(log("1/1", 3, true, 2), "f")]);
  assert.deepEqual(f, ["1/1: 2 file(s) failed (f)"]);
  const mixed = checkShardSet([
    shardLogStatus(log("1/2", 1, true), "x"),
    shardLogStatus(log("1/3", 1, true), "y"),
  ]);
  assert.ok(mixed.some((x) => /different shard counts/.test(x)));
  // A resumed run: the last start..end block counts.
  const resumed = shardLogStatus(log("2/2", 2, false) + "\n" + log("2/2", 1, true), "r");
  assert.equal(resumed.ended, true);
  assert.equal(resumed.cases, 1);
  assert.deepEqual(checkShardSet([shardLogStatus(log(null, 2, true), "u")]), []);
});
