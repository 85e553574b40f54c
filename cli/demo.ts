/**
 * `deno task demo`: the whole pipeline end to end on an embedded default: synthesise a
 * small dataset, reconstruct its validation cases with the shipped models (or a classical
 * method where none serves), apply the official ranking reduction, write and validate a
 * compliant submission, zip it, score it against the ground truth like the leaderboard,
 * record it on the local leaderboard, and write the visual report. It ends with the commands
 * that repeat each step and the one to run on real data.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { discover } from "../src/challenge/layout.ts";
import { Leaderboard } from "../src/challenge/leaderboard.ts";
import { scoreSubmission } from "../src/challenge/score.ts";
import { submit } from "../src/pipeline/submit.ts";
import { listModels } from "../src/models/registry.ts";
import { claimOwnedFolder, removeOwnedEntry } from "../src/outdir.ts";
import { createSelector } from "../src/pipeline/select.ts";
import { Progress } from "../src/progress.ts";
import { synthesize } from "../src/synth/dataset.ts";
import { type Command, formatBytes, formatDuration, intFlag, parseFlags } from "./command.ts";
import { printReport } from "./score.ts";
import { printSummary } from "./submit.ts";
import { reportForRun } from "./report.ts";

/** The file that marks a folder as the demo's (so a re-run may replace what it wrote). */
export const DEMO_MARKER = ".cmrxkit-demo";

/** The demo's own entries in its folder: a re-run removes these and nothing else. */
const DEMO_ENTRIES = ["data", "out"] as const;

const REPO_ROOT = fileURLToPath(new URL("../", import.meta.url)).replace(/\/$/, "");

export const demo: Command = {
  name: "demo",
  summary: "synthesise a small dataset and run the pipeline on it (no data or GPU needed)",
  help: `Usage: deno task demo [--out DIR] [--patients N] [--seed N] [--method NAME] [--db FILE]

  --out DIR      the demo's folder (default cmrxkit-demo, in the folder you ran the command
                 from); it must be new, empty, or made by an earlier demo. A re-run replaces
                 DIR/data and DIR/out and nothing else; a folder holding other files is
                 refused, never emptied
  --patients N   synthetic patients (default 1)
  --seed N       random seed of the dataset (default 7)
  --method NAME  one model or classical method for every case (default: per case, the shipped
                 model that serves it, else a classical method)
  --db FILE      the leaderboard to record on (default: the one 'deno task leaderboard' shows:
                 $CMRXKIT_HOME/leaderboard.sqlite, else $XDG_CACHE_HOME/cmrxkit/leaderboard.sqlite,
                 else ~/.cache/cmrxkit/leaderboard.sqlite)

Steps:
1. writes a small synthetic CMRxRecon dataset to DIR/data,
2. lists its validation cases as the official layout defines them,
3. runs the submit pipeline on the validation split (with a progress line): reconstruction of
   the scored slices, the 2023 ranking reduction, DIR/out/Submission/... (img4ranking,
   MAT v5), validation against the input and DIR/out/Submission.zip,
4. scores it against DIR/data/GroundTruth like the leaderboard (2023 rules), records it on the
   local leaderboard as 'demo <model>',
5. writes the visual report (DIR/out/report/index.html: images, errors, metrics, maps),
then prints the commands that repeat each step and the one to run on real data.`,
  async run(args) {
    const { values } = parseFlags("demo", args, {
      out: { type: "string", default: "cmrxkit-demo" },
      patients: { type: "string", default: "1" },
      seed: { type: "string", default: "7" },
      method: { type: "string" },
      db: { type: "string" },
    });
    const dir = values.out!.replace(/(.)\/+$/, "$1");
    const patients = intFlag("demo", "patients", values.patients, 1);
    const seed = intFlag("demo", "seed", values.seed, 7);
    const t0 = performance.now();
    const reused = await claimOwnedFolder(dir, {
      marker: DEMO_MARKER,
      what: "demo",
      flag: "--out",
    });
    if (reused) {
      console.log(`replacing the earlier demo's ${DEMO_ENTRIES.join("/ and ")}/ in ${dir}`);
      for (const name of DEMO_ENTRIES) await removeOwnedEntry(dir, name);
    }
    const data = `${dir}/data`, out = `${dir}/out`, truth = `${data}/GroundTruth`;

    console.log(`1. synthesising a small dataset in ${data} ...`);
    const rep = await synthesize({ out: data, size: "small", patients, seed });
    console.log(`   ${rep.files} files, ${formatBytes(rep.bytes)}`);

    const { cases } = await discover(data, { split: "validation" });
    console.log(`2. ${cases.length} validation files found`);

    console.log(
      `3. reconstructing the validation split into ${out} (${
        values.method ?? "per case the shipped model that serves it, else a classical method"
      }) ...`,
    );
    const selector = createSelector({
      override: values.method,
      models: await listModels(),
      engine: { device: "cpu" },
    });
    const methods = new Set<string>();
    let progress: Progress | null = null;
    const sub = await submit({
      input: data,
      output: out,
      task: "both",
      split: "validation",
      select: async (c) => {
        const r = await selector.select(c);
        methods.add(r.name);
        return r;
      },
      zip: { team: "cmrxkit demo" },
      onStart: (total) => {
        progress = new Progress("   submit", total, "files");
      },
      onCase: (e) => {
        if (e.status === "failed") console.error(`\nfailed: ${e.file}: ${e.error}`);
        progress?.tick(
          1,
          `${e.file.split("/").slice(-3).join("/")} ${e.method} ${e.seconds.toFixed(1)} s`,
        );
      },
    });
    await selector.release();
    printSummary(sub);
    if (!sub.validation?.ok) return 1;

    console.log("4. score against the ground truth (2023 rules):");
    const score = await scoreSubmission({ submission: out, truth });
    printReport(score);
    using lb = new Leaderboard(values.db);
    const model = values.method ?? [...methods].sort().join("+");
    lb.record(score, { name: `demo ${model}`, model });
    const top = lb.ranked({ task: "cine" })[0];
    console.log(`   recorded on ${lb.path}: cine #1 '${top.name}' SSIM ${top.ssim.toFixed(4)}`);

    console.log("5. visual report:");
    const reported = await reportForRun({ output: out, input: data, truth });

    console.log(`done in ${formatDuration(performance.now() - t0)}\n`);
    console.log(nextSteps({ data, out, truth, db: values.db }));
    return reported ? 0 : 1;
  },
};

/** The closing text: commands that repeat the steps, with the real paths, and what next. */
export function nextSteps(p: { data: string; out: string; truth: string; db?: string }): string {
  const task = `${denoCommand()} task${configFlag()}`;
  const db = p.db ? ` --db ${shellQuote(p.db)}` : "";
  const [data, out, truth] = [p.data, p.out, p.truth].map(shellQuote);
  return [
    "Repeat a step yourself (copy a line; relative paths mean the folder you are in):",
    `  ${task} validate ${out} --input ${data}`,
    `  ${task} score --submission ${out} --truth ${truth} --no-record`,
    `  ${task} report --runs ${out} --truth ${truth} --input ${data} --out ${out}/report`,
    `  ${task} leaderboard${db}`,
    "",
    "Next: run it on real data. Download the CMRxRecon validation set (official layout, e.g.",
    "MultiCoil/Cine/ValidationSet/AccFactor04/P001/cine_sax.mat) and write a submission:",
    `  ${task} submit --input PATH/TO/CMRxRecon --output my-submission --split validation --zip --team NAME`,
    `See ${REPO_ROOT}/README.md for the commands, models and the evaluation container.`,
  ].join("\n");
}

/** How the user can run deno: `deno` when it is on the PATH, else the binary running now. */
function denoCommand(): string {
  for (const d of (Deno.env.get("PATH") ?? "").split(":")) {
    if (!d) continue;
    try {
      if (Deno.statSync(`${d}/deno`).isFile) return "deno";
    } catch { /* not there */ }
  }
  const exe = Deno.execPath();
  return /[\\/](_npx|node_modules)[\\/]/.test(exe)
    ? `npx -y deno@${Deno.version.deno}`
    : shellQuote(exe);
}

/** `deno task` finds deno.json from the current folder up; elsewhere name it. */
function configFlag(): string {
  const cwd = Deno.cwd();
  return cwd === REPO_ROOT || cwd.startsWith(`${REPO_ROOT}/`)
    ? ""
    : ` --config ${shellQuote(`${REPO_ROOT}/deno.json`)}`;
}

/** Quotes a path for a POSIX shell when it needs it. */
function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}
