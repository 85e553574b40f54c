/**
 * Interop tests of the MAT v5 writer (src/mat/v5/write.ts): tests/reference/check_written_mat.py
 * (scipy) and tests/reference/check_written_mat.m (Octave) read files written by our writer.
 * They are ignored (reported as such) when scipy or Octave is missing. The reader and writer
 * themselves are tested in v5_test.ts.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import type { MatArray, MatClass } from "../../src/mat/types.ts";
import { numel } from "../../src/mat/types.ts";
import { type MatV5Var, writeMatV5 } from "../../src/mat/v5/write.ts";

const REFERENCE = fileURLToPath(new URL("../reference/", import.meta.url));

const PYTHON = "/usr/bin/python3";

function runs(cmd: string, args: string[]): boolean {
  try {
    return new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).outputSync().success;
  } catch {
    return false;
  }
}

const HAVE_SCIPY = runs(PYTHON, ["-c", "import numpy, scipy.io"]);
const HAVE_OCTAVE = runs("octave", ["--version"]);

/** Formula arrays for the interop files, written by our writer. */
function interopVars(): MatV5Var[] {
  const f = (
    cls: MatClass,
    dims: number[],
    complex: boolean,
    re: (k: number) => number,
    im = (k: number) => -k / 4,
  ): MatArray => {
    const n = numel(dims);
    const data = cls === "single"
      ? new Float32Array(complex ? 2 * n : n)
      : new Float64Array(complex ? 2 * n : n);
    for (let k = 0; k < n; k++) {
      if (complex) {
        data[2 * k] = re(k);
        data[2 * k + 1] = im(k);
      } else data[k] = re(k);
    }
    return { dims, matClass: cls, complex, data };
  };
  const img = f("single", [171, 123, 2, 3], false, (k) => {
    // A(i,j,s,t) = i + 1000*j + 0.5*s + 0.25*t (0-based); exact in float32
    const i = k % 171, j = Math.floor(k / 171) % 123, s = Math.floor(k / 21033) % 2;
    const t = Math.floor(k / 42066);
    return i + 1000 * j + 0.5 * s + 0.25 * t;
  });
  return [
    { name: "img4ranking", array: img },
    { name: "cs", array: f("single", [4, 3, 2, 2], true, (k) => k + 0.5) },
    { name: "d2", array: f("double", [6, 7], false, (k) => k * 0.125 - 3) },
    { name: "cd", array: f("double", [3, 5], true, (k) => 2 * k, (k) => 1 - k) },
    { name: "mask", array: f("logical", [5, 6], false, (k) => k % 3 === 0 ? 1 : 0) },
    { name: "u8", array: f("uint8", [4, 4], false, (k) => k * 15) },
    { name: "i16", array: f("int16", [3, 4, 2], false, (k) => 1000 * k - 12000) },
    { name: "sc", array: f("double", [1, 1], false, () => 3.25) },
    { name: "vec", array: f("single", [1, 9], false, (k) => k) },
    { name: "empty", array: f("double", [0, 0], false, () => 0) },
  ];
}

/** Expected summary of an array: values as MATLAB sees them (complex as [re, im]). */
function summary(a: MatArray) {
  const n = numel(a.dims);
  const at = (k: number): number | number[] =>
    a.complex ? [a.data[2 * k], a.data[2 * k + 1]] : a.data[k];
  const probeIndex = a.dims.map((d) => Math.floor(d / 2));
  let flat = 0;
  for (let d = a.dims.length - 1; d >= 0; d--) flat = flat * a.dims[d] + probeIndex[d];
  let sre = 0, sim = 0;
  for (let k = 0; k < n; k++) {
    if (a.complex) {
      sre += a.data[2 * k];
      sim += a.data[2 * k + 1];
    } else sre += a.data[k];
  }
  return {
    first: Array.from({ length: Math.min(8, n) }, (_, k) => at(k)),
    last: Array.from({ length: Math.min(8, n) }, (_, k) => at(n - Math.min(8, n) + k)),
    probeIndex,
    probe: n ? at(flat) : null,
    sum: a.complex ? [sre, sim] : sre,
  };
}

function closeTo(got: unknown, want: unknown, what: string): void {
  const g = [got].flat(2) as number[];
  const w = [want].flat(2) as number[];
  assert.equal(g.length, w.length, what);
  g.forEach((x, k) =>
    assert.ok(Math.abs(x - w[k]) <= 1e-12 * Math.max(1, Math.abs(w[k])), `${what}: ${g} vs ${w}`)
  );
}

const NUMPY_DTYPE: Record<string, string> = {
  single: "float32",
  double: "float64",
  logical: "uint8", // scipy.io.loadmat returns logical arrays as uint8
  uint8: "uint8",
  int16: "int16",
};

Deno.test({
  name: "interop: scipy.io.loadmat reads files written by encodeMatV5",
  ignore: !HAVE_SCIPY,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "cmrxkit-v5-py-" });
    try {
      const vars = interopVars();
      const files = [`${dir}/plain.mat`, `${dir}/z.mat`];
      await writeMatV5(files[0], vars);
      await writeMatV5(files[1], vars, { compress: true });
      const out = await new Deno.Command(PYTHON, {
        args: [REFERENCE + "check_written_mat.py", ...files],
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.ok(out.success, stderr);
      const report = JSON.parse(new TextDecoder().decode(out.stdout));
      for (const file of files) {
        const got = report.files[file];
        assert.deepEqual(got.version, [1, 0]);
        assert.deepEqual(
          got.variables.map((v: { name: string }) => v.name),
          vars.map((v) => v.name),
        );
        for (const { name, array } of vars) {
          const v = got.variables.find((x: { name: string }) => x.name === name);
          const want = summary(array);
          const what = `${file} ${name}`;
          assert.deepEqual(v.shape, array.dims, what);
          const dtype = NUMPY_DTYPE[array.matClass];
          assert.equal(
            v.dtype,
            array.complex ? (dtype === "float32" ? "complex64" : "complex128") : dtype,
            what,
          );
          assert.equal(v.complex, array.complex, what);
          closeTo(v.first, want.first, `${what} first`);
          closeTo(v.last, want.last, `${what} last`);
          assert.deepEqual(v.probe_index, want.probeIndex, what);
          if (want.probe !== null) closeTo(v.probe, want.probe, `${what} probe`);
          closeTo(v.sum, want.sum, `${what} sum`);
        }
        // img4ranking at 0-based (85, 61, 1, 1) = 85 + 1000 * 61 + 0.5 + 0.25
        const img = got.variables[0];
        assert.deepEqual(img.shape, [171, 123, 2, 3]);
        assert.equal(img.dtype, "float32");
        assert.equal(img.probe, 85 + 61000 + 0.5 + 0.25);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "interop: Octave load() reads files written by encodeMatV5",
  ignore: !HAVE_OCTAVE,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "cmrxkit-v5-oct-" });
    try {
      const vars = interopVars();
      const files = [`${dir}/plain.mat`, `${dir}/z.mat`];
      await writeMatV5(files[0], vars);
      await writeMatV5(files[1], vars, { compress: true });
      const out = await new Deno.Command("octave", {
        args: ["--no-gui", "--quiet", REFERENCE + "check_written_mat.m", ...files],
      }).output();
      const stdout = new TextDecoder().decode(out.stdout);
      const line = stdout.split("\n").find((l) => l.startsWith("JSON: "));
      assert.ok(line, `no JSON from octave: ${stdout}\n${new TextDecoder().decode(out.stderr)}`);
      const report = JSON.parse(line.slice(6));
      for (const [f, file] of files.entries()) {
        const got = report.files[f];
        assert.equal(got.file, file);
        assert.deepEqual(
          got.variables.map((v: { name: string }) => v.name).sort(),
          vars.map((v) => v.name).sort(),
        );
        for (const { name, array } of vars) {
          const v = got.variables.find((x: { name: string }) => x.name === name);
          const want = summary(array);
          const what = `${file} ${name}`;
          assert.deepEqual(v.size, array.dims, what);
          assert.equal(v.class, array.matClass, what);
          assert.equal(v.complex, array.complex, what);
          closeTo(v.first, want.first, `${what} first`);
          closeTo(v.last, want.last, `${what} last`);
          assert.deepEqual(v.probe_index, want.probeIndex, what);
          if (want.probe !== null) closeTo(v.probe, want.probe, `${what} probe`);
          closeTo(v.sum, want.sum, `${what} sum`);
        }
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
