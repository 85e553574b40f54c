/**
 * The prepared device run (`deno task bench gpu`, bench/gpu.ts) in its dry-run mode: on any
 * WebGPU adapter (lavapipe in CI) at 16 x 16 with 2 coils, PyTorch on the CPU. Runs the two
 * shipped mapping models (a few seconds each on lavapipe; the cine models' 12-frame
 * recurrences take 20-50 s a run there) through the probe, WebGPU and CPU timing, and checks
 * the JSON and Markdown it writes. `CMRX_GPU_TEST_ALL=1` runs every shipped model (about 3
 * minutes on lavapipe). Skipped with a notice without a WebGPU adapter.
 *
 * @module
 */

import assert from "node:assert/strict";
import { webgpuAdapter } from "../../src/engine/providers.ts";
import { listModels, SHIPPED_MODELS } from "../../src/models/registry.ts";
import { hasTorch, PYTHON, ROOT } from "../train/python.ts";

const adapter = await webgpuAdapter();
if (!adapter.available) console.warn(`gpu_test: skipped: no WebGPU adapter (${adapter.reason})`);
const all = Deno.env.get("CMRX_GPU_TEST_ALL") === "1";

interface Row {
  model: string;
  provider?: string;
  probe?: { ok: boolean; maxRel: number; provider: string } | null;
  webgpu?: { seconds: number; reps: number; fromProbe?: boolean };
  cpu?: { seconds: number; reps: number };
  errors: string[];
  skipped?: string;
}

Deno.test({
  name: "bench gpu --dry-run: every model asked for has a probe, WebGPU and CPU times",
  ignore: !adapter.available,
  // onnxruntime-web keeps its wasm runtime alive in the child only; nothing leaks here
  async fn() {
    const out = await Deno.makeTempDir({ prefix: "cmrxkit-gpu-bench-" });
    const shipped = (await listModels(SHIPPED_MODELS)).filter((e) => !e.manifest.process)
      .map((e) => e.manifest.name).sort();
    const models = all ? shipped : shipped.filter((n) => n.startsWith("relax-vn"));
    assert.ok(models.length >= 2, `shipped models: ${shipped.join(", ")}`);
    const res = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        `${ROOT}bench/gpu.ts`,
        "--dry-run",
        "--models",
        models.join(","),
        "--webgpu-time",
        all ? "probe" : "timed",
        "--out",
        out,
        ...(hasTorch ? ["--python", PYTHON, "--torch-models", "crnn"] : ["--no-torch"]),
      ],
      env: { NO_COLOR: "1", XDG_RUNTIME_DIR: Deno.env.get("XDG_RUNTIME_DIR") ?? "/tmp" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(res.stdout) + new TextDecoder().decode(res.stderr);
    assert.equal(res.code, 0, text.slice(-3000));
    const json = JSON.parse(await Deno.readTextFile(`${out}/gpu.json`));
    assert.equal(json.dryRun, true);
    assert.equal(json.adapter.available, true);
    const rows = json.models as Row[];
    assert.deepEqual(rows.map((r) => r.model).sort(), models);
    for (const r of rows) {
      const at = `${r.model}: ${JSON.stringify(r)}`;
      assert.equal(r.skipped, undefined, at);
      assert.deepEqual(r.errors, [], at);
      assert.ok(r.cpu && r.cpu.seconds > 0 && r.cpu.reps >= 1, at);
      if (r.provider === "webgpu") {
        assert.ok(r.probe && r.probe.provider === "webgpu" && Number.isFinite(r.probe.maxRel), at);
        assert.ok(r.webgpu && r.webgpu.seconds > 0, at);
        assert.equal(r.webgpu.fromProbe === true, all, at);
      } else {
        // refused by the engine (a known WebGPU hazard): on the CPU, with its notice
        assert.equal(r.provider, "cpu", at);
      }
    }
    if (hasTorch) {
      assert.equal(json.torch.device, "cpu");
      const crnn = json.torch.rows.find((r: { name: string }) => r.name === "crnn");
      assert.ok(crnn && crnn.parameters === 297794 && crnn.seconds > 0, JSON.stringify(json.torch));
    }
    const md = await Deno.readTextFile(`${out}/gpu.md`);
    assert.match(md, /DRY RUN/);
    for (const m of models) assert.match(md, new RegExp(`\\| ${m} \\|`));
    assert.match(md, /Quadro RTX 6000/);
    await Deno.remove(out, { recursive: true });
  },
});

Deno.test("bench/gpu.sh and bench/gpu_pack.sh parse (bash -n); `deno task bench` lists gpu", async () => {
  const list = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}bench/main.ts`],
    env: { NO_COLOR: "1" },
    stdout: "piped",
  }).output();
  assert.match(new TextDecoder().decode(list.stdout), /^\s+gpu\s+device run/m);
  for (const f of ["bench/gpu.sh", "bench/gpu_pack.sh"]) {
    const r = await new Deno.Command("bash", { args: ["-n", `${ROOT}${f}`], stderr: "piped" })
      .output();
    assert.ok(r.success, `${f}: ${new TextDecoder().decode(r.stderr)}`);
  }
});
