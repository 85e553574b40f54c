/**
 * CMRxRecon 2025: multi-centre, multi-vendor, tasks R1/R2/S1/S2, fully sampled variable
 * `kspace`, `{stem}_info.csv` beside each file: the reduction's frame rule, the scorer's
 * 99.5th-percentile normalisation and argument order, the submission layout (written by
 * `submit`, checked by `validate`, where any extra file is an error, zipped by `pack`) and the
 * limits.
 *
 * @module
 */

import type { Edition, EditionLayout, TestSet } from "../edition.ts";
import { cineMappingViews, viewOfStem } from "./views.ts";

const MAP = { nx: 448, ny: 162, nc: 10, nz: 6 };

/**
 * The 2025 test set for the time budget, one challenge task at a time: 300 test subjects
 * over four tasks (reference §7, `CMRxRecon2025:README.md`); how they split over the tasks,
 * the files per subject and every size are not published, so all of it is an assumption
 * (an upper bound on the subjects), named in `basis`. Only cine and mapping are counted.
 */
const TEST_SET: TestSet = {
  files: {
    sax: 300,
    lax: 300,
    T1: 300,
    T2: 300,
    T2smap: 300,
    T1mappost: 300,
  },
  accs: [8, 16, 24],
  versions: 1,
  sizes: {
    sax: { nx: 512, ny: 246, nc: 10, nz: 10, nt: 12 },
    lax: { nx: 448, ny: 204, nc: 10, nz: 3, nt: 12 },
    T1: { ...MAP, nt: 9 },
    T2: { ...MAP, nt: 3 },
    T2smap: { ...MAP, nt: 9 },
    T1mappost: { ...MAP, nt: 9 },
  },
  taskOf: {
    sax: "cine",
    lax: "cine",
    T1: "mapping",
    T2: "mapping",
    T2smap: "mapping",
    T1mappost: "mapping",
  },
  basis: "2025 test set, one challenge task (TaskR1/R2/S1/S2): 300 test subjects over four " +
    "tasks (CMRxRecon2025 README); ASSUMED: all 300 in the task (an upper bound: the split " +
    "over the tasks is not published), one file per view per subject, one pattern and R per " +
    "file (as in validation), sizes not published: as 2023's (SAX 512x246, 10 slices, 12 " +
    "frames; LAX 3 views of 448x204, one cine_lax file or cine_lax_2ch/3ch/4ch of one view each, the same work; T1map, T2smap and T1mappost 448x162, 6 " +
    "slices, 9 weightings; T2map 3), 10 coils; only cine and mapping counted (BlackBlood, " +
    "Flow2d, LGE, Perfusion, T1rho, T1w, T2w not)",
};

/** The modality folders the 2025 scorer globs (`Val_Score2025.py`; reference §3.5). */
const MODALITIES = [
  "BlackBlood",
  "Cine",
  "Flow2d",
  "LGE",
  "Mapping",
  "Perfusion",
  "T1rho",
  "T1w",
  "T2w",
];

const SUBMISSION = "{TaskR1|TaskR2|TaskS1|TaskS2}/MultiCoil/{Modality}/{ValidationSet|TestSet}/" +
  "UnderSample_{Task}/{Center}/{Vendor}/Pxxx/{name}_kus_{Pattern}{R}.mat";

/**
 * The 2025 tree (reference §1.2, §3.5): inputs `<root>/{Task}/MultiCoil/{Modality}/{Split}/
 * UnderSample_{Task}/{Center}/{Vendor}/Pxxx/{name}_kus_{Pattern}{R}.mat` (the training set at
 * `<root>/MultiCoil/...`); a submission keeps the task folder, the coil level and the
 * centre / vendor levels (`CMRxRecon2025:Submission/Readme.md`).
 */
const LAYOUT: EditionLayout = {
  modalities: MODALITIES,
  inputExample: "<root>/{TaskR1|TaskR2|TaskS1|TaskS2}/MultiCoil/{Modality}/ValidationSet/" +
    "UnderSample_TaskR1/Center001/{Vendor}/P001/cine_sax_kus_ktGaussian8.mat",
  submission: SUBMISSION,
  submissionLevels: [
    "challengeTask",
    "coil",
    "modality",
    "split",
    "undersample",
    "center",
    "vendor",
    "patient",
  ],
  submissionFile: { kind: "kus" },
  modalityFix: `use ${MODALITIES.join(", ")}`,
  explainsNames: false,
  signature: "task folders (TaskR1, ...) at the top",
  extraFiles: "error",
  archive: {
    layout: "submission",
    reason: "the 2025 scorer (Val_Score2025.py) walks the extracted zip for the first folder " +
      "directly holding TaskR1/ or TaskR2/ and globs below it",
  },
};

/** The 2025 edition (partial: see the module docs). */
export const EDITION_2025: Edition = {
  year: 2025,
  title: "CMRxRecon 2025",
  views: cineMappingViews,
  viewOf: viewOfStem,
  kspaceVariable: (_coil, acc) => acc === null ? "kspace" : "kus",
  maskVariable: () => "mask",
  layout: LAYOUT,
  frameRule: (name, mapping) => {
    const n = name.toLowerCase();
    if (n.includes("blackblood") || /t1w|t2w/.test(n)) return "single";
    if (mapping || ["t1map", "t2map", "t2smap", "t1mappost", "t1rho"].some((k) => n.includes(k))) {
      return "all";
    }
    return "first3";
  },
  reduces: (split) => split !== "test",
  metrics: { normalisation: "percentile", swapsArgumentsFor4d: true },
  aggregation: "2025",
  limits: {
    gpuMemoryBytes: 48 * 1024 ** 3,
    gpu: "RTX A6000 (48 GB)",
    secondsPerTask: 40 * 3600,
    source: "cmrxrecon.github.io 2025 Join-the-Challenge page and FAQ #7: 40 hours per task",
  },
  testSet: TEST_SET,
  supports: { submit: true, validate: true, score: true },
  unsupported: "",
};
