/**
 * Issue 22, reduction and submission for 2024 and 2025, end to end on small synthetic trees
 * (`synthesizeEdition`): submit (edition read from the tree) -> validate -> pack, the
 * archive's paths as each year's scorer searches for them, the reduced dims, the extra-file
 * rule of each edition, and GRAPPA's refusal of a k-t (ktRadial) case as a per-case failure.
 */
import assert from "node:assert/strict";
import { unzipSync } from "fflate";
import { discover } from "../../src/challenge/layout.ts";
import { packSubmission } from "../../src/challenge/pack.ts";
import { parseSubmissionPath } from "../../src/challenge/paths.ts";
import { validateSubmission } from "../../src/challenge/validate/mod.ts";
import { UsageError } from "../../src/errors.ts";
import { openMat } from "../../src/mat/read.ts";
import { submit, type SubmitOptions } from "../../src/pipeline/submit.ts";
import { getMethod } from "../../src/recon/registry.ts";
import { synthesizeEdition } from "../../src/synth/editions.ts";
import { submitCommand } from "../../cli/submit.ts";
import { validate as validateCommand } from "../../cli/validate.ts";

const tmp = await Deno.makeTempDir({ prefix: "cmrxkit-edsubmit-" });
globalThis.addEventListener("unload", () => Deno.removeSync(tmp, { recursive: true }));
const D24 = `${tmp}/d24`, D25 = `${tmp}/d25`;
const common = {
  size: "small" as const,
  patients: 1,
  coils: 4,
  seed: 3,
  tasks: ["cine" as const],
  splits: ["validation" as const],
};
await synthesizeEdition({ edition: 2024, out: D24, ...common });
await synthesizeEdition({ edition: 2025, out: D25, tasks2025: ["TaskR1"], ...common });

const zf = getMethod("zerofill");
const base = (
  input: string,
  output: string,
  extra: Partial<SubmitOptions> = {},
): SubmitOptions => ({
  input,
  output,
  task: "cine",
  split: "validation",
  select: () => zf,
  workers: 1,
  ...extra,
});

/** MATLAB round (half away from zero), for positive sizes. */
const mround = (x: number) => Math.floor(x + 0.5);

/** The reduced dims of a cine file by the 2024/2025 rule: crop, two central slices, 3 frames. */
function reducedCine(kus: number[]): number[] {
  const [nx, ny, , nz, nt] = kus;
  return [mround(nx / 3), mround(ny / 2), nz < 3 ? nz : 2, Math.min(3, nt)];
}

async function zipNames(path: string): Promise<string[]> {
  return Object.keys(unzipSync(await Deno.readFile(path))).sort();
}

async function quiet<T>(f: () => Promise<T>): Promise<T> {
  const log = console.log, err = console.error;
  console.log = () => {};
  console.error = () => {};
  try {
    return await f();
  } finally {
    console.log = log;
    console.error = err;
  }
}

Deno.test("2024: submit reads the edition from the tree, writes {Modality}/ValidationSet/TaskN/..., reduced; validate; pack at the zip root with the conventions warning", async () => {
  const out = `${tmp}/o24`;
  const s = await submit(base(D24, out));
  const { cases } = await discover(D24, { split: "validation", task: "cine" });
  assert.equal(cases.length, 12); // Task 1: 2 stems x 3 R; Task 2: 2 stems x 3 patterns
  assert.equal(s.written, 12);
  assert.deepEqual(s.failed, []);
  assert.ok(s.validation?.ok, JSON.stringify(s.validation?.problems));
  assert.equal(s.validation?.year, 2024);
  // the run log and the run manifest record the edition
  const start = JSON.parse((await Deno.readTextFile(`${out}/run-log.jsonl`)).split("\n")[0]);
  assert.equal(start.edition, 2024);
  assert.equal(JSON.parse(await Deno.readTextFile(`${out}/cmrxkit-run.json`)).year, 2024);
  for (const c of cases) {
    assert.match(c.submissionPath, /^Cine\/ValidationSet\/Task[12]\/P001\/cine_(lax|sax)_kus_/);
    using k = await openMat(c.file);
    using m = await openMat(`${out}/Submission/${c.submissionPath}`);
    assert.deepEqual(m.info("img4ranking").dims, reducedCine(k.info("kus").dims), c.file);
  }
  // a 3-D (kx, ky, t) mask went with the Task 2 cases
  const kt = cases.find((c) => c.pattern === "ktGaussian")!;
  using mk = await openMat(kt.maskFile!);
  assert.equal(mk.info("mask").dims.length, 3);

  // validate, as the CLI does it (edition from the run manifest)
  const code = await quiet(() => validateCommand.run([`${out}/Submission`, "--input", D24]));
  assert.equal(code, 0);

  // an extra file is a warning in 2024 (its scorer reads only the files it expects)
  const extra = `${out}/Submission/Cine/ValidationSet/Task1/P001/cine_sax_kus_Uniform12.mat`;
  await Deno.copyFile(`${out}/Submission/${cases[0].submissionPath}`, extra);
  const v = await validateSubmission(out, { input: D24, task: "cine", year: 2024 });
  assert.ok(v.ok);
  assert.ok(v.warnings.some((w) => w.kind === "extra" && w.file.endsWith("Uniform12.mat")));
  await Deno.remove(extra);

  // pack: the modality folders at the zip root, and the three conventions named
  const z = await packSubmission(out, { team: "T", email: "t@example.org", year: 2024 });
  assert.equal(z.layout, "root");
  const names = await zipNames(z.out);
  assert.ok(names.includes("readme.txt"));
  const files = names.filter((n) => n.endsWith(".mat"));
  assert.equal(files.length, 12);
  for (const n of files) {
    assert.match(n, /^Cine\/ValidationSet\/Task[12]\/P001\/[^/]+_kus_[A-Za-z]+\d+\.mat$/);
    assert.ok(parseSubmissionPath(n, 2024).ok, n);
  }
  assert.equal(z.warnings.length, 1);
  assert.match(z.warnings[0], /template zips.*Submission\.zip/s);
});

Deno.test("2024: a second method (sense) on the k-t cases; --year forcing another edition is refused", async () => {
  const out = `${tmp}/o24s`;
  const { cases } = await discover(D24, { split: "validation", task: "cine" });
  const r = cases.find((c) => c.pattern === "ktRadial")!.acc!;
  const sense = getMethod("sense");
  const s = await submit(base(D24, out, { select: () => sense, acc: [r], year: 2024 }));
  assert.deepEqual(s.failed, []);
  assert.ok(s.written >= 1);
  assert.ok(s.validation?.ok, JSON.stringify(s.validation?.problems));
  await assert.rejects(
    () => submit(base(D24, `${tmp}/o24y`, { year: 2025 })),
    (e) => e instanceof UsageError && /holds no CMRxRecon 2025 tree.*2024 layout/.test(e.message),
  );
});

Deno.test("2025: submit writes TaskR1/MultiCoil/.../Center/Vendor/Pxxx/..., reduced; validate refuses an extra file; pack holds a folder directly holding TaskR1", async () => {
  const out = `${tmp}/o25`;
  const s = await submit(base(D25, out));
  const { cases } = await discover(D25, { split: "validation", task: "cine" });
  assert.equal(cases.length, 2); // 2 stems, each at one pattern and R; TaskR1 only
  assert.equal(s.written, 2);
  assert.deepEqual(s.failed, []);
  assert.ok(s.validation?.ok, JSON.stringify(s.validation?.problems));
  assert.equal(s.validation?.year, 2025);
  const start = JSON.parse((await Deno.readTextFile(`${out}/run-log.jsonl`)).split("\n")[0]);
  assert.equal(start.edition, 2025);
  for (const c of cases) {
    assert.match(
      c.submissionPath,
      /^TaskR1\/MultiCoil\/Cine\/ValidationSet\/UnderSample_TaskR1\/Center\d+\/[^/]+\/P001\/cine_(lax|sax)_kus_[A-Za-z]+\d+\.mat$/,
    );
    using k = await openMat(c.file);
    using m = await openMat(`${out}/Submission/${c.submissionPath}`);
    assert.deepEqual(m.info("img4ranking").dims, reducedCine(k.info("kus").dims), c.file);
  }
  // a second method on one case
  const lps = getMethod("lps");
  const one = cases.find((c) => c.name === "cine_sax")!;
  const s2 = await submit(
    base(D25, `${tmp}/o25l`, {
      select: (c) => (c.file === one.file ? lps : zf),
      acc: [one.acc!],
    }),
  );
  assert.deepEqual(s2.failed, []);
  assert.ok(s2.validation?.ok, JSON.stringify(s2.validation?.problems));

  // validate from the CLI (edition from the run manifest), then an extra file: an error
  assert.equal(await quiet(() => validateCommand.run([out, "--input", D25])), 0);
  const dir = `${out}/Submission/${one.submissionPath.replace(/[^/]+$/, "")}`;
  const extra = `${dir}cine_sax_kus_ktGaussian99.mat`;
  await Deno.copyFile(`${out}/Submission/${one.submissionPath}`, extra);
  const v = await validateSubmission(out, { input: D25, task: "cine", year: 2025 });
  assert.equal(v.ok, false);
  assert.ok(
    v.problems.some((p) =>
      p.kind === "extra" && p.severity === "error" && p.file.endsWith("ktGaussian99.mat")
    ),
  );
  assert.equal(await quiet(() => validateCommand.run([out, "--input", D25])), 1);
  await Deno.remove(extra);
  // a file under the wrong task's UnderSample folder is named as such
  const wrong = parseSubmissionPath(
    one.submissionPath.replace("UnderSample_TaskR1", "UnderSample_TaskR2"),
    2025,
  );
  assert.ok(!wrong.ok && /UnderSample_TaskR2\/ under TaskR1\//.test(wrong.message));

  const z = await packSubmission(out, { team: "T", email: "t@example.org", year: 2025 });
  assert.equal(z.layout, "submission");
  assert.deepEqual(z.warnings, []);
  const files = (await zipNames(z.out)).filter((n) => n.endsWith(".mat"));
  assert.equal(files.length, 2);
  for (const n of files) {
    assert.match(n, /^Submission\/TaskR1\/MultiCoil\/Cine\/ValidationSet\/UnderSample_TaskR1\//);
    assert.ok(parseSubmissionPath(n.slice("Submission/".length), 2025).ok, n);
  }
});

Deno.test("GRAPPA on a ktRadial (k-t) case: a per-case failure with the clear message, the others written; the CLI exits 1 without a stack trace", async () => {
  const grappa = getMethod("grappa");
  const { cases } = await discover(D24, { split: "validation", task: "cine" });
  const radial = cases.find((c) => c.pattern === "ktRadial")!;
  const out = `${tmp}/og`;
  const s = await submit(base(D24, out, { select: () => grappa, acc: [radial.acc!] }));
  const radials = cases.filter((c) => c.pattern === "ktRadial" && c.acc === radial.acc);
  assert.equal(s.failed.length, radials.length);
  for (const f of s.failed) {
    assert.match(f.file, /_kus_ktRadial\d+\.mat$/);
    assert.equal(f.method, "grappa");
    assert.match(f.error!, /GRAPPA: the mask is not a Cartesian line pattern/);
    assert.match(f.error!, /fix: use lps .*--model lps \(submit\)/);
  }
  assert.equal(s.written, s.cases - s.failed.length);
  // the CLI: the same failure in the summary, exit code 1, nothing thrown
  const lines: string[] = [];
  const log = console.log, err = console.error;
  console.log = (...a: unknown[]) => lines.push(a.join(" "));
  console.error = (...a: unknown[]) => lines.push(a.join(" "));
  let code: number;
  try {
    code = await submitCommand.run([
      "--input",
      D24,
      "--output",
      `${tmp}/ogc`,
      "--task",
      "cine",
      "--model",
      "grappa",
      "--acc",
      String(radial.acc),
      "--workers",
      "1",
    ]);
  } finally {
    console.log = log;
    console.error = err;
  }
  assert.equal(code, 1);
  const text = lines.join("\n");
  assert.match(text, /failed: .*ktRadial.*GRAPPA: the mask is not a Cartesian line pattern/);
  assert.doesNotMatch(text, /^\s+at /m);
});
