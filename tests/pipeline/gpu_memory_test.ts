/**
 * GPU memory reported honestly (issue 20): a run samples its own process with `nvidia-smi`
 * where it exists and reports the peak beside the static estimate and the limit; where it
 * does not, the summary says the figure is an estimate. A fake `nvidia-smi` on PATH stands
 * for the driver here.
 */
import assert from "node:assert/strict";
import { gpuMemoryLine } from "../../cli/print.ts";
import { GpuMemorySampler, parseComputeApps, processTree } from "../../src/engine/gpu_memory.ts";
import type { ModelManifest } from "../../src/models/manifest.ts";
import { submitWithModels } from "../../src/pipeline/run.ts";
import { synthesize } from "../../src/synth/dataset.ts";
import { identityModel } from "../engine/models.ts";

const root = await Deno.makeTempDir({ prefix: "cmrxkit-gpumem-" });
globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(root, { recursive: true });
  } catch { /* gone */ }
});
const data = `${root}/data`;
await synthesize({ out: data, size: "small", seed: 5, patients: 1, splits: ["validation"] });

async function anySizeModel(): Promise<string> {
  const dir = `${root}/models`;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeFile(
    `${dir}/zf.onnx`,
    identityModel(["T", "Y", "X", 2], { input: "zf", output: "image" }),
  );
  const m: ModelManifest = {
    format: 1,
    name: "zf",
    file: "zf.onnx",
    description: "the zero-filled image",
    inputs: [{ name: "zf", role: "zerofilled", layout: "T,Y,X,2" }],
    output: { name: "image", role: "image", layout: "T,Y,X,2" },
    feeder: { kind: "sequence" },
    normalization: { kind: "max" },
    serves: { tasks: ["cine"], views: ["sax", "lax"], accelerations: [], coils: ["MultiCoil"] },
  };
  await Deno.writeTextFile(`${dir}/zf.json`, JSON.stringify(m));
  return `${dir}/zf.json`;
}

/** Runs `fn` with a fake `nvidia-smi` first on PATH that lists this process with `mib`. */
async function withFakeNvidiaSmi<T>(mib: number, fn: () => Promise<T>): Promise<T> {
  const bin = `${root}/bin`;
  await Deno.mkdir(bin, { recursive: true });
  // the script's parent is the Deno process that runs it
  await Deno.writeTextFile(
    `${bin}/nvidia-smi`,
    `#!/bin/sh\necho "$PPID, ${mib}"\necho "99999999, 7"\n`,
  );
  await Deno.chmod(`${bin}/nvidia-smi`, 0o755);
  const path = Deno.env.get("PATH") ?? "";
  Deno.env.set("PATH", `${bin}:${path}`);
  try {
    return await fn();
  } finally {
    Deno.env.set("PATH", path);
  }
}

function run(model: string, output: string) {
  return submitWithModels({
    input: data,
    output,
    task: "cine",
    split: "validation",
    acc: [4],
    model,
    workers: 1,
    engine: { device: "cpu" },
  });
}

Deno.test("nvidia-smi rows and the process tree", () => {
  assert.deepEqual(parseComputeApps("12, 300\n[N/A]\n 7 , 1.5\n"), [
    { pid: 12, usedMiB: 300 },
    { pid: 7, usedMiB: 1.5 },
  ]);
  assert.ok(processTree(Deno.pid).has(Deno.pid));
});

Deno.test({
  name: "without nvidia-smi: not sampled, and the summary calls the figure an estimate",
  ignore: (() => {
    try {
      return new Deno.Command("nvidia-smi", { stdout: "null", stderr: "null" }).outputSync()
        .success;
    } catch {
      return false;
    }
  })(),
  async fn() {
    const s = await run(await anySizeModel(), `${root}/out-none`);
    assert.equal(s.gpuMemory.peakBytes, null);
    assert.match(s.gpuMemory.sampling, /not sampled \(no nvidia-smi\)/);
    assert.ok(s.gpuMemory.estimateBytes! > 0, "the ONNX model's static estimate");
    assert.equal(s.gpuMemory.limitBytes, 24 * 1024 ** 3, "the 2023 limit");
    const line = gpuMemoryLine(s.gpuMemory)!;
    assert.match(line, /GPU memory: not sampled \(no nvidia-smi\); the static estimate/);
    assert.match(line, /an estimate, not a measurement\); limit 24\.0 GiB/);
    // the run log's end record has it too
    const log = (await Deno.readTextFile(`${root}/out-none/run-log.jsonl`)).trim().split("\n");
    const end = JSON.parse(log.at(-1)!);
    assert.equal(end.event, "end");
    assert.equal(end.gpuMemory.peakBytes, null);
    // a classical method: nothing to estimate, nothing sampled, no line
    const g = await run("zerofill", `${root}/out-classical`);
    assert.equal(g.gpuMemory.estimateBytes, null);
    assert.equal(gpuMemoryLine(g.gpuMemory), null);
  },
});

Deno.test("with nvidia-smi: this process's peak is measured and reported beside the estimate", async () => {
  const model = await anySizeModel();
  const s = await withFakeNvidiaSmi(2048, () => run(model, `${root}/out-smi`));
  assert.equal(s.gpuMemory.peakBytes, 2048 * 1024 ** 2, "only this process's row counts");
  assert.match(s.gpuMemory.sampling, /^nvidia-smi, \d+ sample\(s\)$/);
  const line = gpuMemoryLine(s.gpuMemory)!;
  assert.match(
    line,
    /^GPU memory: peak 2\.0 GiB measured \(nvidia-smi, \d+ sample\(s\)\); static estimate \d+\.\d+ [KMG]iB; limit 24\.0 GiB$/,
  );
  // the sampler alone
  const g = await withFakeNvidiaSmi(100, async () => {
    const sampler = new GpuMemorySampler(Deno.pid, 20);
    await sampler.start();
    await new Promise((r) => setTimeout(r, 80));
    sampler.stop();
    return sampler;
  });
  assert.equal(g.peak, 100 * 1024 ** 2);
  assert.ok(g.samples >= 2, `${g.samples} samples`);
});
