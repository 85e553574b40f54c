/**
 * Time-varying (k-t) against static masks for the classical methods: zero-filled, CG-SENSE,
 * GRAPPA and L+S on one synthetic cine slice (the recon tests' SAX phantom of src/synth/,
 * synthetic coil maps, complex noise), undersampled at the same acceleration with
 *
 * - `static`: the 2023 uniform mask `(kx, ky)`, every R-th ky line from 0 plus the central
 *   band (`uniformLines`), the same in every frame;
 * - `kt`: the same lines shifted by `t mod R` in frame `t` (ktUniform-like), the same central
 *   band, `(kx, ky, frame)`.
 *
 * Each method runs with its defaults (coil maps from the ACS band). Scored against the
 * root-sum-of-squares of the fully sampled coil images over the whole slice and all frames:
 * NMSE `||x - gt||^2 / ||gt||^2` and PSNR `20 log10(max gt / rmse)` (dB).
 *
 * Usage: deno task bench kt [--size 512x246] [--coils 10] [--frames 12] [--accs 8,16]
 *                           [--acs 24] [--methods zerofill,sense,grappa,lps] [--seed 7]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { uniformLines } from "../src/kspace/mask.ts";
import type { SliceInput } from "../src/kspace/slice.ts";
import { getMethod } from "../src/recon/registry.ts";
import { slicePhantom } from "../tests/recon/phantom.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    size: { type: "string", default: "512x246" },
    coils: { type: "string", default: "10" },
    frames: { type: "string", default: "12" },
    accs: { type: "string", default: "8,16" },
    acs: { type: "string", default: "24" },
    methods: { type: "string", default: "zerofill,sense,grappa,lps" },
    seed: { type: "string", default: "7" },
  },
});
const [nx, ny] = values.size.split("x").map(Number);
const nc = Number(values.coils), nt = Number(values.frames), ncalib = Number(values.acs);
const accs = values.accs.split(",").map(Number);
const methods = values.methods.split(",");
const npix = nx * ny;

const ph = slicePhantom(nx, ny, nc, nt, { seed: Number(values.seed) });

/**
 * The 2023 uniform mask (lines 0, R, 2R, ... plus the central band) in every frame, or with
 * `kt` the lines `t mod R`, `t mod R + R`, ... in frame `t`, plus the same band.
 */
function mask(r: number, kt: boolean): Float32Array {
  const band = uniformLines(ny, ny + 1, ncalib);
  band[0] = 0; // uniformLines also samples line 0
  const m = new Float32Array(npix * nt);
  for (let t = 0; t < nt; t++) {
    const s = kt ? t % r : 0;
    for (let y = 0; y < ny; y++) {
      if (band[y] || (y >= s && (y - s) % r === 0)) {
        m.fill(1, npix * t + nx * y, npix * t + nx * (y + 1));
      }
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
  `synthetic cine slice ${nx} x ${ny}, ${nc} coils, ${nt} frames, ${ncalib} ACS lines, ` +
    `seed ${values.seed}; NMSE / PSNR (dB) against the fully sampled RSS`,
);
console.log("| R | mask | effective R | method | NMSE | PSNR | time (s) |");
console.log("|---|---|---|---|---|---|---|");
for (const r of accs) {
  for (const kt of [false, true]) {
    const m = mask(r, kt);
    let sampled = 0;
    for (let i = 0; i < m.length; i += nx) sampled += m[i] ? 1 : 0;
    const input = undersample(m);
    for (const name of methods) {
      const t0 = performance.now();
      let cell: string;
      try {
        const out = await getMethod(name).reconstruct(input);
        const s = score(out.image);
        cell = `${s.nmse.toExponential(2)} | ${s.psnr.toFixed(2)}`;
      } catch (e) {
        cell = `refused | ${(e as Error).message.split("\n")[0].slice(0, 40)}`;
      }
      const dt = ((performance.now() - t0) / 1000).toFixed(1);
      console.log(
        `| ${r} | ${kt ? "k-t shifted" : "static 2023"} | ${((ny * nt) / sampled).toFixed(2)} | ` +
          `${name} | ${cell} | ${dt} |`,
      );
    }
  }
}
