/**
 * CMRxRecon 2023 (`CMRxRecon`): cine (LAX, SAX) and T1/T2 mapping, multi- and single-coil,
 * uniform Cartesian undersampling at R 4, 8 and 10 with 24 ACS lines. Facts from the
 * challenge pages and the official evaluation code (`CmrxRecon/CMRxRecon`:
 * `Evaluation/Evaluation.py`, `run4Ranking.m`).
 *
 * @module
 */

import type { Edition, EditionLayout, TestSet } from "../edition.ts";
import { cineMappingViews, viewOfStem } from "./views.ts";

const pad2 = (n: number) => String(n).padStart(2, "0");

/** Real file sizes of the 2023 test set per view (docs/challenge-rules.md; `synth --size full`). */
const SIZES = {
  sax: { nx: 512, ny: 246, nc: 10, nz: 10, nt: 12 },
  lax: { nx: 448, ny: 204, nc: 10, nz: 3, nt: 12 },
  T1: { nx: 448, ny: 162, nc: 10, nz: 6, nt: 9 },
  T2: { nx: 448, ny: 162, nc: 10, nz: 6, nt: 3 },
};

/**
 * The 2023 test set: 120 test patients; not every patient has a LAX file (the validation
 * scorer expects 51 lax / 60 sax and 59 T1 / 59 T2 per 60 patients), scaled to 120 patients;
 * three accelerations.
 */
const TEST_SET: TestSet = {
  files: { lax: 102, sax: 120, T1: 118, T2: 118 },
  accs: [4, 8, 10],
  sizes: SIZES,
  basis: "2023 test set (120 patients, 3 accelerations; ASSUMED: files per view scaled from " +
    "the validation scorer's 51 lax / 60 sax / 59 T1 / 59 T2 per 60 patients, mapping " +
    "in-plane size 448x162 as synth --size full, not published)",
};

const SUBMISSION = "{MultiCoil|SingleCoil}/{Cine|Mapping}/{ValidationSet|TestSet}/AccFactorNN/" +
  "Pxxx/{cine_lax|cine_sax|T1map|T2map}.mat";

/**
 * The 2023 tree: `<root>/{MultiCoil|SingleCoil}/{Cine|Mapping}/{Split}/{AccFactorNN|FullSample}/
 * Pxxx/{stem}.mat`; a submission keeps it below `Submission/` (no FullSample, no TrainingSet).
 */
const LAYOUT: EditionLayout = {
  modalities: ["Cine", "Mapping"],
  inputExample: "<root>/{MultiCoil|SingleCoil}/{Cine|Mapping}/" +
    "{TrainingSet|ValidationSet|TestSet}/{AccFactor04|AccFactor08|AccFactor10|FullSample}/P001/" +
    "cine_sax.mat ...",
  submission: SUBMISSION,
  submissionLevels: ["coil", "modality", "split", "acc", "patient"],
  submissionFile: {
    kind: "names",
    names: { Cine: ["cine_lax", "cine_sax"], Mapping: ["T1map", "T2map"] },
  },
  modalityFix: `use Cine or Mapping (${SUBMISSION})`,
  explainsNames: true,
  signature: "MultiCoil/ and SingleCoil/ folders at the top",
  extraFiles: "error",
  archive: {
    layout: "submission",
    reason: "the 2023 readme: \"The folder must be named 'Submission'\" (Main_Score.py looks " +
      "for Submission/, or MultiCoil/ / SingleCoil/ at the root)",
  },
};

/** The 2023 edition. */
export const EDITION_2023: Edition = {
  year: 2023,
  title: "CMRxRecon 2023",
  views: cineMappingViews,
  viewOf: viewOfStem,
  kspaceVariable: (coil, acc) => {
    const single = coil === "SingleCoil" ? "single_" : "";
    return acc === null ? `kspace_${single}full` : `kspace_${single}sub${pad2(acc)}`;
  },
  maskVariable: (acc) => `mask${pad2(acc)}`,
  layout: LAYOUT,
  frameRule: (_name, mapping) => mapping ? "all" : "first3",
  reduces: (split) => split !== "test",
  metrics: { normalisation: "max", swapsArgumentsFor4d: false },
  aggregation: "2023",
  limits: {
    gpuMemoryBytes: 24 * 1024 ** 3,
    gpu: "RTX 3090 (24 GB)",
    secondsPerTask: 4 * 3600,
    source: "cmrxrecon.github.io 2023 Challenge page and FAQ: 4 hours per team per task",
  },
  testSet: TEST_SET,
  supports: { submit: true, validate: true, score: true },
  unsupported: "",
};
