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
import { scoreSubmission } from "../src/challenge/score.ts";
import { submit } from "../src/pipeline/submit.ts";
import { defaultMethodFor, getMethod } from "../src/recon/registry.ts";
import { synthesize } from "../src/synth/dataset.ts";
import { type Command, formatBytes, formatDuration, intFlag, parseFlags } from "./command.ts";
import { printReport } from "./score.ts";
import { printSummary } from "./submit.ts";

export const demo: Command = {
  name: "demo",
  summary: "synthesise a small dataset and run the pipeline on it (no data or GPU needed)",
  help: `Usage: deno task demo [--out DIR] [--patients N] [--seed N] [--method NAME]

1. writes a small synthetic CMRxRecon dataset to DIR (default .cache/demo, replaced),
2. lists its validation cases as the official layout defines them,
3. runs the submit pipeline on the validation split (a classical method per case, or
   --method): reconstruction of the scored slices, the 2023 ranking reduction,
   DIR/out/Submission/... (img4ranking, MAT v5), validation against the input and
   DIR/out/Submission.zip,
4. scores it against DIR/GroundTruth exactly like the leaderboard and records it on a local
   leaderboard (DIR/leaderboard.sqlite).`,
  async run(args) {
    const { values } = parseFlags("demo", args, {
      out: { type: "string", default: ".cache/demo" },
      patients: { type: "string", default: "1" },
      seed: { type: "string", default: "7" },
      method: { type: "string" },
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

    console.log(
      "3. deno task submit --task both --split validation (classical method per case) ...",
    );
    const sub = await submit({
      input: data,
      output: out,
      task: "both",
      split: "validation",
      select: (c) => getMethod(values.method ?? defaultMethodFor(c.coil)),
      zip: { team: "cmrxkit demo" },
    });
    printSummary(sub);
    if (!sub.validation?.ok) return 1;

    console.log("4. score against the ground truth (2023 rules):");
    const score = await scoreSubmission({ submission: out, truth: `${data}/GroundTruth` });
    printReport(score);
    using lb = new Leaderboard(`${dir}/leaderboard.sqlite`);
    const model = values.method ?? defaultMethodFor("MultiCoil");
    lb.record(score, { name: `demo ${model}`, model });
    const top = lb.ranked({ task: "cine" })[0];
    console.log(`   recorded on ${lb.path}: cine #1 '${top.name}' SSIM ${top.ssim.toFixed(4)}`);

    console.log(`done in ${formatDuration(performance.now() - t0)}`);
    return 0;
  },
};
