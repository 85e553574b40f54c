import assert from "node:assert/strict";
import * as zlib from "node:zlib";
import { gunzipSync, gzipSync } from "fflate";
import { CmrxError } from "../../src/errors.ts";
import {
  parseMappingCsv,
  readMappingCsv,
  sourceSlices,
  timesForSlices,
} from "../../src/challenge/maps/csv.ts";
import {
  labelCandidates,
  labelForImage,
  readMappingLabel,
} from "../../src/challenge/maps/labels.ts";
import { fitMaps, mapKindOf, writeMaps } from "../../src/mapping/maps.ts";
import { parseNifti, readNifti } from "../../src/mapping/nifti.ts";
import { openMat } from "../../src/mat/read.ts";
import { mappingCsv, mappingTimes } from "../../src/synth/dataset.ts";
import { niftiHeader } from "./nifti_fixture.ts";

const fixtures = new URL("../fixtures/mapping/", import.meta.url).pathname;

Deno.test("csv: the T1map.csv / T2map.csv that synth writes parse back per slice", () => {
  const t1 = mappingTimes("T1map", 3, 11);
  const table = parseMappingCsv(mappingCsv("T1map", t1), "T1map.csv");
  assert.equal(table.columns.length, 3);
  assert.deepEqual(timesForSlices(table, [0, 2], 9), [
    t1[0].map((t) => Math.round(t)),
    t1[2].map((t) => Math.round(t)),
  ]);
  const t2 = parseMappingCsv(mappingCsv("T2map", mappingTimes("T2map", 3, 11)), "T2map.csv");
  assert.equal(t2.columns.length, 1);
  assert.deepEqual(timesForSlices(t2, [1, 2], 3), [[0, 35, 55], [0, 35, 55]]);
});

Deno.test("csv: BOM, CRLF, quotes, blank lines, trailing zeros and empty cells", () => {
  const text = '\uFEFF"Weighting","S1","S2"\r\nTI1,100,"110"\r\n\r\nTI2,200,210\r\nTI3,0,\r\n';
  const t = parseMappingCsv(text, "x.csv");
  assert.deepEqual(t.columns, [[100, 200, 0], [110, 210, 0]]);
  assert.deepEqual(timesForSlices(t, [0, 1], 3), [[100, 200], [110, 210]]);
});

Deno.test("csv errors name the file, line and column", async () => {
  const bad = (text: string, re: RegExp) =>
    assert.throws(() => parseMappingCsv(text, "/data/P001/T1map.csv"), (e: Error) => {
      assert.ok(e instanceof CmrxError);
      assert.match(e.message, /^\/data\/P001\/T1map\.csv: /);
      assert.match(e.message, re);
      return true;
    });
  bad("Weighting,S1\nTI1,100\nTI2,abc\n", /line 3, column 2: 'abc' is not a time/);
  bad("Weighting,S1\nTI1,-5\n", /line 2, column 2/);
  bad("Weighting,S1\n", /no data rows/);
  bad("Weighting\nTI1\nTI2\n", /no time column/);
  const t = parseMappingCsv("W,S1,S2\nTI1,1,2\nTI2,3,4\n", "/d/T1map.csv");
  assert.throws(() => timesForSlices(t, [0, 1], 3), /\/d\/T1map\.csv: .*2 time\(s\) per slice/);
  assert.throws(() => timesForSlices(t, [4], 2), /\/d\/T1map\.csv: .*slice 5 has none/);
  await assert.rejects(
    readMappingCsv("/nonexistent/T2map.csv"),
    /\/nonexistent\/T2map\.csv: cannot read/,
  );
  // Source slices of a reduced image: the two ranking slices of a 6-column csv.
  const six = parseMappingCsv("W,a,b,c,d,e,f\nTI1,1,2,3,4,5,6\n", "s.csv");
  assert.deepEqual(sourceSlices(six, 2), [1, 2]);
  assert.deepEqual(sourceSlices(six, 6), [0, 1, 2, 3, 4, 5]);
  assert.throws(() => sourceSlices(six, 4), /s\.csv: the csv has 6 slice columns/);
  assert.equal(mapKindOf("a/b/T2map.csv"), "T2");
  assert.equal(mapKindOf("cine_sax"), null);
});

/** The fixture volume: (x + 2y + 3z) mod 4 at (x, y, z), dims (7, 5, 3), column-major. */
function expectedLabel(): number[] {
  const out: number[] = [];
  for (let z = 0; z < 3; z++) {
    for (let y = 0; y < 5; y++) for (let x = 0; x < 7; x++) out.push((x + 2 * y + 3 * z) % 4);
  }
  return out;
}

Deno.test("NIfTI labels written by nibabel: NIfTI-1 uint8 gz, big-endian float32, NIfTI-2 scaled int16", async () => {
  const want = expectedLabel();
  const u8 = await readNifti(`${fixtures}/label_u8.nii.gz`);
  assert.deepEqual(u8.dims, [7, 5, 3]);
  assert.equal(u8.datatype, 2);
  assert.deepEqual(Array.from(u8.data), want);
  const be = await readNifti(`${fixtures}/label_f32_be.nii`);
  assert.equal(be.datatype, 16);
  assert.deepEqual(Array.from(be.data), want);
  const n2 = await readNifti(`${fixtures}/label_i16_n2.nii.gz`);
  assert.equal(n2.datatype, 4);
  assert.deepEqual(Array.from(n2.data), want.map((v) => 2 * v - 1));
  assert.throws(() => parseNifti(new Uint8Array(400), "x.nii"), /x\.nii: not a readable NIfTI/);
  assert.throws(
    () => parseNifti(new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2]), "y.nii.gz"),
    /y\.nii\.gz: corrupt gzip/,
  );
  const lab = await readMappingLabel(`${fixtures}/label_u8.nii.gz`, "T1");
  assert.deepEqual(lab.dims, [7, 5, 3]);
  assert.equal(lab.truth, undefined);
});

Deno.test(".nii.gz: a changed data byte that still inflates fails the CRC-32 and is refused by name", async () => {
  // level 0 (stored blocks): a flipped voxel byte inflates to other labels
  const nii = new Uint8Array(352 + 105);
  nii.set(niftiHeader([7, 5, 3]));
  nii.set(expectedLabel(), 352);
  const gz = gzipSync(nii, { level: 0 });
  assert.deepEqual(Array.from(parseNifti(gz, "ok.nii.gz").data), expectedLabel());
  const bad = gz.slice();
  bad[gz.length - 8 - 50] ^= 0x01; // a voxel byte, 50 from the end of the data
  assert.equal(gunzipSync(bad)[352 + 105 - 50], nii[352 + 105 - 50] ^ 1); // still inflates
  assert.throws(() => parseNifti(bad, "flip.nii.gz"), (e: Error) => {
    assert.ok(e instanceof CmrxError, String(e));
    assert.equal(e.file, "flip.nii.gz");
    assert.match(e.message, /CRC-32/);
    assert.match(e.hint!, /copy it again/);
    return true;
  });
  // the nibabel fixture: every flip is refused or reads the same labels
  const good = await Deno.readFile(`${fixtures}/label_u8.nii.gz`);
  const want = expectedLabel();
  for (let i = 10; i < good.length; i++) {
    const b = good.slice();
    b[i] ^= 0x04;
    let got: number[] | null = null;
    try {
      got = Array.from(parseNifti(b, "f.nii.gz").data);
    } catch (e) {
      assert.ok(e instanceof CmrxError && e.file === "f.nii.gz", `flip at ${i}: ${e}`);
    }
    if (got) assert.deepEqual(got, want, `flip at ${i} read other labels silently`);
  }
});

Deno.test(".nii.gz: 1 GiB of zeros behind a small header is refused in bounded memory and time", () => {
  // raw deflate of 1 MiB of zeros ending on a byte boundary (sync flush, not final): 1024
  // copies of it in a row are one valid stream of 1 GiB
  const flush = { finishFlush: zlib.constants.Z_SYNC_FLUSH };
  const first = new Uint8Array(352 + 105 + 2 ** 20);
  first.set(niftiHeader([7, 5, 3]));
  const head = zlib.deflateRawSync(first, flush);
  const mib = zlib.deflateRawSync(new Uint8Array(2 ** 20), flush);
  const parts = [new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), head];
  for (let i = 0; i < 1023; i++) parts.push(mib);
  parts.push(new Uint8Array([3, 0]), new Uint8Array(8)); // an empty final block; the trailer
  const gz = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    gz.set(p, o);
    o += p.length;
  }
  assert.ok(gz.length < 2 * 2 ** 20, `${gz.length} bytes`);
  const rss0 = Deno.memoryUsage().rss;
  const t0 = performance.now();
  assert.throws(() => parseNifti(gz, "bomb.nii.gz"), (e: Error) => {
    assert.ok(e instanceof CmrxError, String(e));
    assert.equal(e.file, "bomb.nii.gz");
    assert.match(e.message, /inflates to more than the 457 bytes its header declares/);
    return true;
  });
  assert.ok(performance.now() - t0 < 2000, "the bomb was inflated");
  assert.ok(Deno.memoryUsage().rss - rss0 < 128 * 2 ** 20, "the bomb was held in memory");
});

Deno.test("labels are cut to a reduced image with the ranking slices and centre crop", () => {
  // full-size (9, 8, 5) label with value = slice + 10 * (x in crop) ...
  const [lx, ly, lz] = [9, 8, 5];
  const label = new Float32Array(lx * ly * lz);
  for (let z = 0; z < lz; z++) {
    for (let y = 0; y < ly; y++) {
      for (let x = 0; x < lx; x++) label[x + lx * (y + ly * z)] = 1000 * z + 10 * y + x;
    }
  }
  const lab = { file: "L.mat", dims: [lx, ly, lz] as [number, number, number], label };
  // run4Ranking of (9, 8, 5): x [3, 6), y [2, 6), slices {1, 2}
  const cut = labelForImage(lab, [3, 4, 2], 2023, "T1map");
  assert.deepEqual(cut.slices, [1, 2]);
  assert.equal(cut.label[0], 1000 + 20 + 3);
  assert.equal(cut.label[3 * 4 * 2 - 1], 2000 + 50 + 5);
  assert.equal(labelForImage(lab, [9, 8, 5], 2023, "T1map").label, label);
  assert.throws(() => labelForImage(lab, [4, 4, 2], 2023, "T1map"), /L\.mat: the label/);
  const c = labelCandidates("/L", {
    coil: "MultiCoil",
    modality: "Mapping",
    split: "ValidationSet",
    patient: "P003",
    name: "T2map",
  });
  assert.equal(c[0], "/L/MultiCoil/Mapping/ValidationSet/P003/T2map_label.mat");
  assert.ok(c.includes("/L/SingleCoil/Mapping/ValidationSet/SegmentROI/P003/T2map_label.nii.gz"));
  assert.ok(c.includes("/L/SegmentROI/P003/T2map_label.nii.gz"));
});

Deno.test("maps MAT file: every map, the mask, times and 1-based slices read back", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cmrxkit-maps-" });
  const te = [0, 35, 55];
  const img = new Float32Array(4 * 3 * 2 * 3);
  for (let i = 0; i < 24; i++) {
    for (let w = 0; w < 3; w++) img[i + 24 * w] = 2 * Math.exp(-te[w] / (30 + i));
  }
  const maps = fitMaps("T2", img, [4, 3, 2, 3], [te, te], { airFraction: 0 });
  await writeMaps(`${dir}/sub/T2map.mat`, maps, [2, 3]);
  using m = await openMat(`${dir}/sub/T2map.mat`);
  assert.deepEqual(m.variables().map((v) => v.name), [
    "T2",
    "S0",
    "rsq",
    "mask",
    "times",
    "slices",
  ]);
  const t2 = m.read("T2");
  assert.deepEqual(t2.dims, [4, 3, 2]);
  assert.ok(Math.abs(t2.data[5] - 35) < 1e-3);
  assert.deepEqual(Array.from(m.read("slices").data), [3, 4]);
  assert.deepEqual(Array.from(m.read("times").data), [0, 35, 55, 0, 35, 55]);
  assert.deepEqual((await Array.fromAsync(Deno.readDir(`${dir}/sub`))).length, 1);
  await Deno.remove(dir, { recursive: true });
});
