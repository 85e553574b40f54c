/**
 * Coil sensitivity benchmark: cmrxkit's ACS/RSS maps and ESPIRiT against BART `ecalib`
 * (Debian `bart`, when installed) on one synthetic cine slice with known coil maps.
 *
 * BART runs with cmrxkit's defaults spelled as its flags: `ecalib -m 1 -k 6:6:1 -r 24:24:1
 * -t 0.0004 -c 0.95`.
 *
 * Prints run times (median of `--reps`) with the ratio to BART measured in the same run,
 * and per-pixel agreement `|<S_a, S_b>| / (|S_a| |S_b|)` (1 = equal up to a per-pixel
 * phase) against the true maps and between cmrxkit's ESPIRiT and BART's, inside the body.
 *
 * ```
 * deno run -A bench/espirit.ts [--size full|small] [--frames 12] [--reps 3] [--acc 4]
 * ```
 *
 * BART's format: `name.hdr` is text (`# Dimensions` then 16 sizes), `name.cfl` raw
 * complex64 little-endian, column-major; dims 0/1 = x/y, 3 = coil, 4 = map.
 *
 * @module
 */

import { readCfl, writeCfl } from "../src/mat/cfl.ts";
import { parseArgs } from "node:util";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mkdtempSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { fft2c } from "../src/kspace/fft.ts";
import { uniformMask2d } from "../src/kspace/mask.ts";
import { acsRssMaps, espirit, timeAveragedKspace } from "../src/kspace/coils/mod.ts";
import { coilMaps } from "../src/synth/coils.ts";
import { GEOMETRY } from "../src/synth/dataset.ts";
import { cineFrame, phantomParams } from "../src/synth/phantom/mod.ts";
import { Rng } from "../src/synth/random.ts";
import type { SliceInput } from "../src/kspace/slice.ts";

/** A synthetic cine slice with known maps: k-space `(kx, ky, coil, frame)`, uniform mask. */
export function syntheticSlice(
  nx: number,
  ny: number,
  nc: number,
  nt: number,
  acc: number,
  seed = 3,
  noise = 0.01,
): { input: SliceInput; truth: Float32Array; body: Uint8Array } {
  const npix = nx * ny;
  const pat = phantomParams(seed);
  const truth = coilMaps(nc, nx, ny, seed, 1);
  const mask = uniformMask2d(nx, ny, acc, 24);
  const kspace = new Float32Array(2 * npix * nc * nt);
  const rng = new Rng(seed + 100);
  const body = new Uint8Array(npix);
  const coil = new Float32Array(2 * npix * nc);
  for (let t = 0; t < nt; t++) {
    const f = cineFrame(pat, "sax", 1, 3, t, nt, nx, ny);
    if (t === 0) {
      let max = 0;
      for (let p = 0; p < npix; p++) {
        max = Math.max(max, Math.hypot(f.image[2 * p], f.image[2 * p + 1]));
      }
      for (let p = 0; p < npix; p++) {
        body[p] = f.label[p] > 0 && Math.hypot(f.image[2 * p], f.image[2 * p + 1]) > 0.05 * max
          ? 1
          : 0;
      }
    }
    for (let c = 0; c < nc; c++) {
      for (let p = 0; p < npix; p++) {
        const o = 2 * (c * npix + p);
        const ar = f.image[2 * p], ai = f.image[2 * p + 1], br = truth[o], bi = truth[o + 1];
        coil[o] = ar * br - ai * bi;
        coil[o + 1] = ar * bi + ai * br;
      }
    }
    const k = fft2c(coil, nx, ny, nc);
    for (let c = 0; c < nc; c++) {
      for (let p = 0; p < npix; p++) {
        const o = 2 * (c * npix + p);
        if (mask[p] === 0) k[o] = k[o + 1] = 0;
        else {
          k[o] += noise * rng.gaussian();
          k[o + 1] += noise * rng.gaussian();
        }
      }
    }
    kspace.set(k, 2 * npix * nc * t);
  }
  return {
    input: { kspace, dims: [nx, ny, nc, nt], mask, maskDims: [nx, ny], task: "cine" },
    truth,
    body,
  };
}

/**
 * Per-pixel agreement of two map sets `(x, y, coil)` where `inside` is set and both are
 * non-zero: median, 5th percentile and count.
 */
export function agreement(
  a: Float32Array,
  b: Float32Array,
  npix: number,
  nc: number,
  inside: Uint8Array,
): { median: number; p5: number; n: number } {
  const v: number[] = [];
  for (let p = 0; p < npix; p++) {
    if (!inside[p]) continue;
    let sr = 0, si = 0, na = 0, nb = 0;
    for (let c = 0; c < nc; c++) {
      const o = 2 * (c * npix + p);
      sr += a[o] * b[o] + a[o + 1] * b[o + 1];
      si += a[o] * b[o + 1] - a[o + 1] * b[o];
      na += a[o] ** 2 + a[o + 1] ** 2;
      nb += b[o] ** 2 + b[o + 1] ** 2;
    }
    if (na > 0 && nb > 0) v.push(Math.hypot(sr, si) / Math.sqrt(na * nb));
  }
  v.sort((x, y) => x - y);
  const q = (f: number) => (v.length ? v[Math.floor(f * (v.length - 1))] : NaN);
  return { median: q(0.5), p5: q(0.05), n: v.length };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function hasBart(): boolean {
  return spawnSync("bart", ["version"], { encoding: "utf8" }).status === 0;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      size: { type: "string", default: "full" },
      frames: { type: "string", default: "12" },
      reps: { type: "string", default: "3" },
      acc: { type: "string", default: "4" },
    },
  });
  const size = values.size === "small" ? "small" : "full";
  const { nx, ny } = GEOMETRY[size].cine_sax;
  const nc = 10, nt = Number(values.frames), reps = Number(values.reps);
  const npix = nx * ny;
  console.log(`coil sensitivities: ${nx} x ${ny}, ${nc} coils, ${nt} frames, R=${values.acc}`);
  const { input, truth, body } = syntheticSlice(nx, ny, nc, nt, Number(values.acc));
  const avg = timeAveragedKspace(input);
  const acs: [number, number] = [Math.floor(ny / 2) - 12, Math.floor(ny / 2) + 12];
  const tAcs: number[] = [], tEsp: number[] = [];
  let acsMaps: Float32Array = new Float32Array(0);
  let esp = espirit(avg, nx, ny, nc, acs); // warm-up (JIT)
  for (let r = 0; r < reps; r++) {
    let t0 = performance.now();
    acsMaps = acsRssMaps(avg, nx, ny, nc, acs);
    tAcs.push(performance.now() - t0);
    t0 = performance.now();
    esp = espirit(avg, nx, ny, nc, acs);
    tEsp.push(performance.now() - t0);
  }
  const fmt = (a: { median: number; p5: number; n: number }) =>
    `median ${a.median.toFixed(5)}  p5 ${a.p5.toFixed(5)}  (${a.n} px)`;
  console.log(`acsRssMaps      ${median(tAcs).toFixed(0).padStart(6)} ms`);
  console.log(
    `espirit         ${median(tEsp).toFixed(0).padStart(6)} ms  (${esp.kernels} kernels)`,
  );
  console.log(`agreement with the true maps inside the body:`);
  console.log(`  acs/rss       ${fmt(agreement(acsMaps, truth, npix, nc, body))}`);
  console.log(`  espirit       ${fmt(agreement(esp.maps, truth, npix, nc, body))}`);
  if (!hasBart()) {
    console.log("bart not found: skipping the BART comparison (apt-get install bart)");
  } else {
    const dir = mkdtempSync(join(tmpdir(), "cmrxkit-espirit-"));
    try {
      writeCfl(join(dir, "k"), avg, [nx, ny, 1, nc]);
      const args = [
        "ecalib",
        "-m",
        "1",
        "-k",
        "6:6:1",
        "-r",
        "24:24:1",
        "-t",
        "0.0004",
        "-c",
        "0.95",
        join(dir, "k"),
        join(dir, "sens"),
        join(dir, "ev"),
      ];
      const tBart: number[] = [];
      for (let r = 0; r < reps; r++) {
        const t0 = performance.now();
        const res = spawnSync("bart", args, { encoding: "utf8" });
        tBart.push(performance.now() - t0);
        if (res.status !== 0) throw new Error(`bart ecalib failed: ${res.stderr}`);
      }
      const sens = readCfl(join(dir, "sens")).data;
      const ev = readCfl(join(dir, "ev")).data;
      const tb = median(tBart);
      console.log(
        `bart ecalib     ${tb.toFixed(0).padStart(6)} ms  (process wall time; ` +
          `espirit / bart = ${(median(tEsp) / tb).toFixed(2)})`,
      );
      console.log(`  bart          ${fmt(agreement(sens, truth, npix, nc, body))}`);
      const all = new Uint8Array(npix).fill(1);
      console.log(`cmrxkit espirit vs bart ecalib:`);
      console.log(`  in the body   ${fmt(agreement(esp.maps, sens, npix, nc, body))}`);
      console.log(`  everywhere    ${fmt(agreement(esp.maps, sens, npix, nc, all))}`);
      let onlyOurs = 0, onlyBart = 0, both = 0, evDiff = 0;
      for (let p = 0; p < npix; p++) {
        const a = esp.maps[2 * p] !== 0 || esp.maps[2 * p + 1] !== 0;
        const b = sens[2 * p] !== 0 || sens[2 * p + 1] !== 0;
        if (a && b) both++;
        else if (a) onlyOurs++;
        else if (b) onlyBart++;
        // eigenvalue maps: BART ev is complex (x, y, 1, 1, maps)
        if (body[p]) evDiff = Math.max(evDiff, Math.abs(esp.eigenvalues[p] - ev[2 * p]));
      }
      console.log(
        `  support       both ${both}, only cmrxkit ${onlyOurs}, only bart ${onlyBart} px; ` +
          `max |eigenvalue diff| in body ${evDiff.toExponential(2)}`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
