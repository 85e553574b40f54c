/**
 * `deno task recon` from the command line, as a user meets it: bad output locations and
 * non-regular inputs fail at once naming the path (never a stack trace or a hang), damaged
 * k-space gets a message saying what was found, and the shipped ONNX models run like the
 * classical methods.
 */
import assert from "node:assert/strict";
import { openMat } from "../../src/mat/read.ts";
import { writeMatV5 } from "../../src/mat/v5/write.ts";
import { MatV73Writer, writeMatV73 } from "../../src/mat/v73/write.ts";
import { present as exists } from "../../src/written_files.ts";

const MAIN = new URL("../../cli/main.ts", import.meta.url).pathname;
const MODELS = new URL("../../models/", import.meta.url).pathname;
const dir = await Deno.makeTempDir({ prefix: "cmrxkit-recon-cli-" });

/** Runs `recon` with a time limit, so a regression that blocks fails instead of hanging. */
async function recon(args: string[], limitMs = 60_000) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "recon", "--workers", "1", ...args],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), limitMs);
  const out = await child.output();
  clearTimeout(timer);
  const dec = new TextDecoder();
  const r = { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  assert.notEqual(out.signal, "SIGKILL", `recon ${args.join(" ")} did not finish in ${limitMs} ms`);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at .*\.ts:\d+/, r.stderr);
  return r;
}

// Small undersampled cine sax in the official layout: 12 frames (what crnn-mri takes).
const [NX, NY, NC, NZ, NT] = [32, 24, 2, 1, 12];
const caseDir = `${dir}/MultiCoil/Cine/ValidationSet/AccFactor04/P001`;
await Deno.mkdir(caseDir, { recursive: true });
const input = `${caseDir}/cine_sax.mat`;
const maskFile = `${caseDir}/cine_sax_mask.mat`;
{
  const k = new Float32Array(2 * NX * NY * NC * NZ * NT);
  let s = 7;
  for (let i = 0; i < k.length / 2; i++) {
    const y = Math.floor(i / NX) % NY;
    if (y % 4 === 0 || Math.abs(y - NY / 2) < 5) {
      s = (s * 16807) % 2147483647;
      k[2 * i] = s / 2147483647 - 0.5;
      k[2 * i + 1] = 0.25 - s / 2147483647 / 2;
    }
  }
  await writeMatV73(input, [{
    name: "kspace_sub04",
    array: { dims: [NX, NY, NC, NZ, NT], matClass: "single", complex: true, data: k },
  }]);
  const mask = new Float64Array(NX * NY);
  for (let i = 0; i < mask.length; i++) {
    const y = Math.floor(i / NX);
    mask[i] = y % 4 === 0 || Math.abs(y - NY / 2) < 5 ? 1 : 0;
  }
  await writeMatV5(maskFile, [{
    name: "mask04",
    array: { dims: [NX, NY], matClass: "double", complex: false, data: mask },
  }]);
}

Deno.test("recon --out: a folder, a path under a file or in a read-only place fails before any work", async () => {
  await Deno.writeTextFile(`${dir}/plain.txt`, "x");
  const cases: [string, RegExp][] = [
    [dir, /names a folder/],
    [`${dir}/plain.txt/r.mat`, /plain\.txt: the folder of --out is a file/],
    ["/proc/cmrxkit-out.mat", /\/proc: cannot write in the folder of --out/],
    [input, /is the input file/],
  ];
  for (const [out, re] of cases) {
    const r = await recon(["--input", input, "--out", out]);
    assert.equal(r.code, 1, `${out}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.match(r.stderr, /\n {2}fix: /);
    assert.doesNotMatch(r.stderr, /recon zerofill: .*slices/, "no reconstruction ran");
  }
  // a missing folder is created, and the output says so
  const r = await recon(["--input", input, "--out", `${dir}/new/sub/r.mat`]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /created folder .*\/new\/sub/);
  using m = await openMat(`${dir}/new/sub/r.mat`);
  assert.deepEqual(m.info("img").dims, [NX, NY, NZ, NT]);
});

Deno.test("recon: a FIFO, a folder or a dangling link as --input or --mask is refused at once", async () => {
  const fifo = `${dir}/pipe.mat`;
  const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
  assert.ok(made.success, "mkfifo");
  await Deno.symlink(`${dir}/gone.mat`, `${dir}/dangling.mat`);
  const bad: [string, RegExp][] = [
    [fifo, /named pipe/],
    [dir, /directory/],
    [`${dir}/dangling.mat`, /symbolic link/],
  ];
  for (const [path, re] of bad) {
    for (const args of [["--input", path], ["--input", input, "--mask", path]]) {
      const r = await recon([...args, "--out", `${dir}/never.mat`], 20_000);
      assert.equal(r.code, 1, r.stderr);
      assert.ok(r.stderr.includes(`error: ${path}: `), r.stderr);
      assert.match(r.stderr, re);
    }
  }
  assert.ok(!(await exists(`${dir}/never.mat`)));
});

Deno.test("recon: int16 or real k-space, a wrong mask and impossible dims get messages naming the file", async () => {
  const int16 = `${dir}/int16.mat`;
  await writeMatV5(int16, [{
    name: "kspace_full",
    array: {
      dims: [NX, NY, NC, 1, 3],
      matClass: "int16",
      complex: false,
      data: new Float64Array(NX * NY * NC * 3),
    },
  }]);
  for (const extra of [[], ["--var", "kspace_full"]]) {
    const r = await recon(["--input", int16, ...extra, "--out", `${dir}/o.mat`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /int16\.mat: .*class int16 found; complex k-space is expected/s);
    assert.doesNotMatch(r.stderr, /output buffer|--var/);
  }
  const wrong = `${dir}/wrong_mask.mat`;
  await writeMatV5(wrong, [{
    name: "mask04",
    array: { dims: [NY, NX], matClass: "double", complex: false, data: new Float64Array(NX * NY) },
  }]);
  const m = await recon(["--input", input, "--mask", wrong, "--out", `${dir}/o.mat`]);
  assert.equal(m.code, 1);
  assert.ok(m.stderr.includes(`error: ${wrong}: mask 'mask04' dims [${NY}, ${NX}]`), m.stderr);
  assert.ok(m.stderr.includes(`of ${input}`), m.stderr);
  // dims with no data behind them (nothing written: the chunks are unallocated)
  const huge = `${dir}/huge.mat`;
  const w = await MatV73Writer.create(huge);
  w.createVariable("kspace_sub04", {
    dims: [5e7, NY, NC, 1, NT],
    complex: true,
    chunkDims: [64, NY, NC, 1, 1],
  });
  await w.close();
  const h = await recon(["--input", huge, "--out", `${dir}/o.mat`]);
  assert.equal(h.code, 1);
  assert.match(h.stderr, /huge\.mat: .*'kspace_sub04'.*50000000/s);
  assert.ok(!(await exists(`${dir}/o.mat`)));
});

Deno.test("recon runs a shipped ONNX model (crnn-mri) like a classical method", async () => {
  const out = `${dir}/crnn.mat`;
  const r = await recon([
    "--input",
    input,
    "--mask",
    maskFile,
    "--method",
    "crnn-mri",
    "--device",
    "cpu",
    "--out",
    out,
  ], 120_000);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /img \[32 x 24 x 1 x 12\].*crnn-mri/);
  using m = await openMat(out);
  const img = m.read("img");
  assert.deepEqual(img.dims, [NX, NY, NZ, NT]);
  assert.ok(img.data.every(Number.isFinite) && img.data.some((v) => v > 0));
  // --model takes a manifest path too (here the mask is read off the k-space)
  const byPath = await recon(
    ["--input", input, "--model", `${MODELS}crnn-mri.json`, "--device", "cpu", "--out", out],
    120_000,
  );
  assert.equal(byPath.code, 0, byPath.stderr);
  assert.match(byPath.stdout, /crnn-mri/);
  // an unknown name lists methods and models, no work done
  const bad = await recon(["--input", input, "--model", "crnn-mir", "--out", `${dir}/x.mat`]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown model 'crnn-mir'.*zerofill, grappa.*crnn-mri/s);
  assert.ok(!(await exists(`${dir}/x.mat`)));
  const both = await recon([
    "--input",
    input,
    "--method",
    "lps",
    "--model",
    `${MODELS}crnn-mri.json`,
    "--out",
    `${dir}/x.mat`,
  ]);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--method or --model, not both/);
});

globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(dir, { recursive: true });
  } catch { /* gone */ }
});
