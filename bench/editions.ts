/**
 * Every CMRxRecon edition end to end with the classical methods (issue 22's closing figures):
 * for each edition, a small synthetic dataset -> `submit` with each classical method ->
 * `validate` -> `pack` -> `score` with that edition's rules, then four tables:
 *
 * 1. status per edition and method: cases written / failed, validate, pack (with the archive's
 *    top paths), score. GRAPPA refusing the ktRadial cases (not a Cartesian line pattern) is
 *    expected and shown as `n refused (ktRadial)`: the submission then lacks exactly those
 *    files, which validate reports as missing and pack is forced past;
 * 2. SSIM / PSNR per edition, sampling pattern and R (mean over the scored files of that
 *    pattern and R, from the per-file scores), methods as columns;
 * 3. the leaderboard main keys per edition and method (the official key names);
 * 4. the time-budget verdict of each method under each edition's limit per task
 *    (`budgetVerdict` with `--time-budget edition`), extrapolated from the submit summary's
 *    measured per-view timings; the data are small, so the verdict is marked not reliable.
 *
 * Usage: deno task bench editions [--editions 2023,2024,2025] [--methods zerofill,sense,grappa,lps]
 *                                 [--task cine|mapping|both] [--patients 1] [--cache .cache/bench]
 *
 * Data (made once, kept): `<cache>/editions-<year>` (with `-<task>-p<patients>` when not the
 * defaults), seed 9002, small size, validation split only; 2023 `synthesize` (R 4, 8, 10),
 * 2024 and 2025 `synthesizeEdition` with their default masks (2025: the TaskR1 folder only,
 * and its synthetic `GroundTruth/GroupTable.csv`). The submissions, logs and archives go to a
 * temporary folder removed at exit. Exit code 0 when every status row is green.
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { Year } from "../src/challenge/edition.ts";
import { editionOf } from "../src/challenge/editions/mod.ts";
import { packSubmission } from "../src/challenge/pack.ts";
import { type ScoreReport, scoreSubmission } from "../src/challenge/score.ts";
import { validateSubmission } from "../src/challenge/validate/mod.ts";
import { budgetVerdict } from "../src/pipeline/budget.ts";
import { createSelector } from "../src/pipeline/select.ts";
import { submit, type SubmitSummary } from "../src/pipeline/submit.ts";
import { synthesize } from "../src/synth/dataset.ts";
import { synthesizeEdition } from "../src/synth/editions.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    editions: { type: "string", default: "2023,2024,2025" },
    methods: { type: "string", default: "zerofill,sense,grappa,lps" },
    task: { type: "string", default: "cine" },
    patients: { type: "string", default: "1" },
    cache: { type: "string", default: ".cache/bench" },
  },
});

function usage(msg: string): never {
  console.error(`error: ${msg}`);
  Deno.exit(2);
}
const years = values.editions!.split(",").filter(Boolean).map((y) => {
  if (!["2023", "2024", "2025"].includes(y)) usage(`--editions: 2023, 2024 or 2025, got '${y}'`);
  return Number(y) as Year;
});
const methods = values.methods!.split(",").filter(Boolean);
for (const m of methods) {
  if (!["zerofill", "sense", "grappa", "lps"].includes(m)) {
    usage(`--methods: zerofill, sense, grappa or lps, got '${m}'`);
  }
}
const task = values.task as "cine" | "mapping" | "both";
if (!["cine", "mapping", "both"].includes(task)) usage(`--task: cine, mapping or both`);
const patients = Number(values.patients);
if (!Number.isInteger(patients) || patients < 1) usage(`--patients: a whole number from 1`);
const SEED = 9002;
const tasks: ("cine" | "mapping")[] = task === "both" ? ["cine", "mapping"] : [task];

/** The cached dataset of an edition, made once (into a temporary name, then renamed). */
async function dataset(year: Year): Promise<string> {
  const suffix = task === "cine" && patients === 1 ? "" : `-${task}-p${patients}`;
  const dir = `${values.cache}/editions-${year}${suffix}`;
  try {
    await Deno.stat(`${dir}/GroundTruth`);
    return dir;
  } catch { /* made below */ }
  const tmp = `${dir}.tmp-${Deno.pid}`;
  console.error(`making the ${year} dataset in ${dir} (seed ${SEED}, small, once) ...`);
  await Deno.mkdir(values.cache!, { recursive: true });
  try {
    if (year === 2023) {
      await synthesize({
        out: tmp,
        size: "small",
        seed: SEED,
        patients,
        tasks,
        splits: ["validation"],
      });
    } else {
      await synthesizeEdition({
        edition: year,
        out: tmp,
        size: "small",
        seed: SEED,
        patients,
        tasks,
        splits: ["validation"],
        tasks2025: ["TaskR1"],
      });
    }
    await Deno.rename(tmp, dir);
  } catch (e) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw e;
  }
  return dir;
}

/** Short text of an error (a CmrxError's message and fix, never a stack). */
function errText(e: unknown): string {
  if (e instanceof Error) {
    const hint = (e as { hint?: string }).hint;
    return `${e.message}${hint ? ` (fix: ${hint})` : ""}`;
  }
  return String(e);
}

/** The sampling pattern and R of a submitted file: `Uniform`, 4 (2023: its `AccFactorNN`). */
function patternOf(file: string): { pattern: string; acc: number } | null {
  const kus = /_kus_([A-Za-z]+)(\d+)\.mat$/.exec(file);
  if (kus) return { pattern: kus[1], acc: Number(kus[2]) };
  const acc = /AccFactor(\d+)\//.exec(file);
  return acc ? { pattern: "Uniform", acc: Number(acc[1]) } : null;
}

/**
 * Whether a file the scorer lists as missing is `file`: the 2025 scorer's list names the stem
 * (`cine_lax_kus_*.mat`), the 2024 one may leave the R open (`..._kus_ktRadial?.mat`).
 */
function missingIs(missing: string, file: string): boolean {
  const re = missing.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")
    .replace(/\?/g, "\\d*");
  return new RegExp(`(^|/)${re}$`).test(file);
}

interface Row {
  year: Year;
  method: string;
  written: number;
  failed: string[];
  refused: string[];
  validate: string;
  pack: string;
  score: string;
  green: boolean;
  summary?: SubmitSummary;
  report?: ScoreReport;
}

const GRAPPA_REFUSAL = /not a Cartesian line pattern/;
const rows: Row[] = [];
const work = await Deno.makeTempDir({ prefix: "cmrxkit-editions-bench-" });
const cleanup = () => {
  try {
    Deno.removeSync(work, { recursive: true });
  } catch { /* already gone */ }
};
const onSignal = () => {
  cleanup();
  Deno.exit(130);
};
Deno.addSignalListener("SIGINT", onSignal);

try {
  for (const year of years) {
    const data = await dataset(year);
    const truth = year === 2023 ? `${data}/GroundTruth` : data;
    for (const method of methods) {
      const t0 = performance.now();
      const out = `${work}/${year}-${method}`;
      const row: Row = {
        year,
        method,
        written: 0,
        failed: [],
        refused: [],
        validate: "-",
        pack: "-",
        score: "-",
        green: false,
      };
      rows.push(row);
      // 1. submit, the method forced (as --model METHOD)
      try {
        const sel = createSelector({ override: method, models: [] });
        row.summary = await submit({
          input: data,
          output: out,
          task,
          split: "validation",
          year,
          select: (c) => sel.select(c),
          model: method,
        });
        await sel.release();
      } catch (e) {
        row.failed.push(`submit: ${errText(e)}`);
        continue;
      }
      const s = row.summary;
      row.written = s.written;
      for (const f of s.failed) {
        const refused = method === "grappa" && /ktRadial/.test(f.file) &&
          GRAPPA_REFUSAL.test(f.error ?? "");
        (refused ? row.refused : row.failed).push(refused ? f.file : `${f.file}: ${f.error}`);
      }
      // The refused cases' files are the only ones allowed to be missing.
      const refusedMissing = (file: string) => row.refused.some((r) => r === file);
      // 2. validate against the input
      let validOk = false;
      try {
        const v = await validateSubmission(out, { input: data, year, task });
        const errors = v.problems.filter((p) => !(p.kind === "missing" && refusedMissing(p.file)));
        validOk = errors.length === 0;
        const missing = v.problems.length - errors.length;
        row.validate = validOk
          ? `ok${missing ? ` (${missing} missing: refused)` : ""}`
          : `FAIL: ${errors.length} error(s), e.g. ${errors[0].file}: ${errors[0].message}`;
      } catch (e) {
        row.validate = `FAIL: ${errText(e)}`;
      }
      // 3. pack (in the edition's default archive layout), forced past the refused files only
      let packOk = false;
      try {
        const p = await packSubmission(out, {
          out: `${work}/${year}-${method}.zip`,
          team: "cmrxkit bench",
          email: "bench@example.org",
          year,
          input: data,
          force: validOk && row.refused.length > 0,
        });
        const tops = new Set<string>();
        for (const e of p.entries) {
          const parts = e.name.split("/");
          const depth = parts[0] === "Submission" ? 2 : 1;
          const top = parts.slice(0, depth).join("/") + (parts.length > depth ? "/" : "");
          if (top !== "Submission/") tops.add(top);
        }
        packOk = p.files > 0;
        row.pack = `${packOk ? "ok" : "FAIL"}: ${p.files} file(s); ${[...tops].sort().join(", ")}`;
      } catch (e) {
        row.pack = `FAIL: ${errText(e)}`;
      }
      // 4. score with the edition's rules
      let scoreOk = false;
      try {
        const r = await scoreSubmission({ submission: out, truth, year, task, input: data });
        row.report = r;
        const missing = r.missing.filter((m) => !row.refused.some((f) => missingIs(m, f)));
        scoreOk = r.files.length > 0 && r.malformed.length === 0 &&
          r.truthProblems.length === 0 && missing.length === 0;
        row.score = `${scoreOk ? "ok" : "FAIL"}: ${r.files.length} file(s) scored${
          r.missing.length
            ? `, ${r.missing.length} missing${missing.length ? "" : " (refused)"}`
            : ""
        }${r.malformed.length ? `, ${r.malformed.length} malformed` : ""}${
          r.truthProblems.length ? `, ${r.truthProblems.length} truth problem(s)` : ""
        }`;
      } catch (e) {
        row.score = `FAIL: ${errText(e)}`;
      }
      row.green = row.failed.length === 0 && row.written > 0 && validOk && packOk && scoreOk;
      console.error(`  ${year} ${method}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
  }
} finally {
  cleanup();
  Deno.removeSignalListener("SIGINT", onSignal);
}

const date = new Date().toISOString().slice(0, 10);
console.log(
  `CMRxRecon editions end to end, classical methods (${date}; synthetic, seed ${SEED}, ` +
    `${patients} patient(s), small size, task ${task}, validation split)\n`,
);

console.log("1. Status (submit -> validate -> pack -> score with the edition's rules)\n");
console.log(
  "| edition | method | cases written / failed | validate | pack: archive top paths | score | status |",
);
console.log("|---|---|---|---|---|---|---|");
for (const r of rows) {
  const failed = [
    ...(r.failed.length ? [`${r.failed.length} failed`] : []),
    ...(r.refused.length ? [`${r.refused.length} refused (ktRadial)`] : []),
  ].join(", ") || "0";
  console.log(
    `| ${r.year} | ${r.method} | ${r.written} / ${failed} | ${r.validate} | ${r.pack} | ${r.score} | ${
      r.green ? "green" : "RED"
    } |`,
  );
}
const failures = rows.filter((r) => !r.green);
for (const r of failures) {
  for (const f of r.failed) console.log(`  ${r.year} ${r.method}: ${f}`);
}

console.log(
  "\n2. SSIM / PSNR dB per edition, pattern and R (mean over the scored files of that pattern " +
    "and R; 2023: its uniform line masks, AccFactorNN)\n",
);
for (const year of years) {
  const cells = new Map<string, Map<string, { ssim: number[]; psnr: number[] }>>();
  for (const r of rows.filter((x) => x.year === year && x.report)) {
    for (const f of r.report!.files) {
      const p = patternOf(f.file);
      if (!p) continue;
      const key = `${p.pattern} R${p.acc}`;
      const byMethod = cells.get(key) ?? new Map();
      cells.set(key, byMethod);
      const c = byMethod.get(r.method) ?? { ssim: [], psnr: [] };
      byMethod.set(r.method, c);
      c.ssim.push(f.ssim);
      c.psnr.push(f.psnr);
    }
  }
  const keys = [...cells.keys()].sort((a, b) => {
    const [pa, ra] = a.split(" R"), [pb, rb] = b.split(" R");
    return pa.localeCompare(pb) || Number(ra) - Number(rb);
  });
  console.log(`${editionOf(year).title}:\n`);
  console.log(`| pattern, R | ${methods.join(" | ")} |`);
  console.log(`|---|${methods.map(() => "---").join("|")}|`);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  for (const k of keys) {
    const row = methods.map((m) => {
      const c = cells.get(k)!.get(m);
      return c ? `${mean(c.ssim).toFixed(4)} / ${mean(c.psnr).toFixed(2)} (${c.ssim.length})` : "-";
    });
    console.log(`| ${k} | ${row.join(" | ")} |`);
  }
  console.log("\n(n): files averaged; -: none scored (e.g. GRAPPA's refused ktRadial cases)\n");
}

console.log("3. Leaderboard main keys per edition and method (official key names)\n");
console.log("| edition | method | task | SSIM key = value | PSNR key = value | NMSE key = value |");
console.log("|---|---|---|---|---|---|");
const num = (x: number | null | undefined, d: number) =>
  x === null || x === undefined || Number.isNaN(x) ? "null" : x.toFixed(d);
for (const r of rows.filter((x) => x.report)) {
  const rep = r.report!;
  if (rep.edition) {
    for (const res of rep.edition.results) {
      const m = res.main;
      console.log(
        `| ${r.year} | ${r.method} | ${res.task} | ${m.keys.ssim} = ${
          num(m.ssim, 4)
        } | ${m.keys.psnr} = ${num(m.psnr, 4)} | ${m.keys.nmse} = ${num(m.nmse, 4)} |`,
      );
    }
  } else {
    for (const t of ["cine", "mapping"] as const) {
      const a = rep.aggregate[t];
      if (!a) continue;
      const K = t === "cine" ? "Cine" : "Mapping";
      console.log(
        `| ${r.year} | ${r.method} | ${K} | ${K}_SSIM = ${num(a.ssim, 4)} | ${K}_PSNR = ${
          num(a.psnr, 4)
        } | ${K}_NMSE = ${num(a.nmse, 4)} |`,
      );
    }
  }
}

if (rows.some((r) => r.refused.length && r.report?.edition)) {
  console.log(
    "\nThe adjusted keys (2024 All_adj.*, 2025 *_adj) count a missing file as 0, as the official " +
      "scorers do: GRAPPA's refused ktRadial files lower its keys there.",
  );
}

console.log(
  "\n4. Time-budget verdict under each edition's limit per task (--time-budget edition), from " +
    "submit's measured per-view timings\n",
);
console.log(
  "| edition | method | limit per task | estimate for the test set | fraction | verdict |",
);
console.log("|---|---|---|---|---|---|");
const notes = new Set<string>();
for (const r of rows.filter((x) => x.summary?.written)) {
  const v = budgetVerdict(r.summary!.perView, task, "edition", editionOf(r.year));
  const h = (s: number) => `${(s / 3600).toFixed(2)} h`;
  console.log(
    `| ${r.year} | ${r.method} | ${h(v.budgetSeconds)} | ${h(v.estimateSeconds)} | ${
      v.fraction.toFixed(3)
    } | ${v.verdict}${v.reliable ? "" : " (not reliable)"} |`,
  );
  if (v.warning) notes.add(`${r.year}: ${v.warning}`);
  if (v.conflict) notes.add(`${r.year}: ${v.conflict}`);
}
if (notes.size) console.log(`\n${[...notes].map((n) => `- ${n}`).join("\n")}`);

console.log(
  `\n${
    failures.length === 0 ? "all status rows green" : `${failures.length} status row(s) not green`
  }`,
);
Deno.exit(failures.length === 0 ? 0 : 1);
