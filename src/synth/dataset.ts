/**
 * Synthetic CMRxRecon datasets in exactly the official 2023 layout (multi-coil, and on request
 * single-coil: `tracks`), made from the beating-heart phantom: k-space files (MAT v7.3), masks,
 * csv files, a ground-truth root for the validation (and test) patients and a label root with
 * tissue labels and true T1/T2.
 *
 * Each (slice, frame) image is rendered, multiplied by 10 smooth complex coil maps, taken to
 * k-space with the centred orthonormal FFT and given complex Gaussian noise; undersampled
 * files hold exactly `kspace_full .* mask`, as the organisers made them. Everything is
 * deterministic for a seed.
 *
 * @module
 */

import type { Split } from "../challenge/edition.ts";
import { EDITION_2023 } from "../challenge/editions/mod.ts";
import { accFolderName, splitFolder } from "../challenge/paths.ts";
import { CmrxError } from "../errors.ts";
import { fft2c } from "../kspace/fft.ts";
import { uniformLines, uniformMask2d } from "../kspace/mask.ts";
import { MatV73Writer, writeMatV73 } from "../mat/v73/write.ts";
import { coilMaps } from "./coils.ts";
import {
  cineFrame,
  LAX_VIEWS,
  mappingImages,
  molliTimes,
  type PhantomParams,
  phantomParams,
  t2PrepTimes,
} from "./phantom/mod.ts";
import { deriveSeed, Rng } from "./random.ts";

/** Dataset sizes: `small` for tests and demos, `full` with the real data's sizes. */
export type SynthSize = "small" | "full";

/** The four files of a patient. */
export type FileKind = "cine_sax" | "cine_lax" | "T1map" | "T2map";

/** Sizes of one file: MATLAB dims `(nx, ny, ncoil, nslices, nframes)`. */
export interface FileGeometry {
  /** Readout size (2x oversampled), pixels. */
  nx: number;
  /** Phase-encode size, pixels. */
  ny: number;
  /** Slices. */
  nslices: number;
  /** Cardiac frames (cine) or weightings (mapping). */
  nframes: number;
}

/** Per size and file kind, the geometry cmrxkit synthesises. */
export const GEOMETRY: Record<SynthSize, Record<FileKind, FileGeometry>> = {
  small: {
    cine_sax: { nx: 96, ny: 72, nslices: 3, nframes: 12 },
    cine_lax: { nx: 96, ny: 64, nslices: 3, nframes: 12 },
    T1map: { nx: 96, ny: 64, nslices: 2, nframes: 9 },
    T2map: { nx: 96, ny: 64, nslices: 2, nframes: 3 },
  },
  full: {
    cine_sax: { nx: 512, ny: 246, nslices: 10, nframes: 12 },
    cine_lax: { nx: 448, ny: 204, nslices: 3, nframes: 12 },
    T1map: { nx: 448, ny: 162, nslices: 6, nframes: 9 },
    T2map: { nx: 448, ny: 162, nslices: 6, nframes: 3 },
  },
};

/** Options of {@link synthesize}. */
export interface SynthOptions {
  /** Output folder (created; must be empty or absent). */
  out: string;
  /** File sizes, see {@link GEOMETRY} (default `small`). */
  size?: SynthSize;
  /** Dataset seed; the same seed gives the same files (default 1). */
  seed?: number;
  /** Patients per split (default 2). */
  patients?: number;
  /** Tasks to write (default both: `cine` and `mapping`). */
  tasks?: ("cine" | "mapping")[];
  /**
   * Splits to write (default training and validation); TrainingSet gets FullSample, the
   * others go to GroundTruth.
   */
  splits?: Split[];
  /** Acceleration factors (default 4, 8, 10). */
  accs?: number[];
  /** Coils (default 10). */
  coils?: number;
  /**
   * Coil tracks to write (default `["MultiCoil"]`): `SingleCoil` writes the 2023 single-coil
   * tree (`kspace_single_full` / `kspace_single_subNN`, dims `(kx, ky, slice, frame)`), the
   * emulated single-coil k-space of the same phantom (the phantom image times the
   * root-sum-of-squares of the coil maps, plus noise of one coil's sd), with the
   * same masks, csv files, ground-truth and label roots under `SingleCoil/`. The multi-coil
   * files are the same bytes with or without it.
   */
  tracks?: ("MultiCoil" | "SingleCoil")[];
  /** Fully sampled central lines (default 24). */
  ncalib?: number;
  /**
   * Complex noise standard deviation relative to the phantom's tissue intensity (~1)
   * (default 0.01).
   */
  noise?: number;
  /** Called after each file. */
  onFile?: (path: string, bytes: number) => void;
}

/** What {@link synthesize} wrote. */
export interface SynthReport {
  /** The output folder, without trailing slashes. */
  root: string;
  /** Files written (k-space, masks, csv and label files). */
  files: number;
  /** Their total size, bytes. */
  bytes: number;
  /** Relative paths of every k-space file written. */
  kspaceFiles: string[];
}

const SCALE = 1e-3; // real CMRxRecon images have small magnitudes; keep code honest about that

/** The files a patient has for a task. */
export function kindsOf(task: "cine" | "mapping"): FileKind[] {
  return task === "cine" ? ["cine_lax", "cine_sax"] : ["T1map", "T2map"];
}

/** Inversion (T1) or preparation (T2) times in ms, per slice: `times[slice][weighting]`. */
export function mappingTimes(kind: "T1map" | "T2map", nslices: number, seed: number): number[][] {
  return Array.from(
    { length: nslices },
    (_, z) => (kind === "T1map" ? molliTimes(z, seed) : t2PrepTimes()),
  );
}

/**
 * The csv beside a mapping file: a header row, then one row per weighting with a label in
 * column 0 and the time (ms) of each slice in the next columns (T1), or the preparation
 * time in column 1 (T2), as in the official data.
 */
export function mappingCsv(kind: "T1map" | "T2map", times: number[][]): string {
  if (kind === "T2map") {
    return ["Weighting,T2prep_ms", ...times[0].map((t, w) => `TE${w + 1},${t}`)].join("\n") + "\n";
  }
  const header = ["Weighting", ...times.map((_, z) => `Slice${String(z + 1).padStart(2, "0")}`)];
  const rows = times[0].map((_, w) => [`TI${w + 1}`, ...times.map((ts) => ts[w].toFixed(0))]);
  return [header, ...rows].map((r) => r.join(",")).join("\n") + "\n";
}

/**
 * One destination of a file being synthesised: a path and the mask applied (if any): `lines`
 * (ky lines sampled in every frame, 2023) or `mask` (a 0/1 mask with MATLAB dims `(kx, ky)`,
 * `planes` 1, or `(kx, ky, t)`, `planes` the file's frames: the 2024/2025 masks of
 * `masks_kt.ts`).
 */
export interface Target {
  /** The file being written. */
  writer: MatV73Writer;
  /** The k-space variable in it. */
  variable: string;
  /** Ky lines sampled in every frame, or null. */
  lines: Uint8Array | null;
  /** A mask per point (and per frame when `planes` > 1), applied when `lines` is null. */
  mask?: { data: Float32Array; planes: number };
}

/**
 * Renders one k-space file (and its label and true maps) into every target at once: the
 * fully sampled file and the undersampled ones share the same k-space.
 * K-space dims `(kx, ky, coil, slice, frame)`; labels `(x, y, slice, frame)` (cine) or
 * `(x, y, slice)` (mapping).
 */
export async function renderFile(
  patient: PhantomParams,
  kind: FileKind,
  geom: FileGeometry,
  ncoil: number,
  noise: number,
  seed: number,
  targets: Target[],
  times: number[][] | null,
  singleTargets: Target[] = [],
): Promise<{ label: Uint8Array; t1?: Float32Array; t2?: Float32Array }> {
  const { nx, ny, nslices, nframes } = geom;
  const npix = nx * ny;
  const dims = [nx, ny, ncoil, nslices, nframes];
  for (const t of targets) t.writer.createVariable(t.variable, { dims, complex: true });
  for (const t of singleTargets) {
    t.writer.createVariable(t.variable, { dims: [nx, ny, nslices, nframes], complex: true });
  }
  const mapping = kind === "T1map" || kind === "T2map";
  const label = new Uint8Array(npix * nslices * (mapping ? 1 : nframes));
  const t1 = mapping ? new Float32Array(npix * nslices) : undefined;
  const t2 = mapping ? new Float32Array(npix * nslices) : undefined;
  const coilImg = new Float32Array(2 * npix * ncoil);
  const masked = new Float32Array(2 * npix * ncoil);
  const singleImg = singleTargets.length ? new Float32Array(2 * npix) : null;
  const view = kind === "cine_sax" ? "sax" : null;
  for (let z = 0; z < nslices; z++) {
    const sens = coilMaps(ncoil, nx, ny, deriveSeed(seed, "coils", kind), z);
    let weighted: Float32Array | null = null;
    if (mapping) {
      const m = mappingImages(
        patient,
        kind === "T1map" ? "T1" : "T2",
        z,
        nslices,
        times![z],
        nx,
        ny,
      );
      weighted = m.images;
      label.set(m.label, z * npix);
      t1!.set(m.t1, z * npix);
      t2!.set(m.t2, z * npix);
    }
    for (let t = 0; t < nframes; t++) {
      let img: Float32Array;
      if (weighted) img = weighted.subarray(2 * npix * t, 2 * npix * (t + 1));
      else {
        const v = view ?? LAX_VIEWS[z % LAX_VIEWS.length];
        const f = cineFrame(patient, v, z, nslices, t, nframes, nx, ny);
        img = f.image;
        label.set(f.label, (z + nslices * t) * npix);
      }
      if (singleImg) {
        writeSingleCoil(
          img,
          sens,
          ncoil,
          nx,
          ny,
          noise,
          seed,
          kind,
          z,
          t,
          singleImg,
          singleTargets,
        );
      }
      if (targets.length === 0) continue;
      // Coil images: image x sensitivity, then to k-space, then noise.
      for (let c = 0; c < ncoil; c++) {
        const o = 2 * npix * c;
        for (let p = 0; p < npix; p++) {
          const ar = img[2 * p] * SCALE, ai = img[2 * p + 1] * SCALE;
          const br = sens[o + 2 * p], bi = sens[o + 2 * p + 1];
          coilImg[o + 2 * p] = ar * br - ai * bi;
          coilImg[o + 2 * p + 1] = ar * bi + ai * br;
        }
      }
      const k = fft2c(coilImg, nx, ny, ncoil, coilImg);
      const rng = new Rng(deriveSeed(seed, "noise", kind, z, t));
      const sd = noise * SCALE;
      for (let i = 0; i < k.length; i++) k[i] += sd * rng.gaussian();
      for (const target of targets) {
        let data = k;
        if (target.lines) {
          masked.fill(0);
          for (let c = 0; c < ncoil; c++) {
            for (let y = 0; y < ny; y++) {
              if (!target.lines[y]) continue;
              const o = 2 * (npix * c + nx * y);
              masked.set(k.subarray(o, o + 2 * nx), o);
            }
          }
          data = masked;
        } else if (target.mask) {
          const m = target.mask.data.subarray(
            target.mask.planes > 1 ? npix * t : 0,
            target.mask.planes > 1 ? npix * (t + 1) : npix,
          );
          for (let c = 0; c < ncoil; c++) {
            const o = 2 * npix * c;
            for (let p = 0; p < npix; p++) {
              const on = m[p] !== 0;
              masked[o + 2 * p] = on ? k[o + 2 * p] : 0;
              masked[o + 2 * p + 1] = on ? k[o + 2 * p + 1] : 0;
            }
          }
          data = masked;
        }
        target.writer.writeSlab(target.variable, [0, 0, 0, z, t], [nx, ny, ncoil, 1, 1], data);
      }
    }
    // Let progress output and signals through between slices.
    await new Promise((r) => setTimeout(r, 0));
  }
  return { label, t1, t2 };
}

/**
 * The emulated single-coil k-space of one (slice, frame): the coil images combined with the
 * coil maps, `sum_c conj(S_c) (S_c m) / sqrt(sum_c |S_c|^2) = m sqrt(sum_c |S_c|^2)` (the
 * phantom's complex image `m` weighted by the root-sum-of-squares of the maps: its magnitude
 * is the noiseless multi-coil RSS image, its phase the phantom's), taken to k-space with the
 * centred orthonormal FFT and given complex Gaussian noise of the same sd as one coil (the
 * combination weights have unit norm, so coil noise combines to that sd). The noise has its
 * own seed stream, so the multi-coil files are the same with or without single-coil ones.
 * Writes it (masked per target) at `(.., .., z, t)` of every single-coil target.
 */
function writeSingleCoil(
  img: Float32Array,
  sens: Float32Array,
  ncoil: number,
  nx: number,
  ny: number,
  noise: number,
  seed: number,
  kind: FileKind,
  z: number,
  t: number,
  buf: Float32Array,
  targets: Target[],
): void {
  const npix = nx * ny;
  for (let p = 0; p < npix; p++) {
    let w = 0;
    for (let c = 0; c < ncoil; c++) {
      const o = 2 * (npix * c + p);
      w += sens[o] * sens[o] + sens[o + 1] * sens[o + 1];
    }
    w = Math.sqrt(w) * SCALE;
    buf[2 * p] = img[2 * p] * w;
    buf[2 * p + 1] = img[2 * p + 1] * w;
  }
  const k = fft2c(buf, nx, ny, 1, buf);
  const rng = new Rng(deriveSeed(seed, "noise-single", kind, z, t));
  const sd = noise * SCALE;
  for (let i = 0; i < k.length; i++) k[i] += sd * rng.gaussian();
  const masked = new Float32Array(2 * npix);
  for (const target of targets) {
    let data = k;
    if (target.lines) {
      masked.fill(0);
      for (let y = 0; y < ny; y++) {
        if (target.lines[y]) masked.set(k.subarray(2 * nx * y, 2 * nx * (y + 1)), 2 * nx * y);
      }
      data = masked;
    }
    target.writer.writeSlab(target.variable, [0, 0, z, t], [nx, ny, 1, 1], data);
  }
}

/** Creates `path`, which must be absent or empty ({@link CmrxError} otherwise). */
export async function ensureEmptyDir(path: string): Promise<void> {
  try {
    for await (const _ of Deno.readDir(path)) {
      throw new CmrxError("output folder is not empty", {
        file: path,
        hint: "choose a new folder, or delete this one first",
      });
    }
  } catch (e) {
    if (e instanceof CmrxError) throw e;
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  await Deno.mkdir(path, { recursive: true });
}

/**
 * Writes a synthetic dataset in the official 2023 layout (multi-coil, single-coil with
 * `tracks`). See the module docs and README for the tree; returns what was written.
 *
 * @throws {CmrxError} when the output folder exists and is not empty, or `tracks` is empty
 */
export async function synthesize(opts: SynthOptions): Promise<SynthReport> {
  const size = opts.size ?? "small";
  const seed = opts.seed ?? 1;
  const npat = opts.patients ?? 2;
  const tasks = opts.tasks ?? ["cine", "mapping"];
  const splits = opts.splits ?? ["training", "validation"];
  const accs = opts.accs ?? [4, 8, 10];
  const ncoil = opts.coils ?? 10;
  const ncalib = opts.ncalib ?? 24;
  const noise = opts.noise ?? 0.01;
  const trackList = opts.tracks ?? ["MultiCoil"];
  if (trackList.length === 0) {
    throw new CmrxError("no coil track to write", {
      file: opts.out,
      hint: "pass tracks MultiCoil and/or SingleCoil (deno task synth --coil multi|single|both)",
    });
  }
  const root = opts.out.replace(/\/+$/, "");
  await ensureEmptyDir(root);
  const report: SynthReport = { root, files: 0, bytes: 0, kspaceFiles: [] };
  const note = async (path: string) => {
    const bytes = (await Deno.stat(path)).size;
    report.files++;
    report.bytes += bytes;
    opts.onFile?.(path, bytes);
  };
  for (const split of splits) {
    const sf = splitFolder(split);
    for (let p = 1; p <= npat; p++) {
      const pid = `P${String(p).padStart(3, "0")}`;
      const pseed = deriveSeed(seed, sf, p);
      const patient = phantomParams(pseed);
      for (const task of tasks) {
        const modality = task === "cine" ? "Cine" : "Mapping";
        // Per coil track: its folders (FullSample or ground truth first, then the AccFactor
        // folders) and its label folder.
        const trackDirs = (coil: "MultiCoil" | "SingleCoil") => {
          const base = `${root}/${coil}/${modality}/${sf}`;
          const fullDir = split === "training"
            ? `${base}/FullSample/${pid}`
            : `${root}/GroundTruth/${coil}/${modality}/${sf}/FullSample/${pid}`;
          return {
            dirs: [fullDir, ...accs.map((r) => `${base}/${accFolderName(r)}/${pid}`)],
            labelDir: `${root}/Labels/${coil}/${modality}/${sf}/${pid}`,
          };
        };
        const tracks = trackList.map((coil) => ({ coil, ...trackDirs(coil) }));
        for (const kind of kindsOf(task)) {
          const geom = GEOMETRY[size][kind];
          for (const { dirs, labelDir } of tracks) {
            for (const d of [...dirs, labelDir]) await Deno.mkdir(d, { recursive: true });
          }
          const times = kind === "T1map" || kind === "T2map"
            ? mappingTimes(kind, geom.nslices, pseed)
            : null;
          const targetsOf = { MultiCoil: [] as Target[], SingleCoil: [] as Target[] };
          const all = () => [...targetsOf.MultiCoil, ...targetsOf.SingleCoil];
          let out: Awaited<ReturnType<typeof renderFile>>;
          try {
            for (const { coil, dirs } of tracks) {
              const targets = targetsOf[coil];
              targets.push({
                writer: await MatV73Writer.create(`${dirs[0]}/${kind}.mat`),
                variable: EDITION_2023.kspaceVariable(coil, null),
                lines: null,
              });
              for (const [i, r] of accs.entries()) {
                targets.push({
                  writer: await MatV73Writer.create(`${dirs[i + 1]}/${kind}.mat`),
                  variable: EDITION_2023.kspaceVariable(coil, r),
                  lines: uniformLines(geom.ny, r, ncalib),
                });
              }
            }
            out = await renderFile(
              patient,
              kind,
              geom,
              ncoil,
              noise,
              pseed,
              targetsOf.MultiCoil,
              times,
              targetsOf.SingleCoil,
            );
            for (const t of all()) await t.writer.close();
          } catch (e) {
            for (const t of all()) await t.writer.abort();
            throw e;
          }
          for (const { coil, dirs, labelDir } of tracks) {
            for (const t of targetsOf[coil]) {
              await note(t.writer.path);
              report.kspaceFiles.push(t.writer.path.slice(root.length + 1));
            }
            const { nx, ny, nslices, nframes } = geom;
            const labelDims = times ? [nx, ny, nslices] : [nx, ny, nslices, nframes];
            const labelVars = [{
              name: "label",
              array: {
                dims: labelDims,
                matClass: "uint8" as const,
                complex: false,
                data: out.label,
              },
            }];
            if (out.t1 && out.t2) {
              for (const [name, data] of [["T1", out.t1], ["T2", out.t2]] as const) {
                labelVars.push({
                  name,
                  array: {
                    dims: [nx, ny, nslices],
                    matClass: "single" as never,
                    complex: false,
                    data: data as never,
                  },
                });
              }
            }
            await writeMatV73(`${labelDir}/${kind}_label.mat`, labelVars);
            await note(`${labelDir}/${kind}_label.mat`);
            for (const [i, r] of accs.entries()) {
              const maskPath = `${dirs[i + 1]}/${kind}_mask.mat`;
              await writeMatV73(maskPath, [{
                name: EDITION_2023.maskVariable(r),
                array: {
                  dims: [geom.nx, geom.ny],
                  matClass: "double",
                  complex: false,
                  data: Float64Array.from(uniformMask2d(geom.nx, geom.ny, r, ncalib)),
                },
              }]);
              await note(maskPath);
            }
            if (times) {
              for (const d of dirs) {
                await Deno.writeTextFile(
                  `${d}/${kind}.csv`,
                  mappingCsv(kind as "T1map" | "T2map", times),
                );
                await note(`${d}/${kind}.csv`);
              }
            }
          }
        }
      }
    }
  }
  return report;
}

/**
 * Writes a single fully sampled k-space file (`kspace_full`) of one kind and size: what
 * benchmarks need without a whole dataset.
 *
 * @param path the MAT v7.3 file to write
 * @param kind which file (its sizes come from {@link GEOMETRY})
 * @param size `small` or `full`
 * @param seed phantom seed (default 1)
 * @param ncoil coils (default 10)
 */
export async function synthesizeKspaceFile(
  path: string,
  kind: FileKind,
  size: SynthSize,
  seed = 1,
  ncoil = 10,
): Promise<void> {
  const geom = GEOMETRY[size][kind];
  const patient = phantomParams(seed);
  const writer = await MatV73Writer.create(path);
  const times = kind === "T1map" || kind === "T2map"
    ? mappingTimes(kind, geom.nslices, seed)
    : null;
  try {
    await renderFile(patient, kind, geom, ncoil, 0.01, seed, [
      { writer, variable: "kspace_full", lines: null },
    ], times);
  } catch (e) {
    await writer.abort();
    throw e;
  }
  await writer.close();
}
