import assert from "node:assert/strict";
import { discover } from "../../src/challenge/layout.ts";
import { watchMatOpens } from "../../src/mat/read.ts";
import { submit, type SubmitOptions } from "../../src/pipeline/submit.ts";
import { getMethod } from "../../src/recon/registry.ts";
import { synthesize } from "../../src/synth/dataset.ts";

// The case plan is computed once per input file: a submit opens each k-space file once (to
// plan and reconstruct it), a rerun that skips finished files once (to plan and verify), and
// the final validation reads no input header again.

const root = await Deno.makeTempDir({ prefix: "cmrxkit-header-once-" });
globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(root, { recursive: true });
  } catch { /* gone */ }
});
const data = `${root}/data`;
await synthesize({ out: data, size: "small", seed: 11, patients: 2, splits: ["validation"] });
const { cases } = await discover(data, { split: "validation" });
const kspaceFiles = new Set(cases.map((c) => c.file));
const zf = getMethod("zerofill");

/** Runs `submit` and counts how often each k-space file of the input was opened. */
async function opensDuring(opts: SubmitOptions): Promise<Map<string, number>> {
  const opens = new Map<string, number>();
  const stop = watchMatOpens((p) => {
    if (kspaceFiles.has(p)) opens.set(p, (opens.get(p) ?? 0) + 1);
  });
  try {
    const s = await submit(opts);
    assert.deepEqual(s.failed, []);
    assert.ok(s.validation?.ok, "the run validates");
  } finally {
    stop();
  }
  return opens;
}

Deno.test("submit opens each input header once: first run, and a rerun that skips every file", async () => {
  const opts: SubmitOptions = {
    input: data,
    output: `${root}/out`,
    task: "both",
    split: "validation",
    select: () => zf,
  };
  const first = await opensDuring(opts);
  assert.equal(first.size, kspaceFiles.size, "every input file was opened");
  for (const [file, n] of first) assert.equal(n, 1, `${file} opened ${n} times`);
  const again = await opensDuring(opts);
  assert.equal(again.size, kspaceFiles.size);
  for (const [file, n] of again) assert.equal(n, 1, `${file} opened ${n} times on the rerun`);
});

Deno.test("submit --test split opens each input header once", async () => {
  const test = `${root}/test-data`;
  await synthesize({ out: test, size: "small", seed: 12, patients: 1, splits: ["test"] });
  const testCases = (await discover(test, { split: "test" })).cases;
  const opens = new Map<string, number>();
  const files = new Set(testCases.map((c) => c.file));
  const stop = watchMatOpens((p) => {
    if (files.has(p)) opens.set(p, (opens.get(p) ?? 0) + 1);
  });
  try {
    const s = await submit({
      input: test,
      output: `${root}/test-out`,
      task: "cine",
      split: "test",
      select: () => zf,
    });
    assert.deepEqual(s.failed, []);
  } finally {
    stop();
  }
  const cine = testCases.filter((c) => c.task === "cine");
  assert.equal(opens.size, cine.length);
  for (const [file, n] of opens) assert.equal(n, 1, `${file} opened ${n} times`);
});

Deno.test("submit: an input whose header cannot be read is opened once and named once", async () => {
  const bad = `${root}/bad-data`;
  await synthesize({ out: bad, size: "small", seed: 13, patients: 1, splits: ["validation"] });
  const cine = (await discover(bad, { split: "validation", task: "cine", acc: [4] })).cases;
  const victim = cine.find((c) => c.view === "sax")!.file;
  await Deno.writeTextFile(victim, "not a MATLAB file, long enough to hold a header ".repeat(20));
  let opens = 0;
  const stop = watchMatOpens((p) => {
    if (p === victim) opens++;
  });
  try {
    const s = await submit({
      input: bad,
      output: `${root}/bad-out`,
      task: "cine",
      split: "validation",
      acc: [4],
      select: () => zf,
    });
    assert.equal(s.failed.length, 1);
    assert.ok(s.failed[0].error?.startsWith(victim), s.failed[0].error);
    assert.ok(s.validationError, "the final validation says why it could not run");
    assert.ok(s.validationError.startsWith(`${victim}: `), s.validationError);
    assert.equal(s.validationError.split(victim).length, 2, "the file is named once");
  } finally {
    stop();
  }
  assert.equal(opens, 1, `opened ${opens} times`);
});
