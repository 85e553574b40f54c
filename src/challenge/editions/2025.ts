/**
 * CMRxRecon 2025: multi-centre, multi-vendor, tasks R1/R2/S1/S2, fully sampled variable
 * `kspace`, `{stem}_info.csv` beside each file. What cmrxkit knows of it today: the
 * reduction's frame rule, the scorer's 99.5th-percentile normalisation and argument order,
 * and the limits; discovery, submission, validation and the edition's aggregation come with
 * the editions issue (scores use the 2023 aggregation until then).
 *
 * @module
 */

import type { Edition } from "../edition.ts";
import { cineMappingViews, viewOfStem } from "./views.ts";

/** The 2025 edition (partial: see the module docs). */
export const EDITION_2025: Edition = {
  year: 2025,
  title: "CMRxRecon 2025",
  views: cineMappingViews,
  viewOf: viewOfStem,
  kspaceVariable: (_coil, acc) => acc === null ? "kspace" : "kus",
  maskVariable: () => "mask",
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
  supports: { submit: false, validate: false, score: true },
  unsupported: "the 2025 submission layout is not supported yet (it comes with the editions " +
    "issue); today cmrxkit reduces 2025 images and scores them with the 2025 normalisation",
};
