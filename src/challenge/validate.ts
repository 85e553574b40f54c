/**
 * Checking a submission folder before it is zipped and uploaded: folder naming, the files
 * present against those the input dataset calls for, and each file's content (MAT v5, the
 * variable `img4ranking`, class single, real, the expected dims, finite, not all zero,
 * non-negative).
 *
 * The folder given may be the `Submission` folder itself, a folder holding `Submission/`, or
 * (accepted by the 2023 scorer, with a warning) a folder holding `MultiCoil/`/`SingleCoil/`
 * directly. 2023 layout inside it:
 * `{MultiCoil|SingleCoil}/{Cine|Mapping}/{ValidationSet|TestSet}/AccFactorNN/Pxxx/{name}.mat`
 * plus an optional `readme.txt` at the top; 2024 layout:
 * `{Modality}/{ValidationSet|TestSet}/TaskN/Pxxx/{name}_kus_{Pattern}{R}.mat`.
 *
 * Without an input dataset only structural checks run (naming, variable, class, real, finite,
 * plausible dims); the report says that shapes were not checked.
 *
 * @module
 */

import { type CoilType, problemReason, type Task } from "./layout.ts";
import { frameRule, type Year } from "./reduce.ts";
import {
  type ExpectedFile,
  expectedSubmission,
  IMG_VARIABLE,
  SUBMISSION_FOLDER,
} from "./submission.ts";
import { CmrxError, LayoutError } from "../errors.ts";
import { detectMatFormat, readHead } from "../mat/header.ts";
import type { MatArray, MatVarInfo } from "../mat/types.ts";
import { numel } from "../mat/types.ts";
import { parseMatV5 } from "../mat/v5.ts";
import { parseTempName } from "../tempname.ts";

/** What is wrong (or worth a warning). */
export type ProblemKind =
  | "root" // the folder is not named Submission, or is not a submission
  | "junk" // hidden, system or temporary file
  | "not-mat" // not a .mat file, or not a MATLAB file at all
  | "naming" // a folder or file name that does not follow the layout
  | "split" // a file of the other split
  | "missing" // an expected file is absent
  | "empty" // no submission file at all (in scope)
  | "input" // an entry of the input dataset cannot be read: its case cannot be checked
  | "extra" // a file the input does not call for
  | "inconsistent" // (no input) a case present for one acceleration but not another
  | "v73" // MAT v7.3 / HDF5 instead of MAT v5
  | "corrupt" // unreadable MAT v5
  | "variable" // no img4ranking (or other variables beside it)
  | "class" // not single
  | "complex" // complex data
  | "dims" // wrong dims
  | "transposed" // dims reversed
  | "non-finite" // NaN / Inf values
  | "zero" // all values zero, or an empty array
  | "negative"; // negative values: not a magnitude

/** One finding, with the file concerned and a concrete fix. */
export interface Problem {
  kind: ProblemKind;
  /** Errors make the submission invalid; warnings do not. */
  severity: "error" | "warning";
  /** Path relative to the submission folder (`.` for the folder itself). */
  file: string;
  /** The path on disk (or where the file should be). */
  path: string;
  message: string;
  fix: string;
  /** Expected dims, where dims are concerned. */
  expected?: number[];
  /** Actual dims, where dims are concerned. */
  actual?: number[];
}

/** Files present (and expected, when checked against an input) per group. */
export interface GroupCount {
  /** `MultiCoil/Cine/AccFactor04` (2023) or `Cine/Task1` (2024). */
  group: string;
  /** Expected files; null without an input dataset. */
  expected: number | null;
  /** Files present (expected ones only, when checked against an input). */
  present: number;
  /** Present files without errors. */
  valid: number;
}

/** The result of {@link validateSubmission}. */
export interface ValidationReport {
  /** The folder given. */
  dir: string;
  /** The folder checked: the one that becomes `Submission/` in the archive. */
  root: string;
  /** `Submission`: dir is it; `parent`: dir holds it; `bare`: dir holds MultiCoil/... */
  rootKind: "Submission" | "parent" | "bare";
  /** Layout/reduction rules used. */
  year: Year;
  split: "validation" | "test";
  /** The input dataset checked against, or null (structural checks only). */
  input: string | null;
  /** True when dims were checked against the input. */
  shapesChecked: boolean;
  /** Filters applied (task, coil, acc), for the record. */
  filters: { task?: string; coil?: string; acc?: number[] };
  /** Files found in scope (readme.txt included). */
  files: number;
  /** Files whose content was read and checked. */
  checked: number;
  /** Expected files (with an input), else null. */
  expected: number | null;
  /** Files outside the --task/--coil/--acc filters, not checked. */
  skipped: string[];
  /** `readme.txt` found at the top of the submission folder, if any. */
  readme: string | null;
  groups: GroupCount[];
  /** Errors, in order of discovery. */
  problems: Problem[];
  warnings: Problem[];
  /** True when there is no error. */
  ok: boolean;
}

/** Options of {@link validateSubmission}. */
export interface ValidateOptions {
  /** Dataset root to check against (every expected file, exact dims). */
  input?: string;
  task?: Task | "both";
  /** Default: inferred from the folders present (TestSet only -> test, else validation). */
  split?: "validation" | "test";
  coil?: "multi" | "single" | "both";
  acc?: number[];
  /** 2023 (default) or 2024 layout and reduction rules. */
  year?: Year;
  /** Called after each file whose content is checked. */
  onProgress?: (done: number, total: number, file: string) => void;
}

/** Where a submission's files are. */
export interface SubmissionRoot {
  root: string;
  kind: ValidationReport["rootKind"];
  warnings: Problem[];
}

/** A file under the submission folder. */
export interface SubmissionFile {
  /** Path relative to the submission folder, `/`-separated. */
  rel: string;
  /** Path on disk. */
  path: string;
  size: number;
  mtime: Date | null;
}

/** What a submission path says about its file. */
export interface SubmissionPathInfo {
  /** `MultiCoil` / `SingleCoil`; 2024 paths have no coil level (MultiCoil). */
  coil: CoilType;
  modality: string;
  task: Task;
  split: "ValidationSet" | "TestSet";
  /** `AccFactor04` (2023) or `Task1` (2024). */
  accFolder: string;
  acc: number;
  patient: string;
  /** File stem: `cine_sax`, `T1map`, `cine_sax_kus_Uniform4` (2024: `name` is the view stem). */
  name: string;
  /** Count group: `MultiCoil/Cine/AccFactor04` or `Cine/Task1`. */
  group: string;
}

/** Result of {@link parseSubmissionPath}. */
export type PathCheck =
  | { ok: true; info: SubmissionPathInfo }
  | { ok: false; kind: ProblemKind; message: string; fix: string };

const COILS = ["MultiCoil", "SingleCoil"];
const MODALITIES_2024 = ["Aorta", "BlackBlood", "Cine", "Flow2d", "Mapping", "Tagging"];
const SPLITS = ["ValidationSet", "TestSet"];
const NAMES_2023: Record<string, string[]> = {
  Cine: ["cine_lax", "cine_sax"],
  Mapping: ["T1map", "T2map"],
};
const KUS_RE = /^(.+)_kus_([A-Za-z]+?)(\d+)\.mat$/;
const README_RE = /^readme\.txt$/i;
const LAYOUT_2023 =
  "{MultiCoil|SingleCoil}/{Cine|Mapping}/{ValidationSet|TestSet}/AccFactorNN/Pxxx/" +
  "{cine_lax|cine_sax|T1map|T2map}.mat";
const LAYOUT_2024 = "{Modality}/{ValidationSet|TestSet}/TaskN/Pxxx/{name}_kus_{Pattern}{R}.mat";

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

function caseFix(found: string, options: string[], what: string): PathCheck | null {
  const hit = options.find((o) => o.toLowerCase() === found.toLowerCase());
  if (hit) return naming(`${what} '${found}' should be '${hit}'`, `rename it to ${hit}`);
  return null;
}

/**
 * Checks a path relative to the submission folder against the official layout of `year`
 * (2023 default; 2024 has no coil level) and says what it holds, or what is wrong with it
 * and how to fix it. `readme.txt` at the top is not a case: check {@link isReadme} first.
 */
export function parseSubmissionPath(rel: string, year: Year = 2023): PathCheck {
  const j = junk(rel);
  if (j) return j;
  const segs = rel.split("/");
  const layout = year === 2023 ? LAYOUT_2023 : LAYOUT_2024;
  const depth = year === 2023 ? 6 : 5;
  if (segs[0] === SUBMISSION_FOLDER) {
    return naming(
      "nested Submission folder (Submission/Submission/...)",
      "move the contents of the inner Submission folder up one level",
    );
  }
  if (year !== 2023 && COILS.includes(segs[0])) {
    return naming(
      "2024 submissions have no MultiCoil/ level",
      `move the contents of ${segs[0]}/ up one level (${LAYOUT_2024})`,
    );
  }
  const levels = year === 2023
    ? ["coil folder", "modality folder", "split folder", "acceleration folder", "patient folder"]
    : ["modality folder", "split folder", "task folder", "patient folder"];
  if (segs.length < depth) {
    return naming(
      `file is ${depth - segs.length} folder level(s) too high: '${
        segs[segs.length - 1]
      }' where a ${levels[segs.length - 1]} belongs`,
      `move it to ${layout}`,
    );
  }
  if (segs.length > depth) {
    return naming(
      `file is ${segs.length - depth} folder level(s) too deep`,
      `move it to ${layout} (an extra folder level, e.g. from zipping the parent folder?)`,
    );
  }
  return year === 2023 ? parse2023(segs) : parse2024(segs);
}

function parse2023(segs: string[]): PathCheck {
  const [coil, modality, split, accFolder, patient, file] = segs;
  if (!COILS.includes(coil)) {
    return caseFix(coil, COILS, "coil folder") ?? naming(
      `unexpected top folder '${coil}'`,
      "the submission folder holds only MultiCoil/ and SingleCoil/ (and readme.txt)",
    );
  }
  if (!(modality in NAMES_2023)) {
    return caseFix(modality, Object.keys(NAMES_2023), "modality folder") ??
      naming(`unexpected modality folder '${modality}'`, `use Cine or Mapping (${LAYOUT_2023})`);
  }
  if (!SPLITS.includes(split)) {
    if (split === "TrainingSet") {
      return naming(
        "TrainingSet folder: training cases are not submitted",
        "delete it; submit ValidationSet (validation phase) or TestSet (test phase)",
      );
    }
    const hit = caseFix(split, SPLITS, "split folder");
    if (hit) return hit;
    if (/^val/i.test(split)) {
      return naming(
        `split folder '${split}' should be 'ValidationSet'`,
        "rename it to ValidationSet",
      );
    }
    if (/^test/i.test(split)) {
      return naming(`split folder '${split}' should be 'TestSet'`, "rename it to TestSet");
    }
    return naming(`unexpected split folder '${split}'`, "use ValidationSet or TestSet");
  }
  const m = /^AccFactor(\d+)$/i.exec(accFolder);
  if (!m || !/^AccFactor\d\d$/.test(accFolder)) {
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
  }
  if (!/^P\d+$/.test(patient)) {
    if (/^p\d+$/.test(patient)) {
      return naming(
        `patient folder '${patient}' should be '${patient.toUpperCase()}'`,
        `rename it to ${patient.toUpperCase()}`,
      );
    }
    return naming(
      `unexpected patient folder '${patient}'`,
      "use the input's patient folder names (P001, P002, ...)",
    );
  }
  const stem = file.slice(0, -4);
  const names = NAMES_2023[modality];
  if (!names.includes(stem)) {
    const other = modality === "Cine" ? "Mapping" : "Cine";
    if (NAMES_2023[other].includes(stem)) {
      return naming(`${file} belongs under ${other}/, not ${modality}/`, `move it to ${other}/`);
    }
    const hit = names.find((n) => n.toLowerCase() === stem.toLowerCase());
    if (hit) return naming(`file '${file}' should be '${hit}.mat'`, `rename it to ${hit}.mat`);
    if (stem.endsWith("_mask")) {
      return naming("mask file: masks are not submitted", "delete it");
    }
    return naming(
      `file name '${file}' is not an input file name`,
      `name each file exactly as its input k-space file (${
        names.map((n) => `${n}.mat`).join(", ")
      })`,
    );
  }
  return {
    ok: true,
    info: {
      coil: coil as CoilType,
      modality,
      task: modality === "Mapping" ? "mapping" : "cine",
      split: split as SubmissionPathInfo["split"],
      accFolder,
      acc: Number(m[1]),
      patient,
      name: stem,
      group: `${coil}/${modality}/${accFolder}`,
    },
  };
}

function parse2024(segs: string[]): PathCheck {
  const [modality, split, taskFolder, patient, file] = segs;
  if (!MODALITIES_2024.includes(modality)) {
    return caseFix(modality, MODALITIES_2024, "modality folder") ??
      naming(`unexpected modality folder '${modality}'`, `use ${MODALITIES_2024.join(", ")}`);
  }
  if (!SPLITS.includes(split)) {
    return caseFix(split, SPLITS, "split folder") ??
      naming(`unexpected split folder '${split}'`, "use ValidationSet or TestSet");
  }
  if (!/^Task\d+$/.test(taskFolder)) {
    const m = /^UnderSample_(Task\d+)$/.exec(taskFolder);
    if (m) return naming(`folder '${taskFolder}' should be '${m[1]}'`, `rename it to ${m[1]}`);
    return naming(`unexpected task folder '${taskFolder}'`, "use Task1 or Task2");
  }
  if (!/^P\d+$/.test(patient)) {
    return naming(`unexpected patient folder '${patient}'`, "use the input's patient folder names");
  }
  const m = KUS_RE.exec(file);
  if (!m) {
    return naming(
      `file name '${file}' is not an input file name`,
      "name each file exactly as its input: {name}_kus_{Pattern}{R}.mat",
    );
  }
  return {
    ok: true,
    info: {
      coil: "MultiCoil",
      modality,
      task: modality === "Mapping" ? "mapping" : "cine",
      split: split as SubmissionPathInfo["split"],
      accFolder: taskFolder,
      acc: Number(m[3]),
      patient,
      name: m[1],
      group: `${modality}/${taskFolder}`,
    },
  };
}

async function dirNames(path: string): Promise<Deno.DirEntry[]> {
  const out: Deno.DirEntry[] = [];
  for await (const e of Deno.readDir(path)) out.push(e);
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

/**
 * Finds the submission folder in `dir`: `dir` itself when it is named `Submission`, else
 * `dir/Submission`, else `dir` when it holds `MultiCoil/`/`SingleCoil/` (2023) or modality
 * folders (2024) directly, with a warning that the rules ask for a `Submission` folder.
 *
 * @throws {LayoutError} dir does not exist, is not a folder, or holds no submission
 */
export async function locateSubmission(dir: string, year: Year = 2023): Promise<SubmissionRoot> {
  let st: Deno.FileInfo;
  try {
    st = await Deno.stat(dir);
  } catch {
    throw new LayoutError("no such folder", {
      file: dir,
      hint: "pass the Submission folder, or the folder that holds Submission/",
    });
  }
  if (!st.isDirectory) {
    throw new LayoutError("not a folder", {
      file: dir,
      hint: /\.(zip|tar|gz|tgz|rar)$/i.test(dir)
        ? "unzip the archive and pass the extracted folder"
        : "pass the Submission folder, or the folder that holds Submission/",
    });
  }
  const base = dir.replace(/\/+$/, "") || "/";
  const last = base.split("/").pop();
  if (last === SUBMISSION_FOLDER) return { root: base, kind: "Submission", warnings: [] };
  if (await isDir(`${base}/${SUBMISSION_FOLDER}`)) {
    return { root: `${base}/${SUBMISSION_FOLDER}`, kind: "parent", warnings: [] };
  }
  const entries = await dirNames(base);
  const tops = year === 2023 ? COILS : MODALITIES_2024;
  if (entries.some((e) => e.isDirectory && tops.includes(e.name))) {
    return {
      root: base,
      kind: "bare",
      warnings: [{
        kind: "root",
        severity: "warning",
        file: ".",
        path: base,
        message: `the submission folder is named '${last}', not '${SUBMISSION_FOLDER}'`,
        fix: `rename it to ${SUBMISSION_FOLDER} (the 2023 rules ask for a folder named ` +
          `${SUBMISSION_FOLDER}; the scorer also accepts ${
            tops === COILS ? "MultiCoil/SingleCoil" : "the modality folders"
          } at the archive root); 'deno task pack' puts the files under ${SUBMISSION_FOLDER}/ ` +
          "anyway",
      }],
    };
  }
  const seen = entries.map((e) => e.name + (e.isDirectory ? "/" : ""));
  throw new LayoutError(
    `no ${SUBMISSION_FOLDER}/ folder and no ${
      tops === COILS ? "MultiCoil/ or SingleCoil/" : "modality"
    } folder here (found: ${seen.slice(0, 12).join(", ") || "nothing"})`,
    {
      file: dir,
      hint: `pass the ${SUBMISSION_FOLDER} folder, or the folder that holds it; inside: ${
        year === 2023 ? LAYOUT_2023 : LAYOUT_2024
      }`,
    },
  );
}

/**
 * Every file under the submission folder (hidden files included, symbolic links to files
 * followed), sorted by path; symbolic links to folders and unreadable entries become problems.
 */
export async function listSubmissionFiles(
  root: string,
): Promise<{ files: SubmissionFile[]; problems: Problem[] }> {
  const files: SubmissionFile[] = [];
  const problems: Problem[] = [];
  const walk = async (dir: string, prefix: string) => {
    for (const e of await dirNames(dir)) {
      const path = `${dir}/${e.name}`;
      const rel = prefix ? `${prefix}/${e.name}` : e.name;
      let st: Deno.FileInfo;
      try {
        st = await Deno.stat(path);
      } catch {
        problems.push({
          kind: "junk",
          severity: "error",
          file: rel,
          path,
          message: e.isSymlink ? "broken symbolic link" : "cannot be read",
          fix: "delete it, or replace it with the real file",
        });
        continue;
      }
      if (st.isDirectory) {
        if (e.isSymlink) {
          problems.push({
            kind: "junk",
            severity: "error",
            file: rel,
            path,
            message: "symbolic link to a folder (not followed)",
            fix: "replace it with a real folder holding the files",
          });
        } else await walk(path, rel);
      } else if (st.isFile) {
        files.push({ rel, path, size: st.size, mtime: st.mtime });
      } else {
        problems.push({
          kind: "junk",
          severity: "error",
          file: rel,
          path,
          message: "not a regular file",
          fix: "delete it",
        });
      }
    }
  };
  await walk(root, "");
  return { files, problems };
}

/** Dims as text: `[171, 123, 2, 3]`. */
function dimsText(d: readonly number[]): string {
  return `[${d.join(", ")}]`;
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Context of {@link checkImg4RankingFile}. */
export interface FileCheckContext {
  split: "validation" | "test";
  task: Task;
  /** File stem (`cine_sax`, `T1map`, ...), for the frame rule. */
  name: string;
  year: Year;
  /** Exact dims expected (from the input); without them, plausibility checks only. */
  expectedDims?: number[];
  /** What the expected dims are called in messages (default `expected`; score: `the reference`). */
  expectedLabel?: string;
  /** Return the parsed `img4ranking` ({@link FileCheck.array}), for a caller that uses it. */
  keepArray?: boolean;
}

/** What {@link checkImg4RankingFile} found. */
export interface FileCheck {
  problems: Problem[];
  warnings: Problem[];
  /** Dims of img4ranking, when it could be read. */
  dims?: number[];
  /** The img4ranking read, when `keepArray` was asked for and its data could be read. */
  array?: MatArray;
}

/** True for what reading a file may throw that is no bug: cmrxkit's errors and I/O errors. */
function expectedReadError(e: unknown): boolean {
  return e instanceof CmrxError ||
    Object.values(Deno.errors).some((C) => typeof C === "function" && e instanceof C);
}

const HINT_V5 = "save it as MAT v5: MATLAB save(f, 'img4ranking') or save(..., '-v7') (not " +
  "-v7.3), Python scipy.io.savemat(f, {'img4ranking': img}), or cmrxkit's writeImg4Ranking";

/**
 * Checks one `img4ranking` file's content: MAT v5, the variable, class single, real, dims
 * (exact against `ctx.expectedDims`, else plausible for the split), finite, not all zero,
 * non-negative.
 *
 * @param path the file on disk
 * @param rel its path relative to the submission folder (for the report)
 */
export async function checkImg4RankingFile(
  path: string,
  rel: string,
  ctx: FileCheckContext,
): Promise<FileCheck> {
  const problems: Problem[] = [];
  const warnings: Problem[] = [];
  const err = (kind: ProblemKind, message: string, fix: string, extra: Partial<Problem> = {}) =>
    problems.push({ kind, severity: "error", file: rel, path, message, fix, ...extra });
  let head: Uint8Array;
  try {
    head = await readHead(path, 520);
  } catch (e) {
    if (!expectedReadError(e)) throw e;
    const why = e instanceof CmrxError ? e.detail : (e as Error).message;
    err("corrupt", `cannot read: ${why}`, (e as CmrxError).hint ?? "check permissions");
    return { problems, warnings };
  }
  let format;
  try {
    format = detectMatFormat(head, rel);
  } catch {
    err(
      "not-mat",
      head.length < 128 ? `not a MATLAB file (only ${head.length} bytes)` : "not a MATLAB file",
      HINT_V5,
    );
    return { problems, warnings };
  }
  if (format !== "v5") {
    err(
      "v73",
      `${
        format === "v7.3" ? "MAT v7.3/HDF5" : "plain HDF5"
      } file: scipy.io.loadmat cannot read it and ` +
        "the scorer's fallback (h5py, no transpose) reads it transposed, the dims reversed, so " +
        "the shape check fails",
      HINT_V5,
    );
    return { problems, warnings };
  }
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    if (!expectedReadError(e)) throw e;
    err("corrupt", `cannot read: ${(e as Error).message}`, "check permissions");
    return { problems, warnings };
  }
  let vars: Map<string, MatArray>;
  try {
    // Each variable's dims are checked from its header before its data is inflated: a 1 MB
    // compressed variable may inflate to 1 GiB.
    vars = parseMatV5(bytes, rel, { check: (info) => refuse(info, ctx) });
  } catch (e) {
    if (!(e instanceof CmrxError)) throw e;
    if (e instanceof Refused) {
      reportRefused(e, ctx, err);
      return { problems, warnings, ...(e.info.name === IMG_VARIABLE ? { dims: e.info.dims } : {}) };
    }
    err("corrupt", `unreadable MAT v5 file: ${e.detail.split("\n")[0]}`, "write the file again");
    return { problems, warnings };
  }
  const a = vars.get(IMG_VARIABLE);
  if (!a) {
    const names = [...vars.keys()];
    const near = names.find((n) => n.toLowerCase() === IMG_VARIABLE.toLowerCase());
    err(
      "variable",
      `no variable '${IMG_VARIABLE}' (the file holds ${
        names.length ? names.map((n) => `'${n}'`).join(", ") : "no numeric variable"
      })`,
      near
        ? `rename '${near}' to '${IMG_VARIABLE}' (names are case-sensitive)`
        : `save the image under the name ${IMG_VARIABLE}: MATLAB save(f, '${IMG_VARIABLE}'); ` +
          `scipy.io.savemat(f, {'${IMG_VARIABLE}': img})`,
    );
    return { problems, warnings };
  }
  if (vars.size > 1) {
    warnings.push({
      kind: "variable",
      severity: "warning",
      file: rel,
      path,
      message: `other variables beside ${IMG_VARIABLE}: ${
        [...vars.keys()].filter((n) => n !== IMG_VARIABLE).join(", ")
      }`,
      fix: `save only ${IMG_VARIABLE} (the 2023 test-phase loader took the last variable of ` +
        "the file, whatever its name)",
    });
  }
  typeChecks(a, err);
  const dims = a.dims;
  checkDims(dims, ctx, err);
  // Values.
  const n = numel(dims);
  if (n === 0) {
    err("zero", `empty array (dims ${dimsText(dims)})`, "write the reconstructed image");
    return { problems, warnings, dims };
  }
  let nonFinite = 0, negative = 0, nonZero = 0;
  const d = a.data;
  if (a.complex) {
    for (let i = 0; i < d.length; i += 2) {
      const re = d[i], im = d[i + 1];
      if (!Number.isFinite(re) || !Number.isFinite(im)) nonFinite++;
      else if (re !== 0 || im !== 0) nonZero++;
    }
  } else {
    for (let i = 0; i < d.length; i++) {
      const v = d[i];
      if (!Number.isFinite(v)) nonFinite++;
      else if (v !== 0) {
        nonZero++;
        if (v < 0) negative++;
      }
    }
  }
  if (nonFinite) {
    err(
      "non-finite",
      `${nonFinite} of ${n} values are NaN or Inf`,
      "fix the reconstruction (e.g. a division by zero when normalising); the scorer's " +
        "SSIM/PSNR/NMSE become NaN",
    );
  }
  if (nonZero === 0 && nonFinite === 0) {
    err("zero", "all values are zero", "the reconstruction produced an empty image; check it");
  }
  if (negative) {
    err(
      "negative",
      `${negative} of ${n} values are negative: not a magnitude image`,
      "save abs(img), the magnitude of the complex image",
    );
  }
  return { problems, warnings, dims, ...(ctx.keepArray ? { array: a } : {}) };
}

/**
 * Most values (elements, twice that when complex) an `img4ranking` variable is read with when
 * no exact dims are expected: 2^27, 512 MiB as single, several times the largest CMRxRecon
 * image (a full-size cine file holds a few times 2^24). Larger dims are refused from the
 * variable's header, before its data is inflated.
 */
export const MAX_IMG4RANKING_VALUES = 2 ** 27;

/** Error type of {@link refuse}: a variable refused from its header, not read. */
class Refused extends CmrxError {
  constructor(readonly info: MatVarInfo, readonly dimsProblems: Problem[]) {
    super(`variable '${info.name}' refused from its header`);
  }
}

/** Values a variable of these dims holds (re and im count apart). */
export function valuesOf(info: Pick<MatVarInfo, "dims" | "complex">): number {
  return numel(info.dims) * (info.complex ? 2 : 1);
}

/**
 * The `check` of the MAT v5 reader for a submission file: runs before a variable's data is
 * inflated and throws {@link Refused} when `img4ranking` has dims that are wrong (against
 * `ctx.expectedDims`, else implausible or over {@link MAX_IMG4RANKING_VALUES}), or another
 * variable is over that bound: such data is never inflated.
 */
function refuse(info: MatVarInfo, ctx: FileCheckContext): void {
  if (info.name !== IMG_VARIABLE) {
    if (valuesOf(info) > MAX_IMG4RANKING_VALUES) throw new Refused(info, []);
    return;
  }
  const found: Problem[] = [];
  checkDims(
    info.dims,
    ctx,
    (kind, message, fix, extra = {}) =>
      found.push({ kind, severity: "error", file: "", path: "", message, fix, ...extra }),
  );
  if (found.length || (!ctx.expectedDims && valuesOf(info) > MAX_IMG4RANKING_VALUES)) {
    throw new Refused(info, found);
  }
}

/** Reports a variable {@link refuse} stopped: what its header says is wrong. */
function reportRefused(
  e: Refused,
  ctx: FileCheckContext,
  err: (kind: ProblemKind, message: string, fix: string, extra?: Partial<Problem>) => void,
): void {
  const { info } = e;
  const values = valuesOf(info);
  if (info.name !== IMG_VARIABLE) {
    err(
      "variable",
      `variable '${info.name}' beside ${IMG_VARIABLE} declares dims ${dimsText(info.dims)} ` +
        `(${values} values, more than the ${MAX_IMG4RANKING_VALUES} any CMRxRecon image ` +
        "holds); it was not read",
      `save only ${IMG_VARIABLE}`,
    );
    return;
  }
  typeChecks(info, err);
  for (const { kind, message, fix, severity: _s, file: _f, path: _p, ...extra } of e.dimsProblems) {
    err(kind, message, fix, extra);
  }
  if (!e.dimsProblems.length) {
    err(
      "dims",
      `dims ${dimsText(info.dims)} declare ${values} values, more than the ` +
        `${MAX_IMG4RANKING_VALUES} any CMRxRecon image holds; the data was not read`,
      ctx.split === "validation"
        ? "apply the run4Ranking reduction (cmrxkit's run4Ranking does this)"
        : "write the full-size image (sx, sy, slice, frame) of the case, nothing larger",
    );
  }
}

/** Class and complexity of img4ranking (from the data or the header). */
function typeChecks(
  a: { matClass: string; complex: boolean },
  err: (kind: ProblemKind, message: string, fix: string) => void,
): void {
  if (a.matClass !== "single") {
    err(
      "class",
      `class ${a.matClass}, not single`,
      "cast to single before saving: MATLAB single(img); numpy img.astype(np.float32); " +
        "a Float32Array with cmrxkit",
    );
  }
  if (a.complex) {
    err("complex", "complex data; img4ranking must be a real magnitude image", "save abs(img)");
  }
}

function checkDims(
  dims: number[],
  ctx: FileCheckContext,
  err: (kind: ProblemKind, message: string, fix: string, extra?: Partial<Problem>) => void,
): void {
  const reduceFix = "apply the run4Ranking reduction: crop x to R(sx/3) and y to R(sy/2) " +
    "(centre, crop.m rule), keep the 2 central slices and the first 3 cine frames " +
    "(all mapping weightings); cmrxkit's run4Ranking does this";
  const fullFix = "test phase: write the full-size image (sx, sy, slice, frame), no reduction";
  const transposeFix = "the array is transposed: write MATLAB (column-major) dims; with " +
    "numpy reverse the axes (img.transpose()) before scipy.io.savemat, and never save via " +
    "h5py/hdf5storage";
  if (ctx.expectedDims) {
    const want = ctx.expectedDims;
    if (sameDims(dims, want)) return;
    const rev = [...dims].reverse();
    if (dims.length > 1 && sameDims(rev, want)) {
      err(
        "transposed",
        `dims ${dimsText(dims)} are the reverse of ${ctx.expectedLabel ?? "the expected"} ${
          dimsText(want)
        }: transposed`,
        transposeFix,
        { expected: want, actual: dims },
      );
      return;
    }
    err(
      "dims",
      `dims ${dimsText(dims)}, ${ctx.expectedLabel ?? "expected"} ${dimsText(want)}`,
      ctx.split === "validation" ? reduceFix : fullFix,
      { expected: want, actual: dims },
    );
    return;
  }
  // Plausibility only.
  const issues = plausibility(dims, ctx);
  if (issues.length === 0) return;
  const rev = [...dims].reverse();
  if (plausibility(rev, ctx).length === 0 && dims.length >= 3) {
    err(
      "transposed",
      `dims ${dimsText(dims)} look reversed (${issues[0]}; reversed they would be plausible)`,
      transposeFix,
      { actual: dims },
    );
    return;
  }
  err(
    "dims",
    `dims ${dimsText(dims)}: ${issues.join("; ")}`,
    ctx.split === "validation" ? reduceFix : fullFix,
    { actual: dims },
  );
}

/** Reasons why dims are implausible for a file (no input to compare with). */
function plausibility(dims: number[], ctx: FileCheckContext): string[] {
  const out: string[] = [];
  if (dims.length < 2 || dims.length > 4) {
    out.push(`${dims.length} dims; img4ranking has 2 to 4 (x, y, slice, frame)`);
    return out;
  }
  if (ctx.split === "validation") {
    const sz = dims[2] ?? 1;
    if (sz > 2) out.push(`3rd dim (slices) is ${sz}; the validation reduction keeps at most 2`);
    const rule = frameRule(ctx.year, ctx.name, ctx.task === "mapping");
    const nt = dims[3] ?? 1;
    if (rule === "first3" && nt !== 3) {
      out.push(
        `4th dim (frames) is ${nt}; the validation reduction keeps the first 3 cine frames`,
      );
    }
    if (rule === "single" && dims.length > 3) out.push("a single-frame file has no 4th dim");
    if (dims[0] < 8 || dims[1] < 8) out.push("x and y are implausibly small");
  }
  return out;
}

/**
 * Validates a submission folder. Without `opts.input`, structural checks only; with it, every
 * expected file must be present with exactly the expected dims and no other file may be there.
 * Files outside the --task/--coil/--acc filters are skipped (listed in `skipped`).
 *
 * @throws {LayoutError} `dir` does not exist or holds no submission; the input has no cases
 */
export async function validateSubmission(
  dir: string,
  opts: ValidateOptions = {},
): Promise<ValidationReport> {
  const year: Year = opts.year ?? 2023;
  if (year === 2025) {
    throw new LayoutError("the 2025 submission layout is not supported", {
      hint: "validate with --year 2023 or 2024",
    });
  }
  const loc = await locateSubmission(dir, year);
  const { files, problems: walkProblems } = await listSubmissionFiles(loc.root);
  const problems: Problem[] = [...walkProblems];
  const warnings: Problem[] = [...loc.warnings];
  const skipped: string[] = [];
  let readme: string | null = null;
  const cases: { file: SubmissionFile; info: SubmissionPathInfo }[] = [];
  const inScope = (info: SubmissionPathInfo) =>
    (!opts.task || opts.task === "both" || opts.task === info.task) &&
    (!opts.coil || opts.coil === "both" ||
      (opts.coil === "multi") === (info.coil === "MultiCoil")) &&
    (!opts.acc || opts.acc.includes(info.acc));
  let inScopeFiles = 0;
  for (const f of files) {
    if (isReadme(f.rel)) {
      readme = f.path;
      inScopeFiles++;
      continue;
    }
    const p = parseSubmissionPath(f.rel, year);
    if (!p.ok) {
      inScopeFiles++;
      problems.push({
        kind: p.kind,
        severity: "error",
        file: f.rel,
        path: f.path,
        message: p.message,
        fix: p.fix,
      });
      continue;
    }
    if (!inScope(p.info)) {
      skipped.push(f.rel);
      continue;
    }
    inScopeFiles++;
    cases.push({ file: f, info: p.info });
  }

  // The split: given, or what the folders say.
  const nTest = cases.filter((c) => c.info.split === "TestSet").length;
  const split = opts.split ?? (nTest > 0 && nTest === cases.length ? "test" : "validation");
  const splitFolder = split === "test" ? "TestSet" : "ValidationSet";
  const inSplit: typeof cases = [];
  for (const c of cases) {
    if (c.info.split === splitFolder) {
      inSplit.push(c);
      continue;
    }
    problems.push({
      kind: "split",
      severity: "error",
      file: c.file.rel,
      path: c.file.path,
      message: `${c.info.split} file in a ${split} submission`,
      fix: opts.split
        ? `delete it, or validate with --split ${split === "test" ? "validation" : "test"}`
        : `a submission holds one split: delete the ${c.info.split} files (or the others)`,
    });
  }

  // Expected files.
  let expected: ExpectedFile[] | null = null;
  /** Submission paths of input cases that cannot be read (not "extra", not checked exactly). */
  const unreadableInput = new Set<string>();
  if (opts.input) {
    const plan = await expectedSubmission(opts.input, {
      task: opts.task,
      split,
      coil: opts.coil,
      acc: opts.acc,
      year: opts.year,
    });
    expected = plan.files;
    for (const p of plan.problems) {
      if (p.submissionPath) unreadableInput.add(p.submissionPath);
      problems.push({
        kind: "input",
        severity: "error",
        file: p.path,
        path: p.path,
        message: `input entry ${problemReason(p, { consequence: "cannot be checked" })}`,
        fix: `${p.fix}; then validate again (the submission must hold this case too)`,
      });
    }
  }
  const groups = new Map<string, GroupCount>();
  const group = (g: string) => {
    let e = groups.get(g);
    if (!e) {
      e = { group: g, expected: expected ? 0 : null, present: 0, valid: 0 };
      groups.set(g, e);
    }
    return e;
  };
  const expectedByRel = new Map<string, ExpectedFile>();
  if (expected) {
    for (const e of expected) {
      expectedByRel.set(e.relPath, e);
      const p = parseSubmissionPath(e.relPath, year);
      const g = group(p.ok ? p.info.group : e.relPath.split("/").slice(0, 2).join("/"));
      g.expected = (g.expected ?? 0) + 1;
    }
  }

  // Content checks.
  const toCheck: { c: (typeof cases)[number]; exp?: ExpectedFile }[] = [];
  const present = new Set<string>();
  for (const c of inSplit) {
    present.add(c.file.rel);
    if (expected) {
      const exp = expectedByRel.get(c.file.rel);
      if (!exp && unreadableInput.has(c.file.rel)) {
        toCheck.push({ c }); // structural checks only: its input entry is reported
        continue;
      }
      if (!exp) {
        problems.push({
          kind: "extra",
          severity: "error",
          file: c.file.rel,
          path: c.file.path,
          message: "extra file: the input has no such case",
          fix: "delete it (the organisers ask for exactly the expected files; the 2025 scorer " +
            "aborts on extra files); if it should exist, check the --input dataset",
        });
        continue;
      }
      toCheck.push({ c, exp });
    } else toCheck.push({ c });
  }
  if (expected) {
    for (const e of expected) {
      if (present.has(e.relPath)) continue;
      problems.push({
        kind: "missing",
        severity: "error",
        file: e.relPath,
        path: `${loc.root}/${e.relPath}`,
        message: "missing",
        fix: `reconstruct ${e.case.file} (${e.case.variable}) and write img4ranking with dims ${
          dimsText(e.dims)
        }`,
        expected: e.dims,
      });
    }
  } else if (year === 2023) {
    warnings.push(...consistency(inSplit, loc.root));
  }
  if (!expected && inSplit.length === 0) problems.push(emptyProblem(loc.root, split, opts));
  let done = 0;
  for (const { c, exp } of toCheck) {
    const r = await checkImg4RankingFile(c.file.path, c.file.rel, {
      split,
      task: c.info.task,
      name: c.info.name,
      year,
      expectedDims: exp?.dims,
    });
    problems.push(...r.problems);
    warnings.push(...r.warnings);
    const g = group(c.info.group);
    g.present++;
    if (r.problems.length === 0) g.valid++;
    opts.onProgress?.(++done, toCheck.length, c.file.rel);
  }
  const order = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return {
    dir,
    root: loc.root,
    rootKind: loc.kind,
    year,
    split,
    input: opts.input ?? null,
    shapesChecked: expected !== null,
    filters: {
      ...(opts.task ? { task: opts.task } : {}),
      ...(opts.coil ? { coil: opts.coil } : {}),
      ...(opts.acc ? { acc: opts.acc } : {}),
    },
    files: inScopeFiles,
    checked: toCheck.length,
    expected: expected ? expected.length : null,
    skipped,
    readme,
    groups: [...groups.values()].sort((a, b) => order(a.group, b.group)),
    problems,
    warnings,
    ok: problems.length === 0,
  };
}

/** The error for a submission folder with no file to check: zero files is never valid. */
function emptyProblem(root: string, split: string, opts: ValidateOptions): Problem {
  const f = [
    opts.task && opts.task !== "both" ? `task ${opts.task}` : "",
    opts.coil && opts.coil !== "both" ? `coil ${opts.coil}` : "",
    opts.acc ? `acc ${opts.acc.join(",")}` : "",
  ].filter(Boolean).join(", ");
  const layout = (opts.year ?? 2023) === 2023 ? LAYOUT_2023 : LAYOUT_2024;
  return {
    kind: "empty",
    severity: "error",
    file: ".",
    path: root,
    message: `no ${split}-split img4ranking file found in ${root}${f ? ` for ${f}` : ""}`,
    fix: `write the reconstructions there first (deno task submit --split ${split} --output ` +
      `DIR writes DIR/${SUBMISSION_FOLDER}/${layout}), or pass the folder that holds them`,
  };
}

/** Without an input: a case present for one acceleration but not another is suspicious. */
function consistency(
  cases: { file: SubmissionFile; info: SubmissionPathInfo }[],
  root: string,
): Problem[] {
  const byBlock = new Map<string, Map<string, Set<string>>>();
  for (const { info, file } of cases) {
    const block = file.rel.split("/").slice(0, file.rel.split("/").length - 3).join("/");
    const accs = byBlock.get(block) ?? new Map<string, Set<string>>();
    byBlock.set(block, accs);
    const key = file.rel.split("/").slice(-2).join("/");
    const set = accs.get(info.accFolder) ?? new Set<string>();
    accs.set(info.accFolder, set);
    set.add(key);
  }
  const out: Problem[] = [];
  for (const [block, accs] of byBlock) {
    if (accs.size < 2) continue;
    const all = new Set<string>();
    for (const s of accs.values()) for (const k of s) all.add(k);
    for (const [acc, set] of accs) {
      for (const k of all) {
        if (set.has(k)) continue;
        const has = [...accs].filter(([, s]) => s.has(k)).map(([a]) => a);
        const rel = `${block}/${acc}/${k}`;
        out.push({
          kind: "inconsistent",
          severity: "warning",
          file: rel,
          path: `${root}/${rel}`,
          message: `not present, but ${k} is in ${has.join(", ")}`,
          fix: "if the input has this case, reconstruct it; run with --input ROOT to check " +
            "against the dataset",
        });
      }
    }
  }
  return out;
}

/** Options of {@link formatReport}. */
export interface FormatOptions {
  /** Problems listed per kind before "... and N more" (default 20; Infinity for all). */
  limit?: number;
}

/** The report as text for a terminal: header, counts per group, problems with fixes, verdict. */
export function formatReport(r: ValidationReport, opts: FormatOptions = {}): string {
  const limit = opts.limit ?? 20;
  const lines: string[] = [];
  lines.push(`Submission folder: ${r.root} (${r.split} split, ${r.year} rules)`);
  if (r.input) lines.push(`Checked against input: ${r.input} (${r.expected} expected files)`);
  else {
    lines.push(
      "Structural checks only: shapes could not be checked against the input " +
        "(pass --input ROOT to check that every file is present with the exact dims)",
    );
  }
  const f = r.filters;
  if (f.task || f.coil || f.acc) {
    lines.push(
      `Filters: ${
        [
          f.task ? `task ${f.task}` : "",
          f.coil ? `coil ${f.coil}` : "",
          f.acc ? `acc ${f.acc.join(",")}` : "",
        ].filter(Boolean).join(", ")
      }${r.skipped.length ? `; ${r.skipped.length} files outside them not checked` : ""}`,
    );
  }
  if (r.groups.length) {
    const w = Math.max(...r.groups.map((g) => g.group.length));
    for (const g of r.groups) {
      const count = g.expected === null
        ? `${g.present} files`
        : `${g.present}/${g.expected} present`;
      lines.push(`  ${g.group.padEnd(w)}  ${count}, ${g.valid} valid`);
    }
  }
  lines.push(`readme.txt: ${r.readme ? "present" : "absent (pack adds one with --team NAME)"}`);
  const section = (title: string, list: Problem[]) => {
    if (!list.length) return;
    lines.push("", `${title} (${list.length}):`);
    const byKind = new Map<ProblemKind, Problem[]>();
    for (const p of list) byKind.set(p.kind, [...(byKind.get(p.kind) ?? []), p]);
    for (const [kind, ps] of byKind) {
      lines.push(`  ${kind} (${ps.length}):`);
      for (const p of ps.slice(0, limit)) {
        lines.push(`    ${p.file}: ${p.message}`, `      fix: ${p.fix}`);
      }
      if (ps.length > limit) {
        lines.push(`    ... and ${ps.length - limit} more ${kind} (use --json FILE or --all)`);
      }
    }
  };
  section("Problems", r.problems);
  section("Warnings", r.warnings);
  lines.push("");
  if (r.ok) {
    lines.push(
      `OK: ${r.checked} file(s) valid${
        r.warnings.length ? `, ${r.warnings.length} warning(s)` : ""
      }`,
    );
  } else {
    const nfiles = new Set(r.problems.map((p) => p.file)).size;
    lines.push(`INVALID: ${r.problems.length} problem(s) in ${nfiles} file(s)`);
  }
  return lines.join("\n");
}

/** A one-line summary for logs. */
export function summaryLine(r: ValidationReport): string {
  return r.ok
    ? `valid: ${r.checked} files`
    : `invalid: ${r.problems.length} problem(s), first: ${r.problems[0].file}: ${
      r.problems[0].message
    }`;
}
