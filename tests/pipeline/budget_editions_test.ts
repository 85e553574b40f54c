/**
 * Issue 22, limits per edition: the time-budget verdict of each edition on the same measured
 * timings (each edition's test set and time per task give a different verdict), the 2024
 * conflict (12 h on its Join page, 4 h in its FAQ) in the verdict's text, the assumptions
 * named in each test set's basis, `--time-budget edition`, and a submit run on a synthetic
 * 2024 tree held to the 2024 limits (time per task and GPU memory) without any flag.
 */
import assert from "node:assert/strict";
import type { Edition } from "../../src/challenge/edition.ts";
import {
  EDITION_2023,
  EDITION_2024,
  EDITION_2025,
  EDITIONS,
} from "../../src/challenge/editions/mod.ts";
import { UsageError } from "../../src/errors.ts";
import {
  budgetSecondsOf,
  budgetVerdict,
  parseTimeBudget,
  type ViewTiming,
} from "../../src/pipeline/budget.ts";
import { submitWithModels } from "../../src/pipeline/run.ts";
import { synthesizeEdition } from "../../src/synth/editions.ts";
import { readRunLog } from "../../src/report/runlog.ts";
import { timingSection } from "../../src/report/sections.ts";
import type { Run } from "../../src/report/gather.ts";
import { budgetNotes } from "../../cli/print.ts";
import { submitFlags } from "../../cli/flags.ts";

/** `s` seconds per slice measured on 2 real-size SAX cases (512 x 246, 12 frames, 10 coils). */
function sax(s: number): Record<string, ViewTiming> {
  return {
    sax: {
      cases: 2,
      meanSeconds: 10 * s,
      secondsPerSlice: s,
      secondsPerUnit: s / (512 * 246 * 12 * 10),
      pixels: 512 * 246,
      size: "512x246",
      frames: 12,
      coils: 10,
    },
  };
}

/** Pixels of a LAX-sized view against a SAX slice (the unmeasured views' scaling). */
const LAX = (448 * 204) / (512 * 246);

const near = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-6 * b, `${a} vs ${b}`);

Deno.test("budget verdict per edition: the same timings, each edition's test set and time per task", () => {
  // 5 s per real SAX slice; the views never measured take the SAX time per pixel-frame-coil.
  const t = sax(5);
  const v23 = budgetVerdict(t, "cine", "edition", EDITION_2023);
  const v24 = budgetVerdict(t, "cine", "edition", EDITION_2024);
  const v25 = budgetVerdict(t, "cine", "edition", EDITION_2025);
  // 2023: 120 sax x 3 R x 10 slices + 102 lax x 3 R x 3 views, against 4 h
  near(v23.estimateSeconds, 5 * (360 * 10 + 306 * 3 * LAX));
  assert.equal(v23.budgetSeconds, 4 * 3600);
  assert.equal(v23.verdict, "exceeds");
  // 2024: 70 subjects x 3 files; SAX 11 slices; lax 3 views; lvot, aorta x2, tagging and
  // flow2d one LAX-sized slice; blackblood one frame. Against 12 h.
  near(
    v24.estimateSeconds,
    5 * (210 * 11 + 210 * 3 * LAX + 5 * 210 * LAX + (210 * LAX) / 12),
  );
  assert.equal(v24.budgetSeconds, 12 * 3600);
  assert.equal(v24.verdict, "fits");
  assert.match(v24.basis, /210 sax x 11 slices of 512x246 x 12 frames x 10 coils/);
  assert.match(v24.basis, /210 aorta_sag x 1 slices of 448x204/);
  assert.match(v24.basis, /210 blackblood x 1 slices of 448x204 x 1 frames/);
  // 2025: 300 subjects, one file each; SAX 10 slices, LAX 3 views. Against 40 h.
  near(v25.estimateSeconds, 5 * (300 * 10 + 3 * 300 * LAX));
  assert.equal(v25.budgetSeconds, 40 * 3600);
  assert.equal(v25.verdict, "fits");
  assert.match(v25.basis, /300 lax x 3 slices of 448x204/);
  assert.match(v25.basis, /cine_lax_2ch\/3ch\/4ch of one view each, the same work/);
  // Different test sets: the three estimates differ (2025's equals 2023's LAX work at 3 R).
  assert.equal(new Set([v23, v24, v25].map((v) => v.estimateSeconds.toFixed(3))).size, 3);
  // 2024 held to the FAQ's 4 h instead: the same estimate no longer fits.
  const faq = budgetVerdict(t, "cine", 4 * 3600, EDITION_2024);
  near(faq.estimateSeconds, v24.estimateSeconds);
  assert.equal(faq.verdict, "exceeds");
  assert.equal(faq.budgetFrom, "--time-budget");
  // Tight: between 80% and 100% of the budget.
  assert.equal(budgetVerdict(t, "cine", v25.estimateSeconds / 0.9, EDITION_2025).verdict, "tight");
});

Deno.test("budget verdict: the 2024 conflict, the budget's source and the edition in the text", () => {
  const t = sax(1);
  const v24 = budgetVerdict(t, "both", "edition", EDITION_2024);
  assert.equal(v24.edition, "CMRxRecon 2024");
  assert.match(v24.conflict!, /12 h per task on the Join-the-Challenge page, 4 h in FAQ #8/);
  assert.match(v24.budgetFrom!, /the CMRxRecon 2024 limit per task \(cmrxrecon\.github\.io 2024/);
  // The conflict is shown whatever the budget (it is about the edition's pages).
  assert.ok(budgetVerdict(t, "cine", 3600, EDITION_2024).conflict);
  const notes = budgetNotes(v24);
  assert.match(notes, /budget: the CMRxRecon 2024 limit per task/);
  assert.match(notes, /note: the 2024 pages conflict: 12 h .* 4 h/);
  for (const e of [EDITION_2023, EDITION_2025]) {
    const v = budgetVerdict(t, "both", "edition", e);
    assert.equal(v.conflict, undefined);
    assert.doesNotMatch(budgetNotes(v), /conflict/);
    assert.match(budgetNotes(v), new RegExp(`budget: the ${e.title} limit per task`));
  }
  assert.equal(budgetNotes(budgetVerdict(t, "cine", 3600, EDITION_2025)), "");
});

Deno.test("test sets per edition: every view sized and tasked; the basis names each assumption", () => {
  for (const e of EDITIONS) {
    const ts = e.testSet!;
    assert.ok(ts, `${e.title} has a test set`);
    for (const v of Object.keys(ts.files)) assert.ok(ts.sizes[v], `${e.year} ${v} has a size`);
    assert.match(ts.basis, /ASSUMED/);
  }
  const b24 = EDITION_2024.testSet!.basis, b25 = EDITION_2025.testSet!.basis;
  assert.match(b24, /70 test subjects/);
  assert.match(b24, /ASSUMED: one file per view per subject \(not published\)/);
  assert.match(b24, /sizes not published except SAX/);
  assert.match(b25, /300 test subjects over four tasks/);
  assert.match(b25, /all 300 in the task \(an upper bound/);
  assert.match(b25, /sizes not published/);
  // --task picks the views of the test set: 2025 mapping has T2smap and T1mappost too.
  const views = (e: Edition, task: "cine" | "mapping") =>
    [...budgetVerdict(sax(1), task, 1, e).basis.matchAll(/\d+ (\w+) x \d+ slices/g)].map((m) =>
      m[1]
    );
  assert.deepEqual(views(EDITION_2025, "mapping"), ["T1", "T2", "T2smap", "T1mappost"]);
  assert.deepEqual(views(EDITION_2024, "mapping"), ["T1", "T2"]);
  assert.deepEqual(views(EDITION_2023, "cine"), ["lax", "sax"]);
  assert.equal(views(EDITION_2024, "cine").length, 8);
});

Deno.test("--time-budget edition: parsed, resolved per edition, refused when neither", () => {
  assert.equal(parseTimeBudget("edition"), "edition");
  assert.equal(parseTimeBudget(" Edition "), "edition");
  assert.equal(parseTimeBudget("1h30m"), 5400);
  assert.throws(() => parseTimeBudget("soon"), UsageError);
  assert.equal(budgetSecondsOf("edition", EDITION_2023), 4 * 3600);
  assert.equal(budgetSecondsOf("edition", EDITION_2024), 12 * 3600);
  assert.equal(budgetSecondsOf("edition", EDITION_2025), 40 * 3600);
  assert.equal(budgetSecondsOf(60, EDITION_2025), 60);
  const f = submitFlags("submit", ["--time-budget", "edition"]);
  assert.equal(f.options.timeBudget, "edition");
  // no --vram-limit: left to the edition the run follows
  assert.equal(f.engine.vramLimitBytes, undefined);
  assert.equal(submitFlags("submit", ["--vram-limit", "8GiB"]).engine.vramLimitBytes, 8 * 2 ** 30);
});

Deno.test("submit on a 2024 tree: --time-budget edition is 12 h, the GPU memory limit 32 GiB", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "cmrxkit-budget-ed-" });
  try {
    await synthesizeEdition({
      edition: 2024,
      out: `${tmp}/d24`,
      size: "small",
      patients: 1,
      coils: 4,
      seed: 5,
      tasks: ["mapping"],
      splits: ["validation"],
    });
    await Deno.mkdir(`${tmp}/models`);
    const s = await submitWithModels({
      input: `${tmp}/d24`,
      output: `${tmp}/out`,
      task: "mapping",
      split: "validation",
      model: "zerofill",
      modelsDir: `${tmp}/models`,
      workers: 1,
      timeBudget: "edition",
    });
    assert.ok(s.written > 0);
    assert.ok(s.budget);
    assert.equal(s.budget.budgetSeconds, 12 * 3600);
    assert.equal(s.budget.edition, "CMRxRecon 2024");
    assert.match(s.budget.conflict!, /4 h in FAQ #8/);
    assert.match(s.budget.basis, /^2024 test set/);
    assert.equal(s.gpuMemory?.limitBytes, 32 * 2 ** 30);
    // report --time-budget edition on that log without its verdict: the edition of the log's
    // start record (2024, not the report's default 2023), its source and the conflict
    const path = `${tmp}/out/run-log.jsonl`;
    const lines = (await Deno.readTextFile(path)).trim().split("\n").map((l) => JSON.parse(l));
    for (const l of lines) delete l.budget;
    await Deno.writeTextFile(path, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
    const log = await readRunLog(`${tmp}/out`);
    const html = timingSection([{ name: "r24", log } as unknown as Run], [], "edition").body;
    assert.match(html, /of 720 min 00 s/);
    assert.match(html, /the CMRxRecon 2024 limit per task/);
    assert.match(html, /<b>the 2024 pages conflict: 12 h per task .* 4 h in FAQ #8/);
    assert.match(html, /2024 test set, one challenge task/);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
