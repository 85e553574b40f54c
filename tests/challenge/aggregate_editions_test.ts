import assert from "node:assert/strict";
import {
  aggregate2024,
  aggregate2025,
  ExtraFileError,
  type File2024,
  file2024FromPath,
  type File2025,
  type GroupTable,
  parseGroupTable,
  type Place2025,
  place2025FromPath,
  readGroupTable,
  roundNumpy4,
} from "../../src/challenge/aggregate_editions.ts";
import { round4 } from "../../src/challenge/aggregate.ts";
import { EDITION_2023, EDITION_2024, EDITION_2025 } from "../../src/challenge/editions/mod.ts";
import { CmrxError } from "../../src/errors.ts";

// Hand-built per-file metrics; every expected number is worked out by hand from the official
// scorers' rules (evaluation-2024/Val_Score2024.py, Test_Score2024.py,
// evaluation-2025/Val_Score2025.py), not by the code under test.

const close = (a: unknown, b: number, msg?: string) => {
  assert.equal(typeof a, "number", msg);
  assert.ok(Math.abs((a as number) - b) < 1e-9, `${msg ?? ""} ${a} != ${b}`);
};

Deno.test("editions: each edition names its leaderboard aggregation", () => {
  assert.equal(EDITION_2023.aggregation, "2023");
  assert.equal(EDITION_2024.aggregation, "2024");
  assert.equal(EDITION_2025.aggregation, "2025");
});

Deno.test("roundNumpy4: numpy's half-to-even rounding, not 2023's half-up", () => {
  // 0.03125 * 1e4 = 312.5 exactly: numpy rints to 312 (even); half-up gives 313.
  assert.equal(roundNumpy4(0.03125), 0.0312);
  assert.equal(round4(0.03125), 0.0313);
  assert.equal(roundNumpy4(0.09375), 0.0938); // 937.5 -> 938 (even)
  assert.equal(roundNumpy4(-0.03125), -0.0312);
  assert.equal(roundNumpy4(28.123456), 28.1235);
  assert.ok(Number.isNaN(roundNumpy4(NaN)));
  assert.equal(roundNumpy4(Infinity), Infinity);
});

// --- 2024 -------------------------------------------------------------------------------

const f24 = (
  stem: string,
  mask: string,
  status: File2024["status"],
  ssim = NaN,
  psnr = NaN,
  nmse = NaN,
): File2024 => ({ file: `${stem}_kus_${mask}.mat`, stem, mask, status, ssim, psnr, nmse });

Deno.test("2024: groups per (modality, pattern) with every R pooled; adjusted = sum / expected", () => {
  const r = aggregate2024([
    f24("cine_sax", "ktGaussian8", "scored", 0.8, 30, 0.02),
    f24("cine_lax", "ktGaussian16", "scored", 0.6, 26, 0.04),
    f24("cine_lvot", "ktGaussian24", "missing"),
    f24("T1map", "ktRadial4", "scored", 0.9, 35, 0.01),
    f24("T2map", "ktRadial12", "unscorable"),
  ], 2);
  const k = r.keys;
  assert.equal(k.submission_status, "SCORED");
  assert.equal(k.Num_Files, "3/5");
  // Cine ktGaussian: R 8, 16, 24 in one group (2023 would keep one group per R).
  assert.equal(k.num_file_Cine_ktGaussian, "2/3");
  close(k.Cine_ktGaussian_SSIM, 0.7);
  close(k.Cine_ktGaussian_PSNR, 28);
  close(k.Cine_ktGaussian_NMSE, 0.03);
  const cine = r.groups.find((g) => g.modality === "Cine" && g.mask === "ktGaussian")!;
  close(cine.adjusted.ssim, 0.4667); // 1.4 / 3
  close(cine.adjusted.psnr, 18.6667); // 56 / 3
  close(cine.adjusted.nmse, 0.02); // 0.06 / 3
  // Mapping ktRadial: the wrong-shape T2map counts as expected, not as scored.
  assert.equal(k.num_file_Mapping_ktRadial, "1/2");
  close(k.Mapping_ktRadial_SSIM, 0.9);
  // Groups without files are null and left out of All_*.
  assert.equal(k.Tagging_ktUniform_SSIM, null);
  assert.equal(k.num_file_Tagging_ktUniform, "0/0");
  close(k.All_SSIM, 0.8); // (0.7 + 0.9) / 2
  close(k.All_PSNR, 31.5); // (28 + 35) / 2
  close(k["All_adj.SSIM"], 0.4584); // (0.4667 + 0.45) / 2 = 0.45835 -> 0.4584
  close(k["All_adj.PSNR"], 18.0834); // (18.6667 + 17.5) / 2 = 18.08335
  close(k["All_adj.NMSE"], 0.0125); // (0.02 + 0.005) / 2
});

Deno.test("2024: the result keys and their order, task 2 and task 1", () => {
  for (const task of [1, 2] as const) {
    const modalities = task === 1
      ? ["Tagging", "Mapping", "Cine", "Aorta", "BlackBlood", "Flow2d"]
      : ["Tagging", "Mapping", "Cine", "Aorta"];
    const masks = task === 1
      ? ["Uniform4", "Uniform8", "Uniform10"]
      : ["ktUniform", "ktGaussian", "ktRadial"];
    const want = ["submission_status", "Num_Files"];
    for (const m of modalities) {
      for (const p of masks) {
        want.push(`num_file_${m}_${p}`, `${m}_${p}_PSNR`, `${m}_${p}_SSIM`, `${m}_${p}_NMSE`);
      }
    }
    want.push("All_PSNR", "All_SSIM", "All_NMSE", "All_adj.PSNR", "All_adj.SSIM", "All_adj.NMSE");
    assert.deepEqual(Object.keys(aggregate2024([], task).keys), want);
  }
});

Deno.test("2024: task 1 groups per R; modality membership by the scorer's stem rule", () => {
  const r = aggregate2024([
    f24("cine_lvot", "Uniform4", "scored", 0.9, 30, 0.01),
    f24("cine_sax", "Uniform10", "scored", 0.5, 20, 0.05),
    f24("tagging", "Uniform4", "scored", 0.7, 25, 0.03),
    f24("flow2d", "Uniform8", "scored", 0.6, 24, 0.04),
    f24("aorta_tra", "Uniform8", "scored", 0.4, 22, 0.06),
  ], 1);
  close(r.keys.Cine_Uniform4_SSIM, 0.9);
  close(r.keys.Cine_Uniform10_SSIM, 0.5);
  assert.equal(r.keys.Cine_Uniform8_SSIM, null);
  close(r.keys.Tagging_Uniform4_SSIM, 0.7);
  close(r.keys.Flow2d_Uniform8_SSIM, 0.6);
  close(r.keys.Aorta_Uniform8_SSIM, 0.4);
  close(r.keys.All_SSIM, 0.62); // five groups: (0.9 + 0.5 + 0.7 + 0.6 + 0.4) / 5
});

Deno.test("2024: All_* averages the rounded group values", () => {
  // Group SSIMs 0.00006, 0.00006, 0: rounded 0.0001, 0.0001, 0 -> mean 0.0000667 -> 0.0001
  // (the mean of the unrounded values, 0.00004, would round to 0).
  const r = aggregate2024([
    f24("cine_sax", "ktGaussian8", "scored", 0.00006, 30, 0.02),
    f24("T1map", "ktGaussian8", "scored", 0.00006, 30, 0.02),
    f24("tagging", "ktGaussian8", "scored", 0, 30, 0.02),
  ], 2);
  close(r.keys.All_SSIM, 0.0001);
});

Deno.test("2024: a scored file with a NaN metric: out of the mean, 0 in the adjusted sum", () => {
  const r = aggregate2024([
    f24("cine_sax", "ktUniform8", "scored", 0.8, 30, 0.02),
    f24("cine_lax", "ktUniform4", "scored", 0.6, NaN, 0.04),
  ], 2);
  assert.equal(r.keys.num_file_Cine_ktUniform, "2/2");
  close(r.keys.Cine_ktUniform_PSNR, 30); // NaN skipped
  close(r.keys.Cine_ktUniform_SSIM, 0.7);
  close(r.keys["All_adj.PSNR"], 15); // (30 + 0) / 2
});

Deno.test("2024: a group with nothing scored: adjusted 0 in validation, NaN in test", () => {
  const files = [
    f24("cine_sax", "ktGaussian8", "scored", 0.8, 30, 0.02),
    f24("cine_sax", "ktRadial8", "missing"),
    f24("cine_lax", "ktRadial12", "unscorable"),
  ];
  const val = aggregate2024(files, 2, "validation");
  close(val.keys.All_SSIM, 0.8); // the empty group's mean is NaN either way
  close(val.keys["All_adj.SSIM"], 0.4); // (0.8 + 0) / 2: missing files cost the score
  close(val.keys["All_adj.PSNR"], 15);
  const test = aggregate2024(files, 2, "test");
  close(test.keys.All_SSIM, 0.8);
  close(test.keys["All_adj.SSIM"], 0.8); // NaN group left out
  assert.equal(test.keys.num_file_Cine_ktRadial, "0/2");
});

// --- 2025 -------------------------------------------------------------------------------

const place = (centre: string, vendor: string, patient: string, stem: string): Place2025 => ({
  modality: stem.startsWith("cine") ? "Cine" : "Mapping",
  centre,
  vendor,
  patient,
  stem,
});
const sub25 = (
  p: Place2025,
  status: File2025["status"],
  ssim = NaN,
  psnr = NaN,
  nmse = NaN,
): File2025 => ({
  ...p,
  file: `${p.modality}/${p.centre}/${p.vendor}/${p.patient}/${p.stem}_kus_ktRadial8.mat`,
  status,
  ssim,
  psnr,
  nmse,
});

const A1 = place("Center001", "VendorA", "P001", "cine_sax");
const A2 = place("Center001", "VendorA", "P001", "T1map");
const A3 = place("Center001", "VendorA", "P002", "cine_sax");
const B1 = place("Center002", "VendorB", "P010", "cine_sax");
const B2 = place("Center002", "VendorB", "P011", "cine_sax");
const C1 = place("Center003", "VendorC", "P020", "cine_sax");
const EXPECTED = [A1, A2, A3, B1, B2, C1];
const TABLE: GroupTable = {
  file: "cases.csv",
  rows: [
    ["Center001", "VendorA", "P001"],
    ["Center001", "VendorA", "P002"],
    ["Center002", "VendorB", "P010"],
    ["Center002", "VendorB", "P011"],
    ["Center003", "VendorC", "P020"],
  ].map(([center, manufacturer, patient]) => ({ center, manufacturer, patient, diseases: [] })),
};

Deno.test("2025 TaskR1: per centre and vendor, sum / expected, NMSE adjusted, keys", () => {
  const r = aggregate2025(
    [
      sub25(A1, "scored", 0.8, 30, 0.02),
      sub25(A2, "scored", 0.6, 20, 0.04),
      sub25(A3, "missing"),
      sub25(B1, "scored", 0.9, 40, 0.01),
      sub25(B2, "unscorable"),
    ],
    EXPECTED,
    "TaskR1",
    TABLE,
  );
  assert.deepEqual(Object.keys(r.keys), [
    "submission_status",
    "Num_Files",
    "Center001_VendorA_Num",
    "Center001_VendorA_PSNR_adj",
    "Center001_VendorA_SSIM_adj",
    "Center001_VendorA_NMSE_adj",
    "Center002_VendorB_Num",
    "Center002_VendorB_PSNR_adj",
    "Center002_VendorB_SSIM_adj",
    "Center002_VendorB_NMSE_adj",
    "Mean_of_all_centers_PSNR_adj",
    "Mean_of_all_centers_SSIM_adj",
    "Mean_of_all_centers_NMSE_adj",
  ]);
  assert.equal(r.keys.Num_Files, "3/6");
  assert.equal(r.keys.Center001_VendorA_Num, "2/3");
  close(r.keys.Center001_VendorA_PSNR_adj, 16.6667); // 50 / 3
  close(r.keys.Center001_VendorA_SSIM_adj, 0.4667); // 1.4 / 3
  close(r.keys.Center001_VendorA_NMSE_adj, 0.04); // mean 0.03 * (2 - 2/3)
  assert.equal(r.keys.Center002_VendorB_Num, "1/2"); // the wrong-shape file is not counted
  close(r.keys.Center002_VendorB_PSNR_adj, 20); // 40 / 2
  close(r.keys.Center002_VendorB_SSIM_adj, 0.45);
  close(r.keys.Center002_VendorB_NMSE_adj, 0.015); // 0.01 * (2 - 1/2)
  // Center003 has no scored file: no keys, and not in the mean (not counted as 0).
  close(r.keys.Mean_of_all_centers_PSNR_adj, 18.3333); // (50/3 + 20) / 2
  close(r.keys.Mean_of_all_centers_SSIM_adj, 0.4583); // (1.4/3 + 0.45) / 2 = 0.458333
  close(r.keys.Mean_of_all_centers_NMSE_adj, 0.0275); // (0.04 + 0.015) / 2
  assert.deepEqual(r.unmatched, []);
});

Deno.test("2025: Mean_of_all_* averages the unrounded group values", () => {
  // Group SSIM_adj 0.00006, 0.00006, 0 (one expected file each): their unrounded mean
  // 0.00004 rounds to 0 (the rounded values would give 0.0001).
  const r = aggregate2025(
    [
      sub25(A1, "scored", 0.00006, 30, 0.02),
      sub25(B1, "scored", 0.00006, 30, 0.02),
      sub25(C1, "scored", 0, 30, 0.02),
    ],
    [A1, B1, C1],
    "TaskR1",
    TABLE,
  );
  close(r.keys.Center001_VendorA_SSIM_adj, 0.0001);
  close(r.keys.Mean_of_all_centers_SSIM_adj, 0);
});

Deno.test("2025: a NaN metric of a scored file adds 0 to the sum and leaves the NMSE mean", () => {
  const r = aggregate2025(
    [
      sub25(A1, "scored", 0.8, NaN, 0.02),
      sub25(A2, "scored", 0.6, 20, NaN),
    ],
    [A1, A2],
    "TaskR1",
    TABLE,
  );
  close(r.keys.Center001_VendorA_PSNR_adj, 10); // (0 + 20) / 2
  close(r.keys.Center001_VendorA_NMSE_adj, 0.02); // mean(0.02) * (2 - 2/2)
});

Deno.test("2025: an extra file stops the scoring, named, with the fix", () => {
  const extra = place("Center001", "VendorA", "P099", "cine_sax");
  assert.throws(
    () =>
      aggregate2025(
        [sub25(A1, "scored", 0.8, 30, 0.02), sub25(extra, "scored", 0.8, 30, 0.02)],
        EXPECTED,
        "TaskR1",
        TABLE,
      ),
    (e: unknown) => {
      assert.ok(e instanceof ExtraFileError && e instanceof CmrxError);
      assert.match(e.message, /P099\/cine_sax_kus_ktRadial8\.mat: has no ground truth/);
      assert.match(e.message, /Extra file submitted/);
      assert.match(e.message, /fix: remove it/);
      return true;
    },
  );
});

Deno.test("2025 TaskR1: a case missing from the table goes to Unknown_Unknown, unreported", () => {
  const table: GroupTable = { file: "t.csv", rows: TABLE.rows.slice(1) }; // P001 left out
  const r = aggregate2025(
    [
      sub25(A1, "scored", 0.8, 30, 0.02),
      sub25(A3, "scored", 0.6, 20, 0.04),
    ],
    EXPECTED,
    "TaskR1",
    table,
  );
  assert.deepEqual(r.unmatched, [sub25(A1, "scored").file]);
  assert.equal(r.keys.Center001_VendorA_Num, "1/3"); // ground truth still counted by folder
  close(r.keys.Center001_VendorA_SSIM_adj, 0.2); // 0.6 / 3
  assert.equal(r.keys.Unknown_Unknown_Num, "1/0");
  assert.equal("Unknown_Unknown_SSIM_adj" in r.keys, false);
  close(r.keys.Mean_of_all_centers_SSIM_adj, 0.2);
});

Deno.test("2025 TaskR2: per disease, a case in each of its diseases", () => {
  const p1 = place("Center001", "VendorA", "P001", "cine_sax");
  const p1b = place("Center001", "VendorA", "P001", "T1map");
  const p2 = place("Center001", "VendorA", "P002", "cine_sax");
  const p3 = place("Center001", "VendorA", "P003", "cine_sax"); // in no row: in no group
  const table = parseGroupTable(
    "Center,Manufacturer,AnonPatientID,Disease1,Disease2,Disease3,Disease4\n" +
      'Center001,VendorA,P001,HCM," Heart failure, acute ",,\n' +
      "Center001,VendorA,P002,HCM,,,\n",
    "cases.csv",
    "TaskR2",
  );
  const r = aggregate2025(
    [
      sub25(p1, "scored", 0.8, 30, 0.02),
      sub25(p1b, "scored", 0.6, 20, 0.04),
      sub25(p2, "scored", 0.7, 25, 0.03),
    ],
    [p1, p1b, p2, p3],
    "TaskR2",
    table,
  );
  assert.deepEqual(Object.keys(r.keys), [
    "submission_status",
    "Num_Files",
    "HCM_Num",
    "HCM_PSNR_adj",
    "HCM_SSIM_adj",
    "HCM_NMSE_adj",
    "Heart_failure_acute_Num",
    "Heart_failure_acute_PSNR_adj",
    "Heart_failure_acute_SSIM_adj",
    "Heart_failure_acute_NMSE_adj",
    "Mean_of_all_diseases_PSNR_adj",
    "Mean_of_all_diseases_SSIM_adj",
    "Mean_of_all_diseases_NMSE_adj",
  ]);
  assert.equal(r.keys.Num_Files, "3/4");
  assert.equal(r.keys.HCM_Num, "3/3");
  close(r.keys.HCM_SSIM_adj, 0.7); // 2.1 / 3
  close(r.keys.HCM_NMSE_adj, 0.03); // mean 0.03 * (2 - 1)
  assert.equal(r.keys.Heart_failure_acute_Num, "2/2");
  close(r.keys.Heart_failure_acute_SSIM_adj, 0.7); // 1.4 / 2
  close(r.keys.Heart_failure_acute_PSNR_adj, 25);
  close(r.keys.Mean_of_all_diseases_PSNR_adj, 25);
});

Deno.test("2025: the case table csv: columns, Task filter, quoting, and its errors", async () => {
  const t = parseGroupTable(
    "\uFEFFTask,Center,Manufacturer,AnonPatientID\r\nTaskR1,Center001,VendorA,P001\r\n" +
      "TaskR2,Center009,VendorZ,P999\r\n",
    "all.csv",
    "TaskR1",
  );
  assert.deepEqual(t.rows, [{
    center: "Center001",
    manufacturer: "VendorA",
    patient: "P001",
    diseases: [],
  }]);
  const bad = (text: string, task: "TaskR1" | "TaskR2", re: RegExp) =>
    assert.throws(() => parseGroupTable(text, "cases.csv", task), (e: unknown) => {
      assert.ok(e instanceof CmrxError);
      assert.match(e.message, /^cases\.csv: /);
      assert.match(e.message, re);
      assert.match(e.message, /fix: export the task's sheet/);
      return true;
    });
  bad("Center,AnonPatientID\nC,P\n", "TaskR1", /lacks the column Manufacturer that TaskR1 needs/);
  bad("Center,Manufacturer,AnonPatientID\nC,V,P\n", "TaskR2", /lacks the column Disease1/);
  bad("Center,Manufacturer,AnonPatientID\nC,V,P,extra\n", "TaskR1", /line 2 has 4 cells/);
  bad("Center,Manufacturer,AnonPatientID\nC,,P\n", "TaskR1", /line 2: the Manufacturer cell/);
  bad("Task,Center,Manufacturer,AnonPatientID\nTaskR2,C,V,P\n", "TaskR1", /no row has Task TaskR1/);
  bad("", "TaskR1", /empty/);
  const dir = await Deno.makeTempDir({ prefix: "cmrx_agg25_" });
  try {
    await Deno.writeTextFile(`${dir}/cases.csv`, "Center,Manufacturer,AnonPatientID\nC,V,P\n");
    assert.equal((await readGroupTable(`${dir}/cases.csv`, "TaskR1")).rows.length, 1);
    await assert.rejects(readGroupTable(`${dir}/none.csv`, "TaskR1"), (e: unknown) => {
      assert.ok(e instanceof CmrxError);
      assert.match(e.message, /none\.csv: cannot read the case table/);
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("paths: 2024 stem and mask; 2025 place as the scorer reads it", () => {
  assert.deepEqual(
    file2024FromPath("Cine/ValidationSet/Task2/P001/cine_lax_kus_ktGaussian16.mat"),
    { stem: "cine_lax", mask: "ktGaussian16" },
  );
  assert.equal(file2024FromPath("Cine/ValidationSet/Task2/P001/cine_lax.mat"), null);
  const sub = "TaskR1/MultiCoil/Cine/ValidationSet/UnderSample_TaskR1/Center001/" +
    "Siemens_30T_Vida/P003/cine_lax_4ch_kus_ktRadial16.mat";
  assert.deepEqual(place2025FromPath(sub, true), {
    modality: "Cine",
    centre: "Center001",
    vendor: "Siemens_30T_Vida",
    patient: "P003",
    stem: "cine_lax_4ch",
  });
  const gt = "TaskR1/MultiCoil/Cine/ValidationSet/FullSample_TaskR1/Center001/" +
    "Siemens_30T_Vida/P003/cine_lax_4ch.mat";
  assert.deepEqual(place2025FromPath(gt, false), place2025FromPath(sub, true));
  // The scorer's glob is `*kus_*.mat`: other submitted names are not read.
  assert.equal(place2025FromPath(sub.replace("_kus_ktRadial16", ""), true), null);
  assert.equal(place2025FromPath("Center001/V/P001/cine_sax.mat", false), null);
  // The official TaskR2 quirk: one Mapping vendor folder is renamed before scoring.
  const quirk = "TaskR2/MultiCoil/Mapping/ValidationSet/UnderSample_TaskR2/Center004/" +
    "UIH_30T_umr780/P001/T1map_kus_Uniform8.mat";
  assert.equal(place2025FromPath(quirk, true)?.vendor, "UIH_15T_umr680");
  assert.equal(
    place2025FromPath(quirk.replaceAll("TaskR2", "TaskR1"), true)?.vendor,
    "UIH_30T_umr780",
  );
});

Deno.test("2025: files outside the scorer's modality folders are neither scored nor extra", () => {
  const tag = { ...place("Center001", "VendorA", "P001", "tagging"), modality: "Tagging" };
  const r = aggregate2025(
    [sub25(A1, "scored", 0.8, 30, 0.02), sub25(tag, "scored", 0.1, 10, 0.5)],
    [A1, tag],
    "TaskR1",
    TABLE,
  );
  assert.equal(r.keys.Num_Files, "1/1");
  close(r.keys.Center001_VendorA_SSIM_adj, 0.8);
  // Not even an extra file when the truth lacks it.
  assert.equal(
    aggregate2025([sub25(tag, "scored", 0.1, 10, 0.5)], [A1], "TaskR1", TABLE).keys.Num_Files,
    "0/1",
  );
});
