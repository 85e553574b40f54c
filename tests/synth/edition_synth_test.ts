import assert from "node:assert/strict";
import {
  acsFullySampled,
  effectiveAcceleration,
  KT_EDITIONS,
  ktMask,
  type KtPattern,
} from "../../src/kspace/masks_kt.ts";
import { openMat, readMatVar } from "../../src/mat/read.ts";
import { GEOMETRY } from "../../src/synth/dataset.ts";
import { SITES_2025, synthesizeEdition } from "../../src/synth/editions.ts";

const tmp = await Deno.makeTempDir({ prefix: "cmrxkit-edsynth-" });
globalThis.addEventListener("unload", () => Deno.removeSync(tmp, { recursive: true }));
const G = GEOMETRY.small;
const common = { size: "small" as const, patients: 1, coils: 2 };
const D24 = `${tmp}/d24`;
const D25 = `${tmp}/d25`;
await synthesizeEdition({ edition: 2024, out: D24, seed: 5, ...common });
await synthesizeEdition({
  edition: 2025,
  out: D25,
  seed: 5,
  tasks2025: ["TaskR1", "TaskS1"],
  ...common,
});

async function names(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
}

const PATTERN: Record<string, KtPattern> = {
  Uniform: "uniform",
  ktUniform: "ktUniform",
  ktGaussian: "ktGaussian",
  ktRadial: "ktRadial",
};
const FILE_RE = /^(cine_lax|cine_sax|T1map|T2map)_(kus|mask)_([A-Za-z]+?)(\d+)\.mat$/;

/**
 * Checks a mask file: 2-D or 3-D, the ACS block fully sampled, and its effective acceleration
 * that of `ktMask` for the same pattern and R (equal masks for the deterministic patterns).
 */
async function checkMask(path: string, kind: keyof typeof G, acs: number, twoD: boolean) {
  const [, , , pname, r] = FILE_RE.exec(path.split("/").pop()!)!;
  const pattern = PATTERN[pname];
  const g = G[kind];
  const nt = twoD ? 1 : g.nframes;
  const m = await readMatVar(path, "mask");
  assert.deepEqual(m.dims, twoD ? [g.nx, g.ny] : [g.nx, g.ny, g.nframes], path);
  const ref = ktMask({ pattern, nx: g.nx, ny: g.ny, nt, acc: Number(r), acs, seed: 1 });
  const eff = effectiveAcceleration(m.data as ArrayLike<number>, g.nx, g.ny, nt);
  const want = effectiveAcceleration(ref, g.nx, g.ny, nt);
  assert.ok(acsFullySampled(m.data as ArrayLike<number>, pattern, g.nx, g.ny, nt, acs), path);
  if (pattern === "ktGaussian") {
    assert.ok(Math.abs(eff / want - 1) < 0.25, `${path}: ${eff} vs ${want}`);
  } else {
    assert.equal(eff, want, path);
    assert.deepEqual(Array.from(m.data as ArrayLike<number>), Array.from(ref), path);
  }
  return { pattern, acc: Number(r), data: m.data as ArrayLike<number>, nt };
}

Deno.test("synth --edition 2024: the released tree, Task1 2-D Uniform 4/8/10, Task2 3-D kt masks", async () => {
  const cine = `${D24}/MultiCoil/Cine`;
  assert.deepEqual(await names(D24), ["GroundTruth", "MultiCoil"]);
  assert.deepEqual(await names(`${cine}/TrainingSet`), ["FullSample", "Mask_Task1", "Mask_Task2"]);
  assert.deepEqual(await names(`${cine}/ValidationSet`), [
    "Mask_Task1",
    "Mask_Task2",
    "UnderSample_Task1",
    "UnderSample_Task2",
  ]);
  assert.deepEqual(
    await names(`${D24}/GroundTruth/MultiCoil/Mapping/ValidationSet/FullSample/P001`),
    [
      "T1map.mat",
      "T2map.mat",
    ],
  );
  assert.deepEqual(await names(`${cine}/ValidationSet/UnderSample_Task1/P001`), [
    "cine_lax_kus_Uniform10.mat",
    "cine_lax_kus_Uniform4.mat",
    "cine_lax_kus_Uniform8.mat",
    "cine_sax_kus_Uniform10.mat",
    "cine_sax_kus_Uniform4.mat",
    "cine_sax_kus_Uniform8.mat",
  ]);
  // Task 2: one R per pattern and file, from the edition's list.
  const t2 = await names(`${D24}/MultiCoil/Mapping/ValidationSet/UnderSample_Task2/P001`);
  assert.equal(t2.length, 6);
  for (const stem of ["T1map", "T2map"]) {
    const mine = t2.filter((f) => f.startsWith(`${stem}_`)).map((f) => FILE_RE.exec(f)!);
    assert.deepEqual(mine.map((m) => m[3]).sort(), ["ktGaussian", "ktRadial", "ktUniform"]);
    for (const m of mine) {
      assert.ok(KT_EDITIONS[2024].task2.accelerations.includes(Number(m[4]) as never));
    }
  }
  // Training masks: every R of each task, masks only.
  const m1 = await names(`${cine}/TrainingSet/Mask_Task1/P001`);
  const m2 = await names(`${cine}/TrainingSet/Mask_Task2/P001`);
  assert.equal(m1.length, 2 * 3);
  assert.equal(m2.length, 2 * 3 * 6);
  for (const f of m1) {
    await checkMask(
      `${cine}/TrainingSet/Mask_Task1/P001/${f}`,
      f.startsWith("cine_sax") ? "cine_sax" : "cine_lax",
      16,
      true,
    );
  }
  for (const f of m2.filter((f) => f.startsWith("cine_sax"))) {
    await checkMask(`${cine}/TrainingSet/Mask_Task2/P001/${f}`, "cine_sax", 16, false);
  }
});

Deno.test("synth --edition 2024: variables and dims, kus = kspace_full .* mask per frame", async () => {
  const g = G.T1map;
  const val = `${D24}/MultiCoil/Mapping/ValidationSet`;
  using full = await openMat(
    `${D24}/GroundTruth/MultiCoil/Mapping/ValidationSet/FullSample/P001/T1map.mat`,
  );
  assert.deepEqual(full.info("kspace_full"), {
    name: "kspace_full",
    dims: [g.nx, g.ny, 2, g.nslices, g.nframes],
    matClass: "single",
    complex: true,
  });
  const kus = (await names(`${val}/UnderSample_Task2/P001`)).filter((f) => f.startsWith("T1map"));
  const task1 = (await names(`${val}/UnderSample_Task1/P001`)).filter((f) => f.startsWith("T1map"));
  for (const [task, files] of [["Task1", task1], ["Task2", kus]] as const) {
    for (const f of files) {
      const maskFile = f.replace("_kus_", "_mask_");
      const mask = await checkMask(
        `${val}/Mask_${task}/P001/${maskFile}`,
        "T1map",
        16,
        task === "Task1",
      );
      using sub = await openMat(`${val}/UnderSample_${task}/P001/${f}`);
      assert.deepEqual(sub.info("kus")!.dims, [g.nx, g.ny, 2, g.nslices, g.nframes]);
      const z = g.nslices - 1;
      const a = full.readSlab("kspace_full", [, , , z]);
      const b = sub.readSlab("kus", [, , , z]);
      const n = g.nx * g.ny;
      for (let i = 0; i < a.data.length / 2; i++) {
        const p = i % n;
        const t = Math.floor(i / (n * 2)); // (x, y, coil 2, 1 slice, frame)
        const keep = mask.data[mask.nt === 1 ? p : p + n * t] !== 0;
        assert.equal(b.data[2 * i], keep ? a.data[2 * i] : 0);
        assert.equal(b.data[2 * i + 1], keep ? a.data[2 * i + 1] : 0);
      }
    }
  }
});

Deno.test("synth --edition 2025: tasks, centre/vendor levels, kspace, info.csv, 3-D masks", async () => {
  assert.deepEqual(await names(D25), ["GroundTruth", "MultiCoil", "TaskR1", "TaskS1"]);
  const site = `${SITES_2025[0].center}/${SITES_2025[0].vendor}/P001`;
  const train = `${D25}/MultiCoil/Cine/TrainingSet`;
  assert.deepEqual(await names(train), ["FullSample", "Mask_TaskAll"]);
  assert.deepEqual(await names(`${train}/FullSample/${site}`), [
    "cine_lax.mat",
    "cine_lax_info.csv",
    "cine_sax.mat",
    "cine_sax_info.csv",
  ]);
  const g = G.cine_sax;
  using full = await openMat(`${train}/FullSample/${site}/cine_sax.mat`);
  assert.deepEqual(full.info("kspace")!.dims, [g.nx, g.ny, 2, g.nslices, g.nframes]);
  assert.equal(
    await Deno.readTextFile(`${train}/FullSample/${site}/cine_sax_info.csv`),
    `name,center,vendor,nx,ny,ncoil,nslice,nframe\ncine_sax,${SITES_2025[0].center},${
      SITES_2025[0].vendor
    },${g.nx},${g.ny},2,${g.nslices},${g.nframes}\n`,
  );
  const masks = await names(`${train}/Mask_TaskAll/${site}`);
  assert.equal(masks.length, 2 * 3 * 3);
  for (const f of masks.filter((f) => f.startsWith("cine_sax"))) {
    await checkMask(`${train}/Mask_TaskAll/${site}/${f}`, "cine_sax", 20, false);
  }
  for (const task of ["TaskR1", "TaskS1"]) {
    const val = `${D25}/${task}/MultiCoil/Mapping/ValidationSet`;
    assert.deepEqual(await names(val), [`Mask_${task}`, `UnderSample_${task}`]);
    const files = await names(`${val}/UnderSample_${task}/${site}`);
    assert.deepEqual(files.filter((f) => f.endsWith(".csv")), ["T1map_info.csv", "T2map_info.csv"]);
    const kus = files.filter((f) => f.endsWith(".mat"));
    // one pattern and one R per file (2025's scorer expects one file per ground-truth file)
    assert.deepEqual(kus.map((f) => FILE_RE.exec(f)![1]), ["T1map", "T2map"]);
    for (const f of kus) {
      assert.ok(["Uniform", "ktGaussian", "ktRadial"].includes(FILE_RE.exec(f)![3]), f);
    }
    for (const f of kus) {
      const kind = f.startsWith("T1map") ? "T1map" : "T2map";
      assert.ok(KT_EDITIONS[2025].all.accelerations.includes(Number(FILE_RE.exec(f)![4]) as never));
      await checkMask(
        `${val}/Mask_${task}/${site}/${f.replace("_kus_", "_mask_")}`,
        kind,
        20,
        false,
      );
      using sub = await openMat(`${val}/UnderSample_${task}/${site}/${f}`);
      assert.deepEqual(sub.info("kus")!.dims, [
        G[kind].nx,
        G[kind].ny,
        2,
        G[kind].nslices,
        G[kind].nframes,
      ]);
    }
    const gt = `${D25}/GroundTruth/${task}/MultiCoil/Mapping/ValidationSet/FullSample/${site}`;
    assert.deepEqual(await names(gt), [
      "T1map.mat",
      "T1map_info.csv",
      "T2map.mat",
      "T2map_info.csv",
    ]);
  }
});

Deno.test("synth --edition: the same seed gives the same bytes, another seed other masks", async () => {
  const opts = { ...common, tasks: ["cine" as const], splits: ["validation" as const] };
  await synthesizeEdition({ edition: 2024, out: `${tmp}/a`, seed: 5, ...opts });
  await synthesizeEdition({ edition: 2024, out: `${tmp}/b`, seed: 6, ...opts });
  const val = "MultiCoil/Cine/ValidationSet";
  const files = (await names(`${tmp}/a/${val}/UnderSample_Task2/P001`)).filter((f) =>
    f.includes("ktGaussian")
  );
  assert.equal(files.length, 2);
  for (const f of files) {
    for (
      const [dir, g] of [["UnderSample_Task2", f], ["Mask_Task2", f.replace("_kus_", "_mask_")]]
    ) {
      const a = await Deno.readFile(`${tmp}/a/${val}/${dir}/P001/${g}`);
      const b = await Deno.readFile(`${D24}/${val}/${dir}/P001/${g}`);
      assert.deepEqual(a, b, `${dir}/${g}`);
    }
  }
  const m = (d: string) =>
    readMatVar(`${tmp}/${d}/${val}/Mask_Task1/P001/cine_sax_mask_Uniform4.mat`, "mask");
  assert.deepEqual((await m("a")).data, (await m("b")).data); // Uniform: no randomness
  const g5 = await names(`${tmp}/a/${val}/Mask_Task2/P001`);
  const g6 = await names(`${tmp}/b/${val}/Mask_Task2/P001`);
  const gauss5 = g5.find((f) => f.startsWith("cine_sax_mask_ktGaussian"))!;
  const gauss6 = g6.find((f) => f.startsWith("cine_sax_mask_ktGaussian"))!;
  if (gauss5 === gauss6) {
    const a = await readMatVar(`${tmp}/a/${val}/Mask_Task2/P001/${gauss5}`, "mask");
    const b = await readMatVar(`${tmp}/b/${val}/Mask_Task2/P001/${gauss6}`, "mask");
    assert.notDeepEqual(a.data, b.data);
  }
});
