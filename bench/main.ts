/**
 * `deno task bench <name> [flags]`: benchmarks that print ratios against reference
 * implementations, measured in one run. Figures are kept in docs/benchmarks.md.
 *
 * @module
 */

const BENCHES: Record<string, { file: string; what: string }> = {
  read: { file: "./read.ts", what: "MAT v7.3 k-space read throughput vs h5py" },
  fft: { file: "./fft.ts", what: "centred 2-D FFT (ifft2c) vs numpy" },
  espirit: { file: "./espirit.ts", what: "ESPIRiT coil maps vs BART ecalib (time and agreement)" },
  metrics: { file: "./metrics/mod.ts", what: "SSIM / PSNR / NMSE vs scikit-image" },
  classical: {
    file: "./classical.ts",
    what: "zerofill / SENSE / GRAPPA / L+S quality and time vs BART ecalib + pics",
  },
  dft: {
    file: "./dft_export.ts",
    what: "exported centred 2-D FFT on onnxruntime CPU: DFT-matrix products vs ONNX DFT op",
  },
  ort: {
    file: "./ort_torch.ts",
    what: "same network per slice: onnxruntime-node vs PyTorch (CPU)",
  },
  pipeline: {
    file: "./pipeline.ts",
    what: "submit overhead per full-size cine_sax file (no model) vs numpy/h5py/scipy",
  },
  mapping: {
    file: "./mapping.ts",
    what: "T1/T2 fitter vs scipy curve_fit; map accuracy per R for zerofill/classical/models",
  },
  models: {
    file: "./models.ts",
    what:
      "shipped learned models vs zero-filled and classical methods (held-out set, 2023 scoring)",
  },
  params: {
    file: "./params.ts",
    what: "papers' table: parameters and per-slice time of every train/ model, ORT vs PyTorch",
  },
  gpu: {
    file: "./gpu.ts",
    what: "device run: WebGPU adapter, probe + time of shipped models vs CPU, PyTorch CUDA",
  },
  kt: {
    file: "./kt_recon.ts",
    what: "classical methods on k-t (per-frame) vs static uniform masks",
  },
  editions: {
    file: "./editions.ts",
    what:
      "each edition (2023/2024/2025) end to end with the classical methods: status, scores, budget",
  },
  score: {
    file: "./score.ts",
    what: "scoring a full-size validation submission vs a Python scorer",
  },
};

const [name, ...rest] = Deno.args;
if (!name || !(name in BENCHES)) {
  console.log("Usage: deno task bench <name> [flags]\n\nBenchmarks:");
  for (const [k, v] of Object.entries(BENCHES)) console.log(`  ${k.padEnd(8)} ${v.what}`);
  Deno.exit(name ? 2 : 0);
}
const cmd = new Deno.Command(Deno.execPath(), {
  args: ["run", "-A", new URL(BENCHES[name].file, import.meta.url).pathname, ...rest],
  stdout: "inherit",
  stderr: "inherit",
});
Deno.exit((await cmd.output()).code);
