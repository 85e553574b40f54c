/**
 * `deno task demo`: the pipeline that exists so far, end to end on an embedded default:
 * synthesise a small dataset, find its validation cases, reconstruct each zero-filled
 * (MAT v7.3 in, MAT v5 out), and compare with the fully sampled ground truth.
 *
 * @module
 */

import { discover, fullSamplePath } from "../src/challenge/layout.ts";
import { accelerationOf, acsRange, sampledLines } from "../src/kspace/mask.ts";
import { openMat } from "../src/mat/read.ts";
import { writeMatV5 } from "../src/mat/v5.ts";
import { zeroFilledRss } from "../src/recon/zerofill.ts";
import { synthesize } from "../src/synth/dataset.ts";
import { type Command, formatBytes, formatDuration, parseFlags } from "./command.ts";

export const demo: Command = {
  name: "demo",
  summary: "synthesise a small dataset and run the pipeline on it (no data or GPU needed)",
  help: `Usage: deno task demo [--out DIR] [--patients N] [--seed N]

1. writes a small synthetic CMRxRecon dataset to DIR (default .cache/demo, replaced),
2. lists its validation cases as the official layout defines them,
3. reconstructs every validation file zero-filled (inverse FFT + root-sum-of-squares, all
   slices and frames) into DIR/Recon/ with the submission's folder structure (MAT v5),
4. compares each with the fully sampled ground truth (NMSE per acceleration).`,
  async run(args) {
    const { values } = parseFlags("demo", args, {
      out: { type: "string", default: ".cache/demo" },
      patients: { type: "string", default: "1" },
      seed: { type: "string", default: "7" },
    });
    const out = values.out!;
    const t0 = performance.now();
    await Deno.remove(out, { recursive: true }).catch(() => {});
    console.log(`1. synthesising a small dataset in ${out} ...`);
    const rep = await synthesize({
      out,
      size: "small",
      patients: Number(values.patients),
      seed: Number(values.seed),
    });
    console.log(`   ${rep.files} files, ${formatBytes(rep.bytes)}`);

    console.log("2. validation cases found:");
    const { cases } = await discover(out, { split: "validation" });
    const groups = new Map<string, number>();
    for (const c of cases) {
      const k = `${c.modality}/${c.accFolder}`;
      groups.set(k, (groups.get(k) ?? 0) + 1);
    }
    for (const [k, n] of groups) console.log(`   ${k.padEnd(24)} ${n} files`);

    console.log("3-4. zero-filled reconstruction vs ground truth:");
    console.log(
      `   ${"file".padEnd(58)} ${"dims (kx ky coil slice frame)".padEnd(30)} ${"R".padStart(3)} ${
        "lines".padStart(6)
      } ${"ACS".padStart(4)} ${"NMSE".padStart(8)}`,
    );
    const nmseByAcc = new Map<string, number[]>();
    for (const c of cases) {
      using mat = await openMat(c.file);
      const dims = mat.info(c.variable).dims;
      const [nx, ny, , nz, nt] = dims;
      const mask = (await openMat(c.maskFile!)).read(c.maskVariable!);
      const lines = sampledLines(mask.data, nx, ny);
      const [a0, a1] = acsRange(lines);
      using truth = await openMat(fullSamplePath(c, `${out}/GroundTruth`));
      const image = new Float32Array(nx * ny * nz * nt);
      let err = 0, ref = 0;
      for (let z = 0; z < nz; z++) {
        const slab = mat.readSlab(c.variable, [undefined, undefined, undefined, z]);
        const img = zeroFilledRss(slab.data as Float32Array, slab.dims);
        const full = truth.readSlab("kspace_full", [undefined, undefined, undefined, z]);
        const gt = zeroFilledRss(full.data as Float32Array, full.dims);
        for (let t = 0; t < nt; t++) {
          image.set(img.subarray(nx * ny * t, nx * ny * (t + 1)), nx * ny * (z + nz * t));
        }
        for (let i = 0; i < img.length; i++) {
          err += (img[i] - gt[i]) ** 2;
          ref += gt[i] ** 2;
        }
      }
      const dest = `${out}/Recon/${c.submissionPath}`;
      await Deno.mkdir(dest.slice(0, dest.lastIndexOf("/")), { recursive: true });
      await writeMatV5(dest, [{
        name: "img",
        array: { dims: [nx, ny, nz, nt], matClass: "single", complex: false, data: image },
      }]);
      const nmse = err / ref;
      nmseByAcc.set(c.accFolder, [...(nmseByAcc.get(c.accFolder) ?? []), nmse]);
      console.log(
        `   ${c.file.slice(out.length + 1).padEnd(58)} ${dims.join(" ").padEnd(30)} ${
          String(c.acc).padStart(3)
        } ${(100 / accelerationOf(lines)).toFixed(0).padStart(5)}% ${String(a1 - a0).padStart(4)} ${
          nmse.toFixed(4).padStart(8)
        }`,
      );
    }
    console.log(
      "   (R: nominal acceleration; lines: share of phase-encode lines sampled, 24 ACS lines",
    );
    console.log("    included, so small synthetic images are less accelerated than R says)");
    console.log("   mean NMSE of zero-filled images by acceleration:");
    for (const [acc, list] of [...nmseByAcc].sort()) {
      console.log(`     ${acc}: ${(list.reduce((a, b) => a + b, 0) / list.length).toFixed(4)}`);
    }
    console.log(`   reconstructions: ${out}/Recon/ (MAT v5, variable img, dims x y slice frame)`);
    console.log(`done in ${formatDuration(performance.now() - t0)}`);
    return 0;
  },
};
