/**
 * CMRxRecon 2024 (`CMRxRecon2024`): six modalities (Cine, Mapping, Aorta, Tagging,
 * BlackBlood, Flow2d), k-t patterns (Uniform, ktUniform, ktGaussian, ktRadial), files
 * `{stem}_kus_{Pattern}{R}.mat` with variable `kus`. What cmrxkit knows of it today: the
 * reduction's frame rule, the scorer's z-score normalisation and argument order, the
 * submission path grammar (written by `submit`, checked by `validate`, zipped by `pack`
 * at the archive root where the scorer reads it) and the limits.
 *
 * @module
 */

import type { Edition, EditionLayout, TestSet, ViewSize } from "../edition.ts";
import { cineMappingViews, viewOfStem } from "./views.ts";

/**
 * A view whose size the organisers did not publish: the 2023 cine LAX in-plane size and
 * frames (448 x 204, 12 frames), 10 coils, `nz` slices: an assumption, named in the basis.
 */
const ASSUMED_LAX_LIKE = (nz: number, nt = 12): ViewSize => ({ nx: 448, ny: 204, nc: 10, nz, nt });

/**
 * The 2024 test set for the time budget, one challenge task (TaskN) at a time: 70 test
 * subjects (reference §7, `CMRxRecon2024:README.md`); 3 undersampled files per fully sampled
 * file in each task (Task 1: Uniform 4/8/10; Task 2: one R per ktUniform / ktGaussian /
 * ktRadial, as in validation, `2024/FAQ.html` #4). Only the SAX size is published (the
 * official `ShowCase.ipynb` on 2024 data: 512 x 246, 10 coils, 11 slices, 12 frames); the
 * rest is assumed, and `basis` says so.
 */
const TEST_SET: TestSet = {
  files: {
    lax: 70,
    sax: 70,
    cine_lvot: 70,
    aorta_sag: 70,
    aorta_tra: 70,
    tagging: 70,
    flow2d: 70,
    blackblood: 70,
    T1: 70,
    T2: 70,
  },
  accs: [4, 8, 10],
  versions: 3,
  sizes: {
    sax: { nx: 512, ny: 246, nc: 10, nz: 11, nt: 12 },
    lax: ASSUMED_LAX_LIKE(3),
    cine_lvot: ASSUMED_LAX_LIKE(1),
    aorta_sag: ASSUMED_LAX_LIKE(1),
    aorta_tra: ASSUMED_LAX_LIKE(1),
    tagging: ASSUMED_LAX_LIKE(1),
    flow2d: ASSUMED_LAX_LIKE(1),
    blackblood: ASSUMED_LAX_LIKE(1, 1),
    T1: { nx: 448, ny: 162, nc: 10, nz: 6, nt: 9 },
    T2: { nx: 448, ny: 162, nc: 10, nz: 6, nt: 3 },
  },
  taskOf: {
    lax: "cine",
    sax: "cine",
    cine_lvot: "cine",
    aorta_sag: "cine",
    aorta_tra: "cine",
    tagging: "cine",
    flow2d: "cine",
    blackblood: "cine",
    T1: "mapping",
    T2: "mapping",
  },
  basis: "2024 test set, one challenge task (TaskN): 70 test subjects (CMRxRecon2024 README), " +
    "3 undersampled files per file (Task 1 Uniform 4/8/10; Task 2 one R per k-t pattern, " +
    "assumed as in validation); ASSUMED: one file per view per subject (not published), " +
    "sizes not published except SAX (512x246, 10 coils, 11 slices, 12 frames, official " +
    "ShowCase.ipynb): LAX 3 views and T1/T2 maps as 2023's, cine_lvot, aorta_sag, aorta_tra, " +
    "tagging and flow2d as one 2023 LAX view (448x204, 12 frames, 10 coils), blackblood one " +
    "448x204 slice of 1 frame",
};

const MODALITIES = ["Aorta", "BlackBlood", "Cine", "Flow2d", "Mapping", "Tagging"];

/**
 * The 2024 tree: `<root>/MultiCoil/{Modality}/{Split}/UnderSample_TaskN/Pxxx/
 * {name}_kus_{Pattern}{R}.mat`; a submission has no coil level:
 * `{Modality}/{Split}/TaskN/Pxxx/{name}_kus_{Pattern}{R}.mat`.
 */
const LAYOUT: EditionLayout = {
  modalities: MODALITIES,
  inputExample: ".../UnderSample_Task1/P001/cine_sax_kus_Uniform4.mat",
  submission: "{Modality}/{ValidationSet|TestSet}/TaskN/Pxxx/{name}_kus_{Pattern}{R}.mat",
  submissionLevels: ["modality", "split", "task", "patient"],
  submissionFile: { kind: "kus" },
  modalityFix: `use ${MODALITIES.join(", ")}`,
  explainsNames: false,
  signature: "modality folders, no MultiCoil level",
  extraFiles: "warning",
  archive: {
    layout: "root",
    reason: "the 2024 scorer (Val_Score2024.py) reads <extracted zip>/{Modality}/ValidationSet/" +
      "TaskN/... (reference §3.6)",
    warning: "the 2024 documents conflict on the archive: (1) the Submission Readme's tree " +
      "{Modality}/ValidationSet/TaskN/Pxxx/... with no MultiCoil level; (2) the official " +
      "template zips add a top folder (Task1/..., Submission/Task1.zip); (3) the archive is " +
      "named Submission.zip, which suggests a Submission/ top folder. cmrxkit follows the " +
      "scorer, which reads {Modality}/ at the zip root: check the current instructions of the " +
      "platform you upload to",
  },
};

/** The 2024 edition (partial: see the module docs). */
export const EDITION_2024: Edition = {
  year: 2024,
  title: "CMRxRecon 2024",
  views: cineMappingViews,
  viewOf: viewOfStem,
  kspaceVariable: (_coil, acc) => acc === null ? "kspace_full" : "kus",
  maskVariable: () => "mask",
  layout: LAYOUT,
  frameRule: (name, mapping) => {
    const n = name.toLowerCase();
    if (n.includes("blackblood")) return "single";
    if (mapping || n.includes("t1map") || n.includes("t2map")) return "all";
    return "first3";
  },
  reduces: (split) => split !== "test",
  metrics: { normalisation: "zscore", swapsArgumentsFor4d: true },
  aggregation: "2024",
  limits: {
    gpuMemoryBytes: 32 * 1024 ** 3,
    gpu: "Tesla V100 (32 GB)",
    secondsPerTask: 12 * 3600,
    source: "cmrxrecon.github.io 2024 Join-the-Challenge page: 12 hours per task " +
      "(its FAQ #8 says 4 hours: the pages conflict)",
    conflict: "the 2024 pages conflict: 12 h per task on the Join-the-Challenge page, 4 h in " +
      "FAQ #8; cmrxkit uses 12 h: pass a 4h time limit to hold the run to the FAQ's figure",
  },
  testSet: TEST_SET,
  supports: { submit: true, validate: true, score: true },
  unsupported: "",
};
