/**
 * Damaged, hostile and unusual input to the MATLAB file layer (issue 17): non-regular files,
 * dims with no data behind them, bad checksums, compression bombs, unusable variable types,
 * unsupported HDF5 filters, truncations and flipped bytes. Every failure must be a
 * `CmrxError` naming the file, never a stack trace, a hang or a silent wrong answer.
 *
 * Files are made at test time: with cmrxkit's own writers where possible, with h5py for
 * HDF5 features cmrxkit does not write (those tests are ignored when h5py is missing).
 */

import assert from "node:assert/strict";
import { Zlib, zlibSync } from "fflate";
import { inspect } from "../../cli/inspect.ts";
import { CmrxError, MatFormatError, ShapeError } from "../../src/errors.ts";
import { readMappingCsv } from "../../src/challenge/maps/csv.ts";
import { parseNifti, readNifti } from "../../src/mapping/nifti.ts";
import { readHead } from "../../src/mat/header.ts";
import { type MatReader, openMat } from "../../src/mat/read.ts";
import { MatV73Reader } from "../../src/mat/v73/read.ts";
import { MatV73Writer, writeMatV73 } from "../../src/mat/v73/write.ts";
import {
  listMatV5,
  listMatV5All,
  parseMatV5,
  parseMatV5Var,
  readMatV5,
} from "../../src/mat/v5/read.ts";
import { encodeMatV5, writeMatV5 } from "../../src/mat/v5/write.ts";
import { niftiHeader } from "../mapping/nifti_fixture.ts";

const py = "/usr/bin/python3";
const hasH5py = await new Deno.Command(py, { args: ["-c", "import h5py"], stderr: "null" })
  .output().then((o) => o.success).catch(() => false);
if (!hasH5py) {
  console.log("notice: python3-h5py is missing; the h5py-made damage tests are ignored");
}

/** Asserts `p` rejects with a CmrxError whose message names `file` and matches `re`. */
async function rejectsNaming(p: Promise<unknown>, file: string, re: RegExp, cls = CmrxError) {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${e instanceof Error ? e.stack : e}`);
    assert.ok(e.message.startsWith(`${file}: `), e.message);
    assert.match(e.message, re);
    assert.match(e.message, /fix: /);
    return true;
  });
}

function throwsNaming(f: () => unknown, file: string, re: RegExp, cls = CmrxError) {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${e instanceof Error ? e.stack : e}`);
    assert.ok(e.message.startsWith(`${file}: `), e.message);
    assert.match(e.message, re);
    return true;
  });
}

async function h5py(script: string, ...args: string[]): Promise<void> {
  const out = await new Deno.Command(py, { args: ["-c", script, ...args] }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
}

/** Runs `f` with a new temporary folder, removed afterwards. */
async function inTempDir(f: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "cmrxkit-damage-" });
  try {
    await f(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * A test, ignored without h5py: the h5py `script` writes `file` (its path as argv[1]) in a
 * temporary folder, and `check` gets its path and the file opened with openMat.
 */
function h5pyTest(
  name: string,
  file: string,
  script: string,
  check: (path: string, mat: MatReader) => Promise<void> | void,
): void {
  Deno.test({
    name,
    ignore: !hasH5py,
    fn: () =>
      inTempDir(async (dir) => {
        const path = `${dir}/${file}`;
        await h5py(script, path);
        using mat = await openMat(path);
        await check(path, mat);
      }),
  });
}

/** Gives MATLAB's 512-byte v7.3 header to an HDF5 file made with userblock_size=512. */
const H5PY_HEADER = `
def matlab_header(name):
    with open(name, "r+b") as f:
        f.write(b"MATLAB 7.3 MAT-file".ljust(116) + b"\\0" * 8 + b"\\x00\\x02IM")
`;

// ------------------------------------------------------------------------ non-regular files

Deno.test("a FIFO, directory, /dev/zero link, dangling link or link loop is refused by name, without blocking", async () => {
  await inTempDir(async (dir) => {
    const fifo = `${dir}/fifo.mat`;
    const made = await new Deno.Command("mkfifo", { args: [fifo] }).output()
      .then((o) => o.success).catch(() => false);
    const cases: [string, RegExp][] = [
      [`${dir}/dir.mat`, /is a directory/],
      [`${dir}/zero.mat`, /character device/],
      [`${dir}/dangling.mat`, /link whose target does not exist/],
      [`${dir}/loop.mat`, /link loop/],
    ];
    if (made) cases.push([fifo, /named pipe \(FIFO\)/]);
    await Deno.mkdir(`${dir}/dir.mat`);
    await Deno.symlink("/dev/zero", `${dir}/zero.mat`);
    await Deno.symlink(`${dir}/nothing.mat`, `${dir}/dangling.mat`);
    await Deno.symlink(`${dir}/loop2.mat`, `${dir}/loop.mat`);
    await Deno.symlink(`${dir}/loop.mat`, `${dir}/loop2.mat`);
    for (const [path, re] of cases) {
      await rejectsNaming(openMat(path), path, re);
      await rejectsNaming(readHead(path), path, re);
      await rejectsNaming(MatV73Reader.open(path), path, re);
      await rejectsNaming(readMatV5(path), path, re);
      await rejectsNaming(readNifti(path), path, re);
      await rejectsNaming(readMappingCsv(path), path, re);
    }
  });
});

// ------------------------------------------------- v7.3: declared dims with no data behind

Deno.test("openMat stats the file once (v5 and v7.3)", async () => {
  await inTempDir(async (dir) => {
    const stat = Deno.stat;
    await writeMatV5(`${dir}/a.mat`, [{ name: "x", array: img }]);
    await writeMatV73(`${dir}/b.mat`, [{ name: "x", array: img }]);
    for (const f of ["a.mat", "b.mat"]) {
      let calls = 0;
      Object.assign(Deno, {
        stat: (p: string | URL) => {
          calls++;
          return stat(p);
        },
      });
      try {
        using mat = await openMat(`${dir}/${f}`);
        assert.deepEqual(mat.info("x").dims, [8, 6]);
      } finally {
        Object.assign(Deno, { stat });
      }
      assert.equal(calls, 1, `${f}: ${calls} stats`);
    }
  });
});

Deno.test("v7.3 dims with no data behind them (5e7 kx, 2^61 frames) are unusable before any allocation", async () => {
  await inTempDir(async (dir) => {
    const path = `${dir}/k.mat`;
    const w = await MatV73Writer.create(path);
    // created, never written: the file declares the dims but holds no chunk of data
    w.createVariable("kspace_kx", {
      dims: [50_000_000, 4, 2, 2, 10],
      complex: true,
      chunkDims: [1000, 4, 2, 1, 1],
    });
    w.createVariable("kspace_full", {
      dims: [4, 4, 1, 10, 2 ** 61],
      complex: true,
      chunkDims: [4, 4, 1, 1, 1],
    });
    w.createVariable("mask", { dims: [4, 4], matClass: "uint8" });
    await w.close();
    using mat = await openMat(path);
    const vars = new Map(mat.variables().map((v) => [v.name, v]));
    assert.equal(vars.get("mask")?.unusable, undefined);
    for (
      const [name, dims] of [
        ["kspace_kx", "50000000x4x2x2x10"],
        ["kspace_full", "4x4x1x10x2305843009213693952"],
      ]
    ) {
      const v = vars.get(name)!;
      assert.ok(v.unusable?.includes(`declares dims ${dims}`), v.unusable);
      assert.equal(v.damaged, true);
      assert.equal(v.stored, "complex single");
      const re = new RegExp(`variable '${name}' declares dims ${dims}[^]*fix: `);
      throwsNaming(() => mat.read(name), path, re, MatFormatError);
      throwsNaming(() => mat.readSlab(name, [0, 0, 0, 0, 0]), path, re, MatFormatError);
      throwsNaming(() => mat.info(name), path, re, MatFormatError);
    }
    // inspect --stats lists them, does not hang, and exits non-zero
    const t0 = performance.now();
    assert.equal(await inspect.run([path, "--stats"]), 1);
    assert.ok(performance.now() - t0 < 10_000);
  });
});

// ------------------------------------------------------------------ v7.3: unusable types

h5pyTest(
  "v7.3 float16, cell, string and 3-member compound variables are listed as unusable with what was found",
  "types.mat",
  `
import h5py, numpy as np, sys
${H5PY_HEADER}
with h5py.File(sys.argv[1], "w", userblock_size=512) as f:
    f.create_dataset("kspace_full", data=np.zeros((2, 3, 4), np.float16)).attrs["MATLAB_class"] = np.bytes_("single")
    f.create_dataset("name", data="hello")
    f.create_dataset("c3", data=np.zeros((3, 4), np.dtype([("real", "<f4"), ("imag", "<f4"), ("x", "<f4")])))
    r = f.create_dataset("cellref", (2,), dtype=h5py.ref_dtype)
    r[0] = f["c3"].ref
    r.attrs["MATLAB_class"] = np.bytes_("cell")
    f.create_dataset("b", data=np.array([[True, False], [False, True]]))
matlab_header(sys.argv[1])
`,
  async (path, mat) => {
    const vars = new Map(mat.variables().map((v) => [v.name, v]));
    const expect: [string, string, RegExp][] = [
      ["kspace_full", "float16", /is float16/],
      ["name", "string", /holds a string/],
      ["c3", "compound {real, imag, x}", /3 member\(s\), not a complex \{real, imag\} pair/],
      ["cellref", "cell", /is a MATLAB cell/],
    ];
    for (const [name, stored, re] of expect) {
      const v = vars.get(name);
      assert.ok(v, `${name} is listed`);
      assert.equal(v.stored, stored);
      assert.match(v.unusable ?? "", re);
      assert.notEqual(v.damaged, true);
      throwsNaming(() => mat.read(name), path, re, MatFormatError);
    }
    // h5py's numpy bool (an enum FALSE/TRUE) is a logical mask
    assert.equal(vars.get("b")?.matClass, "logical");
    assert.deepEqual(Array.from(mat.read("b").data), [1, 0, 0, 1]);
    assert.equal(await inspect.run([path]), 0); // valid file: unusable, not damaged
  },
);

h5pyTest(
  "v7.3 corrupt object header: the variable is listed as unreadable and inspect exits 1",
  "corrupt.mat",
  `
import h5py, numpy as np, sys
ct = np.dtype([("real", "<f4"), ("imag", "<f4")])
with h5py.File(sys.argv[1], "w") as f:
    f.create_dataset("kspace_full", data=np.ones((2, 3, 4), ct))
    f.create_dataset("mask", data=np.ones((3, 4), np.uint8))
    addr = h5py.h5o.get_info(f["kspace_full"].id).addr
with open(sys.argv[1], "r+b") as fh:
    fh.seek(addr)
    fh.write(bytes([0xff] * 16))
`,
  async (path, mat) => {
    const vars = new Map(mat.variables().map((v) => [v.name, v]));
    assert.equal(vars.get("mask")?.unusable, undefined);
    const k = vars.get("kspace_full");
    assert.ok(k?.damaged, "kspace_full is listed as damaged");
    assert.match(k.unusable ?? "", /cannot be read \(.*object header/);
    throwsNaming(() => mat.read("kspace_full"), path, /cannot be read/, MatFormatError);
    assert.equal(await inspect.run([path]), 1);
  },
);

h5pyTest(
  "v7.3 LZF-filtered dataset: the filter is named with the fix, not a plugin path",
  "lzf.mat",
  `
import h5py, numpy as np, sys
${H5PY_HEADER}
with h5py.File(sys.argv[1], "w", userblock_size=512) as f:
    d = f.create_dataset("kspace_full", data=np.ones((4, 8, 8), np.float32), chunks=(1, 8, 8), compression="lzf")
    d.attrs["MATLAB_class"] = np.bytes_("single")
matlab_header(sys.argv[1])
`,
  (_, mat) => {
    const [v] = mat.variables();
    assert.match(v.unusable ?? "", /LZF \(HDF5 filter 32000\)/);
    assert.throws(() => mat.readSlab("kspace_full", [0]), (e: unknown) => {
      assert.ok(e instanceof MatFormatError);
      assert.match(e.message, /LZF/);
      assert.match(e.message, /fix: .*gzip/);
      assert.doesNotMatch(e.message, /plugin/);
      return true;
    });
  },
);

// ------------------------------------------------------- real data where complex is expected

Deno.test("real int16 / uint8 / logical data read as complex: the class found is named", async () => {
  await inTempDir(async (dir) => {
    const v73 = `${dir}/r.mat`;
    const v5 = `${dir}/r5.mat`;
    const dims = [6, 5, 2];
    const data = new Float64Array(60).map((_, i) => i % 7);
    await writeMatV73(v73, [{ name: "kspace_full", array: { dims, data: Uint8Array.from(data) } }]);
    await writeMatV5(v5, [{
      name: "kspace_full",
      array: { dims, matClass: "int16", complex: false, data },
    }]);
    for (const [path, cls] of [[v73, "uint8"], [v5, "int16"]]) {
      using mat = await openMat(path);
      const info = mat.info("kspace_full");
      assert.equal(info.matClass, cls);
      assert.equal(info.complex, false);
      const re = new RegExp(`'kspace_full' is real ${cls} data; complex data is expected`);
      throwsNaming(() => mat.readSlab("kspace_full", [], { complex: true }), path, re, ShapeError);
      // a buffer sized for complex data: the class is named, not a count of values
      const out = new Float32Array(2 * 60);
      throwsNaming(() => mat.readSlab("kspace_full", [], { out }), path, re, ShapeError);
      assert.equal(mat.readSlab("kspace_full", [], { complex: false }).data.length, 60);
    }
  });
});

// --------------------------------------------------------------------- reproducible bytes

Deno.test("MAT v5 and v7.3 files written twice at different times are byte-identical", async () => {
  await inTempDir(async (dir) => {
    const saved = Deno.env.get("SOURCE_DATE_EPOCH");
    Deno.env.delete("SOURCE_DATE_EPOCH");
    try {
      const array = {
        dims: [4, 3],
        matClass: "single" as const,
        complex: true,
        data: new Float32Array(24).map((_, i) => i),
      };
      const write = async (tag: string) => {
        await writeMatV5(`${dir}/a${tag}.mat`, [{ name: "img4ranking", array }], {
          compress: true,
        });
        await writeMatV73(`${dir}/b${tag}.mat`, [{ name: "kspace_full", array }]);
      };
      await write("1");
      await new Promise((r) => setTimeout(r, 1100)); // the header dates have 1 s resolution
      await write("2");
      for (const f of ["a", "b"]) {
        assert.deepEqual(
          await Deno.readFile(`${dir}/${f}1.mat`),
          await Deno.readFile(`${dir}/${f}2.mat`),
          `${f}: bytes differ between runs`,
        );
      }
      const head = new TextDecoder().decode(
        (await Deno.readFile(`${dir}/a1.mat`)).subarray(0, 116),
      );
      assert.match(head, /Created on: Tue Jan {2}1 00:00:00 1980/);
      Deno.env.set("SOURCE_DATE_EPOCH", "1700000000");
      await write("3");
      const v5 = new TextDecoder().decode((await Deno.readFile(`${dir}/a3.mat`)).subarray(0, 116));
      const h5 = new TextDecoder().decode((await Deno.readFile(`${dir}/b3.mat`)).subarray(0, 116));
      assert.match(v5, /Nov 14 22:13:20 2023/);
      assert.match(h5, /14 Nov 2023 22:13:20/);
    } finally {
      if (saved === undefined) Deno.env.delete("SOURCE_DATE_EPOCH");
      else Deno.env.set("SOURCE_DATE_EPOCH", saved);
    }
  });
});

// ------------------------------------------------------- MAT v5: checksums and bombs

const img = {
  dims: [8, 6],
  matClass: "single" as const,
  complex: false,
  data: new Float32Array(48).map((_, i) => i + 0.5),
};

Deno.test("MAT v5: a compressed element with a bad Adler-32 checksum is refused", () => {
  // level 0: stored deflate blocks, so a flipped data byte still inflates (to other data)
  const good = encodeMatV5([{ name: "img4ranking", array: img }], { compress: true, level: 0 });
  assert.deepEqual(parseMatV5Var(good, "g.mat", "img4ranking").data, img.data);
  const badSum = good.slice();
  badSum[badSum.length - 1] ^= 0x01;
  throwsNaming(() => parseMatV5(badSum, "s.mat"), "s.mat", /Adler-32/, MatFormatError);
  const badData = good.slice();
  badData[good.length - 20] ^= 0x40; // inside the last stored value
  throwsNaming(() => parseMatV5(badData, "d.mat"), "d.mat", /Adler-32/, MatFormatError);
  throwsNaming(
    () => parseMatV5Var(badData, "d.mat", "img4ranking"),
    "d.mat",
    /Adler-32/,
    MatFormatError,
  );
});

/** A MAT v5 file with one miCOMPRESSED element holding `inner` (bytes of a miMATRIX). */
function compressedFile(inner: Uint8Array): Uint8Array {
  const header = encodeMatV5([]);
  const z = zlibSync(inner, { level: 9 });
  const out = new Uint8Array(128 + 8 + z.length);
  out.set(header.subarray(0, 128));
  const dv = new DataView(out.buffer);
  dv.setUint32(128, 15, true);
  dv.setUint32(132, z.length, true);
  out.set(z, 136);
  return out;
}

Deno.test("MAT v5: a damaged variable is listed as damaged by name; the others still read", async () => {
  const bytes = encodeMatV5([
    { name: "bad", array: img },
    { name: "good", array: img },
  ]);
  // 'bad' declares 9 rows: its real part (48 values) no longer fills its dims
  new DataView(bytes.buffer).setInt32(128 + 32, 9, true);
  const vars = listMatV5All(bytes, "two.mat");
  assert.deepEqual(vars.map((v) => [v.name, v.damaged ?? false]), [["bad", true], ["good", false]]);
  assert.match(vars[0].unusable!, /^is damaged: real part of 'bad' holds 192 bytes, but 9x6/);
  assert.deepEqual(vars[0].dims, [9, 6]);
  assert.deepEqual(parseMatV5Var(bytes, "two.mat", "good").data, img.data);
  throwsNaming(() => parseMatV5Var(bytes, "two.mat", "bad"), "two.mat", /holds 192 bytes/);
  throwsNaming(() => parseMatV5(bytes, "two.mat"), "two.mat", /holds 192 bytes/, MatFormatError);
  // through openMat: the damaged one's error says to copy the file again
  await inTempDir(async (dir) => {
    await Deno.writeFile(`${dir}/two.mat`, bytes);
    using mat = await openMat(`${dir}/two.mat`);
    assert.deepEqual(mat.read("good").data, img.data);
    assert.throws(() => mat.info("bad"), (e: Error) => {
      assert.ok(e instanceof MatFormatError);
      assert.match(e.message, /variable 'bad' is damaged: /);
      assert.match(e.hint!, /copy or download it again/);
      return true;
    });
  });
});

Deno.test("MAT v5: a compressed element never inflates past its declared size", () => {
  const plain = encodeMatV5([{ name: "img4ranking", array: img }]);
  const element = plain.subarray(128);
  // the stream holds the element, then 64 MiB of zeros it does not declare
  const padded = new Uint8Array(element.length + 64 * 1024 * 1024);
  padded.set(element);
  const file = compressedFile(padded);
  throwsNaming(
    () => parseMatV5(file, "pad.mat"),
    "pad.mat",
    /inflates to more than the \d+ bytes its header declares/,
    MatFormatError,
  );
  // a header declaring far more than the compressed bytes can hold: refused before inflating
  const lying = element.slice();
  new DataView(lying.buffer).setUint32(4, 2 ** 31 - 16, true);
  throwsNaming(
    () => parseMatV5(compressedFile(lying), "lie.mat"),
    "lie.mat",
    /runs past the end of its container|more than its \d+ compressed bytes can hold/,
    MatFormatError,
  );
});

Deno.test("MAT v5 bomb: 256 MiB of zeros in a small file is listed from its header, checked before inflating", async () => {
  // stream the element through zlib so the test never holds the 256 MiB itself
  const dims = [1024, 1024, 64];
  const count = 1024 * 1024 * 64;
  // the miMATRIX element's header: tag, array flags, dims, name, then the real part's tag
  const partBytes = count * 4;
  const h = new Uint8Array(80);
  const dv = new DataView(h.buffer);
  const tag = (at: number, type: number, n: number) => {
    dv.setUint32(at, type, true);
    dv.setUint32(at + 4, n, true);
  };
  tag(0, 14, 72 + partBytes); // miMATRIX
  tag(8, 6, 8); // miUINT32 flags
  dv.setUint32(16, 7, true); // class single
  tag(24, 5, 12); // miINT32 dims
  dims.forEach((d, k) => dv.setInt32(32 + 4 * k, d, true));
  tag(48, 1, 11); // miINT8 name
  h.set(new TextEncoder().encode("img4ranking"), 56);
  tag(72, 7, partBytes); // miSINGLE real part
  const chunks: Uint8Array[] = [];
  const z = new Zlib({ level: 9 }, (c) => chunks.push(c));
  z.push(h);
  const zeros = new Uint8Array(1 << 20);
  for (let i = 0; i < (count * 4) >> 20; i++) z.push(zeros);
  z.push(new Uint8Array(0), true);
  const zlen = chunks.reduce((s, c) => s + c.length, 0);
  const bytes = new Uint8Array(136 + zlen);
  bytes.set(encodeMatV5([]).subarray(0, 128));
  new DataView(bytes.buffer).setUint32(128, 15, true);
  new DataView(bytes.buffer).setUint32(132, zlen, true);
  let o = 136;
  for (const c of chunks) {
    bytes.set(c, o);
    o += c.length;
  }
  assert.ok(bytes.length < 2 * 1024 * 1024, `${bytes.length} bytes`);
  assert.deepEqual(listMatV5(bytes, "bomb.mat")[0].dims, dims);
  // the caller's check sees the dims before anything is inflated
  let seen: number[] = [];
  throwsNaming(
    () =>
      parseMatV5Var(bytes, "bomb.mat", "img4ranking", {
        check: (info) => {
          seen = info.dims;
          throw new ShapeError(`dims ${info.dims.join("x")}, expected 8x6`, {
            file: "bomb.mat",
            hint: "write the reduced image",
          });
        },
      }),
    "bomb.mat",
    /dims 1024x1024x64, expected 8x6/,
    ShapeError,
  );
  assert.deepEqual(seen, dims);
  // openMat lists it from its header alone
  await inTempDir(async (dir) => {
    await Deno.writeFile(`${dir}/bomb.mat`, bytes);
    const rss0 = Deno.memoryUsage().rss;
    using mat = await openMat(`${dir}/bomb.mat`);
    assert.deepEqual(mat.info("img4ranking").dims, dims);
    assert.ok(Deno.memoryUsage().rss - rss0 < 128 * 1024 * 1024, "listing inflated the data");
  });
});

// ------------------------------------------------------------------------ NIfTI bombs

Deno.test(".nii.gz: dims are checked from the header and nothing past the voxels is held", async () => {
  const { gzipSync } = await import("fflate");
  // huge dims: refused from the header, before inflating the rest
  const huge = gzipSync(niftiHeader([30000, 30000, 300]));
  throwsNaming(() => parseNifti(huge, "h.nii.gz"), "h.nii.gz", /more than/);
  // plausible dims but a tiny file: no data can be behind them
  const big = new Uint8Array(352 + 4000);
  big.set(niftiHeader([2000, 2000, 10]));
  throwsNaming(
    () => parseNifti(gzipSync(big), "b.nii.gz"),
    "b.nii.gz",
    /more than \d+ compressed bytes can hold/,
  );
  // 7x5x3 voxels, then 64 MiB of trailing zeros: the whole stream is checked (CRC-32), so
  // it is inflated, but refused after 64 KiB past the voxels, not held
  const small = new Uint8Array(352 + 105 + 64 * 1024 * 1024);
  small.set(niftiHeader([7, 5, 3]));
  for (let i = 0; i < 105; i++) small[352 + i] = i % 4;
  const gz = gzipSync(small, { level: 1 });
  const t0 = performance.now();
  throwsNaming(
    () => parseNifti(gz, "s.nii.gz"),
    "s.nii.gz",
    /inflates to more than the 457 bytes its header declares/,
  );
  assert.ok(performance.now() - t0 < 2000, "the trailing data was inflated");
  // the same voxels without the trailing zeros read back
  const vol = parseNifti(gzipSync(small.subarray(0, 352 + 105)), "s.nii.gz");
  assert.deepEqual(vol.dims, [7, 5, 3]);
  assert.deepEqual(Array.from(vol.data.subarray(0, 6)), [0, 1, 2, 3, 0, 1]);
});

// ------------------------------------------------------------- truncations and flips

function assertCmrxOrOk(f: () => void, file: string, what: string) {
  try {
    f();
  } catch (e) {
    if (!(e instanceof CmrxError) || !e.message.startsWith(`${file}: `)) {
      assert.fail(`${what}: ${e instanceof Error ? e.stack : e}`);
    }
  }
}

Deno.test("MAT v5 compressed: every flipped byte is refused (checksum) or reads the same data", () => {
  const good = encodeMatV5([{ name: "img4ranking", array: img }], { compress: true });
  for (let i = 136; i < good.length; i++) {
    const b = good.slice();
    b[i] ^= 0x10;
    let got: Map<string, unknown> | null = null;
    assertCmrxOrOk(() => (got = parseMatV5(b, "f.mat")), "f.mat", `flip at ${i}`);
    if (got !== null) {
      const a = (got as Map<string, { data: Float32Array }>).get("img4ranking");
      assert.deepEqual(a?.data, img.data, `flip at ${i} read other data silently`);
    }
  }
});

Deno.test("v7.3: truncations and flipped bytes give CmrxErrors naming the file", async () => {
  await inTempDir(async (dir) => {
    const src = `${dir}/src.mat`;
    const dims = [6, 5, 2, 3];
    await writeMatV73(src, [
      {
        name: "kspace_full",
        array: {
          dims,
          matClass: "single",
          complex: true,
          data: new Float32Array(360).map((_, i) => i),
        },
      },
      { name: "mask", array: { dims: [6, 5], data: new Uint8Array(30).fill(1) } },
    ], { deflate: 4 });
    const good = await Deno.readFile(src);
    const path = `${dir}/d.mat`;
    const readAll = async () => {
      using mat = await openMat(path);
      for (const v of mat.variables()) {
        if (!v.unusable) mat.read(v.name);
      }
    };
    const offsets = new Set<number>();
    for (let cut = 0; cut < good.length; cut += Math.max(1, Math.floor(good.length / 60))) {
      offsets.add(cut);
    }
    for (const cut of offsets) {
      await Deno.writeFile(path, good.subarray(0, cut));
      try {
        await readAll();
      } catch (e) {
        assert.ok(
          e instanceof CmrxError && e.message.startsWith(`${path}: `),
          `cut at ${cut}: ${e instanceof Error ? e.stack : e}`,
        );
      }
    }
    let seed = 17;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let i = 0; i < 150; i++) {
      const b = good.slice();
      for (let j = 0; j < 3; j++) b[512 + Math.floor(rand() * (b.length - 512))] ^= 0xff;
      await Deno.writeFile(path, b);
      try {
        await readAll();
      } catch (e) {
        assert.ok(
          e instanceof CmrxError && e.message.startsWith(`${path}: `),
          `flip ${i}: ${e instanceof Error ? e.stack : e}`,
        );
      }
    }
  });
});
