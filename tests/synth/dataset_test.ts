import assert from "node:assert/strict";
import { discover, fullSamplePath } from "../../src/challenge/layout.ts";
import { CmrxError } from "../../src/errors.ts";
import { uniformLines } from "../../src/kspace/mask.ts";
import { openMat, readMatVar } from "../../src/mat/read.ts";
import { zeroFilledRss } from "../../src/kspace/zerofill.ts";
import { GEOMETRY, mappingCsv, synthesize, synthesizeKspaceFile } from "../../src/synth/dataset.ts";
import { LABEL } from "../../src/synth/phantom/mod.ts";

const root = await Deno.makeTempDir({ prefix: "cmrxkit-synth-" });
const report = await synthesize({
  out: `${root}/data`,
  size: "small",
  seed: 3,
  patients: 1,
  splits: ["training", "validation", "test"],
  accs: [4, 10],
});
const D = `${root}/data`;
const G = GEOMETRY.small;

Deno.test("synth writes the 2023 layout: training FullSample + AccFactor, validation/test + GroundTruth", async () => {
  const train = await discover(D, { split: "training", fullSample: true });
  const key = (c: { modality: string; accFolder: string; name: string }) =>
    `${c.modality}/${c.accFolder}/${c.name}`;
  assert.deepEqual(train.cases.map(key).sort(), [
    "Cine/AccFactor04/cine_lax",
    "Cine/AccFactor04/cine_sax",
    "Cine/AccFactor10/cine_lax",
    "Cine/AccFactor10/cine_sax",
    "Cine/FullSample/cine_lax",
    "Cine/FullSample/cine_sax",
    "Mapping/AccFactor04/T1map",
    "Mapping/AccFactor04/T2map",
    "Mapping/AccFactor10/T1map",
    "Mapping/AccFactor10/T2map",
    "Mapping/FullSample/T1map",
    "Mapping/FullSample/T2map",
  ]);
  assert.deepEqual(train.ignored, []);
  for (const split of ["validation", "test"] as const) {
    const { cases } = await discover(D, { split, fullSample: true });
    assert.equal(cases.length, 8, split);
    assert.ok(cases.every((c) => c.acc !== null && c.maskFile && c.maskVariable));
    assert.ok(cases.filter((c) => c.task === "mapping").every((c) => c.csvFile));
    for (const c of cases) await Deno.stat(fullSamplePath(c, `${D}/GroundTruth`));
  }
  // The GroundTruth root is itself a dataset root with FullSample folders.
  const gt = await discover(`${D}/GroundTruth`, { fullSample: true, split: "validation" });
  assert.equal(gt.cases.length, 4);
  assert.ok(report.files > 40);
});

Deno.test("synth k-space: dims, class, and AccFactor files hold exactly kspace_full .* mask", async () => {
  for (const name of ["cine_sax", "T1map"] as const) {
    const modality = name === "cine_sax" ? "Cine" : "Mapping";
    const g = G[name];
    using full = await openMat(
      `${D}/MultiCoil/${modality}/TrainingSet/FullSample/P001/${name}.mat`,
    );
    using sub = await openMat(
      `${D}/MultiCoil/${modality}/TrainingSet/AccFactor10/P001/${name}.mat`,
    );
    assert.equal(full.format, "v7.3");
    assert.deepEqual(full.info("kspace_full"), {
      name: "kspace_full",
      dims: [g.nx, g.ny, 10, g.nslices, g.nframes],
      matClass: "single",
      complex: true,
    });
    const mask = await readMatVar(
      `${D}/MultiCoil/${modality}/TrainingSet/AccFactor10/P001/${name}_mask.mat`,
      "mask10",
    );
    assert.deepEqual(mask.dims, [g.nx, g.ny]);
    assert.equal(mask.matClass, "double");
    const lines = uniformLines(g.ny, 10, 24);
    for (let y = 0; y < g.ny; y++) assert.equal(mask.data[y * g.nx + 5], lines[y]);
    const z = g.nslices - 1;
    const a = full.readSlab("kspace_full", [, , , z]);
    const b = sub.readSlab("kspace_sub10", [, , , z]);
    const n = g.nx * g.ny;
    for (let i = 0; i < a.data.length / 2; i++) {
      const y = Math.floor((i % n) / g.nx);
      const keep = lines[y] === 1;
      assert.equal(b.data[2 * i], keep ? a.data[2 * i] : 0);
      assert.equal(b.data[2 * i + 1], keep ? a.data[2 * i + 1] : 0);
    }
  }
});

Deno.test("synth images look cardiac: blood brighter than myocardium, darker lungs, heart beats", async () => {
  const g = G.cine_sax;
  using full = await openMat(`${D}/MultiCoil/Cine/TrainingSet/FullSample/P001/cine_sax.mat`);
  const label = await readMatVar(
    `${D}/Labels/MultiCoil/Cine/TrainingSet/P001/cine_sax_label.mat`,
    "label",
  );
  assert.deepEqual(label.dims, [g.nx, g.ny, g.nslices, g.nframes]);
  const z = 1;
  const slab = full.readSlab("kspace_full", [, , , z]);
  const img = zeroFilledRss(slab.data as Float32Array, slab.dims);
  const n = g.nx * g.ny;
  const mean = (t: number, l: number) => {
    let s = 0, c = 0;
    for (let i = 0; i < n; i++) {
      if (label.data[n * (z + g.nslices * t) + i] === l) {
        s += img[n * t + i];
        c++;
      }
    }
    return { mean: s / c, count: c };
  };
  const blood = mean(0, LABEL.LV_BLOOD),
    myo = mean(0, LABEL.MYOCARDIUM),
    lung = mean(0, LABEL.LUNG);
  assert.ok(blood.mean > 1.5 * myo.mean, `blood ${blood.mean} vs myocardium ${myo.mean}`);
  assert.ok(lung.mean < 0.5 * myo.mean, `lung ${lung.mean} vs myocardium ${myo.mean}`);
  // LV blood pool area changes over the cycle (end-systole smaller than end-diastole).
  const areas = Array.from({ length: g.nframes }, (_, t) => mean(t, LABEL.LV_BLOOD).count);
  assert.ok(Math.min(...areas) < 0.8 * Math.max(...areas), `LV areas ${areas}`);
});

Deno.test("synth mapping: csv times, label file with true T1/T2 maps", async () => {
  const dir = `${D}/MultiCoil/Mapping/ValidationSet/AccFactor04/P001`;
  const t1csv = (await Deno.readTextFile(`${dir}/T1map.csv`)).trim().split("\n").map((l) =>
    l.split(",")
  );
  assert.equal(t1csv.length, 1 + 9);
  assert.equal(t1csv[0].length, 1 + G.T1map.nslices);
  const tis = t1csv.slice(1).map((r) => Number(r[1]));
  assert.deepEqual(tis, [...tis].sort((a, b) => a - b));
  assert.ok(tis[0] >= 80 && tis[0] <= 200 && tis[8] > 2000, `TIs ${tis}`);
  const t2csv = (await Deno.readTextFile(`${dir}/T2map.csv`)).trim().split("\n");
  assert.deepEqual(t2csv.slice(1).map((l) => Number(l.split(",")[1])), [0, 35, 55]);
  assert.equal(mappingCsv("T2map", [[0, 35, 55]]), "Weighting,T2prep_ms\nTE1,0\nTE2,35\nTE3,55\n");
  const lab = `${D}/Labels/MultiCoil/Mapping/ValidationSet/P001/T1map_label.mat`;
  using mat = await openMat(lab);
  const label = mat.read("label"), t1 = mat.read("T1"), t2 = mat.read("T2");
  assert.deepEqual(label.dims, [G.T1map.nx, G.T1map.ny, G.T1map.nslices]);
  // Medians: edges blend with blood, and some phantoms carry a lesion (oedema, higher T2).
  const myo = (m: Float32Array | Float64Array) =>
    [...m].filter((_, i) => label.data[i] === LABEL.MYOCARDIUM).sort((a, b) => a - b);
  const m1 = myo(t1.data), m2 = myo(t2.data);
  assert.ok(m1.length > 10);
  const med = (xs: number[]) => xs[Math.floor(xs.length / 2)];
  assert.ok(med(m1) > 1000 && med(m1) < 1400, `myocardial T1 ${med(m1)}`);
  assert.ok(med(m2) > 35 && med(m2) < 55, `myocardial T2 ${med(m2)}`);
});

Deno.test("synth is deterministic for a seed and differs across seeds", async () => {
  const dir = await Deno.makeTempDir();
  await synthesizeKspaceFile(`${dir}/a.mat`, "T2map", "small", 5);
  await synthesizeKspaceFile(`${dir}/b.mat`, "T2map", "small", 5);
  await synthesizeKspaceFile(`${dir}/c.mat`, "T2map", "small", 6);
  const [a, b, c] = await Promise.all(
    ["a", "b", "c"].map((x) => readMatVar(`${dir}/${x}.mat`, "kspace_full")),
  );
  assert.deepEqual(a.data, b.data);
  assert.notDeepEqual(a.data, c.data);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("synth refuses a non-empty output folder and leaves no partial files", async () => {
  await assert.rejects(synthesize({ out: D, patients: 1 }), (e: Error) => {
    assert.ok(e instanceof CmrxError);
    assert.match(e.message, /output folder is not empty/);
    return true;
  });
  const tmp: string[] = [];
  const walk = async (p: string) => {
    for await (const e of Deno.readDir(p)) {
      if (e.isDirectory) await walk(`${p}/${e.name}`);
      else if (e.name.includes(".tmp-")) tmp.push(e.name);
    }
  };
  await walk(D);
  assert.deepEqual(tmp, []);
});

globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(root, { recursive: true });
  } catch { /* already gone */ }
});
