import assert from "node:assert/strict";
import { MatFormatError, ShapeError } from "../../src/errors.ts";
import { decodeNpy, encodeNpy, readNpy, writeNpy } from "../../src/mat/npy.ts";
import { PYTHON, pythonHas } from "../train/python.ts";

// .npy v1.0, '<f4', C order: the header is 64-byte aligned and numpy.load reads the values
// back bit for bit (NaN payloads, -0, denormals, infinities included).

const numpy = pythonHas("numpy");
if (!numpy) {
  console.warn(
    `notice: ${PYTHON} lacks numpy; the numpy.load checks of tests/mat/npy_test.ts are skipped ` +
      "(apt-get install python3-numpy)",
  );
}

/** Awkward values: signed zero, denormals, extremes, infinities, a NaN with a payload. */
function awkward(n: number): Float32Array {
  const a = new Float32Array(n);
  const u = new Uint32Array(a.buffer);
  for (let i = 0; i < n; i++) a[i] = Math.sin(i * 1.7) * 10 ** ((i % 13) - 6);
  a[0] = -0;
  u[1] = 0x00000001; // smallest denormal
  u[2] = 0x7f7fffff; // largest finite
  a[3] = Infinity;
  a[4] = -Infinity;
  u[5] = 0x7fc12345; // NaN with a payload
  return a;
}

Deno.test("encodeNpy: v1.0 preamble, header padded to 64 bytes, '<f4' C order, values little-endian", () => {
  const bytes = encodeNpy(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
  assert.deepEqual([...bytes.subarray(0, 8)], [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  const hlen = bytes[8] | (bytes[9] << 8);
  assert.equal((10 + hlen) % 64, 0);
  const dict = new TextDecoder().decode(bytes.subarray(10, 10 + hlen));
  assert.ok(dict.endsWith("\n"));
  assert.equal(dict.trimEnd(), "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }");
  assert.equal(bytes.length, 10 + hlen + 24);
  const back = decodeNpy(bytes);
  assert.deepEqual(back.dims, [2, 3]);
  assert.deepEqual([...back.data], [1, 2, 3, 4, 5, 6]);
  // one dim is written as a 1-tuple
  assert.match(new TextDecoder().decode(encodeNpy(new Float32Array(3), [3])), /'shape': \(3,\)/);
});

Deno.test("encodeNpy refuses dims that do not hold the data; decodeNpy refuses other dtypes", () => {
  assert.throws(() => encodeNpy(new Float32Array(5), [2, 3]), ShapeError);
  const f8 = encodeNpy(new Float32Array(2), [2]);
  const text = new TextDecoder().decode(f8).replace("<f4", "<f8");
  assert.throws(() => decodeNpy(new TextEncoder().encode(text), "x.npy"), MatFormatError);
  assert.throws(() => decodeNpy(new Uint8Array(20), "x.npy"), /no \\x93NUMPY magic/);
});

Deno.test({
  name: "numpy.load reads writeNpy's files back bit-exactly (shape, dtype, order)",
  ignore: !numpy,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "cmrxkit-npy-" });
    const cases: [string, number[]][] = [["a", [2, 3, 4, 2]], ["b", [7]], ["c", [1, 5, 1, 3]]];
    for (const [name, dims] of cases) {
      await writeNpy(`${dir}/${name}.npy`, awkward(dims.reduce((a, b) => a * b, 1)), dims);
    }
    const script = `
import numpy as np, sys, json
out = {}
for name in sys.argv[2:]:
    a = np.load(sys.argv[1] + "/" + name + ".npy")
    out[name] = {"dtype": a.dtype.str, "shape": list(a.shape), "c": bool(a.flags.c_contiguous),
                 "bits": a.reshape(-1).view("<u4").tolist()}
print(json.dumps(out))
`;
    const r = await new Deno.Command(PYTHON, {
      args: ["-c", script, dir, ...cases.map((c) => c[0])],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
    const got = JSON.parse(new TextDecoder().decode(r.stdout));
    for (const [name, dims] of cases) {
      const want = awkward(dims.reduce((a, b) => a * b, 1));
      assert.equal(got[name].dtype, "<f4");
      assert.deepEqual(got[name].shape, dims);
      assert.equal(got[name].c, true);
      assert.deepEqual(got[name].bits, [...new Uint32Array(want.buffer)], `${name}: bits differ`);
      const back = await readNpy(`${dir}/${name}.npy`);
      assert.deepEqual([...new Uint32Array(back.data.buffer)], [...new Uint32Array(want.buffer)]);
    }
    // and a file numpy wrote is read by readNpy
    const w = await new Deno.Command(PYTHON, {
      args: [
        "-c",
        "import numpy as np, sys; np.save(sys.argv[1], np.arange(24, dtype='<f4').reshape(2,3,4) / 7)",
        `${dir}/np.npy`,
      ],
    }).output();
    assert.equal(w.code, 0);
    const np = await readNpy(`${dir}/np.npy`);
    assert.deepEqual(np.dims, [2, 3, 4]);
    assert.deepEqual([...np.data], [...Float32Array.from({ length: 24 }, (_, i) => i / 7)]);
    await Deno.remove(dir, { recursive: true });
  },
});
