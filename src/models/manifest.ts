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
 * @module
 */

/** What a model input carries. */
export type InputRole =
  /** undersampled k-space (zeros where not sampled) */
  | "kspace"
  /** sampling mask, 1 where sampled */
  | "mask"
  /** coil sensitivity maps */
  | "sensitivity"
  /** zero-filled image (coil-combined, complex) */
  | "zerofilled";

/** One graph input or output. */
export interface TensorSpec {
  /** Name in the ONNX graph. */
  name: string;
  /** What it carries (inputs) or `image` (output). */
  role: InputRole | "image";
  /**
   * Axis letters outermost first: B batch, T frames/weightings, C coils, Y phase encode,
   * X readout, 2 (re, im) trailing, K (re, im) as a channel axis of 2 next to T/C.
   * E.g. `"B,T,C,Y,X,2"`, `"B,K,T,Y,X"`, `"B,T,Y,X"` (real magnitude).
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
}

/** Intensity normalisation applied before the model and undone after. */
export interface NormalizationSpec {
  /**
   * `max`: divide by the max magnitude of the zero-filled image of the slice; `percentile`:
   * by its `percentile` (e.g. 99.5); `none`.
   */
  kind: "max" | "percentile" | "none";
  percentile?: number;
}

/** The cases a model serves; the registry picks a model per case from these. */
export interface ServesSpec {
  tasks: ("cine" | "mapping")[];
  /** `sax`, `lax`, `T1`, `T2`. */
  views: string[];
  accelerations: number[];
  coils: ("MultiCoil" | "SingleCoil")[];
}

/** The manifest JSON. */
export interface ModelManifest {
  /** Format version of this manifest (1). */
  format: 1;
  /** Unique model name (`--model NAME`). */
  name: string;
  /** ONNX file name, relative to the manifest. */
  file: string;
  /** One line for `deno task models`. */
  description: string;
  /** The architecture and paper it implements. */
  architecture?: string;
  /** What it was trained on; shipped demo weights say "synthetic phantoms". */
  trainedOn?: string;
  /** Trainable parameters. */
  parameters?: number;
  inputs: TensorSpec[];
  output: TensorSpec;
  feeder: FeederSpec;
  normalization: NormalizationSpec;
  /** Image sizes are zero-padded (in k-space, centred) to a multiple of these `[y, x]`. */
  padMultiple?: [number, number];
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
