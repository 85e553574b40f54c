/**
 * T1/T2 mapping end to end, in two parts.
 *
 * 1. The fitter against scipy: the same noisy pixels (MOLLI with Rician noise, T2-prep)
 *    fitted by cmrxkit (`fitMolli` / `fitT2Prep`, vectorised over pixels) and by per-pixel
 *    `scipy.optimize.curve_fit` with the same polarity-restoration search
 *    (bench/mapping_scipy.py); prints the speed ratio and the agreement.
 * 2. Map accuracy per acceleration: a small synthetic mapping validation set (seed 9001,
 *    disjoint from the training seeds) reconstructed with zero-filled, the classical methods
 *    and any shipped ONNX model that serves mapping (models/, picked up through the registry
 *    when one appears), submitted with `submit`, scored with `scoreSubmission` (2023 image
 *    metrics, T1/T2 maps fitted in the myocardium of the synthetic labels): SSIM / PSNR and
 *    the RMSE / MAE of T1 and T2 against the phantom's true maps (and against the maps
 *    fitted to the fully sampled images, the challenge's "ground truth map"). The fully
 *    sampled images themselves are scored too (the fitter's own error against the phantom),
 *    with the default noise and noise-free.
 *
 * Usage: deno task bench mapping [--patients 2] [--methods zerofill,sense,grappa,lps]
 *                                [--pixels 400] [--no-scipy] [--no-recon] [--models DIR]
 * Data: .cache/bench/mapping-9001/ (made once).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { discover, fullSamplePath } from "../src/challenge/layout.ts";
import type { Case } from "../src/challenge/case.ts";
import { type ScoreReport, scoreSubmission } from "../src/challenge/score.ts";
import { referenceImage } from "../src/challenge/truth.ts";
import { submissionFolder, writeImg4Ranking } from "../src/challenge/submission.ts";
import { openMat } from "../src/mat/read.ts";
import { fitMolli } from "../src/mapping/t1.ts";
import { fitT2Prep } from "../src/mapping/t2.ts";
import { OnnxReconstructor } from "../src/models/onnx_model.ts";
import { listModels, serves, SHIPPED_MODELS } from "../src/models/registry.ts";
import { submit } from "../src/pipeline/submit.ts";
import { defaultMethodFor, getMethod } from "../src/recon/registry.ts";
import type { Reconstructor } from "../src/kspace/slice.ts";
import { synthesize } from "../src/synth/dataset.ts";
import { molliSignal, molliTimes, t2PrepSignal, t2PrepTimes } from "../src/synth/phantom/mod.ts";
import { Rng } from "../src/synth/random.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    patients: { type: "string", default: "2" },
    methods: { type: "string", default: "zerofill,sense,grappa,lps" },
    pixels: { type: "string", default: "400" },
    "no-scipy": { type: "boolean", default: false },
    "no-recon": { type: "boolean", default: false },
    models: { type: "string" },
  },
});
const SEED = 9001;
const base = `.cache/bench/mapping-${SEED}`;
await Deno.mkdir(base, { recursive: true });

// ------------------------------------------------------------------ 1. fitter vs scipy

if (!values["no-scipy"]) await fitterVsScipy(Number(values.pixels));

async function fitterVsScipy(n: number) {
  const rng = new Rng(SEED);
  const ti = molliTimes(0, SEED), te = t2PrepTimes();
  const rician = (s: number, sd: number) =>
    Math.hypot(s + sd * rng.gaussian(), sd * rng.gaussian());
  const t1Pix: number[][] = [], t2Pix: number[][] = [];
  for (let p = 0; p < n; p++) {
    const t1 = rng.uniform(300, 2000), a = rng.uniform(0.5, 2), sd = a * rng.uniform(0.005, 0.02);
    t1Pix.push(ti.map((t) => rician(molliSignal(t, t1, a), sd)));
  }
  const n2 = 5 * n;
  for (let p = 0; p < n2; p++) {
    const t2 = rng.uniform(25, 250), a = rng.uniform(0.5, 2), sd = a * rng.uniform(0.005, 0.02);
    t2Pix.push(te.map((t) => rician(t2PrepSignal(t, t2, a), sd)));
  }
  const inPath = `${base}/pixels.json`, outPath = `${base}/scipy.json`;
  await Deno.writeTextFile(
    inPath,
    JSON.stringify({ t1: { times: ti, y: t1Pix }, t2: { times: te, y: t2Pix } }),
  );
  // (npix, nw) column-major, as fitMolli takes a slice.
  const pack = (pix: number[][], nw: number) => {
    const a = new Float64Array(pix.length * nw);
    pix.forEach((y, p) => y.forEach((v, w) => (a[p + pix.length * w] = v)));
    return a;
  };
  const s1 = pack(t1Pix, ti.length), s2 = pack(t2Pix, te.length);
  const time = (f: () => void) => {
    f(); // warm-up (JIT)
    let reps = 0;
    const t0 = performance.now();
    do {
      f();
      reps++;
    } while (performance.now() - t0 < 1000);
    return (performance.now() - t0) / 1000 / reps;
  };
  // Both fit the same float64 values.
  let f1 = fitMolli(s1, n, ti), f2 = fitT2Prep(s2, n2, te);
  const ours1 = time(() => (f1 = fitMolli(s1, n, ti)));
  const ours2 = time(() => (f2 = fitT2Prep(s2, n2, te)));
  console.error(`curve_fit on ${n} MOLLI and ${n2} T2 pixels (python) ...`);
  const py = await new Deno.Command("/usr/bin/python3", {
    args: [new URL("./mapping_scipy.py", import.meta.url).pathname, inPath, outPath],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!py.success) {
    console.log("scipy reference failed (is /usr/bin/python3 with scipy installed?)");
    return;
  }
  const ref = JSON.parse(await Deno.readTextFile(outPath));
  const agree = (
    ours: ArrayLike<number>,
    sse: ArrayLike<number>,
    r: (number | null)[],
    rs: (number | null)[],
  ) => {
    let same = 0, better = 0, worse = 0, maxRel = 0;
    for (let p = 0; p < r.length; p++) {
      if (r[p] === null) continue;
      const d = (sse[p] - rs[p]!) / rs[p]!;
      if (d > 1e-6) worse++;
      else if (d < -1e-6) better++;
      else {
        same++;
        maxRel = Math.max(maxRel, Math.abs(ours[p] - r[p]!) / Math.abs(r[p]!));
      }
    }
    return { same, better, worse, maxRel };
  };
  const a1 = agree(f1.t1, f1.sse, ref.t1.t1, ref.t1.sse);
  const a2 = agree(f2.t2, f2.sse, ref.t2.t2, ref.t2.sse);
  console.log(
    "\nFitter vs scipy curve_fit (same pixels; cmrxkit one thread, vectorised over pixels)",
  );
  console.log(
    `  MOLLI T1 (${ti.length} TIs, ${n} px): cmrxkit ${(ours1 * 1e6 / n).toFixed(1)} us/px, ` +
      `curve_fit ${(ref.t1.seconds * 1e6 / n).toFixed(0)} us/px: ` +
      `**${(ref.t1.seconds / ours1).toFixed(0)}x faster**; same minimum on ${a1.same}, ` +
      `lower residual on ${a1.better}, higher on ${a1.worse}; max rel. T1 difference ${
        a1.maxRel.toExponential(1)
      }`,
  );
  console.log(
    `  T2-prep (${te.length} TEs, ${n2} px): cmrxkit ${(ours2 * 1e6 / n2).toFixed(2)} us/px, ` +
      `curve_fit ${(ref.t2.seconds * 1e6 / n2).toFixed(0)} us/px: ` +
      `**${(ref.t2.seconds / ours2).toFixed(0)}x faster**; same minimum on ${a2.same}, ` +
      `lower residual on ${a2.better}, higher on ${a2.worse}; max rel. T2 difference ${
        a2.maxRel.toExponential(1)
      }`,
  );
}

// ------------------------------------------------------------------ 2. map accuracy per R

if (!values["no-recon"]) await mapAccuracy();

async function ensureData(dir: string, noise: number, patients: number) {
  try {
    await Deno.stat(`${dir}/done`);
    return;
  } catch { /* make it */ }
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  console.error(`synthesising ${dir} (seed ${SEED}, noise ${noise}) ...`);
  await synthesize({
    out: `${dir}/data`,
    size: "small",
    seed: SEED,
    patients,
    tasks: ["mapping"],
    splits: ["validation"],
    noise,
  });
  await Deno.writeTextFile(`${dir}/done`, "");
}

/** The fully sampled reference images written as a submission (SSIM 1; map error = fitter's). */
async function referenceSubmission(dir: string): Promise<string> {
  const out = `${dir}/out-reference`;
  const data = `${dir}/data`;
  await Deno.remove(out, { recursive: true }).catch(() => {});
  const { cases } = await discover(data, { split: "validation", task: "mapping" });
  for (const c of cases) {
    using gt = await openMat(fullSamplePath(c, `${data}/GroundTruth`));
    const ref = await referenceImage(gt, c, 2023, "validation");
    await writeImg4Ranking(submissionFolder(out), c.submissionPath, ref.data, ref.dims);
  }
  return out;
}

interface Row {
  method: string;
  seconds: number;
  report: ScoreReport;
}

async function mapAccuracy() {
  const patients = Number(values.patients);
  const dir = `${base}/p${patients}`;
  await ensureData(dir, 0.01, patients);
  const data = `${dir}/data`, truth = `${data}/GroundTruth`;
  const rows: Row[] = [];
  const methods: { name: string; select: (c: Case) => Reconstructor | Promise<Reconstructor> }[] =
    values
      .methods!.split(",").map((m) => {
        const r = getMethod(m);
        return { name: m, select: () => r };
      });
  // Shipped mapping models, as submit would pick them (first by name serving each case).
  const models = (await listModels(values.models ?? SHIPPED_MODELS)).filter((m) =>
    ["T1", "T2"].some((view) =>
      [4, 8, 10].some((acc) =>
        serves(m.manifest, { task: "mapping", view, acc, coil: "MultiCoil" })
      )
    )
  );
  const loaded: OnnxReconstructor[] = [];
  for (const m of models) {
    const r = new OnnxReconstructor(m);
    loaded.push(r);
    // Cases the model does not serve fall back to submit's default classical method.
    const fallback = getMethod(defaultMethodFor("MultiCoil"));
    methods.push({
      name: `model:${m.manifest.name}`,
      select: (c) => (serves(m.manifest, c) ? r : fallback),
    });
  }
  if (models.length === 0) {
    console.error("(no shipped ONNX model serves mapping: none benchmarked)");
  }
  for (const m of methods) {
    const out = `${dir}/out-${m.name.replace(/[^\w.-]/g, "_")}`;
    console.error(`${m.name}: reconstructing ...`);
    const t0 = performance.now();
    await submit({
      input: data,
      output: out,
      task: "mapping",
      split: "validation",
      select: m.select,
      force: true,
      workers: 2,
    });
    const seconds = (performance.now() - t0) / 1000;
    const report = await scoreSubmission({ submission: out, truth, task: "mapping" });
    rows.push({ method: m.name, seconds, report });
  }
  for (const r of loaded) await r.release();
  const refReport = await scoreSubmission({
    submission: await referenceSubmission(dir),
    truth,
    task: "mapping",
  });
  const cleanDir = `${base}/p${patients}-noisefree`;
  await ensureData(cleanDir, 0, patients);
  const cleanReport = await scoreSubmission({
    submission: await referenceSubmission(cleanDir),
    truth: `${cleanDir}/data/GroundTruth`,
    task: "mapping",
  });

  const g = (r: ScoreReport, view: string, acc: number) =>
    r.groups.find((x) => x.view === view && x.acc === acc)!;
  const mg = (r: ScoreReport, view: string, acc: number) =>
    r.maps!.groups.find((x) => x.view === view && x.acc === acc)!;
  const f = (x: number | undefined, d: number) => (x === undefined ? "-" : x.toFixed(d));
  const files = rows[0]?.report.maps?.files.length ?? 0;
  console.log(
    `\nMap accuracy: small synthetic mapping validation set (seed ${SEED}, ${patients} patient(s), ` +
      `T1 96x64x2 slices x 9 TIs, T2 x 3 TEs; 2023 scoring of the two ranking slices, centre crop ` +
      `32x32; maps in the myocardium, ${files / 6} file(s) per map and R)`,
  );
  console.log(
    "| R | method | T1 SSIM / PSNR | T2 SSIM / PSNR | T1 RMSE / MAE (true) | T2 RMSE / MAE (true) | " +
      "T1 / T2 RMSE vs GT fit |",
  );
  console.log("|---|---|---|---|---|---|---|");
  for (const acc of [4, 8, 10]) {
    for (const r of rows) {
      const rep = r.report;
      const t1 = g(rep, "T1", acc), t2 = g(rep, "T2", acc);
      const m1 = mg(rep, "T1", acc), m2 = mg(rep, "T2", acc);
      console.log(
        `| ${acc} | ${r.method} | ${f(t1.ssim, 4)} / ${f(t1.psnr, 2)} | ${f(t2.ssim, 4)} / ${
          f(t2.psnr, 2)
        } | ${f(m1.rmseTruth, 1)} / ${f(m1.maeTruth, 1)} | ${f(m2.rmseTruth, 1)} / ${
          f(m2.maeTruth, 1)
        } | ${f(m1.rmse, 1)} / ${f(m2.rmse, 1)} |`,
      );
    }
  }
  console.log(
    `\n(SSIM / PSNR dB; errors in ms.) submit time for all ${files} files, 2 workers: ${
      rows.map((r) => `${r.method} ${r.seconds.toFixed(1)} s`).join(", ")
    }`,
  );
  if (models.length) {
    console.log(
      `model rows: cases a model does not serve use ${
        defaultMethodFor("MultiCoil")
      }, as submit does`,
    );
  }
  console.log("\nThe fitter on the fully sampled reference images against the phantom's T1/T2:");
  for (
    const [name, rep] of [["noise 0.01 (the set above)", refReport], [
      "noise-free",
      cleanReport,
    ]] as const
  ) {
    const m1 = mg(rep, "T1", 4), m2 = mg(rep, "T2", 4);
    const bias = (kind: string) => {
      const fs = rep.maps!.files.filter((x) => x.kind === kind && x.acc === 4);
      return fs.reduce((s, x) => s + x.truth!.bias, 0) / fs.length;
    };
    console.log(
      `  ${name}: T1 RMSE ${f(m1.rmseTruth, 2)} ms, MAE ${f(m1.maeTruth, 2)} ms, bias ${
        bias("T1").toFixed(2)
      } ms; T2 RMSE ${f(m2.rmseTruth, 2)} ms, MAE ${f(m2.maeTruth, 2)} ms, bias ${
        bias("T2").toFixed(2)
      } ms (myocardium, ${
        rep.maps!.files.filter((x) => x.acc === 4).reduce((s, x) => s + x.pixels, 0) / 2
      } px per map)`,
    );
  }
}
