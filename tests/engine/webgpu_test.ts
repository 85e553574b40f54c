/**
 * `--device webgpu` (onnxruntime-web's WebGPU provider) and `auto`'s choice between CUDA,
 * WebGPU and the CPU. Parity runs need an adapter from `navigator.gpu`: on this project's
 * machines Mesa's lavapipe (software Vulkan, `mesa-vulkan-drivers` + `libvulkan1`); without
 * one they are skipped with a notice.
 *
 * @module
 */

import assert from "node:assert/strict";
import { UsageError } from "../../src/errors.ts";
import {
  cudaAvailable,
  parseDevice,
  softwareAdapterReason,
  webgpuAdapter,
  type WebGpuAdapterInfo,
} from "../../src/engine/providers.ts";
import { type EngineTensor, OnnxSession } from "../../src/engine/session.ts";
import { OnnxReconstructor } from "../../src/models/onnx_model.ts";
import { readManifest, SHIPPED_MODELS } from "../../src/models/registry.ts";
import { maxRel, randomSlice } from "../models/fixtures.ts";
import { convNetModel, identityModel, seededRandom } from "./models.ts";

const dir = await Deno.makeTempDir({ prefix: "cmrxkit-webgpu-" });
globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(dir, { recursive: true });
  } catch { /* gone */ }
});
async function save(name: string, bytes: Uint8Array): Promise<string> {
  const p = `${dir}/${name}.onnx`;
  await Deno.writeFile(p, bytes);
  return p;
}
const gpu = await webgpuAdapter();
const cuda = cudaAvailable();
if (!gpu.available) {
  console.warn(`webgpu_test: parity runs skipped: ${gpu.reason}`);
} else {
  console.log(`webgpu_test: adapter ${JSON.stringify(gpu.info)}`);
}
// onnxruntime-web keeps its wasm runtime (and WebGPU device) alive for the process
const noSanitize = { sanitizeOps: false, sanitizeResources: false };

function randn(n: number, seed: number): Float32Array {
  const r = seededRandom(seed);
  return new Float32Array(n).map(() => r());
}

Deno.test("parseDevice accepts webgpu (any case) beside auto, cpu and cuda", () => {
  assert.equal(parseDevice("webgpu"), "webgpu");
  assert.equal(parseDevice(" WebGPU "), "webgpu");
  assert.equal(parseDevice("cpu"), "cpu");
  assert.throws(() => parseDevice("webgpu:1"), UsageError);
  assert.throws(() => parseDevice("wgpu"), (e: Error) => /webgpu/.test(String(e)));
});

Deno.test("softwareAdapterReason: llvmpipe, lavapipe, SwiftShader, fallback are software; NVIDIA is not", () => {
  const info = (o: Partial<WebGpuAdapterInfo>): WebGpuAdapterInfo => ({
    vendor: "",
    architecture: "",
    device: "",
    description: "",
    ...o,
  });
  // what Deno 2.9.6 reports for Mesa's lavapipe here
  const lavapipeDeno = info({
    vendor: "65541",
    device: "0",
    description: "llvmpipe (LLVM 15.0.6, 256 bits)",
    isFallbackAdapter: true,
  });
  assert.match(softwareAdapterReason(lavapipeDeno)!, /fallback/);
  // the same without the fallback flag (a runtime that does not report it)
  assert.match(
    softwareAdapterReason({ ...lavapipeDeno, isFallbackAdapter: undefined })!,
    /llvmpipe/,
  );
  assert.match(softwareAdapterReason(info({ description: "lavapipe" }))!, /lavapipe/);
  assert.match(softwareAdapterReason(info({ vendor: "65541" }))!, /Mesa/);
  assert.match(
    softwareAdapterReason(info({
      vendor: "google",
      architecture: "swiftshader",
      description: "SwiftShader Device (Subzero)",
    }))!,
    /swiftshader/i,
  );
  assert.match(
    softwareAdapterReason(info({ description: "Microsoft Basic Render Driver" }))!,
    /Basic Render/,
  );
  const nvidia = info({
    vendor: "4318",
    device: "8711",
    description: "NVIDIA H100 80GB HBM3",
    isFallbackAdapter: false,
  });
  assert.equal(softwareAdapterReason(nvidia), undefined);
  assert.equal(
    softwareAdapterReason(info({ vendor: "nvidia", architecture: "hopper" })),
    undefined,
  );
});

Deno.test("webgpuAdapter: asked once, a boolean answer, software named with its reason", async () => {
  const again = await webgpuAdapter();
  assert.equal(again, gpu, "the answer is kept");
  assert.equal(typeof gpu.available, "boolean");
  if (!gpu.available) assert.ok(gpu.reason);
  else {
    assert.ok(gpu.info && gpu.label);
    assert.equal(gpu.software, softwareAdapterReason(gpu.info) !== undefined);
    if (gpu.software) assert.ok(gpu.softwareReason);
  }
});

async function both(
  path: string,
  feeds: Record<string, EngineTensor>,
  out: string,
): Promise<{ rel: number; cpuMs: number; gpuMs: number }> {
  const cpu = await OnnxSession.load(path, { device: "cpu" });
  const web = await OnnxSession.load(path, { device: "webgpu" });
  try {
    assert.equal(web.provider, "webgpu", web.notice);
    assert.equal(web.notice, undefined);
    assert.equal(web.deviceId, 0);
    assert.deepEqual(web.adapter, gpu.info);
    const a = await cpu.run(feeds);
    const b = await web.run(feeds);
    assert.deepEqual(b[out].dims, a[out].dims);
    assert.ok(b[out].data instanceof Float32Array);
    return {
      rel: maxRel(b[out].data, a[out].data),
      cpuMs: cpu.stats.lastMs,
      gpuMs: web.stats.lastMs,
    };
  } finally {
    await cpu.release();
    await web.release();
  }
}

Deno.test({
  name: "webgpu: an identity graph and a conv net match the CPU session to 1e-5",
  ignore: !gpu.available,
  ...noSanitize,
  async fn() {
    const id = await both(await save("identity", identityModel(["N", 3])), {
      x: { data: randn(12, 3), dims: [4, 3] },
    }, "y");
    assert.equal(id.rel, 0, `identity: max rel ${id.rel}`);
    const conv = await both(await save("conv", convNetModel({ hidden: 8, layers: 3 })), {
      x: { data: randn(2 * 2 * 24 * 32, 5), dims: [2, 2, 24, 32] },
    }, "y");
    console.log(
      `  conv net 2x2x24x32: max rel ${conv.rel.toExponential(2)}; one run: CPU ` +
        `${conv.cpuMs.toFixed(1)} ms, WebGPU (${gpu.label}) ${conv.gpuMs.toFixed(1)} ms`,
    );
    assert.ok(conv.rel < 1e-5, `conv net: max rel ${conv.rel}`);
  },
});

Deno.test({
  name: "webgpu: a session leaves globalThis.Worker as it was (the worker pool still starts)",
  ignore: !gpu.available,
  ...noSanitize,
  async fn() {
    const before = globalThis.Worker;
    const s = await OnnxSession.load(
      await save("worker-check", convNetModel({ hidden: 4, layers: 2 })),
      { device: "webgpu" },
    );
    try {
      assert.equal(s.provider, "webgpu");
      await s.run({ x: { data: randn(2 * 8 * 8, 3), dims: [1, 2, 8, 8] } });
      // onnxruntime-web's start-up swaps in Node's worker_threads Worker; cmrxkit puts it back
      assert.equal(globalThis.Worker, before);
      const w = new Worker(
        URL.createObjectURL(new Blob(["postMessage(6 * 7)"], { type: "text/javascript" })),
        { type: "module" },
      );
      const got = await new Promise((r) => (w.onmessage = (e) => r(e.data)));
      w.terminate();
      assert.equal(got, 42);
    } finally {
      await s.release();
    }
  },
});

Deno.test({
  name: "webgpu: int64 inputs are fed to onnxruntime-web as BigInt64Array",
  ignore: !gpu.available,
  ...noSanitize,
  async fn() {
    const { GraphBuilder } = await import("../../src/engine/onnx/mod.ts");
    const g = new GraphBuilder("cast");
    g.input("n", "int64", [3]).output("y", "float32", [3]);
    g.node("Cast", ["n"], ["y"], { to: 1 });
    const path = await save("cast", g.toModel({ opset: 17 }));
    const web = await OnnxSession.load(path, { device: "webgpu" });
    try {
      assert.equal(web.provider, "webgpu");
      const r = await web.run({ n: { data: new Float32Array([1.4, -2, 7.6]), dims: [3] } });
      assert.deepEqual([...r.y.data], [1, -2, 8]);
    } finally {
      await web.release();
    }
  },
});

Deno.test({
  name: "auto picks CPU here when the WebGPU adapter is software, naming the adapter",
  ignore: cuda.available || !gpu.available || !gpu.software,
  ...noSanitize,
  async fn() {
    const e = await OnnxSession.load(await save("identity2", identityModel([2, 3])));
    try {
      assert.equal(e.provider, "cpu");
      assert.equal(e.adapter, undefined);
      const n = e.notice ?? "";
      assert.ok(!n.includes("\n"), "one line");
      assert.match(n, /^no usable GPU: no usable CUDA \(.+\); the WebGPU adapter ".+" is software/);
      assert.ok(n.includes(gpu.label!), n);
      assert.match(n, /running on CPU$/);
      console.log(`  notice: ${n}`);
    } finally {
      await e.release();
    }
  },
});

Deno.test({
  name: "webgpu: OnnxReconstructor with crnn-mri (8 x 24, 2 coils) matches the CPU to 1e-4",
  ignore: !gpu.available,
  ...noSanitize,
  async fn() {
    const entry = await readManifest(`${SHIPPED_MODELS}/crnn-mri.json`);
    const frames = entry.manifest.feeder.frames ?? 12; // the manifest's: 12
    // small: lavapipe runs this graph (8-member ensemble, 5 iterations) ~30x slower than
    // the CPU provider; 64 x 48 x 4 coils took 375 s here against 11 s on the CPU
    const input = randomSlice(8, 24, 2, frames, 7, 10);
    const run = async (device: "cpu" | "webgpu") => {
      const r = new OnnxReconstructor(entry, { device, warmup: false });
      try {
        const t0 = performance.now();
        const out = await r.reconstruct(input);
        const ms = performance.now() - t0;
        const engine = await r.engine();
        return { image: out.image, ms, provider: engine.provider };
      } finally {
        await r.release();
      }
    };
    const cpu = await run("cpu");
    const web = await run("webgpu");
    assert.equal(web.provider, "webgpu");
    assert.equal(web.image.length, cpu.image.length);
    const rel = maxRel(web.image, cpu.image);
    console.log(
      `  crnn-mri 8x24, 2 coils, ${frames} frames: max |webgpu - cpu| / max = ` +
        `${rel.toExponential(2)}; one slice (incl. load, no warm-up): CPU ${
          cpu.ms.toFixed(0)
        } ms, ` +
        `WebGPU ${web.ms.toFixed(0)} ms`,
    );
    assert.ok(rel < 1e-4, `crnn-mri: max rel ${rel}`);
  },
});
