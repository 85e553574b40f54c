import assert from "node:assert/strict";
import { MatFormatError, MatVariableError, ShapeError } from "../../src/errors.ts";
import { openMat, readMatVar } from "../../src/mat/read.ts";
import { MatV73Reader } from "../../src/mat/v73/read.ts";
import { MatV73Writer, writeMatV73 } from "../../src/mat/v73/write.ts";
import { numel } from "../../src/mat/types.ts";

const FIX = new URL("../fixtures/mat/v73/", import.meta.url).pathname;

interface Entry {
  file: string;
  variable: string;
  dims: number[];
  matClass: string;
  complex: boolean;
  values: "formula" | "mask" | "empty";
}
const manifest: Entry[] = JSON.parse(await Deno.readTextFile(`${FIX}manifest.json`));

/** Expected value at column-major linear index n (see tests/reference/make_mat_v73_golden.py). */
function expected(e: Entry, n: number): [number, number] {
  const idx: number[] = [];
  let r = n;
  for (const d of e.dims) {
    idx.push(r % d);
    r = Math.floor(r / d);
  }
  if (e.values === "mask") return [idx[1] % 3 === 0 ? 1 : 0, 0];
  const base = idx.reduce((s, v, k) => s + v * 10 ** k, 0);
  return [base + 0.25, e.complex ? -base / 2 : 0];
}

for (const e of manifest) {
  Deno.test(`v7.3 golden ${e.file}:${e.variable} reads with MATLAB dims, class and values`, async () => {
    using mat = await openMat(FIX + e.file);
    const info = mat.info(e.variable);
    assert.deepEqual(info.dims, e.dims);
    assert.equal(info.matClass, e.matClass);
    assert.equal(info.complex, e.complex);
    const a = mat.read(e.variable, { precision: "float64" });
    if (e.values === "empty") {
      assert.equal(a.data.length, 0);
      return;
    }
    const w = e.complex ? 2 : 1;
    assert.equal(a.data.length, numel(e.dims) * w);
    for (let n = 0; n < numel(e.dims); n++) {
      const [re, im] = expected(e, n);
      assert.ok(
        Math.abs(a.data[n * w] - re) < 1e-4,
        `${e.file} re[${n}] ${a.data[n * w]} != ${re}`,
      );
      if (e.complex) assert.ok(Math.abs(a.data[n * w + 1] - im) < 1e-4, `im[${n}]`);
    }
  });
}

Deno.test("v7.3 readSlab picks one slice and a frame range without reading the rest", async () => {
  const e = manifest.find((m) => m.file === "kspace_c128_chunked_gzip.mat")!;
  using mat = await openMat(FIX + e.file);
  const s = mat.readSlab(e.variable, [undefined, undefined, undefined, 1, [1, 3]]);
  assert.deepEqual(s.dims, [6, 5, 3, 1, 2]);
  assert.ok(s.data instanceof Float32Array);
  // element (x=2, y=4, c=1, slice 1, frame 2) sits at local (2, 4, 1, 0, 1)
  const local = 2 + 6 * (4 + 5 * (1 + 3 * (0 + 1 * 1)));
  const base = 2 + 10 * 4 + 100 * 1 + 1000 * 1 + 10000 * 2;
  assert.equal(s.data[2 * local], base + 0.25);
  assert.equal(s.data[2 * local + 1], -base / 2);
});

Deno.test("v7.3 readSlab fills a reused output buffer and rejects one of the wrong size", async () => {
  const e = manifest.find((m) => m.file === "kspace_c64_contiguous.mat")!;
  using mat = await openMat(FIX + e.file);
  const out = new Float32Array(2 * 6 * 5 * 3 * 4);
  for (const z of [0, 1]) {
    const s = mat.readSlab(e.variable, [, , , z], { out });
    assert.equal(s.data, out);
    const fresh = mat.readSlab(e.variable, [, , , z]);
    assert.deepEqual(s.data, fresh.data);
    assert.equal(out[0], 1000 * z + 0.25);
  }
  assert.throws(
    () => mat.readSlab(e.variable, [, , , 0], { out: new Float32Array(10) }),
    ShapeError,
  );
  const out64 = new Float64Array(2 * 6 * 5 * 3 * 4);
  assert.equal(mat.readSlab(e.variable, [, , , 1], { out: out64 }).data, out64);
  assert.equal(out64[1], -500);
});

Deno.test("v7.3 writer round trip: complex single slabs, logical mask, deflate", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/k.mat`;
  const dims = [9, 7, 4, 3, 5];
  const w = await MatV73Writer.create(path);
  w.createVariable("kspace_full", { dims, complex: true, deflate: 3 });
  for (let z = 0; z < 3; z++) {
    for (let t = 0; t < 5; t++) {
      const slab = new Float32Array(9 * 7 * 4 * 2).map((_, i) => i + 1000 * z + 10000 * t);
      w.writeSlab("kspace_full", [0, 0, 0, z, t], [9, 7, 4, 1, 1], slab);
    }
  }
  await w.close();
  // Nothing but the finished file is left in the folder.
  const names = [];
  for await (const f of Deno.readDir(dir)) names.push(f.name);
  assert.deepEqual(names, ["k.mat"]);
  const head = new Uint8Array(await Deno.readFile(path)).subarray(0, 128);
  assert.match(new TextDecoder().decode(head.subarray(0, 19)), /^MATLAB 7\.3 MAT-file/);
  assert.deepEqual([...head.subarray(124, 128)], [0, 2, 73, 77]);
  using r = await MatV73Reader.open(path);
  assert.deepEqual(r.info("kspace_full"), {
    name: "kspace_full",
    dims,
    matClass: "single",
    complex: true,
  });
  const s = r.readSlab("kspace_full", [undefined, undefined, undefined, 2, 4]);
  assert.equal(s.data[0], 2000 + 40000);
  assert.equal(s.data[s.data.length - 1], 9 * 7 * 4 * 2 - 1 + 2000 + 40000);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("v7.3 writeMatV73 keeps trailing singleton dims out and logical class in", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/m.mat`;
  const data = new Float32Array(12).map((_, i) => (i % 4 === 0 ? 1 : 0));
  await writeMatV73(path, [{
    name: "mask04",
    array: { dims: [3, 4, 1], matClass: "logical", complex: false, data },
  }]);
  const m = await readMatVar(path, "mask04");
  assert.deepEqual(m.dims, [3, 4]);
  assert.equal(m.matClass, "logical");
  assert.deepEqual([...m.data], [...data]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("v7.3 errors name the file: missing variable, bad range, not a MAT file, truncated", async () => {
  const file = FIX + "mask_double.mat";
  using mat = await openMat(file);
  assert.throws(() => mat.read("kspace_full"), (e: Error) => {
    assert.ok(e instanceof MatVariableError);
    assert.match(e.message, /mask_double\.mat.*no variable 'kspace_full'.*mask08/s);
    return true;
  });
  assert.throws(() => mat.readSlab("mask08", [[0, 7]]), ShapeError);
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/notes.mat`, "hello, this is not a MAT file".repeat(30));
  await assert.rejects(openMat(`${dir}/notes.mat`), (e: Error) => {
    assert.ok(e instanceof MatFormatError);
    assert.match(e.message, /notes\.mat: not a MATLAB file/);
    return true;
  });
  const bytes = await Deno.readFile(FIX + "kspace_c64_contiguous.mat");
  for (const cut of [600, 2048, bytes.length - 700]) {
    const p = `${dir}/cut${cut}.mat`;
    await Deno.writeFile(p, bytes.subarray(0, cut));
    await assert.rejects(
      (async () => {
        using m = await openMat(p);
        m.read("kspace_sub04");
      })(),
      (e: Error) => {
        assert.ok(e instanceof MatFormatError, `${cut}: ${e}`);
        assert.ok(e.message.includes(p));
        return true;
      },
    );
  }
  await assert.rejects(openMat(`${dir}/missing.mat`), /missing\.mat: cannot open/);
  await Deno.remove(dir, { recursive: true });
});

const py = "/usr/bin/python3";
const hasH5py = await new Deno.Command(py, { args: ["-c", "import h5py"], stderr: "null" })
  .output().then((o) => o.success).catch(() => false);

Deno.test({
  name: "v7.3 files we write load in h5py with reversed dims and the MATLAB header",
  ignore: !hasH5py,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const path = `${dir}/w.mat`;
    const dims = [5, 4, 2, 3];
    const data = new Float32Array(numel(dims) * 2).map((_, i) => i / 2);
    await writeMatV73(path, [{
      name: "kspace_full",
      array: { dims, matClass: "single", complex: true, data },
    }]);
    const script = `
import h5py, json, sys
f = h5py.File(sys.argv[1], "r")
d = f["kspace_full"]
print(json.dumps({"userblock": f.userblock_size, "shape": d.shape, "cls": d.attrs["MATLAB_class"].decode(),
  "v": [float(d[2, 1, 3, 4]["real"]), float(d[2, 1, 3, 4]["imag"])]}))`;
    const out = await new Deno.Command(py, { args: ["-c", script, path] }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const r = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.equal(r.userblock, 512);
    assert.deepEqual(r.shape, [3, 2, 4, 5]);
    assert.equal(r.cls, "single");
    const n = 4 + 5 * (3 + 4 * (1 + 2 * 2)); // MATLAB (5,4,2,3) element (4,3,1,2) 0-based
    assert.deepEqual(r.v, [data[2 * n], data[2 * n + 1]]);
    await Deno.remove(dir, { recursive: true });
  },
});

const hasOctave = await new Deno.Command("octave", { args: ["--version"], stdout: "null" })
  .output().then((o) => o.success).catch(() => false);

Deno.test({
  name: "v7.3 files we write load in Octave with MATLAB dims",
  ignore: !hasOctave,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const path = `${dir}/w.mat`;
    const dims = [5, 4, 2];
    const data = new Float32Array(numel(dims)).map((_, i) => i);
    await writeMatV73(path, [{
      name: "img",
      array: { dims, matClass: "single", complex: false, data },
    }]);
    const out = await new Deno.Command("octave", {
      args: [
        "--no-gui",
        "-q",
        "--eval",
        `x = load('${path}'); disp(size(x.img)); disp(x.img(3, 2, 2));`,
      ],
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.match(text, /5\s+4\s+2/);
    assert.match(text, new RegExp(`\\b${2 + 5 * (1 + 4 * 1)}\\b`));
    await Deno.remove(dir, { recursive: true });
  },
});
