/**
 * `synthesize({ tracks })` / `synth --coil`: the 2023 SingleCoil tree (kspace_single_full /
 * kspace_single_subNN, dims (kx, ky, slice, frame)), its definition (the coil images combined
 * with the coil maps: magnitude = the noiseless multi-coil RSS image), the multi-coil bytes
 * unchanged, and R = 24 (AccFactor24, kspace_sub24, mask24).
 */
import assert from "node:assert/strict";
import { discover } from "../../src/challenge/layout.ts";
import { uniformLines } from "../../src/kspace/mask.ts";
import { zeroFilledRss } from "../../src/kspace/zerofill.ts";
import { openMat, readMatVar } from "../../src/mat/read.ts";
import { GEOMETRY, synthesize } from "../../src/synth/dataset.ts";
import { synth } from "../../cli/synth.ts";

const root = await Deno.makeTempDir({ prefix: "cmrxkit-synth-single-" });
globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(root, { recursive: true });
  } catch { /* gone */ }
});
const D = `${root}/both`;
const G = GEOMETRY.small;
const opts = {
  size: "small" as const,
  seed: 9,
  patients: 1,
  splits: ["training" as const, "validation" as const],
  accs: [4, 24],
};
await synthesize({ ...opts, out: D, tracks: ["MultiCoil", "SingleCoil"] });

Deno.test("synth SingleCoil: the 2023 tree, kspace_single_*, dims (kx, ky, slice, frame), ground truth and labels", async () => {
  for (const split of ["training", "validation"] as const) {
    const { cases } = await discover(D, { split, coil: "single", fullSample: true });
    assert.ok(cases.length > 0 && cases.every((c) => c.coil === "SingleCoil"));
    for (const c of cases) {
      assert.equal(
        c.variable,
        c.acc === null
          ? "kspace_single_full"
          : `kspace_single_sub${String(c.acc).padStart(2, "0")}`,
      );
    }
  }
  for (const name of ["cine_sax", "cine_lax", "T1map", "T2map"] as const) {
    const modality = name.startsWith("cine") ? "Cine" : "Mapping";
    const g = G[name];
    using full = await openMat(
      `${D}/SingleCoil/${modality}/TrainingSet/FullSample/P001/${name}.mat`,
    );
    assert.deepEqual(full.info("kspace_single_full"), {
      name: "kspace_single_full",
      dims: [g.nx, g.ny, g.nslices, g.nframes],
      matClass: "single",
      complex: true,
    });
    using gt = await openMat(
      `${D}/GroundTruth/SingleCoil/${modality}/ValidationSet/FullSample/P001/${name}.mat`,
    );
    assert.deepEqual(gt.info("kspace_single_full").dims, [g.nx, g.ny, g.nslices, g.nframes]);
    for (const acc of [4, 24]) {
      const folder = `AccFactor${String(acc).padStart(2, "0")}`;
      for (const split of ["TrainingSet", "ValidationSet"]) {
        const dir = `${D}/SingleCoil/${modality}/${split}/${folder}/P001`;
        using sub = await openMat(`${dir}/${name}.mat`);
        const v = `kspace_single_sub${String(acc).padStart(2, "0")}`;
        assert.deepEqual(sub.info(v).dims, [g.nx, g.ny, g.nslices, g.nframes]);
        // The same masks (and csv files) as the multi-coil tree.
        const multi = dir.replace("/SingleCoil/", "/MultiCoil/");
        for (const f of [`${name}_mask.mat`, ...(modality === "Mapping" ? [`${name}.csv`] : [])]) {
          assert.deepEqual(
            await Deno.readFile(`${dir}/${f}`),
            await Deno.readFile(`${multi}/${f}`),
            f,
          );
        }
      }
    }
    const label = `Labels/SingleCoil/${modality}/ValidationSet/P001/${name}_label.mat`;
    assert.deepEqual(
      await Deno.readFile(`${D}/${label}`),
      await Deno.readFile(`${D}/${label.replace("SingleCoil", "MultiCoil")}`),
    );
  }
});

Deno.test("synth SingleCoil: AccFactor files hold exactly kspace_single_full .* mask", async () => {
  const g = G.cine_sax;
  using full = await openMat(`${D}/SingleCoil/Cine/TrainingSet/FullSample/P001/cine_sax.mat`);
  using sub = await openMat(`${D}/SingleCoil/Cine/TrainingSet/AccFactor24/P001/cine_sax.mat`);
  const lines = uniformLines(g.ny, 24, 24);
  const a = full.readSlab("kspace_single_full", [, , 1]);
  const b = sub.readSlab("kspace_single_sub24", [, , 1]);
  for (let i = 0; i < a.data.length / 2; i++) {
    const keep = lines[Math.floor((i % (g.nx * g.ny)) / g.nx)] === 1;
    assert.equal(b.data[2 * i], keep ? a.data[2 * i] : 0);
    assert.equal(b.data[2 * i + 1], keep ? a.data[2 * i + 1] : 0);
  }
});

Deno.test("synth SingleCoil definition: without noise, its magnitude image is the multi-coil RSS image", async () => {
  const out = `${root}/noiseless`;
  await synthesize({
    ...opts,
    out,
    tasks: ["cine"],
    splits: ["training"],
    accs: [4],
    noise: 0,
    tracks: ["MultiCoil", "SingleCoil"],
  });
  const g = G.cine_lax;
  using m = await openMat(`${out}/MultiCoil/Cine/TrainingSet/FullSample/P001/cine_lax.mat`);
  using s = await openMat(`${out}/SingleCoil/Cine/TrainingSet/FullSample/P001/cine_lax.mat`);
  const mk = m.readSlab("kspace_full", [, , , 2, 5]);
  const sk = s.readSlab("kspace_single_full", [, , 2, 5]);
  const rss = zeroFilledRss(mk.data as Float32Array, [g.nx, g.ny, 10]);
  const single = zeroFilledRss(sk.data as Float32Array, [g.nx, g.ny, 1]);
  let peak = 0, err = 0;
  for (let i = 0; i < rss.length; i++) {
    peak = Math.max(peak, rss[i]);
    err = Math.max(err, Math.abs(rss[i] - single[i]));
  }
  assert.ok(peak > 0 && err < 1e-4 * peak, `max |single - RSS| ${err}, peak ${peak}`);
});

Deno.test("synth --coil: multi-coil bytes unchanged by the SingleCoil track; single writes no MultiCoil", async () => {
  const multi = `${root}/multi`, single = `${root}/single`;
  await synthesize({ ...opts, out: multi, tasks: ["mapping"] });
  await synthesize({ ...opts, out: single, tasks: ["mapping"], tracks: ["SingleCoil"] });
  for (
    const rel of ["TrainingSet/FullSample", "TrainingSet/AccFactor24", "ValidationSet/AccFactor04"]
  ) {
    for (const f of ["T1map.mat", "T2map.mat", "T1map.csv"]) {
      const path = `MultiCoil/Mapping/${rel}/P001/${f}`;
      assert.deepEqual(
        await Deno.readFile(`${multi}/${path}`),
        await Deno.readFile(`${D}/${path}`),
        path,
      );
      const sp = path.replace("MultiCoil", "SingleCoil");
      assert.deepEqual(
        await Deno.readFile(`${single}/${sp}`),
        await Deno.readFile(`${D}/${sp}`),
        sp,
      );
    }
  }
  const top = async (dir: string) => {
    const names: string[] = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    return names.sort();
  };
  assert.deepEqual(await top(multi), ["GroundTruth", "Labels", "MultiCoil"]);
  assert.deepEqual(await top(single), ["GroundTruth", "Labels", "SingleCoil"]);
  assert.deepEqual(await top(`${single}/GroundTruth`), ["SingleCoil"]);
});

Deno.test("synth R = 24: AccFactor24 with kspace_sub24 and mask24, every 24th line plus the 24 ACS lines", async () => {
  const g = G.cine_sax;
  const dir = `${D}/MultiCoil/Cine/ValidationSet/AccFactor24/P001`;
  using k = await openMat(`${dir}/cine_sax.mat`);
  assert.deepEqual(k.info("kspace_sub24").dims, [g.nx, g.ny, 10, g.nslices, g.nframes]);
  const mask = await readMatVar(`${dir}/cine_sax_mask.mat`, "mask24");
  assert.deepEqual(mask.dims, [g.nx, g.ny]);
  const sampled: number[] = [];
  for (let y = 0; y < g.ny; y++) if (mask.data[y * g.nx]) sampled.push(y);
  const c0 = Math.floor(g.ny / 2) - 12;
  const want = new Set([...Array.from({ length: 24 }, (_, i) => c0 + i)]);
  for (let y = 0; y < g.ny; y += 24) want.add(y);
  assert.deepEqual(sampled, [...want].sort((a, b) => a - b));
});

Deno.test("synth CLI: --coil single|both is accepted, anything else is a usage error", async () => {
  const out = `${root}/cli`;
  const code = await synth.run([
    "--out",
    out,
    "--patients",
    "1",
    "--task",
    "cine",
    "--coil",
    "single",
    "--acc",
    "24",
    "--no-validation",
  ]);
  assert.equal(code, 0);
  await Deno.stat(`${out}/SingleCoil/Cine/TrainingSet/AccFactor24/P001/cine_sax.mat`);
  await assert.rejects(() => synth.run(["--out", `${root}/bad`, "--coil", "three"]), /coil/);
});
