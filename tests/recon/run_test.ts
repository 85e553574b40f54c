import assert from "node:assert/strict";
import { CmrxError, UsageError } from "../../src/errors.ts";
import { uniformMask2d } from "../../src/kspace/mask.ts";
import { openMat } from "../../src/mat/read.ts";
import { writeMatV73 } from "../../src/mat/v73.ts";
import { getMethod, methodNames } from "../../src/recon/registry.ts";
import { kspaceGeometry, maskFromKspace, reconstructFile } from "../../src/recon/run.ts";
import { zeroFilledRss } from "../../src/recon/zerofill.ts";
import { synthesizeKspaceFile } from "../../src/synth/dataset.ts";

const dir = await Deno.makeTempDir({ prefix: "cmrxkit-run-" });
const full = `${dir}/full.mat`;
await synthesizeKspaceFile(full, "T2map", "small", 9);
const fullK = (await openMat(full)).read("kspace_full");
const [nx, ny, nc, nz, nt] = fullK.dims;
const mask = uniformMask2d(nx, ny, 4, 24);
const sub = new Float32Array(fullK.data.length);
for (let i = 0; i < sub.length / 2; i++) {
  const y = Math.floor(i / nx) % ny;
  if (mask[nx * y]) {
    sub[2 * i] = fullK.data[2 * i];
    sub[2 * i + 1] = fullK.data[2 * i + 1];
  }
}
const subFile = `${dir}/sub.mat`;
await writeMatV73(subFile, [{
  name: "kspace_sub04",
  array: { dims: fullK.dims, matClass: "single", complex: true, data: sub },
}]);

Deno.test("reconstructFile: zero-filled over every slice and frame equals per-slab RSS", async () => {
  using mat = await openMat(subFile);
  let calls = 0;
  const r = await reconstructFile(mat, getMethod("zerofill"), {
    mask: { data: mask, dims: [nx, ny] },
    kind: "mapping",
    onSlice: () => calls++,
  });
  assert.deepEqual(r.dims, [nx, ny, nz, nt]);
  assert.equal(calls, nz);
  const z = nz - 1, t = nt - 1;
  const slab = mat.readSlab("kspace_sub04", [, , , z, t]);
  const want = zeroFilledRss(slab.data as Float32Array, [nx, ny, nc]);
  const got = r.image.subarray(nx * ny * (z + nz * t), nx * ny * (z + nz * t + 1));
  assert.deepEqual(got, want);
});

Deno.test("maskFromKspace finds exactly the sampled lines of undersampled k-space", () => {
  const oneSlice = new Float32Array(2 * nx * ny * nc * nt);
  // gather slice 0 (dims kx, ky, coil, slice, frame) into (kx, ky, coil, frame)
  const per = 2 * nx * ny * nc;
  for (let t = 0; t < nt; t++) {
    oneSlice.set(sub.subarray(per * (0 + nz * t), per * (1 + nz * t)), per * t);
  }
  const m = maskFromKspace(oneSlice, nx, ny, nc, nt);
  for (let t = 0; t < nt; t++) {
    for (let y = 0; y < ny; y++) assert.equal(m[nx * (y + ny * t)], mask[nx * y], `t ${t} y ${y}`);
  }
});

Deno.test("kspaceGeometry reads multi- and single-coil dims", () => {
  const info = (name: string, dims: number[]) => ({
    name,
    dims,
    matClass: "single" as const,
    complex: true,
  });
  assert.deepEqual(kspaceGeometry(info("kspace_sub04", [512, 246, 10, 10, 12]), "x.mat"), {
    nx: 512,
    ny: 246,
    nc: 10,
    nz: 10,
    nt: 12,
    single: false,
  });
  assert.deepEqual(kspaceGeometry(info("kspace_single_sub04", [512, 246, 10, 12]), "x.mat"), {
    nx: 512,
    ny: 246,
    nc: 1,
    nz: 10,
    nt: 12,
    single: true,
  });
  assert.equal(
    kspaceGeometry(info("kspace_full", [8, 8, 3, 2]), "d/SingleCoil/Cine/x.mat").single,
    true,
  );
});

Deno.test("registry: every listed method reconstructs; unknown names list the choices", async () => {
  assert.ok(methodNames().includes("zerofill"));
  assert.throws(() => getMethod("magic"), (e: Error) => {
    assert.ok(e instanceof UsageError);
    assert.match(e.message, /unknown method 'magic'.*choose one of: zerofill/s);
    return true;
  });
  using mat = await openMat(subFile);
  for (const name of methodNames()) {
    const r = await reconstructFile(mat, getMethod(name), {
      mask: { data: mask, dims: [nx, ny] },
      kind: "mapping",
      slices: [0],
    });
    assert.equal(r.image.length, nx * ny * nt, name);
    assert.ok(r.image.every(Number.isFinite), name);
  }
});

Deno.test("methods that need coils refuse single-coil data with a clear message", async () => {
  const single = `${dir}/single.mat`;
  const k = new Float32Array(2 * nx * ny * nz * nt);
  await writeMatV73(single, [{
    name: "kspace_single_sub04",
    array: { dims: [nx, ny, nz, nt], matClass: "single", complex: true, data: k },
  }]);
  using mat = await openMat(single);
  for (const name of methodNames()) {
    const m = getMethod(name);
    if (m.singleCoil) continue;
    await assert.rejects(reconstructFile(mat, m), (e: Error) => {
      assert.ok(e instanceof CmrxError);
      assert.match(e.message, /needs multi-coil data/);
      return true;
    });
  }
  const r = await reconstructFile(mat, getMethod("zerofill"), { slices: [0] });
  assert.deepEqual(r.dims, [nx, ny, 1, nt]);
});

Deno.test("recon CLI writes img (x, y, slice, frame) in MAT v5 and v7.3", async () => {
  const main = new URL("../../cli/main.ts", import.meta.url).pathname;
  for (const format of ["v5", "v73"]) {
    const out = `${dir}/r_${format}.mat`;
    const o = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        main,
        "recon",
        "--input",
        subFile,
        "--method",
        "zerofill",
        "--out",
        out,
        "--format",
        format,
      ],
    }).output();
    assert.ok(o.success, new TextDecoder().decode(o.stderr));
    using m = await openMat(out);
    assert.equal(m.format, format === "v5" ? "v5" : "v7.3");
    assert.deepEqual(m.info("img").dims, [nx, ny, nz, nt]);
  }
  const bad = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      main,
      "recon",
      "--input",
      subFile,
      "--method",
      "nope",
      "--out",
      `${dir}/x.mat`,
    ],
  }).output();
  assert.equal(bad.code, 2);
  assert.match(new TextDecoder().decode(bad.stderr), /unknown method 'nope'/);
});

globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(dir, { recursive: true });
  } catch { /* gone */ }
});
