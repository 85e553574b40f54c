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

import type { Edition, EditionLayout } from "../edition.ts";
import { cineMappingViews, viewOfStem } from "./views.ts";

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
  },
  supports: { submit: true, validate: true, score: true },
  unsupported: "",
};
