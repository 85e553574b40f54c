import assert from "node:assert/strict";
import { CmrxError, ShapeError, UsageError } from "../../src/errors.ts";
import { cudaAvailable, parseDevice } from "../../src/engine/providers.ts";
import { peakRssBytes, rssBytes } from "../../src/engine/rss.ts";
import { OnnxSession } from "../../src/engine/session.ts";
import { parseBytes } from "../../src/format.ts";
import { zeroFilledRss } from "../../src/kspace/zerofill.ts";
import { convNetModel, dcZeroFillModel, identityModel, seededRandom } from "./models.ts";

const dir = await Deno.makeTempDir({ prefix: "cmrxkit-engine-" });
async function save(name: string, bytes: Uint8Array): Promise<string> {
  const p = `${dir}/${name}.onnx`;
  await Deno.writeFile(p, bytes);
  return p;
}
const identityPath = await save("identity", identityModel([2, 3]));
const symbolicPath = await save("identity_sym", identityModel(["N", 3]));
const cuda = cudaAvailable();

function randn(n: number, seed: number): Float32Array {
  const r = seededRandom(seed);
  return new Float32Array(n).map(() => r());
}

Deno.test("parseDevice accepts auto, cpu, cuda, gpu, cuda:N and rejects the rest", () => {
  assert.equal(parseDevice("auto"), "auto");
  assert.equal(parseDevice("CPU"), "cpu");
  assert.equal(parseDevice("cuda"), "cuda");
  assert.equal(parseDevice("gpu"), "cuda");
  assert.equal(parseDevice("cuda:1"), "cuda:1");
  assert.equal(parseDevice("gpu:3"), "cuda:3");
  assert.throws(() => parseDevice("tpu"), UsageError);
  assert.throws(() => parseDevice("cuda:x"), UsageError);
});

Deno.test("parseBytes reads SI and binary units", () => {
  assert.equal(parseBytes("24GiB"), 24 * 1024 ** 3);
  assert.equal(parseBytes("500MB"), 500e6);
  assert.equal(parseBytes("1.5G"), 1.5e9);
  assert.equal(parseBytes("2 mib"), 2 * 1024 ** 2);
  assert.equal(parseBytes("1048576"), 1048576);
  assert.equal(parseBytes("64k"), 64000);
  assert.throws(() => parseBytes("lots"), UsageError);
  assert.throws(() => parseBytes("-1GB"), UsageError);
  assert.throws(() => parseBytes("3 parsecs"), UsageError);
});

Deno.test("peakRssBytes and rssBytes report this process", () => {
  const peak = peakRssBytes(), now = rssBytes();
  assert.ok(now > 1e6 && peak >= now * 0.99, `peak ${peak} rss ${now}`);
});

Deno.test("cudaAvailable gives a reason when it says no", () => {
  if (!cuda.available) assert.match(cuda.reason ?? "", /CUDA|GPU|onnxruntime/);
});

Deno.test("OnnxSession on cpu runs the identity, records timing, releases", async () => {
  const e = await OnnxSession.load(identityPath, { device: "cpu", intraOpThreads: 1 });
  try {
    assert.equal(e.provider, "cpu");
    assert.equal(e.deviceId, 0);
    assert.equal(e.notice, undefined);
    assert.deepEqual(e.inputNames, ["x"]);
    assert.deepEqual(e.outputNames, ["y"]);
    assert.ok(e.stats.loadMs > 0);
    assert.ok(e.stats.warmupMs !== undefined && e.stats.warmupMs >= 0, "fixed dims: warmed up");
    assert.equal(e.stats.runs, 0);
    const x = new Float32Array([1, 2, 3, 4, 5, 6]);
    const r = await e.run({ x: { data: x, dims: [2, 3] } });
    assert.deepEqual([...r.y.data], [...x]);
    assert.deepEqual(r.y.dims, [2, 3]);
    await e.run({ x: { data: x, dims: [2, 3] } });
    assert.equal(e.stats.runs, 2);
    assert.ok(e.stats.lastMs > 0 && e.stats.totalMs >= e.stats.lastMs);
  } finally {
    await e.release();
  }
  await e.release(); // idempotent
  await assert.rejects(
    () => e.run({ x: { data: new Float32Array(6), dims: [2, 3] } }),
    (err) => err instanceof CmrxError && /released/.test(err.message),
  );
});

Deno.test("OnnxSession: symbolic dims warm up on the first real run", async () => {
  const e = await OnnxSession.load(symbolicPath, { device: "cpu" });
  try {
    assert.equal(e.stats.warmupMs, undefined);
    const r = await e.run({ x: { data: new Float32Array(12).fill(2), dims: [4, 3] } });
    assert.deepEqual(r.y.dims, [4, 3]);
    assert.ok(e.stats.warmupMs !== undefined);
    assert.equal(e.stats.runs, 1);
  } finally {
    await e.release();
  }
  const cold = await OnnxSession.load(symbolicPath, { device: "cpu", warmup: false });
  try {
    await cold.run({ x: { data: new Float32Array(3), dims: [1, 3] } });
    assert.equal(cold.stats.warmupMs, undefined);
  } finally {
    await cold.release();
  }
});

Deno.test({
  name: "OnnxSession: --device cuda without CUDA falls back to CPU with a notice, no throw",
  ignore: cuda.available,
  async fn() {
    for (const device of ["cuda", "cuda:1"] as const) {
      const e = await OnnxSession.load(identityPath, { device, vramLimitBytes: 1e9 });
      try {
        assert.equal(e.provider, "cpu");
        assert.equal(e.deviceId, 0);
        assert.ok(e.notice, "a notice is given");
        assert.match(e.notice!, new RegExp(`--device ${device}.*running on CPU`));
        assert.ok(!e.notice!.includes("\n"), "one line");
        const r = await e.run({ x: { data: new Float32Array(6).fill(1), dims: [2, 3] } });
        assert.equal(r.y.data[5], 1);
      } finally {
        await e.release();
      }
    }
  },
});

Deno.test({
  name: "OnnxSession: auto picks CPU here, with a one-line notice",
  ignore: cuda.available,
  async fn() {
    const e = await OnnxSession.load(identityPath);
    try {
      assert.equal(e.provider, "cpu");
      assert.match(e.notice ?? "", /^no usable GPU: .*running on CPU$/);
    } finally {
      await e.release();
    }
  },
});

Deno.test("OnnxSession.load: missing file and non-ONNX file -> CmrxError naming the file", async () => {
  const missing = `${dir}/nope.onnx`;
  await assert.rejects(
    () => OnnxSession.load(missing),
    (e) => e instanceof CmrxError && e.file === missing && /not found/.test(e.message),
  );
  const text = `${dir}/text.onnx`;
  await Deno.writeTextFile(text, "hello, I am not a model\n");
  await assert.rejects(
    () => OnnxSession.load(text),
    (e) => e instanceof CmrxError && e.file === text && /not an ONNX model/.test(e.message),
  );
  // a well-formed ModelProto onnxruntime rejects (unknown op)
  const { GraphBuilder } = await import("../../src/engine/onnx/mod.ts");
  const bad = await save(
    "badop",
    new GraphBuilder("bad").input("x", "float32", [1]).output("y", "float32", [1])
      .node("NoSuchOp", ["x"], ["y"]).toModel(),
  );
  await assert.rejects(
    () => OnnxSession.load(bad, { device: "cpu" }),
    (e) => e instanceof CmrxError && e.file === bad && /onnxruntime cannot load/.test(e.message),
  );
});

Deno.test("OnnxSession.run: wrong feed name or dims -> ShapeError listing what the model expects", async () => {
  const path = await save("zf_names", dcZeroFillModel(6, 5, { mask: true }));
  const e = await OnnxSession.load(path, { device: "cpu" });
  try {
    const k = { data: new Float32Array(2 * 3 * 6 * 5 * 2), dims: [2, 3, 6, 5, 2] };
    const mask = { data: new Float32Array(30), dims: [6, 5] };
    const expects = /kspace \[T, C, 6, 5, 2\] float32, mask \[6, 5\] float32/;
    await assert.rejects(
      () => e.run({ ksp: k, mask }),
      (err) =>
        err instanceof ShapeError && /missing: kspace/.test(err.message) &&
        /unknown: ksp/.test(err.message) && expects.test(err.message),
    );
    await assert.rejects(
      () =>
        e.run({
          kspace: { data: new Float32Array(2 * 3 * 5 * 6 * 2), dims: [2, 3, 5, 6, 2] },
          mask,
        }),
      (err) =>
        err instanceof ShapeError && /kspace has dims \[2, 3, 5, 6, 2\]/.test(err.message) &&
        expects.test(err.message),
    );
    await assert.rejects(
      () => e.run({ kspace: { data: new Float32Array(7), dims: [2, 3, 6, 5, 2] }, mask }),
      (err) => err instanceof ShapeError && /do not fill/.test(err.message),
    );
    await assert.rejects(
      () => e.run({ kspace: { data: new Float32Array(2 * 6 * 5 * 2), dims: [2, 6, 5, 2] }, mask }),
      ShapeError,
    );
    // and a right feed still works afterwards
    const r = await e.run({ kspace: k, mask });
    assert.deepEqual(r.image.dims, [2, 6, 5]);
  } finally {
    await e.release();
  }
});

/** MATLAB (kx, ky, coil, frame) k-space = row-major [T, C, Y, X, 2]. */
function checkZeroFill(nx: number, ny: number, nc: number, nt: number, seed: number) {
  return async () => {
    const path = await save(`zf_${nx}x${ny}`, dcZeroFillModel(ny, nx));
    const k = randn(2 * nx * ny * nc * nt, seed);
    // undersample: keep every third ky line and the centre
    for (let t = 0; t < nt; t++) {
      for (let c = 0; c < nc; c++) {
        for (let y = 0; y < ny; y++) {
          if (y % 3 === 0 || Math.abs(y - Math.floor(ny / 2)) <= 1) continue;
          const o = 2 * nx * (y + ny * (c + nc * t));
          k.fill(0, o, o + 2 * nx);
        }
      }
    }
    const ref = zeroFilledRss(k, [nx, ny, nc, nt]); // MATLAB (x, y, t) = row-major [T, Y, X]
    const e = await OnnxSession.load(path, { device: "cpu" });
    try {
      const r = await e.run({ kspace: { data: k, dims: [nt, nc, ny, nx, 2] } });
      assert.deepEqual(r.image.dims, [nt, ny, nx]);
      let maxRef = 0, maxDiff = 0;
      for (let i = 0; i < ref.length; i++) {
        maxRef = Math.max(maxRef, Math.abs(ref[i]));
        maxDiff = Math.max(maxDiff, Math.abs(ref[i] - r.image.data[i]));
      }
      assert.ok(maxDiff / maxRef < 1e-5, `relative error ${maxDiff / maxRef}`);
      assert.equal(e.stats.runs, 1);
    } finally {
      await e.release();
    }
  };
}

Deno.test(
  "dcZeroFillModel on onnxruntime equals zeroFilledRss (even sizes)",
  checkZeroFill(16, 12, 4, 3, 1),
);
Deno.test(
  "dcZeroFillModel on onnxruntime equals zeroFilledRss (odd sizes)",
  checkZeroFill(15, 9, 3, 2, 2),
);

Deno.test("dcZeroFillModel with a mask input applies the mask", async () => {
  const nx = 8, ny = 6, nc = 2, nt = 2;
  const path = await save(
    "zf_mask",
    dcZeroFillModel(ny, nx, { mask: true, frames: nt, coils: nc }),
  );
  const k = randn(2 * nx * ny * nc * nt, 5);
  const mask = new Float32Array(nx * ny);
  for (let y = 0; y < ny; y += 2) mask.fill(1, y * nx, (y + 1) * nx);
  const masked = k.slice();
  for (let i = 0; i < masked.length / 2; i++) {
    if (!mask[i % (nx * ny)]) masked[2 * i] = masked[2 * i + 1] = 0;
  }
  const ref = zeroFilledRss(masked, [nx, ny, nc, nt]);
  const e = await OnnxSession.load(path, { device: "cpu", graphOptimization: "basic" });
  try {
    assert.ok(e.stats.warmupMs !== undefined, "all dims fixed: warmed up at load");
    const r = await e.run({
      kspace: { data: k, dims: [nt, nc, ny, nx, 2] },
      mask: { data: mask, dims: [ny, nx] },
    });
    const maxRef = Math.max(...ref);
    const maxDiff = Math.max(...ref.map((v, i) => Math.abs(v - r.image.data[i])));
    assert.ok(maxDiff / maxRef < 1e-5, `relative error ${maxDiff / maxRef}`);
  } finally {
    await e.release();
  }
});

Deno.test("OnnxSession serialises concurrent runs and times each", async () => {
  const path = await save("conv", convNetModel({ hidden: 4 }));
  const e = await OnnxSession.load(path, {
    device: "cpu",
    graphOptimization: "none",
    interOpThreads: 1,
  });
  try {
    const feeds = (v: number) => ({
      x: { data: new Float32Array(2 * 16 * 16).fill(v), dims: [1, 2, 16, 16] },
    });
    const [a, b, c] = await Promise.all([e.run(feeds(0)), e.run(feeds(1)), e.run(feeds(0))]);
    assert.deepEqual([...a.y.data], [...c.y.data]);
    assert.notDeepEqual([...a.y.data], [...b.y.data]);
    assert.equal(e.stats.runs, 3);
  } finally {
    await e.release();
  }
});

globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(dir, { recursive: true });
  } catch { /* already gone */ }
});

Deno.test("OnnxSession feeds int64 inputs from float32 values", async () => {
  const { GraphBuilder } = await import("../../src/engine/onnx/mod.ts");
  const path = await save(
    "int_input",
    new GraphBuilder("int_input")
      .input("x", "float32", [2, 3])
      .input("n", "int64", [1])
      .output("y", "float32", [2, 3])
      .node("Cast", ["n"], ["nf"], { to: 1 })
      .node("Add", ["x", "nf"], ["y"])
      .toModel(),
  );
  const e = await OnnxSession.load(path, { device: "cpu" });
  try {
    assert.ok(e.stats.warmupMs !== undefined);
    const r = await e.run({
      x: { data: new Float32Array(6).fill(0.5), dims: [2, 3] },
      n: { data: new Float32Array([3]), dims: [1] },
    });
    assert.deepEqual([...r.y.data], new Array(6).fill(3.5));
  } finally {
    await e.release();
  }
});
