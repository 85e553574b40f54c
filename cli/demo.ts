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

import { relative, resolve } from "node:path";
import { discover } from "../src/challenge/layout.ts";
import { Leaderboard } from "../src/challenge/leaderboard.ts";
import { scoreSubmission } from "../src/challenge/score.ts";
import { pooledRss } from "../src/pipeline/reference.ts";
import { SlicePool } from "../src/recon/pool.ts";
import { REPO_ROOT } from "../src/repo_root.ts";
import { CmrxError, errorMessage, UsageError } from "../src/errors.ts";
import { submit } from "../src/pipeline/submit.ts";
import { listModels, type ModelEntry } from "../src/models/registry.ts";
import { checkModel, createSelector } from "../src/pipeline/select.ts";
import { Progress } from "../src/progress.ts";
import { synthesize } from "../src/synth/dataset.ts";
import { tempPathFor } from "../src/tempname.ts";
import {
  checkNoForeignFiles,
  checkOwnedFolder,
  filesIn,
  isInsideRel,
  listForMessage,
  present,
  readWrittenList,
  removeWritten,
  unrecorded,
  writeMarker,
} from "../src/written_files.ts";
import type { Command } from "./command.ts";
import { intFlag, parseFlags } from "./flags.ts";
import {
  formatBytes,
  formatDuration,
  printReport,
  printSummary,
  recordScore,
  reportForRun,
} from "./print.ts";

/**
 * The file that marks a folder as the demo's and lists the files the demo wrote there (see
 * `src/written_files.ts`): a re-run removes those files and nothing else.
 */
export const DEMO_MARKER = ".cmrxkit-demo";

const DEMO_OWNER = { marker: DEMO_MARKER, what: "demo", flag: "--out" };

const DEMO_ABOUT = "written by cmrxkit's demo (deno task demo)\n" +
  "a later demo into this folder removes only the files listed below;\n" +
  "anything else here stays";

/** Where the demo writes in its folder: the dataset and the submission (with the report). */
const DEMO_ENTRIES = ["data", "out"] as const;

/** `deno task demo`: the whole pipeline on a synthetic dataset. */
export const demo: Command = {
  name: "demo",
  summary: "synthesise a small dataset and run the pipeline on it (no data or GPU needed)",
  help: `Usage: deno task demo [--out DIR] [--patients N] [--seed N] [--method NAME] [--db FILE]

  --out DIR      the demo's folder (default cmrxkit-demo, in the folder you ran the command
                 from); it must be new, empty, or made by an earlier demo (DIR/.cmrxkit-demo,
                 which lists the files the demo wrote). A re-run removes only those files;
                 anything you put in DIR stays. Any other folder is refused, never emptied
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
    const models = await listModels();
    await checkModel(values.method, models); // before anything is created
    const folder = await prepareDemoFolder(dir);
    if (folder.reused) {
      console.log(
        `replaced the earlier demo in ${dir}: removed the ${folder.removed.length} file(s) it wrote`,
      );
    }
    if (folder.kept.length) {
      console.log(
        `   left as they are (the demo did not write them): ${listForMessage(folder.kept)}`,
      );
    }
    try {
      return await runSteps(folder, {
        models,
        patients,
        seed,
        method: values.method,
        db: values.db,
      });
    } finally {
      await recordDemoFiles(folder);
    }
  },
};

/** The demo's steps in its prepared folder; the exit code. */
async function runSteps(
  folder: DemoFolder,
  o: { models: ModelEntry[]; patients: number; seed: number; method?: string; db?: string },
): Promise<number> {
  const dir = folder.dir, t0 = performance.now();
  const data = `${dir}/data`, out = `${dir}/out`, truth = `${data}/GroundTruth`;

  console.log(`1. synthesising a small dataset in ${data} ...`);
  // Beside the folder first, then moved in file by file: a user's files in data/ stay.
  const tmp = tempPathFor(data);
  let rep;
  try {
    rep = await synthesize({ out: tmp, size: "small", patients: o.patients, seed: o.seed });
    await moveFilesInto(folder, tmp, "data");
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
  console.log(`   ${rep.files} files, ${formatBytes(rep.bytes)}`);

  const { cases } = await discover(data, { split: "validation" });
  console.log(`2. ${cases.length} validation files found`);

  console.log(
    `3. reconstructing the validation split into ${out} (${
      o.method ?? "per case the shipped model that serves it, else a classical method"
    }) ...`,
  );
  const selector = createSelector({
    override: o.method,
    models: o.models,
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
  using pool = new SlicePool();
  const score = await scoreSubmission({ submission: out, truth, rss: pooledRss(pool) });
  printReport(score);
  const model = o.method ?? [...methods].sort().join("+");
  // As 'deno task score' records: no NaN or incomplete truth, and a re-run replaces its row.
  recordScore(score, { db: o.db, name: `demo ${model}`, model });
  using lb = new Leaderboard(o.db);
  const dbRel = relInside(dir, lb.path);
  if (dbRel && !folder.before.has(dbRel)) {
    // A leaderboard the demo created in its folder is the demo's (with SQLite's side files).
    await recordDemoFiles(folder, ["", "-wal", "-shm", "-journal"].map((x) => dbRel + x));
  }
  const top = lb.ranked({ task: "cine" })[0];
  console.log(
    top
      ? `   cine #1 on ${lb.path}: '${top.name}' SSIM ${top.ssim.toFixed(4)}`
      : `   no cine run with a score on ${lb.path}`,
  );

  console.log("5. visual report:");
  const reported = await reportForRun({ output: out, input: data, truth });

  console.log(`done in ${formatDuration(performance.now() - t0)}\n`);
  console.log(nextSteps({ data, out, truth, db: o.db }));
  return reported ? 0 : 1;
}

/** The demo's folder as a run finds it, once the earlier demo's files are removed. */
export interface DemoFolder {
  dir: string;
  /** An earlier demo's folder is reused. */
  reused: boolean;
  /** The earlier demo's files that were removed (relative paths). */
  removed: string[];
  /**
   * What is in the folder that the demo did not write (relative paths; a folder holding none
   * of the demo's files ends in `/`): left as it is.
   */
  kept: string[];
  /**
   * Files of the earlier demo that stay the demo's: the marker of a folder inside (the
   * report's, in out/report) that still holds a user's file, which the next run there needs.
   */
  carried: string[];
  /** Every file in the folder before this run wrote anything (not the demo's). */
  before: Set<string>;
  /** Files this run wrote outside out/, recorded as it wrote them. */
  written: string[];
}

/**
 * Makes `dir` the demo's folder for a run: new, empty, or an earlier demo's (else refused,
 * see `checkOwnedFolder`). Of an earlier demo only the files its marker lists are removed;
 * an older demo's marker lists none, so its `data/` and `out/` are refused instead (the
 * user moves them). Writes the marker (listing nothing new yet).
 */
export async function prepareDemoFolder(dir: string): Promise<DemoFolder> {
  const state = await checkOwnedFolder(dir, DEMO_OWNER);
  const marker = `${dir}/${DEMO_MARKER}`;
  let removed: string[] = [];
  const carried: string[] = [];
  if (state === "owned") {
    const listed = await readWrittenList(marker);
    if (listed === null) await refuseOlderDemo(dir);
    const isMarker = (r: string) =>
      r.includes("/") && r.slice(r.lastIndexOf("/") + 1).startsWith(".cmrxkit-");
    removed = await removeWritten(dir, (listed ?? []).filter((r) => !isMarker(r)));
    for (const m of (listed ?? []).filter(isMarker)) {
      const sub = m.slice(0, m.lastIndexOf("/")), name = m.slice(sub.length + 1);
      let others: string[] = [];
      try {
        others = (await Array.fromAsync(Deno.readDir(`${dir}/${sub}`)))
          .map((e) => e.name).filter((n) => n !== name);
      } catch { /* gone */ }
      if (others.length === 0) removed.push(...await removeWritten(dir, [m]));
      else if (await present(`${dir}/${m}`)) carried.push(m);
    }
  }
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (e) {
    throw new CmrxError(`cannot create the demo's folder (${errorMessage(e)})`, {
      file: dir,
      hint: "check that its parent folder is writable, or choose another --out",
    });
  }
  await writeMarker(marker, DEMO_ABOUT, carried);
  return {
    dir,
    reused: state === "owned",
    removed,
    kept: await unrecorded(dir, carried, DEMO_MARKER),
    carried,
    before: new Set(await filesIn(dir)),
    written: [],
  };
}

/** An older demo's marker lists no files: its data/ and out/ are the user's to move. */
async function refuseOlderDemo(dir: string): Promise<void> {
  const inWay: string[] = [];
  for (const n of DEMO_ENTRIES) if (await present(`${dir}/${n}`)) inWay.push(n);
  if (inWay.length === 0) return;
  const them = inWay.length > 1 ? "them" : "it";
  throw new UsageError(
    `holds ${inWay.map((n) => `${n}/`).join(" and ")} of an older demo, which did not record ` +
      "the files it wrote, so the demo cannot tell them from yours and removes none",
    {
      file: dir,
      hint: `move ${inWay.map((n) => `${dir}/${n}`).join(" and ")} out of the folder (or ` +
        `delete ${them} yourself if nothing of yours is in ${them}), or choose another --out`,
    },
  );
}

/**
 * Records in the marker every file this run wrote in the folder: `written` (the files it
 * wrote or is about to write outside out/, with `extra`), and in out/, where submit and the
 * report write, what is there now and was not before the run started.
 */
export async function recordDemoFiles(folder: DemoFolder, extra: string[] = []): Promise<void> {
  folder.written.push(...extra);
  const fresh = (await filesIn(`${folder.dir}/out`)).map((r) => `out/${r}`)
    .filter((r) => !folder.before.has(r));
  await writeMarker(`${folder.dir}/${DEMO_MARKER}`, DEMO_ABOUT, [
    ...folder.carried,
    ...folder.written,
    ...fresh,
  ]);
}

/** `path` relative to `dir` when it is inside it, else null. */
function relInside(dir: string, path: string): string | null {
  const rel = relative(resolve(dir), resolve(path));
  return isInsideRel(rel) ? rel : null;
}

/**
 * Moves every file under `from` (written by the demo outside its folder) to `sub/` in the
 * folder, beside what is there: refused, before anything moves, where something the demo did
 * not write is at one of the paths. The files are recorded first.
 */
export async function moveFilesInto(folder: DemoFolder, from: string, sub: string) {
  const rels = await filesIn(from);
  const planned = rels.map((r) => `${sub}/${r}`);
  await checkNoForeignFiles(folder.dir, planned, [], "--out");
  await recordDemoFiles(folder, planned);
  for (const [i, r] of rels.entries()) {
    const to = `${folder.dir}/${planned[i]}`;
    try {
      await Deno.mkdir(to.slice(0, to.lastIndexOf("/")), { recursive: true });
      await Deno.rename(`${from}/${r}`, to);
    } catch (e) {
      throw new CmrxError(
        `cannot move the demo's file into place (${errorMessage(e)})`,
        { file: to, hint: "move what is there out of the folder, or choose another --out" },
      );
    }
  }
}

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
