/**
 * `deno task demo`: the pipeline that exists so far, end to end on an embedded default:
 * synthesise a small dataset, reconstruct its validation cases zero-filled, apply the
 * official ranking reduction, write and validate a compliant submission, score it against
 * the ground truth like the leaderboard, record it on a local leaderboard, and zip it.
 *
 * @module
 */

import { discover } from "../src/challenge/layout.ts";
import { Leaderboard } from "../src/challenge/leaderboard.ts";
import { packSubmission } from "../src/challenge/pack.ts";
import { run4Ranking } from "../src/challenge/reduce.ts";
import { scoreSubmission } from "../src/challenge/score.ts";
import { submissionFolder, writeImg4Ranking } from "../src/challenge/submission.ts";
import { formatReport, validateSubmission } from "../src/challenge/validate.ts";
import { openMat } from "../src/mat/read.ts";
import { zeroFilledRss } from "../src/recon/zerofill.ts";
import { synthesize } from "../src/synth/dataset.ts";
import { type Command, formatBytes, formatDuration, intFlag, parseFlags } from "./command.ts";
import { printReport } from "./score.ts";

export const demo: Command = {
  name: "demo",
  summary: "synthesise a small dataset and run the pipeline on it (no data or GPU needed)",
  help: `Usage: deno task demo [--out DIR] [--patients N] [--seed N]

1. writes a small synthetic CMRxRecon dataset to DIR (default .cache/demo, replaced),
2. lists its validation cases as the official layout defines them,
3. reconstructs every validation file zero-filled (inverse FFT + root-sum-of-squares),
   applies the 2023 ranking reduction and writes DIR/out/Submission/... (img4ranking, MAT v5),
4. validates the submission against the input,
5. scores it against DIR/GroundTruth exactly like the leaderboard and records it on a local
   leaderboard (DIR/leaderboard.sqlite),
6. zips it as DIR/out/Submission.zip.`,
  async run(args) {
    const { values } = parseFlags("demo", args, {
      out: { type: "string", default: ".cache/demo" },
      patients: { type: "string", default: "1" },
      seed: { type: "string", default: "7" },
    });
    const dir = values.out!.replace(/\/+$/, "");
    const data = `${dir}/data`, out = `${dir}/out`;
    const t0 = performance.now();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    console.log(`1. synthesising a small dataset in ${data} ...`);
    const rep = await synthesize({
      out: data,
      size: "small",
      patients: intFlag("demo", "patients", values.patients, 1),
      seed: intFlag("demo", "seed", values.seed, 7),
    });
    console.log(`   ${rep.files} files, ${formatBytes(rep.bytes)}`);

    const { cases } = await discover(data, { split: "validation" });
    console.log(`2. ${cases.length} validation files found`);

    console.log("3. zero-filled reconstruction -> run4Ranking (2023) -> Submission/ ...");
    for (const c of cases) {
      using mat = await openMat(c.file);
      const [nx, ny, nc, nz, nt] = mat.info(c.variable).dims;
      const image = new Float32Array(nx * ny * nz * nt);
      const slab = new Float32Array(2 * nx * ny * nc);
      for (let z = 0; z < nz; z++) {
        for (let t = 0; t < nt; t++) {
          mat.readSlab(c.variable, [, , , z, t], { out: slab });
          image.set(zeroFilledRss(slab, [nx, ny, nc]), nx * ny * (z + nz * t));
        }
      }
      const r = run4Ranking(image, [nx, ny, nz, nt], 2023, c.name, c.task === "mapping");
      await writeImg4Ranking(submissionFolder(out), c.submissionPath, r.data, r.dims);
      console.log(
        `   ${c.submissionPath.padEnd(58)} [${[nx, ny, nz, nt].join(" ")}] -> [${
          r.dims.join(" ")
        }]`,
      );
    }

    console.log("4. validate against the input:");
    const v = await validateSubmission(out, { input: data, split: "validation" });
    console.log(formatReport(v).split("\n").map((l) => `   ${l}`).join("\n"));
    if (!v.ok) return 1;

    console.log("5. score against the ground truth (2023 rules):");
    const score = await scoreSubmission({ submission: out, truth: `${data}/GroundTruth` });
    printReport(score);
    using lb = new Leaderboard(`${dir}/leaderboard.sqlite`);
    lb.record(score, { name: "demo zero-filled", model: "zerofill" });
    const top = lb.ranked({ task: "cine" })[0];
    console.log(`   recorded on ${lb.path}: cine #1 '${top.name}' SSIM ${top.ssim.toFixed(4)}`);

    console.log("6. pack:");
    const z = await packSubmission(out, { team: "cmrxkit demo" });
    console.log(`   ${z.out}: ${z.entries.length} entries, ${formatBytes(z.zipBytes)}`);
    console.log(`done in ${formatDuration(performance.now() - t0)}`);
    return 0;
  },
};
