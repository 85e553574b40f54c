/**
 * Segmentation labels for map accuracy: where they are, how to read them, and how to cut
 * them to the region a submission holds.
 *
 * Two forms are read:
 * - what `deno task synth` writes: `Labels/{coil}/Mapping/{split}/Pxxx/T1map_label.mat` with
 *   `label` (uint8, MATLAB dims `(x, y, slice)`) and the phantom's true `T1` and `T2` maps;
 * - the official segmentation form (`SegmentROI`, NIfTI): `.../SegmentROI/Pxxx/
 *   T1map_label.nii.gz` / `T2map_label.nii.gz`, dims `(x, y, slice)`.
 *
 * Mapping label values: 0 background, 1 LV blood pool, 2 myocardium, 3 RV blood pool
 * (`Format_mapping.txt`; `CMRxRecon/Mapping/CalEvalMap.py`); the synthetic phantom uses the
 * same values for these four (and higher ones for other tissues).
 *
 * Label volumes are MATLAB dims `(x, y, slice)`, column-major Float32Array; a full-size label
 * is cut with the challenge's ranking reduction (`../reduce.ts`).
 *
 * @module
 */

import { CmrxError } from "../../errors.ts";
import { entryKind, notRegularError } from "../../fsutil.ts";
import { openMat } from "../../mat/read.ts";
import type { Year } from "../edition.ts";
import { reductionPlan } from "../reduce.ts";
import type { MapKind } from "../../mapping/maps.ts";
import { readNifti } from "../../mapping/nifti.ts";

/** Label value of the myocardium in mapping labels. */
export const MYOCARDIUM = 2;

/** A label volume, with the true map of the kind when the file has one. */
export interface MappingLabel {
  /** The file read. */
  file: string;
  /** MATLAB dims `(x, y, slice)` (a 2-D label is one slice). */
  dims: [number, number, number];
  /** Label values, column-major. */
  label: Float32Array;
  /** True T1 or T2 (ms), same dims, when the file holds it (synthetic data). */
  truth?: Float32Array;
}

/** Where a case's label may be, for a labels root (see the module docs), most likely first. */
export function labelCandidates(
  root: string,
  c: { coil: string; modality: string; split: string; patient: string; name: string },
): string[] {
  const r = root.replace(/\/+$/, "") || ".";
  const other = c.coil === "MultiCoil" ? "SingleCoil" : "MultiCoil";
  const out: string[] = [];
  for (const coil of [c.coil, other]) {
    const base = `${r}/${coil}/${c.modality}/${c.split}`;
    out.push(`${base}/${c.patient}/${c.name}_label.mat`);
    out.push(`${base}/SegmentROI/${c.patient}/${c.name}_label.nii.gz`);
    out.push(`${base}/SegmentROI/${c.patient}/${c.name}_label.nii`);
  }
  for (const base of [`${r}/SegmentROI/${c.patient}`, `${r}/${c.patient}`]) {
    for (const ext of ["nii.gz", "nii", "mat"]) out.push(`${base}/${c.name}_label.${ext}`);
  }
  return out;
}

/**
 * The first existing label file for a case, or null when there is none.
 *
 * @throws {CmrxError} naming the entry when a candidate exists but is not a regular file (a
 *   dangling link, a link loop, a folder, a named pipe, a device): it is not skipped for a
 *   later candidate
 */
export async function findLabelFile(
  root: string,
  c: Parameters<typeof labelCandidates>[1],
): Promise<string | null> {
  for (const p of labelCandidates(root, c)) {
    const { kind, detail } = await entryKind(p);
    if (kind === "file") return p;
    if (kind !== "missing") throw notRegularError(p, kind, detail, "label file");
  }
  return null;
}

function dims3(dims: readonly number[], file: string): [number, number, number] {
  const d = [...dims];
  while (d.length > 3 && d[d.length - 1] === 1) d.pop();
  if (d.length < 2 || d.length > 3) {
    throw new CmrxError(`the label has dims [${dims.join(", ")}], expected (x, y, slice)`, {
      file,
      hint: "a mapping label is one volume (x, y, slice) of integer labels",
    });
  }
  return [d[0], d[1], d[2] ?? 1];
}

/**
 * Reads a label file: a MAT file with `label` (and, from `deno task synth`, the true `T1` /
 * `T2`), or a NIfTI `.nii` / `.nii.gz` volume.
 *
 * @throws {CmrxError} unreadable file, no `label` variable, or maps of other dims
 */
export async function readMappingLabel(path: string, kind: MapKind): Promise<MappingLabel> {
  if (/\.nii(\.gz)?$/.test(path)) {
    const v = await readNifti(path);
    return { file: path, dims: dims3(v.dims, path), label: v.data };
  }
  using mat = await openMat(path);
  const names = mat.variables().map((v) => v.name);
  if (!names.includes("label")) {
    throw new CmrxError(`no 'label' variable (found: ${names.join(", ") || "none"})`, {
      file: path,
      hint: "a label MAT file holds 'label' (x, y, slice); 'deno task synth' writes them",
    });
  }
  const l = mat.read("label");
  const dims = dims3(l.dims, path);
  const out: MappingLabel = { file: path, dims, label: Float32Array.from(l.data) };
  if (names.includes(kind)) {
    const t = mat.read(kind);
    const td = dims3(t.dims, path);
    if (td.some((d, i) => d !== dims[i])) {
      throw new CmrxError(`'${kind}' has dims [${td}] but 'label' [${dims}]`, { file: path });
    }
    out.truth = Float32Array.from(t.data);
  }
  return out;
}

/**
 * Cuts a full-size label (and its true map) to an image: unchanged when the dims already
 * match, else the year's ranking reduction of a mapping file (the ranking slices and the
 * centre crop), which must then give the image's dims.
 *
 * @param imageDims `(x, y, slice)` of the image the label must cover
 * @param name file stem (`T1map`), for the reduction rule
 * @returns the label (and truth) with dims `imageDims`, and the source slices (0-based)
 * @throws {CmrxError} when neither fits (naming the label file and both shapes)
 */
export function labelForImage(
  lab: MappingLabel,
  imageDims: readonly number[],
  year: Year,
  name: string,
): { label: Float32Array; truth?: Float32Array; slices: number[] } {
  const [cx, cy, ns = 1] = imageDims;
  const [lx, ly, lz] = lab.dims;
  if (lx === cx && ly === cy && lz === ns) {
    return {
      label: lab.label,
      truth: lab.truth,
      slices: Array.from({ length: ns }, (_, i) => i),
    };
  }
  const plan = reductionPlan(year, [lx, ly, lz, 1], name, true);
  if (plan.x[1] - plan.x[0] !== cx || plan.y[1] - plan.y[0] !== cy || plan.slices.length !== ns) {
    throw new CmrxError(
      `the label (dims [${lab.dims.join(", ")}]) fits neither the image ([${cx}, ${cy}, ${ns}]) ` +
        `nor its full-size source`,
      { file: lab.file, hint: "use the label that belongs to this mapping file" },
    );
  }
  const crop = (src: Float32Array) => {
    const out = new Float32Array(cx * cy * ns);
    let o = 0;
    for (const z of plan.slices) {
      for (let y = plan.y[0]; y < plan.y[1]; y++) {
        const i = lx * (y + ly * z) + plan.x[0];
        out.set(src.subarray(i, i + cx), o);
        o += cx;
      }
    }
    return out;
  };
  return {
    label: crop(lab.label),
    truth: lab.truth ? crop(lab.truth) : undefined,
    slices: plan.slices,
  };
}

/**
 * The labels root `deno task synth` wrote beside a truth root, or null: `<truth>/Labels`
 * when the truth is the dataset root; the `Labels` beside the `GroundTruth` folder when the
 * truth is that folder or one inside it (e.g. `data/GroundTruth/MultiCoil` -> `data/Labels`).
 */
export async function defaultLabelsRoot(truth: string): Promise<string | null> {
  const parts = truth.replace(/\/+$/, "").split("/");
  const gt = parts.lastIndexOf("GroundTruth");
  const bases = [parts.join("/") || "."];
  if (gt >= 0) bases.push(parts.slice(0, gt).join("/") || ".");
  for (const base of bases) {
    try {
      if ((await Deno.stat(`${base}/Labels`)).isDirectory) return `${base}/Labels`;
    } catch { /* the next */ }
  }
  return null;
}

/** Throws a {@link CmrxError} naming `root` when it is not a folder. */
export async function checkLabelsRoot(root: string): Promise<void> {
  try {
    if ((await Deno.stat(root)).isDirectory) return;
  } catch { /* below */ }
  throw new CmrxError("the labels folder does not exist", {
    file: root,
    hint: "pass the Labels folder 'deno task synth' wrote, or a folder with SegmentROI/Pxxx/" +
      "T1map_label.nii.gz files (or --no-maps)",
  });
}
