/**
 * Per-slice inference time of the same network in onnxruntime-node (CPU) and in PyTorch
 * (Debian python3-torch, CPU), same weights, same input, same thread count, in one run.
 * The network is a CRNN-MRI-style unrolled cascade (CNN + residual + data consistency as
 * DFT matrix products) defined in bench/ort_torch.py and exported from PyTorch to ONNX.
 *
 * Usage: deno task bench ort [--ny 246] [--nx 512] [--frames 12] [--cascades 5] [--width 32]
 *                            [--reps 3] [--threads 2]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { OnnxSession } from "../src/engine/session.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    ny: { type: "string", default: "246" },
    nx: { type: "string", default: "512" },
    frames: { type: "string", default: "12" },
    cascades: { type: "string", default: "5" },
    width: { type: "string", default: "32" },
    reps: { type: "string", default: "3" },
    threads: { type: "string", default: "2" },
  },
});
const [ny, nx, t, reps, threads] = [
  values.ny,
  values.nx,
  values.frames,
  values.reps,
  values.threads,
].map(Number);
const dir = await Deno.makeTempDir({ prefix: "cmrxkit-ort-" });
const py = await new Deno.Command("/usr/bin/python3", {
  args: [
    new URL("./ort_torch.py", import.meta.url).pathname,
    dir,
    String(ny),
    String(nx),
    String(t),
    values.cascades!,
    values.width!,
    String(reps),
    String(threads),
  ],
}).output();
if (!py.success) throw new Error(new TextDecoder().decode(py.stderr));
const ref = JSON.parse(new TextDecoder().decode(py.stdout).trim().split("\n").pop()!);
const read = async (name: string) =>
  new Float32Array((await Deno.readFile(`${dir}/${name}`)).buffer);
const feeds = {
  image: { data: await read("input_image.f32"), dims: [t, 2, ny, nx] },
  kspace: { data: await read("input_kspace.f32"), dims: [t, 2, ny, nx] },
  mask: { data: await read("input_mask.f32"), dims: [ny, nx] },
};
const engine = await OnnxSession.load(`${dir}/model.onnx`, {
  device: "cpu",
  intraOpThreads: threads,
  interOpThreads: 1,
});
let out = await engine.run(feeds); // warm up
const times: number[] = [];
for (let r = 0; r < reps; r++) {
  const t0 = performance.now();
  out = await engine.run(feeds);
  times.push((performance.now() - t0) / 1000);
}
await engine.release();
const ours = times.sort((a, b) => a - b)[Math.floor(reps / 2)];
const want = await read("output.f32");
const got = out.out.data;
let err = 0, norm = 0;
for (let i = 0; i < want.length; i++) {
  err = Math.max(err, Math.abs(got[i] - want[i]));
  norm = Math.max(norm, Math.abs(want[i]));
}
console.log(
  `CRNN-style cascade (${values.cascades} cascades, width ${values.width}, ${
    ref.params.toLocaleString("en")
  } parameters), ` +
    `one slice = ${t} frames x ${ny} x ${nx}, ${threads} threads, median of ${reps}`,
);
console.log(`  PyTorch ${ref.torch_version} (CPU):      ${ref.torch.toFixed(3)} s per slice`);
console.log(`  onnxruntime-node 1.30 (CPU): ${ours.toFixed(3)} s per slice`);
console.log(
  `  ratio PyTorch / onnxruntime: ${(ref.torch / ours).toFixed(2)}x (> 1: onnxruntime faster)`,
);
console.log(`  max |difference| / max |output|: ${(err / norm).toExponential(2)}`);
await Deno.remove(dir, { recursive: true });
