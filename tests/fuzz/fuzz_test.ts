/**
 * The fuzz corpus in CI: builds it in a temporary folder, checks that its damage is real,
 * runs every case against the CLI (2 at a time) and asserts 0 stack traces, 0 hangs, 0
 * silent successes, and that every error names the damaged file and a fix (tests/fuzz/run.ts
 * classifies). The same table is printed by `deno task fuzz`.
 */

import { buildCorpus, verifyCorpus } from "./corpus.ts";
import { ACCEPTABLE, type CaseResult, failures, type Outcome, runCases, table } from "./run.ts";

/** A hang is a case still running after this long; legitimate cases take a few seconds. */
const TIMEOUT_S = 30;

Deno.test("fuzz corpus: clear errors only, no stack trace, hang or silent success", async (t) => {
  const root = await Deno.makeTempDir({ prefix: "cmrxkit-fuzz-" });
  try {
    const corpus = await buildCorpus(root);
    for (const s of corpus.skipped) console.log(`skipped ${s.id}: ${s.reason}`);

    await t.step("the corpus is what it claims (real damage)", async () => {
      const v = await verifyCorpus(corpus);
      if (v.unchecked) console.log(`${v.unchecked} HDF5 claims not checked: no h5py`);
      if (v.failures.length) {
        throw new Error(
          "generated files are not what their cases claim:\n" +
            v.failures.map((f) => `  ${f.id}: ${f.claim.kind} ${f.claim.file}: ${f.why}`)
              .join("\n"),
        );
      }
    });

    let results: CaseResult[] = [];
    await t.step(`run ${corpus.cases.length} cases`, async () => {
      results = await runCases(corpus.cases, {
        timeoutS: TIMEOUT_S,
        jobs: 2,
        homeRoot: `${root}/home`,
      });
      console.log(table(results));
    });

    const count = (o: Outcome) => results.filter((r) => r.outcome === o).length;
    const detail = () => `\n${table(results)}\n\nfailing cases:\n${failures(results)}`;
    await t.step("0 stack traces, 0 hangs, 0 silent successes", () => {
      const n = count("stack trace") + count("hang") + count("silent success") + count("crash");
      if (n) {
        throw new Error(`${n} stack trace(s), hang(s), crash(es) or silent success(es)${detail()}`);
      }
    });
    await t.step("every case acceptable: errors name the file and a fix", () => {
      const bad = results.filter((r) => !ACCEPTABLE.has(r.outcome));
      if (bad.length) throw new Error(`${bad.length} case(s) not acceptable${detail()}`);
    });
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
});
