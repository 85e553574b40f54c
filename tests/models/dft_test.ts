/**
 * Graphs with ONNX's DFT operator (opset 17), as `python3 -m cmrxtrain.export --fft dft`
 * writes them: the bare centred orthonormal FFT2 / IFFT2 of `cmrxtrain.fftc` matches
 * PyTorch's `torch.fft` on every provider cmrxkit offers here (CPU always, CUDA when
 * `cudaAvailable()`), the static memory estimator gives the output shape, and a small
 * network exported with DFT nodes reconstructs a slice through its manifest and
 * `OnnxReconstructor` exactly as its matrix-product export does.
 *
 * Needs /usr/bin/python3 with torch and onnx (skipped with a notice otherwise).
 */
import assert from "node:assert/strict";
import { decodeModel } from "../../src/engine/onnx/mod.ts";
import { estimateMemory } from "../../src/engine/memory/mod.ts";
import { cudaAvailable, type Device } from "../../src/engine/providers.ts";
import { OnnxSession } from "../../src/engine/session.ts";
import { OnnxReconstructor } from "../../src/models/onnx_model.ts";
import { readManifest } from "../../src/models/registry.ts";
import { hasTorch, lastJson, python, readF32, relDiff, ROOT } from "../train/python.ts";
import { maxRel, randomSlice } from "./fixtures.ts";

const cuda = cudaAvailable();
const PROVIDERS: Device[] = cuda.available ? ["cpu", "cuda"] : ["cpu"];
if (hasTorch && !cuda.available) {
  console.warn(`notice: DFT graphs are checked on the CPU provider only: ${cuda.reason}`);
}

/** Op types of a graph and how often each occurs. */
function opCounts(bytes: Uint8Array): Map<string, number> {
  const m = new Map<string, number>();
  for (const n of decodeModel(bytes).graph.nodes) m.set(n.opType, (m.get(n.opType) ?? 0) + 1);
  return m;
}

Deno.test({
  name: "DFT-operator graphs: centred FFT2/IFFT2 match torch.fft on every provider (<= 1e-5)",
  ignore: !hasTorch,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "cmrxkit-dft-" });
    try {
      // odd Y, even X: the centring shifts differ for odd sizes
      const dims = [2, 3, 19, 16, 2];
      await python([`${ROOT}bench/dft_export.py`, dir, dims.slice(0, 4).join(",")]);
      const x = await readF32(`${dir}/input.f32`);
      for (const tag of ["fwd", "inv"]) {
        const bytes = await Deno.readFile(`${dir}/dft_${tag}.onnx`);
        const ops = opCounts(bytes);
        assert.equal(ops.get("DFT"), 2, `dft_${tag}: ${[...ops]}`);
        assert.ok(!ops.has("MatMul"), `dft_${tag} has MatMul nodes`);
        const est = estimateMemory(bytes, { x: dims });
        assert.deepEqual(est.outputShapes.y, dims, "estimator's output shape");
        assert.deepEqual(est.unknownOps, []);
        const want = await readF32(`${dir}/${tag}.f32`);
        for (const device of PROVIDERS) {
          await t.step(`${tag} on ${device}`, async () => {
            const s = await OnnxSession.load(`${dir}/dft_${tag}.onnx`, {
              device,
              intraOpThreads: 1,
              warmup: false,
            });
            try {
              assert.equal(s.provider, device);
              const out = await s.run({ x: { data: x, dims } });
              assert.deepEqual(out.y.dims, dims);
              const d = relDiff(out.y.data, want);
              assert.ok(d <= 1e-5, `${tag} on ${device}: rel. diff ${d}`);
            } finally {
              await s.release();
            }
          });
        }
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "DFT-operator export of a network: PyTorch parity and a slice through manifest + OnnxReconstructor",
  ignore: !hasTorch,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "cmrxkit-dft-model-" });
    try {
      const exportAs = async (fft: string) => {
        const r = await python([
          "-m",
          "cmrxtrain.export",
          "--model",
          "crnn",
          "--random-init",
          "--test-width",
          "--fft",
          fft,
          "--out",
          `${dir}/${fft}/crnn-${fft}.onnx`,
          "--name",
          `crnn-${fft}`,
          "--dump-io",
          `${dir}/${fft}/io`,
        ]);
        return lastJson(r.stdout);
      };
      const dft = await exportAs("dft");
      assert.equal(dft.fft, "dft");
      const ops = opCounts(await Deno.readFile(`${dir}/dft/crnn-dft.onnx`));
      assert.ok((ops.get("DFT") ?? 0) > 0 && !ops.has("MatMul"), `ops: ${[...ops]}`);

      // the graph against PyTorch on the exporter's own random input (odd 19 x 17)
      const info = dft.io as { inputs: Record<string, number[]>; output: { image: number[] } };
      const feeds: Record<string, { data: Float32Array; dims: number[] }> = {};
      for (const [k, dims] of Object.entries(info.inputs)) {
        feeds[k] = { data: await readF32(`${dir}/dft/io/${k}.bin`), dims };
      }
      const s = await OnnxSession.load(`${dir}/dft/crnn-dft.onnx`, {
        device: "cpu",
        intraOpThreads: 1,
        warmup: false,
      });
      try {
        const out = await s.run(feeds);
        assert.deepEqual(out.image.dims, info.output.image);
        const d = relDiff(out.image.data, await readF32(`${dir}/dft/io/image.bin`));
        assert.ok(d <= 1e-5, `DFT-op CRNN vs PyTorch: rel. diff ${d}`);
      } finally {
        await s.release();
      }

      // one slice through the manifest, as `submit --model` runs it, against the same
      // weights exported as DFT-matrix products
      await exportAs("matmul");
      const frames = info.output.image[1];
      const input = randomSlice(24, 20, 3, frames, 5, 8);
      const images: Float32Array[] = [];
      for (const fft of ["dft", "matmul"]) {
        const r = new OnnxReconstructor(await readManifest(`${dir}/${fft}/crnn-${fft}.json`), {
          device: "cpu",
          intraOpThreads: 1,
        });
        try {
          const out = await r.reconstruct(input);
          assert.equal(out.image.length, 24 * 20 * frames);
          assert.ok(out.image.every(Number.isFinite), `${fft}: non-finite pixels`);
          images.push(out.image);
        } finally {
          await r.release();
        }
      }
      const d = maxRel(images[0], images[1]);
      assert.ok(d <= 1e-5, `DFT-op vs matrix-product export, one slice: rel. diff ${d}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
