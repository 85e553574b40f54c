/**
 * `container evaluate` against the edition's limits (issue 22): the limits per edition and
 * their flag overrides, and the verdict line on recorded numbers (no image is built or run:
 * CI builds one elsewhere).
 */
import assert from "node:assert/strict";
import { EDITION_2023, EDITION_2024, EDITION_2025 } from "../../src/challenge/editions/mod.ts";
import { evaluationLimits, limitsFromValues, limitVerdict } from "../../src/container/limits.ts";

const GiB = 2 ** 30, H = 3600;

Deno.test("evaluation limits: the edition's time per task and GPU memory, flags override", () => {
  const l23 = evaluationLimits(EDITION_2023);
  assert.deepEqual([l23.timeLimit, l23.vramLimit, l23.timeFrom, l23.vramFrom], [
    4 * H,
    24 * GiB,
    "edition",
    "edition",
  ]);
  const l24 = evaluationLimits(EDITION_2024);
  assert.deepEqual([l24.timeLimit, l24.vramLimit], [12 * H, 32 * GiB]);
  assert.match(l24.conflict!, /4 h in FAQ #8/);
  const l25 = evaluationLimits(EDITION_2025, { timeLimit: 2 * H });
  assert.deepEqual([l25.timeLimit, l25.timeFrom, l25.editionTimeLimit], [
    2 * H,
    "--time-limit",
    40 * H,
  ]);
  assert.deepEqual([l25.vramLimit, l25.vramFrom], [48 * GiB, "edition"]);
  // library callers give seconds and bytes: equal to the edition's means the edition's
  const v = limitsFromValues(EDITION_2025, 40 * H, 24 * GiB);
  assert.deepEqual([v.timeFrom, v.vramFrom, v.vramLimit], ["edition", "--vram-limit", 24 * GiB]);
});

Deno.test("limit verdict on recorded runs: the same run passes one edition and fails another", () => {
  // A recorded run: 6 h of wall time, a GPU memory peak of 30 GiB.
  const run = { seconds: 6 * H, timedOut: false, peakGpuMemory: 30 * GiB };
  const v23 = limitVerdict(evaluationLimits(EDITION_2023), run);
  assert.equal(v23.ok, false);
  assert.equal(v23.time, "exceeded");
  assert.equal(v23.gpuMemory, "exceeded");
  assert.match(v23.line, /^CMRxRecon 2023 limits \(cmrxrecon\.github\.io 2023 Challenge page/);
  assert.match(v23.line, /time 6 h of 4 h per task \(150%\): EXCEEDED/);
  assert.match(
    v23.line,
    /GPU memory peak 30\.0 GiB of 24\.0 GiB \(125%, RTX 3090 \(24 GB\)\): EXCEEDED/,
  );
  assert.match(v23.line, /: FAIL$/);
  assert.deepEqual(v23.notes, []);

  const v24 = limitVerdict(evaluationLimits(EDITION_2024), run);
  assert.equal(v24.ok, true);
  assert.match(v24.line, /^CMRxRecon 2024 limits .*time 6 h of 12 h per task \(50%\): within/);
  assert.match(v24.line, /30\.0 GiB of 32\.0 GiB \(94%, Tesla V100 \(32 GB\)\): within: PASS$/);
  assert.equal(v24.notes.length, 1);
  assert.match(v24.notes[0], /^note: the 2024 pages conflict: 12 h .* 4 h in FAQ #8/);

  // 2024 held to its FAQ's 4 h: fails on time, and says whose limit it is.
  const faq = limitVerdict(evaluationLimits(EDITION_2024, { timeLimit: 4 * H }), run);
  assert.equal(faq.ok, false);
  assert.match(faq.line, /time 6 h of 4 h per task \(150%, --time-limit\): EXCEEDED/);
  assert.match(faq.notes[0], /--time-limit's 4 h; CMRxRecon 2024 allows 12 h per task/);

  const v25 = limitVerdict(evaluationLimits(EDITION_2025), run);
  assert.equal(v25.ok, true);
  assert.match(v25.line, /of 40 h per task \(15%\).*of 48\.0 GiB \(63%, RTX A6000 \(48 GB\)\)/);
  assert.deepEqual(v25.notes, []);
});

Deno.test("limit verdict: stopped at the limit, GPU not sampled, --vram-limit", () => {
  const l = evaluationLimits(EDITION_2023);
  const stopped = limitVerdict(l, { seconds: 4 * H, timedOut: true, peakGpuMemory: GiB });
  assert.equal(stopped.time, "exceeded");
  assert.match(stopped.line, /EXCEEDED \(stopped at the limit\)/);
  const cpu = limitVerdict(l, { seconds: 60, timedOut: false });
  assert.equal(cpu.gpuMemory, "not measured");
  assert.equal(cpu.ok, true);
  assert.match(cpu.line, /time 1 min 00 s of 4 h per task \(0%\): within/);
  assert.match(cpu.line, /GPU memory not measured \(no GPU sampled\), limit 24\.0 GiB: PASS$/);
  const small = evaluationLimits(EDITION_2025, { vramLimit: 16 * GiB });
  const v = limitVerdict(small, { seconds: H, timedOut: false, peakGpuMemory: 20 * GiB });
  assert.equal(v.ok, false);
  assert.match(v.line, /20\.0 GiB of 16\.0 GiB \(125%, --vram-limit\): EXCEEDED/);
  assert.match(v.notes[0], /--vram-limit's 16\.0 GiB; CMRxRecon 2025 gives 48\.0 GiB/);
});
