/**
 * Every shipped model through `--device webgpu` against the CPU (issue 20): the parity
 * probe `submit` runs before it trusts a GPU provider, on a small undersampled slice
 * (16 x 16, 2 coils; the WebGPU adapter in CI is Mesa's lavapipe, a software Vulkan about 20
 * times slower than the CPU provider), held to the probe's tolerance of 1e-4 of the output's
 * maximum. Without any WebGPU adapter the test is skipped with a notice.
 */
import assert from "node:assert/strict";
import { webgpuAdapter } from "../../src/engine/providers.ts";
import { OnnxReconstructor } from "../../src/models/onnx_model.ts";
import { listModels } from "../../src/models/registry.ts";
import { PROBE_TOLERANCE, probeProvider } from "../../src/pipeline/provider_probe.ts";

const adapter = await webgpuAdapter();
if (!adapter.available) {
  console.warn(`notice: no WebGPU adapter (${adapter.reason}); shipped models not run on WebGPU`);
}

for (const entry of await listModels()) {
  Deno.test({
    name: `shipped ${entry.manifest.name} on WebGPU matches the CPU within ${PROBE_TOLERANCE}`,
    ignore: !adapter.available,
    async fn() {
      const gpu = new OnnxReconstructor(entry, { device: "webgpu", warmup: false });
      try {
        const e = await gpu.engine();
        assert.equal(e.provider, "webgpu", e.notice);
        const p = (await probeProvider(entry, gpu, { small: { nx: 16, ny: 16, nc: 2 } }))!;
        console.log(
          `  ${p.model}: webgpu (${adapter.label}) vs cpu on ${p.size}: max rel ${
            p.maxRel.toExponential(2)
          }; ${p.deviceSeconds.toFixed(1)} s vs ${p.cpuSeconds.toFixed(1)} s`,
        );
        assert.ok(p.ok, `max rel ${p.maxRel}`);
      } finally {
        await gpu.release();
      }
    },
  });
}
