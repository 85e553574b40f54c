/**
 * Time-varying (k-t) against static masks for the classical methods: zero-filled, CG-SENSE,
 * GRAPPA and L+S on one synthetic cine slice (the recon tests' SAX phantom of src/synth/,
 * synthetic coil maps, complex noise), undersampled at each nominal acceleration R with
 *
 * - `static`: the 2023 uniform mask `(kx, ky)`, every R-th ky line from 0 plus the central
 *   band of `--acs` lines (`uniformLines`), the same in every frame;
 * - `ktUniform`, `ktGaussian`, `ktRadial`: the 2024/2025 masks `(kx, ky, frame)` of the
 *   generator `ktMask` (src/kspace/masks_kt.ts), with the ACS size of `--edition`
 *   (`KT_EDITIONS`: 16 in 2024, 20 in 2025) and `--seed` for the ktGaussian draws.
 *
 * Each method runs with its defaults (coil maps from the ACS region). Scored against the
 * root-sum-of-squares of the fully sampled coil images over the whole slice and all frames:
 * NMSE `||x - gt||^2 / ||gt||^2` and PSNR `20 log10(max gt / rmse)` (dB). "effective R" is all
 * k-t points / sampled points. A method that refuses a mask (GRAPPA on ktRadial) is listed as
 * `refused`. After the table, one line per mask and R: L+S's PSNR gain over zero-filled and
 * over SENSE (when those methods ran).
 *
 * Usage: deno task bench kt [--size 512x246] [--coils 10] [--frames 12] [--accs 8,16,24]
 *                           [--masks static,ktUniform,ktGaussian,ktRadial] [--edition 2024]
 *                           [--acs 24] [--methods zerofill,sense,grappa,lps] [--seed 7]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { CmrxError } from "../src/errors.ts";
import { uniformLines } from "../src/kspace/mask.ts";
import {
  effectiveAcceleration,
  KT_EDITIONS,
  KT_PATTERNS,
  ktMask,
  type KtPattern,
} from "../src/kspace/masks_kt.ts";
import type { SliceInput } from "../src/kspace/slice.ts";
import { getMethod } from "../src/recon/registry.ts";
import { slicePhantom } from "../tests/recon/phantom.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    size: { type: "string", default: "512x246" },
    coils: { type: "string", default: "10" },
    frames: { type: "string", default: "12" },
    accs: { type: "string", default: "8,16,24" },
    masks: { type: "string", default: "static,ktUniform,ktGaussian,ktRadial" },
    edition: { type: "string", default: "2024" },
    acs: { type: "string", default: "24" },
    methods: { type: "string", default: "zerofill,sense,grappa,lps" },
    seed: { type: "string", default: "7" },
  },
});
const [nx, ny] = values.size.split("x").map(Number);
const nc = Number(values.coils), nt = Number(values.frames), ncalib = Number(values.acs);
const accs = values.accs.split(",").map(Number);
const methods = values.methods.split(",");
const maskNames = values.masks.split(",");
for (const m of maskNames) {
  if (m !== "static" && !(KT_PATTERNS as readonly string[]).includes(m)) {
    console.error(`bench kt: unknown mask "${m}"; use static, ${KT_PATTERNS.join(", ")}`);
    Deno.exit(2);
  }
}
if (values.edition !== "2024" && values.edition !== "2025") {
  console.error(`bench kt: --edition ${values.edition}: use 2024 or 2025`);
  Deno.exit(2);
}
const ktAcs = values.edition === "2024" ? KT_EDITIONS[2024].task2.acs : KT_EDITIONS[2025].all.acs;
const npix = nx * ny;

const ph = slicePhantom(nx, ny, nc, nt, { seed: Number(values.seed) });

/**
 * `static`: the 2023 uniform mask (lines 0, R, 2R, ... plus the central band of `--acs`
 * lines) in every frame; otherwise the k-t mask of `ktMask` with the edition's ACS size.
 */
function mask(r: number, name: string): Float32Array {
  if (name !== "static") {
    return ktMask({
      pattern: name as KtPattern,
      nx,
      ny,
      nt,
      acc: r,
      acs: ktAcs,
      seed: Number(values.seed),
    });
  }
  const lines = uniformLines(ny, r, ncalib);
  const m = new Float32Array(npix * nt);
  for (let t = 0; t < nt; t++) {
    for (let y = 0; y < ny; y++) {
      if (lines[y]) m.fill(1, npix * t + nx * y, npix * t + nx * (y + 1));
    }
  }
  return m;
}

function undersample(m: Float32Array): SliceInput {
  const k = new Float32Array(ph.full.length);
  for (let t = 0; t < nt; t++) {
    for (let c = 0; c < nc; c++) {
      const o = 2 * npix * (c + nc * t);
      for (let p = 0; p < npix; p++) {
        if (!m[npix * t + p]) continue;
        k[o + 2 * p] = ph.full[o + 2 * p];
        k[o + 2 * p + 1] = ph.full[o + 2 * p + 1];
      }
    }
  }
  return { kspace: k, dims: ph.dims, mask: m, maskDims: [nx, ny, nt], task: "cine" };
}

function score(x: Float32Array): { nmse: number; psnr: number } {
  let e = 0, r = 0, peak = 0;
  for (let i = 0; i < ph.gt.length; i++) {
    e += (x[i] - ph.gt[i]) ** 2;
    r += ph.gt[i] ** 2;
    if (ph.gt[i] > peak) peak = ph.gt[i];
  }
  return { nmse: e / r, psnr: 20 * Math.log10(peak / Math.sqrt(e / ph.gt.length)) };
}

console.log(
  `synthetic cine slice ${nx} x ${ny}, ${nc} coils, ${nt} frames, seed ${values.seed}; ` +
    `static 2023 mask: ${ncalib} ACS lines; k-t masks (ktMask): ${values.edition} ACS ` +
    `${ktAcs}; NMSE / PSNR (dB) against the fully sampled RSS`,
);
console.log("| R | mask | effective R | method | NMSE | PSNR (dB) | time (s) |");
console.log("|---|---|---|---|---|---|---|");
const summary: string[] = [];
const refusals = new Set<string>();
for (const r of accs) {
  for (const name of maskNames) {
    const m = mask(r, name);
    const eff = effectiveAcceleration(m, nx, ny, nt).toFixed(2);
    const label = name === "static" ? "static 2023" : name;
    const input = undersample(m);
    const psnr: Record<string, number> = {};
    for (const method of methods) {
      const t0 = performance.now();
      let cell: string;
      try {
        const out = await getMethod(method).reconstruct(input);
        const s = score(out.image);
        psnr[method] = s.psnr;
        cell = `${s.nmse.toExponential(2)} | ${s.psnr.toFixed(2)}`;
      } catch (e) {
        if (!(e instanceof CmrxError)) throw e;
        refusals.add(`${method} on ${label}: ${e.message.split("\n")[0]}`);
        cell = "refused | refused";
      }
      const dt = ((performance.now() - t0) / 1000).toFixed(1);
      console.log(`| ${r} | ${label} | ${eff} | ${method} | ${cell} | ${dt} |`);
    }
    if (psnr.lps !== undefined) {
      const gain = (base: string) =>
        psnr[base] === undefined ? "n/a" : `${(psnr.lps - psnr[base]).toFixed(2)} dB`;
      summary.push(
        `| ${r} | ${label} | ${eff} | ${gain("zerofill")} | ${gain("sense")} |`,
      );
    }
  }
}
for (const line of refusals) console.log(`refused: ${line}`);
if (summary.length) {
  console.log("\nL+S PSNR gain");
  console.log("| R | mask | effective R | L+S - zero-filled | L+S - SENSE |");
  console.log("|---|---|---|---|---|");
  for (const line of summary) console.log(line);
}
