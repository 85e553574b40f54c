import assert from "node:assert/strict";
import { parseFlags, SUBMIT_FLAGS, submitFlags } from "../../cli/flags.ts";
import { UsageError } from "../../src/errors.ts";
import { runCli } from "./run_cli.ts";

Deno.test("flags: --edition is --year in the commands that take --year", () => {
  const base = ["--task", "cine", "--split", "validation"];
  assert.equal(submitFlags("submit", [...base, "--edition", "2024"]).options.year, 2024);
  assert.equal(submitFlags("submit", [...base, "--edition=2025"]).options.year, 2025);
  // no --year: submit reads the edition from the input tree
  assert.equal(submitFlags("submit", base).options.year, undefined);
  assert.throws(
    () => submitFlags("submit", [...base, "--edition", "2024", "--year", "2024"]),
    (e) => e instanceof UsageError && /--edition and --year are the same flag/.test(e.message),
  );
  // A command without --year does not get it.
  assert.throws(
    () => parseFlags("x", ["--edition", "2024"], { out: { type: "string" } }),
    (e) => e instanceof UsageError && /unknown flag --edition/.test(e.message),
  );
  assert.ok("year" in SUBMIT_FLAGS);
});

Deno.test("cli: synth --edition 2025 -> cases lists the 2025 cases; --help documents it", async () => {
  const help = await runCli(["synth", "--help"]);
  assert.match(help.stdout, /--edition Y +2023 \(default\), 2024 or 2025/);
  assert.match(help.stdout, /UnderSample_TaskR1/);
  const tmp = await Deno.makeTempDir({ prefix: "cmrxkit-edflag-" });
  try {
    const s = await runCli([
      "synth",
      "--edition",
      "2025",
      "--out",
      `${tmp}/d`,
      "--patients",
      "1",
      "--task",
      "cine",
      "--no-validation",
      "--test",
    ]);
    assert.equal(s.code, 0, s.stderr);
    const c = await runCli(["cases", "--input", `${tmp}/d`, "--split", "test"]);
    assert.equal(c.code, 0, c.stderr);
    // four task folders x 2 stems, each file at one pattern and R
    assert.match(c.stdout, /UnderSample_TaskS2 +1 patients +cine_lax 1, cine_sax 1/);
    assert.match(c.stdout, /8 files/);
    const bad = await runCli(["synth", "--edition", "2024", "--coil", "both", "--out", `${tmp}/e`]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /multi-coil only/);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
