/**
 * Shared by the validate and pack tests: one small synthetic validation dataset per test
 * file (synthesis takes about a second) and correct submissions written from it.
 */

import {
  type ExpectedFile,
  expectedFiles,
  submissionFolder,
  writeImg4Ranking,
} from "../../src/challenge/submission.ts";
import { numel } from "../../src/mat/types.ts";
import { synthesize } from "../../src/synth/dataset.ts";

let dataset: Promise<{ input: string; expected: ExpectedFile[] }> | undefined;

/** The dataset (made once per process) and its expected submission files. */
export function getDataset(): Promise<{ input: string; expected: ExpectedFile[] }> {
  dataset ??= (async () => {
    const input = await Deno.makeTempDir({ prefix: "cmrx-submission-input-" });
    await synthesize({
      out: input,
      size: "small",
      patients: 1,
      splits: ["validation"],
      accs: [4],
      seed: 1,
    });
    return { input, expected: await expectedFiles(input) };
  })();
  return dataset;
}

/** A finite, positive, non-constant image of these dims. */
export function image(dims: number[]): Float32Array {
  return Float32Array.from({ length: numel(dims) }, (_, i) => 0.001 * (1 + (i % 113)));
}

/** A correct submission under a new temp folder (which holds Submission/). */
export async function correctSubmission(
  prefix = "cmrx-submission-out-",
): Promise<{ out: string; root: string; input: string }> {
  const { input, expected } = await getDataset();
  const out = await Deno.makeTempDir({ prefix });
  const root = submissionFolder(out);
  for (const e of expected) await writeImg4Ranking(root, e.relPath, image(e.dims), e.dims);
  return { out, root, input };
}

/** Deletes the dataset, if one was made (a test file's last test calls it). */
export async function removeDataset(): Promise<void> {
  if (dataset) await Deno.remove((await dataset).input, { recursive: true });
  dataset = undefined;
}
