/**
 * Tests of the MAT v5 reader and writer (src/mat/v5/).
 *
 * Golden files in tests/fixtures/mat/v5/ come from tests/reference/make_mat_v5_golden.py
 * (scipy.io.savemat, plus a big-endian conversion and a hand-built file with narrowed storage
 * types) and tests/reference/make_mat_v5_golden.m (Octave save -v6 / -v7). Their manifests
 * give, per variable, MATLAB dims, class, complex and a formula of the 0-based indices:
 * `value = offset + sum_d coef[d] * i_d`, then `% mod` when `mod` is given.
 *
 * The interop tests (scipy, Octave reading our files) are in v5_interop_test.ts.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { type CmrxError, MatFormatError, MatVariableError, ShapeError } from "../../src/errors.ts";
import type { MatArray, MatClass } from "../../src/mat/types.ts";
import { numel } from "../../src/mat/types.ts";
import {
  listMatV5,
  parseMatV5,
  parseMatV5Var,
  readMatV5,
  readMatV5Var,
} from "../../src/mat/v5/read.ts";
import { encodeMatV5, type MatV5Var, writeMatV5 } from "../../src/mat/v5/write.ts";

const FIXTURES = fileURLToPath(new URL("../fixtures/mat/v5/", import.meta.url));

// ------------------------------------------------------------------------------- manifests

interface Part {
  coef: number[];
  offset: number;
  mod?: number;
}

interface VarSpec {
  name: string;
  shape: number[];
  dims: number[];
  class: MatClass;
  complex: boolean;
  re: Part;
  im?: Part;
}

interface FileSpec {
  variables: VarSpec[];
  skipped: { name: string; kind: string }[];
  compressed: boolean;
}

function loadManifest(name: string): Record<string, FileSpec> {
  const m = JSON.parse(Deno.readTextFileSync(FIXTURES + name));
  return m.files;
}

const GOLDEN: Record<string, FileSpec> = {
  ...loadManifest("scipy_manifest.json"),
  ...loadManifest("octave_manifest.json"),
};

/** Value of a formula part at 0-based indices `idx`. */
function evalPart(p: Part, idx: readonly number[]): number {
  let v = p.offset;
  p.coef.forEach((c, d) => v += c * (idx[d] ?? 0));
  if (p.mod !== undefined) v = ((v % p.mod) + p.mod) % p.mod;
  return v;
}

/** Expected column-major data of a manifest variable (interleaved when complex). */
function expectedData(spec: VarSpec): number[] {
  const n = numel(spec.shape);
  const out: number[] = [];
  const idx = spec.shape.map(() => 0);
  for (let k = 0; k < n; k++) {
    let r = k;
    for (let d = 0; d < spec.shape.length; d++) {
      idx[d] = r % spec.shape[d];
      r = Math.floor(r / spec.shape[d]);
    }
    let re = evalPart(spec.re, idx);
    if (spec.class === "logical") re = re !== 0 ? 1 : 0;
    if (spec.class === "single") re = Math.fround(re);
    out.push(re);
    if (spec.complex) {
      const im = evalPart(spec.im!, idx);
      out.push(spec.class === "single" ? Math.fround(im) : im);
    }
  }
  return out;
}

function checkVar(file: string, spec: VarSpec, a: MatArray | undefined): void {
  const where = `${file}: ${spec.name}`;
  assert.ok(a, `${where} missing`);
  assert.deepEqual(a.dims, spec.dims, `${where} dims`);
  assert.equal(a.matClass, spec.class, `${where} class`);
  assert.equal(a.complex, spec.complex, `${where} complex`);
  assert.ok(
    spec.class === "single" ? a.data instanceof Float32Array : a.data instanceof Float64Array,
    `${where} data type ${a.data.constructor.name}`,
  );
  const want = expectedData(spec);
  assert.equal(a.data.length, want.length, `${where} length`);
  for (let k = 0; k < want.length; k++) {
    if (a.data[k] !== want[k]) {
      assert.fail(`${where}: data[${k}] = ${a.data[k]}, expected ${want[k]}`);
    }
  }
}

// ---------------------------------------------------------------------------- golden files

for (const [file, spec] of Object.entries(GOLDEN)) {
  Deno.test(`golden ${file}: every variable matches its formula`, async () => {
    const path = FIXTURES + file;
    const vars = await readMatV5(path);
    assert.deepEqual([...vars.keys()].sort(), spec.variables.map((v) => v.name).sort());
    for (const v of spec.variables) checkVar(file, v, vars.get(v.name));
  });

  Deno.test(`golden ${file}: listMatV5 and parseMatV5Var agree with the manifest`, () => {
    const bytes = Deno.readFileSync(FIXTURES + file);
    // Octave's save -struct writes the fields in alphabetical order, so compare by name
    const byName = (a: { name: string }, b: { name: string }) => a.name < b.name ? -1 : 1;
    const list = listMatV5(bytes, file).sort(byName);
    assert.deepEqual(
      list,
      [...spec.variables].sort(byName).map((v) => ({
        name: v.name,
        dims: v.dims,
        matClass: v.class,
        complex: v.complex,
      })),
    );
    for (const v of spec.variables) checkVar(file, v, parseMatV5Var(bytes, file, v.name));
    for (const s of spec.skipped) {
      assert.throws(() => parseMatV5Var(bytes, file, s.name), (e: unknown) => {
        assert.ok(e instanceof MatFormatError, String(e));
        assert.match(e.message, new RegExp(`'${s.name}' is a ${s.kind}`));
        assert.ok(e.message.startsWith(`${file}: `));
        return true;
      });
    }
  });
}

Deno.test("golden: the big-endian file reads the same as the little-endian one", () => {
  const le = parseMatV5(Deno.readFileSync(FIXTURES + "scipy.mat"), "scipy.mat");
  const be = parseMatV5(Deno.readFileSync(FIXTURES + "scipy_be.mat"), "scipy_be.mat");
  assert.equal(be.size, 21);
  assert.deepEqual(be, le);
});

Deno.test("golden: compressed and uncompressed scipy files read the same", () => {
  const a = parseMatV5(Deno.readFileSync(FIXTURES + "scipy.mat"), "a");
  const b = parseMatV5(Deno.readFileSync(FIXTURES + "scipy_z.mat"), "b");
  assert.deepEqual(b, a);
  // the element named in the notes: s4(2,3,1,2) (1-based) = 1 + 20 + 0 + 1000 + 0.5
  const s4 = a.get("s4")!;
  assert.equal(s4.data[1 + 5 * (2 + 4 * (0 + 2 * 1))], 1021.5);
});

Deno.test("golden: readMatV5Var reads one variable and names missing ones", async () => {
  const path = FIXTURES + "scipy_mixed_z.mat";
  const x = await readMatV5Var(path, "x");
  assert.deepEqual(x.dims, [3, 4, 2]);
  await assert.rejects(() => readMatV5Var(path, "img4ranking"), (e: unknown) => {
    assert.ok(e instanceof MatVariableError, String(e));
    assert.ok(e.message.startsWith(`${path}: no variable 'img4ranking'`), e.message);
    assert.match(e.message, /x \(single 3x4x2\)/);
    assert.match(e.message, /st \(struct, not read\)/);
    assert.match(e.message, /y \(double 2x2\)/);
    return true;
  });
  await assert.rejects(
    () => readMatV5Var(FIXTURES + "no-such-file.mat", "x"),
    Deno.errors.NotFound,
  );
});

// ----------------------------------------------------------------------------- round trips

const ALL_CLASSES: MatClass[] = [
  "double",
  "single",
  "int8",
  "uint8",
  "int16",
  "uint16",
  "int32",
  "uint32",
  "int64",
  "uint64",
  "logical",
];

/** Deterministic values that fit `cls`. */
function sample(cls: MatClass, dims: number[], complex: boolean): MatArray {
  const n = numel(dims);
  const data = cls === "single"
    ? new Float32Array(complex ? 2 * n : n)
    : new Float64Array(complex ? 2 * n : n);
  const signed = cls.startsWith("int");
  for (let k = 0; k < n; k++) {
    let re: number, im: number;
    if (cls === "logical") {
      re = k % 3 === 0 ? 1 : 0;
      im = 0;
    } else if (cls === "single" || cls === "double") {
      re = k * 0.25 - 17.5 + (cls === "double" ? 1e-9 * k : 0);
      im = 0.5 - (k % 13);
    } else {
      re = ((k * 37) % 101) - (signed ? 50 : 0);
      im = signed ? 6 - (k % 13) : k % 13;
    }
    if (complex) {
      data[2 * k] = re;
      data[2 * k + 1] = im;
    } else data[k] = re;
  }
  return { dims, matClass: cls, complex, data };
}

for (const compress of [false, true]) {
  Deno.test(`round trip: every class, real and complex (compress=${compress})`, () => {
    const vars: MatV5Var[] = [];
    for (const cls of ALL_CLASSES) {
      for (const complex of cls === "logical" ? [false] : [false, true]) {
        vars.push({
          name: `${cls}_${complex ? "c" : "r"}`,
          array: sample(cls, [5, 4, 2, 3], complex),
        });
      }
    }
    vars.push({ name: "a", array: sample("single", [1, 1], false) });
    vars.push({ name: "empty", array: sample("double", [0, 0], false) });
    vars.push({ name: "empty_c", array: sample("single", [0, 3], true) });
    vars.push({ name: "img4ranking", array: sample("single", [171, 123, 2, 3], false) });
    const bytes = encodeMatV5(vars, { compress });
    const got = parseMatV5(bytes, "rt.mat");
    assert.deepEqual([...got.keys()], vars.map((v) => v.name));
    for (const v of vars) assert.deepEqual(got.get(v.name), v.array, v.name);
    assert.deepEqual(
      listMatV5(bytes, "rt.mat"),
      vars.map((v) => ({
        name: v.name,
        dims: v.array.dims,
        matClass: v.array.matClass,
        complex: v.array.complex,
      })),
    );
    const one = parseMatV5Var(bytes, "rt.mat", "int16_c");
    assert.deepEqual(one, vars.find((v) => v.name === "int16_c")!.array);
  });
}

Deno.test("round trip: dims are normalised as MATLAB does", () => {
  const cases: [number[], number[]][] = [
    [[3, 4, 1, 1], [3, 4]],
    [[3, 1, 2], [3, 1, 2]],
    [[5], [5, 1]],
    [[], [1, 1]],
    [[1, 1, 1], [1, 1]],
  ];
  for (const [dims, want] of cases) {
    const n = numel(dims);
    const array: MatArray = {
      dims,
      matClass: "single",
      complex: false,
      data: Float32Array.from({ length: n }, (_, k) => k),
    };
    const got = parseMatV5Var(encodeMatV5([{ name: "v", array }]), "t", "v");
    assert.deepEqual(got.dims, want, JSON.stringify(dims));
    assert.deepEqual(got.data, array.data);
  }
});

Deno.test("round trip: double data written as single is rounded to float32", () => {
  const data = Float64Array.from([0.1, 1 / 3, -2.5, 1e10 + 1]);
  const bytes = encodeMatV5([{
    name: "x",
    array: { dims: [2, 2], matClass: "single", complex: false, data },
  }]);
  const got = parseMatV5Var(bytes, "t", "x");
  assert.ok(got.data instanceof Float32Array);
  assert.deepEqual(Array.from(got.data), Array.from(data, Math.fround));
});

Deno.test("encode: layout of an uncompressed single array matches the MAT v5 spec", () => {
  const array = sample("single", [5, 4, 2, 3], false);
  const date = new Date(Date.UTC(2024, 2, 5, 9, 8, 7));
  const bytes = encodeMatV5([{ name: "img4ranking", array }], { date });
  // header + miMATRIX tag + flags + dims + name (11 -> 16) + real part
  assert.equal(bytes.length, 128 + 8 + 16 + (8 + 16) + (8 + 16) + (8 + 480));
  const text = new TextDecoder().decode(bytes.subarray(0, 116));
  assert.match(
    text,
    /^MATLAB 5\.0 MAT-file, Platform: [\w-]+, Created on: Tue Mar {2}5 09:08:07 2024 UTC by cmrxkit +$/,
  );
  assert.deepEqual([...bytes.subarray(124, 128)], [0x00, 0x01, 0x49, 0x4d]);
  const dv = new DataView(bytes.buffer);
  assert.equal(dv.getUint32(128, true), 14); // miMATRIX
  assert.equal(dv.getUint32(132, true), bytes.length - 136);
  assert.equal(dv.getUint32(144, true), 7); // mxSINGLE_CLASS, no flags
  assert.deepEqual([0, 1, 2, 3].map((k) => dv.getInt32(160 + 4 * k, true)), [5, 4, 2, 3]);
  assert.equal(dv.getUint32(200, true), 7); // miSINGLE
  assert.equal(dv.getFloat32(208 + 4 * 7, true), array.data[7]);
  // reproducible
  assert.deepEqual(encodeMatV5([{ name: "img4ranking", array }], { date }), bytes);
  // small data element for names of at most 4 characters
  const small = encodeMatV5([{ name: "abcd", array }], { date });
  assert.equal(small.length, bytes.length - 16);
  // SOURCE_DATE_EPOCH fixes the default date (reproducible builds and sharded runs)
  Deno.env.set("SOURCE_DATE_EPOCH", String(date.getTime() / 1000));
  try {
    assert.deepEqual(encodeMatV5([{ name: "img4ranking", array }]), bytes);
  } finally {
    Deno.env.delete("SOURCE_DATE_EPOCH");
  }
  const custom = encodeMatV5([{ name: "a", array }], { header: "made by a test" });
  assert.equal(
    new TextDecoder().decode(custom.subarray(0, 35)),
    "MATLAB 5.0 MAT-file, made by a test",
  );
});

Deno.test("encode: a 171x123x2x3 single img4ranking has the exact MAT v5 byte layout", () => {
  const array = sample("single", [171, 123, 2, 3], false);
  const bytes = encodeMatV5([{ name: "img4ranking", array }]);
  // header 128, miMATRIX tag 8, flags 16, dims tag+4 int32 24, name tag+11 chars padded 24,
  // data tag 8 + float32 values.
  assert.equal(bytes.length, 128 + 8 + 16 + 24 + 24 + 8 + 4 * numel(array.dims));
  const back = parseMatV5(bytes, "t").get("img4ranking")!;
  assert.deepEqual(back.dims, [171, 123, 2, 3]);
  assert.deepEqual(back.data, array.data);
});

// ---------------------------------------------------------------------------- encode errors

Deno.test("encode errors: names, shapes, values and options are validated", () => {
  const ok = sample("single", [2, 3], false);
  const bad = (vars: MatV5Var[], type: typeof CmrxError, re: RegExp, opts = {}) =>
    assert.throws(() => encodeMatV5(vars, { file: "out.mat", ...opts }), (e: unknown) => {
      assert.ok(e instanceof type, `${e}`);
      assert.ok(e.message.startsWith("out.mat: "), e.message);
      assert.match(e.message, re);
      return true;
    });
  for (const name of ["", "1abc", "a-b", "_x", "é", "a".repeat(64)]) {
    bad([{ name, array: ok }], MatFormatError, /invalid MATLAB variable name/);
  }
  assert.doesNotThrow(() => encodeMatV5([{ name: "a".repeat(63), array: ok }]));
  bad([{ name: "a", array: ok }, { name: "a", array: ok }], MatFormatError, /twice/);
  bad(
    [{ name: "a", array: { ...ok, dims: [2, 4] } }],
    ShapeError,
    /need 8 values, but data holds 6/,
  );
  bad([{ name: "a", array: { ...ok, complex: true } }], ShapeError, /need 12 values/);
  bad([{ name: "a", array: { ...ok, dims: [2, -3] } }], ShapeError, /invalid dimension/);
  bad([{ name: "a", array: { ...ok, dims: [2, 1.5] } }], ShapeError, /invalid dimension/);
  const ints = (matClass: MatClass, values: number[]): MatV5Var[] => [{
    name: "m",
    array: { dims: [1, values.length], matClass, complex: false, data: Float64Array.from(values) },
  }];
  bad(ints("uint8", [0, 256]), ShapeError, /value 256 at index 1 does not fit class uint8/);
  bad(ints("int8", [-129]), ShapeError, /does not fit class int8/);
  bad(ints("int16", [1.5]), ShapeError, /does not fit class int16/);
  bad(ints("int32", [NaN]), ShapeError, /does not fit class int32/);
  bad(ints("int64", [2 ** 63]), ShapeError, /does not fit class int64/);
  bad(ints("logical", [0, 1, 2]), ShapeError, /does not fit class logical/);
  assert.doesNotThrow(() => encodeMatV5(ints("uint8", [0, 255])));
  bad(
    [{
      name: "m",
      array: { ...sample("logical", [2, 2], false), complex: true, data: new Float64Array(8) },
    }],
    ShapeError,
    /cannot be complex/,
  );
  bad([{ name: "a", array: ok }], MatFormatError, /header text/, { header: "x".repeat(100) });
  bad([{ name: "a", array: ok }], MatFormatError, /compression level/, {
    compress: true,
    level: 10,
  });
});

// ----------------------------------------------------------------------------- parse errors

function assertFormatError(bytes: Uint8Array, file: string, re?: RegExp): void {
  assert.throws(() => parseMatV5(bytes, file), (e: unknown) => {
    assert.ok(e instanceof MatFormatError, `expected MatFormatError, got ${e}`);
    assert.ok(e.message.startsWith(`${file}: `), e.message);
    if (re) assert.match(e.message, re);
    return true;
  });
}

Deno.test("parse errors: not a MAT file, MAT v7.3, bad header", () => {
  const enc = new TextEncoder();
  assertFormatError(new Uint8Array(0), "empty.mat", /not a MAT file/);
  assertFormatError(
    enc.encode("hello world, this is text\n".repeat(10)),
    "t.txt",
    /not a MAT file/,
  );
  assertFormatError(enc.encode("MATLAB 5.0 MAT-file"), "short.mat", /128-byte MAT header/);
  const h = new Uint8Array(512);
  h.set(enc.encode("MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: x HDF5 schema 1.00 ."));
  h.set([0x00, 0x02, 0x49, 0x4d], 124);
  assertFormatError(h, "v73.mat", /MAT v7\.3 \(HDF5\)/);
  const good = encodeMatV5([{ name: "a", array: sample("single", [2, 2], false) }]);
  const badEndian = good.slice();
  badEndian.set(enc.encode("XX"), 126);
  assertFormatError(badEndian, "e.mat", /endian indicator/);
  const badVersion = good.slice();
  badVersion[125] = 7;
  assertFormatError(badVersion, "v.mat", /version 0x0700/);
  const badType = good.slice();
  badType[128] = 3;
  assertFormatError(badType, "ty.mat", /unexpected data element type 3/);
});

Deno.test("parse errors: truncated files at chosen offsets", () => {
  const file = FIXTURES + "scipy.mat";
  const bytes = Deno.readFileSync(file);
  for (const cut of [100, 127, 130, 140, 200, 333, 1000, bytes.length - 5, bytes.length - 1]) {
    assertFormatError(bytes.subarray(0, cut), file, cut < 128 ? /header/ : /end/);
  }
  const z = Deno.readFileSync(FIXTURES + "scipy_z.mat");
  for (const cut of [131, 150, 400, z.length - 3]) {
    assertFormatError(z.subarray(0, cut), "z.mat", /end/);
  }
  // a compressed element whose zlib stream is cut short (its tag says so too)
  const enc = encodeMatV5([{ name: "x", array: sample("double", [40, 40], false) }], {
    compress: true,
  });
  const short = enc.slice(0, enc.length - 10);
  new DataView(short.buffer).setUint32(132, short.length - 136, true);
  assertFormatError(short, "zs.mat", /cannot be inflated/);
  // listing inflates only the variable's header, so it does not notice the cut data
  assert.deepEqual(listMatV5(short, "zs.mat").map((v) => v.name), ["x"]);
  assert.throws(() => parseMatV5Var(short, "zs.mat", "x"), MatFormatError);
});

Deno.test("parse errors: every truncation and random corruption gives MatFormatError", () => {
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const tryAll = (bytes: Uint8Array, file: string) => {
    for (const f of [parseMatV5, listMatV5] as const) {
      try {
        f(bytes, file);
      } catch (e) {
        if (!(e instanceof MatFormatError) || !e.message.startsWith(`${file}: `)) {
          assert.fail(`unexpected ${e instanceof Error ? e.stack : e}`);
        }
      }
    }
  };
  for (const name of ["scipy.mat", "scipy_z.mat", "narrow.mat", "octave_v7.mat", "scipy_be.mat"]) {
    const bytes = Deno.readFileSync(FIXTURES + name);
    for (let cut = 0; cut < bytes.length; cut++) tryAll(bytes.subarray(0, cut), name);
    for (let i = 0; i < 400; i++) {
      const b = bytes.slice();
      const flips = 1 + Math.floor(rand() * 4);
      for (let j = 0; j < flips; j++) {
        b[128 + Math.floor(rand() * (b.length - 128))] = Math.floor(rand() * 256);
      }
      tryAll(b, name);
    }
  }
});

// --------------------------------------------------------------------------------- writing

Deno.test("writeMatV5: atomic write, overwrite, no temp files left on failure", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cmrxkit-v5-" });
  try {
    const path = `${dir}/out.mat`;
    const array = sample("single", [5, 4, 2, 3], true);
    await writeMatV5(path, [{ name: "img4ranking", array }]);
    assert.deepEqual(await readMatV5Var(path, "img4ranking"), array);
    const other = sample("double", [3, 3], false);
    await writeMatV5(path, [{ name: "b", array: other }], { compress: true, level: 9 });
    assert.deepEqual([...(await readMatV5(path)).entries()], [["b", other]]);
    // encode failure: nothing written
    await assert.rejects(
      () => writeMatV5(`${dir}/bad.mat`, [{ name: "bad name", array }]),
      (e: unknown) => e instanceof MatFormatError && e.message.startsWith(`${dir}/bad.mat: `),
    );
    // file-system failure: folder missing
    await assert.rejects(() => writeMatV5(`${dir}/missing/x.mat`, [{ name: "a", array }]));
    // rename failure: target is a non-empty folder; the temp file must be removed
    await Deno.mkdir(`${dir}/adir/sub`, { recursive: true });
    await assert.rejects(() => writeMatV5(`${dir}/adir`, [{ name: "a", array }]));
    const names = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    assert.deepEqual(names.sort(), ["adir", "out.mat"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
