/**
 * `padMultiple` (issue 19): a graph that needs sizes that are multiples of `[py, px]` gets
 * the slice zero-padded in k-space (centred) and its output brought back to the slice's
 * grid. The graph here is exported for the padded size only, so a run proves the padding;
 * the result is compared with the same transform on the unpadded slice.
 */
import assert from "node:assert/strict";
import { GraphBuilder } from "../../src/engine/onnx/mod.ts";
import { ifft2c } from "../../src/kspace/fft.ts";
import type { SliceInput } from "../../src/kspace/slice.ts";
import type { ModelManifest } from "../../src/models/manifest.ts";
import { OnnxReconstructor } from "../../src/models/onnx_model.ts";
import { padModeOf, padPlan, padSlice, unpadFrame } from "../../src/models/padding.ts";
import { checkManifest } from "../../src/models/manifest.ts";
import { CmrxError } from "../../src/errors.ts";
import { identityModel } from "../engine/models.ts";
import { readManifest } from "../../src/models/registry.ts";
import { centredIdftMatrix } from "../engine/models.ts";
import { maxRel, randomSlice } from "./fixtures.ts";

const root = await Deno.makeTempDir({ prefix: "cmrxkit-pad-" });
globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(root, { recursive: true });
  } catch { /* gone */ }
});

function transpose(a: Float32Array, n: number): Float32Array {
  const t = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) t[j * n + i] = a[i * n + j];
  return t;
}

/**
 * The single-coil zero-filled image `ifft2c(k)` as a graph of one fixed size: input
 * `kspace` `[T, 1, ny, nx, 2]`, output `image` `[T, ny, nx, 2]`.
 */
function idftModel(ny: number, nx: number): Uint8Array {
  const g = new GraphBuilder("idft_fixed");
  g.input("kspace", "float32", ["T", 1, ny, nx, 2]);
  g.output("image", "float32", ["T", ny, nx, 2]);
  const ay = centredIdftMatrix(ny), ax = centredIdftMatrix(nx);
  g.initializer("AyR", ay.re, [ny, ny]).initializer("AyI", ay.im, [ny, ny]);
  g.initializer("BxR", transpose(ax.re, nx), [nx, nx]);
  g.initializer("BxI", transpose(ax.im, nx), [nx, nx]);
  g.ints("i0", [0], []);
  g.ints("i1", [1], []);
  g.ints("axC", [1]);
  g.ints("axLast", [3]);
  g.node("Squeeze", ["kspace", "axC"], ["k"]); // [T, Y, X, 2]
  g.node("Gather", ["k", "i0"], ["kr"], { axis: 3 });
  g.node("Gather", ["k", "i1"], ["ki"], { axis: 3 });
  g.node("MatMul", ["kr", "BxR"], ["krBr"]).node("MatMul", ["ki", "BxI"], ["kiBi"]);
  g.node("MatMul", ["kr", "BxI"], ["krBi"]).node("MatMul", ["ki", "BxR"], ["kiBr"]);
  g.node("Sub", ["krBr", "kiBi"], ["zr"]).node("Add", ["krBi", "kiBr"], ["zi"]);
  g.node("MatMul", ["AyR", "zr"], ["ArZr"]).node("MatMul", ["AyI", "zi"], ["AiZi"]);
  g.node("MatMul", ["AyR", "zi"], ["ArZi"]).node("MatMul", ["AyI", "zr"], ["AiZr"]);
  g.node("Sub", ["ArZr", "AiZi"], ["xr"]).node("Add", ["ArZi", "AiZr"], ["xi"]);
  g.node("Unsqueeze", ["xr", "axLast"], ["xr1"]).node("Unsqueeze", ["xi", "axLast"], ["xi1"]);
  g.node("Concat", ["xr1", "xi1"], ["image"], { axis: 3 });
  return g.toModel({ opset: 17 });
}

async function writeModel(name: string, onnx: Uint8Array, over: Partial<ModelManifest>) {
  const dir = `${root}/${name}`;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeFile(`${dir}/${name}.onnx`, onnx);
  const m: ModelManifest = {
    format: 1,
    name,
    file: `${name}.onnx`,
    description: "single-coil zero-filled image of one fixed size (test model)",
    inputs: [{ name: "kspace", role: "kspace", layout: "T,C,Y,X,2" }],
    output: { name: "image", role: "image", layout: "T,Y,X,2" },
    feeder: { kind: "sequence" },
    normalization: { kind: "max" },
    serves: { tasks: ["cine"], views: ["sax"], accelerations: [], coils: ["SingleCoil"] },
    ...over,
  };
  await Deno.writeTextFile(`${dir}/${name}.json`, JSON.stringify(m));
  return `${dir}/${name}.json`;
}

/** `|ifft2c(k)|` per frame of a single-coil slice, MATLAB `(x, y, frame)`. */
function zeroFilled(input: SliceInput): Float32Array {
  const [nx, ny, , nt] = input.dims;
  const x = ifft2c(input.kspace, nx, ny, nt);
  return new Float32Array(nx * ny * nt).map((_, i) => Math.hypot(x[2 * i], x[2 * i + 1]));
}

Deno.test("padPlan: next multiples, centred offsets, null when nothing to pad", () => {
  assert.equal(padPlan(undefined, 27, 13), null);
  assert.equal(padPlan([16, 16], 32, 16), null);
  // k-space centre floor(n/2) goes to floor(n'/2)
  assert.deepEqual(padPlan([16, 16], 27, 13), {
    mode: "kspace",
    nx: 27,
    ny: 13,
    px: 32,
    py: 16,
    ox: 3,
    oy: 2,
  });
  assert.deepEqual(padPlan([8, 1], 20, 12, "image"), {
    mode: "image",
    nx: 20,
    ny: 12,
    px: 20,
    py: 16,
    ox: 0,
    oy: 2,
  });
});

Deno.test("padSlice then unpadFrame is the identity on the zero-filled image (odd and even sizes)", () => {
  for (const [nx, ny] of [[27, 13], [20, 12], [9, 31]]) {
    const input = randomSlice(nx, ny, 2, 2, 11, Math.min(8, ny));
    const plan = padPlan([16, 8], nx, ny)!;
    const padded = padSlice(input, plan);
    assert.deepEqual(padded.dims, [plan.px, plan.py, 2, 2]);
    assert.deepEqual(padded.maskDims, [plan.px, plan.py]);
    // sampled lines keep their place around the centre; the new ones are not sampled
    let sampled = 0;
    for (const v of padded.mask) sampled += v ? 1 : 0;
    assert.equal(sampled, input.mask.reduce((a, v) => a + (v ? 1 : 0), 0));
    const big = ifft2c(padded.kspace, plan.px, plan.py, 4);
    const small = ifft2c(input.kspace, nx, ny, 4);
    const per = 2 * plan.px * plan.py;
    for (let f = 0; f < 4; f++) {
      const back = unpadFrame(big.subarray(per * f, per * (f + 1)), plan);
      const want = small.subarray(2 * nx * ny * f, 2 * nx * ny * (f + 1));
      assert.ok(maxRel(back, want) < 1e-5, `${nx}x${ny} frame ${f}: ${maxRel(back, want)}`);
    }
  }
});

Deno.test("padMultiple: a graph of one fixed size runs on a smaller, odd slice and returns its grid", async () => {
  const nx = 27, ny = 13; // padded to 32 x 16 by padMultiple [16, 16]
  const input = randomSlice(nx, ny, 1, 3, 7, 8);
  const path = await writeModel("pad-idft", idftModel(16, 32), { padMultiple: [16, 16] });
  const r = new OnnxReconstructor(await readManifest(path), { device: "cpu" });
  try {
    const out = await r.reconstruct(input);
    assert.equal(out.image.length, nx * ny * 3);
    const want = zeroFilled(input);
    assert.ok(maxRel(out.image, want) < 1e-5, `max rel ${maxRel(out.image, want)}`);
    // a slice of the size itself runs unpadded
    const exact = randomSlice(32, 16, 1, 3, 8, 8);
    const same = await r.reconstruct(exact);
    assert.ok(maxRel(same.image, zeroFilled(exact)) < 1e-5);
  } finally {
    await r.release();
  }
});

Deno.test("without padMultiple the fixed-size graph refuses the slice (the padding is what makes it run)", async () => {
  const input = randomSlice(27, 13, 1, 3, 7, 8);
  const path = await writeModel("nopad-idft", idftModel(16, 32), {});
  const r = new OnnxReconstructor(await readManifest(path), { device: "cpu" });
  try {
    await assert.rejects(() => Promise.resolve(r.reconstruct(input)));
  } finally {
    await r.release();
  }
});

/** An identity graph `zf -> image` of fixed `[T, ny, nx, (2)]`, or of any size. */
async function identity(name: string, role: "zerofilled" | "rss", fixed: [number, number] | null) {
  const c = role === "zerofilled" ? [2] : [];
  const dims = fixed ? ["T", fixed[0], fixed[1], ...c] : ["T", "Y", "X", ...c];
  const layout = role === "zerofilled" ? "T,Y,X,2" : "T,Y,X";
  return await writeModel(name, identityModel(dims, { input: "x", output: "image" }), {
    inputs: [{ name: "x", role, layout }],
    output: { name: "image", role: "image", layout },
    serves: { tasks: ["cine"], views: ["sax"], accelerations: [], coils: ["MultiCoil"] },
    ...(fixed ? { padMultiple: [16, 16] as [number, number] } : {}),
  });
}

Deno.test("padMultiple, image inputs: padded around and cropped back, exactly the unpadded result", async () => {
  // 10 coils' zero-filled image and RSS on a 27 x 13 slice; the graphs take 32 x 16 only
  const input = randomSlice(27, 13, 4, 3, 9, 8);
  for (const role of ["zerofilled", "rss"] as const) {
    const free = new OnnxReconstructor(
      await readManifest(await identity(`free-${role}`, role, null)),
      {
        device: "cpu",
      },
    );
    const padded = new OnnxReconstructor(
      await readManifest(await identity(`pad-${role}`, role, [16, 32])),
      { device: "cpu" },
    );
    try {
      const want = (await free.reconstruct(input)).image;
      const got = (await padded.reconstruct(input)).image;
      assert.equal(got.length, want.length);
      assert.ok(maxRel(got, want) < 1e-7, `${role}: ${maxRel(got, want)}`);
    } finally {
      await free.release();
      await padded.release();
    }
  }
});

Deno.test("padMode: defaults from the input roles; image refused for k-space and mask inputs", () => {
  const k = { inputs: [{ role: "kspace" }, { role: "sensitivity" }] };
  assert.equal(padModeOf(k), "kspace");
  assert.equal(padModeOf({ inputs: [{ role: "zerofilled" }, { role: "sensitivity" }] }), "image");
  assert.equal(padModeOf({ inputs: [{ role: "rss" }], padMode: "kspace" }), "kspace");
  const m: ModelManifest = {
    format: 1,
    name: "m",
    file: "m.onnx",
    description: "",
    inputs: [{ name: "kspace", role: "kspace", layout: "T,C,Y,X,2" }],
    output: { name: "image", role: "image", layout: "T,Y,X,2" },
    feeder: { kind: "sequence" },
    normalization: { kind: "max" },
    serves: { tasks: ["cine"], views: ["sax"], accelerations: [], coils: [] },
    padMultiple: [16, 16],
    padMode: "image",
  };
  assert.throws(
    () => checkManifest(m, "m.json"),
    (e: unknown) =>
      e instanceof CmrxError &&
      /padMode' image cannot pad the kspace input 'kspace'/.test(e.message),
  );
  assert.throws(
    () => checkManifest({ ...m, padMode: "edge" as never }, "m.json"),
    (e: unknown) => e instanceof CmrxError && /must be image or kspace/.test(e.message),
  );
  checkManifest({ ...m, padMode: "kspace" }, "m.json");
});
