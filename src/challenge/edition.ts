/**
 * The edition seam: everything that is a rule of one CMRxRecon edition, as one interface.
 * Each edition is one module under `editions/` (`2023.ts`, `2024.ts`, `2025.ts`), listed by
 * `editions/mod.ts`; the machinery (discovery, the case plan, the reduction, the metrics,
 * validation, scoring, the time budget) asks the edition and never branches on a year.
 * Adding an edition means adding one module (and, for its data, a tree reader in
 * `discovery/`) with their tests.
 *
 * An edition is data and small rule functions: it imports only types and the shared view
 * tables (`editions/views.ts`), so every part of `challenge/` may ask it without an import
 * cycle.
 *
 * @module
 */

/** A CMRxRecon edition (challenge year). */
export type Year = 2023 | 2024 | 2025;

/** The two reconstruction tasks of 2023 (later editions add modalities, cine-like). */
export type Task = "cine" | "mapping";

/** Split as users type it. */
export type Split = "training" | "validation" | "test";

/** Which frames (or weightings) of a file the ranking reduction keeps. */
export type FrameRule = "first3" | "all" | "single";

/**
 * How the official scorer normalises each 2-D image before SSIM / PSNR / NMSE:
 * `max` `x / x.max()`, `zscore` `(x - mean) / (std + 1e-8)`, `percentile` `|x| /
 * percentile(|x|, 99.5)` (see `metrics.ts` for the exact float32 arithmetic).
 */
export type Normalisation = "max" | "zscore" | "percentile";

/**
 * Which leaderboard aggregation of per-file metrics an edition uses: `2023` per (coil, view,
 * acceleration), the better coil, mean over views and accelerations (`aggregate.ts`); `2024`
 * per (modality, mask) with adjusted means; `2025` per centre/vendor or disease with
 * adjusted means and the NMSE adjustment (`aggregate_editions.ts`).
 */
export type AggregationRule = "2023" | "2024" | "2025";

/** The hardware limits of the organisers' evaluation, per task. */
export interface EditionLimits {
  /** GPU memory of the evaluation card, bytes. */
  gpuMemoryBytes: number;
  /** The card, for messages: `RTX 3090 (24 GB)`. */
  gpu: string;
  /** Wall time for all the data of one task, seconds. */
  secondsPerTask: number;
  /** Where the figures come from, and any conflict between the organisers' pages. */
  source: string;
  /**
   * A conflict between the organisers' own pages on these limits (2024: 12 h on the Join
   * page, 4 h in the FAQ), printed with every verdict that uses them; absent when they agree.
   */
  conflict?: string;
}

/** The size of one file of a view (for the time budget's scaling). */
export interface ViewSize {
  /** Readout samples (first k-space dimension, MATLAB order). */
  nx: number;
  /** Phase-encoding lines (second k-space dimension). */
  ny: number;
  /** Coils. */
  nc: number;
  /** Slices (SAX, mapping) or views (LAX). */
  nz: number;
  /** Frames (cine) or weightings (mapping). */
  nt: number;
}

/** The hidden test set of an edition, as far as the budget needs it. */
export interface TestSet {
  /** Files per view and acceleration (all patients). */
  files: Record<string, number>;
  /** Accelerations every file is given at. */
  accs: readonly number[];
  /**
   * Undersampled files per fully sampled file and challenge task (default `accs.length`:
   * every file at every acceleration, 2023). 2024 gives 3 (Task 1: Uniform 4/8/10; Task 2:
   * one R per k-t pattern), 2025 1 (one pattern and R per file).
   */
  versions?: number;
  /** Real file size per view. */
  sizes: Record<string, ViewSize>;
  /**
   * The `--task` (`cine` or `mapping`) each view of `files` belongs to; absent: the views of
   * `Edition.views(task)` (2023).
   */
  taskOf?: Readonly<Record<string, Task>>;
  /**
   * Where the counts and sizes come from, naming every assumption (a count or size the
   * organisers did not publish is said to be assumed, never given as a fact).
   */
  basis: string;
}

/**
 * A folder level of a layout path, top down: `coil` `MultiCoil`, `modality` `Cine`, `split`
 * `ValidationSet`, `acc` `AccFactor04`, `task` `Task1`, `patient` `P001`; 2025 adds
 * `challengeTask` `TaskR1` (above the coil level), `undersample` `UnderSample_TaskR1`,
 * `center` `Center001` and `vendor` `Siemens_30T_Vida`. `paths.ts` holds each level's
 * grammar; an edition says which levels its paths have, in which order.
 */
export type LayoutLevel =
  | "challengeTask"
  | "coil"
  | "modality"
  | "split"
  | "acc"
  | "task"
  | "undersample"
  | "center"
  | "vendor"
  | "patient";

/**
 * How `pack` lays out an edition's archive, as that year's scorer searches for it:
 * `submission` puts the tree under one `Submission/` folder, `root` at the zip root.
 */
export interface EditionArchive {
  /** The default archive layout. */
  readonly layout: "submission" | "root";
  /** Why, with its source (for `--help` and the docs). */
  readonly reason: string;
  /** A warning `pack` prints with every archive of this edition (conflicting conventions). */
  readonly warning?: string;
}

/**
 * The folder layout of an edition, as data for the one path grammar (`paths.ts`): the input
 * dataset (`layout.ts` discovers it) and the submission tree (`validate/` checks it).
 */
export interface EditionLayout {
  /** Modality folders, in the order messages list them. */
  readonly modalities: readonly string[];
  /** An input dataset path for messages: `<root>/{MultiCoil|SingleCoil}/.../cine_sax.mat`. */
  readonly inputExample: string;
  /** The submission tree below `Submission/`, for messages. */
  readonly submission: string;
  /** Folder levels of a submission path above its file, top down. */
  readonly submissionLevels: readonly LayoutLevel[];
  /**
   * How a submission file is named: `names`, `{stem}.mat` with the stems each modality
   * folder holds; `kus`, `{name}_kus_{Pattern}{R}.mat` as the input file.
   */
  readonly submissionFile:
    | { readonly kind: "names"; readonly names: Readonly<Record<string, readonly string[]>> }
    | { readonly kind: "kus" };
  /** What to use instead of an unknown modality folder. */
  readonly modalityFix: string;
  /**
   * Whether a misnamed split or patient folder gets the reason and the likely name
   * (`TrainingSet` is not submitted, `val` -> `ValidationSet`, `p001` -> `P001`).
   */
  readonly explainsNames: boolean;
  /** What tells this layout apart, for the record: `modality folders, no MultiCoil level`. */
  readonly signature: string;
  /**
   * What `validate` makes of a submitted file the input does not call for: `error` (2023;
   * 2025, whose scorer stops at "Extra file submitted") or `warning` (2024, whose scorer
   * reads only the files it expects).
   */
  readonly extraFiles: "error" | "warning";
  /** The archive `pack` writes. */
  readonly archive: EditionArchive;
}

/** The rules of one edition. */
export interface Edition {
  /** The challenge year. */
  readonly year: Year;
  /** `CMRxRecon 2023`. */
  readonly title: string;
  /** Views of a task, in report order: cine `lax`, `sax`; mapping `T1`, `T2`. */
  views(task: Task | "both"): string[];
  /** Short view name of a file stem (`cine_sax` -> `sax`); the stem itself when unknown. */
  viewOf(stem: string): string;
  /** The variable holding k-space in an input file (`acc` null: fully sampled). */
  kspaceVariable(coil: "MultiCoil" | "SingleCoil", acc: number | null): string;
  /** The variable holding a mask in a mask file. */
  maskVariable(acc: number): string;
  /** The folder layout, when cmrxkit knows it (`paths.ts` is its grammar). */
  readonly layout?: EditionLayout;
  /** Frames the ranking reduction keeps for a file stem (mapping: the file is a map series). */
  frameRule(name: string, mapping: boolean): FrameRule;
  /**
   * Whether a split's submission holds the ranking reduction (`true`) or the full-size
   * image (`false`: "You don't need to perform reduction during test phase", 2023).
   */
  reduces(split: Split): boolean;
  /** How the scorer normalises each image, and its argument-order quirk. */
  readonly metrics: {
    normalisation: Normalisation;
    /**
     * For 4-D arrays the scorer calls `calmetric(gt, recon)` in the other order, so the
     * ground truth is normalised as the "prediction" (2024, 2025).
     */
    swapsArgumentsFor4d: boolean;
  };
  /** How per-file metrics become the leaderboard's result keys. */
  readonly aggregation: AggregationRule;
  /** The evaluation hardware's limits per task. */
  readonly limits: EditionLimits;
  /** The hidden test set, when its sizes are known (for the time budget). */
  readonly testSet?: TestSet;
  /**
   * What cmrxkit can do with this edition end to end today: `submit` writes its tree,
   * `validate` checks one, `score` aggregates like its leaderboard. A command refuses an
   * edition that lacks it, with {@link Edition.unsupported} as the reason.
   */
  readonly supports: { submit: boolean; validate: boolean; score: boolean };
  /** Why an unsupported command is unsupported, and what to use instead. */
  readonly unsupported: string;
}
