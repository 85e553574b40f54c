/**
 * `deno task fuzz [--filter CLASS[,CLASS]] [--keep DIR] [--timeout S] [--jobs N] [--verbose]`
 *
 * Builds the fuzz corpus (tests/fuzz/corpus.ts) in a temporary folder (or DIR with --keep,
 * which is then left in place), checks that its damage is real, runs every case against
 * the CLI and prints the classification table: a row per class, a count per outcome; then
 * each case that did not end acceptably with the first line of its message. Exits 1 when
 * any case did not end acceptably (or the corpus is not what it claims).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { buildCorpus, CLASSES, verifyCorpus } from "./corpus.ts";
import { ACCEPTABLE, failures, runCases, table } from "./run.ts";

const HELP = `Usage: deno task fuzz [--filter CLASS[,CLASS]] [--id ID[,ID]] [--keep DIR]
                      [--timeout S] [--jobs N] [--verbose]

  --filter LIST  only these classes: ${CLASSES.join(", ")}
  --id LIST      only cases whose id starts with one of these
  --keep DIR     build the corpus in DIR (must not exist) and leave it there
  --timeout S    seconds before a case counts as a hang (default 60)
  --jobs N       cases at a time (default 2)
  --verbose      print each case as it ends
  --repo DIR     run the CLI of another checkout (e.g. an older commit, to see what the
                 corpus catches there); the corpus is still made by this one`;

if (import.meta.main) {
  const { values: args } = parseArgs({
    args: Deno.args,
    options: {
      filter: { type: "string" },
      id: { type: "string" },
      keep: { type: "string" },
      timeout: { type: "string" },
      jobs: { type: "string" },
      help: { type: "boolean" },
      verbose: { type: "boolean" },
      repo: { type: "string" },
    },
  });
  if (args.help) {
    console.log(HELP);
    Deno.exit(0);
  }
  const classes = args.filter ? args.filter.split(",").map((s) => s.trim()) : undefined;
  const root = args.keep ?? await Deno.makeTempDir({ prefix: "cmrxkit-fuzz-" });
  if (args.keep) await Deno.mkdir(root, { recursive: false });
  const t0 = performance.now();
  let code = 0;
  try {
    const corpus = await buildCorpus(root, {
      classes,
      log: (l) => console.error(`fuzz: ${l}`),
    });
    if (args.id) {
      const ids = args.id.split(",");
      corpus.cases = corpus.cases.filter((c) => ids.some((i) => c.id.startsWith(i)));
    }
    const v = await verifyCorpus(corpus);
    console.log(
      `corpus: ${corpus.cases.length} cases in ${root} (built in ${
        ((performance.now() - t0) / 1000).toFixed(1)
      } s); damage checked: ${v.checked} claims${
        v.unchecked ? `, ${v.unchecked} not checked (no h5py)` : ""
      }`,
    );
    for (const s of corpus.skipped) console.log(`skipped ${s.id}: ${s.reason}`);
    for (const f of v.failures) {
      console.log(`CORPUS WRONG: ${f.id}: claim ${f.claim.kind} on ${f.claim.file}: ${f.why}`);
      code = 1;
    }
    const t1 = performance.now();
    const results = await runCases(corpus.cases, {
      timeoutS: Number(args.timeout ?? 60),
      jobs: Number(args.jobs ?? 2),
      homeRoot: `${root}/home`,
      repo: args.repo,
      onResult: (r, done, total) => {
        if (args.verbose) {
          console.error(`[${done}/${total}] ${r.case.id}: ${r.outcome} ${r.detail.slice(0, 160)}`);
        }
      },
    });
    console.log(
      `\nran ${results.length} cases in ${((performance.now() - t1) / 1000).toFixed(0)} s\n`,
    );
    console.log(table(results));
    const bad = failures(results);
    if (bad) {
      console.log(`\nfailing cases:\n${bad}`);
      code = 1;
    }
    if (results.every((r) => ACCEPTABLE.has(r.outcome))) console.log("\nall cases acceptable");
  } finally {
    if (!args.keep) await Deno.remove(root, { recursive: true }).catch(() => {});
  }
  Deno.exit(code);
}
