/**
 * The training data feed models what cmrxkit feeds them at inference: cmrxtrain.data's coil
 * maps and normalisation scale equal src/kspace/coils/ `sensitivityMaps(.., "acs")`
 * and the max of `zeroFilledRss` on one synthetic slice.
 */
import assert from "node:assert/strict";
import { sensitivityMaps } from "../../src/kspace/coils/mod.ts";
import { zeroFilledRss } from "../../src/kspace/zerofill.ts";
import { synthesize, synthesizeKspaceFile } from "../../src/synth/dataset.ts";
import { hasTorch, python, readF32, relDiff } from "./python.ts";
import { undersampledSlice } from "./slice.ts";

const SCRIPT = `
import sys, json
import numpy as np
from cmrxtrain.data import read_kspace_slice, make_item, uniform_lines
path, z, acc, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
full = read_kspace_slice(path, z)
item = make_item(full, uniform_lines(full.shape[2], acc))
item["sens"].numpy().astype("<f4").tofile(out + "/sens.bin")
print(json.dumps({"scale": float(item["scale"]), "shape": list(item["sens"].shape)}))
`;

Deno.test({
  name: "train/: Python coil maps and scale equal cmrxkit's ACS/RSS maps and max normalisation",
  ignore: !hasTorch,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "cmrxkit-sens-" });
    try {
      const file = `${dir}/cine_lax.mat`;
      await synthesizeKspaceFile(file, "cine_lax", "small", 7, 6);
      const slice = 1, acc = 8;
      const input = await undersampledSlice(file, slice, acc);
      const [nx, ny, nc, nt] = input.dims;
      const ours = sensitivityMaps(input, "acs").maps; // (x, y, coil) = row-major [C, Y, X, 2]
      const scale = zeroFilledRss(input.kspace, [nx, ny, nc, nt]).reduce(
        (m, v) => (v > m ? v : m),
        0,
      );

      const r = await python(["-c", SCRIPT, file, String(slice), String(acc), dir]);
      const info = JSON.parse(r.stdout.trim().split("\n").pop()!);
      assert.deepEqual(info.shape, [nc, ny, nx, 2]);
      const theirs = await readF32(`${dir}/sens.bin`);
      const d = relDiff(theirs, ours);
      console.log(
        `maps: relative difference ${d.toExponential(2)}; scale ${info.scale} vs ${scale}`,
      );
      assert.ok(d <= 1e-4, `maps differ: ${d.toExponential(2)}`);
      assert.ok(Math.abs(info.scale - scale) / scale <= 1e-5, `scale ${info.scale} vs ${scale}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "train/: single-coil files give Python the one-coil maps and scale cmrxkit computes",
  ignore: !hasTorch,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "cmrxkit-sens-single-" });
    try {
      await synthesize({
        out: dir,
        seed: 5,
        patients: 1,
        tasks: ["cine"],
        splits: ["training"],
        accs: [4],
        tracks: ["SingleCoil"],
      });
      const file = `${dir}/SingleCoil/Cine/TrainingSet/FullSample/P001/cine_sax.mat`;
      const slice = 1, acc = 24;
      const input = await undersampledSlice(file, slice, acc, "cine", true);
      const [nx, ny, nc, nt] = input.dims;
      assert.equal(nc, 1);
      const ours = sensitivityMaps(input, "acs").maps;
      const scale = zeroFilledRss(input.kspace, [nx, ny, nc, nt]).reduce(
        (m, v) => (v > m ? v : m),
        0,
      );
      const r = await python(["-c", SCRIPT, file, String(slice), String(acc), dir]);
      const info = JSON.parse(r.stdout.trim().split("\n").pop()!);
      assert.deepEqual(info.shape, [1, ny, nx, 2]);
      const d = relDiff(await readF32(`${dir}/sens.bin`), ours);
      assert.ok(d <= 1e-4, `maps differ: ${d.toExponential(2)}`);
      assert.ok(Math.abs(info.scale - scale) / scale <= 1e-5, `scale ${info.scale} vs ${scale}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
