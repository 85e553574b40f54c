/**
 * The 2023 SingleCoil track and R = 24 end to end, as a user runs the commands (`deno run
 * cli/main.ts ...` in a child process): `synth --coil both --acc 4,24`, `submit --coil both`
 * with the classical defaults (GRAPPA multi-coil, `defaultMethodFor("SingleCoil")` single-coil;
 * an empty `--models` folder so that no ONNX model is picked), `validate`, `pack`, `score`.
 */

import assert from "node:assert/strict";
import { discover } from "../../src/challenge/layout.ts";
import { openMat } from "../../src/mat/read.ts";
import { defaultMethodFor } from "../../src/recon/registry.ts";
import { MAIN, runCli } from "../cli/run_cli.ts";

const tmp = await Deno.makeTempDir({ prefix: "cmrx-single-coil-" });
globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(tmp, { recursive: true });
  } catch { /* gone */ }
});

async function cli(...args: string[]) {
  const r = await runCli(args, { CMRXKIT_HOME: `${tmp}/home` });
  assert.equal(r.code, 0, `${args.join(" ")}\n${r.stdout}\n${r.stderr}`);
  return r;
}

const data = `${tmp}/data`;
const out = `${tmp}/out`;
await Deno.mkdir(`${tmp}/no-models`);

Deno.test("single-coil and R = 24: synth --coil both, submit both tracks, validate, pack, score", async () => {
  await cli(
    "synth",
    "--out",
    data,
    "--size",
    "small",
    "--patients",
    "1",
    "--coil",
    "both",
    "--acc",
    "4,24",
    "--seed",
    "11",
  );
  const v = await discover(data, { split: "validation" });
  assert.deepEqual(
    [...new Set(v.cases.map((c) => `${c.coil}/${c.accFolder}`))].sort(),
    [
      "MultiCoil/AccFactor04",
      "MultiCoil/AccFactor24",
      "SingleCoil/AccFactor04",
      "SingleCoil/AccFactor24",
    ],
  );

  const sub = await cli(
    "submit",
    "--task",
    "both",
    "--split",
    "validation",
    "--input",
    data,
    "--output",
    out,
    "--coil",
    "both",
    "--acc",
    "4,24",
    "--models",
    `${tmp}/no-models`,
  );
  assert.match(sub.stdout, /OK: 16 file\(s\) valid/);
  const log = (await Deno.readTextFile(`${out}/run-log.jsonl`)).trim().split("\n")
    .map((l) => JSON.parse(l)).filter((e) => e.event === "case");
  assert.equal(log.length, 16);
  for (const e of log) {
    const coil = e.file.split("/")[0];
    assert.equal(e.method, coil === "SingleCoil" ? defaultMethodFor("SingleCoil") : "grappa");
    assert.equal(e.status, "written");
  }
  // The SingleCoil files: img4ranking with the reduced dims of their input.
  for (const c of v.cases.filter((c) => c.coil === "SingleCoil")) {
    using k = await openMat(c.file);
    const [nx, ny, nz, nt] = k.info(c.variable).dims;
    assert.equal(k.info(c.variable).dims.length, 4, c.file);
    using m = await openMat(`${out}/Submission/${c.submissionPath}`);
    const want = [
      Math.round(nx / 3),
      Math.round(ny / 2),
      Math.min(nz, 2),
      c.task === "mapping" ? nt : 3,
    ];
    assert.deepEqual(m.info("img4ranking").dims, want, c.submissionPath);
    assert.equal(m.info("img4ranking").matClass, "single");
  }

  const val = await cli("validate", out, "--input", data);
  assert.match(val.stdout, /SingleCoil\/Cine\/AccFactor24\s+2\/2 present, 2 valid/);
  assert.match(val.stdout, /SingleCoil\/Mapping\/AccFactor24\s+2\/2 present, 2 valid/);
  assert.match(val.stdout, /OK: 16 file\(s\) valid/);

  await cli("pack", out, "--team", "T", "--email", "t@example.org");
  await Deno.stat(`${out}/Submission.zip`);

  await cli(
    "score",
    "--submission",
    out,
    "--truth",
    `${data}/GroundTruth`,
    "--json",
    `${tmp}/s.json`,
  );
  const s = JSON.parse(await Deno.readTextFile(`${tmp}/s.json`));
  assert.equal(s.incomplete, false);
  assert.deepEqual(s.missing, []);
  assert.equal(s.files.length, 16);
  for (const f of s.files) assert.ok(Number.isFinite(f.ssim) && Number.isFinite(f.psnr), f.file);
  for (const task of ["cine", "mapping"]) {
    assert.deepEqual(Object.keys(s.aggregate[task].byAcc).sort(), ["AccFactor04", "AccFactor24"]);
    assert.ok(Number.isFinite(s.aggregate[task].ssim) && Number.isFinite(s.aggregate[task].psnr));
  }
  const coils = new Set(s.groups.map((g: { coil: string }) => g.coil));
  assert.deepEqual([...coils].sort(), ["MultiCoil", "SingleCoil"]);
});

Deno.test("submit --coil single --model grappa: the fix names submit's flag (--model), not recon's", async () => {
  await Deno.stat(data); // written by the test above
  const o = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN,
      "submit",
      "--task",
      "cine",
      "--split",
      "validation",
      "--input",
      data,
      "--output",
      `${tmp}/grappa`,
      "--coil",
      "single",
      "--acc",
      "24",
      "--model",
      "grappa",
    ],
    env: { NO_COLOR: "1", CMRXKIT_HOME: `${tmp}/home` },
  }).output();
  const text = new TextDecoder().decode(o.stdout) + new TextDecoder().decode(o.stderr);
  assert.notEqual(o.code, 0);
  assert.match(text, /grappa needs multi-coil data and this file is single-coil/);
  assert.match(text, /--model lps/);
});
