/**
 * The parity probe of a GPU provider (issue 20): a model loaded on WebGPU runs once on a
 * small probe slice there and on the CPU; beyond the tolerance the run falls back to the
 * CPU for that model, with a message naming the model, the difference and the tolerance,
 * and the result goes into the run log and the run manifest.
 *
 * The mismatching graph is a real one: a 3 x 3 Conv from 6 to 16 channels, which
 * onnxruntime-web 1.30's WebGPU provider computes wrongly (src/engine/webgpu_hazards.ts);
 * 8 to 16 channels is computed right. WebGPU here is Mesa's lavapipe (a software Vulkan);
 * without any adapter the tests are skipped with a notice.
 */
import assert from "node:assert/strict";
import { webgpuAdapter } from "../../src/engine/providers.ts";
import { readMatVar } from "../../src/mat/read.ts";
import type { ModelManifest } from "../../src/models/manifest.ts";
import { OnnxReconstructor } from "../../src/models/onnx_model.ts";
import { readManifest } from "../../src/models/registry.ts";
import {
  PROBE_TOLERANCE,
  probeProvider,
  probeText,
  smallProbeClass,
} from "../../src/pipeline/provider_probe.ts";
import { probeInput } from "../../src/pipeline/preflight.ts";
import { submitWithModels } from "../../src/pipeline/run.ts";
import { synthesize } from "../../src/synth/dataset.ts";
import { convNetModel } from "../engine/models.ts";

const adapter = await webgpuAdapter();
if (!adapter.available) {
  console.warn(`notice: no WebGPU adapter (${adapter.reason}); the WebGPU probe tests are skipped`);
}

const root = await Deno.makeTempDir({ prefix: "cmrxkit-gpuprobe-" });
globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(root, { recursive: true });
  } catch { /* gone */ }
});

/**
 * A residual conv net on the 2T-channel zero-filled image of a T2 mapping slice (3
 * weightings: 6 channels), or of 4 frames (8 channels).
 */
async function convModel(name: string, channels: 6 | 8): Promise<string> {
  const dir = `${root}/models-${name}`;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeFile(`${dir}/${name}.onnx`, convNetModel({ channels, hidden: 16, layers: 2 }));
  const m: ModelManifest = {
    format: 1,
    name,
    file: `${name}.onnx`,
    description: `conv net on ${channels} channels`,
    inputs: [{ name: "x", role: "zerofilled", layout: "B,T*2,Y,X" }],
    output: { name: "y", role: "image", layout: "B,T*2,Y,X" },
    // 6 channels: a T2 mapping slice (3 weightings); 8: 4 cine frames
    feeder: channels === 6 ? { kind: "weightings" } : { kind: "sequence", frames: 4 },
    normalization: { kind: "max" },
    serves: {
      tasks: [channels === 6 ? "mapping" : "cine"],
      views: channels === 6 ? ["T2"] : ["sax"],
      accelerations: [],
      coils: ["MultiCoil"],
    },
  };
  await Deno.writeTextFile(`${dir}/${name}.json`, JSON.stringify(m));
  return `${dir}/${name}.json`;
}

Deno.test({
  name: "a graph with a known WebGPU Conv bug runs on the CPU, with the nodes and the fix named",
  ignore: !adapter.available,
  async fn() {
    const entry = await readManifest(await convModel("hazard-6", 6));
    const m = new OnnxReconstructor(entry, { device: "webgpu" });
    try {
      const e = await m.engine();
      assert.equal(e.provider, "cpu");
      assert.match(
        e.notice ?? "",
        /not running on WebGPU: 1 Conv node\(s\) of this graph hit a bug of onnxruntime-web 1\.30's WebGPU provider/,
      );
      assert.match(e.notice ?? "", /\(6 -> 16\).*cmrxtrain\.webgpu_safe .*hazard-6\.onnx/);
    } finally {
      await m.release();
    }
  },
});

Deno.test("probe slices stay undersampled, small ones too (else data consistency hides the network)", () => {
  for (const [nx, ny] of [[16, 16], [32, 24], [96, 72]]) {
    const s = probeInput({ task: "cine", nx, ny, nc: 2, nt: 2, acc: 4, cases: [] });
    let lines = 0;
    for (let y = 0; y < ny; y++) lines += s.mask[nx * y] ? 1 : 0;
    assert.ok(lines < ny, `${nx}x${ny}: ${lines} of ${ny} lines sampled`);
    assert.ok(lines >= 8, `${nx}x${ny}: ${lines} lines (the coil maps need 8)`);
  }
});

Deno.test("smallProbeClass: 32 x 24, at most 4 coils, the model's frames", async () => {
  const m = (await readManifest(await convModel("probe-size", 6))).manifest;
  const s = smallProbeClass(m);
  assert.deepEqual([s.task, s.nx, s.ny, s.nc, s.nt], ["mapping", 32, 24, 4, 3]);
  const like = { task: "mapping" as const, nx: 96, ny: 72, nc: 10, nt: 3, acc: 8, cases: ["a"] };
  assert.deepEqual(smallProbeClass(m, like), { ...like, nx: 32, ny: 24, nc: 4 });
});

Deno.test({
  name: "probeProvider: a graph WebGPU computes wrongly fails the probe; a healthy one passes",
  ignore: !adapter.available,
  async fn() {
    for (const [channels, ok] of [[6, false], [8, true]] as const) {
      const entry = await readManifest(await convModel(`probe-${channels}`, channels));
      // the known-bug check would keep the 6-channel graph off WebGPU: let the probe find it
      const gpu = new OnnxReconstructor(entry, { device: "webgpu", webgpuHazards: "ignore" });
      try {
        assert.equal((await gpu.engine()).provider, "webgpu");
        const p = (await probeProvider(entry, gpu))!;
        assert.equal(p.provider, "webgpu");
        assert.equal(p.tolerance, PROBE_TOLERANCE);
        assert.equal(p.ok, ok, `${channels} channels: max rel ${p.maxRel}`);
        if (ok) assert.ok(p.maxRel < 1e-5, `${p.maxRel}`);
        else assert.ok(p.maxRel > 1e-2, `${p.maxRel}`);
        const text = probeText(p);
        assert.match(text, new RegExp(`model probe-${channels}: webgpu`));
        if (!ok) {
          assert.match(
            text,
            /differs from the CPU .* by .* \(tolerance 1e-4\); running it on the CPU instead/,
          );
        }
        console.log(`  ${text}`);
      } finally {
        await gpu.release();
      }
    }
    // a model on the CPU is not probed
    const entry = await readManifest(await convModel("probe-cpu", 8));
    const cpu = new OnnxReconstructor(entry, { device: "cpu" });
    assert.equal(await probeProvider(entry, cpu), null);
    await cpu.release();
  },
});

Deno.test({
  name:
    "submit on WebGPU: the failing model runs on the CPU, named in the log and the run manifest",
  ignore: !adapter.available,
  async fn() {
    const data = `${root}/data`;
    await synthesize({
      out: data,
      size: "small",
      seed: 3,
      patients: 1,
      tasks: ["mapping"],
      splits: ["validation"],
    });
    // chosen per case: T2 files get the model, T1 files the classical default
    const model = await convModel("t2-conv6", 6);
    const run = (device: "webgpu" | "cpu", output: string, notices: string[]) =>
      submitWithModels({
        input: data,
        output,
        task: "mapping",
        split: "validation",
        acc: [4],
        modelsDir: model.slice(0, model.lastIndexOf("/")),
        workers: 1,
        engine: { device, webgpuHazards: "ignore" },
        onNotice: (n) => notices.push(n),
      });
    const notices: string[] = [];
    const s = await run("webgpu", `${root}/out-webgpu`, notices);
    assert.deepEqual(s.failed, []);
    assert.ok(
      notices.some((n) =>
        /model t2-conv6: webgpu differs from the CPU on a 32x24, 4 coil\(s\), 3 weightings probe/
          .test(n)
      ),
      notices.join("\n"),
    );
    const log = (await Deno.readTextFile(`${root}/out-webgpu/run-log.jsonl`)).split("\n");
    const start = JSON.parse(log[0]);
    assert.equal(start.providerProbes[0].model, "t2-conv6");
    assert.equal(start.providerProbes[0].ok, false);
    const manifest = JSON.parse(await Deno.readTextFile(`${root}/out-webgpu/cmrxkit-run.json`));
    assert.equal(manifest.providers[0].used, "cpu");
    assert.ok(manifest.providers[0].maxRel > 1e-2);
    // and what it wrote is the CPU's
    const c = await run("cpu", `${root}/out-cpu`, []);
    assert.equal(c.written, s.written);
    const rel = "Submission/MultiCoil/Mapping/ValidationSet/AccFactor04/P001/T2map.mat";
    const a = await readMatVar(`${root}/out-webgpu/${rel}`, "img4ranking");
    const b = await readMatVar(`${root}/out-cpu/${rel}`, "img4ranking");
    assert.deepEqual(a.dims, b.dims);
    assert.deepEqual(Array.from(a.data), Array.from(b.data), "the CPU's image, exactly");
  },
});
