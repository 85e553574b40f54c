import assert from "node:assert/strict";
import { CmrxError, ShapeError, UsageError } from "../../src/errors.ts";
import { uniformMask2d } from "../../src/kspace/mask.ts";
import { type MatReader, openMat } from "../../src/mat/read.ts";
import type { MatVarInfo } from "../../src/mat/types.ts";
import { writeMatV5 } from "../../src/mat/v5.ts";
import { writeMatV73 } from "../../src/mat/v73.ts";
import { getMethod, methodNames } from "../../src/recon/registry.ts";
import {
  checkOutputFile,
  findKspaceVariable,
  kspaceGeometry,
  maskFromKspace,
  reconstructFile,
} from "../../src/recon/run.ts";
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
  assert.match(
    new TextDecoder().decode(bad.stderr),
    /unknown model 'nope'.*zerofill.*crnn-mri/s,
    "an unknown name lists the methods and the models",
  );
});

/** A reader over variable descriptions only: what a file's directory says, no data. */
function fakeReader(file: string, vars: MatVarInfo[]): MatReader {
  const info = (name: string) => {
    const v = vars.find((x) => x.name === name);
    if (!v) throw new CmrxError(`no variable '${name}'`, { file });
    return v;
  };
  const noData = (): never => {
    throw new Error("the test reader holds no data");
  };
  return {
    file,
    format: "v7.3",
    variables: () => vars,
    info,
    read: noData,
    readSlab: noData,
    close: () => {},
    [Symbol.dispose]: () => {},
  };
}

const variable = (
  name: string,
  dims: number[],
  extra: Partial<MatVarInfo> = {},
): MatVarInfo => ({ name, dims, matClass: "single", complex: true, ...extra });

Deno.test("real, int16, uint8 and logical k-space: the class found and complex expected", async () => {
  const dims = [8, 6, 2, 1, 3];
  for (const matClass of ["int16", "uint8", "logical", "single"] as const) {
    const file = `${dir}/k_${matClass}.mat`;
    await writeMatV5(file, [{
      name: "kspace_full",
      array: { dims, matClass, complex: false, data: new Float64Array(8 * 6 * 2 * 3).fill(1) },
    }]);
    using mat = await openMat(file);
    for (const name of [undefined, "kspace_full"]) {
      assert.throws(() => findKspaceVariable(mat, name), (e: Error) => {
        assert.ok(e instanceof ShapeError, `${matClass} ${name}: ${e}`);
        assert.equal(e.file, file);
        assert.match(
          e.message,
          new RegExp(`class ${matClass}.* found; complex k-space is expected`),
        );
        assert.doesNotMatch(e.message, /--var/);
        assert.match(e.hint!, /complex single or double k-space/);
        return true;
      });
    }
    // reconstructFile says the same instead of a buffer size mismatch
    await assert.rejects(
      reconstructFile(mat, getMethod("zerofill"), { variable: "kspace_full" }),
      /complex k-space is expected/,
    );
  }
});

Deno.test("k-space detection lists unusable variables with their reason, never 'name it with --var'", () => {
  const mat = fakeReader("x.mat", [
    variable("kspace_full", [4, 4], {
      complex: false,
      matClass: "double",
      stored: "float16",
      unusable: "is float16 (half precision); cmrxkit reads single, double, integer and logical",
    }),
    variable("c", [1, 3], { complex: false, stored: "cell", unusable: "is a MATLAB cell" }),
    variable("s", [3], {
      complex: false,
      stored: "compound {a, b, c}",
      unusable: "is a compound of 3 members",
    }),
  ]);
  assert.throws(() => findKspaceVariable(mat), (e: Error) => {
    assert.ok(e instanceof ShapeError);
    assert.equal(e.file, "x.mat");
    assert.match(e.message, /'kspace_full' float16 \[4 x 4\]: is float16/);
    assert.match(e.message, /'c' cell \[1 x 3\]: is a MATLAB cell/);
    assert.match(e.message, /'s' compound \{a, b, c\} \[3\]: is a compound/);
    assert.doesNotMatch(e.message + e.hint, /--var/);
    assert.match(e.hint!, /complex single or double k-space with MATLAB dims \(kx, ky, coil/);
    return true;
  });
  const damaged = fakeReader("d.mat", [
    variable("kspace_full", [], {
      unusable: "cannot be read: corrupt object header",
      damaged: true,
    }),
  ]);
  assert.throws(() => findKspaceVariable(damaged), (e: Error) => {
    assert.match(e.message, /'kspace_full'.*corrupt object header/);
    assert.match((e as CmrxError).hint!, /download or copy it again/);
    return true;
  });
  assert.throws(() => findKspaceVariable(fakeReader("e.mat", [])), /holds no variables/);
  // several complex candidates: then --var is the fix
  const two = fakeReader("t.mat", [variable("a", [4, 4, 2]), variable("b", [4, 4, 2])]);
  assert.throws(() => findKspaceVariable(two), (e: Error) => {
    assert.match(e.message, /'a' complex single \[4 x 4 x 2\], 'b'/);
    assert.match((e as CmrxError).hint!, /--var a/);
    return true;
  });
});

Deno.test("mask shape errors name the mask file and the k-space dims it must match", async () => {
  using mat = await openMat(subFile);
  for (const dims of [[5, 5], [nx, ny, nt + 1], [ny, nx]]) {
    await assert.rejects(
      reconstructFile(mat, getMethod("zerofill"), {
        mask: { data: new Float32Array(dims[0] * dims[1]), dims, file: "m.mat", variable: "mask" },
      }),
      (e: Error) => {
        assert.ok(e instanceof ShapeError);
        assert.equal(e.file, "m.mat");
        assert.match(e.message, /^m\.mat: mask 'mask' dims \[/);
        assert.ok(e.message.includes(`[${fullK.dims.join(", ")}] of ${subFile}`), e.message);
        assert.match(e.hint!, new RegExp(`\\(kx, ky\\) = \\(${nx}, ${ny}\\)`));
        return true;
      },
    );
  }
});

Deno.test("declared dims with no data behind them are refused before allocating", async () => {
  const huge = variable("kspace_sub04", [5e7, 72, 4, 3, 12]);
  assert.throws(() => kspaceGeometry(huge, "big.mat", false, 8_000_000), (e: Error) => {
    assert.ok(e instanceof ShapeError);
    assert.equal(e.file, "big.mat");
    assert.match(e.message, /'kspace_sub04' declares dims \[50000000 x 72 x 4 x 3 x 12\]/);
    assert.match(e.message, /file holds only 7\.6 MiB/);
    assert.match(e.hint!, /damaged/);
    return true;
  });
  for (const dims of [[96, 72, 4, 3, 1e5], [96, 72, 1e5, 3, 12], [4, 4, 1, 1, 2 ** 61]]) {
    assert.throws(() => kspaceGeometry(variable("k", dims), "big.mat", false, 1e6), ShapeError);
  }
  assert.throws(() => kspaceGeometry(variable("k", [96, 0, 4]), "z.mat"), /it is empty/);
  assert.throws(
    () => kspaceGeometry(variable("k", [4, 4, 1, 2 ** 61]), "z.mat"),
    /dims are corrupt/,
  );
  // the safety net: whatever slips through, an allocation failure names the file and dims
  const mat = fakeReader("/nonexistent/huge.mat", [
    variable("kspace_full", [2 ** 24, 2 ** 24, 1, 1, 64]),
  ]);
  await assert.rejects(reconstructFile(mat, getMethod("zerofill")), (e: Error) => {
    assert.ok(e instanceof CmrxError, String(e));
    assert.equal(e.file, "/nonexistent/huge.mat");
    assert.match(e.message, /\[16777216 x 16777216 x 1 x 1 x 64\].*does not fit in memory/);
    return true;
  });
});

Deno.test("a method's error without a file gets the k-space file and the slice", async () => {
  using mat = await openMat(subFile);
  const failing = {
    name: "failing",
    description: "throws like sensitivityMaps does",
    singleCoil: true,
    reconstruct(): never {
      throw new ShapeError("the mask has no ACS band", { hint: "use a mask with ACS lines" });
    },
  };
  await assert.rejects(reconstructFile(mat, failing, { slices: [1] }), (e: Error) => {
    assert.ok(e instanceof ShapeError);
    assert.equal(e.file, subFile);
    assert.equal(
      e.message,
      `${subFile}: slice 2: the mask has no ACS band\n  fix: use a mask with ACS lines`,
    );
    return true;
  });
});

Deno.test("checkOutputFile: folders, files under files, read-only places and FIFOs fail by name", async () => {
  const out = await Deno.makeTempDir({ dir, prefix: "out-" });
  const fails = async (path: string, file: string, re: RegExp, inputs?: string[]) => {
    await assert.rejects(checkOutputFile(path, { inputs }), (e: Error) => {
      assert.ok(e instanceof CmrxError, `${path}: ${e.stack}`);
      assert.equal(e.file, file);
      assert.match(e.message, re);
      assert.ok(e.hint);
      return true;
    });
  };
  await fails(out, out, /names a folder/);
  await fails(`${out}/`, `${out}/`, /names a folder/);
  await Deno.writeTextFile(`${out}/plain`, "x");
  await fails(`${out}/plain/r.mat`, `${out}/plain`, /is a file/); // ENOTDIR
  await fails(`${out}/plain/a/r.mat`, `${out}/plain/a`, /is a file \(or lies under one\)/);
  await fails("/proc/cmrxkit-out.mat", "/proc", /cannot write in the folder/); // read-only for root too
  await fails("/proc/cmrxkit/out.mat", "/proc/cmrxkit", /cannot create the folder/);
  await fails(subFile, subFile, /is the input file/, [subFile]);
  await new Deno.Command("mkfifo", { args: [`${out}/fifo`] }).output();
  await fails(`${out}/fifo`, `${out}/fifo`, /named pipe/);
  await Deno.symlink(`${out}/gone`, `${out}/dangling`);
  await fails(`${out}/dangling`, `${out}/dangling`, /link/);
  // a missing folder is created (mkdir -p) and says so; nothing else is left behind
  assert.deepEqual(await checkOutputFile(`${out}/new/deep/r.mat`), {
    createdFolder: `${out}/new/deep`,
  });
  assert.deepEqual(await checkOutputFile(`${out}/new/deep/r.mat`), {});
  assert.deepEqual([...Deno.readDirSync(`${out}/new/deep`)], []);
  assert.deepEqual(await checkOutputFile(`${out}/plain`), {}); // an existing file is replaced
});

globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(dir, { recursive: true });
  } catch { /* gone */ }
});
