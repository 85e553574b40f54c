/**
 * `deno task demo`: the whole pipeline end to end on an embedded default: synthesise a
 * small dataset, reconstruct its validation cases with the shipped models (or a classical
 * method where none serves), apply the official ranking reduction, write and validate a
 * compliant submission, zip it, score it against the ground truth like the leaderboard,
 * record it on a local leaderboard, and write the visual report.
 *
 * @module
 */

import { discover } from "../src/challenge/layout.ts";
import { Leaderboard } from "../src/challenge/leaderboard.ts";
import { scoreSubmission } from "../src/challenge/score.ts";
import { submit } from "../src/pipeline/submit.ts";
import { listModels } from "../src/models/registry.ts";
import { createSelector } from "../src/pipeline/select.ts";
import { synthesize } from "../src/synth/dataset.ts";
import { type Command, formatBytes, formatDuration, intFlag, parseFlags } from "./command.ts";
import { printReport } from "./score.ts";
import { printSummary } from "./submit.ts";
import { reportForRun } from "./report.ts";

export const demo: Command = {
  name: "demo",
  summary: "synthesise a small dataset and run the pipeline on it (no data or GPU needed)",
  help: `Usage: deno task demo [--out DIR] [--patients N] [--seed N] [--method NAME]

1. writes a small synthetic CMRxRecon dataset to DIR (default .cache/demo, replaced),
2. lists its validation cases as the official layout defines them,
3. runs the submit pipeline on the validation split (per case the shipped model that
   serves it, else a classical method; --method forces one): reconstruction of the scored slices, the 2023 ranking reduction,
   DIR/out/Submission/... (img4ranking, MAT v5), validation against the input and
   DIR/out/Submission.zip,
4. scores it against DIR/GroundTruth exactly like the leaderboard and records it on a local
   leaderboard (DIR/leaderboard.sqlite),
5. writes the visual report (DIR/out/report/index.html: images, errors, metrics, maps).`,
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
      "3. deno task submit --task both --split validation (shipped model or classical method per case) ...",
    );
    const selector = createSelector({
      override: values.method,
      models: await listModels(),
      engine: { device: "cpu" },
    });
    const methods = new Set<string>();
    const sub = await submit({
      input: data,
      output: out,
      task: "both",
      split: "validation",
      select: async (c) => {
        const r = await selector.select(c);
        methods.add(r.name);
        return r;
      },
      zip: { team: "cmrxkit demo" },
    });
    await selector.release();
    printSummary(sub);
    if (!sub.validation?.ok) return 1;

    console.log("4. score against the ground truth (2023 rules):");
    const score = await scoreSubmission({ submission: out, truth: `${data}/GroundTruth` });
    printReport(score);
    using lb = new Leaderboard(`${dir}/leaderboard.sqlite`);
    const model = values.method ?? [...methods].sort().join("+");
    lb.record(score, { name: `demo ${model}`, model });
    const top = lb.ranked({ task: "cine" })[0];
    console.log(`   recorded on ${lb.path}: cine #1 '${top.name}' SSIM ${top.ssim.toFixed(4)}`);

    console.log("5. visual report:");
    await reportForRun({ output: out, input: data, truth: `${data}/GroundTruth` });

    console.log(`done in ${formatDuration(performance.now() - t0)}`);
    return 0;
  },
};
