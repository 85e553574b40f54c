/**
 * The contract of a shipped or user ONNX model: a JSON manifest beside each `.onnx` file
 * (`models/NAME.json` + `models/NAME.onnx`) that says how to feed the graph and which
 * cases it serves. The engine and the submit pipeline read nothing else.
 *
 * Tensor layouts are written outermost first, as ONNX (row-major) sees them. cmrxkit's
 * arrays are MATLAB column-major with complex interleaved, so a slice's k-space
 * `(kx, ky, coil, frame)` is, without any copy, the row-major tensor `[T, C, Y, X, 2]`:
 * layout `"T,C,Y,X,2"` (a leading `B` of 1 may be added: `"B,T,C,Y,X,2"`).
 *
 * {@link checkManifest} checks a parsed manifest field by field; reading it from disk and
 * finding its `.onnx` file is the registry's part (`registry.ts`).
 *
 * @module
 */

import { CmrxError } from "../errors.ts";
import { KT_PATTERNS, type KtPattern } from "../kspace/masks_kt.ts";

/** What a model input carries. */
export type InputRole =
  /** undersampled k-space (zeros where not sampled) */
  | "kspace"
  /** sampling mask, 1 where sampled */
  | "mask"
  /** coil sensitivity maps */
  | "sensitivity"
  /** zero-filled image (coil-combined, complex) */
  | "zerofilled"
  /** zero-filled root-sum-of-squares magnitude image per frame (real) */
  | "rss";

/** Every input role, and whether its values are complex (its layout has `2` or `K`). */
export const INPUT_ROLES: Readonly<Record<InputRole, { complex: boolean }>> = {
  kspace: { complex: true },
  mask: { complex: false },
  sensitivity: { complex: true },
  zerofilled: { complex: true },
  rss: { complex: false },
};

/** One graph input or output. */
export interface TensorSpec {
  /** Name in the ONNX graph. */
  name: string;
  /** What it carries (inputs) or `image` (output). */
  role: InputRole | "image";
  /**
   * Axis letters outermost first: B batch, T frames/weightings, C coils, Y phase encode,
   * X readout, 2 (re, im) trailing, K (re, im) as a channel axis of 2 next to T/C.
   * E.g. `"B,T,C,Y,X,2"`, `"B,K,T,Y,X"`, `"B,T,Y,X"` (real magnitude). One axis may hold
   * several letters joined by `*`, outer first: `"B,T*2,Y,X"` is the 2T-channel layout of a
   * U-Net (channel `2 t + k` = part `k` (re, im) of frame `t`), `"B,2*T,Y,X"` the other order.
   */
  layout: string;
}

/** How slices are cut into model inputs. */
export interface FeederSpec {
  /**
   * `sequence`: all frames of one slice at once; `window`: `window` adjacent frames with
   * circular wrap, the centre frame's output kept (PromptMR style); `weightings`: all
   * mapping weightings of one slice.
   */
  kind: "sequence" | "window" | "weightings";
  /** Frames per call for `window` (odd), or the fixed frame count the graph was exported for. */
  frames?: number;
  /**
   * What a `window` graph returns per call: `"window"` (default): all `frames` frames,
   * cmrxkit keeps the centre one; `"centre"`: only the centre frame (PromptMR style), the
   * output's `T` axis of size 1 or absent.
   */
  output?: "window" | "centre";
}

/** Intensity normalisation applied before the model and undone after. */
export interface NormalizationSpec {
  /**
   * `max`: divide by the max magnitude of the zero-filled image of the slice; `percentile`:
   * by its `percentile` (e.g. 99.5); `none`.
   */
  kind: "max" | "percentile" | "none";
  /** The percentile (0-100) of the zero-filled RSS magnitudes for `percentile` (default 99.5). */
  percentile?: number;
}

/**
 * The coil maps a model was trained with (the `sensitivity` input, and the maps of the
 * `zerofilled` combination). Absent: the library's choice (`OnnxReconstructor` option
 * `maps`, default `acs`) and no normalisation.
 */
export interface SensitivitySpec {
  /** `acs`: ACS/RSS maps (fast); `espirit`: ESPIRiT maps. Default: the library option. */
  method?: "acs" | "espirit";
  /**
   * `none` (default): the maps as estimated (ACS/RSS maps have RSS over coils below 1 in
   * weak background); `unit`: each pixel's maps divided by their root-sum-of-squares over
   * coils where it is > 0 (pixels whose maps are all zero stay zero).
   */
  normalize?: "none" | "unit";
}

/** The cases a model serves; the registry picks a model per case from these. */
export interface ServesSpec {
  /** Tasks served: `cine` and/or `mapping`. */
  tasks: ("cine" | "mapping")[];
  /** Short view names served: `sax`, `lax`, `T1`, `T2`. */
  views: string[];
  /** Acceleration factors served (e.g. `[4, 8, 10]`); empty means any. */
  accelerations: number[];
  /** Coil configurations served; empty means any. */
  coils: ("MultiCoil" | "SingleCoil")[];
  /**
   * Sampling-mask kinds served (`src/kspace/masks_kt.ts`): `uniform` (the 2023 and 2024
   * Task 1 line pattern, the same ky lines in every frame), `ktUniform`, `ktGaussian`,
   * `ktRadial` (2024 Task 2 and 2025: the samples change from frame to frame). Absent means
   * `["uniform"]`: every model cmrxkit ships was trained on 2023 line masks, and automatic
   * selection never gives it a k-t case. As with the other fields, `--model NAME` on a run
   * with cases of an unlisted kind is refused before anything is written.
   */
  masks?: KtPattern[];
}

/**
 * An external-process model: the team's own inference program, started once and fed one
 * model call at a time over stdin/stdout (protocol in `process_model.ts`). It gets exactly
 * the tensors an ONNX graph of the same manifest would get and returns the output as a
 * graph would.
 */
export interface ProcessSpec {
  /** The program and its arguments, e.g. `["python3", "my_model.py"]` (no shell). */
  command: string[];
  /** Working folder, relative to the manifest's folder (default: that folder). */
  cwd?: string;
  /** Environment variables added to cmrxkit's own. */
  env?: Record<string, string>;
  /** Seconds the program may take to say hello (default 120). */
  startupSeconds?: number;
  /** Seconds one model call may take (default 600). */
  callSeconds?: number;
}

/** The manifest JSON. */
export interface ModelManifest {
  /** Format version of this manifest (1). */
  format: 1;
  /** Unique model name (`--model NAME`). */
  name: string;
  /** ONNX file name, relative to the manifest; absent for a `process` model. */
  file?: string;
  /** Instead of `file`: the model is an external program (see {@link ProcessSpec}). */
  process?: ProcessSpec;
  /** One line for `deno task models`. */
  description: string;
  /** The architecture and paper it implements. */
  architecture?: string;
  /** What it was trained on; shipped demo weights say "synthetic phantoms". */
  trainedOn?: string;
  /** Trainable parameters. */
  parameters?: number;
  /** The graph inputs, each with its role and layout (at least one). */
  inputs: TensorSpec[];
  /** The graph output (role `image`): a real magnitude or a complex image. */
  output: TensorSpec;
  /** How slices are cut into graph calls. */
  feeder: FeederSpec;
  /** Intensity normalisation before the graph, undone on its output. */
  normalization: NormalizationSpec;
  /** Which coil maps, normalised how (default: the library's maps, as estimated). */
  sensitivity?: SensitivitySpec;
  /**
   * Image sizes `[y, x]` (phase encode, readout) the graph needs multiples of: a slice of
   * another size is padded to the next multiples and each output frame brought back to the
   * slice's grid, as `padMode` says (`padding.ts`).
   */
  padMultiple?: [number, number];
  /**
   * How `padMultiple` pads (`padding.ts`): `image`: the image-domain inputs are padded with
   * zeros around, centred, and the output cropped back (exact; no `kspace` or `mask` input
   * allowed); `kspace`: the k-space is zero-padded, centred (new lines unsampled) and the
   * output brought back by FFT, crop and inverse FFT. Default: `kspace` when an input is
   * `kspace` or `mask`, else `image`.
   */
  padMode?: "image" | "kspace";
  /** The cases this model serves. */
  serves: ServesSpec;
  /** ONNX opset, for information. */
  opset?: number;
  /**
   * How a complex output becomes the submitted magnitude: `"abs"` (default), or `"dc-rss"`:
   * the output is taken as the sensitivity-combined image `x`, the coil images `S_c x` go
   * to k-space, the measured samples are put back, and the root-sum-of-squares of the
   * coil images is returned (what the official reference is made of; needs a
   * `sensitivity` input). cmrxkit's classical mapping defaults do the same.
   */
  outputMagnitude?: "abs" | "dc-rss";
  /**
   * Whether `submit` may choose this model by itself for the cases it serves (default
   * true). `false` keeps it to `--model NAME`: cmrxkit's demo weights that lose to a
   * classical method on the held-out evaluation (docs/benchmarks.md) ship with `false`, so
   * that the default choice is always the better one.
   */
  auto?: boolean;
}

/** Axes separated by commas; one axis may merge letters with `*` (`"B,T*2,Y,X"`). */
const LAYOUT_RE = /^[A-Z2](\*[A-Z2])*(,[A-Z2](\*[A-Z2])*)*$/;

/**
 * Checks a parsed manifest field by field.
 *
 * @param m the parsed JSON (typed as a manifest, not yet trusted)
 * @param path the manifest file, named in every error
 * @throws {CmrxError} naming the file and the first field that is missing or wrong
 */
export function checkManifest(m: ModelManifest, path: string): void {
  const bad = (field: string, why: string) =>
    new CmrxError(`manifest field '${field}' ${why}`, {
      file: path,
      hint: "see src/models/manifest.ts for the manifest format",
    });
  if (m.format !== 1) throw bad("format", "must be 1");
  if (typeof m.name !== "string" || !/^[\w.-]+$/.test(m.name)) throw bad("name", "must be a word");
  if (m.process !== undefined) {
    if (m.file !== undefined) {
      throw bad("file", "and 'process' are exclusive: a model is an .onnx file or a program");
    }
    checkProcess(m.process, bad);
  } else if (typeof m.file !== "string" || !m.file.endsWith(".onnx")) {
    throw bad("file", `must name an .onnx file (or give "process": { "command": [...] })`);
  }
  if (!Array.isArray(m.inputs) || m.inputs.length === 0) {
    throw bad("inputs", "must list the graph inputs");
  }
  for (const t of [...m.inputs, m.output]) {
    if (!t || typeof t.name !== "string" || !LAYOUT_RE.test(t.layout ?? "")) {
      throw bad(
        "inputs/output",
        `has an entry without a name or a layout like "B,T,C,Y,X,2" or "B,T*2,Y,X"` +
          (t && typeof t.layout === "string" ? ` (got ${JSON.stringify(t.layout)})` : ""),
      );
    }
    const ls = t.layout.split(/[,*]/).map((l) => (l === "K" ? "2" : l));
    const twice = ls.find((l, i) => ls.indexOf(l) !== i);
    if (twice) {
      throw bad(`inputs/output (${t.name})`, `names the axis ${twice} twice in ${t.layout}`);
    }
    if (/B\*|\*B/.test(t.layout)) {
      throw bad(`inputs/output (${t.name})`, `merges the batch axis B in ${t.layout}`);
    }
  }
  for (const t of m.inputs) {
    if (!Object.hasOwn(INPUT_ROLES, t.role)) {
      throw bad(
        `inputs (${t.name})`,
        `has role '${t.role}'; roles: ${Object.keys(INPUT_ROLES).join(", ")}`,
      );
    }
    const role = INPUT_ROLES[t.role as InputRole];
    const complex = /[2K]/.test(t.layout);
    if (complex !== role.complex) {
      throw bad(
        `inputs (${t.name})`,
        role.complex
          ? `has role '${t.role}', which is complex, but its layout ${t.layout} is real: add the (re, im) axis, "2" last or "K" as a channel axis`
          : `has role '${t.role}', which is real, but its layout ${t.layout} has a (re, im) axis (2 or K): remove it`,
      );
    }
  }
  if (!["sequence", "window", "weightings"].includes(m.feeder?.kind)) {
    throw bad("feeder.kind", "must be sequence, window or weightings");
  }
  if (m.feeder.kind === "window" && !(m.feeder.frames && m.feeder.frames % 2 === 1)) {
    throw bad("feeder.frames", "must be an odd window length for a window feeder");
  }
  if (m.feeder.output !== undefined) {
    if (!["window", "centre"].includes(m.feeder.output)) {
      throw bad(
        "feeder.output",
        "must be window (all frames returned) or centre (the centre frame)",
      );
    }
    if (m.feeder.kind !== "window") {
      throw bad("feeder.output", "applies to a window feeder only");
    }
  }
  if (!["max", "percentile", "none"].includes(m.normalization?.kind)) {
    throw bad("normalization.kind", "must be max, percentile or none");
  }
  if (m.sensitivity !== undefined) {
    const sp = m.sensitivity;
    if (sp === null || typeof sp !== "object" || Array.isArray(sp)) {
      throw bad("sensitivity", `must be an object like { "method": "acs", "normalize": "unit" }`);
    }
    if (sp.method !== undefined && !["acs", "espirit"].includes(sp.method)) {
      throw bad("sensitivity.method", `must be acs or espirit, got ${JSON.stringify(sp.method)}`);
    }
    if (sp.normalize !== undefined && !["none", "unit"].includes(sp.normalize)) {
      throw bad(
        "sensitivity.normalize",
        `must be none or unit, got ${JSON.stringify(sp.normalize)}`,
      );
    }
  }
  if (
    m.padMultiple !== undefined &&
    !(Array.isArray(m.padMultiple) && m.padMultiple.length === 2 &&
      m.padMultiple.every((n) => Number.isInteger(n) && n >= 1))
  ) {
    throw bad("padMultiple", `must be [y, x], two whole numbers >= 1 (e.g. [16, 16])`);
  }
  if (m.padMode !== undefined) {
    if (!["image", "kspace"].includes(m.padMode)) {
      throw bad("padMode", `must be image or kspace, got ${JSON.stringify(m.padMode)}`);
    }
    const kin = m.inputs.find((t) => t.role === "kspace" || t.role === "mask");
    if (m.padMode === "image" && kin) {
      throw bad(
        "padMode",
        `image cannot pad the ${kin.role} input '${kin.name}' (its samples would leave the grid): use kspace, or leave padMode out`,
      );
    }
  }
  if (!m.serves || !Array.isArray(m.serves.tasks) || !Array.isArray(m.serves.views)) {
    throw bad("serves", "must say which tasks, views, accelerations and coils the model serves");
  }
  const masks = m.serves.masks as unknown;
  if (
    masks !== undefined &&
    !(Array.isArray(masks) && masks.length > 0 &&
      masks.every((k) => (KT_PATTERNS as readonly unknown[]).includes(k)))
  ) {
    throw bad(
      "serves.masks",
      `must list the mask kinds the model serves among ${KT_PATTERNS.join(", ")} ` +
        `(e.g. ["uniform"]), got ${JSON.stringify(masks)}; leave it out for ["uniform"]`,
    );
  }
  if (m.auto !== undefined && typeof m.auto !== "boolean") {
    throw bad("auto", "must be true or false");
  }
  if (m.outputMagnitude !== undefined && !["abs", "dc-rss"].includes(m.outputMagnitude)) {
    throw bad("outputMagnitude", "must be abs or dc-rss");
  }
  if (m.outputMagnitude === "dc-rss" && !m.inputs.some((t) => t.role === "sensitivity")) {
    throw bad("outputMagnitude", "dc-rss needs a sensitivity input (the coil maps of the output)");
  }
}

/** Checks a manifest's `process` field. */
function checkProcess(p: ProcessSpec, bad: (field: string, why: string) => CmrxError): void {
  if (p === null || typeof p !== "object" || Array.isArray(p)) {
    throw bad("process", `must be an object like { "command": ["python3", "model.py"] }`);
  }
  if (
    !Array.isArray(p.command) || p.command.length === 0 ||
    !p.command.every((a) => typeof a === "string") || p.command[0] === ""
  ) {
    throw bad(
      "process.command",
      `must be a non-empty array of strings, e.g. ["python3", "model.py"]`,
    );
  }
  if (p.cwd !== undefined && typeof p.cwd !== "string") {
    throw bad("process.cwd", "must be a string");
  }
  if (
    p.env !== undefined &&
    (p.env === null || typeof p.env !== "object" || Array.isArray(p.env) ||
      !Object.values(p.env).every((v) => typeof v === "string"))
  ) {
    throw bad("process.env", "must be an object of string values");
  }
  for (const k of ["startupSeconds", "callSeconds"] as const) {
    const v = p[k];
    if (v !== undefined && !(typeof v === "number" && v > 0)) {
      throw bad(`process.${k}`, "must be a positive number of seconds");
    }
  }
}
