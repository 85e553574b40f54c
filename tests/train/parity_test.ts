/**
 * Every model in cmrxtrain's REGISTRY, exported at its small test width with random
 * weights, gives the same output in onnxruntime-node (cmrxkit's OnnxSession) as in PyTorch, on an
 * input of another (odd) size than the one traced, so the dynamic Y/X axes are exercised.
 * CRNN is also checked with its circular temporal context (`--set temporal_wrap=2`), which
 * slices and concatenates along the unrolled time axis inside the graph, and inside the flip
 * self-ensemble (`--self-ensemble`: mirrored k-space and masks computed in the graph, here at
 * the odd input size where a plain mask flip would be wrong).
 */
import assert from "node:assert/strict";
import { OnnxSession } from "../../src/engine/session.ts";
import { hasTorch, lastJson, python, readF32, relDiff } from "./python.ts";

Deno.test({
  name: "train/: every registered model matches PyTorch in onnxruntime-node (rel. diff <= 1e-4)",
  ignore: !hasTorch,
  async fn(t) {
    const names = (await python(["-m", "cmrxtrain.export", "--list"])).stdout.trim().split("\n");
    assert.ok(names.includes("crnn"), `registry: ${names}`);
    const dir = await Deno.makeTempDir({ prefix: "cmrxkit-parity-" });
    try {
      const cases: [string, string, string[]][] = names.map((n) => [n, n, []]);
      cases.push(["crnn-wrap", "crnn", ["--set", "temporal_wrap=2"]]);
      cases.push(["crnn-self-ensemble", "crnn", ["--self-ensemble", "8"]]);
      for (const [label, name, extra] of cases) {
        await t.step(label, async () => {
          const onnx = `${dir}/${label}.onnx`;
          const io = `${dir}/${label}-io`;
          const r = await python([
            "-m",
            "cmrxtrain.export",
            "--model",
            name,
            "--random-init",
            "--test-width",
            "--out",
            onnx,
            "--dump-io",
            io,
            ...extra,
          ]);
          const info = lastJson(r.stdout).io as {
            inputs: Record<string, number[]>;
            output: { image: number[] };
          };
          const feeds: Record<string, { data: Float32Array; dims: number[] }> = {};
          for (const [k, dims] of Object.entries(info.inputs)) {
            feeds[k] = { data: await readF32(`${io}/${k}.bin`), dims };
          }
          const engine = await OnnxSession.load(onnx, {
            device: "cpu",
            intraOpThreads: 1,
            warmup: false,
          });
          try {
            const out = await engine.run(feeds);
            assert.deepEqual(out.image.dims, info.output.image);
            const want = await readF32(`${io}/image.bin`);
            const d = relDiff(out.image.data, want);
            console.log(
              `${label}: relative difference ${d.toExponential(2)} at ${info.inputs.kspace}`,
            );
            assert.ok(d <= 1e-4, `${label}: relative difference ${d.toExponential(2)}`);
            assert.ok(want.some((v) => v !== 0), `${label}: PyTorch output is all zero`);
          } finally {
            await engine.release();
          }
        });
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
