/**
 * The case plan: for one input file, everything the run needs to know before any
 * reconstruction, computed once from its header. `submit`, `validate`, `score`, `report`,
 * `pack`, the container and the time budget all read it; nothing else opens an input header
 * to ask the same questions.
 *
 * ```
 * case (layout)  +  split  +  edition
 *   -> k-space variable and geometry (kspace/geometry.ts)
 *   -> image dims (x, y, slice, frame)
 *   -> the reduction (validation: the edition's run4Ranking) or none (test: full size)
 *   -> slices to reconstruct, img4ranking dims, submission path
 * ```
 *
 * ```ts
 * using opened = await openCase(c, "validation", editionOf(2023));
 * opened.plan.dims;            // img4ranking MATLAB dims, e.g. [171, 123, 2, 3]
 * opened.plan.slices;          // the two central slices, 0-based
 * opened.mat.readSlab(opened.plan.variable, [, , , opened.plan.slices[0]]);
 * ```
 *
 * @module
 */

import { CmrxError, errorMessage, ShapeError } from "../errors.ts";
import { findKspaceVariable, type KspaceGeometry, kspaceGeometry } from "../kspace/geometry.ts";
import { type MatReader, openMat } from "../mat/read.ts";
import type { Edition, Split } from "./edition.ts";
import type { Case } from "./case.ts";
import type { CoilType } from "./paths.ts";
import { type ReductionPlan, reductionPlan } from "./reduce.ts";

/** What one input file needs, from its header. */
export interface CasePlan {
  /** The input case (layout). */
  case: Case;
  /** The rules it follows. */
  edition: Edition;
  /** The split being reconstructed. */
  split: Split;
  /** The k-space variable's name. */
  variable: string;
  /** Its sizes. */
  geometry: KspaceGeometry;
  /** The coil-combined image dims `[sx, sy, sz, nt]`. */
  imageDims: [number, number, number, number];
  /** The ranking reduction (validation), or null: the full-size image is submitted (test). */
  reduction: ReductionPlan | null;
  /** 0-based slices to reconstruct: those the reduction keeps, or all. */
  slices: number[];
  /** MATLAB dims of `img4ranking`, trailing singleton dims dropped. */
  dims: number[];
  /** Where the reconstruction goes, relative to the `Submission` folder. */
  submissionPath: string;
}

/** Drops trailing singleton dims beyond the second, as MATLAB does when it saves. */
export function matlabSqueezeTrailing(dims: readonly number[]): number[] {
  const out = [...dims];
  while (out.length > 2 && out[out.length - 1] === 1) out.pop();
  return out;
}

/**
 * The coil-combined image dims `[sx, sy, sz, nt]` of k-space MATLAB dims: multi-coil
 * `(kx, ky, coil, slice, frame)`, single-coil `(kx, ky, slice, frame)`; missing trailing
 * dims (dropped singletons) count as 1.
 *
 * @throws {ShapeError} too many dims, or empty / corrupt ones
 */
export function imageDimsOf(
  kspaceDims: readonly number[],
  coil: CoilType,
): [number, number, number, number] {
  const g = kspaceGeometry(
    { name: "k-space", dims: [...kspaceDims], matClass: "single", complex: true },
    "",
    coil === "SingleCoil",
  );
  return [g.nx, g.ny, g.nz, g.nt];
}

/**
 * Plans one case from its open file: finds the k-space variable (the case's, checked to be
 * complex k-space), its geometry, and what the split and the edition make of it.
 *
 * @throws {CmrxError} the variable is missing or cannot be k-space, or its dims cannot be
 *   reduced; the error names the file
 */
export function planCase(c: Case, split: Split, edition: Edition, mat: MatReader): CasePlan {
  const info = findKspaceVariable(mat, c.variable);
  const geometry = kspaceGeometry(info, c.file, c.coil === "SingleCoil");
  const imageDims: CasePlan["imageDims"] = [geometry.nx, geometry.ny, geometry.nz, geometry.nt];
  let reduction: ReductionPlan | null = null;
  if (edition.reduces(split)) {
    try {
      reduction = reductionPlan(edition.year, imageDims, c.name, c.task === "mapping");
    } catch (e) {
      if (e instanceof ShapeError) throw new ShapeError(e.message, { file: c.file, hint: e.hint });
      throw e;
    }
  }
  return {
    case: c,
    edition,
    split,
    variable: info.name,
    geometry,
    imageDims,
    reduction,
    slices: reduction ? reduction.slices : Array.from({ length: geometry.nz }, (_, i) => i),
    dims: reduction ? reduction.dims : matlabSqueezeTrailing(imageDims),
    submissionPath: c.submissionPath,
  };
}

/** A planned case with its file still open for the data (dispose it to close the file). */
export interface OpenedCase extends Disposable {
  /** The case's plan, as {@link planCase} gives it. */
  plan: CasePlan;
  /** The open k-space file, for reading the data; closed when the case is disposed. */
  mat: MatReader;
}

/**
 * Opens a case's k-space file once and plans it; the file stays open for the data. The one
 * place an input header is opened.
 *
 * @throws {CmrxError} the file cannot be opened or planned (naming it)
 */
export async function openCase(c: Case, split: Split, edition: Edition): Promise<OpenedCase> {
  let mat: MatReader;
  try {
    mat = await openMat(c.file);
  } catch (e) {
    if (e instanceof CmrxError) throw e;
    throw new CmrxError(`cannot read the header: ${errorMessage(e)}`, {
      file: c.file,
      hint: "check that the file is a complete MATLAB file",
    });
  }
  try {
    const plan = planCase(c, split, edition, mat);
    return { plan, mat, [Symbol.dispose]: () => mat.close() };
  } catch (e) {
    mat.close();
    throw e;
  }
}

/** {@link openCase} for callers that need the plan only (the file is closed again). */
export async function readPlan(c: Case, split: Split, edition: Edition): Promise<CasePlan> {
  using opened = await openCase(c, split, edition);
  return opened.plan;
}
