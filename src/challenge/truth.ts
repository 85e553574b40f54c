/**
 * The truth a submission is scored against: a dataset root with fully sampled k-space
 * (`.../FullSample/Pxxx/cine_sax.mat`: reference images are made with the centred inverse
 * FFT, root-sum-of-squares and the ranking reduction, as the organisers did), or a folder of
 * official `img4ranking` ground-truth files, in the FullSample layout or mirroring the
 * submission. Entries that cannot be used are listed, never dropped.
 *
 * How the coil images are combined is passed in ({@link ReferenceRss}): scoring never
 * imports how images are reconstructed.
 *
 * @module
 */

import { CmrxError, LayoutError } from "../errors.ts";
import { kspaceGeometry } from "../kspace/geometry.ts";
import { zeroFilledRss } from "../kspace/zerofill.ts";
import { type MatReader, openMat } from "../mat/read.ts";
import type { Split, Year } from "./edition.ts";
import { EDITION_2023 } from "./editions/mod.ts";
import { discover } from "./layout.ts";
import type { Case } from "./case.ts";
import { problemsError } from "./problem_text.ts";
import { reductionPlan } from "./reduce.ts";
import { MAX_IMG4RANKING_VALUES, valuesOf } from "./validate/checks.ts";

/**
 * The coil-combined image of one fully sampled slice: centred inverse FFT and
 * root-sum-of-squares of k-space `(kx, ky, coil, frame)` (complex interleaved, `dims`
 * `[nx, ny, nc, nt]`), giving the magnitude `(x, y, frame)`. Scoring receives it as a
 * function, so that it never depends on how images are reconstructed.
 */
export type ReferenceRss = (
  kspace: Float32Array,
  dims: [number, number, number, number],
  task: "cine" | "mapping",
) => Float32Array | Promise<Float32Array>;

/** A truth entry that cannot be used. */
export interface TruthProblem {
  /** The entry on disk. */
  path: string;
  /** What is wrong, e.g. `reference cannot be read: ...`. */
  reason: string;
  /** What to do about it. */
  fix: string;
}

/** A reference image and where it came from. */
export interface TruthEntry {
  /** Coil folder: `MultiCoil` or `SingleCoil`. */
  coil: string;
  /** Modality folder: `Cine`, `Mapping`, ... */
  modality: string;
  /** File stem: `cine_sax`, `T1map`, ... */
  name: string;
  /** Short view name: `lax`, `sax`, `T1`, `T2`. */
  view: string;
  /** The task the file belongs to. */
  task: "cine" | "mapping";
  /** Patient folder, e.g. `P001`. */
  patient: string;
  /** Path of the truth file. */
  file: string;
  /** Acceleration factor of the folder the truth file sits in, when it mirrors a submission. */
  acc?: number;
}

/** The references of a truth root and the truth entries that cannot be used. */
export interface TruthList {
  /** Usable references: a fully sampled one serves every acceleration, a mirrored one its `acc`. */
  entries: TruthEntry[];
  /** Entries at a layout position that cannot be used (their cases are not scored). */
  problems: TruthProblem[];
}

/**
 * The references of a truth root for a split and task, and the entries that cannot be used:
 * FullSample k-space files, else files holding `img4ranking` (mirroring a submission), else
 * the same under `<truth>/GroundTruth`.
 *
 * @throws {LayoutError} no reference for the split is found: naming the first entry that
 *   cannot be used when there is one, else what a truth root holds (for `test`: that the
 *   organisers keep the TestSet ground truth)
 */
export async function listTruth(
  truth: string,
  split: Split,
  task: "cine" | "mapping" | "both" | undefined,
): Promise<TruthList> {
  let cases: Case[] = [];
  let problems: TruthProblem[] = [];
  try {
    const d = await discover(truth, { split, task, fullSample: true, allowEmpty: true });
    cases = d.cases;
    problems = d.problems.map(({ path, reason, fix }) => ({ path, reason, fix }));
  } catch (e) {
    if (!(e instanceof LayoutError)) throw e;
  }
  const entry = (c: Case): TruthEntry => ({
    coil: c.coil,
    modality: c.modality,
    name: c.name,
    view: c.view,
    task: c.task,
    patient: c.patient,
    file: c.file,
    acc: c.acc ?? undefined,
  });
  // Fully sampled references: one per (patient, file), serving every acceleration.
  const out = cases.filter((c) => c.acc === null).map(entry);
  if (out.length === 0) {
    // Official ground truth mirroring the submission: only files holding img4ranking
    // (undersampled k-space in AccFactor folders is not a reference).
    for (const c of cases) {
      using mat = await openMat(c.file);
      if (mat.variables().some((v) => v.name === "img4ranking")) out.push(entry(c));
    }
  }
  if (out.length === 0) {
    try {
      if ((await Deno.stat(`${truth}/GroundTruth`)).isDirectory) {
        return await listTruth(`${truth}/GroundTruth`, split, task);
      }
    } catch (e) {
      if (e instanceof CmrxError) throw e;
      /* no GroundTruth folder */
    }
    if (problems.length) {
      throw problemsError(problems, {
        context: `and no other reference for the ${split} split was found`,
        what: "truth entries",
      });
    }
    throw noTruthError(truth, split);
  }
  return { entries: out, problems };
}

/** No reference for the split under the truth root: what is needed, and for test, why. */
function noTruthError(truth: string, split: Split): LayoutError {
  if (split === "test") {
    return new LayoutError(
      "no TestSet ground truth here: a test-split submission is scored against the TestSet " +
        "ground truth, which the organisers hold and do not release",
      {
        file: truth,
        hint: "score a validation-split submission instead (deno task submit --split " +
          "validation), or pass --truth a root with TestSet/FullSample/Pxxx/*.mat (deno task " +
          "synth --test writes one under GroundTruth/)",
      },
    );
  }
  return new LayoutError(
    `no reference files for the ${split} split found (FullSample k-space or img4ranking files)`,
    {
      file: truth,
      hint:
        "pass a dataset root with .../ValidationSet/FullSample/Pxxx/*.mat (e.g. the GroundTruth " +
        "folder that deno task synth writes) or a folder of official ground-truth files",
    },
  );
}

/**
 * The reference image of a truth file, reduced for the split: from `img4ranking` as is, or
 * from fully sampled k-space `(kx, ky, coil, slice, frame)` (single-coil `(kx, ky, slice,
 * frame)`) by IFFT + RSS of only the slices and frames the reduction keeps.
 * Returns MATLAB dims `(x, y, slice, frame)` with trailing singletons dropped.
 */
export async function referenceImage(
  mat: MatReader,
  entry: { name: string; task: "cine" | "mapping"; coil: string },
  year: Year,
  split: Split,
  rss: ReferenceRss = zeroFilledRss,
): Promise<{ data: Float32Array; dims: number[] }> {
  const vars = mat.variables();
  const ready = vars.find((v) => v.name === "img4ranking");
  if (ready) {
    const n = valuesOf(ready);
    if (n > MAX_IMG4RANKING_VALUES) {
      throw new CmrxError(
        `img4ranking declares dims [${ready.dims.join(", ")}] (${n} values), more than the ` +
          `${MAX_IMG4RANKING_VALUES} any CMRxRecon image holds; it was not read`,
        { file: mat.file, hint: "replace it with the official ground-truth file" },
      );
    }
    const a = mat.read("img4ranking");
    assertFinite(a.data, "img4ranking", mat.file);
    return { data: a.data as Float32Array, dims: a.dims };
  }
  const kvar =
    vars.find((v) => v.name === EDITION_2023.kspaceVariable(entry.coil as "MultiCoil", null)) ??
      vars.find((v) => v.complex && v.dims.length >= 3);
  if (!kvar) {
    throw new CmrxError(
      `no img4ranking or fully sampled k-space variable (found: ${
        vars.map((v) => v.name).join(", ") || "none"
      })`,
      { file: mat.file, hint: "the truth must hold kspace_full (FullSample) or img4ranking" },
    );
  }
  const { nx, ny, nc, nz: sz, nt, single } = kspaceGeometry(
    kvar,
    mat.file,
    entry.coil === "SingleCoil",
  );
  const npix = nx * ny;
  const plan = split === "validation"
    ? reductionPlan(year, [nx, ny, sz, nt], entry.name, entry.task === "mapping")
    : {
      slices: Array.from({ length: sz }, (_, i) => i),
      frames: Array.from({ length: nt }, (_, i) => i),
      x: [0, nx] as [number, number],
      y: [0, ny] as [number, number],
      dims: [nx, ny, sz, nt],
    };
  const [x0, x1] = plan.x, [y0, y1] = plan.y;
  const cx = x1 - x0, cy = y1 - y0;
  const ns = plan.slices.length, nf = plan.frames.length;
  const out = new Float32Array(cx * cy * ns * nf);
  // The kept frames are always the first nf: read them per slice, IFFT + RSS (all slices
  // at once, so an `rss` with workers runs them in parallel), and crop.
  const crop = (k: number, image: Float32Array) => {
    for (let j = 0; j < nf; j++) {
      let o = cx * cy * (k + ns * j);
      for (let y = y0; y < y1; y++) {
        out.set(image.subarray(npix * j + nx * y + x0, npix * j + nx * y + x1), o);
        o += cx;
      }
    }
  };
  const jobs: Promise<void>[] = [];
  for (const [k, z] of plan.slices.entries()) {
    const ranges = single ? [undefined, undefined, z, [0, nf] as [number, number]] : [
      undefined,
      undefined,
      undefined,
      z,
      [0, nf] as [number, number],
    ];
    // a file without frames (4-D multi-coil, e.g. blackblood) has no frame range to read
    ranges.length = Math.min(ranges.length, kvar.dims.length);
    const slab = mat.readSlab(kvar.name, ranges).data as Float32Array;
    assertFinite(slab, `the k-space '${kvar.name}' (slice ${z + 1})`, mat.file);
    jobs.push(Promise.resolve(rss(slab, [nx, ny, nc, nf], entry.task)).then((im) => crop(k, im)));
  }
  await Promise.all(jobs);
  assertFinite(out, "the reference image made from the k-space", mat.file);
  const dims = [...plan.dims];
  while (dims.length > 2 && dims[dims.length - 1] === 1) dims.pop();
  return { data: out, dims };
}

/** Throws a {@link CmrxError} naming the truth file when `data` holds NaN or Inf. */
function assertFinite(data: ArrayLike<number>, what: string, file: string): void {
  let bad = 0;
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) bad++;
  if (bad) {
    throw new CmrxError(
      `${what} holds ${bad} NaN or Inf values: no reference can be made from it`,
      {
        file,
        hint: "the ground truth is damaged: replace this file with an intact copy of the " +
          "fully sampled data (or the official ground-truth file)",
      },
    );
  }
}

/** A truth file that cannot be made into a reference image. */
export function truthReadProblem(file: string, e: CmrxError): TruthProblem {
  const other = e.file && e.file !== file ? `${e.file}: ` : "";
  return {
    path: file,
    reason: `reference cannot be read: ${other}${e.detail.split("\n")[0]}`,
    fix: e.hint ?? "replace it with a complete FullSample k-space or img4ranking file",
  };
}
