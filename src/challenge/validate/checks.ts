/**
 * Checking one `img4ranking` file's content: MAT v5, the variable, class single, real, the
 * dims (exact against the input's, else plausible for the split and the edition's frame
 * rule), finite, not all zero, non-negative. A variable's dims are checked from its header
 * before its data is inflated. Dims are MATLAB (column-major) dims, `[sx, sy, slice, frame]`.
 *
 * @module
 */

import type { Task, Year } from "../edition.ts";
import { editionOf } from "../editions/mod.ts";
import { IMG_VARIABLE } from "../submission.ts";
import type { Problem, ProblemKind } from "./report.ts";
import { CmrxError } from "../../errors.ts";
import { detectMatFormat, readHead } from "../../mat/header.ts";
import type { MatArray, MatVarInfo } from "../../mat/types.ts";
import { numel } from "../../mat/types.ts";
import { parseMatV5 } from "../../mat/v5/read.ts";

/** Dims as text: `[171, 123, 2, 3]`. */
export function dimsText(d: readonly number[]): string {
  return `[${d.join(", ")}]`;
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Context of {@link checkImg4RankingFile}. */
export interface FileCheckContext {
  /** The split: `validation` files hold the ranking reduction, `test` files (2023) full size. */
  split: "validation" | "test";
  /** The file's task, for the frame rule (mapping files keep every weighting). */
  task: Task;
  /** File stem (`cine_sax`, `T1map`, ...), for the frame rule. */
  name: string;
  /** The edition whose reduction rules apply. */
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
  /** Errors (severity `error`), in the order found; a file that cannot be read has one. */
  problems: Problem[];
  /** Warnings (severity `warning`): other variables beside `img4ranking`. */
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
    const rule = editionOf(ctx.year).frameRule(ctx.name, ctx.task === "mapping");
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
