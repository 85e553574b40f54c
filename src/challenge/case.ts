/**
 * What discovery finds: one {@link Case} per input file of a CMRxRecon dataset, the
 * entries it could not use ({@link DiscoveryProblem}), and the filters it takes. Types only,
 * so every part of `challenge/` can name them.
 *
 * @module
 */

import type { EntryKind } from "../fsutil.ts";
import type { Split, Task, Year } from "./edition.ts";
import type { CoilType, SplitFolder } from "./paths.ts";

/** One k-space file to reconstruct (or, for FullSample, a reference). */
export interface Case {
  /** Layout generation the file follows. */
  year: Year;
  /** The dataset root the search started from. */
  root: string;
  /** `MultiCoil` or `SingleCoil`. */
  coil: CoilType;
  /** Modality folder: `Cine`, `Mapping` (2024 also `Aorta`, `Tagging`, ...). */
  modality: string;
  /** `cine` for Cine, `mapping` for Mapping; other 2024 modalities count as cine-like. */
  task: Task;
  /** `TrainingSet`, `ValidationSet` or `TestSet`. */
  split: SplitFolder;
  /** The folder below the split: `AccFactor04`, `FullSample`, `UnderSample_Task1`. */
  accFolder: string;
  /** Acceleration factor, null for fully sampled data. */
  acc: number | null;
  /** 2024 sampling pattern (`Uniform`, `ktGaussian`, ...); `Uniform` for 2023. */
  pattern: string;
  /** Patient folder, e.g. `P001`. */
  patient: string;
  /** File stem: `cine_lax`, `cine_sax`, `T1map`, `T2map` (2024: also `aorta_sag`, ...). */
  name: string;
  /** Short view name: `lax`, `sax`, `T1`, `T2`, or the stem for other 2024 modalities. */
  view: string;
  /** Path of the k-space file. */
  file: string;
  /** The variable holding k-space in it. */
  variable: string;
  /** Path of the mask file, when the layout has one for this case. */
  maskFile?: string;
  /** The mask variable in it. */
  maskVariable?: string;
  /** `T1map.csv` / `T2map.csv` with inversion / preparation times (mapping only). */
  csvFile?: string;
  /** 2025: the `{stem}_info.csv` beside the file. */
  infoFile?: string;
  /** 2025: the centre folder (`Center001`). */
  center?: string;
  /** 2025: the vendor folder (`{Vendor}_{Field}T_{Model}`, e.g. `UIH_30T_umr780`). */
  vendor?: string;
  /**
   * Where the reconstruction goes, relative to the submission folder (`Submission/`);
   * `TestSet` stays `TestSet`.
   */
  submissionPath: string;
}

/** Filters for `discover` (`layout.ts`); every field is optional (all by default). */
export interface DiscoverOptions {
  /** Keep this task's modalities only (`cine` also keeps the other cine-like 2024 ones). */
  task?: Task | "both";
  /** Keep this split only (`training` is `TrainingSet`, ...). */
  split?: Split;
  /** Keep `MultiCoil` (`multi`) or `SingleCoil` (`single`) cases only. */
  coil?: "multi" | "single" | "both";
  /** Keep these acceleration factors only (e.g. [4, 8, 10]). */
  acc?: number[];
  /** Include `FullSample` cases (off by default: they are references, not inputs). */
  fullSample?: boolean;
  /**
   * Return an empty result instead of throwing when the coil folders hold no case (callers
   * that look elsewhere next, and report {@link Discovery.problems} themselves).
   */
  allowEmpty?: boolean;
}

/**
 * An entry at a position of the layout (a k-space, mask or csv file, a patient, acceleration,
 * split or modality folder) that cannot be used: a dangling link, a link loop, a folder where
 * a file belongs, a named pipe, a device, a file where a folder belongs, or a folder that
 * cannot be listed. The case it stands for is not in {@link Discovery.cases}, so a caller
 * that goes on must say the result is incomplete.
 */
export interface DiscoveryProblem {
  /** The entry on disk. */
  path: string;
  /** What the entry is (symbolic links followed). */
  kind: EntryKind;
  /** What is wrong, e.g. `is a named pipe (FIFO), not a k-space file`. */
  reason: string;
  /** What to do about it. */
  fix: string;
  /**
   * For a k-space entry: where its reconstruction goes in a submission (what
   * {@link Case.submissionPath} would have been), so checks against the input can name it.
   */
  submissionPath?: string;
}

/** What `discover` (`layout.ts`) found. */
export interface Discovery {
  /** Cases in a stable order (coil, modality, split, acceleration, patient, name). */
  cases: Case[];
  /** Files and folders that were not recognised, for the user to see. */
  ignored: string[];
  /**
   * Entries at layout positions that cannot be read (see {@link DiscoveryProblem}): each is
   * an error, and the cases are incomplete while there is any.
   */
  problems: DiscoveryProblem[];
}
