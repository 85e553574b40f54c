/**
 * Map accuracy of a mapping submission: T1 / T2 maps are fitted to the submitted images and
 * to the reference images (the same slices, crop and times), and compared in the
 * myocardium of the label: RMSE, mean absolute error and bias (ms). The 2023 challenge
 * ranked mapping by the "RMSE ... between ground truth and submitted T1 and T2 maps" in the
 * LV myocardium (`cmrxrecon.github.io:2023/Task2-T1-T2-mapping.html`); the ground-truth map
 * is the one fitted to the fully sampled images. When the label file carries the true map
 * (synthetic data), the errors against it are reported too.
 *
 * This is map *scoring* (used by `deno task score` and the report); "evaluate" names only the
 * organisers' container harness. The fitting itself is `src/mapping/` (challenge-free); this
 * module adds what the challenge decides: the csv times, the labels, the ranking cut.
 * Images are MATLAB dims `(x, y, slice, weighting)`, labels and maps `(x, y, slice)`, all
 * column-major Float32Array; errors are in ms.
 *
 * @module
 */

import type { Year } from "../edition.ts";
import { CmrxError } from "../../errors.ts";
import { entryKind, notRegularError } from "../../fsutil.ts";
import { type MappingTimesTable, readMappingCsv, sourceSlices, timesForSlices } from "./csv.ts";
import { findLabelFile, labelForImage, MYOCARDIUM, readMappingLabel } from "./labels.ts";
import { fitMaps, type MapFitOptions, type MapKind, mapKindOf } from "../../mapping/maps.ts";

/** Errors of a map against a reference over a region, ms. */
export interface MapErrors {
  /** Pixels in the region. */
  pixels: number;
  /** Root mean squared error. */
  rmse: number;
  /** Mean absolute error. */
  mae: number;
  /** Mean signed error (map - reference). */
  bias: number;
}

/**
 * RMSE, MAE and bias of `map` against `ref` over the pixels where `region` is non-zero
 * (NaN values when the region is empty). Both arrays share the region's dims.
 */
export function mapErrors(
  map: ArrayLike<number>,
  ref: ArrayLike<number>,
  region: ArrayLike<number>,
): MapErrors {
  let n = 0, s2 = 0, s1 = 0, sb = 0;
  for (let i = 0; i < region.length; i++) {
    if (!region[i]) continue;
    const d = map[i] - ref[i];
    n++;
    s2 += d * d;
    s1 += Math.abs(d);
    sb += d;
  }
  return n
    ? { pixels: n, rmse: Math.sqrt(s2 / n), mae: s1 / n, bias: sb / n }
    : { pixels: 0, rmse: NaN, mae: NaN, bias: NaN };
}

/** Map accuracy of one submitted file. */
export interface MapFileScore extends MapErrors {
  /** Path relative to the submission folder. */
  file: string;
  /** Which map was fitted (from the file stem `T1map` / `T2map`). */
  kind: MapKind;
  /** Coil folder: `MultiCoil` or `SingleCoil`. */
  coil: string;
  /** `T1` or `T2` (the view). */
  view: string;
  /** Acceleration factor R of the submitted file. */
  acc: number;
  /** The label file used. */
  labels: string;
  /** Errors against the true map (synthetic data only). */
  truth?: MapErrors;
}

/** Mean map errors of one (coil, view, acceleration) group. */
export interface MapGroupScore {
  /** Coil folder: `MultiCoil` or `SingleCoil`. */
  coil: string;
  /** `T1` or `T2`. */
  view: string;
  /** Acceleration factor R. */
  acc: number;
  /** Files in the group. */
  files: number;
  /** Mean RMSE over files against the map fitted to the reference images, ms. */
  rmse: number;
  /** Mean MAE over files against the map fitted to the reference images, ms. */
  mae: number;
  /** Mean RMSE over files against the true map, ms, when every file had one. */
  rmseTruth?: number;
  /** Mean MAE over files against the true map, ms, when every file had one. */
  maeTruth?: number;
}

/** Map accuracy of a whole submission. */
export interface MapReport {
  /** The labels root searched. */
  labels: string;
  /** One entry per scored mapping file. */
  files: MapFileScore[];
  /** Per (coil, view, acceleration) means of the files ({@link aggregateMapScores}). */
  groups: MapGroupScore[];
  /**
   * Mapping files whose maps could not be scored, with the reason; `path` names the entry at
   * fault (e.g. a label file that cannot be read) and `fix` what to do, when known.
   */
  skipped: { file: string; reason: string; path?: string; fix?: string }[];
}

/** What the scorer needs to know about a submitted mapping file. */
export interface MapCase {
  /** Path relative to the submission folder. */
  rel: string;
  /** Acceleration factor R of the submitted file. */
  acc: number;
  /** Coil folder: `MultiCoil` or `SingleCoil`. */
  coil: string;
  /** Modality folder (`Mapping`); with `coil` and `split` it places the csv under a times root. */
  modality: string;
  /** Split folder, e.g. `ValidationSet`. */
  split: string;
  /** Patient folder, e.g. `P001`. */
  patient: string;
  /** File stem: `T1map` / `T2map`. */
  name: string;
  /** Path of the truth file (its folder is searched for the csv first). */
  truthFile: string;
}

interface Prepared {
  kind: MapKind;
  labelFile: string;
  region: Uint8Array;
  refMap: Float32Array;
  truth?: Float32Array;
  times: number[][];
}

/** Options of {@link MapScorer}. */
export interface MapScorerOptions {
  /** Labels root (see `labels.ts` for the forms searched). */
  labels: string;
  /** The edition whose ranking cut ({@link labelForImage}) reduces the label like the images. */
  year: Year;
  /** Dataset roots whose case folders may hold the csv, after the truth file's own tree. */
  timesRoots?: string[];
  /** Fit options (ranges, air fraction). */
  fit?: MapFitOptions;
}

/**
 * Scores maps file by file, fitting each reference once (one truth file serves every
 * acceleration) and only inside the myocardium.
 */
export class MapScorer {
  #cache = new Map<string, Promise<Prepared>>();
  /** A scorer with an empty reference cache; `opts` is kept as given. */
  constructor(readonly opts: MapScorerOptions) {}

  /**
   * Map errors of a submitted file.
   *
   * @param pred submitted magnitudes, MATLAB dims `dims` = `(x, y, slice, weighting)`
   * @param ref reference magnitudes of the same dims
   * @throws {CmrxError} no label or csv for the case, or shapes that do not fit
   */
  async score(
    c: MapCase,
    pred: Float32Array,
    ref: { data: Float32Array; dims: number[] },
  ): Promise<MapFileScore> {
    const kind = mapKindOf(c.name);
    if (!kind) throw new CmrxError(`'${c.name}' is not a T1 or T2 mapping file`);
    if (ref.dims.length !== 4) {
      throw new CmrxError(
        `expected a mapping image (x, y, slice, weighting), got dims [${ref.dims.join(", ")}]`,
      );
    }
    let p = this.#cache.get(c.truthFile);
    if (!p) {
      p = this.#prepare(c, kind, ref);
      this.#cache.set(c.truthFile, p);
      p.catch(() => this.#cache.delete(c.truthFile));
    }
    const prep = await p;
    const mine = fitMaps(kind, pred, ref.dims, prep.times, {
      ...this.opts.fit,
      mask: prep.region,
    });
    const m = mine.maps[kind];
    const e = mapErrors(m, prep.refMap, prep.region);
    return {
      file: c.rel,
      kind,
      coil: c.coil,
      view: kind,
      acc: c.acc,
      labels: prep.labelFile,
      ...e,
      ...(prep.truth ? { truth: mapErrors(m, prep.truth, prep.region) } : {}),
    };
  }

  /** Forgets the cached reference of a truth file (when no later file needs it). */
  release(truthFile: string): void {
    this.#cache.delete(truthFile);
  }

  async #prepare(
    c: MapCase,
    kind: MapKind,
    ref: { data: Float32Array; dims: number[] },
  ): Promise<Prepared> {
    const [cx, cy, ns, nw] = ref.dims;
    const labelFile = await findLabelFile(this.opts.labels, c);
    if (!labelFile) {
      throw new CmrxError(`no label file for ${c.patient}/${c.name}`, {
        file: this.opts.labels,
        hint: `put ${c.name}_label.mat (deno task synth) or SegmentROI/${c.patient}/` +
          `${c.name}_label.nii.gz under the labels root`,
      });
    }
    const lab = await readMappingLabel(labelFile, kind);
    const cut = labelForImage(lab, [cx, cy, ns], this.opts.year, c.name);
    const table = await this.#csv(c);
    // Source slices: from the full-size label when it was reduced; else the csv decides.
    const reduced = lab.dims[2] !== ns || lab.dims[0] !== cx;
    const slices = reduced ? cut.slices : sourceSlices(table, ns);
    const times = timesForSlices(table, slices, nw);
    const region = new Uint8Array(cx * cy * ns);
    for (let i = 0; i < region.length; i++) {
      region[i] = Math.round(cut.label[i]) === MYOCARDIUM ? 1 : 0;
    }
    const refMaps = fitMaps(kind, ref.data, ref.dims, times, { ...this.opts.fit, mask: region });
    return { kind, labelFile, region, refMap: refMaps.maps[kind], truth: cut.truth, times };
  }

  async #csv(c: MapCase): Promise<MappingTimesTable> {
    const dir = c.truthFile.slice(0, c.truthFile.lastIndexOf("/"));
    const candidates = [`${dir}/${c.name}.csv`];
    const splitDirs = [dir.split("/").slice(0, -2).join("/")];
    for (const r of this.opts.timesRoots ?? []) {
      splitDirs.push(`${r.replace(/\/+$/, "")}/${c.coil}/${c.modality}/${c.split}`);
    }
    for (const s of splitDirs) {
      try {
        for await (const e of Deno.readDir(s)) {
          if (e.isDirectory) candidates.push(`${s}/${e.name}/${c.patient}/${c.name}.csv`);
        }
      } catch { /* not a folder */ }
    }
    for (const p of candidates) {
      const { kind, detail } = await entryKind(p);
      if (kind === "file") return await readMappingCsv(p);
      if (kind !== "missing") throw notRegularError(p, kind, detail, "times (csv) file");
    }
    throw new CmrxError(`no ${c.name}.csv with the times for ${c.patient}`, {
      file: dir,
      hint: "the csv is looked for beside the truth file, in the other folders of its split, " +
        "and under --times ROOT (the input dataset)",
    });
  }
}

/** Per (coil, view, acceleration) means of the file scores. */
export function aggregateMapScores(files: readonly MapFileScore[]): MapGroupScore[] {
  const groups = new Map<string, MapFileScore[]>();
  for (const f of files) {
    const k = `${f.coil}|${f.view}|${f.acc}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(f);
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const out: MapGroupScore[] = [];
  for (const fs of groups.values()) {
    const g: MapGroupScore = {
      coil: fs[0].coil,
      view: fs[0].view,
      acc: fs[0].acc,
      files: fs.length,
      rmse: mean(fs.map((f) => f.rmse)),
      mae: mean(fs.map((f) => f.mae)),
    };
    if (fs.every((f) => f.truth)) {
      g.rmseTruth = mean(fs.map((f) => f.truth!.rmse));
      g.maeTruth = mean(fs.map((f) => f.truth!.mae));
    }
    out.push(g);
  }
  return out.sort((a, b) =>
    a.coil.localeCompare(b.coil) || a.view.localeCompare(b.view) || a.acc - b.acc
  );
}
