import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { ShapeError } from "../../src/errors.ts";
import { estimateMemory, planBatch, planModelBatch } from "../../src/engine/memory/mod.ts";
import {
  type AttrInput,
  type ElemType,
  GraphBuilder,
  type TensorData,
} from "../../src/engine/onnx/mod.ts";
import { peakRssBytes, resetPeakRss } from "../../src/engine/rss.ts";
import { OnnxSession } from "../../src/engine/session.ts";
import {
  convNetModel,
  convNetWeightBytes,
  dcZeroFillModel,
  mixedOpsModel,
  seededRandom,
} from "./models.ts";

const GiB = 1024 ** 3;

// ---------------------------------------------------------------------------------------
// Child mode: `deno run -A tests/engine/memory_test.ts rss <size>` measures the peak RSS
// increase of one onnxruntime run in a fresh process and prints it as JSON.
// ---------------------------------------------------------------------------------------
const CHILD_SPEC = { hidden: 32, layers: 5 };
if (import.meta.main && Deno.args[0] === "rss") {
  const s = Number(Deno.args[1]);
  const model = convNetModel(CHILD_SPEC);
  const path = await Deno.makeTempFile({ suffix: ".onnx" });
  await Deno.writeFile(path, model);
  const e = await OnnxSession.load(path, { device: "cpu", warmup: false, intraOpThreads: 1 });
  const r = seededRandom(3);
  const x = new Float32Array(2 * s * s).map(() => r());
  const reset = resetPeakRss();
  const before = peakRssBytes();
  await e.run({ x: { data: x, dims: [1, 2, s, s] } });
  const after = peakRssBytes();
  await e.release();
  await Deno.remove(path);
  console.log(JSON.stringify({ reset, delta: after - before }));
  Deno.exit(0);
}

Deno.test("estimateMemory: residual conv net equals the hand-computed sums", () => {
  const spec = { channels: 2, hidden: 8, layers: 3 };
  const model = convNetModel(spec);
  const [n, h, w] = [2, 10, 7];
  const px = n * h * w;
  const est = estimateMemory(model, { x: [n, 2, h, w] }, { perTensor: true });
  assert.equal(est.weightsBytes, convNetWeightBytes(spec));
  // weights by hand: (8*2*9 + 8) + (8*8*9 + 8) + (2*8*9 + 2) floats
  assert.equal(est.weightsBytes, 4 * (152 + 584 + 146));
  // Conv0 Relu0 Conv1 Relu1 Conv2 Add: the peak is x + two hidden maps (e.g. at Relu0)
  assert.equal(est.peakActivationBytes, (2 + 8 + 8) * px * 4);
  assert.equal(est.inputBytes, 2 * px * 4);
  assert.equal(est.outputBytes, 2 * px * 4);
  assert.deepEqual(est.outputShapes, { y: [n, 2, h, w] });
  assert.deepEqual(est.unknownOps, []);
  assert.deepEqual(est.warnings, []);
  assert.equal(est.peakNode, "Relu_1");
  const byName = Object.fromEntries(est.perTensor!.map((t) => [t.name, t]));
  assert.deepEqual(byName.x, {
    name: "x",
    dims: [n, 2, h, w],
    bytes: 2 * px * 4,
    producer: "input",
    first: 0,
    last: 5,
  });
  assert.deepEqual([byName.c0.first, byName.c0.last], [0, 1]);
  assert.deepEqual([byName.r0.first, byName.r0.last], [1, 2]);
  assert.deepEqual([byName.y.first, byName.y.last], [5, 5]);

  // deeper and wider: the peak scales with the pixels
  const big = convNetModel({ hidden: 32, layers: 5 });
  const e1 = estimateMemory(big, { x: [1, 2, 256, 256] });
  const e2 = estimateMemory(big, { x: [3, 2, 512, 512] });
  assert.equal(e1.peakActivationBytes, (2 + 64) * 256 * 256 * 4);
  assert.equal(e2.peakActivationBytes, 12 * e1.peakActivationBytes);
});

Deno.test("estimateMemory: zero-filled DFT model peaks at five real planes", () => {
  const [t, c, y, x] = [3, 4, 12, 10];
  const est = estimateMemory(dcZeroFillModel(y, x), { kspace: [t, c, y, x, 2] });
  const plane = t * c * y * x * 4;
  assert.equal(est.peakActivationBytes, 5 * plane);
  assert.equal(est.inputBytes, 2 * plane);
  assert.deepEqual(est.outputShapes, { image: [t, y, x] });
  // 4 DFT matrices + 3 int64 constants
  assert.equal(est.weightsBytes, 4 * (2 * y * y + 2 * x * x) + 8 * 3);
  assert.deepEqual(est.unknownOps, []);
});

Deno.test("estimateMemory: mixed ops (shape arithmetic, Reshape 0/-1, Pad, Slice, ConvTranspose)", () => {
  const est = estimateMemory(mixedOpsModel(), {}, { perTensor: true });
  assert.deepEqual(est.unknownOps, []);
  assert.deepEqual(est.warnings, []);
  const dims = Object.fromEntries(est.perTensor!.map((t) => [t.name, t.dims]));
  assert.deepEqual(dims.d, [1, 4, 8, 6]);
  assert.deepEqual(dims.gap, [1, 4, 1, 1]);
  assert.deepEqual(dims.flat, [1, 4, 48]);
  assert.deepEqual(dims.gram, [1, 4, 4]);
  assert.deepEqual(dims.gram_u, [1, 4, 1, 1]);
  assert.deepEqual(dims.s1, [1, 2, 8, 6]);
  assert.deepEqual(dims.u, [1, 2, 16, 12]);
  assert.deepEqual(dims.u_pad, [1, 2, 18, 14]);
  assert.deepEqual(dims.u_crop, [1, 2, 16, 12]);
  assert.deepEqual(dims.u_sq, [2, 16, 12]);
  // shape tensors are folded, not counted
  assert.equal(dims.shp, undefined);
  assert.equal(dims.flat_shape, undefined);
  assert.deepEqual(est.outputShapes, { y: [1, 2, 16, 12] });
});

Deno.test("estimateMemory: unknown ops are listed and guessed, value_info is used when present", () => {
  const g = new GraphBuilder("custom")
    .input("x", "float32", ["N", 4])
    .input("small", "float32", [4])
    .output("y", "float32", ["N", 4])
    .node("FancyOp", ["small", "x"], ["a"], {}, { domain: "com.example" })
    .node("Einsum", ["a"], ["b"], { equation: "ij->ij" })
    .valueInfo("b", "float32", [5, 6])
    .node("Relu", ["b"], ["y"]);
  const est = estimateMemory(
    g.toModel({ extraOpsets: { "com.example": 1 } }),
    { x: [5, 4] },
    { perTensor: true },
  );
  assert.deepEqual(est.unknownOps, ["Einsum", "com.example.FancyOp"]);
  const dims = Object.fromEntries(est.perTensor!.map((t) => [t.name, t.dims]));
  assert.deepEqual(dims.a, [5, 4], "guess: the largest input");
  assert.deepEqual(dims.b, [5, 6], "from value_info");
  assert.deepEqual(est.outputShapes.y, [5, 6]);
});

Deno.test("estimateMemory: missing, unknown or contradicting input shapes -> ShapeError", () => {
  const model = convNetModel();
  assert.throws(
    () => estimateMemory(model, {}),
    (e) =>
      e instanceof ShapeError && /give the shape of input "x"/.test(e.message) &&
      /x \[N, 2, H, W\]/.test(e.message),
  );
  assert.throws(() => estimateMemory(model, { x: [1, 2, 4, 4], z: [1] }), /no input "z"/);
  assert.throws(() => estimateMemory(model, { x: [1, 3, 4, 4] }), ShapeError);
  assert.throws(() => estimateMemory(model, { x: [1, 2, 4] }), ShapeError);
});

Deno.test("estimateMemory: constant folding through Where/Equal/Cast/ConstantOfShape/Expand", () => {
  const g = new GraphBuilder("fold").input("x", "float32", [2, 3, 4]).output("y", "float32", [
    4,
    6,
  ]);
  g.ints("want", [-1, 6]);
  g.ints("minus1", [-1]);
  g.node("Shape", ["x"], ["s"]);
  g.node("Equal", ["want", "minus1"], ["is_neg"]);
  g.node("ConstantOfShape", ["minus1"], ["ones"], {}); // [-1] as a shape is invalid: not used
  g.node("Where", ["is_neg", "minus1", "want"], ["shape2"]);
  g.node("Cast", ["shape2"], ["shape3"], { to: 7 });
  g.node("Reshape", ["x", "shape3"], ["y"]);
  const est = estimateMemory(g.toModel(), {});
  assert.deepEqual(est.outputShapes.y, [4, 6]);
  assert.equal(est.warnings.length, 1, "the bad ConstantOfShape is reported, not fatal");
  assert.match(est.warnings[0], /ConstantOfShape/);
});

/** One op, its inputs (fed with floats or given as initializers), attributes, outputs. */
interface OpCase {
  op: string;
  inputs: { name: string; dims: number[]; init?: TensorData }[];
  attrs?: Record<string, AttrInput>;
  outputs?: { type: ElemType }[];
  expect: number[][];
}

const i64 = (...v: number[]) => BigInt64Array.from(v.map(BigInt));
const f32 = (...v: number[]) => Float32Array.from(v);
const zeros = (n: number) => new Float32Array(n);

const CASES: OpCase[] = [
  {
    op: "Conv",
    inputs: [{ name: "x", dims: [1, 4, 11, 9] }, {
      name: "w",
      dims: [6, 2, 3, 3],
      init: zeros(108),
    }],
    attrs: { group: 2, strides: [2, 1], dilations: [1, 2], pads: [1, 0, 1, 2] },
    expect: [[1, 6, 6, 7]],
  },
  {
    op: "Conv",
    inputs: [{ name: "x", dims: [1, 1, 7, 8] }, { name: "w", dims: [2, 1, 3, 3], init: zeros(18) }],
    attrs: { auto_pad: "SAME_UPPER", strides: [2, 2] },
    expect: [[1, 2, 4, 4]],
  },
  {
    op: "ConvTranspose",
    inputs: [{ name: "x", dims: [1, 3, 5, 4] }, { name: "w", dims: [3, 2, 3, 3], init: zeros(54) }],
    attrs: { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 0] },
    expect: [[1, 2, 10, 7]],
  },
  {
    op: "MaxPool",
    inputs: [{ name: "x", dims: [1, 2, 8, 7] }],
    attrs: { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 },
    expect: [[1, 2, 4, 3]],
  },
  {
    op: "AveragePool",
    inputs: [{ name: "x", dims: [1, 2, 9, 8] }],
    attrs: { kernel_shape: [2, 2], strides: [2, 2] },
    expect: [[1, 2, 4, 4]],
  },
  { op: "GlobalAveragePool", inputs: [{ name: "x", dims: [2, 3, 5, 4] }], expect: [[2, 3, 1, 1]] },
  {
    op: "MatMul",
    inputs: [{ name: "a", dims: [2, 1, 4, 3] }, { name: "b", dims: [5, 3, 6] }],
    expect: [[2, 5, 4, 6]],
  },
  {
    op: "MatMul",
    inputs: [{ name: "a", dims: [3] }, { name: "b", dims: [2, 3, 4] }],
    expect: [[2, 4]],
  },
  {
    op: "Gemm",
    inputs: [{ name: "a", dims: [4, 3] }, { name: "b", dims: [5, 3] }, { name: "c", dims: [5] }],
    attrs: { transB: 1 },
    expect: [[4, 5]],
  },
  {
    op: "Add",
    inputs: [{ name: "a", dims: [2, 1, 4] }, { name: "b", dims: [3, 1] }],
    expect: [[2, 3, 4]],
  },
  {
    op: "ReduceMean",
    inputs: [{ name: "x", dims: [2, 3, 4, 5] }],
    attrs: { axes: [1, -1], keepdims: 0 },
    expect: [[2, 4]],
  },
  {
    op: "ReduceSum",
    inputs: [{ name: "x", dims: [2, 3, 4] }, { name: "axes", dims: [1], init: i64(1) }],
    expect: [[2, 1, 4]],
  },
  {
    op: "Reshape",
    inputs: [{ name: "x", dims: [2, 3, 4] }, { name: "s", dims: [3], init: i64(-1, 2, 0) }],
    expect: [[3, 2, 4]],
  },
  {
    op: "Flatten",
    inputs: [{ name: "x", dims: [2, 3, 4, 5] }],
    attrs: { axis: 2 },
    expect: [[6, 20]],
  },
  {
    op: "Slice",
    inputs: [
      { name: "x", dims: [10, 8] },
      { name: "st", dims: [2], init: i64(-1, 1) },
      { name: "en", dims: [2], init: BigInt64Array.from([-(2n ** 63n), 100n]) },
      { name: "ax", dims: [2], init: i64(0, 1) },
      { name: "sp", dims: [2], init: i64(-2, 3) },
    ],
    expect: [[5, 3]],
  },
  {
    op: "Pad",
    inputs: [{ name: "x", dims: [2, 3] }, { name: "p", dims: [4], init: i64(1, 0, 2, 1) }],
    attrs: { mode: "edge" },
    expect: [[5, 4]],
  },
  {
    op: "Transpose",
    inputs: [{ name: "x", dims: [2, 3, 4] }],
    attrs: { perm: [2, 0, 1] },
    expect: [[4, 2, 3]],
  },
  { op: "Transpose", inputs: [{ name: "x", dims: [2, 3, 4] }], expect: [[4, 3, 2]] },
  {
    op: "Concat",
    inputs: [{ name: "a", dims: [2, 3] }, { name: "b", dims: [2, 5] }],
    attrs: { axis: -1 },
    expect: [[2, 8]],
  },
  {
    op: "Split",
    inputs: [{ name: "x", dims: [2, 4] }, { name: "sp", dims: [2], init: i64(1, 3) }],
    attrs: { axis: 1 },
    outputs: [{ type: "float32" }, { type: "float32" }],
    expect: [[2, 1], [2, 3]],
  },
  {
    op: "Split",
    inputs: [{ name: "x", dims: [6, 4] }],
    outputs: [{ type: "float32" }, { type: "float32" }, { type: "float32" }],
    expect: [[2, 4], [2, 4], [2, 4]],
  },
  {
    op: "Unsqueeze",
    inputs: [{ name: "x", dims: [3, 4] }, { name: "a", dims: [2], init: i64(0, -1) }],
    expect: [[1, 3, 4, 1]],
  },
  { op: "Squeeze", inputs: [{ name: "x", dims: [1, 3, 1, 4] }], expect: [[3, 4]] },
  {
    op: "Gather",
    inputs: [{ name: "x", dims: [3, 5, 2] }, {
      name: "i",
      dims: [2, 4],
      init: i64(0, 1, 2, 3, 4, 0, 1, 2),
    }],
    attrs: { axis: 1 },
    expect: [[3, 2, 4, 2]],
  },
  {
    op: "Expand",
    inputs: [{ name: "x", dims: [3, 1] }, { name: "s", dims: [3], init: i64(2, 1, 4) }],
    expect: [[2, 3, 4]],
  },
  {
    op: "Tile",
    inputs: [{ name: "x", dims: [2, 3, 4] }, { name: "r", dims: [3], init: i64(2, 1, 3) }],
    expect: [[4, 3, 12]],
  },
  {
    op: "Resize",
    inputs: [
      { name: "x", dims: [1, 2, 4, 6] },
      { name: "roi", dims: [0], init: zeros(0) },
      { name: "sc", dims: [4], init: f32(1, 1, 2, 1.5) },
    ],
    attrs: { mode: "linear" },
    expect: [[1, 2, 8, 9]],
  },
  {
    op: "DepthToSpace",
    inputs: [{ name: "x", dims: [1, 8, 3, 3] }],
    attrs: { blocksize: 2 },
    expect: [[1, 2, 6, 6]],
  },
  {
    op: "ConstantOfShape",
    inputs: [{ name: "s", dims: [2], init: i64(2, 3) }],
    expect: [[2, 3]],
  },
  {
    op: "Shape",
    inputs: [{ name: "x", dims: [2, 3, 4] }],
    attrs: { start: 1 },
    outputs: [{ type: "int64" }],
    expect: [[2]],
  },
  {
    op: "ArgMax",
    inputs: [{ name: "x", dims: [3, 5] }],
    attrs: { axis: 1, keepdims: 0 },
    outputs: [{ type: "int64" }],
    expect: [[3]],
  },
  {
    op: "TopK",
    inputs: [{ name: "x", dims: [3, 5] }, { name: "k", dims: [1], init: i64(2) }],
    outputs: [{ type: "float32" }, { type: "int64" }],
    expect: [[3, 2], [3, 2]],
  },
  {
    op: "DFT",
    inputs: [{ name: "x", dims: [1, 8, 1] }],
    attrs: { axis: 1, onesided: 1 },
    expect: [[1, 5, 2]],
  },
  {
    op: "LayerNormalization",
    inputs: [{ name: "x", dims: [2, 3, 4] }, { name: "s", dims: [4], init: f32(1, 1, 1, 1) }],
    expect: [[2, 3, 4]],
  },
  {
    op: "InstanceNormalization",
    inputs: [
      { name: "x", dims: [2, 3, 4, 4] },
      { name: "s", dims: [3], init: f32(1, 1, 1) },
      { name: "b", dims: [3], init: f32(0, 0, 0) },
    ],
    expect: [[2, 3, 4, 4]],
  },
  { op: "Softmax", inputs: [{ name: "x", dims: [2, 7] }], expect: [[2, 7]] },
];

Deno.test("estimateMemory shape rules agree with onnxruntime, op by op", async () => {
  for (const c of CASES) {
    const g = new GraphBuilder(c.op);
    const feeds: Record<string, ort.Tensor> = {};
    const r = seededRandom(11);
    for (const i of c.inputs) {
      if (i.init) g.initializer(i.name, i.init, i.dims);
      else {
        g.input(i.name, "float32", i.dims);
        const n = i.dims.reduce((a, b) => a * b, 1);
        feeds[i.name] = new ort.Tensor("float32", new Float32Array(n).map(() => r()), i.dims);
      }
    }
    const outs = (c.outputs ?? [{ type: "float32" as ElemType }]).map((o, k) => {
      g.output(`out${k}`, o.type, undefined);
      return `out${k}`;
    });
    g.node(c.op, c.inputs.map((i) => i.name), outs, c.attrs ?? {});
    const bytes = g.toModel({ opset: 17 });
    const label = `${c.op} ${JSON.stringify(c.attrs ?? {})}`;
    const est = estimateMemory(bytes, {});
    assert.deepEqual(est.unknownOps, [], label);
    assert.deepEqual(est.warnings, [], label);
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ["cpu"] });
    try {
      const res = await session.run(feeds);
      outs.forEach((o, k) => {
        assert.deepEqual([...res[o].dims], c.expect[k], `${label}: onnxruntime`);
        assert.deepEqual(est.outputShapes[o], c.expect[k], `${label}: estimate`);
      });
    } finally {
      await session.release();
    }
  }
});

Deno.test("planBatch: the largest batch under margin * limit - weights", () => {
  const perSlice = 1 * GiB;
  const f = (b: number) => b * perSlice;
  assert.deepEqual(planBatch(f, 24 * GiB, 100), {
    batch: 19,
    bytes: 19 * GiB,
    budgetBytes: 0.8 * 24 * GiB,
  });
  assert.equal(planBatch(f, 24 * GiB, 100, { weightsBytes: 2 * GiB }).batch, 17);
  assert.equal(planBatch(f, 24 * GiB, 100, { margin: 1 }).batch, 24);
  assert.equal(planBatch(f, 24 * GiB, 5).batch, 5, "capped by maxBatch");
  assert.equal(planBatch(f, 24 * GiB, 1).batch, 1);
  // non-linear growth (fixed overhead + per slice)
  const g = (b: number) => 3 * GiB + b * 0.5 * GiB;
  assert.equal(planBatch(g, 24 * GiB, 1000).batch, 32); // 3 + 16 = 19 <= 19.2
  // nothing fits
  const p = planBatch((b) => b * 30 * GiB, 24 * GiB, 10, { unitShape: "[1, 12, 10, 246, 512, 2]" });
  assert.equal(p.batch, 0);
  assert.equal(p.bytes, 30 * GiB);
  assert.equal(
    p.message,
    "needs 30.0 GiB for one slice of shape [1, 12, 10, 246, 512, 2], the limit is 24.0 GiB " +
      "(80% usable: 19.2 GiB for activations)",
  );
  assert.equal(planBatch(f, 24 * GiB, 0).batch, 0);
});

Deno.test("planModelBatch sizes a conv net against a limit", () => {
  const model = convNetModel({ hidden: 32, layers: 5 });
  const perSlice = (2 + 64) * 246 * 512 * 4;
  const weights = convNetWeightBytes({ hidden: 32, layers: 5 });
  const limit = (10 * perSlice + weights) / 0.8 + 1; // room for 10 slices, not 11
  const p = planModelBatch(model, (b) => ({ x: [b, 2, 246, 512] }), limit, 64);
  assert.equal(p.batch, 10);
  assert.equal(p.bytes, 10 * perSlice);
  assert.equal(p.weightsBytes, weights);
  const none = planModelBatch(model, (b) => ({ x: [b, 2, 246, 512] }), perSlice, 64, {
    unitShape: "[1, 2, 246, 512]",
  });
  assert.equal(none.batch, 0);
  assert.match(
    none.message!,
    /needs 31\.7 MiB \+ .* weights for one slice of shape \[1, 2, 246, 512\]/,
  );
});

Deno.test({
  name: "estimateMemory is in the ballpark of onnxruntime's measured peak RSS on CPU",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const config = new URL("../../deno.json", import.meta.url).pathname;
    const self = new URL(import.meta.url).pathname;
    const measured: number[] = [], estimated: number[] = [];
    for (const s of [384, 768]) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--config", config, self, "rss", String(s)],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
      const r = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
      if (!r.reset) return; // cannot reset the peak here: nothing to compare
      measured.push(r.delta);
      estimated.push(
        estimateMemory(convNetModel(CHILD_SPEC), { x: [1, 2, s, s] }).peakActivationBytes,
      );
    }
    for (let i = 0; i < 2; i++) {
      const ratio = measured[i] / estimated[i];
      assert.ok(ratio > 1 / 3 && ratio < 3, `measured ${measured[i]} vs estimate ${estimated[i]}`);
    }
    const growth = measured[1] / measured[0];
    assert.ok(growth > 2 && growth < 6, `4x the pixels grew the peak ${growth}x`);
  },
});

const hasTorch = (() => {
  try {
    return new Deno.Command("/usr/bin/python3", {
      args: ["-c", "import torch, onnx"],
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
  } catch {
    return false;
  }
})();

/** A small PyTorch net over `[B, T, Y, X, 2]` with shape arithmetic, exported at opset 17. */
const TORCH_EXPORT = `
import sys, torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
class Net(nn.Module):
    def __init__(s):
        super().__init__()
        s.c1 = nn.Conv2d(2, 8, 3, padding=1); s.bn = nn.BatchNorm2d(8)
        s.down = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        s.up = nn.ConvTranspose2d(16, 8, 2, stride=2)
        s.c2 = nn.Conv2d(16, 2, 3, padding=1); s.inorm = nn.InstanceNorm2d(16, affine=True)
        s.fc = nn.Linear(16, 16)
    def forward(s, x):
        b, t, h, w, _ = x.shape
        y = x.permute(0, 1, 4, 2, 3).reshape(b * t, 2, h, w)
        a = F.leaky_relu(s.bn(s.c1(y)), 0.1)
        d = F.relu(s.down(a))
        d = d * torch.sigmoid(s.fc(d.mean(dim=(2, 3))))[:, :, None, None]
        u = F.interpolate(s.up(d), size=(h, w), mode="bilinear", align_corners=False)
        o = s.c2(s.inorm(torch.cat([a, u], dim=1)))
        return x + o.reshape(b, t, 2, h, w).permute(0, 1, 3, 4, 2)
axes = {0: "B", 1: "T", 2: "Y", 3: "X"}
torch.onnx.export(Net().eval(), torch.randn(1, 3, 20, 16, 2), sys.argv[1], opset_version=17,
    input_names=["kspace"], output_names=["image"],
    dynamic_axes={"kspace": axes, "image": axes})
`;

Deno.test({
  name: "a PyTorch-exported model: decoded, estimated without unknown ops, shapes as onnxruntime",
  ignore: !hasTorch,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "cmrxkit-torch-" });
    try {
      const path = `${dir}/net.onnx`;
      const out = await new Deno.Command("/usr/bin/python3", {
        args: ["-c", TORCH_EXPORT, path],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
      const e = await OnnxSession.load(path, { device: "cpu" });
      try {
        assert.deepEqual(e.inputs, [{
          name: "kspace",
          elemType: 1,
          dims: ["B", "T", "Y", "X", 2],
        }]);
        const bytes = await Deno.readFile(path);
        for (const shape of [[1, 3, 20, 16, 2], [2, 5, 36, 24, 2]]) {
          const est = estimateMemory(bytes, { kspace: shape });
          assert.deepEqual(est.unknownOps, []);
          assert.deepEqual(est.warnings, []);
          assert.deepEqual(est.outputShapes.image, shape);
          const n = shape.reduce((a, b) => a * b, 1);
          const r = await e.run({ kspace: { data: new Float32Array(n).fill(0.1), dims: shape } });
          assert.deepEqual(r.image.dims, shape);
          assert.ok(est.peakActivationBytes > 2 * est.inputBytes);
        }
      } finally {
        await e.release();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
