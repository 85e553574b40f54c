/**
 * Synthetic CMRxRecon 2024 and 2025 datasets in the trees as released
 * (the challenge format reference's sections 1.2, 2 and 7), made from the same phantom,
 * coil maps and noise as the 2023 dataset (`dataset.ts`: {@link renderFile}) and masked with
 * the editions' sampling masks (`kspace/masks_kt.ts`: {@link ktMask}, {@link KT_EDITIONS}).
 * Undersampled files hold exactly `kspace .* mask` (the mask of each frame in frame t).
 *
 * 2024 (`MultiCoil` only):
 * ```
 * <out>/MultiCoil/{Cine,Mapping}/TrainingSet/FullSample/Pxxx/{stem}.mat          kspace_full
 * <out>/MultiCoil/{Cine,Mapping}/TrainingSet/Mask_Task1/Pxxx/{stem}_mask_Uniform{R}.mat
 * <out>/MultiCoil/{Cine,Mapping}/TrainingSet/Mask_Task2/Pxxx/{stem}_mask_{ktPattern}{R}.mat
 * <out>/MultiCoil/{Cine,Mapping}/ValidationSet/UnderSample_TaskN/Pxxx/{stem}_kus_{Pattern}{R}.mat
 * <out>/MultiCoil/{Cine,Mapping}/ValidationSet/Mask_TaskN/Pxxx/{stem}_mask_{Pattern}{R}.mat
 * <out>/GroundTruth/MultiCoil/{Cine,Mapping}/ValidationSet/FullSample/Pxxx/{stem}.mat
 * ```
 * 2025 (the training set is shared by the four tasks):
 * ```
 * <out>/MultiCoil/{Cine,Mapping}/TrainingSet/FullSample/CenterNNN/Vendor/Pxxx/{stem}.mat  kspace
 * <out>/MultiCoil/{Cine,Mapping}/TrainingSet/Mask_TaskAll/CenterNNN/Vendor/Pxxx/{stem}_mask_{P}{R}.mat
 * <out>/TaskR1/MultiCoil/{Cine,Mapping}/ValidationSet/UnderSample_TaskR1/CenterNNN/Vendor/Pxxx/...
 * <out>/TaskR1/MultiCoil/{Cine,Mapping}/ValidationSet/Mask_TaskR1/CenterNNN/Vendor/Pxxx/...
 * <out>/GroundTruth/TaskR1/MultiCoil/{Cine,Mapping}/ValidationSet/FullSample/CenterNNN/Vendor/Pxxx/
 * ```
 * with `{stem}_info.csv` beside every k-space file (2025).
 *
 * @module
 */

import type { Split } from "../challenge/edition.ts";
import { EDITION_2024, EDITION_2025 } from "../challenge/editions/mod.ts";
import { splitFolder } from "../challenge/paths.ts";
import { CmrxError } from "../errors.ts";
import { KT_EDITIONS, ktMask, type KtPattern } from "../kspace/masks_kt.ts";
import { MatV73Writer, writeMatV73 } from "../mat/v73/write.ts";
import {
  ensureEmptyDir,
  type FileKind,
  GEOMETRY,
  kindsOf,
  mappingTimes,
  renderFile,
  type SynthReport,
  type SynthSize,
  type Target,
} from "./dataset.ts";
import { phantomParams } from "./phantom/mod.ts";
import { deriveSeed, Rng } from "./random.ts";

/** The editions {@link synthesizeEdition} writes. */
export type SynthEdition = 2024 | 2025;

/** The four tasks of 2025, each with its own validation (and test) set. */
export const TASKS_2025 = ["TaskR1", "TaskR2", "TaskS1", "TaskS2"] as const;

/** A 2025 task folder. */
export type Task2025 = typeof TASKS_2025[number];

/**
 * The synthetic centre and vendor folders of 2025 (`CenterNNN/{Vendor}_{Field}T_{Model}`, the
 * released pattern, e.g. `UIH_30T_umr780`); patient `k` (1-based) goes to entry
 * `(k - 1) mod 3`. The names are made up.
 */
export const SITES_2025: readonly { center: string; vendor: string }[] = [
  { center: "Center001", vendor: "Siemens_30T_Vida" },
  { center: "Center002", vendor: "Philips_15T_Ingenia" },
  { center: "Center003", vendor: "UIH_30T_umr780" },
];

/**
 * The made-up diseases of the synthetic 2025 case table (patient `k` gets entry
 * `(k - 1) mod 3`): the phantoms have no disease; the names only group the files as the
 * organisers' disease table groups TaskR2/S1/S2.
 */
export const SYNTH_DISEASES_2025 = ["SynthHealthy", "SynthDiseaseA", "SynthDiseaseB"] as const;

/** The synthetic 2025 case table's name, written under `GroundTruth/`. */
export const GROUP_TABLE_2025 = "GroupTable.csv";

/**
 * The synthetic stand-in for the organisers' 2025 disease-info workbook, as csv (the columns
 * `deno task score --cases` reads): one row per task folder and patient with its centre,
 * vendor and made-up disease ({@link SYNTH_DISEASES_2025}).
 */
export function groupTableCsv(tasks: readonly string[], patients: number): string {
  const rows = ["Task,Center,Manufacturer,AnonPatientID,Disease1"];
  for (const t of tasks) {
    for (let p = 1; p <= patients; p++) {
      const site = SITES_2025[(p - 1) % SITES_2025.length];
      const d = SYNTH_DISEASES_2025[(p - 1) % SYNTH_DISEASES_2025.length];
      rows.push(`${t},${site.center},${site.vendor},P${String(p).padStart(3, "0")},${d}`);
    }
  }
  return rows.join("\n") + "\n";
}

/**
 * One file of a modality beyond cine and mapping: its stem, the phantom file it is rendered
 * like (`kind`: images, coil maps and in-plane size), its slices, and its frames (`null`: a
 * single-frame 4-D file `(kx, ky, coil, slice)`).
 */
export interface ExtraFile {
  /** File stem (`aorta_sag`). */
  stem: string;
  /** The phantom file it is rendered like. */
  kind: FileKind;
  /** Slices. */
  nslices: number;
  /** Frames, or null for a 4-D file without frames. */
  nframes: number | null;
}

/**
 * The modalities of each edition that `synthesizeEdition` writes besides Cine and Mapping
 * (the `modalities` option; `deno task synth --modalities`): modality folder (or a stem of
 * the Cine or Mapping folder: 2024 `LVOT`, `cine_lvot`; 2025 `T2smap`, `T1mappost`) -> folder
 * and files. The images are the cine (mapping) phantom's (the pipeline does not depend on
 * what the images show). Stems follow the challenge format reference (§9: the 2024 stems,
 * the 2025 cine and mapping stems); the reference does not give the 2025 stems of the other
 * modalities, so they are the lower-cased modality, or `T1w`, `T2w` and `T1rho`. The slice
 * and frame counts are small choices of cmrxkit, not the organisers'.
 */
export const EXTRA_MODALITIES: Readonly<
  Record<SynthEdition, Readonly<Record<string, { folder: string; files: readonly ExtraFile[] }>>>
> = {
  2024: {
    Aorta: {
      folder: "Aorta",
      files: [
        { stem: "aorta_sag", kind: "cine_lax", nslices: 2, nframes: 6 },
        { stem: "aorta_tra", kind: "cine_lax", nslices: 3, nframes: 6 },
      ],
    },
    Tagging: {
      folder: "Tagging",
      files: [{ stem: "tagging", kind: "cine_sax", nslices: 3, nframes: 6 }],
    },
    LVOT: {
      folder: "Cine",
      files: [{ stem: "cine_lvot", kind: "cine_lax", nslices: 2, nframes: 6 }],
    },
    Flow2d: {
      folder: "Flow2d",
      files: [{ stem: "flow2d", kind: "cine_lax", nslices: 2, nframes: 6 }],
    },
    BlackBlood: {
      folder: "BlackBlood",
      files: [{ stem: "blackblood", kind: "cine_sax", nslices: 3, nframes: null }],
    },
  },
  2025: {
    BlackBlood: {
      folder: "BlackBlood",
      files: [{ stem: "blackblood", kind: "cine_sax", nslices: 3, nframes: null }],
    },
    T1w: { folder: "T1w", files: [{ stem: "T1w", kind: "cine_sax", nslices: 3, nframes: null }] },
    T2w: { folder: "T2w", files: [{ stem: "T2w", kind: "cine_sax", nslices: 3, nframes: null }] },
    Flow2d: {
      folder: "Flow2d",
      files: [{ stem: "flow2d", kind: "cine_lax", nslices: 2, nframes: 6 }],
    },
    LGE: { folder: "LGE", files: [{ stem: "lge", kind: "cine_sax", nslices: 3, nframes: 3 }] },
    Perfusion: {
      folder: "Perfusion",
      files: [{ stem: "perfusion", kind: "cine_sax", nslices: 3, nframes: 8 }],
    },
    T1rho: {
      folder: "T1rho",
      files: [{ stem: "T1rho", kind: "cine_sax", nslices: 2, nframes: 5 }],
    },
    T2smap: {
      folder: "Mapping",
      files: [{ stem: "T2smap", kind: "T2map", nslices: 2, nframes: 3 }],
    },
    T1mappost: {
      folder: "Mapping",
      files: [{ stem: "T1mappost", kind: "T1map", nslices: 2, nframes: 9 }],
    },
  },
};

/** One file `synthesizeEdition` writes in a modality folder. */
interface FileSpec {
  stem: string;
  kind: FileKind;
  geom: typeof GEOMETRY.small[FileKind];
  /** A single-frame 4-D file `(kx, ky, coil, slice)`. */
  fourD: boolean;
}

/** The modality folders and files to write: `tasks` (Cine, Mapping), then `modalities`. */
function folderPlan(
  edition: SynthEdition,
  tasks: readonly ("cine" | "mapping")[],
  modalities: readonly string[],
  size: SynthSize,
  out: string,
): { modality: string; files: FileSpec[] }[] {
  const plan = tasks.map((task): { modality: string; files: FileSpec[] } => ({
    modality: task === "cine" ? "Cine" : "Mapping",
    files: kindsOf(task).map((kind) => ({
      stem: kind,
      kind,
      geom: GEOMETRY[size][kind],
      fourD: false,
    })),
  }));
  const table = EXTRA_MODALITIES[edition];
  for (const m of modalities) {
    const extra = table[m];
    if (!extra) {
      throw new CmrxError(`no modality '${m}' in the ${edition} synthetic data`, {
        file: out,
        hint: `use ${Object.keys(table).join(", ")} (or all)`,
      });
    }
    const files = extra.files.map((f) => ({
      stem: f.stem,
      kind: f.kind,
      geom: { ...GEOMETRY[size][f.kind], nslices: f.nslices, nframes: f.nframes ?? 1 },
      fourD: f.nframes === null,
    }));
    const same = plan.find((p) => p.modality === extra.folder);
    if (same) same.files.push(...files);
    else plan.push({ modality: extra.folder, files });
  }
  return plan;
}

/**
 * A writer that writes a 5-D `(kx, ky, coil, slice, 1)` variable as the 4-D
 * `(kx, ky, coil, slice)` the single-frame files of the challenge hold.
 */
function fourDWriter(w: MatV73Writer): MatV73Writer {
  return new Proxy(w, {
    get(target, prop) {
      if (prop === "createVariable") {
        return (name: string, o: Parameters<MatV73Writer["createVariable"]>[1]) =>
          target.createVariable(name, { ...o, dims: o.dims.slice(0, 4) });
      }
      if (prop === "writeSlab") {
        return (...[name, start, count, data]: Parameters<MatV73Writer["writeSlab"]>) =>
          target.writeSlab(name, start.slice(0, 4), count.slice(0, 4), data);
      }
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

/** Options of {@link synthesizeEdition}. */
export interface EditionSynthOptions {
  /** The edition whose tree to write. */
  edition: SynthEdition;
  /** Output folder (created; must be empty or absent). */
  out: string;
  /** File sizes (`dataset.ts` `GEOMETRY`; default `small`). */
  size?: SynthSize;
  /** Dataset seed; the same seed gives the same bytes (default 1). */
  seed?: number;
  /** Patients per split (and per 2025 task; default 2). */
  patients?: number;
  /** Tasks to write (default both: `Cine` and `Mapping`). */
  tasks?: ("cine" | "mapping")[];
  /**
   * The edition's other modalities to write besides `tasks` ({@link EXTRA_MODALITIES}: e.g.
   * `Aorta`, `Tagging`, `BlackBlood`; default none), from the same phantom.
   */
  modalities?: readonly string[];
  /** Splits (default training and validation); the non-training ones get a GroundTruth root. */
  splits?: Split[];
  /** 2025: the task folders of the validation (test) sets (default all four). */
  tasks2025?: readonly Task2025[];
  /**
   * Accelerations. Default: the edition's (`KT_EDITIONS`): the training masks at every R, and
   * in the validation set 2024 Task 1 at R 4, 8 and 10, one R per pattern and file drawn from
   * the seed (2024 Task 2), and one pattern and one R per file (2025, whose scorer expects one
   * submitted file per ground-truth file). Given: every pattern at every listed R, everywhere.
   */
  accs?: number[];
  /** Coils (default 10). */
  coils?: number;
  /** Complex noise sd relative to tissue intensity (default 0.01). */
  noise?: number;
  /** Called after each file. */
  onFile?: (path: string, bytes: number) => void;
}

/** The file-name spelling of a pattern: `uniform` -> `Uniform`. */
export function patternName(p: KtPattern): string {
  return p === "uniform" ? "Uniform" : p;
}

/** One mask set of an edition: the folder suffix (`Task1`), patterns, accelerations, ACS, rank. */
interface MaskSet {
  task: string;
  patterns: readonly KtPattern[];
  accelerations: readonly number[];
  acs: number;
  /** 2-D `(kx, ky)` masks (2024 Task 1) or 3-D `(kx, ky, t)`. */
  twoD: boolean;
  /** In the validation set: every R (2024 Task 1), or one R per pattern and file. */
  everyR: boolean;
  /** In the validation set: one pattern per file (2025), else every pattern. */
  onePattern: boolean;
}

function maskSets(edition: SynthEdition, task2025?: string): MaskSet[] {
  if (edition === 2024) {
    const k = KT_EDITIONS[2024];
    return [
      { task: "Task1", ...k.task1, twoD: true, everyR: true, onePattern: false },
      { task: "Task2", ...k.task2, twoD: false, everyR: false, onePattern: false },
    ];
  }
  const k = KT_EDITIONS[2025].all;
  return [{ task: task2025 ?? "TaskAll", ...k, twoD: false, everyR: false, onePattern: true }];
}

/** One (pattern, R) mask of a file and the files it goes to. */
interface MaskJob {
  pattern: KtPattern;
  acc: number;
  set: MaskSet;
  maskPath: string;
  kusPath?: string;
}

/** Where one fully sampled file of a patient goes, and its masks and undersampled copies. */
interface FilePlan {
  /** Folder of the fully sampled file (FullSample or GroundTruth). */
  fullDir: string;
  /** The masks and kus files. */
  jobs: MaskJob[];
  /** 2025: the folders that get `{stem}_info.csv`. */
  infoDirs: string[];
  /** 2025: centre and vendor. */
  site?: { center: string; vendor: string };
}

/**
 * The `{stem}_info.csv` cmrxkit writes beside each 2025 k-space file. The reference does not
 * give the organisers' columns, so this holds the minimum: the file stem, centre and vendor
 * folder names, and the MATLAB dims of the k-space (`nx,ny,ncoil,nslice,nframe`).
 */
export function infoCsv(
  stem: string,
  site: { center: string; vendor: string },
  dims: readonly number[],
): string {
  return "name,center,vendor,nx,ny,ncoil,nslice,nframe\n" +
    [stem, site.center, site.vendor, ...dims].join(",") + "\n";
}

/**
 * Writes a synthetic dataset in the CMRxRecon 2024 or 2025 tree (see the module docs);
 * returns what was written. Deterministic for a seed.
 *
 * @throws {CmrxError} when the output folder exists and is not empty, or an option is empty
 */
export async function synthesizeEdition(opts: EditionSynthOptions): Promise<SynthReport> {
  const { edition } = opts;
  const size = opts.size ?? "small";
  const seed = opts.seed ?? 1;
  const npat = opts.patients ?? 2;
  const tasks = opts.tasks ?? ["cine", "mapping"];
  const splits = opts.splits ?? ["training", "validation"];
  const tasks2025 = opts.tasks2025 ?? TASKS_2025;
  const folders = folderPlan(edition, tasks, opts.modalities ?? [], size, opts.out);
  const ncoil = opts.coils ?? 10;
  const noise = opts.noise ?? 0.01;
  if (folders.length === 0 || splits.length === 0 || (edition === 2025 && !tasks2025.length)) {
    throw new CmrxError("nothing to write: no task, split or 2025 task folder", {
      file: opts.out,
      hint: "give at least one of each (deno task synth --edition 2025 --task both)",
    });
  }
  const ed = edition === 2024 ? EDITION_2024 : EDITION_2025;
  const root = opts.out.replace(/\/+$/, "");
  await ensureEmptyDir(root);
  const report: SynthReport = { root, files: 0, bytes: 0, kspaceFiles: [] };
  const note = async (path: string, kspace = false) => {
    const bytes = (await Deno.stat(path)).size;
    report.files++;
    report.bytes += bytes;
    if (kspace) report.kspaceFiles.push(path.slice(root.length + 1));
    opts.onFile?.(path, bytes);
  };

  // One "group" per (task folder above MultiCoil, split): 2024 has none; 2025 has none for
  // training and one per task for the other splits.
  const groups: { top: string; split: Split; task2025?: Task2025 }[] = [];
  for (const split of splits) {
    if (edition === 2025 && split !== "training") {
      for (const t of tasks2025) groups.push({ top: `${t}/`, split, task2025: t });
    } else groups.push({ top: "", split });
  }

  for (const { top, split, task2025 } of groups) {
    const sf = splitFolder(split);
    const training = split === "training";
    for (let p = 1; p <= npat; p++) {
      const pid = `P${String(p).padStart(3, "0")}`;
      const pseed = task2025 ? deriveSeed(seed, task2025, sf, p) : deriveSeed(seed, sf, p);
      const patient = phantomParams(pseed);
      const site = edition === 2025 ? SITES_2025[(p - 1) % SITES_2025.length] : undefined;
      const below = site ? `${site.center}/${site.vendor}/${pid}` : pid;
      for (const { modality, files } of folders) {
        const base = `${root}/${top}MultiCoil/${modality}/${sf}`;
        for (const file of files) {
          const kind = file.stem;
          const fullDir = training
            ? `${base}/FullSample/${below}`
            : `${root}/GroundTruth/${top}MultiCoil/${modality}/${sf}/FullSample/${below}`;
          const plan: FilePlan = { fullDir, jobs: [], infoDirs: site ? [fullDir] : [], site };
          const rng = new Rng(deriveSeed(pseed, "acc", kind));
          for (const set of maskSets(edition, task2025)) {
            const maskDir = `${base}/Mask_${set.task}/${below}`;
            const kusDir = `${base}/UnderSample_${set.task}/${below}`;
            if (!training && site) plan.infoDirs.push(kusDir);
            // 2025's scorer counts one submitted file per ground-truth file (its Num_Files and
            // adjusted means divide by the ground-truth count), so a 2025 validation (test)
            // file is given at one pattern and one R, both drawn from the seed
            const patterns = !training && !opts.accs && set.onePattern
              ? [set.patterns[rng.int(0, set.patterns.length)]]
              : set.patterns;
            for (const pattern of patterns) {
              const rs = opts.accs
                ? opts.accs
                : training || set.everyR
                ? set.accelerations
                : [set.accelerations[rng.int(0, set.accelerations.length)]];
              for (const acc of rs) {
                const name = `${patternName(pattern)}${acc}`;
                plan.jobs.push({
                  pattern,
                  acc,
                  set,
                  maskPath: `${maskDir}/${kind}_mask_${name}.mat`,
                  ...(training ? {} : { kusPath: `${kusDir}/${kind}_kus_${name}.mat` }),
                });
              }
            }
          }
          await writePlan(plan, file, pseed, patient, ed.kspaceVariable, ncoil, noise, note);
        }
      }
    }
  }
  if (edition === 2025 && groups.some((g) => g.task2025)) {
    // The case table 2025 scoring groups by (synthetic: the organisers' is an Excel file).
    const path = `${root}/GroundTruth/${GROUP_TABLE_2025}`;
    await Deno.writeTextFile(path, groupTableCsv(tasks2025, npat));
    await note(path);
  }
  return report;
}

/** Renders one file of a patient into its fully sampled and undersampled copies, and masks. */
async function writePlan(
  plan: FilePlan,
  file: FileSpec,
  pseed: number,
  patient: ReturnType<typeof phantomParams>,
  kspaceVariable: (coil: "MultiCoil", acc: number | null) => string,
  ncoil: number,
  noise: number,
  note: (path: string, kspace?: boolean) => Promise<void>,
): Promise<void> {
  const { stem: kind, geom, fourD } = file;
  // Files beyond cine and mapping are rendered like a phantom file, with their own seed.
  const seed = kind === file.kind ? pseed : deriveSeed(pseed, kind);
  const open = async (path: string) => {
    const w = await MatV73Writer.create(path);
    return fourD ? fourDWriter(w) : w;
  };
  const { nx, ny, nframes } = geom;
  const dirs = new Set([plan.fullDir, ...plan.jobs.flatMap((j) => [dirOf(j.maskPath)])]);
  for (const j of plan.jobs) if (j.kusPath) dirs.add(dirOf(j.kusPath));
  for (const d of dirs) await Deno.mkdir(d, { recursive: true });
  const masks = plan.jobs.map((j) => {
    const nt = j.set.twoD ? 1 : nframes;
    const data = ktMask({
      pattern: j.pattern,
      nx,
      ny,
      nt,
      acc: j.acc,
      acs: j.set.acs,
      seed: deriveSeed(pseed, "mask", kind, j.set.task, j.pattern, j.acc),
    });
    return { job: j, data, nt };
  });
  const targets: Target[] = [];
  try {
    targets.push({
      writer: await open(`${plan.fullDir}/${kind}.mat`),
      variable: kspaceVariable("MultiCoil", null),
      lines: null,
    });
    for (const m of masks) {
      if (!m.job.kusPath) continue;
      targets.push({
        writer: await open(m.job.kusPath),
        variable: kspaceVariable("MultiCoil", m.job.acc),
        lines: null,
        mask: { data: m.data, planes: m.nt },
      });
    }
    const times = file.kind === "T1map" || file.kind === "T2map"
      ? mappingTimes(file.kind, geom.nslices, seed)
      : null;
    await renderFile(patient, file.kind, geom, ncoil, noise, seed, targets, times);
    for (const t of targets) await t.writer.close();
  } catch (e) {
    for (const t of targets) await t.writer.abort();
    throw e;
  }
  for (const t of targets) await note(t.writer.path, true);
  for (const m of masks) {
    await writeMatV73(m.job.maskPath, [{
      name: "mask",
      array: {
        dims: m.nt === 1 ? [nx, ny] : [nx, ny, m.nt],
        matClass: "uint8",
        complex: false,
        data: Uint8Array.from(m.data),
      },
    }]);
    await note(m.job.maskPath);
  }
  if (plan.site) {
    const dims = [nx, ny, ncoil, geom.nslices, nframes]; // nframe 1 for a 4-D file
    for (const d of plan.infoDirs) {
      const path = `${d}/${kind}_info.csv`;
      await Deno.writeTextFile(path, infoCsv(kind, plan.site, dims));
      await note(path);
    }
  }
}

function dirOf(path: string): string {
  return path.slice(0, path.lastIndexOf("/"));
}
