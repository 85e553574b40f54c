import assert from "node:assert/strict";
import { zlibSync } from "fflate";
import { CmrxError, MatFormatError, ShapeError, UsageError } from "../../src/errors.ts";
import { uniformMask2d } from "../../src/kspace/mask.ts";
import { type MatReader, openMat } from "../../src/mat/read.ts";
import type { MatVarInfo } from "../../src/mat/types.ts";
import { encodeMatV5, writeMatV5 } from "../../src/mat/v5/write.ts";
import { writeMatV73 } from "../../src/mat/v73/write.ts";
import { getMethod, methodNames } from "../../src/recon/registry.ts";
import { findKspaceVariable, kspaceGeometry } from "../../src/kspace/geometry.ts";
import { maskFromKspace, reconstructFile } from "../../src/recon/run.ts";
import { zeroFilledRss } from "../../src/kspace/zerofill.ts";
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
    task: "mapping",
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
      task: "mapping",
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

Deno.test("an unusable k-space-named variable is refused with its reason, never passed over", async () => {
  const damaged = variable("kspace_sub04", [8, 6, 2, 3], {
    unusable: "cannot be read: corrupt object header",
    damaged: true,
  });
  const other = variable("img", [8, 6, 2]);
  const mat = fakeReader("k.mat", [damaged, other]);
  assert.throws(() => findKspaceVariable(mat), (e: Error) => {
    assert.ok(e instanceof CmrxError, String(e));
    assert.equal((e as CmrxError).file, "k.mat");
    assert.match(e.message, /'kspace_sub04'.*corrupt object header/);
    assert.doesNotMatch(e.message, /'img'/);
    assert.match((e as CmrxError).hint!, /download or copy it again/);
    return true;
  });
  // unless --var names another variable
  assert.equal(findKspaceVariable(mat, "img").name, "img");
  // an unsupported (not damaged) k-space variable: its reason and the type fix
  const half = variable("kus", [8, 6, 2], {
    complex: false,
    stored: "float16",
    unusable: "is float16 (half precision)",
  });
  assert.throws(() => findKspaceVariable(fakeReader("h.mat", [half, other])), (e: Error) => {
    assert.match(e.message, /'kus' float16 \[8 x 6 x 2\]: is float16/);
    assert.match((e as CmrxError).hint!, /--var img/);
    return true;
  });
  // the same with a real MAT v5 file: kspace_sub04's dims do not match its data
  const file = `${dir}/two.mat`;
  await Deno.writeFile(
    file,
    lyingV5(
      [{ name: "kspace_sub04", dims: [8, 6, 2, 3] }, { name: "img", dims: [8, 6, 2] }],
      "kspace_sub04",
      9,
    ),
  );
  using real = await openMat(file);
  assert.throws(() => findKspaceVariable(real), /'kspace_sub04'.*holds 1152 bytes/s);
});

Deno.test("--var on a damaged MAT v5 variable gets the damaged-file fix, not a type fix", async () => {
  // dims that do not match the data (uncompressed)
  const file = `${dir}/damaged_v5.mat`;
  await Deno.writeFile(
    file,
    lyingV5([{ name: "kspace_sub04", dims: [8, 6, 2, 3] }], "kspace_sub04", 9),
  );
  // compressed elements whose header declares far more bytes than the stream can hold:
  // random data, so the header is read (and named) before the stream ends; zeros, so the
  // stream ends inside the header (the damage is then not known by name)
  const bombV5 = (data: Float32Array) => {
    const plain = encodeMatV5([{
      name: "kspace_sub04",
      array: { dims: [64, 64, 2], matClass: "single", complex: true, data },
    }]);
    const element = plain.slice(128);
    new DataView(element.buffer).setUint32(4, 2 ** 31 - 16, true);
    const z = zlibSync(element);
    const bomb = new Uint8Array(136 + z.length);
    bomb.set(plain.subarray(0, 128));
    new DataView(bomb.buffer).setUint32(128, 15, true);
    new DataView(bomb.buffer).setUint32(132, z.length, true);
    bomb.set(z, 136);
    return bomb;
  };
  const bombFile = `${dir}/bomb_v5.mat`;
  const noise = new Float32Array(2 * 64 * 64 * 2).map((_, i) => Math.sin(i * 1.7) * 1e3);
  await Deno.writeFile(bombFile, bombV5(noise));
  const shortFile = `${dir}/short_v5.mat`;
  await Deno.writeFile(shortFile, bombV5(new Float32Array(2 * 64 * 64 * 2)));
  const cases = [
    [file, /variable 'kspace_sub04' is damaged: .*holds 1152 bytes/],
    [bombFile, /variable 'kspace_sub04' is damaged: .*compressed bytes can hold/],
    [shortFile, /no readable variable 'kspace_sub04'.*is damaged: .*runs past the end/],
  ] as const;
  for (const [f, re] of cases) {
    using mat = await openMat(f);
    assert.throws(() => findKspaceVariable(mat, "kspace_sub04"), (e: Error) => {
      assert.ok(e instanceof MatFormatError, `${f}: ${e.stack}`);
      assert.equal(e.file, f);
      assert.match(e.message, re);
      assert.match(e.hint!, /copy or download it again|download or copy it again/);
      assert.doesNotMatch(e.hint!, /numeric array/);
      return true;
    });
    assert.equal(mat.variables()[0].damaged, true);
  }
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

/** A MAT v5 file (uncompressed) whose variable `name` declares dim 1 as `lie`: the dims
 * no longer match the data the element holds. */
function lyingV5(vars: { name: string; dims: number[] }[], name: string, lie: number) {
  const bytes = encodeMatV5(vars.map((v) => ({
    name: v.name,
    array: {
      dims: v.dims,
      matClass: "single" as const,
      complex: true,
      data: new Float32Array(2 * v.dims.reduce((a, b) => a * b)),
    },
  })));
  const dv = new DataView(bytes.buffer);
  // walk the top-level elements to the variable's: tag, flags (16), dims tag, dims, name
  for (let pos = 128; pos < bytes.length; pos += 8 + dv.getUint32(pos + 4, true)) {
    const dimsBytes = dv.getUint32(pos + 28, true);
    const nameAt = pos + 32 + dimsBytes + ((8 - (dimsBytes % 8)) % 8);
    const nameLen = dv.getUint32(nameAt + 4, true);
    const got = new TextDecoder().decode(bytes.subarray(nameAt + 8, nameAt + 8 + nameLen));
    if (got === name) dv.setInt32(pos + 32, lie, true);
  }
  return bytes;
}

Deno.test("declared dims with no data behind them are refused before allocating", async () => {
  // dims that cannot be real at all: zero or beyond 2^53
  assert.throws(() => kspaceGeometry(variable("k", [96, 0, 4]), "z.mat"), (e: Error) => {
    assert.ok(e instanceof ShapeError);
    assert.match(e.message, /^z\.mat: 'k' has dims \[96 x 0 x 4\]: it is empty/);
    assert.match((e as CmrxError).hint!, /damaged/);
    return true;
  });
  assert.throws(
    () => kspaceGeometry(variable("k", [4, 4, 1, 2 ** 61]), "z.mat"),
    /dims are corrupt/,
  );
  // dims with more data than the file holds: the reader marks the variable damaged (v5
  // here; v7.3 in tests/mat/damage_test.ts), so nothing is allocated for them
  const file = `${dir}/lying.mat`;
  await Deno.writeFile(
    file,
    lyingV5([{ name: "kspace_sub04", dims: [8, 6, 2, 3] }], "kspace_sub04", 5e7),
  );
  using lying = await openMat(file);
  await assert.rejects(reconstructFile(lying, getMethod("zerofill")), (e: Error) => {
    assert.ok(e instanceof CmrxError, String(e));
    assert.equal(e.file, file);
    assert.match(e.message, /'kspace_sub04'.*\[50000000 x 6 x 2 x 3\].*holds 1152 bytes/s);
    assert.match(e.hint!, /download or copy it again/);
    return true;
  });
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

globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(dir, { recursive: true });
  } catch { /* gone */ }
});
