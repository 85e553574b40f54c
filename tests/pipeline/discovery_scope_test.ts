/**
 * Submit discovers its input once (the whole split, for the run manifest) and narrows it to
 * its filters in memory: the result must be what `discover` finds with the filters.
 */
import assert from "node:assert/strict";
import { discover } from "../../src/challenge/layout.ts";
import type { Discovery } from "../../src/challenge/case.ts";
import { type DiscoveryScope, narrowDiscovery } from "../../src/challenge/discovery/scope.ts";

const root = await Deno.makeTempDir({ prefix: "cmrxkit-scope-" });

async function touch(path: string) {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  await Deno.writeTextFile(path, "");
}

/** A 2023 layout of empty files (discovery opens none) with broken entries everywhere. */
async function layout2023(): Promise<string> {
  const data = `${root}/y2023/ChallengeData`;
  for (const coil of ["MultiCoil", "SingleCoil"]) {
    for (const split of ["TrainingSet", "ValidationSet"]) {
      for (const acc of ["04", "08", "10"]) {
        for (const p of ["P001", "P002"]) {
          const cine = `${data}/${coil}/Cine/${split}/AccFactor${acc}/${p}`;
          for (const n of ["cine_lax", "cine_sax"]) {
            await touch(`${cine}/${n}.mat`);
            await touch(`${cine}/${n}_mask.mat`);
          }
          const mapping = `${data}/${coil}/Mapping/${split}/AccFactor${acc}/${p}`;
          for (const n of ["T1map", "T2map"]) {
            await touch(`${mapping}/${n}.mat`);
            await touch(`${mapping}/${n}_mask.mat`);
            await touch(`${mapping}/${n}.csv`);
          }
        }
      }
    }
  }
  const v = (coil: string, mod: string) => `${data}/${coil}/${mod}/ValidationSet`;
  const broken = async (path: string, as: "link" | "dir" | "file") => {
    await Deno.remove(path, { recursive: true }).catch(() => {});
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    if (as === "link") await Deno.symlink(`${root}/nowhere`, path);
    else if (as === "dir") await Deno.mkdir(path);
    else await Deno.writeTextFile(path, "");
  };
  await broken(`${v("MultiCoil", "Cine")}/AccFactor04/P001/cine_sax.mat`, "link");
  await broken(`${v("MultiCoil", "Mapping")}/AccFactor08/P002/T2map.mat`, "dir");
  await broken(`${v("MultiCoil", "Mapping")}/AccFactor04/P001/T1map.csv`, "link");
  await broken(`${v("SingleCoil", "Cine")}/AccFactor10/P003`, "file");
  await broken(`${v("SingleCoil", "Cine")}/AccFactor04/P001/cine_lax_mask.mat`, "dir");
  await broken(`${v("SingleCoil", "Mapping")}/AccFactor12`, "file");
  await broken(`${v("MultiCoil", "Cine")}/AccFactor08/P002`, "link");
  return data;
}

/** A 2024 layout (accelerations in the file names) with broken k-space and mask entries. */
async function layout2024(): Promise<string> {
  const data = `${root}/y2024`;
  for (const mod of ["Cine", "Mapping", "Aorta"]) {
    const v = `${data}/MultiCoil/${mod}/ValidationSet`;
    for (const r of [4, 8, 10]) {
      await touch(`${v}/UnderSample_Task1/P001/x_kus_Uniform${r}.mat`);
      await touch(`${v}/Mask_Task1/P001/x_mask_Uniform${r}.mat`);
      await Deno.mkdir(`${v}/UnderSample_Task1/P001/y_kus_ktRadial${r}.mat`);
      await Deno.mkdir(`${v}/Mask_Task1/P002/z_mask_Gaussian${r}.mat`, { recursive: true });
      await touch(`${v}/UnderSample_Task1/P002/z_kus_Gaussian${r}.mat`);
    }
  }
  return data;
}

const scopes: DiscoveryScope[] = [];
for (const task of [undefined, "cine", "mapping", "both"] as const) {
  for (const coil of [undefined, "multi", "single", "both"] as const) {
    for (const acc of [undefined, [4], [8, 10], [12], [24]]) scopes.push({ task, coil, acc });
  }
}

async function same(input: string) {
  const all = await discover(input, { split: "validation", allowEmpty: true });
  assert.ok(all.problems.length > 0);
  for (const scope of scopes) {
    let want: Discovery | undefined;
    try {
      want = await discover(input, { split: "validation", ...scope });
    } catch { /* nothing there: submit asks discover again, which says so */ }
    const got = narrowDiscovery(all, input, scope);
    const what = `${input} ${JSON.stringify(scope)}`;
    if (!want) {
      assert.deepEqual(got.cases, [], what);
      continue;
    }
    assert.deepEqual(got.cases, want.cases, what);
    assert.deepEqual(got.problems, want.problems, what);
  }
}

Deno.test("narrowDiscovery: the cases and problems discover finds with the filters (2023)", async () => {
  const data = await layout2023();
  await same(data);
  await same(`${data}/`);
  await same(`${data}/MultiCoil`);
  await same(`${data}/SingleCoil`);
});

Deno.test("narrowDiscovery: the cases and problems discover finds with the filters (2024)", async () => {
  await same(await layout2024());
});

globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(root, { recursive: true });
  } catch { /* gone */ }
});
