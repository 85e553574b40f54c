import assert from "node:assert/strict";
import { COMMANDS } from "../../cli/main.ts";
import { runManifest } from "../challenge/run_manifest_fixture.ts";

const MAIN = new URL("../../cli/main.ts", import.meta.url).pathname;

async function cli(...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env: { NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("cli: --help lists every command and each command has its own --help", async () => {
  const top = await cli("--help");
  assert.equal(top.code, 0);
  for (const c of COMMANDS) {
    assert.match(top.stdout, new RegExp(`\\b${c.name}\\b`));
    assert.match(c.help, /^Usage: deno task /);
  }
  const synth = await cli("synth", "--help");
  assert.equal(synth.code, 0);
  assert.match(synth.stdout, /--size S/);
});

Deno.test("cli: usage errors exit 2 with a message and no stack trace", async () => {
  const r = await cli("synth", "--bogus");
  assert.equal(r.code, 2);
  assert.match(r.stderr, /error: synth: unknown flag --bogus/);
  assert.match(r.stderr, /deno task synth --help/);
  assert.doesNotMatch(r.stderr, /\s+at .*\.ts:\d+/);
  const u = await cli("frobnicate");
  assert.equal(u.code, 2);
  assert.match(u.stderr, /unknown command 'frobnicate'/);
});

Deno.test("cli: bad input files give one clear line naming the file", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/x.mat`, "not a mat file at all".repeat(10));
  const r = await cli("inspect", `${dir}/x.mat`);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`error: ${dir}/x\\.mat: not a MATLAB file`));
  assert.doesNotMatch(r.stderr, /\s+at .*\.ts:\d+/);
  const c = await cli("cases", "--input", dir);
  assert.equal(c.code, 1);
  assert.match(c.stderr, /no MultiCoil\/ or SingleCoil\/ folder found/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("cli: synth -> cases -> inspect on a small dataset", async () => {
  const dir = await Deno.makeTempDir();
  const s = await cli(
    "synth",
    "--out",
    `${dir}/d`,
    "--patients",
    "1",
    "--task",
    "cine",
    "--acc",
    "4",
  );
  assert.equal(s.code, 0, s.stderr);
  assert.match(s.stdout, /wrote \d+ files/);
  assert.match(s.stderr, /synth: \d+\/\d+ files/);
  const c = await cli("cases", "--input", `${dir}/d`, "--split", "validation", "--paths");
  assert.equal(c.code, 0, c.stderr);
  assert.match(
    c.stdout,
    /MultiCoil\/Cine\/ValidationSet\/AccFactor04\s+1 patients\s+cine_lax 1, cine_sax 1/,
  );
  assert.match(
    c.stdout,
    /-> Submission\/MultiCoil\/Cine\/ValidationSet\/AccFactor04\/P001\/cine_sax\.mat/,
  );
  const f = `${dir}/d/MultiCoil/Cine/TrainingSet/AccFactor04/P001/cine_sax.mat`;
  const i = await cli("inspect", f, "--stats");
  assert.equal(i.code, 0, i.stderr);
  assert.match(i.stdout, /MAT v7\.3/);
  assert.match(i.stdout, /kspace_sub04\s+96 x 72 x 10 x 3 x 12\s+complex single\s+\|x\| min 0/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("cli: an edition a command cannot use names where it came from (manifest or --year)", async () => {
  const { validate } = await import("../../cli/validate.ts");
  const { pack } = await import("../../cli/pack.ts");
  const { score } = await import("../../cli/score.ts");
  const dir = await Deno.makeTempDir();
  const f = `${dir}/Submission/MultiCoil/Cine/ValidationSet/AccFactor04/P001/cine_sax.mat`;
  await Deno.mkdir(f.slice(0, f.lastIndexOf("/")), { recursive: true });
  await Deno.writeFile(f, new Uint8Array(0));
  const manifest = `${dir}/cmrxkit-run.json`;
  const writeManifest = (year: number) =>
    Deno.writeTextFile(
      manifest,
      JSON.stringify(runManifest({ year })),
    );
  const log = console.log;
  console.log = () => {};
  try {
    // The run manifest says 2026: the error names the manifest, not a flag never given.
    await writeManifest(2026);
    for (const run of [() => validate.run([dir]), () => pack.run([dir, "--team", "T"])]) {
      await assert.rejects(run, (e: Error) => {
        assert.match(e.message, new RegExp(`^${manifest}: .*2026`));
        assert.doesNotMatch(e.message, /--year must/);
        assert.match(e.message, /fix: pass --year 2023 or --year 2024 or --year 2025/);
        return true;
      });
    }
    // score takes 2025 rules but not 2026.
    await writeManifest(2026);
    await assert.rejects(
      () => score.run(["--submission", dir, "--truth", `${dir}/nowhere`, "--no-record"]),
      (e: Error) => {
        assert.match(e.message, new RegExp(`^${manifest}: .*2026`));
        assert.doesNotMatch(e.message, /--year must/);
        assert.match(e.message, /--year 2025/);
        return true;
      },
    );
    // Given as a flag, the flag is named (and overrides the manifest).
    await assert.rejects(() => validate.run([dir, "--year", "2026"]), /validate: --year .*2026/);
  } finally {
    console.log = log;
  }
  await Deno.remove(dir, { recursive: true });
});
