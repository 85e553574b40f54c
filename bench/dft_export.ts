/**
 * The centred orthonormal 2-D inverse FFT (cmrxtrain's `ifft2c`) of one cine slice's
 * multi-coil k-space, T x C x Y x X complex, exported from PyTorch two ways and run on
 * onnxruntime-node's CPU provider through cmrxkit's OnnxSession, in one process:
 * (a) `--fft matmul`, DFT-matrix products, (b) `--fft dft`, ONNX's DFT operator (opset 17).
 * PyTorch's `torch.fft` on the same array is the named reference (bench/dft_export.py).
 * The faster of (a) and (b) is the exporter's default (train/cmrxtrain/fftc.py).
 *
 * Usage: deno task bench dft [--shape 12,10,246,512] [--reps 5] [--threads 2] [--small]
 *        (--small: 12,4,64,96, a quick run)
 *
 * @module
 */

import { parseArgs } from "node:util";
import { OnnxSession } from "../src/engine/session.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    shape: { type: "string", default: "12,10,246,512" },
    reps: { type: "string", default: "5" },
    threads: { type: "string", default: "2" },
    small: { type: "boolean", default: false },
  },
});
const shape = (values.small ? "12,4,64,96" : values.shape!).split(",").map(Number);
const [reps, threads] = [Number(values.reps), Number(values.threads)];
const dims = [...shape, 2];
const dir = await Deno.makeTempDir({ prefix: "cmrxkit-dft-bench-" });

try {
  const py = await new Deno.Command("/usr/bin/python3", {
    args: [
      new URL("./dft_export.py", import.meta.url).pathname,
      dir,
      shape.join(","),
      String(reps),
      String(threads),
    ],
    env: { PYTHONWARNINGS: "ignore" },
  }).output();
  if (!py.success) throw new Error(new TextDecoder().decode(py.stderr));
  const ref = JSON.parse(new TextDecoder().decode(py.stdout).trim().split("\n").pop()!);
  const read = async (name: string) =>
    new Float32Array((await Deno.readFile(`${dir}/${name}`)).buffer);
  const x = await read("input.f32");
  const want = await read("inv.f32");

  const time = async (mode: string) => {
    const engine = await OnnxSession.load(`${dir}/${mode}_inv.onnx`, {
      device: "cpu",
      intraOpThreads: threads,
      interOpThreads: 1,
      warmup: false,
    });
    try {
      let out = await engine.run({ x: { data: x, dims } }); // warm-up
      const times: number[] = [];
      for (let r = 0; r < reps; r++) {
        const t0 = performance.now();
        out = await engine.run({ x: { data: x, dims } });
        times.push((performance.now() - t0) / 1000);
      }
      times.sort((a, b) => a - b);
      let err = 0, norm = 0;
      const got = out.y.data;
      for (let i = 0; i < want.length; i++) {
        err = Math.max(err, Math.abs(got[i] - want[i]));
        norm = Math.max(norm, Math.abs(want[i]));
      }
      return { best: times[0], median: times[Math.floor(reps / 2)], rel: err / norm };
    } finally {
      await engine.release();
    }
  };
  const mm = await time("matmul");
  const dft = await time("dft");
  const f = (s: number) => `${s.toFixed(3)} s`;
  console.log(
    `centred 2-D ifft2c of ${shape.join(" x ")} complex (T x C x Y x X), ` +
      `${threads} thread${threads === 1 ? "" : "s"}, best / median of ${reps} after a warm-up`,
  );
  console.log(
    `  (a) --fft matmul, onnxruntime-node 1.30 CPU: ${f(mm.best)} / ${f(mm.median)}` +
      `   max|diff|/max ${mm.rel.toExponential(1)}`,
  );
  console.log(
    `  (b) --fft dft,    onnxruntime-node 1.30 CPU: ${f(dft.best)} / ${f(dft.median)}` +
      `   max|diff|/max ${dft.rel.toExponential(1)}`,
  );
  if (ref.torch_best !== undefined) {
    console.log(
      `  reference: PyTorch ${ref.torch_version} torch.fft (CPU):  ${f(ref.torch_best)} / ${
        f(ref.torch_median)
      }`,
    );
  }
  console.log(
    `  ratio matmul / dft (median): ${(mm.median / dft.median).toFixed(2)}x ` +
      `(> 1: the DFT operator is faster)`,
  );
} finally {
  await Deno.remove(dir, { recursive: true });
}
