import assert from "node:assert/strict";
import { CmrxError } from "../../src/errors.ts";
import {
  attr,
  AttrType,
  DataType,
  type DecodedTensor,
  decodeModel,
  GraphBuilder,
  ProtoWriter,
  tensorFloat32,
  tensorValues,
} from "../../src/engine/onnx/mod.ts";
import { convNetModel, dcZeroFillModel, identityModel, mixedOpsModel } from "./models.ts";

const PY = "/usr/bin/python3";
function pythonHas(module: string): boolean {
  try {
    return new Deno.Command(PY, {
      args: ["-c", `import ${module}`],
      stdout: "null",
      stderr: "null",
    })
      .outputSync().success;
  } catch {
    return false;
  }
}
const hasOnnx = pythonHas("onnx");

async function python(script: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command(PY, { args: ["-c", script, ...args], stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr) + text);
  return text;
}

Deno.test("ProtoWriter: varints, negative int64, fixed32 and strings follow the wire format", () => {
  const bytes = (f: (w: ProtoWriter) => void) => {
    const w = new ProtoWriter();
    f(w);
    return [...w.finish()];
  };
  assert.deepEqual(bytes((w) => w.varint(1, 150)), [0x08, 0x96, 0x01]);
  assert.deepEqual(bytes((w) => w.varint(2, 0)), [0x10, 0x00]);
  // -1 as int64: ten bytes
  assert.deepEqual(bytes((w) => w.varint(1, -1)), [
    0x08,
    0xff,
    0xff,
    0xff,
    0xff,
    0xff,
    0xff,
    0xff,
    0xff,
    0xff,
    0x01,
  ]);
  assert.deepEqual(bytes((w) => w.varint(1, 2n ** 63n - 1n)).length, 10);
  assert.deepEqual(bytes((w) => w.string(2, "testing")), [
    0x12,
    0x07,
    ...new TextEncoder().encode("testing"),
  ]);
  assert.deepEqual(bytes((w) => w.float(2, 1)), [0x15, 0x00, 0x00, 0x80, 0x3f]);
  assert.deepEqual(bytes((w) => w.message(3, new ProtoWriter().varint(1, 150))), [
    0x1a,
    0x03,
    0x08,
    0x96,
    0x01,
  ]);
});

Deno.test("GraphBuilder -> decodeModel round trip keeps inputs, outputs, initializers, nodes, attributes", () => {
  const w = new Float32Array([1.5, -2, 3.25, 0, 7, 8]);
  const body = new GraphBuilder("body")
    .input("a", "float32", [2])
    .output("b", "float32", [2])
    .node("Identity", ["a"], ["b"]);
  const g = new GraphBuilder("roundtrip")
    .input("x", "float32", ["N", 2, 3])
    .input("flag", "bool", [1])
    .output("y", "float32", ["N", 2, 3])
    .output("z", "int64", undefined)
    .initializer("w", w, [2, 3])
    .initializer("big", BigInt64Array.from([-1n, 9223372036854775807n, 5n]), [3])
    .initializer("i32", Int32Array.from([4, -4]), [2])
    .node("Add", ["x", "w"], ["s"])
    .node("LeakyRelu", ["s"], ["y"], { alpha: attr.float(1) })
    .node("Shape", ["x"], ["z"], {
      start: -2,
      ints: [1, -2, 3],
      floats: [0.5, 0.25],
      name_attr: "reflect",
      names: ["a", "b"],
      t: attr.tensor(new Float32Array([9]), []),
      g: body,
      f: 0.1,
    }, { name: "shape_node" });
  const bytes = g.toModel({ opset: 17, irVersion: 8, producer: "cmrxkit" });
  const m = decodeModel(bytes);
  assert.equal(m.irVersion, 8);
  assert.equal(m.producerName, "cmrxkit");
  assert.deepEqual(m.opsets, { "": 17 });
  assert.equal(m.graph.name, "roundtrip");
  assert.deepEqual(m.graph.inputs, [
    { name: "x", elemType: DataType.FLOAT, dims: ["N", 2, 3] },
    { name: "flag", elemType: DataType.BOOL, dims: [1] },
  ]);
  assert.deepEqual(m.graph.outputs, [
    { name: "y", elemType: DataType.FLOAT, dims: ["N", 2, 3] },
    { name: "z", elemType: DataType.INT64 },
  ]);
  const [tw, tb, ti] = m.graph.initializers;
  assert.equal(tw.name, "w");
  assert.deepEqual(tw.dims, [2, 3]);
  assert.equal(tw.size, 6);
  assert.equal(tw.byteLength, 24);
  assert.deepEqual([...tensorFloat32(tw)], [...w]);
  assert.deepEqual(tensorValues(tb), [-1, 2 ** 63, 5]);
  assert.equal(tb.dataType, DataType.INT64);
  assert.deepEqual(tensorValues(ti), [4, -4]);
  assert.deepEqual(m.graph.nodes.map((n) => [n.opType, n.inputs, n.outputs]), [
    ["Add", ["x", "w"], ["s"]],
    ["LeakyRelu", ["s"], ["y"]],
    ["Shape", ["x"], ["z"]],
  ]);
  assert.deepEqual(m.graph.nodes[1].attributes.alpha, {
    name: "alpha",
    type: AttrType.FLOAT,
    value: 1,
  });
  const a = m.graph.nodes[2].attributes;
  assert.equal(m.graph.nodes[2].name, "shape_node");
  assert.deepEqual(a.start, { name: "start", type: AttrType.INT, value: -2 });
  assert.deepEqual(a.ints.value, [1, -2, 3]);
  assert.deepEqual(a.floats.value, [0.5, 0.25]);
  assert.equal(a.name_attr.value, "reflect");
  assert.deepEqual(a.names.value, ["a", "b"]);
  assert.equal(a.f.type, AttrType.FLOAT);
  assert.ok(Math.abs((a.f.value as number) - 0.1) < 1e-7);
  assert.deepEqual(tensorValues(a.t.value as DecodedTensor), [9]);
  const sub = a.g.value as { name: string; nodes: { opType: string }[] };
  assert.equal(sub.name, "body");
  assert.equal(sub.nodes[0].opType, "Identity");
});

Deno.test("decodeModel reads float_data / int64_data (packed and not) and value_info", () => {
  // TensorProto with float_data packed, int64 dims unpacked
  const floatT = new ProtoWriter().varint(1, 2).varint(2, DataType.FLOAT).string(8, "f");
  const fb = new Uint8Array(8);
  new DataView(fb.buffer).setFloat32(0, 1.5, true);
  new DataView(fb.buffer).setFloat32(4, -3, true);
  floatT.bytes(4, fb);
  // int64 tensor with unpacked int64_data (wire type 0 per value)
  const intT = new ProtoWriter().varint(1, 3).varint(2, DataType.INT64).string(8, "i");
  for (const v of [0, -1, 12]) intT.varint(7, v);
  const vi = new ProtoWriter().string(1, "mid").message(
    2,
    new ProtoWriter().message(
      1,
      new ProtoWriter().varint(1, DataType.FLOAT).message(
        2,
        new ProtoWriter().message(1, new ProtoWriter().varint(1, 4)).message(
          1,
          new ProtoWriter().string(2, "T"),
        ),
      ),
    ),
  );
  const graph = new ProtoWriter().string(2, "g").message(5, floatT).message(5, intT).message(
    13,
    vi,
  );
  const model = new ProtoWriter().varint(1, 7).message(7, graph).message(
    8,
    new ProtoWriter().string(1, "ai.onnx").varint(2, 13),
  ).finish();
  const m = decodeModel(model);
  assert.deepEqual(m.opsets, { "": 13 });
  const [f, i] = m.graph.initializers;
  assert.deepEqual(tensorValues(f), [1.5, -3]);
  assert.deepEqual([...tensorFloat32(f)], [1.5, -3]);
  assert.equal(f.byteLength, 8);
  assert.deepEqual(tensorValues(i), [0, -1, 12]);
  assert.deepEqual(m.graph.valueInfo, [{ name: "mid", elemType: 1, dims: [4, "T"] }]);
});

Deno.test("decodeModel: bytes that are not ONNX -> CmrxError naming the file", () => {
  const text = new TextEncoder().encode("this is not a model\n");
  assert.throws(
    () => decodeModel(text, "bad.onnx"),
    (e) => e instanceof CmrxError && e.file === "bad.onnx" && /not an ONNX model/.test(e.message),
  );
  // valid protobuf without a graph
  const noGraph = new ProtoWriter().varint(1, 8).string(2, "x").finish();
  assert.throws(() => decodeModel(noGraph, "empty.onnx"), CmrxError);
  assert.throws(() => decodeModel(new Uint8Array([0x0a, 0x50, 1]), "trunc.onnx"), CmrxError);
});

Deno.test("GraphBuilder rejects undefined inputs, double definitions and wrong tensor sizes", () => {
  const g = new GraphBuilder("bad").input("x", "float32", [1]);
  assert.throws(() => g.node("Relu", ["nope"], ["y"]), /not defined yet/);
  assert.throws(() => g.input("x", "float32", [1]), /defined twice/);
  assert.throws(() => g.initializer("w", new Float32Array(3), [2, 2]), /do not fill/);
  g.output("never", "float32", [1]);
  assert.throws(() => g.toModel(), /never produced/);
});

Deno.test({
  name: "onnx.checker (full_check) accepts every model built in TypeScript",
  ignore: !hasOnnx,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "cmrxkit-onnx-" });
    try {
      const models: Record<string, Uint8Array> = {
        identity: identityModel(["T", "C", 4, 5, 2]),
        zerofill: dcZeroFillModel(6, 5),
        zerofill_fixed_mask: dcZeroFillModel(7, 8, { frames: 3, coils: 2, mask: true }),
        convnet: convNetModel({ hidden: 4, layers: 4 }),
        mixed: mixedOpsModel(),
      };
      const paths: string[] = [];
      for (const [name, bytes] of Object.entries(models)) {
        const p = `${dir}/${name}.onnx`;
        await Deno.writeFile(p, bytes);
        paths.push(p);
      }
      const out = await python(
        `import sys, onnx
for p in sys.argv[1:]:
    m = onnx.load(p)
    onnx.checker.check_model(m, full_check=True)
    print("ok", p)`,
        ...paths,
      );
      assert.equal(out.trim().split("\n").length, paths.length, out);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "decodeModel reads models serialised by python onnx (float_data, int64_data, attributes)",
  ignore: !hasOnnx,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "cmrxkit-onnx-" });
    try {
      const p = `${dir}/py.onnx`;
      await python(
        `import sys, onnx
from onnx import helper, TensorProto
w = helper.make_tensor("w", TensorProto.FLOAT, [2, 1, 3, 3], [float(i) / 4 for i in range(18)])
shape = helper.make_tensor("shape", TensorProto.INT64, [2], [0, -1])
d = helper.make_tensor("d", TensorProto.DOUBLE, [2], [0.5, 1e300])
conv = helper.make_node("Conv", ["x", "w"], ["c"], name="conv0", pads=[1, 1, 1, 1],
                        strides=[1, 1], auto_pad="NOTSET")
lr = helper.make_node("LeakyRelu", ["c"], ["r"], alpha=0.2)
rs = helper.make_node("Reshape", ["r", "shape"], ["y"])
g = helper.make_graph([conv, lr, rs], "pygraph",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 8, 8])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 128])], [w, shape, d])
m = helper.make_model(g, producer_name="python", opset_imports=[helper.make_opsetid("", 13)])
m.ir_version = 7
onnx.checker.check_model(m, full_check=True)
onnx.save(m, sys.argv[1])`,
        p,
      );
      const m = decodeModel(await Deno.readFile(p), p);
      assert.equal(m.producerName, "python");
      assert.equal(m.irVersion, 7);
      assert.deepEqual(m.opsets, { "": 13 });
      const [w, shape, d] = m.graph.initializers;
      assert.ok(w.floatData, "python stores floats in float_data");
      assert.deepEqual(w.dims, [2, 1, 3, 3]);
      assert.equal(w.byteLength, 72);
      assert.deepEqual(tensorValues(w), Array.from({ length: 18 }, (_, i) => i / 4));
      assert.deepEqual(tensorValues(shape), [0, -1]);
      assert.deepEqual(tensorValues(d), [0.5, 1e300]);
      const conv = m.graph.nodes[0];
      assert.equal(conv.name, "conv0");
      assert.deepEqual(conv.attributes.pads.value, [1, 1, 1, 1]);
      assert.equal(conv.attributes.auto_pad.value, "NOTSET");
      assert.ok(Math.abs((m.graph.nodes[1].attributes.alpha.value as number) - 0.2) < 1e-7);
      assert.deepEqual(m.graph.inputs[0], { name: "x", elemType: 1, dims: ["N", 1, 8, 8] });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
