/**
 * `container entrypoint --self-test`, which the image build runs: onnxruntime loads and runs
 * a one-node graph, every shipped model loads, and the library's `submit()` with the
 * per-case Selector (as the image's entrypoint runs it) reconstructs and validates a tiny
 * synthetic test split. It also warms Deno's module cache so that the real run is offline.
 *
 * @module
 */

import { GraphBuilder } from "../../src/engine/onnx/mod.ts";
import { cudaAvailable } from "../../src/engine/providers.ts";
import { OnnxSession } from "../../src/engine/session.ts";
import { CmrxError } from "../../src/errors.ts";
import { listModels, SHIPPED_MODELS } from "../../src/models/registry.ts";
import { submitWithModels } from "../../src/pipeline/run.ts";
import { synthesize } from "../../src/synth/dataset.ts";
import { submitFlags } from "../flags.ts";
import { printSummary, submitProgress, summaryOk } from "../print.ts";

/** In-image: loads onnxruntime and runs a one-node graph on the CPU provider. */
async function ortSmokeTest(dir: string): Promise<string> {
  const model = new GraphBuilder("smoke")
    .input("x", "float32", [2, 3])
    .output("y", "float32", [2, 3])
    .node("Identity", ["x"], ["y"])
    .toModel({ opset: 17 });
  const path = `${dir}/smoke.onnx`;
  await Deno.writeFile(path, model);
  const eng = await OnnxSession.load(path, { device: "cpu", warmup: false });
  try {
    const x = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const out = await eng.run({ x: { data: x, dims: [2, 3] } });
    if (out.y.data.join() !== x.join()) throw new CmrxError("onnxruntime returned wrong values");
    return `onnxruntime ${eng.provider} provider runs`;
  } finally {
    await eng.release();
  }
}

/**
 * In-image self-test (the image build runs it): onnxruntime loads and runs, every shipped
 * model loads on the CPU provider, and the whole pipeline (read, models chosen per case,
 * reconstruct, write, validate) runs on a tiny synthetic test split. It also warms Deno's
 * module cache so that the real run is offline.
 */
export async function selfTest(): Promise<number> {
  const tmp = await Deno.makeTempDir({ prefix: "cmrxkit-selftest-" });
  try {
    console.log(`self-test: ${await ortSmokeTest(tmp)}`);
    const cuda = cudaAvailable();
    console.log(
      `self-test: CUDA ${
        cuda.available ? "available" : `not used here: ${cuda.reason?.split(" (")[0]}`
      }`,
    );
    const models = await listModels(SHIPPED_MODELS);
    for (const m of models) {
      const eng = await OnnxSession.load(m.onnxPath, { device: "cpu", warmup: false });
      console.log(`self-test: model ${m.manifest.name} loads (${eng.inputNames.join(", ")})`);
      await eng.release();
    }
    await synthesize({
      out: `${tmp}/data`,
      size: "small",
      seed: 1,
      patients: 1,
      splits: ["test"],
      accs: [4],
    });
    const defaults = submitFlags("submit", []); // what 'deno task submit' does without flags
    const summary = await submitWithModels({
      ...defaults.options,
      ...submitProgress(),
      input: `${tmp}/data`,
      output: `${tmp}/out`,
      task: "both",
      split: "test",
      workers: 1,
      modelsDir: SHIPPED_MODELS,
      engine: defaults.engine,
      onEngineNotice: (notice) => console.error(notice),
      command: "cmrxkit container entrypoint --self-test",
    });
    printSummary(summary);
    const code = summaryOk(summary) ? 0 : 1;
    console.log(`self-test: ${code === 0 ? "passed" : "FAILED"}`);
    return code;
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}
