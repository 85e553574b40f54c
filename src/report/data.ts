/**
 * The image series the report compares, all on the same grid: the official ranking crop
 * and slices (`run4Ranking`'s x/y crop and scored slices), with every frame that exists.
 *
 * - ground truth: `img4ranking` of an official ground-truth file as is, or fully sampled
 *   k-space -> centred inverse FFT + root-sum-of-squares of the scored slices, all frames;
 * - zero-filled input: the undersampled k-space of the input dataset, the same way;
 * - a run: its `img4ranking` (validation: already reduced, 3 cine frames; test: full size,
 *   cropped here to the same grid).
 *
 * Series have MATLAB dims `(x, y, slice, frame)`, column-major, real.
 *
 * @module
 */

import { normalizeImage } from "../challenge/metrics/mod.ts";
import { applyReduction, type ReductionPlan, reductionPlan } from "../challenge/reduce.ts";
import type { Year } from "../challenge/edition.ts";
import { CmrxError, ShapeError } from "../errors.ts";
import { openMat } from "../mat/read.ts";
import { findKspaceVariable, kspaceGeometry } from "../kspace/geometry.ts";
import { reconstructFile } from "../recon/run.ts";
import { getMethod } from "../recon/registry.ts";
import { type Series, series } from "./panels.ts";

/** What the report needs to know about a file to reduce it. */
export interface SeriesKind {
  /** File stem: `cine_sax`, `T1map`, ... */
  name: string;
  task: "cine" | "mapping";
  coil: "MultiCoil" | "SingleCoil";
}

/**
 * The report's grid for an image of MATLAB dims `(sx, sy, sz, nt)`: the year's reduction
 * (crop and scored slices) with all `nt` frames kept.
 */
export function seriesPlan(year: Year, dims: readonly number[], kind: SeriesKind): ReductionPlan {
  const p = reductionPlan(year, dims, kind.name, kind.task === "mapping");
  const nt = dims[3] ?? 1;
  return {
    ...p,
    frames: Array.from({ length: nt }, (_, i) => i),
    dims: [p.x[1] - p.x[0], p.y[1] - p.y[0], p.slices.length, nt],
  };
}

/** The frames the year's reduction scores (cine: the first 3), for a series of `nt` frames. */
export function scoredFrames(year: Year, dims: readonly number[], kind: SeriesKind): number {
  return reductionPlan(year, dims, kind.name, kind.task === "mapping").frames.length;
}

/**
 * A series from a k-space file (fully sampled truth or undersampled input): zero-filled
 * IFFT + RSS of the plan's slices, all frames, cropped. Returns the series and the full
 * image dims `(sx, sy, sz, nt)` the plan was made for.
 */
export async function kspaceSeries(
  file: string,
  kind: SeriesKind,
  year: Year,
  variable?: string,
): Promise<{ series: Series; full: number[]; plan: ReductionPlan }> {
  using mat = await openMat(file);
  const info = findKspaceVariable(mat, variable);
  const g = kspaceGeometry(info, file, kind.coil === "SingleCoil");
  const full = [g.nx, g.ny, g.nz, g.nt];
  const plan = seriesPlan(year, full, kind);
  const r = await reconstructFile(mat, getMethod("zerofill"), {
    variable: info.name,
    task: kind.task,
    singleCoil: kind.coil === "SingleCoil",
    slices: plan.slices,
  });
  const local = { ...plan, slices: plan.slices.map((_, i) => i) };
  return { series: series(applyReduction(r.image, r.dims, local), plan.dims), full, plan };
}

/**
 * The ground-truth series of a truth file: `img4ranking` as stored (official ground truth,
 * already reduced), else from fully sampled k-space ({@link kspaceSeries}).
 */
export async function truthSeries(
  file: string,
  kind: SeriesKind,
  year: Year,
): Promise<{ series: Series; full?: number[]; plan?: ReductionPlan }> {
  {
    using mat = await openMat(file);
    if (mat.variables().some((v) => v.name === "img4ranking")) {
      const a = mat.read("img4ranking");
      if (a.complex) {
        throw new CmrxError("img4ranking of the ground truth is complex", {
          file,
          hint: "the ground truth holds magnitude images",
        });
      }
      return { series: series(Float32Array.from(a.data as ArrayLike<number>), a.dims) };
    }
  }
  return await kspaceSeries(file, kind, year);
}

/**
 * A run's `img4ranking` on the report grid: as stored when it already has the reduced
 * size (or when no grid is given), else (test split: full-size images) cropped with `plan`.
 *
 * @throws {ShapeError} naming the file when it fits neither
 */
export async function runSeries(
  path: string,
  expect?: { dims: readonly number[]; plan?: ReductionPlan; full?: readonly number[] },
): Promise<Series> {
  using mat = await openMat(path);
  const a = mat.read("img4ranking");
  if (a.complex) {
    throw new ShapeError("img4ranking is complex; submissions hold magnitude images", {
      file: path,
    });
  }
  const data = a.data instanceof Float32Array ? a.data : Float32Array.from(a.data);
  const [dx, dy, dz = 1, dt = 1] = a.dims;
  if (!expect) return series(data, [dx, dy, dz, dt]);
  const [ex, ey, ez] = expect.dims;
  if (dx === ex && dy === ey && dz === ez) return series(data, [dx, dy, dz, dt]);
  const f = expect.full;
  if (expect.plan && f && dx === f[0] && dy === f[1] && dz === f[2]) {
    const plan = { ...expect.plan, frames: Array.from({ length: dt }, (_, i) => i) };
    return series(applyReduction(data, [dx, dy, dz, dt], plan), [ex, ey, ez, dt]);
  }
  throw new ShapeError(
    `img4ranking has dims [${a.dims.join(", ")}]; the ground truth grid is [${
      expect.dims.join(", ")
    }]${f ? ` (full size [${f.join(", ")}])` : ""}`,
    { file: path, hint: "check that the run and the ground truth are the same split and data" },
  );
}

/** Every 2-D image of a series normalised as the year's scorer does ({@link normalizeImage}). */
export function normalizedSeries(s: Series, year: Year): Series {
  const [nx, ny, nz, nt] = s.dims;
  const npix = nx * ny;
  const out = new Float32Array(s.data.length);
  for (let i = 0; i < nz * nt; i++) {
    normalizeImage(
      s.data.subarray(npix * i, npix * (i + 1)),
      year,
      out.subarray(npix * i, npix * (i + 1)),
    );
  }
  return { data: out, dims: [nx, ny, nz, nt] };
}
