import assert from "node:assert/strict";
import { discover } from "../../src/challenge/layout.ts";
import { UsageError } from "../../src/errors.ts";
import { openMat } from "../../src/mat/read.ts";
import { budgetVerdict, parseDuration, type ViewTiming } from "../../src/pipeline/budget.ts";
import { parseShard, shardCases } from "../../src/pipeline/shard.ts";
import { submit, type SubmitOptions } from "../../src/pipeline/submit.ts";
import { getMethod } from "../../src/recon/registry.ts";
import { synthesize } from "../../src/synth/dataset.ts";
import { submitCommand } from "../../cli/submit.ts";

const root = await Deno.makeTempDir({ prefix: "cmrxkit-submit-" });
const data = `${root}/data`;
await synthesize({
  out: data,
  size: "small",
  seed: 5,
  patients: 2,
  splits: ["validation", "test"],
  accs: [4, 8],
});
const zf = getMethod("zerofill");
const base = (output: string, extra: Partial<SubmitOptions> = {}): SubmitOptions => ({
  input: data,
  output,
  task: "both",
  split: "validation",
  select: () => zf,
  ...extra,
});

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (p: string, rel: string) => {
    for await (const e of Deno.readDir(p)) {
      if (e.isDirectory) await walk(`${p}/${e.name}`, `${rel}${e.name}/`);
      else out.push(rel + e.name);
    }
  };
  await walk(dir, "");
  return out.sort();
}

Deno.test("submit validation: every case written, reduced, validated; only the scored slices reconstructed", async () => {
  const out = `${root}/v`;
  const events: number[] = [];
  const s = await submit(base(out, { onCase: (e) => events.push(e.slices ?? -1) }));
  const { cases } = await discover(data, { split: "validation" });
  assert.equal(s.cases, cases.length);
  assert.equal(s.written, cases.length);
  assert.deepEqual(s.failed, []);
  assert.ok(s.validation?.ok);
  assert.ok(events.every((n) => n === 2), `slices per case ${events}`);
  const sax = cases.find((c) => c.name === "cine_sax")!;
  using m = await openMat(`${out}/Submission/${sax.submissionPath}`);
  assert.deepEqual(m.info("img4ranking").dims, [32, 36, 2, 3]);
  const log = (await Deno.readTextFile(`${out}/run-log.jsonl`)).trim().split("\n").map((l) =>
    JSON.parse(l)
  );
  assert.equal(log[0].event, "start");
  assert.equal(log.at(-1).event, "end");
  assert.equal(
    log.filter((l) => l.event === "case" && l.status === "written").length,
    cases.length,
  );
});

Deno.test("submit resumes: verified files are skipped, a broken one is redone", async () => {
  const out = `${root}/r`;
  const first = await submit(base(out, { task: "cine" }));
  const again = await submit(base(out, { task: "cine" }));
  assert.equal(again.written, 0);
  assert.equal(again.skipped, first.written);
  const victim = (await files(`${out}/Submission`)).find((f) => f.endsWith("cine_lax.mat"))!;
  await Deno.writeTextFile(`${out}/Submission/${victim}`, "half a file");
  const third = await submit(base(out, { task: "cine" }));
  assert.equal(third.written, 1);
  assert.ok(third.validation?.ok);
});

Deno.test("submit --shard: shards are disjoint, complete and give the same files as one run", async () => {
  const whole = `${root}/whole`;
  await submit(base(whole, { task: "cine" }));
  const sharded = `${root}/sharded`;
  const seen: string[] = [];
  for (let i = 0; i < 3; i++) {
    const s = await submit(
      base(sharded, { task: "cine", shard: [i, 3], onCase: (e) => seen.push(e.file) }),
    );
    assert.equal(s.validation, undefined); // validated after the merge, not per shard
  }
  assert.equal(new Set(seen).size, seen.length, "disjoint");
  const a = await files(`${whole}/Submission`), b = await files(`${sharded}/Submission`);
  assert.deepEqual(b, a, "complete");
  for (const f of a) {
    using x = await openMat(`${whole}/Submission/${f}`);
    using y = await openMat(`${sharded}/Submission/${f}`);
    assert.deepEqual(y.read("img4ranking").data, x.read("img4ranking").data, f);
  }
  assert.deepEqual(shardCases([0, 1, 2, 3, 4, 5, 6], [1, 3]), [1, 4]);
  assert.deepEqual(parseShard("2/4"), [1, 4]);
  assert.throws(() => parseShard("0/4"), UsageError);
  assert.throws(() => parseShard("5/4"), UsageError);
});

Deno.test("submit --shard balances what its help says: slices reconstructed x frames x pixels x coils", async () => {
  const out = `${root}/shard-work`;
  let work = 0, shared = 0;
  for (let i = 0; i < 2; i++) {
    const s = await submit(base(out, {
      task: "cine",
      shard: [i, 2],
      onCase: (e) => {
        const g = e.geometry!;
        work += e.slices! * g.nt * g.nx * g.ny * g.nc;
      },
    }));
    shared = s.shares!.reduce((a, x) => a + x.work, 0);
  }
  assert.ok(work > 0);
  assert.equal(shared, work);
  assert.match(
    submitCommand.help.replace(/\s+/g, " "),
    /balanced by work \(per case, from its header: slices reconstructed x frames x pixels x coils\)/,
  );
});

Deno.test("submit test split: full-size images, no reduction, TestSet paths", async () => {
  const out = `${root}/t`;
  const s = await submit(base(out, { split: "test", task: "mapping", acc: [8] }));
  assert.ok(s.validation?.ok);
  const f = (await files(`${out}/Submission`)).filter((x) => x.endsWith(".mat"));
  assert.ok(f.every((x) => x.includes("/TestSet/AccFactor08/")));
  using m = await openMat(`${out}/Submission/${f.find((x) => x.endsWith("T1map.mat"))}`);
  assert.deepEqual(m.info("img4ranking").dims, [96, 64, 2, 9]);
});

Deno.test("submit --time-budget stops cleanly, lists what is missing, leaves no partial file", async () => {
  const out = `${root}/b`;
  const s = await submit(base(out, { timeBudget: 1e-6, task: "cine" }));
  assert.equal(s.written, 0);
  assert.ok(s.notReached.length > 0);
  assert.ok(s.budget);
  const left = (await files(out)).filter((f) => f.includes(".tmp"));
  assert.deepEqual(left, []);
});

Deno.test("a failing case is reported and the others still run", async () => {
  const copy = `${root}/bad`;
  await new Deno.Command("cp", { args: ["-r", data, copy] }).output();
  const { cases } = await discover(copy, { split: "validation", task: "cine" });
  await Deno.writeTextFile(cases[0].file, "broken".repeat(200));
  const s = await submit({ ...base(`${root}/bo`, { task: "cine" }), input: copy });
  assert.equal(s.failed.length, 1);
  assert.match(s.failed[0].error!, /not a MATLAB file/);
  assert.equal(s.written, cases.length - 1);
  assert.notEqual(s.validation?.ok, true);
  assert.match(s.validationError ?? "", /not a MATLAB file/);
});

/** A view timing measured on images of `nx` x `ny`, 12 frames, 10 coils. */
function timing(secondsPerSlice: number, nx: number, ny: number, nt = 12): ViewTiming {
  return {
    cases: 2,
    meanSeconds: 2 * secondsPerSlice,
    secondsPerSlice,
    secondsPerUnit: secondsPerSlice / (nx * ny * nt * 10),
    pixels: nx * ny,
    size: `${nx}x${ny}`,
    frames: nt,
    coils: 10,
  };
}

Deno.test("budget verdict scales time per pixel-frame-coil to the real 2023 test-set sizes", () => {
  // Measured at real size: 1 s per slice is 1 s per slice of the test set.
  const real = budgetVerdict(
    { sax: timing(1, 512, 246), lax: timing(1, 448, 204) },
    "cine",
    4 * 3600,
  );
  assert.ok(
    Math.abs(real.estimateSeconds - (360 * 10 + 306 * 3)) < 1e-6,
    `${real.estimateSeconds}`,
  );
  assert.equal(real.verdict, "fits");
  assert.equal(real.reliable, true);
  assert.match(real.basis, /linear in pixels x frames x coils/);
  assert.match(real.basis, /360 sax x 10 slices of 512x246 x 12 frames x 10 coils/);
  // The same 1 s per slice on 96x72 images is about 18x as much per real slice: it no longer
  // fits, and the verdict says it is extrapolated.
  const small = budgetVerdict(
    { sax: timing(1, 96, 72), lax: timing(1, 96, 64) },
    "cine",
    4 * 3600,
  );
  const ratio = (512 * 246) / (96 * 72);
  assert.ok(small.estimateSeconds > 14 * real.estimateSeconds, `${small.estimateSeconds}`);
  assert.ok(Math.abs(small.estimateSeconds / real.estimateSeconds - 17.8) < 1.5);
  assert.equal(small.verdict, "exceeds");
  assert.equal(small.reliable, false);
  assert.match(
    small.warning!,
    new RegExp(`extrapolated ${ratio.toFixed(0)}x from images of 96x72`),
  );
  assert.match(small.warning!, /synth --size full/);
  // Small but fitting: still marked not reliable.
  const tiny = budgetVerdict({ sax: timing(0.001, 96, 72) }, "cine", 4 * 3600);
  assert.equal(tiny.verdict, "fits");
  assert.equal(tiny.reliable, false);
  // Mapping: T1 has 9 weightings, T2 3: per-unit time makes T2 slices a third of T1's.
  const map = budgetVerdict({ T1: timing(1, 448, 162, 9) }, "mapping", 1e9);
  assert.ok(Math.abs(map.estimateSeconds - (354 * 6 * 1 + 354 * 6 / 3)) < 1e-6);
  assert.equal(
    budgetVerdict({ sax: timing(9, 512, 246) }, "cine", 3600).verdict,
    "exceeds",
  );
  assert.equal(parseDuration("4h"), 14400);
  assert.equal(parseDuration("1h30m"), 5400);
  assert.equal(parseDuration("90"), 90);
  assert.throws(() => parseDuration("soon"), UsageError);
});

Deno.test("submit --time-budget on small synthetic images: the verdict is marked not reliable", async () => {
  const s = await submit(
    base(`${root}/budget-small`, { timeBudget: 4 * 3600, task: "cine", acc: [4] }),
  );
  assert.ok(s.budget);
  assert.equal(s.budget.reliable, false);
  assert.match(s.budget.warning!, /extrapolated \d+x from images of 96x72/);
  assert.ok(s.perView.sax.secondsPerUnit > 0);
  assert.equal(s.perView.sax.size, "96x72");
});

globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(root, { recursive: true });
  } catch { /* gone */ }
});
