import assert from "node:assert/strict";
import {
  DEFAULT_YEAR,
  EDITION_2023,
  EDITION_2024,
  EDITION_2025,
  editionFor,
  editionOf,
  EDITIONS,
  YEARS,
} from "../../src/challenge/editions/mod.ts";
import { TREE_2023 } from "../../src/challenge/discovery/tree2023.ts";
import { TREE_2024 } from "../../src/challenge/discovery/tree2024.ts";
import { treeFor } from "../../src/challenge/discovery/mod.ts";
import type { Year } from "../../src/challenge/edition.ts";
import { UsageError } from "../../src/errors.ts";

// The edition seam: each edition answers the rules of its year (docs/challenge-rules.md).

const GiB = 1024 ** 3;

Deno.test("editions: one per year, oldest first, 2023 the default", () => {
  assert.deepEqual(YEARS, [2023, 2024, 2025]);
  assert.deepEqual(EDITIONS.map((e) => e.year), [2023, 2024, 2025]);
  assert.equal(DEFAULT_YEAR, 2023);
  for (const y of YEARS) assert.equal(editionOf(y).year, y);
  assert.throws(() => editionOf(2026 as Year), (e: unknown) => {
    assert.ok(e instanceof UsageError);
    assert.match(e.message, /no CMRxRecon edition 2026/);
    assert.match(e.message, /2023, 2024, 2025/);
    return true;
  });
});

Deno.test("editions: the limits of each edition's evaluation", () => {
  assert.equal(EDITION_2023.limits.gpuMemoryBytes, 24 * GiB);
  assert.equal(EDITION_2023.limits.secondsPerTask, 4 * 3600);
  assert.equal(EDITION_2024.limits.gpuMemoryBytes, 32 * GiB);
  assert.equal(EDITION_2024.limits.secondsPerTask, 12 * 3600);
  assert.match(EDITION_2024.limits.source, /4 hours/); // the conflicting FAQ is named
  assert.equal(EDITION_2025.limits.gpuMemoryBytes, 48 * GiB);
  assert.equal(EDITION_2025.limits.secondsPerTask, 40 * 3600);
});

Deno.test("editions: names, views and what each split submits", () => {
  const e = EDITION_2023;
  assert.equal(e.kspaceVariable("MultiCoil", 4), "kspace_sub04");
  assert.equal(e.kspaceVariable("MultiCoil", null), "kspace_full");
  assert.equal(e.kspaceVariable("SingleCoil", 10), "kspace_single_sub10");
  assert.equal(e.maskVariable(8), "mask08");
  assert.equal(EDITION_2024.kspaceVariable("MultiCoil", 4), "kus");
  assert.equal(EDITION_2024.maskVariable(4), "mask");
  assert.equal(EDITION_2025.kspaceVariable("MultiCoil", null), "kspace");
  assert.deepEqual(e.views("cine"), ["lax", "sax"]);
  assert.deepEqual(e.views("mapping"), ["T1", "T2"]);
  assert.deepEqual(e.views("both"), ["lax", "sax", "T1", "T2"]);
  assert.equal(e.viewOf("cine_sax"), "sax");
  assert.equal(e.viewOf("T2map"), "T2");
  assert.equal(EDITION_2024.viewOf("aorta_sag"), "aorta_sag");
  for (const ed of EDITIONS) {
    assert.equal(ed.reduces("validation"), true, `${ed.year} validation is reduced`);
    assert.equal(ed.reduces("test"), false, `${ed.year} test is full size`);
  }
});

Deno.test("editions: metric normalisation and argument order", () => {
  assert.deepEqual(EDITION_2023.metrics, { normalisation: "max", swapsArgumentsFor4d: false });
  assert.deepEqual(EDITION_2024.metrics, { normalisation: "zscore", swapsArgumentsFor4d: true });
  assert.deepEqual(EDITION_2025.metrics, {
    normalisation: "percentile",
    swapsArgumentsFor4d: true,
  });
});

Deno.test("editions: frame rules of the reduction", () => {
  assert.equal(EDITION_2023.frameRule("cine_sax", false), "first3");
  assert.equal(EDITION_2023.frameRule("T1map", true), "all");
  assert.equal(EDITION_2024.frameRule("blackblood_sag", false), "single");
  assert.equal(EDITION_2024.frameRule("T2map", false), "all");
  assert.equal(EDITION_2025.frameRule("T1w_sax", false), "single");
  assert.equal(EDITION_2025.frameRule("T1rho", false), "all");
  assert.equal(EDITION_2025.frameRule("cine_lvot", false), "first3");
});

Deno.test("editions: every edition submits, validates and scores (issue 22); an unknown year is refused", () => {
  assert.equal(editionFor(2023, "submit"), EDITION_2023);
  assert.equal(editionFor(2024, "score"), EDITION_2024);
  assert.equal(editionFor(2024, "submit"), EDITION_2024);
  assert.equal(editionFor(2025, "submit"), EDITION_2025);
  assert.equal(editionFor(2025, "validate"), EDITION_2025);
  assert.throws(() => editionFor(2026 as Year, "submit"), (e: unknown) => {
    assert.ok(e instanceof UsageError);
    assert.match(e.message, /no CMRxRecon edition 2026/);
    return true;
  });
});

Deno.test("editions: each edition's test set for the time budget (2024, 2025: assumptions named)", () => {
  const t = EDITION_2023.testSet!;
  assert.deepEqual(t.accs, [4, 8, 10]);
  assert.deepEqual(t.files, { lax: 102, sax: 120, T1: 118, T2: 118 });
  assert.deepEqual(t.sizes.sax, { nx: 512, ny: 246, nc: 10, nz: 10, nt: 12 });
  assert.equal(EDITION_2024.testSet!.versions, 3);
  assert.deepEqual(EDITION_2024.testSet!.sizes.sax, { nx: 512, ny: 246, nc: 10, nz: 11, nt: 12 });
  assert.equal(EDITION_2025.testSet!.versions, 1);
  assert.match(EDITION_2025.testSet!.basis, /ASSUMED/);
});

Deno.test("discovery: each split folder goes to the tree reader of its edition", () => {
  assert.equal(treeFor(["AccFactor04", "AccFactor08", "FullSample"]), TREE_2023);
  assert.equal(treeFor(["FullSample", "Mask_Task1", "UnderSample_Task1"]), TREE_2024);
  assert.equal(treeFor(["whatever"]), TREE_2023, "unknown folders: 2023 lists them as ignored");
  assert.equal(TREE_2023.accOf("AccFactor10"), 10);
  assert.equal(TREE_2023.accOf("FullSample"), undefined);
  assert.equal(TREE_2024.accOf("UnderSample_Task2", "cine_sax_kus_ktGaussian16.mat"), 16);
  assert.equal(TREE_2024.accOf("Mask_Task1", "cine_sax_mask_Uniform8.mat"), 8);
  assert.equal(TREE_2024.accOf("UnderSample_Task1"), undefined);
});
