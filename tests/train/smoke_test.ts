/**
 * CPU smoke run of `python3 -m cmrxtrain.train` on a tiny synthetic dataset (the `smoke`
 * variant of train/configs/crnn-mri.json): the validation loss decreases, an interrupted
 * run resumed from its checkpoint continues exactly as an uninterrupted one, and the
 * checkpoint exports to an ONNX model + manifest that cmrxkit loads and runs on a slice.
 */
import assert from "node:assert/strict";
import { OnnxReconstructor } from "../../src/models/onnx_model.ts";
import { readManifest } from "../../src/models/registry.ts";
import { synthesize } from "../../src/synth/dataset.ts";
import { hasTorch, python } from "./python.ts";
import { undersampledSlice } from "./slice.ts";

const CONFIG = "train/configs/crnn-mri.json#smoke";

async function logRows(run: string): Promise<Record<string, number>[]> {
  const text = await Deno.readTextFile(`${run}/log.jsonl`);
  return text.trim().split("\n").map((l) => JSON.parse(l));
}

Deno.test({
  name: "train/: CPU smoke run learns, resumes exactly and exports a model cmrxkit runs",
  ignore: !hasTorch,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "cmrxkit-smoke-" });
    try {
      const data = `${dir}/data`;
      await synthesize({
        out: data,
        size: "small",
        seed: 11,
        patients: 1,
        tasks: ["cine"],
        splits: ["training"],
        coils: 4,
        accs: [4],
      });
      const train = (out: string, ...extra: string[]) =>
        python([
          "-m",
          "cmrxtrain.train",
          "--config",
          CONFIG,
          "--data",
          data,
          "--out",
          out,
          "--threads",
          "1",
          ...extra,
        ]);

      // uninterrupted
      await train(`${dir}/a`);
      const a = await logRows(`${dir}/a`);
      const vals = a.filter((r) => "val_loss" in r);
      assert.deepEqual(vals.map((r) => r.step), [0, 6]);
      assert.ok(
        vals[1].val_loss < vals[0].val_loss,
        `validation loss did not decrease: ${vals[0].val_loss} -> ${vals[1].val_loss}`,
      );

      // interrupted at step 3, then resumed
      await train(`${dir}/b`, "--stop-at", "3");
      await train(`${dir}/b`, "--resume");
      const b = await logRows(`${dir}/b`);
      const losses = (rows: Record<string, number>[]) =>
        rows.filter((r) => "loss" in r).map((r) => [r.step, r.loss]);
      assert.deepEqual(losses(b), losses(a));

      // export and run in cmrxkit
      const onnx = `${dir}/model/crnn-smoke.onnx`;
      await python([
        "-m",
        "cmrxtrain.export",
        "--checkpoint",
        `${dir}/b/last.pt`,
        "--out",
        onnx,
      ]);
      const entry = await readManifest(`${dir}/model/crnn-smoke.json`);
      assert.equal(entry.manifest.feeder.frames, 12);
      assert.match(entry.manifest.trainedOn ?? "", /smoke/);
      const model = new OnnxReconstructor(entry, { device: "cpu", intraOpThreads: 1 });
      try {
        const input = await undersampledSlice(
          `${data}/MultiCoil/Cine/TrainingSet/FullSample/P001/cine_sax.mat`,
          0,
          4,
        );
        const out = await model.reconstruct(input);
        const [nx, ny, , nt] = input.dims;
        assert.equal(out.image.length, nx * ny * nt);
        assert.ok(out.image.every(Number.isFinite));
        assert.ok(out.image.some((v) => v > 0));
      } finally {
        await model.release();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
