import assert from "node:assert/strict";
import { scoreSubmission } from "../../src/challenge/score.ts";
import { UsageError } from "../../src/errors.ts";
import { submit } from "../../src/pipeline/submit.ts";
import { getMethod } from "../../src/recon/registry.ts";
import { buildReport } from "../../src/report/build.ts";
import { REPORT_MARKER } from "../../src/report/folder.ts";
import { synthesize } from "../../src/synth/dataset.ts";
import { main } from "../../cli/main.ts";
import { findChromium, visit } from "./chromium.ts";
import { decodePng } from "./png_decode.ts";

// One small synthetic dataset (1 patient, cine + mapping, R 4 and 8) and two runs.
const root = await Deno.makeTempDir({ prefix: "cmrxkit-report-" });
const data = `${root}/data`;
const truth = `${data}/GroundTruth`;
await synthesize({
  out: data,
  size: "small",
  seed: 3,
  patients: 1,
  splits: ["validation"],
  accs: [4, 8],
});
for (const [name, method] of [["zf", "zerofill"], ["grappa", "grappa"]]) {
  const m = getMethod(method);
  await submit({
    input: data,
    output: `${root}/${name}`,
    task: "both",
    split: "validation",
    select: () => m,
    workers: 1,
  });
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory) {
      out.push(...(await listFiles(`${dir}/${e.name}`)).map((f) => `${e.name}/${f}`));
    } else out.push(e.name);
  }
  return out.sort();
}

Deno.test("report: page, images and numbers of two runs", async () => {
  const out = `${root}/report`;
  const r = await buildReport({ runs: [`${root}/zf`, `${root}/grappa`], truth, out });
  const html = await Deno.readTextFile(r.index);
  // self-contained: no script, no external resource, every image a file beside it
  assert.ok(!/<script|<link|https?:\/\//i.test(html));
  const srcs = [...html.matchAll(/<img src="([^"]+)"/g)].map((m) => m[1]);
  assert.ok(srcs.length >= 20, `${srcs.length} images`);
  const files = await listFiles(out);
  assert.equal(files.filter((f) => f.endsWith(".png")).length, r.images);
  // every PNG is shown, every image shown exists
  assert.deepEqual(new Set(files.filter((f) => f.endsWith(".png"))), new Set(srcs));
  for (const s of new Set(srcs)) {
    const png = decodePng(await Deno.readFile(`${out}/${s}`));
    assert.ok(png.width > 0 && png.height > 0);
  }
  for (const id of ["overview", "images", "metrics", "dynamic", "maps", "timing"]) {
    assert.match(html, new RegExp(`<section id="${id}">`));
  }
  // The zero-filled run stands for the input; both runs are scored as the leaderboard does.
  assert.deepEqual(Object.keys(r.summary.scores).sort(), ["grappa", "zf"]);
  const official = await scoreSubmission({ submission: `${root}/grappa`, truth, accs: [4, 8] });
  assert.deepEqual(r.summary.scores.grappa, official.aggregate);
  // figures: cine (lax, sax) and mapping (T1, T2) at R 4 and 8, plus maps and locators
  assert.match(html, /P001 sax AccFactor08/);
  assert.match(html, /P001 T1 map AccFactor04/);
  assert.match(html, /where the heart moves/);
  assert.match(html, /class="best"/);
  // dynamic-region analysis per cine group, both sources, finite
  const groups = Object.keys(r.summary.dynamic).sort();
  assert.deepEqual(groups, [
    "cine|lax AccFactor04",
    "cine|lax AccFactor08",
    "cine|sax AccFactor04",
    "cine|sax AccFactor08",
  ]);
  for (const g of groups) {
    for (const src of ["zf", "grappa"]) {
      const d = r.summary.dynamic[g][src];
      assert.ok(Object.values(d).every(Number.isFinite), `${g} ${src} ${JSON.stringify(d)}`);
      // the moving heart is harder than the rest for an undersampled reconstruction
      assert.ok(d.psnrDynamic < d.psnrStatic, `${g} ${src}`);
    }
  }
  // T1/T2 map errors in ms
  const mg = Object.keys(r.summary.mapErrors).sort();
  assert.deepEqual(mg, [
    "T1|T1 AccFactor04",
    "T1|T1 AccFactor08",
    "T2|T2 AccFactor04",
    "T2|T2 AccFactor08",
  ]);
  for (const g of mg) {
    const e = r.summary.mapErrors[g].zf;
    assert.ok(e.rmse > 0 && e.mae > 0 && e.mae <= e.rmse, `${g} ${JSON.stringify(e)}`);
  }
  assert.match(html, /in the LV myocardium of the labels/);
  // timing section from the run logs
  assert.match(html, /peak memory \(RSS\)/);
  assert.match(html, /grappa on 8 file\(s\): classical method, no trained parameters/);
  assert.ok(files.includes(REPORT_MARKER) && files.includes("report.json"));
});

Deno.test("report: the zero-filled input computed from k-space scores as the zero-filled run", async () => {
  const r = await buildReport({ runs: [`${root}/grappa`], truth, out: `${root}/report-zf` });
  const zfRun = await scoreSubmission({ submission: `${root}/zf`, truth, accs: [4, 8] });
  const mine = r.summary.scores["zero-filled input"];
  for (const task of ["cine", "mapping"] as const) {
    const a = mine[task]!, b = zfRun.aggregate[task]!;
    assert.equal(a.ssim, b.ssim);
    assert.equal(a.psnr, b.psnr);
    for (const [acc, m] of Object.entries(b.byAcc)) {
      assert.ok(Math.abs(a.byAcc[acc].ssim - m.ssim) < 1e-12, `${task} ${acc}`);
      assert.ok(Math.abs(a.byAcc[acc].nmse - m.nmse) < 1e-12, `${task} ${acc}`);
    }
  }
  assert.ok(r.summary.dynamic["cine|sax AccFactor04"]["zero-filled input"]);
  // Without labels the map errors are taken over the ground truth's fitted pixels.
  const nl = await buildReport({
    runs: [`${root}/grappa`],
    truth,
    out: `${root}/report-nolabels`,
    labels: `${root}/no-labels`,
  });
  assert.ok(nl.warnings.some((w) => /map errors over fitted pixels: .*no label file/.test(w)));
  const t1 = nl.summary.mapErrors["T1|T1 AccFactor04"];
  assert.ok(t1.grappa.rmse > 0 && t1["zero-filled input"].rmse > 0);
  assert.notEqual(t1.grappa.rmse, r.summary.mapErrors["T1|T1 AccFactor04"].grappa.rmse);
  assert.match(
    await Deno.readTextFile(nl.index),
    /in the ground truth&#39;s fitted \(non-air\) pixels/,
  );
});

Deno.test("report: without truth it shows images and timings; bad folders are refused", async () => {
  const r = await buildReport({ runs: [`${root}/grappa`], out: `${root}/report-nt`, input: data });
  const html = await Deno.readTextFile(r.index);
  assert.match(html, /No scores: pass the ground truth/);
  assert.ok(r.warnings.some((w) => w.includes("no ground truth")));
  assert.deepEqual(r.summary.scores, {});
  // A non-empty folder that is not a report is never replaced.
  const busy = `${root}/busy`;
  await Deno.mkdir(busy);
  await Deno.writeTextFile(`${busy}/notes.txt`, "mine");
  await assert.rejects(buildReport({ runs: [`${root}/grappa`], out: busy }), UsageError);
  assert.equal(await Deno.readTextFile(`${busy}/notes.txt`), "mine");
  // An earlier report is replaced, and no temporary folder is left behind; what a user added
  // to the report's folder stays, and is mentioned.
  const nt = `${root}/report-nt`;
  const before = await listFiles(nt);
  await Deno.writeTextFile(`${nt}/notes.txt`, "mine");
  await Deno.writeTextFile(`${nt}/img/mine.txt`, "mine too");
  await Deno.writeTextFile(`${nt}/img/stale.png`, "written by an earlier report");
  const marker = await Deno.readTextFile(`${nt}/${REPORT_MARKER}`);
  await Deno.writeTextFile(`${nt}/${REPORT_MARKER}`, `${marker}img/stale.png\n`);
  const again = await buildReport({ runs: [`${root}/grappa`], out: nt, input: data });
  assert.equal(await Deno.readTextFile(`${nt}/notes.txt`), "mine");
  assert.equal(await Deno.readTextFile(`${nt}/img/mine.txt`), "mine too");
  assert.deepEqual(await listFiles(nt), [...before, "img/mine.txt", "notes.txt"].sort());
  assert.ok(
    again.warnings.some((w) =>
      /2 entries cmrxkit did not write \(img\/mine\.txt, notes\.txt\)/.test(w)
    ),
    again.warnings.join("\n"),
  );
  // A file a report would write, which cmrxkit did not write there: refused, kept.
  await Deno.remove(`${nt}/report.json`);
  await Deno.writeTextFile(`${nt}/report.json`, "mine");
  const m2 = (await Deno.readTextFile(`${nt}/${REPORT_MARKER}`)).replace("report.json\n", "");
  await Deno.writeTextFile(`${nt}/${REPORT_MARKER}`, m2);
  await assert.rejects(
    buildReport({ runs: [`${root}/grappa`], out: nt, input: data }),
    /report\.json, which cmrxkit did not write/,
  );
  assert.equal(await Deno.readTextFile(`${nt}/report.json`), "mine");
  const left = [];
  for await (const e of Deno.readDir(root)) if (/\.(tmp|old)-/.test(e.name)) left.push(e.name);
  assert.deepEqual(left, []);
  await assert.rejects(
    buildReport({ runs: [`${root}/nowhere`], out: `${root}/r2` }),
    /no such folder/,
  );
  await assert.rejects(
    buildReport({ runs: [`${root}/zf`], out: `${root}/r3`, patient: "P009" }),
    UsageError,
  );
});

Deno.test("report: input entries that cannot be read are listed as errors", async () => {
  const broken = `${root}/data-broken`;
  const cp = await new Deno.Command("cp", { args: ["-r", data, broken] }).output();
  assert.ok(cp.success);
  const p = `${broken}/MultiCoil/Cine/ValidationSet/AccFactor04/P001/cine_sax.mat`;
  await Deno.remove(p);
  await Deno.symlink(`${root}/nowhere.mat`, p);
  const r = await buildReport({
    runs: [`${root}/grappa`],
    out: `${root}/report-broken`,
    input: broken,
  });
  const w = r.warnings.find((x) => x.includes(p));
  assert.ok(w, r.warnings.join("\n"));
  assert.match(w!, /^error: input entry .* link whose target does not exist.*fix: repair the link/);
  assert.match(
    await Deno.readTextFile(r.index),
    /cine_sax\.mat is a symbolic link whose target does not exist/,
  );
});

Deno.test("cli: deno task report and submit --report", async () => {
  const out = `${root}/report-cli`;
  assert.equal(
    await main([
      "report",
      "--runs",
      `${root}/zf,${root}/grappa`,
      "--truth",
      truth,
      "--out",
      out,
      "--view",
      "sax",
      "--acc",
      "8",
    ]),
    0,
  );
  const html = await Deno.readTextFile(`${out}/index.html`);
  assert.match(html, /P001 sax AccFactor08/);
  const titles = [...html.matchAll(/<b>(P001 [^<]*AccFactor\d\d)<\/b>/g)].map((m) => m[1]);
  assert.deepEqual(titles, ["P001 sax AccFactor08"]);
  assert.equal(await main(["report", "--out", out]), 2);
  assert.equal(await main(["report", "--runs", `${root}/zf`, "--frame", "0"]), 2);
  // submit --report writes <output>/report with the dataset's GroundTruth
  const sub = `${root}/sub`;
  assert.equal(
    await main([
      "submit",
      "--task",
      "cine",
      "--split",
      "validation",
      "--input",
      data,
      "--output",
      sub,
      "--model",
      "zerofill",
      "--acc",
      "4",
      "--report",
    ]),
    0,
  );
  const sr = await Deno.readTextFile(`${sub}/report/index.html`);
  assert.match(sr, /Cine overall/);
  assert.match(sr, /P001 sax AccFactor04/);
});

Deno.test("report: parameters from the manifest named in the run log; budget verdict", async () => {
  // A run whose log names an ONNX model (the images are the zero-filled run's).
  const net = `${root}/net`;
  await Deno.mkdir(net);
  await new Deno.Command("cp", { args: ["-r", `${root}/zf/Submission`, `${net}/`] }).output();
  const log = await Deno.readTextFile(`${root}/zf/run-log.jsonl`);
  await Deno.writeTextFile(
    `${net}/run-log.jsonl`,
    log.replaceAll('"method":"zerofill"', '"method":"tiny-net"'),
  );
  const models = `${root}/models`;
  await Deno.mkdir(models);
  await Deno.writeFile(`${models}/tiny-net.onnx`, new Uint8Array(0));
  await Deno.writeTextFile(
    `${models}/tiny-net.json`,
    JSON.stringify({
      format: 1,
      name: "tiny-net",
      file: "tiny-net.onnx",
      description: "test manifest",
      architecture: "CRNN",
      parameters: 12345,
      inputs: [{ name: "kspace", role: "kspace", layout: "T,C,Y,X,2" }],
      output: { name: "image", role: "image", layout: "T,Y,X" },
      feeder: { kind: "sequence" },
      normalization: { kind: "max" },
      serves: { tasks: ["cine"], views: ["sax"], accelerations: [4], coils: ["MultiCoil"] },
    }),
  );
  const r = await buildReport({
    runs: [net],
    out: `${root}/report-net`,
    models: [models],
    timeBudget: 24 * 3600,
  });
  const html = await Deno.readTextFile(r.index);
  assert.match(html, /tiny-net on 8 file\(s\): ONNX model \(CRNN\), 12,345 parameters/);
  assert.match(html, /<span class="verdict-fits">fits<\/span>/);
  assert.match(html, /\(from --time-budget\)/);
  // not zero-filled by name: the zero-filled input is computed from the run log's input
  assert.match(html, /<th>zero-filled input<\/th>/);
});

const chromium = findChromium();
Deno.test({
  name: "report in headless Chromium: every image loads, no console error (screenshot saved)",
  ignore: !chromium,
  async fn() {
    const out = `${root}/report-browser`;
    const r = await buildReport({ runs: [`${root}/zf`, `${root}/grappa`], truth, out });
    const v = await visit(
      chromium!,
      `file://${r.index}`,
      `(() => { const im = Array.from(document.images);
         return { n: im.length, bad: im.filter((i) => !(i.complete && i.naturalWidth > 0)).map((i) => i.src),
                  sections: document.querySelectorAll("section").length }; })()`,
      { maxHeight: 16000 },
    );
    assert.deepEqual(v.errors, []);
    const value = v.value as { n: number; bad: string[]; sections: number };
    assert.deepEqual(value.bad, []);
    assert.equal(value.n, (await Deno.readTextFile(r.index)).match(/<img /g)!.length);
    assert.ok(value.sections >= 6);
    const dir = Deno.env.get("CMRXKIT_ARTIFACTS") ??
      new URL("../../.cache/", import.meta.url).pathname;
    await Deno.mkdir(dir, { recursive: true });
    const shot = `${dir.replace(/\/+$/, "")}/report-screenshot.png`;
    await Deno.writeFile(shot, v.screenshot);
    const png = decodePng(v.screenshot);
    assert.ok(png.width >= 800 && png.height >= 1000, `${png.width} x ${png.height}`);
    console.log(`screenshot: ${shot} (${png.width} x ${png.height})`);
  },
});
if (!chromium) {
  console.log("notice: chromium not installed (apt-get install chromium): browser test skipped");
}

Deno.test({
  name: "report: clean up",
  sanitizeResources: false,
  async fn() {
    await Deno.remove(root, { recursive: true });
  },
});
