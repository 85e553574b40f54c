/**
 * Time to score a full-size synthetic validation submission (cine and mapping, 3
 * accelerations) with `deno task score`'s engine, against a Python scorer doing the same
 * work the official way (h5py + numpy FFT for the references, scikit-image metrics).
 *
 * Usage: deno task bench score [--patients 1]
 * The dataset (full size, validation split, ~7 GB per patient) and a zero-filled submission
 * are made once into .cache/bench/score/.
 *
 * @module
 */

import { pooledRss } from "../src/pipeline/reference.ts";
import { SlicePool } from "../src/recon/pool.ts";
import { parseArgs } from "node:util";
import { discover, fullSamplePath } from "../src/challenge/layout.ts";
import { run4Ranking } from "../src/challenge/reduce.ts";
import { scoreSubmission } from "../src/challenge/score.ts";
import { submissionFolder, writeImg4Ranking } from "../src/challenge/submission.ts";
import { openMat } from "../src/mat/read.ts";
import { reconstructFile } from "../src/recon/run.ts";
import { createZeroFilled } from "../src/recon/zerofill.ts";
import { synthesize } from "../src/synth/dataset.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { patients: { type: "string", default: "1" } },
});
const base = `.cache/bench/score-p${values.patients}`;
const data = `${base}/data`, out = `${base}/out`;
try {
  await Deno.stat(`${out}/done`);
} catch {
  await Deno.remove(base, { recursive: true }).catch(() => {});
  console.error(
    `making a full-size validation dataset and a zero-filled submission in ${base} (once) ...`,
  );
  await synthesize({
    out: data,
    size: "full",
    patients: Number(values.patients),
    seed: 21,
    splits: ["validation"],
  });
  const { cases } = await discover(data, { split: "validation" });
  for (const c of cases) {
    using mat = await openMat(c.file);
    const r = await reconstructFile(mat, createZeroFilled(), {
      variable: c.variable,
      task: c.task,
    });
    const red = run4Ranking(r.image, r.dims, 2023, c.name, c.task === "mapping");
    await writeImg4Ranking(submissionFolder(out), c.submissionPath, red.data, red.dims);
  }
  await Deno.writeTextFile(`${out}/done`, "");
}

const t0 = performance.now();
const pool = new SlicePool();
const report = await scoreSubmission({
  submission: out,
  truth: `${data}/GroundTruth`,
  rss: pooledRss(pool),
});
pool.close();
const ours = (performance.now() - t0) / 1000;
const images = report.files.reduce((s, f) => s + f.images, 0);

const { cases } = await discover(data, { split: "validation" });
const jobs = cases.map((c) => ({
  sub: `${submissionFolder(out)}/${c.submissionPath}`,
  gt: fullSamplePath(c, `${data}/GroundTruth`),
  mapping: c.task === "mapping",
}));
// Same order as cmrxkit (one reference per truth file, reused across accelerations).
jobs.sort((a, b) => a.gt.localeCompare(b.gt));
const jobsFile = `${base}/jobs.json`;
await Deno.writeTextFile(jobsFile, JSON.stringify(jobs));
const py = await new Deno.Command("/usr/bin/python3", {
  args: [new URL("./score_python.py", import.meta.url).pathname, jobsFile],
}).output();
if (!py.success) throw new Error(new TextDecoder().decode(py.stderr));
const ref = JSON.parse(new TextDecoder().decode(py.stdout));
const meanSsim = report.files.reduce((s, f) => s + f.ssim, 0) / report.files.length;
console.log(
  `full-size synthetic validation submission: ${report.files.length} files, ${images} 2-D images (2023 rules)`,
);
console.log(
  `  cmrxkit scoreSubmission:              ${ours.toFixed(2)} s  (${
    (ours / report.files.length).toFixed(3)
  } s per file)`,
);
console.log(`  Python (h5py + numpy + scikit-image): ${ref.seconds.toFixed(2)} s`);
console.log(`  ratio Python / cmrxkit: ${(ref.seconds / ours).toFixed(2)}x  (> 1: cmrxkit faster)`);
console.log(`  mean per-file SSIM: cmrxkit ${meanSsim.toFixed(6)}, Python ${ref.ssim.toFixed(6)}`);
