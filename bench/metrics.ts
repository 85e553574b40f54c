/**
 * Metric speed and agreement, cmrxkit (`src/challenge/metrics.ts`) against scikit-image /
 * numpy (`bench/metrics_skimage.py`, Debian python3-skimage) on the same images, in one run.
 *
 * Default workload: 1000 image pairs of 171 x 123 (a reduced 2023 validation cine
 * submission is ~60 sax files x 2 slices x 3 frames x 3 accelerations ~ 1000 images).
 * Images are synthesised deterministically (smooth cardiac-like structure; the submission
 * is the ground truth plus noise) and written once to `.cache/bench/` as float32
 * column-major, which both sides read. Only the metric loops are timed (Python:
 * `time.perf_counter`; here: `performance.now`); minimum over the repeats on both sides.
 *
 * Usage: deno run -A bench/metrics.ts [--count 1000] [--nx 171] [--ny 123] [--repeats 3]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { nmse, psnr, scoreImage, ssim } from "../src/challenge/metrics/mod.ts";
import type { Year } from "../src/challenge/edition.ts";
import { Rng } from "../src/synth/random.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    count: { type: "string", default: "1000" },
    nx: { type: "string", default: "171" },
    ny: { type: "string", default: "123" },
    repeats: { type: "string", default: "3" },
  },
});
const count = Number(values.count), nx = Number(values.nx), ny = Number(values.ny);
const repeats = Number(values.repeats);
const npix = nx * ny;
const file = `.cache/bench/metrics_${nx}x${ny}x${count}.f32`;
const outFile = `${file}.skimage.f64`;

/** Cardiac-like magnitude image (body ellipse, blood pool, myocardium) and a noisy copy. */
function synthesise(): Float32Array {
  const all = new Float32Array(2 * count * npix);
  const rng = new Rng(20250301);
  for (let k = 0; k < count; k++) {
    const g = all.subarray(k * npix, (k + 1) * npix);
    const p = all.subarray((count + k) * npix, (count + k + 1) * npix);
    const cx = rng.uniform(0.45, 0.6), cy = rng.uniform(0.4, 0.55), r = rng.uniform(0.08, 0.13);
    const scale = rng.uniform(200, 2000), sigma = rng.uniform(0.01, 0.05) * scale;
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        const u = (x + 0.5) / nx, v = (y + 0.5) / ny;
        const body = ((u - 0.5) / 0.42) ** 2 + ((v - 0.5) / 0.36) ** 2 < 1;
        const d = Math.hypot(u - cx, v - cy);
        let s = body ? 0.35 + 0.05 * Math.cos(9 * u) * Math.sin(7 * v) : 0;
        if (d < r * 1.45) s = 0.3;
        if (d < r) s = 1;
        g[x + nx * y] = scale * s;
        p[x + nx * y] = Math.abs(scale * s + rng.gaussian(0, sigma));
      }
    }
  }
  return all;
}

let data: Float32Array;
try {
  const bytes = await Deno.readFile(file);
  data = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  if (data.length !== 2 * count * npix) throw new Error("stale");
} catch {
  await Deno.mkdir(".cache/bench", { recursive: true });
  data = synthesise();
  await Deno.writeFile(file, new Uint8Array(data.buffer)); // little-endian hosts
}
const gt = (k: number) => data.subarray(k * npix, (k + 1) * npix);
const pred = (k: number) => data.subarray((count + k) * npix, (count + k + 1) * npix);
/** `np.max` of one image (part of the timed work on both sides, as in the official wrapper). */
function maxOf(a: Float32Array): number {
  let m = -Infinity;
  for (let i = 0; i < a.length; i++) if (a[i] > m) m = a[i];
  return m;
}

/** Minimum over the repeats of one full loop over the images (after one warm-up loop). */
function timed(fn: (k: number) => number): { secs: number; vals: Float64Array } {
  const vals = new Float64Array(count);
  for (let k = 0; k < Math.min(count, 50); k++) fn(k); // JIT warm-up
  let best = Infinity;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    for (let k = 0; k < count; k++) vals[k] = fn(k);
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  return { secs: best, vals };
}

const ours = {
  ssim: timed((k) => ssim(gt(k), pred(k), nx, ny, maxOf(gt(k)))),
  psnr: timed((k) => psnr(gt(k), pred(k), maxOf(gt(k)))),
  nmse: timed((k) => nmse(gt(k), pred(k))),
};
const years: Year[] = [2023, 2024, 2025];
const ourScore = years.map((y) => timed((k) => scoreImage(pred(k), gt(k), nx, ny, y).ssim));

console.error(`running scikit-image on ${count} images of ${nx}x${ny} ...`);
const res = await new Deno.Command("/usr/bin/python3", {
  args: [
    new URL("./metrics_skimage.py", import.meta.url).pathname,
    file,
    String(nx),
    String(ny),
    String(count),
    String(repeats),
    outFile,
  ],
}).output();
if (!res.success) {
  throw new Error(`scikit-image reference failed: ${new TextDecoder().decode(res.stderr)}`);
}
const ref: { ssim: number; psnr: number; nmse: number; score: Record<string, number> } = JSON
  .parse(new TextDecoder().decode(res.stdout));
const refBytes = await Deno.readFile(outFile);
const refVals = new Float64Array(refBytes.buffer, refBytes.byteOffset, refBytes.byteLength / 8);
const refOf = (block: number) => refVals.subarray(block * count, (block + 1) * count);

function maxDiff(a: Float64Array, b: Float64Array, relative: boolean): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    const d = Math.abs(a[i] - b[i]);
    m = Math.max(m, relative ? d / Math.abs(b[i]) : d);
  }
  return m;
}

console.log(
  `${count} image pairs of ${nx}x${ny} (MATLAB dims, float32), minimum of ${repeats} loops, ` +
    `metric computation only`,
);
const row = (label: string, py: number, ts: number, diff: string) =>
  console.log(
    `  ${label.padEnd(30)} scikit-image ${py.toFixed(3).padStart(7)} s   cmrxkit ${
      ts.toFixed(3).padStart(7)
    } s   ratio ${(py / ts).toFixed(2).padStart(6)}x   ${diff}`,
  );
row(
  "SSIM (data_range=gt.max())",
  ref.ssim,
  ours.ssim.secs,
  `max |dSSIM| ${maxDiff(ours.ssim.vals, refOf(0), false).toExponential(2)}`,
);
row(
  "PSNR (data_range=gt.max())",
  ref.psnr,
  ours.psnr.secs,
  `max |dPSNR| ${maxDiff(ours.psnr.vals, refOf(1), false).toExponential(2)} dB`,
);
row(
  "NMSE (numpy norm formula)",
  ref.nmse,
  ours.nmse.secs,
  `max rel dNMSE ${maxDiff(ours.nmse.vals, refOf(2), true).toExponential(2)}`,
);
years.forEach((y, i) =>
  row(
    `scoreImage ${y} (normalise + 3)`,
    ref.score[String(y)],
    ourScore[i].secs,
    `max |dSSIM| ${maxDiff(ourScore[i].vals, refOf(3 + i), false).toExponential(2)}`,
  )
);
console.log("  ratio = scikit-image time / cmrxkit time (> 1: cmrxkit faster)");
