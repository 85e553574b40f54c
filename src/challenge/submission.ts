/**
 * Writing a CMRxRecon submission: one MAT v5 file per input k-space file, holding the
 * variable `img4ranking` (class single, real magnitude), and the list of files a complete
 * submission holds for a dataset.
 *
 * Convention: the *submission root* is the folder that becomes `Submission/` in the archive
 * (the 2023 rules want a folder named `Submission` at the archive root, with `MultiCoil/` and
 * `SingleCoil/` inside). Name it `Submission` on disk too: `deno task submit --out OUT` writes
 * to {@link submissionFolder}`(OUT)` = `OUT/Submission`, and a file goes to
 * `OUT/Submission/<relPath>` where `relPath` is {@link Case.submissionPath}, e.g.
 * `MultiCoil/Cine/ValidationSet/AccFactor04/P001/cine_sax.mat` (2023) or
 * `Cine/ValidationSet/Task1/P001/cine_sax_kus_Uniform4.mat` (2024).
 *
 * Validation split: `img4ranking` is the `run4Ranking` reduction (see `reduce.ts`). Test
 * split: the full-size coil-combined magnitude `(sx, sy, sz, nt)`, because the 2023 rules say
 * "You don't need to perform reduction during test phase".
 *
 * MAT v5, not v7.3: the scorers read with `scipy.io.loadmat` and fall back to h5py without
 * transposing, so a v7.3 file reaches them with reversed dims.
 *
 * @module
 */

import { discover } from "./layout.ts";
import type { Case, DiscoverOptions, DiscoveryProblem } from "./case.ts";
import type { Task, Year } from "./edition.ts";
import { SUBMISSION_FOLDER } from "./paths.ts";
import { problemsError } from "./problem_text.ts";
import { editionOf } from "./editions/mod.ts";
import { type CasePlan, readPlan } from "./plan.ts";
import { ShapeError } from "../errors.ts";
import { numel } from "../mat/types.ts";
import { writeMatV5 } from "../mat/v5/write.ts";

/** The variable every scorer reads. */
export const IMG_VARIABLE = "img4ranking";

/** The submission root under an output folder: `OUT/Submission`. */
export function submissionFolder(out: string): string {
  return `${out.replace(/\/+$/, "") || "."}/${SUBMISSION_FOLDER}`;
}

/** Options of {@link writeImg4Ranking}. */
export interface WriteImg4RankingOptions {
  /** Write NaN / Infinity values instead of refusing them (default false). */
  allowNonFinite?: boolean;
  /** Write negative values instead of refusing them (default false: a magnitude is >= 0). */
  allowNegative?: boolean;
}

/** Checks a submission-relative path: relative, no `..`, no empty parts, ends in `.mat`. */
export function checkRelPath(relPath: string): void {
  const parts = relPath.split("/");
  if (
    relPath.startsWith("/") || relPath.includes("\\") ||
    parts.some((p) => p === "" || p === "." || p === "..") || !relPath.endsWith(".mat")
  ) {
    throw new ShapeError(`invalid submission path ${JSON.stringify(relPath)}`, {
      file: relPath,
      hint: "pass Case.submissionPath, a relative path with '/' separators ending in .mat, " +
        "e.g. MultiCoil/Cine/ValidationSet/AccFactor04/P001/cine_sax.mat",
    });
  }
}

/**
 * Writes one `img4ranking` file atomically: MAT v5, variable `img4ranking`, class single,
 * real, MATLAB dims `dims` (trailing singleton dims beyond the second are dropped, as MATLAB
 * does when it saves). Folders are created; the bytes go to a temporary file in the target
 * folder that is renamed into place, so nothing partial is left on error.
 *
 * @param submissionRoot the `Submission` folder (see the module docs), e.g. `out/Submission`
 * @param relPath `Case.submissionPath`, e.g. `MultiCoil/Cine/ValidationSet/AccFactor04/P001/cine_sax.mat`
 * @param data magnitude image, column-major, MATLAB dims `dims`
 * @param dims MATLAB dims, e.g. `[x, y, slice, frame]` = `reductionPlan(...).dims` (validation)
 *   or `[sx, sy, sz, nt]` (test)
 * @returns the path written
 * @throws {ShapeError} bad path, dims that do not match `data.length`, NaN/Inf values (unless
 *   `allowNonFinite`), negative values (unless `allowNegative`); nothing is written then
 */
export async function writeImg4Ranking(
  submissionRoot: string,
  relPath: string,
  data: Float32Array,
  dims: readonly number[],
  opts: WriteImg4RankingOptions = {},
): Promise<string> {
  checkRelPath(relPath);
  const path = `${submissionRoot.replace(/\/+$/, "") || "."}/${relPath}`;
  if (!(data instanceof Float32Array)) {
    throw new ShapeError("img4ranking data must be a Float32Array (class single)", {
      file: path,
      hint: "convert with Float32Array.from(values)",
    });
  }
  if (dims.length < 2 || dims.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new ShapeError(`invalid dims [${dims.join(", ")}]`, {
      file: path,
      hint: "give MATLAB dims, at least two positive integers, e.g. [x, y, slice, frame]",
    });
  }
  if (numel(dims) !== data.length) {
    throw new ShapeError(
      `dims [${dims.join(", ")}] need ${numel(dims)} values, but data holds ${data.length}`,
      { file: path, hint: "pass the dims of the reduced image (reductionPlan(...).dims)" },
    );
  }
  let nonFinite = 0, negative = 0, firstNonFinite = -1, firstNegative = -1;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) {
      if (nonFinite++ === 0) firstNonFinite = i;
    } else if (v < 0) {
      if (negative++ === 0) firstNegative = i;
    }
  }
  if (nonFinite > 0 && !opts.allowNonFinite) {
    throw new ShapeError(
      `${nonFinite} of ${data.length} values are NaN or Infinity (first at index ${firstNonFinite})`,
      {
        file: path,
        hint: "the scorer's SSIM/PSNR become NaN, so fix the reconstruction that made them: " +
          "e.g. a division by zero in normalisation, or a model whose output does not match " +
          "its manifest (docs/models.md); zeros in their place would hide the fault",
      },
    );
  }
  if (negative > 0 && !opts.allowNegative) {
    throw new ShapeError(
      `${negative} of ${data.length} values are negative (first at index ${firstNegative})`,
      {
        file: path,
        hint: "img4ranking is a magnitude image: take abs() of the (complex) image",
      },
    );
  }
  const dir = path.slice(0, path.lastIndexOf("/"));
  await Deno.mkdir(dir, { recursive: true });
  await writeMatV5(path, [{
    name: IMG_VARIABLE,
    array: { dims: [...dims], matClass: "single", complex: false, data },
  }]);
  return path;
}

/** Options of {@link expectedSubmission} and {@link expectedFiles}. */
export interface ExpectedOptions {
  /** Only this task's cases ({@link DiscoverOptions.task}). */
  task?: Task | "both";
  /** `validation` (default: reduced images) or `test` (full-size images). */
  split?: "validation" | "test";
  /** Only `MultiCoil` (`multi`) or `SingleCoil` (`single`) cases. */
  coil?: DiscoverOptions["coil"];
  /** Only these acceleration factors (e.g. `[4, 8, 10]`). */
  acc?: number[];
  /** Reduction rules to apply; default each case's layout year (2023 or 2024). */
  year?: Year;
}

/** One file a complete submission holds. */
export interface ExpectedFile {
  /** Path relative to the `Submission` folder (`Case.submissionPath`). */
  relPath: string;
  /** MATLAB dims of `img4ranking`, trailing singleton dims dropped. */
  dims: number[];
  /** The coil-combined image dims `[sx, sy, sz, nt]` it derives from. */
  imageDims: number[];
  /** True when `dims` are the ranking reduction (validation), false for full size (test). */
  reduced: boolean;
  /** The input case. */
  case: Case;
}

/** What {@link expectedSubmission} found. */
export interface ExpectedSubmission {
  /** One entry per readable input case. */
  files: ExpectedFile[];
  /**
   * Entries of the input that cannot be read ({@link discover}'s problems): the cases they
   * stand for are not in `files`, so the list is incomplete while there is any.
   */
  problems: DiscoveryProblem[];
}

/**
 * The files a complete submission holds for a dataset: one per discovered case, with the
 * `img4ranking` dims the scorer expects, from each case's plan (`plan.ts`: the header, never
 * the data). Validation split: the reduction plan dims of the edition; test split: the full
 * image `(sx, sy, sz, nt)` with trailing singletons dropped.
 * Input entries that cannot be read are returned as problems, never dropped.
 *
 * @param inputRoot the dataset root (the folder holding `MultiCoil/` / `SingleCoil/`)
 * @throws {LayoutError} no cases for the filters
 * @throws {CmrxError} a k-space file cannot be opened or lacks its variable
 */
export async function expectedSubmission(
  inputRoot: string,
  opts: ExpectedOptions = {},
): Promise<ExpectedSubmission> {
  const split = opts.split ?? "validation";
  const { cases, problems } = await discover(inputRoot, {
    task: opts.task,
    split,
    coil: opts.coil,
    acc: opts.acc,
  });
  const files: ExpectedFile[] = [];
  for (const c of cases) {
    const edition = editionOf(opts.year ?? c.year);
    files.push(expectedFromPlan(await readPlan(c, split, edition)));
  }
  return { files, problems };
}

/**
 * {@link expectedSubmission}'s files, for callers that need the complete list.
 *
 * @throws {LayoutError} an input entry cannot be read (naming the first, with its fix), or no
 *   cases for the filters
 * @throws {CmrxError} a k-space file cannot be opened or lacks its variable
 */
export async function expectedFiles(
  inputRoot: string,
  opts: ExpectedOptions = {},
): Promise<ExpectedFile[]> {
  const { files, problems } = await expectedSubmission(inputRoot, opts);
  if (problems.length) throw problemsError(problems);
  return files;
}

/** The expected submission file of a planned case. */
export function expectedFromPlan(plan: CasePlan): ExpectedFile {
  return {
    relPath: plan.submissionPath,
    dims: plan.dims,
    imageDims: [...plan.imageDims],
    reduced: plan.reduction !== null,
    case: plan.case,
  };
}
