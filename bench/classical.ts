/**
 * Quality and speed of the classical methods on full-size synthetic data at R = 4, 8, 10
 * (cine views; mapping views T1 / T2 with --views, BART only for cine),
 * against BART (Debian `bart` 0.8.00: `ecalib` on time-averaged k-space, then `pics` with
 * l1-wavelet and temporal total variation) on the same k-space, scored with the 2023 rules
 * (the ranking slices and frames, centre crop, max-normalised SSIM / PSNR).
 *
 * Usage: deno task bench classical [--methods zerofill,sense,grappa,lps] [--views sax,lax,T1,T2]
 *                                  [--accs 4,8,10] [--bart-iters 30] [--no-bart]
 * Data: the full-size validation set made by `deno task bench score` (.cache/bench/score-p1),
 * made here when missing. Each method sees one slice at a time (all 12 frames); the two
 * ranking slices of each file are reconstructed. cmrxkit runs them as `submit` does, one
 * slice per worker on this machine's 2 cores; BART runs with OMP_NUM_THREADS=2 and its time
 * includes process start and .cfl file I/O (small next to its solve time).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { discover, fullSamplePath } from "../src/challenge/layout.ts";
import { scoreVolume } from "../src/challenge/metrics/mod.ts";
import { reductionPlan } from "../src/challenge/reduce.ts";
import { referenceImage } from "../src/challenge/truth.ts";
import { readCfl, writeCfl } from "../src/mat/cfl.ts";
import { openMat } from "../src/mat/read.ts";
import { SlicePool } from "../src/recon/pool.ts";
import { getMethod } from "../src/recon/registry.ts";
import type { SliceInput } from "../src/kspace/slice.ts";
import { synthesize } from "../src/synth/dataset.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    methods: { type: "string", default: "zerofill,sense,grappa,lps" },
    views: { type: "string", default: "sax,lax" },
    accs: { type: "string", default: "4,8,10" },
    "bart-iters": { type: "string", default: "30" },
    "no-bart": { type: "boolean", default: false },
  },
});
const data = ".cache/bench/score-p1/data";
try {
  await Deno.stat(`${data}/GroundTruth`);
} catch {
  console.error(`making the full-size validation dataset in ${data} (once) ...`);
  await Deno.remove(".cache/bench/score-p1", { recursive: true }).catch(() => {});
  await synthesize({ out: data, size: "full", patients: 1, seed: 21, splits: ["validation"] });
}
const methods = values.methods!.split(",").filter((m) => {
  try {
    getMethod(m);
    return true;
  } catch {
    console.error(`(method ${m} is not available: skipped)`);
    return false;
  }
});
const views = values.views!.split(",");
const accs = values.accs!.split(",").map(Number);
const useBart = !values["no-bart"];
const work = await Deno.makeTempDir({ prefix: "cmrxkit-bart-" });
using pool = new SlicePool(2);

interface Row {
  view: string;
  acc: number;
  method: string;
  ssim: number;
  psnr: number;
  seconds: number;
}
const rows: Row[] = [];

const { cases } = await discover(data, { split: "validation" });
for (const view of views) {
  for (const acc of accs) {
    const c = cases.find((x) => x.view === view && x.acc === acc);
    if (!c) continue;
    using mat = await openMat(c.file);
    const [nx, ny, nc, nz, nt] = mat.info(c.variable).dims;
    const plan = reductionPlan(2023, [nx, ny, nz, nt], c.name, c.task === "mapping");
    const mask = (await openMat(c.maskFile!)).read(c.maskVariable!);
    using gtMat = await openMat(fullSamplePath(c, `${data}/GroundTruth`));
    const ref = await referenceImage(gtMat, c, 2023, "validation");
    const slabs = plan.slices.map((z) => mat.readSlab(c.variable, [, , , z]).data as Float32Array);
    const score = (images: Float32Array[]) => {
      // images[k]: (x, y, frame) of ranking slice k -> reduced (cx, cy, slices, frames)
      const [x0, x1] = plan.x, [y0, y1] = plan.y;
      const cx = x1 - x0, cy = y1 - y0;
      const out = new Float32Array(cx * cy * plan.slices.length * plan.frames.length);
      let o = 0;
      for (const t of plan.frames) {
        for (let k = 0; k < plan.slices.length; k++) {
          for (let y = y0; y < y1; y++) {
            out.set(images[k].subarray(nx * ny * t + nx * y + x0, nx * ny * t + nx * y + x1), o);
            o += cx;
          }
        }
      }
      return scoreVolume(out, ref.data, ref.dims, 2023);
    };
    for (const name of methods) {
      const t0 = performance.now();
      // As the submit pipeline runs them: one slice per worker, both cores busy.
      const outs = await Promise.all(slabs.map((k) => {
        const input: SliceInput = {
          kspace: k.slice(),
          dims: [nx, ny, nc, nt],
          mask: mask.data as Float32Array,
          maskDims: mask.dims,
          task: c.task,
        };
        return pool.run(name, input);
      }));
      const images = outs.map((o) => o.image);
      const seconds = (performance.now() - t0) / 1000;
      const s = score(images);
      rows.push({ view, acc, method: name, ssim: s.ssim, psnr: s.psnr, seconds });
      console.error(
        `  ${view} R${acc} ${name}: SSIM ${s.ssim.toFixed(4)} PSNR ${s.psnr.toFixed(2)} ${
          seconds.toFixed(1)
        } s`,
      );
    }
    if (useBart && c.task === "cine") {
      const t0 = performance.now();
      const images: Float32Array[] = [];
      for (const k of slabs) {
        images.push(await bart(k, nx, ny, nc, nt, Number(values["bart-iters"])));
      }
      const seconds = (performance.now() - t0) / 1000;
      const s = score(images);
      rows.push({ view, acc, method: "BART", ssim: s.ssim, psnr: s.psnr, seconds });
      console.error(
        `  ${view} R${acc} BART: SSIM ${s.ssim.toFixed(4)} PSNR ${s.psnr.toFixed(2)} ${
          seconds.toFixed(1)
        } s`,
      );
    }
  }
}
await Deno.remove(work, { recursive: true });

console.log(
  "Full-size synthetic cine (2023 scoring of the 2 ranking slices x 3 frames; time for the 2 slices x 12 frames)",
);
console.log(
  `  ${"view".padEnd(5)} ${"R".padStart(3)}  ${"method".padEnd(9)} ${"SSIM".padStart(7)} ${
    "PSNR".padStart(7)
  } ${"time".padStart(8)}`,
);
for (const r of rows) {
  console.log(
    `  ${r.view.padEnd(5)} ${String(r.acc).padStart(3)}  ${r.method.padEnd(9)} ${
      r.ssim.toFixed(4).padStart(7)
    } ${r.psnr.toFixed(2).padStart(7)} ${(r.seconds.toFixed(1) + " s").padStart(8)}`,
  );
}
if (useBart) {
  console.log("\nBest cmrxkit method (by SSIM) against BART, same k-space:");
  for (const view of views) {
    for (const acc of accs) {
      const here = rows.filter((r) => r.view === view && r.acc === acc);
      const b = here.find((r) => r.method === "BART");
      const best = here.filter((r) => r.method !== "BART").sort((a, c) => c.ssim - a.ssim)[0];
      if (!b || !best) continue;
      console.log(
        `  ${view} R${String(acc).padEnd(3)} ${best.method.padEnd(9)} dSSIM ${
          (best.ssim - b.ssim >= 0 ? "+" : "") +
          (best.ssim - b.ssim).toFixed(4)
        }  dPSNR ${
          (best.psnr - b.psnr >= 0 ? "+" : "") + (best.psnr - b.psnr).toFixed(2)
        } dB  time ${(best.seconds / b.seconds).toFixed(2)}x BART's`,
      );
    }
  }
}

/** One slice through BART: ecalib on time-averaged k-space, pics -R W -R T:1024. */
async function bart(
  k: Float32Array,
  nx: number,
  ny: number,
  nc: number,
  nt: number,
  iters: number,
) {
  // (kx, ky, coil, frame) column-major == BART dims (x, y, 1, coil, 1..., time at dim 10).
  const dims = [nx, ny, 1, nc, 1, 1, 1, 1, 1, 1, nt, 1, 1, 1, 1, 1];
  writeCfl(`${work}/kus`, k, dims);
  const env = { OMP_NUM_THREADS: "2" };
  const run = async (...args: string[]) => {
    const o = await new Deno.Command("bart", { args, env, stdout: "null", stderr: "piped" })
      .output();
    if (!o.success) {
      throw new Error(`bart ${args.join(" ")}: ${new TextDecoder().decode(o.stderr)}`);
    }
  };
  await run("avg", "1024", `${work}/kus`, `${work}/kavg`);
  await run("ecalib", "-m1", "-r", "24", `${work}/kavg`, `${work}/sens`);
  await run(
    "pics",
    "-S",
    "-i",
    String(iters),
    "-R",
    "W:3:0:0.002",
    "-R",
    "T:1024:0:0.01",
    `${work}/kus`,
    `${work}/sens`,
    `${work}/rec`,
  );
  const rec = readCfl(`${work}/rec`).data;
  const out = new Float32Array(nx * ny * nt);
  for (let i = 0; i < out.length; i++) out[i] = Math.hypot(rec[2 * i], rec[2 * i + 1]);
  return out;
}
