/**
 * Batch planning against a memory limit (the CMRxRecon 24 GB GPU limit): the largest
 * batch (slices per run) whose estimated activations fit `margin * limit - weights`. The
 * margin covers what {@link estimateMemory} does not count (runtime workspaces, the CUDA
 * context, framework overhead).
 *
 * @module
 */

import { formatBytes } from "../../format.ts";
import { type DecodedModel, decodeModel } from "../onnx/mod.ts";
import { estimateMemory } from "./estimate.ts";

/** Options of {@link planBatch}. */
export interface PlanOptions {
  /** Fraction of the limit that may be used (0.8). */
  margin?: number;
  /** Bytes taken before any activation (the weights), subtracted from the budget. */
  weightsBytes?: number;
  /** What one unit of the batch is, for the message (e.g. `[1, 12, 10, 246, 512, 2]`). */
  unitShape?: string;
}

/** The result of {@link planBatch}. */
export interface BatchPlan {
  /** Largest batch that fits (0 when even 1 does not). */
  batch: number;
  /** Estimated bytes at that batch (at batch 1 when `batch` is 0). */
  bytes: number;
  /** Bytes available to activations: `margin * limit - weights`. */
  budgetBytes: number;
  /** Why nothing fits, when `batch` is 0. */
  message?: string;
}

/**
 * The largest batch (slices per run) whose estimate fits the limit with a safety margin:
 * `estimateFor(batch) <= margin * limitBytes - weightsBytes`, for `1 <= batch <= maxBatch`.
 * The estimate is assumed to grow with the batch (binary search).
 *
 * @param estimateFor activation bytes for a batch (e.g. from {@link estimateMemory})
 * @param limitBytes the memory limit (24 GiB on the challenge GPU)
 * @param maxBatch the most that is ever useful (e.g. the number of slices)
 * @returns `{ batch, bytes, budgetBytes }`, with `batch` 0 and a `message` when even one
 *   slice does not fit
 */
export function planBatch(
  estimateFor: (batch: number) => number,
  limitBytes: number,
  maxBatch: number,
  opts: PlanOptions = {},
): BatchPlan {
  const margin = opts.margin ?? 0.8;
  const weights = opts.weightsBytes ?? 0;
  const budget = margin * limitBytes - weights;
  const one = estimateFor(1);
  if (maxBatch < 1 || one > budget) {
    const shape = opts.unitShape ? ` of shape ${opts.unitShape}` : "";
    return {
      batch: 0,
      bytes: one,
      budgetBytes: budget,
      message: maxBatch < 1
        ? "nothing to run (maxBatch < 1)"
        : `needs ${formatBytes(one)}${
          weights ? ` + ${formatBytes(weights)} weights` : ""
        } for one slice${shape}, the limit is ${formatBytes(limitBytes)} (${
          Math.round(margin * 100)
        }% usable: ${formatBytes(Math.max(0, budget))} for activations)`,
    };
  }
  let lo = 1, loBytes = one, hi = Math.floor(maxBatch);
  // find the largest b in [lo, hi] with estimateFor(b) <= budget
  while (lo < hi) {
    const mid = Math.floor((lo + hi + 1) / 2);
    const b = estimateFor(mid);
    if (b <= budget) {
      lo = mid;
      loBytes = b;
    } else hi = mid - 1;
  }
  return { batch: lo, bytes: loBytes, budgetBytes: budget };
}

/**
 * {@link planBatch} for a model: decodes it once and estimates the activations for
 * `shapesFor(batch)`, with the model's weights subtracted from the budget.
 */
export function planModelBatch(
  model: Uint8Array | DecodedModel,
  shapesFor: (batch: number) => Record<string, number[]>,
  limitBytes: number,
  maxBatch: number,
  opts: Omit<PlanOptions, "weightsBytes"> = {},
): BatchPlan & { weightsBytes: number } {
  const m = model instanceof Uint8Array ? decodeModel(model) : model;
  const first = estimateMemory(m, shapesFor(1));
  const plan = planBatch(
    (b) => (b === 1 ? first : estimateMemory(m, shapesFor(b))).peakActivationBytes,
    limitBytes,
    maxBatch,
    { ...opts, weightsBytes: first.weightsBytes },
  );
  return { ...plan, weightsBytes: first.weightsBytes };
}
