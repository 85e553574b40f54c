/**
 * The one path grammar of the CMRxRecon layouts: the folder names every edition shares
 * (coil, split, acceleration and patient folders, `Submission`, `readme.txt`), forming a
 * submission path from its folders, and parsing one back with a concrete fix for whatever
 * is wrong. What differs between editions (which levels a path has, in which order, the
 * modality folders and file names) is data: {@link EditionLayout} in `editions/*.ts`.
 * Discovery (`layout.ts`), validation (`validate/`), `pack` and `score` all ask here.
 *
 * Paths are `/`-separated and relative to the submission folder (`Submission/`), e.g.
 * `MultiCoil/Cine/ValidationSet/AccFactor04/P001/cine_sax.mat` (2023) or
 * `Cine/ValidationSet/Task1/P001/cine_sax_kus_Uniform4.mat` (2024).
 *
 * @module
 */

import type { Edition, EditionLayout, LayoutLevel, Split, Task, Year } from "./edition.ts";
import { editionOf, EDITIONS } from "./editions/mod.ts";
import { parseTempName } from "../tempname.ts";

/** Coil configuration folder. */
export type CoilType = "MultiCoil" | "SingleCoil";
/** Split folder. */
export type SplitFolder = "TrainingSet" | "ValidationSet" | "TestSet";

/** The folder name the 2023 rules require at the archive root. */
export const SUBMISSION_FOLDER = "Submission";

/** The coil folders, top of a 2023 tree. */
export const COIL_FOLDERS: readonly CoilType[] = ["MultiCoil", "SingleCoil"];

/** Every split folder of an input dataset. */
export const SPLIT_FOLDERS: readonly SplitFolder[] = ["TrainingSet", "ValidationSet", "TestSet"];

/** The split folders a submission holds. */
const SUBMITTED_SPLITS: readonly string[] = ["ValidationSet", "TestSet"];

const SPLIT_FOLDER: Record<Split, SplitFolder> = {
  training: "TrainingSet",
  validation: "ValidationSet",
  test: "TestSet",
};

/** The folder name of a split (`validation` -> `ValidationSet`). */
export function splitFolder(split: Split): SplitFolder {
  return SPLIT_FOLDER[split];
}

/** Two-digit acceleration folder name: 4 -> `AccFactor04`. */
export function accFolderName(acc: number): string {
  return `AccFactor${String(acc).padStart(2, "0")}`;
}

/**
 * A 2024 k-space (or submission) file name, `{stem}_kus_{Pattern}{R}.mat`: groups 1 the stem
 * (`cine_sax`), 2 the pattern (`ktGaussian`), 3 the acceleration (`8`).
 */
export const KUS_FILE_RE = /^(.+)_kus_([A-Za-z]+?)(\d+)\.mat$/;

const README_RE = /^readme\.txt$/i;

/** A layout that knows its edition's year (for messages). */
export type YearLayout = { year: Year; layout: EditionLayout };

/**
 * The edition whose folder layout a year's files follow: its own, else the latest earlier
 * edition whose layout cmrxkit knows (2025 reads as 2024 until its layout comes).
 */
export function layoutEdition(year: Year): YearLayout {
  const own = editionOf(year);
  if (own.layout) return { year: own.year, layout: own.layout };
  const known = EDITIONS.filter((e): e is Edition & YearLayout => !!e.layout && e.year < year);
  const e = known[known.length - 1];
  return { year: e.year, layout: e.layout };
}

/** Every edition whose folder layout cmrxkit knows, oldest first. */
export function knownLayouts(): YearLayout[] {
  return EDITIONS.flatMap((e) => e.layout ? [{ year: e.year, layout: e.layout }] : []);
}

/** The task of a modality folder: `mapping` for Mapping, cine-like for every other. */
export function taskOf(modality: string): Task {
  return modality === "Mapping" ? "mapping" : "cine";
}

/**
 * A submission path from its folders (one per level of the layout, e.g. `acc`
 * `AccFactor04`) and its file name.
 */
export function formSubmissionPath(
  layout: EditionLayout,
  folders: Partial<Record<LayoutLevel, string>>,
  file: string,
): string {
  return [...layout.submissionLevels.map((l) => folders[l]), file].join("/");
}

/** The folders that may sit at the top of a submission tree, and how messages name them. */
export interface TopFolders {
  names: readonly string[];
  /** `MultiCoil/SingleCoil`, `the modality folders`. */
  listed: string;
  /** `MultiCoil/ or SingleCoil/`, `modality`. */
  either: string;
}

/** The top folders of a layout's submission tree (its first level). */
export function submissionTops(layout: EditionLayout): TopFolders {
  const top = layout.submissionLevels[0];
  if (top === "challengeTask") {
    return { names: CHALLENGE_TASKS, listed: "the task folders (TaskR1, ...)", either: "task" };
  }
  return top === "coil"
    ? { names: COIL_FOLDERS, listed: "MultiCoil/SingleCoil", either: "MultiCoil/ or SingleCoil/" }
    : { names: layout.modalities, listed: "the modality folders", either: "modality" };
}

/** The 2025 task folders at the top of a submission (reference §3.5). */
export const CHALLENGE_TASKS: readonly string[] = ["TaskR1", "TaskR2", "TaskS1", "TaskS2"];

/** What a submission path says about its file. */
export interface SubmissionPathInfo {
  /** `MultiCoil` / `SingleCoil`; 2024 paths have no coil level (MultiCoil). */
  coil: CoilType;
  /** Modality folder: `Cine`, `Mapping` (2024 also `Aorta`, `Tagging`, ...). */
  modality: string;
  /** `mapping` for Mapping; every other modality is `cine` (cine-like). */
  task: Task;
  /** The split folder; `TrainingSet` is never submitted. */
  split: "ValidationSet" | "TestSet";
  /** `AccFactor04` (2023) or `Task1` (2024). */
  accFolder: string;
  /** Acceleration factor R: from `AccFactorNN` (2023) or the file name's `{Pattern}{R}` (2024). */
  acc: number;
  /** Patient folder, e.g. `P001`. */
  patient: string;
  /** File stem: `cine_sax`, `T1map`, `cine_sax_kus_Uniform4` (2024: `name` is the view stem). */
  name: string;
  /**
   * Count group: `MultiCoil/Cine/AccFactor04`, `Cine/Task1` or (2025)
   * `TaskR1/MultiCoil/Cine/UnderSample_TaskR1`.
   */
  group: string;
  /** 2025: the centre folder (`Center001`). */
  center?: string;
  /** 2025: the vendor folder (`Siemens_30T_Vida`). */
  vendor?: string;
}

/** What is wrong with a path: system or temporary file, not a `.mat` file, or misnamed. */
export type PathProblemKind = "junk" | "not-mat" | "naming";

/** Result of {@link parseSubmissionPath}. */
export type PathCheck =
  | { ok: true; info: SubmissionPathInfo }
  | { ok: false; kind: PathProblemKind; message: string; fix: string };

/** True for a readme.txt at the top of the submission folder (any letter case). */
export function isReadme(rel: string): boolean {
  return !rel.includes("/") && README_RE.test(rel);
}

function junk(rel: string): PathCheck | null {
  const segs = rel.split("/");
  const base = segs[segs.length - 1];
  if (segs.some((s) => s === "__MACOSX") || base === ".DS_Store" || base.startsWith("._")) {
    return {
      ok: false,
      kind: "junk",
      message: "macOS system file",
      fix: "delete it (and .DS_Store / __MACOSX files everywhere); the scorer expects only the " +
        ".mat files",
    };
  }
  if (parseTempName(base) || /(\.tmp|\.part|\.swp|~)$/i.test(base)) {
    return {
      ok: false,
      kind: "junk",
      message: "temporary file (left by an interrupted write?)",
      fix: "delete it; if the file it belongs to is missing, write that file again",
    };
  }
  if (segs.some((s) => s.startsWith("."))) {
    return {
      ok: false,
      kind: "junk",
      message: "hidden file or folder",
      fix: "delete it; the submission holds only the .mat files (and readme.txt at the top)",
    };
  }
  if (!base.endsWith(".mat")) {
    return {
      ok: false,
      kind: "not-mat",
      message: /\.mat$/i.test(base) ? "file extension is not lower-case .mat" : "not a .mat file",
      fix: /\.mat$/i.test(base)
        ? `rename it to ${base.replace(/\.mat$/i, ".mat")}`
        : "remove it; only img4ranking .mat files (and readme.txt at the top) belong here",
    };
  }
  return null;
}

function naming(message: string, fix: string): PathCheck {
  return { ok: false, kind: "naming", message, fix };
}

function caseFix(found: string, options: readonly string[], what: string): PathCheck | null {
  const hit = options.find((o) => o.toLowerCase() === found.toLowerCase());
  if (hit) return naming(`${what} '${found}' should be '${hit}'`, `rename it to ${hit}`);
  return null;
}

/** Levels that do not make a count group of their own. */
const GROUP_SKIPS: readonly LayoutLevel[] = ["split", "patient", "center", "vendor"];

/** How messages name the folder of each level. */
const LEVEL_NAME: Record<LayoutLevel, string> = {
  challengeTask: "task folder",
  undersample: "UnderSample_Task folder",
  center: "centre folder",
  vendor: "vendor folder",
  coil: "coil folder",
  modality: "modality folder",
  split: "split folder",
  acc: "acceleration folder",
  task: "task folder",
  patient: "patient folder",
};

/** The grammar of each folder level: null when `seg` is right there, else what is wrong. */
const LEVEL_CHECK: Record<LayoutLevel, (seg: string, layout: EditionLayout) => PathCheck | null> = {
  challengeTask: (task) => {
    if (CHALLENGE_TASKS.includes(task)) return null;
    const hit = caseFix(task, CHALLENGE_TASKS, "task folder");
    if (hit) return hit;
    if (COIL_FOLDERS.includes(task as CoilType)) {
      return naming(
        `${task}/ at the top: 2025 submissions start with the task folder`,
        `move ${task}/ into its task folder (TaskR1/${task}/...)`,
      );
    }
    return naming(
      `unexpected top folder '${task}'`,
      `the submission folder holds only ${CHALLENGE_TASKS.join(", ")} (and readme.txt)`,
    );
  },
  undersample: (folder) => {
    if (/^UnderSample_Task[RS]\d+$/.test(folder)) return null;
    if (/^Task[RS]\d+$/.test(folder)) {
      return naming(
        `folder '${folder}' should be 'UnderSample_${folder}'`,
        `rename it to UnderSample_${folder} (as in the input)`,
      );
    }
    return naming(
      `unexpected folder '${folder}'`,
      "use the input's folder name (UnderSample_TaskR1, ...)",
    );
  },
  center: (center) =>
    /^Center\d+$/.test(center) ? null : naming(
      `unexpected centre folder '${center}'`,
      "use the input's centre folder names (Center001, ...)",
    ),
  vendor: (vendor) =>
    vendor.length > 0 && !vendor.startsWith(".") ? null : naming(
      `unexpected vendor folder '${vendor}'`,
      "use the input's vendor folder names",
    ),
  coil: (coil) => {
    if (COIL_FOLDERS.includes(coil as CoilType)) return null;
    return caseFix(coil, COIL_FOLDERS, "coil folder") ?? naming(
      `unexpected top folder '${coil}'`,
      "the submission folder holds only MultiCoil/ and SingleCoil/ (and readme.txt)",
    );
  },
  modality: (modality, layout) => {
    if (layout.modalities.includes(modality)) return null;
    return caseFix(modality, layout.modalities, "modality folder") ??
      naming(`unexpected modality folder '${modality}'`, layout.modalityFix);
  },
  split: (split, layout) => {
    if (SUBMITTED_SPLITS.includes(split)) return null;
    if (layout.explainsNames && split === "TrainingSet") {
      return naming(
        "TrainingSet folder: training cases are not submitted",
        "delete it; submit ValidationSet (validation phase) or TestSet (test phase)",
      );
    }
    const hit = caseFix(split, SUBMITTED_SPLITS, "split folder");
    if (hit) return hit;
    if (layout.explainsNames && /^val/i.test(split)) {
      return naming(
        `split folder '${split}' should be 'ValidationSet'`,
        "rename it to ValidationSet",
      );
    }
    if (layout.explainsNames && /^test/i.test(split)) {
      return naming(`split folder '${split}' should be 'TestSet'`, "rename it to TestSet");
    }
    return naming(`unexpected split folder '${split}'`, "use ValidationSet or TestSet");
  },
  acc: (accFolder) => {
    const m = /^AccFactor(\d+)$/i.exec(accFolder);
    if (m && /^AccFactor\d\d$/.test(accFolder)) return null;
    if (accFolder === "FullSample") {
      return naming(
        "FullSample folder: fully sampled data are not submitted",
        "delete it; submit AccFactor04/08/10",
      );
    }
    if (m) {
      const want = `AccFactor${m[1].padStart(2, "0")}`;
      return naming(
        `acceleration folder '${accFolder}' should be '${want}'`,
        `rename it to ${want}`,
      );
    }
    return naming(
      `unexpected acceleration folder '${accFolder}'`,
      "use the input's folder names: AccFactor04, AccFactor08, AccFactor10",
    );
  },
  task: (taskFolder) => {
    if (/^Task\d+$/.test(taskFolder)) return null;
    const m = /^UnderSample_(Task\d+)$/.exec(taskFolder);
    if (m) return naming(`folder '${taskFolder}' should be '${m[1]}'`, `rename it to ${m[1]}`);
    return naming(`unexpected task folder '${taskFolder}'`, "use Task1 or Task2");
  },
  patient: (patient, layout) => {
    if (/^P\d+$/.test(patient)) return null;
    if (layout.explainsNames && /^p\d+$/.test(patient)) {
      return naming(
        `patient folder '${patient}' should be '${patient.toUpperCase()}'`,
        `rename it to ${patient.toUpperCase()}`,
      );
    }
    return naming(
      `unexpected patient folder '${patient}'`,
      layout.explainsNames
        ? "use the input's patient folder names (P001, P002, ...)"
        : "use the input's patient folder names",
    );
  },
};

/**
 * The file name's grammar: its stem and acceleration (null when the acceleration comes from
 * the folders), or what is wrong with it.
 */
function checkFile(
  file: string,
  modality: string,
  layout: EditionLayout,
): PathCheck | { name: string; acc: number | null } {
  const grammar = layout.submissionFile;
  if (grammar.kind === "kus") {
    const m = KUS_FILE_RE.exec(file);
    if (!m) {
      return naming(
        `file name '${file}' is not an input file name`,
        "name each file exactly as its input: {name}_kus_{Pattern}{R}.mat",
      );
    }
    return { name: m[1], acc: Number(m[3]) };
  }
  const stem = file.slice(0, -4);
  const names = grammar.names[modality];
  if (names.includes(stem)) return { name: stem, acc: null };
  const other = Object.keys(grammar.names).find((m) =>
    m !== modality && grammar.names[m].includes(stem)
  );
  if (other) {
    return naming(`${file} belongs under ${other}/, not ${modality}/`, `move it to ${other}/`);
  }
  const hit = names.find((n) => n.toLowerCase() === stem.toLowerCase());
  if (hit) return naming(`file '${file}' should be '${hit}.mat'`, `rename it to ${hit}.mat`);
  if (stem.endsWith("_mask")) {
    return naming("mask file: masks are not submitted", "delete it");
  }
  return naming(
    `file name '${file}' is not an input file name`,
    `name each file exactly as its input k-space file (${names.map((n) => `${n}.mat`).join(", ")})`,
  );
}

/**
 * Checks a path relative to the submission folder against the official layout of `year`
 * (2023 default; 2024 has no coil level) and says what it holds, or what is wrong with it
 * and how to fix it. `readme.txt` at the top is not a case: check {@link isReadme} first.
 */
export function parseSubmissionPath(rel: string, year: Year = 2023): PathCheck {
  const j = junk(rel);
  if (j) return j;
  const { year: layoutYear, layout } = layoutEdition(year);
  const levels = layout.submissionLevels;
  const segs = rel.split("/");
  const depth = levels.length + 1;
  if (segs[0] === SUBMISSION_FOLDER) {
    return naming(
      "nested Submission folder (Submission/Submission/...)",
      "move the contents of the inner Submission folder up one level",
    );
  }
  if (!levels.includes("coil") && COIL_FOLDERS.includes(segs[0] as CoilType)) {
    return naming(
      `${layoutYear} submissions have no MultiCoil/ level`,
      `move the contents of ${segs[0]}/ up one level (${layout.submission})`,
    );
  }
  if (segs.length < depth) {
    return naming(
      `file is ${depth - segs.length} folder level(s) too high: '${
        segs[segs.length - 1]
      }' where a ${LEVEL_NAME[levels[segs.length - 1]]} belongs`,
      `move it to ${layout.submission}`,
    );
  }
  if (segs.length > depth) {
    return naming(
      `file is ${segs.length - depth} folder level(s) too deep`,
      `move it to ${layout.submission} (an extra folder level, e.g. from zipping the parent folder?)`,
    );
  }
  const folders: Partial<Record<LayoutLevel, string>> = {};
  for (const [i, level] of levels.entries()) {
    const wrong = LEVEL_CHECK[level](segs[i], layout);
    if (wrong) return wrong;
    folders[level] = segs[i];
  }
  const modality = folders.modality!;
  if (folders.challengeTask && folders.undersample) {
    const want = `UnderSample_${folders.challengeTask}`;
    if (folders.undersample !== want) {
      return naming(
        `${folders.undersample}/ under ${folders.challengeTask}/`,
        `each task folder holds its own cases: move it to ${folders.challengeTask}/.../${want}/ ` +
          `or to ${folders.undersample.replace("UnderSample_", "")}/`,
      );
    }
  }
  const file = checkFile(segs[levels.length], modality, layout);
  if ("ok" in file) return file;
  const accFolder = folders.acc ?? folders.task ?? folders.undersample!;
  return {
    ok: true,
    info: {
      coil: (folders.coil ?? "MultiCoil") as CoilType,
      modality,
      task: taskOf(modality),
      split: folders.split as SubmissionPathInfo["split"],
      accFolder,
      acc: file.acc ?? Number(/^AccFactor(\d+)$/.exec(accFolder)![1]),
      patient: folders.patient!,
      name: file.name,
      group: levels.filter((l) => !GROUP_SKIPS.includes(l)).map((l) => folders[l]).join("/"),
      ...(folders.center ? { center: folders.center } : {}),
      ...(folders.vendor ? { vendor: folders.vendor } : {}),
    },
  };
}
