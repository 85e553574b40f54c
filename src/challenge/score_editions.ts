/**
 * Scoring a 2024 or 2025 submission like that year's leaderboard: the files each year's
 * scorer reads, matched to their ground truth, scored per file with the edition's metric rules
 * (`metrics/mod.ts`: normalisation and argument order) and aggregated with the edition's
 * aggregation (`aggregate_editions.ts`: {@link aggregate2024}, {@link aggregate2025}). Which
 * one applies is the edition's `aggregation`; `score.ts` calls {@link scoreEditionFiles} for
 * every edition whose aggregation is not the 2023 one.
 *
 * - **2024** (`{Modality}/{ValidationSet|TestSet}/TaskN/Pxxx/{stem}_kus_{mask}.mat`): one row
 *   per expected file. Expected: for each fully sampled ground-truth file and each task the
 *   submission holds a `TaskN` folder of (both when none), the masks of that file in the
 *   input's `Mask_TaskN` (or `UnderSample_TaskN`) folder when the input dataset is found (the
 *   test scorer's rule; the validation scorer's three mask groups per task are what synth
 *   writes there), else the validation scorer's three groups: Task 1 `Uniform4/8/10`, Task 2
 *   one file per `ktUniform`/`ktGaussian`/`ktRadial` (its R from the submitted file). A
 *   missing or unscorable file is a row with no metrics; files nobody expects are listed in
 *   `extra` and not read, as the scorer never opens them. Test split: per-file `nanmean`.
 * - **2025** (`{TaskXX}/MultiCoil/{Modality}/{Split}/UnderSample_{TaskXX}/{Center}/{Vendor}/
 *   Pxxx/{stem}_kus_{mask}.mat`): one row per submitted file; a submitted file without ground
 *   truth stops scoring before any file is read (`ExtraFileError`, the scorer's 'Extra file
 *   submitted'); missing files only lower `n` against `N`. Groups come from the case table
 *   (`--cases`, {@link readGroupTable}).
 *
 * The ground truth is fully sampled k-space as `deno task synth --edition 2024|2025` writes it
 * (2024 `GroundTruth/MultiCoil/{Modality}/{Split}/FullSample/Pxxx/{stem}.mat`; 2025
 * `GroundTruth/{TaskXX}/MultiCoil/{Modality}/{Split}/FullSample[_TaskXX]/{Center}/{Vendor}/
 * Pxxx/{stem}.mat`), or official `img4ranking` files at those places; the reference is made
 * with the edition's reduction (`truth.ts` {@link referenceImage}).
 *
 * @module
 */

import { CmrxError, errorMessage, LayoutError } from "../errors.ts";
import { openMat } from "../mat/read.ts";
import type { AggregationRule, Edition, Split } from "./edition.ts";
import { scoreVolume, type ScoreVolumeOptions } from "./metrics/mod.ts";
import {
  aggregate2024,
  aggregate2025,
  type File2024,
  file2024FromPath,
  type File2025,
  type Group2024,
  type Group2025,
  GROUPS_2024,
  type GroupTable,
  type Place2025,
  place2025FromPath,
  readGroupTable,
  type ResultValue,
  type Task2025,
} from "./aggregate_editions.ts";
import {
  listTruth,
  referenceImage,
  type ReferenceRss,
  type TruthProblem,
  truthReadProblem,
} from "./truth.ts";

/** The aggregation rules this module scores (every one but 2023's). */
export type EditionAggregation = Exclude<AggregationRule, "2023">;

/** The main keys of a task's result: what the leaderboard ranks. */
export interface MainScores {
  /** The keys these come from, e.g. `All_adj.SSIM`. */
  keys: { ssim: string; psnr: string; nmse: string };
  /** SSIM (null: no value). */
  ssim: number | null;
  /** PSNR, dB. */
  psnr: number | null;
  /** NMSE. */
  nmse: number | null;
}

/** One task's official result (one `results.json` of the year's scorer). */
export interface EditionResult {
  /** `Task1`, `Task2` (2024) or `TaskR1`.. `TaskS2` (2025). */
  task: string;
  /** The official keys, in the scorer's order (NaN as null). */
  keys: Record<string, ResultValue>;
  /** The main keys (2024 `All_adj.*`, 2025 `Mean_of_all_*_adj`). */
  main: MainScores;
  /** Files scored. */
  files: number;
  /** Files the ground truth expects. */
  expected: number;
  /** The groups behind the keys. */
  groups: Group2024[] | Group2025[];
  /** 2025: scored files whose case is not in the case table. */
  unmatched?: string[];
}

/** The edition part of a score report. */
export interface EditionScores {
  /** The aggregation used (the edition's `aggregation`). */
  aggregation: EditionAggregation;
  /** One result per task scored. */
  results: EditionResult[];
  /**
   * Submission files the year's scorer does not read (2024: not expected; 2025: outside the
   * scorer's glob); they are not scored and do not count.
   */
  extra: string[];
  /** 2025: the case table used. */
  cases?: string;
}

/** What {@link scoreEditionFiles} needs (a subset of `ScoreOptions`). */
export interface EditionScoreOptions {
  /** The submission folder, or a folder holding it. */
  submission: string;
  /** The ground-truth root. */
  truth: string;
  /** Which split (default validation). */
  split?: "validation" | "test";
  /** Only this task's files (`mapping`: the Mapping folder; `cine`: every other). */
  task?: "cine" | "mapping" | "both";
  /** Called after each file. */
  onFile?: (done: number, total: number) => void;
  /** Coil combination for references. */
  rss?: ReferenceRss;
  /**
   * 2025: the case table (csv); default `GroupTable.csv` in the truth root, its `GroundTruth/`
   * (where `deno task synth --edition 2025` writes a synthetic one) or its parent.
   */
  cases?: string;
  /**
   * 2024: the input dataset whose `Mask_TaskN` folders say which files are expected; default
   * the folder holding the truth's `GroundTruth` (or the truth root when it holds one).
   */
  input?: string;
}

/** One scored file (as `ScoreReport.files` holds it). */
export interface EditionFileScore {
  /** Path relative to the submission folder. */
  file: string;
  /** Mean SSIM over the file's images. */
  ssim: number;
  /** Mean PSNR. */
  psnr: number;
  /** Mean NMSE. */
  nmse: number;
  /** 2-D images scored. */
  images: number;
}

/** What {@link scoreEditionFiles} returns. */
export interface EditionScoreOutput {
  /** The submission folder used. */
  submission: string;
  /** Scored files. */
  files: EditionFileScore[];
  /** Expected files not submitted. */
  missing: string[];
  /** Files present but not scorable. */
  malformed: { file: string; reason: string; fix: string }[];
  /** Truth entries that cannot be read. */
  truthProblems: TruthProblem[];
  /** The official results. */
  edition: EditionScores;
}

const FIX_FILE = "write it again as a MAT file holding img4ranking (single, magnitude, the " +
  "reduced dims); deno task validate checks it";

/** The default name of a 2025 case table beside the truth (`deno task synth` writes one). */
export const GROUP_TABLE_FILE = "GroupTable.csv";

const TASK_2025 = /^Task[RS]\d+$/;

async function isDir(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

async function dirs(path: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(path)) if (e.isDirectory) out.push(e.name);
  } catch { /* absent */ }
  return out.sort();
}

/** Every file below `dir`, relative to it, sorted. */
async function walk(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  let entries: Deno.DirEntry[] = [];
  try {
    for await (const e of Deno.readDir(dir)) entries.push(e);
  } catch {
    return out;
  }
  entries = entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory) out.push(...await walk(`${dir}/${e.name}`, rel));
    else out.push(rel);
  }
  return out;
}

/**
 * The submission folder of a 2024 or 2025 tree: `dir` when named `Submission`, else
 * `dir/Submission`, else `dir`, whichever holds the edition's top folders (2024 modality
 * folders, 2025 `TaskXX` folders).
 *
 * @throws {LayoutError} none of them does
 */
async function locateRoot(dir: string, top: (name: string) => boolean, what: string) {
  const base = dir.replace(/\/+$/, "") || "/";
  if (!await isDir(base)) {
    throw new LayoutError("no such folder", {
      file: dir,
      hint: "pass the Submission folder, or the folder that holds Submission/",
    });
  }
  for (const c of [base, `${base}/Submission`]) {
    if ((await dirs(c)).some(top)) return c;
  }
  throw new LayoutError(`no ${what} folder here or in Submission/`, {
    file: dir,
    hint: `pass the folder holding the ${what} folders (or the folder that holds Submission/)`,
  });
}

/**
 * Whether `dir` (or its `Submission/`) holds a 2025 submission (`TaskR1`.. folders at the
 * top): for telling the edition from the tree when no flag or run manifest says it.
 */
export async function looks2025(dir: string): Promise<boolean> {
  const base = dir.replace(/\/+$/, "") || "/";
  for (const c of [base, `${base}/Submission`]) {
    const top = await dirs(c);
    if (top.some((n) => TASK_2025.test(n)) && !top.includes("MultiCoil")) return true;
  }
  return false;
}

const splitFolderOf = (split: Split) => split === "test" ? "TestSet" : "ValidationSet";

const inTask = (modality: string, task: EditionScoreOptions["task"]) =>
  !task || task === "both" || (task === "mapping") === (modality === "Mapping");

/** Reads a submitted file and scores it against a reference. */
async function scoreFile(
  path: string,
  rel: string,
  ref: { data: Float32Array; dims: number[] },
  year: Edition["year"],
  nan: ScoreVolumeOptions["nan"],
): Promise<
  { ok: EditionFileScore } | { bad: { file: string; reason: string; fix: string } }
> {
  try {
    using mat = await openMat(path);
    const v = mat.variables().find((x) => x.name === "img4ranking");
    if (!v) {
      return {
        bad: {
          file: rel,
          reason: `no img4ranking variable (found: ${
            mat.variables().map((x) => x.name).join(", ") || "none"
          })`,
          fix: FIX_FILE,
        },
      };
    }
    if (v.complex) {
      return {
        bad: { file: rel, reason: "img4ranking is complex, not a magnitude", fix: FIX_FILE },
      };
    }
    const a = mat.read("img4ranking");
    const m = scoreVolume(a.data as Float32Array, ref.data, { pred: a.dims, gt: ref.dims }, year, {
      nan,
    });
    return { ok: { file: rel, ssim: m.ssim, psnr: m.psnr, nmse: m.nmse, images: m.images } };
  } catch (e) {
    if (!(e instanceof CmrxError)) throw e;
    return { bad: { file: rel, reason: e.detail.split("\n")[0], fix: e.hint ?? FIX_FILE } };
  }
}

/** Reference images of truth files, made once and dropped when no longer needed. */
class References {
  #cache = new Map<string, { data: Float32Array; dims: number[] } | null>();
  constructor(
    private year: Edition["year"],
    private split: Split,
    private rss: ReferenceRss | undefined,
    private problems: TruthProblem[],
  ) {}
  async get(
    file: string,
    entry: { name: string; task: "cine" | "mapping" },
  ): Promise<{ data: Float32Array; dims: number[] } | null> {
    if (this.#cache.has(file)) return this.#cache.get(file)!;
    let ref: { data: Float32Array; dims: number[] } | null = null;
    try {
      using m = await openMat(file);
      ref = await referenceImage(
        m,
        { ...entry, coil: "MultiCoil" },
        this.year,
        this.split,
        this.rss,
      );
    } catch (e) {
      if (!(e instanceof CmrxError)) throw e;
      this.problems.push(truthReadProblem(file, e));
    }
    this.#cache.set(file, ref);
    return ref;
  }
  drop(file: string): void {
    if (this.#cache.get(file)) this.#cache.set(file, null);
  }
}

const main = (
  keys: Record<string, ResultValue>,
  names: MainScores["keys"],
): MainScores => {
  const num = (k: string) => typeof keys[k] === "number" ? keys[k] as number : null;
  return { keys: names, ssim: num(names.ssim), psnr: num(names.psnr), nmse: num(names.nmse) };
};

// ---------------------------------------------------------------------------------------
// 2024

async function score2024(
  opts: EditionScoreOptions,
  edition: Edition,
): Promise<EditionScoreOutput> {
  const split: Split = opts.split ?? "validation";
  const sf = splitFolderOf(split);
  const modalities = edition.layout?.modalities ?? ["Cine", "Mapping"];
  const sub = await locateRoot(
    opts.submission,
    (n) => modalities.includes(n),
    `modality (${modalities.join(", ")})`,
  );
  const { entries, problems } = await listTruth(opts.truth, split, opts.task);
  const truthProblems = [...problems];
  // The tasks the submission holds a folder of (both when none).
  const held = new Set<1 | 2>();
  for (const m of await dirs(sub)) {
    for (const t of await dirs(`${sub}/${m}/${sf}`)) {
      if (t === "Task1") held.add(1);
      if (t === "Task2") held.add(2);
    }
  }
  const tasks: (1 | 2)[] = held.size ? [...held].sort() : [1, 2];
  const input = opts.input ?? await defaultInput(opts.truth);
  type Row = File2024 & { path: string; truth: (typeof entries)[number] };
  const rows = new Map<1 | 2, Row[]>(tasks.map((t) => [t, []]));
  const expectedRel = new Set<string>();
  for (const e of entries) {
    if (!inTask(e.modality, opts.task)) continue;
    for (const task of tasks) {
      const dir = `${e.modality}/${sf}/Task${task}/${e.patient}`;
      const masks = await expectedMasks(input, e, sf, task, `${sub}/${dir}`);
      for (const mask of masks) {
        const rel = `${dir}/${e.name}_kus_${mask}.mat`;
        expectedRel.add(rel);
        rows.get(task)!.push({
          file: rel,
          path: `${sub}/${rel}`,
          stem: e.name,
          mask,
          status: "missing",
          ssim: NaN,
          psnr: NaN,
          nmse: NaN,
          truth: e,
        });
      }
    }
  }
  const extra = (await walk(sub)).filter((rel) => {
    const parts = rel.split("/");
    return parts.length >= 2 && modalities.includes(parts[0]) && !expectedRel.has(rel) &&
      inTask(parts[0], opts.task);
  });
  const out: EditionScoreOutput = {
    submission: sub,
    files: [],
    missing: [],
    malformed: [],
    truthProblems,
    edition: { aggregation: "2024", results: [], extra },
  };
  const refs = new References(edition.year, split, opts.rss, truthProblems);
  const all = [...rows.values()].flat();
  const lastUse = new Map(all.map((r, i) => [r.truth.file, i]));
  const nan = AGGREGATIONS["2024"].nan(split);
  let done = 0;
  for (const [i, r] of all.entries()) {
    if (!await isFile(r.path)) {
      out.missing.push(r.file);
    } else {
      const ref = await refs.get(r.truth.file, r.truth);
      if (ref) {
        const s = await scoreFile(r.path, r.file, ref, edition.year, nan);
        if ("ok" in s) {
          out.files.push(s.ok);
          Object.assign(r, { status: "scored", ssim: s.ok.ssim, psnr: s.ok.psnr, nmse: s.ok.nmse });
        } else {
          out.malformed.push(s.bad);
          r.status = "unscorable";
        }
      } else r.status = "unscorable";
    }
    if (lastUse.get(r.truth.file) === i) refs.drop(r.truth.file);
    opts.onFile?.(++done, all.length);
  }
  for (const task of tasks) {
    // A ground-truth file that cannot be read is left out of every count, as the scorer
    // does with a missing ground-truth stem.
    const bad = new Set(truthProblems.map((p) => p.path));
    const files = rows.get(task)!.filter((r) => !bad.has(r.truth.file));
    const res = aggregate2024(files, task, split === "test" ? "test" : "validation");
    out.edition.results.push({
      task: `Task${task}`,
      keys: res.keys,
      main: main(res.keys, AGGREGATIONS["2024"].main),
      files: files.filter((f) => f.status === "scored").length,
      expected: files.length,
      groups: res.groups,
    });
  }
  return out;
}

/**
 * The input dataset beside a truth root: the parent of a `GroundTruth` truth, or the truth
 * root itself when it holds `GroundTruth/`.
 */
async function defaultInput(truth: string): Promise<string | undefined> {
  const t = truth.replace(/\/+$/, "");
  if (t.split("/").pop() === "GroundTruth") return t.slice(0, t.lastIndexOf("/")) || ".";
  if (await isDir(`${t}/GroundTruth`)) return t;
  return undefined;
}

/**
 * The masks a 2024 file is expected at in a task: from the input's `Mask_TaskN` (or
 * `UnderSample_TaskN`) folder of the case when there is one, else the validation scorer's
 * three groups (Task 2: R from the submitted file, `?` when none).
 */
async function expectedMasks(
  input: string | undefined,
  e: { modality: string; patient: string; name: string },
  sf: string,
  task: 1 | 2,
  submitted: string,
): Promise<string[]> {
  if (input) {
    for (const [folder, infix] of [["Mask", "mask"], ["UnderSample", "kus"]]) {
      const dir = `${input}/MultiCoil/${e.modality}/${sf}/${folder}_Task${task}/${e.patient}`;
      if (!await isDir(dir)) continue;
      const found: string[] = [];
      for await (const f of Deno.readDir(dir)) {
        const m = new RegExp(`^${escape(e.name)}_${infix}_([^_/]+)\\.mat$`).exec(f.name);
        if (m) found.push(m[1]);
      }
      if (found.length) return found.sort(maskOrder);
    }
  }
  const names: string[] = [];
  try {
    for await (const f of Deno.readDir(submitted)) names.push(f.name);
  } catch { /* none submitted */ }
  return GROUPS_2024[task].masks.map((mask) => {
    if (task === 1) return mask;
    const hit = names.map(file2024FromPath).find((p) =>
      p && p.stem === e.name && new RegExp(`^${mask}\\d+$`).test(p.mask)
    );
    return hit ? hit.mask : `${mask}?`;
  });
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Masks ordered by pattern then R (`Uniform4` before `Uniform10`). */
function maskOrder(a: string, b: string): number {
  const pa = /^(\D+)(\d*)$/.exec(a), pb = /^(\D+)(\d*)$/.exec(b);
  if (!pa || !pb) return a < b ? -1 : a > b ? 1 : 0;
  return pa[1] < pb[1] ? -1 : pa[1] > pb[1] ? 1 : Number(pa[2]) - Number(pb[2]);
}

// ---------------------------------------------------------------------------------------
// 2025

const TASKS_2025: readonly Task2025[] = ["TaskR1", "TaskR2", "TaskS1", "TaskS2"];

/** The ground truth of a 2025 task: its places and files. */
async function truth2025(
  truth: string,
  task: Task2025,
  sf: string,
): Promise<{ place: Place2025; file: string }[] | null> {
  const t = truth.replace(/\/+$/, "");
  for (const root of [`${t}/${task}`, `${t}/GroundTruth/${task}`]) {
    const mc = `${root}/MultiCoil`;
    if (!await isDir(mc)) continue;
    const out: { place: Place2025; file: string }[] = [];
    for (const modality of await dirs(mc)) {
      for (const full of [`FullSample`, `FullSample_${task}`]) {
        const base = `${mc}/${modality}/${sf}/${full}`;
        for (const rel of await walk(base)) {
          const place = place2025FromPath(
            `${task}/MultiCoil/${modality}/${sf}/${full}/${rel}`,
            false,
          );
          if (place) out.push({ place, file: `${base}/${rel}` });
        }
      }
    }
    if (out.length) return out;
  }
  return null;
}

/** The case table of a 2025 task: `--cases`, else `GroupTable.csv` beside the truth. */
async function table2025(opts: EditionScoreOptions, task: Task2025): Promise<GroupTable> {
  if (opts.cases) return await readGroupTable(opts.cases, task);
  const t = opts.truth.replace(/\/+$/, "");
  const parent = t.includes("/") ? t.slice(0, t.lastIndexOf("/")) || "/" : ".";
  const near = [`${t}/${GROUP_TABLE_FILE}`, `${t}/GroundTruth/${GROUP_TABLE_FILE}`];
  for (const c of [...near, `${parent}/${GROUP_TABLE_FILE}`]) {
    if (await isFile(c)) return await readGroupTable(c, task);
  }
  throw new CmrxError(
    "2025 scoring groups files by the organisers' case table (centre and vendor for TaskR1, " +
      "diseases for TaskR2/S1/S2), and none was given or found beside the truth",
    {
      file: opts.truth,
      hint: "pass --cases FILE: the task's sheet of the organisers' disease-info workbook " +
        "saved as csv (columns Center,Manufacturer,AnonPatientID[,Disease1..4][,Task]); " +
        `'deno task synth --edition 2025' writes a synthetic ${GROUP_TABLE_FILE}`,
    },
  );
}

async function score2025(
  opts: EditionScoreOptions,
  edition: Edition,
): Promise<EditionScoreOutput> {
  const split: Split = opts.split ?? "validation";
  const sf = splitFolderOf(split);
  const sub = await locateRoot(
    opts.submission,
    (n) => TASK_2025.test(n),
    "task (TaskR1, TaskR2, TaskS1, TaskS2)",
  );
  const tasks = (await dirs(sub)).filter((n): n is Task2025 =>
    (TASKS_2025 as readonly string[]).includes(n)
  );
  const out: EditionScoreOutput = {
    submission: sub,
    files: [],
    missing: [],
    malformed: [],
    truthProblems: [],
    edition: { aggregation: "2025", results: [], extra: [] },
  };
  const key = (p: Place2025) => `${p.modality}|${p.centre}|${p.vendor}|${p.patient}|${p.stem}`;
  // Everything is checked before any file is read, as the scorer stops at an extra file.
  const plan: {
    task: Task2025;
    table: GroupTable;
    expected: { place: Place2025; file: string }[];
    submitted: (File2025 & { path: string; truthFile: string })[];
  }[] = [];
  for (const task of tasks) {
    const gt = await truth2025(opts.truth, task, sf);
    if (!gt) {
      throw new LayoutError(
        `no ground truth for ${task} (${task}/MultiCoil/... here or under GroundTruth/)`,
        {
          file: opts.truth,
          hint: `pass --truth the root holding ${task}/MultiCoil/{Modality}/${sf}/FullSample/... ` +
            `(deno task synth --edition 2025 writes GroundTruth/${task}/...), or remove ${task}/ ` +
            "from the submission",
        },
      );
    }
    const expected = gt.filter((g) => inTask(g.place.modality, opts.task));
    const byKey = new Map(expected.map((g) => [key(g.place), g.file]));
    const table = await table2025(opts, task);
    if (!opts.cases) opts = { ...opts, cases: table.file };
    const submitted: (File2025 & { path: string; truthFile: string })[] = [];
    for (const rel0 of await walk(`${sub}/${task}`)) {
      const rel = `${task}/${rel0}`;
      const place = place2025FromPath(rel, true);
      const parts = rel.split("/");
      const read = place && parts[3] === sf && parts[4] === `UnderSample_${task}`;
      if (!place || !read) {
        out.edition.extra.push(rel);
        continue;
      }
      if (!inTask(place.modality, opts.task)) continue;
      submitted.push({
        ...place,
        file: rel,
        path: `${sub}/${rel}`,
        truthFile: byKey.get(key(place)) ?? "",
        status: "unscorable",
        ssim: NaN,
        psnr: NaN,
        nmse: NaN,
      });
    }
    // Throws ExtraFileError (the scorer's 'Extra file submitted') before anything is read.
    aggregate2025(submitted, expected.map((g) => g.place), task, table);
    const have = new Set(submitted.map((f) => key(f)));
    for (const g of expected) {
      if (!have.has(key(g.place))) {
        const p = g.place;
        out.missing.push(
          `${task}/MultiCoil/${p.modality}/${sf}/UnderSample_${task}/${p.centre}/${p.vendor}/` +
            `${p.patient}/${p.stem}_kus_*.mat`,
        );
      }
    }
    plan.push({ task, table, expected, submitted });
  }
  out.edition.cases = opts.cases;
  const refs = new References(edition.year, split, opts.rss, out.truthProblems);
  const total = plan.reduce((n, p) => n + p.submitted.length, 0);
  const nan = AGGREGATIONS["2025"].nan(split);
  let done = 0;
  for (const p of plan) {
    for (const f of p.submitted) {
      const ref = await refs.get(f.truthFile, {
        name: f.stem,
        task: f.modality === "Mapping" ? "mapping" : "cine",
      });
      if (ref) {
        const s = await scoreFile(f.path, f.file, ref, edition.year, nan);
        if ("ok" in s) {
          out.files.push(s.ok);
          Object.assign(f, { status: "scored", ssim: s.ok.ssim, psnr: s.ok.psnr, nmse: s.ok.nmse });
        } else out.malformed.push(s.bad);
      }
      refs.drop(f.truthFile);
      opts.onFile?.(++done, total);
    }
    const bad = new Set(out.truthProblems.map((t) => t.path));
    const expected = p.expected.filter((g) => !bad.has(g.file)).map((g) => g.place);
    const res = aggregate2025(p.submitted, expected, p.task, p.table);
    out.edition.results.push({
      task: p.task,
      keys: res.keys,
      main: main(res.keys, AGGREGATIONS["2025"].main(p.task)),
      files: p.submitted.filter((f) => f.status === "scored").length,
      expected: expected.length,
      groups: res.groups,
      unmatched: res.unmatched,
    });
  }
  return out;
}

/** What differs per aggregation: the scorer, the main keys and the per-file NaN rule. */
const AGGREGATIONS = {
  "2024": {
    score: score2024,
    main: { ssim: "All_adj.SSIM", psnr: "All_adj.PSNR", nmse: "All_adj.NMSE" },
    /** `Test_Score2024.py` takes `np.nanmean` per file; the validation scorer `np.mean`. */
    nan: (split: Split): ScoreVolumeOptions["nan"] => split === "test" ? "omit" : "propagate",
  },
  "2025": {
    score: score2025,
    main: (task: Task2025) => {
      const l = task === "TaskR1" ? "centers" : "diseases";
      return {
        ssim: `Mean_of_all_${l}_SSIM_adj`,
        psnr: `Mean_of_all_${l}_PSNR_adj`,
        nmse: `Mean_of_all_${l}_NMSE_adj`,
      };
    },
    nan: (_split: Split): ScoreVolumeOptions["nan"] => "propagate",
  },
} as const;

/**
 * Scores a 2024 or 2025 submission (module docs) with the aggregation its edition names.
 *
 * @throws {ExtraFileError} 2025: a submitted file has no ground truth (nothing is scored)
 * @throws {CmrxError} no submission or ground truth found; 2025 without a case table
 */
export async function scoreEditionFiles(
  opts: EditionScoreOptions,
  edition: Edition,
): Promise<EditionScoreOutput> {
  const rule = edition.aggregation;
  if (rule === "2023") {
    throw new Error("scoreEditionFiles: the 2023 aggregation is scored by score.ts");
  }
  try {
    return await AGGREGATIONS[rule].score(opts, edition);
  } catch (e) {
    if (e instanceof CmrxError || !(e instanceof Deno.errors.PermissionDenied)) throw e;
    throw new CmrxError(`cannot read the submission: ${errorMessage(e)}`, {
      file: opts.submission,
      hint: "check the folder's permissions",
      cause: e,
    });
  }
}
