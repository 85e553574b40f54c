/**
 * `deno task container merge`: merges the outputs of `submit --shard i/n` runs into one
 * folder, checks that every shard finished and, with `--input`, validates the result.
 *
 * @module
 */

import { validateSubmission } from "../../src/challenge/validate/mod.ts";
import { formatReport } from "../../src/challenge/validate/report.ts";
import { mergeShards } from "../../src/container/merge.ts";
import { UsageError } from "../../src/errors.ts";
import { checkOutputDir } from "../../src/output.ts";
import { parseFlags } from "../flags.ts";

/** `container merge`: merges the outputs of sharded runs and checks them. */
export async function containerMerge(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags("container", args, {
    out: { type: "string" },
    input: { type: "string" },
    split: { type: "string" },
  }, true);
  if (!values.out) {
    throw new UsageError("container merge: --out DIR is required", {
      hint: "deno task container merge --out merged --input data shard1 shard2",
    });
  }
  if (values.split && values.split !== "test" && values.split !== "validation") {
    throw new UsageError("container merge: --split must be test or validation");
  }
  await checkOutputDir(values.out, "--out");
  await Deno.mkdir(values.out, { recursive: true });
  const r = await mergeShards(values.out, positionals);
  console.log(
    `merged into ${r.root}: ${r.copied} file(s) copied, ${r.same} already there with the same ` +
      `content; run logs: ${r.shards.length}`,
  );
  if (r.manifest) {
    console.log(
      `  run manifest: ${r.manifest.copied ? "copied from" : "the same as"} ${r.manifest.from}`,
    );
  }
  for (const s of r.shards) {
    console.log(
      `  ${(s.shard ?? "unsharded").padEnd(9)} ${s.file}: ${s.cases} case(s), ${s.written} ` +
        `written, ${s.skipped} already done, ${s.failed} failed${s.ended ? "" : ", NOT FINISHED"}`,
    );
  }
  for (const p of r.problems) console.log(`problem: ${p}`);
  let valid = true;
  if (values.input) {
    const report = await validateSubmission(values.out, {
      input: values.input,
      split: values.split as "test" | "validation" | undefined,
    });
    console.log(formatReport(report, { limit: 20 }));
    valid = report.ok;
  } else {
    console.log("(no --input: the merged files were not checked against the dataset)");
  }
  return r.problems.length === 0 && valid ? 0 : 1;
}
