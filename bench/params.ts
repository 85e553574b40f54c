/**
 * The papers' parameter / inference-time table for every model in train/'s registry, at the
 * papers' default widths (random weights: time and size do not depend on training): the
 * trainable parameters and the time to reconstruct one slice (all frames or weightings) in
 * onnxruntime-node on CPU, against PyTorch on the same input, threads and machine, measured
 * in one run (the ratio is the figure; absolute times on a shared 2-core machine are noise).
 *
 * Usage: deno task bench params [--models crnn,crunet,...] [--ny 72] [--nx 96] [--coils 10]
 *                               [--reps 3] [--threads 2]
 *
 * Defaults are the synthetic small size (96 x 72, 10 coils; cine 12 frames, T1 9, T2 3);
 * full size (--ny 246 --nx 512) is 18x the pixels. With a GPU, run the same shapes through
 * `deno task submit --device cuda` for the GPU column (not available on this machine).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { OnnxSession } from "../src/engine/session.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    models: { type: "string" },
    ny: { type: "string", default: "72" },
    nx: { type: "string", default: "96" },
    coils: { type: "string", default: "10" },
    reps: { type: "string", default: "3" },
    threads: { type: "string", default: "2" },
  },
});
const py = "/usr/bin/python3";
const env = {
  PYTHONPATH: new URL("../train", import.meta.url).pathname,
  PYTHONDONTWRITEBYTECODE: "1",
};
const list = values.models?.split(",") ?? new TextDecoder().decode(
  (await new Deno.Command(py, { args: ["-m", "cmrxtrain.export", "--list"], env }).output()).stdout,
).trim().split("\n");
const dir = await Deno.makeTempDir({ prefix: "cmrxkit-params-" });
const reps = Number(values.reps);
const threads = Number(values.threads);
interface Row {
  name: string;
  parameters: number;
  frames: number;
  ort: number;
  torch: number;
}
const rows: Row[] = [];
for (const name of list) {
  const onnx = `${dir}/${name}.onnx`;
  const out = await new Deno.Command(py, {
    args: [
      new URL("./params_torch.py", import.meta.url).pathname,
      name,
      onnx,
      values.ny!,
      values.nx!,
      values.coils!,
      String(reps),
      String(threads),
    ],
    env,
    stderr: "piped",
  }).output();
  if (!out.success) {
    console.error(
      `${name}: PyTorch side failed\n${new TextDecoder().decode(out.stderr).slice(-800)}`,
    );
    continue;
  }
  const info = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
  const engine = await OnnxSession.load(onnx, { device: "cpu", intraOpThreads: threads });
  const feeds: Record<string, { data: Float32Array; dims: number[] }> = {};
  for (const k of ["kspace", "mask", "sens"]) {
    const bytes = await Deno.readFile(`${onnx}.${k}.bin`);
    feeds[k] = { data: new Float32Array(bytes.buffer), dims: info.shapes[k] };
  }
  await engine.run(feeds); // warm-up
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    await engine.run(feeds);
    times.push((performance.now() - t0) / 1000);
  }
  await engine.release();
  times.sort((a, b) => a - b);
  const ort = times[Math.floor(times.length / 2)];
  rows.push({ name, parameters: info.parameters, frames: info.frames, ort, torch: info.torch_s });
  console.error(`  ${name}: ORT ${ort.toFixed(3)} s, PyTorch ${info.torch_s.toFixed(3)} s`);
}
await Deno.remove(dir, { recursive: true });
console.log(
  `Paper widths, one slice of ${values.nx} x ${values.ny} (x, y), ${values.coils} coils, CPU, ` +
    `${threads} threads, median of ${reps}:\n`,
);
console.log(
  "| model | parameters | frames | onnxruntime-node s/slice | PyTorch s/slice | ORT time / PyTorch |",
);
console.log("|---|---|---|---|---|---|");
for (const r of rows) {
  console.log(
    `| ${r.name} | ${r.parameters.toLocaleString("en")} | ${r.frames} | ${r.ort.toFixed(3)} | ${
      r.torch.toFixed(3)
    } | ${(r.ort / r.torch).toFixed(2)}x |`,
  );
}
