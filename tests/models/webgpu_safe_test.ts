// The WebGPU Conv hazard (onnxruntime-web 1.30, conv2d_mm.cc): the rule in
// src/engine/webgpu_hazards.ts, the Python pass that removes it (cmrxtrain.webgpu_safe), and
// the shipped models: none affected, and the patched VN graphs equal to the originals on CPU.
import assert from "node:assert/strict";
import { decodeModel, GraphBuilder } from "../../src/engine/onnx/mod.ts";
import { type EngineTensor, OnnxSession } from "../../src/engine/session.ts";
import {
  isWebGpuConvHazard,
  WEBGPU_CONV_RULE,
  webgpuConvHazards,
} from "../../src/engine/webgpu_hazards.ts";
import { rngFor } from "../../src/synth/random.ts";
import { hasTorch, PYTHON, ROOT } from "../train/python.ts";

const tmp = await Deno.makeTempDir({ prefix: "cmrxkit-webgpu-safe-" });
const pyOpts = { ignore: !hasTorch, sanitizeResources: false, sanitizeOps: false };

/** A single 2-D Conv `x [1, cin, 8, 10] -> y [1, cout, 8, 10]` with random weights. */
function convModel(
  cin: number,
  cout: number,
  k = 3,
  opts: { bias?: boolean; group?: number } = {},
) {
  const group = opts.group ?? 1;
  const rng = rngFor(7, "conv", cin, cout, k);
  const w = new Float32Array(cout * (cin / group) * k * k).map(() => rng.gaussian(0, 0.2));
  const g = new GraphBuilder(`conv_${cin}_${cout}_${k}`)
    .input("x", "float32", [1, cin, 8, 10])
    .output("y", "float32", [1, cout, 8, 10])
    .initializer("w", w, [cout, cin / group, k, k]);
  const inputs = ["x", "w"];
  if (opts.bias) {
    g.initializer("b", new Float32Array(cout).map(() => rng.gaussian(0, 1)), [cout]);
    inputs.push("b");
  }
  const p = (k - 1) / 2;
  g.node("Relu", ["x"], ["xr"]);
  g.node("Conv", ["xr", ...inputs.slice(1)], ["y"], {
    kernel_shape: [k, k],
    pads: [p, p, p, p],
    group,
  }, { name: "/enc/first/Conv" });
  return g.toModel({ opset: 17 });
}

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let d = 0, m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return d / (m || 1);
}

async function runCpu(path: string, feeds: Record<string, EngineTensor>) {
  const s = await OnnxSession.load(path, { device: "cpu", intraOpThreads: 1, warmup: false });
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}

function webgpuSafe(src: string, dst: string): string {
  const r = new Deno.Command(PYTHON, {
    args: ["-m", "cmrxtrain.webgpu_safe", src, dst],
    cwd: ROOT,
    env: { PYTHONPATH: `${ROOT}train` },
  }).outputSync();
  const out = new TextDecoder().decode(r.stdout), err = new TextDecoder().decode(r.stderr);
  assert.ok(r.success, `cmrxtrain.webgpu_safe failed: ${out}${err}`);
  return out;
}

Deno.test("webgpu hazard rule: Cin % 3 == 0, Cin % 4 != 0, Cin > 3, Cout % 4 == 0, k > 1x1", () => {
  assert.ok(isWebGpuConvHazard([16, 6, 3, 3]));
  assert.ok(isWebGpuConvHazard([24, 18, 3, 3]));
  assert.ok(isWebGpuConvHazard([16, 9, 3, 3]));
  assert.ok(isWebGpuConvHazard([8, 6, 1, 3]));
  for (
    const [dims, why] of [
      [[16, 8, 3, 3], "Cin a multiple of 4"],
      [[16, 12, 3, 3], "Cin a multiple of 4 and 3"],
      [[16, 3, 3, 3], "Cin 3"],
      [[16, 5, 3, 3], "Cin not a multiple of 3"],
      [[6, 6, 3, 3], "Cout not a multiple of 4"],
      [[16, 6, 1, 1], "1x1 kernel"],
      [[16, 6, 3], "1-D Conv"],
    ] as [number[], string][]
  ) assert.ok(!isWebGpuConvHazard(dims), why);
  assert.ok(!isWebGpuConvHazard([16, 3, 3, 3], 2), "grouped");
});

Deno.test("webgpuConvHazards finds the affected Conv of a small graph, not the others", () => {
  const found = webgpuConvHazards(decodeModel(convModel(6, 16)));
  assert.equal(found.length, 1);
  assert.equal(found[0].node, "/enc/first/Conv");
  assert.deepEqual([found[0].cin, found[0].cout, ...found[0].kernel], [6, 16, 3, 3]);
  assert.ok(found[0].reason.includes(WEBGPU_CONV_RULE));
  assert.equal(webgpuConvHazards(decodeModel(convModel(6, 16, 3, { bias: true }))).length, 1);
  assert.deepEqual(webgpuConvHazards(decodeModel(convModel(8, 16))), []);
  assert.deepEqual(webgpuConvHazards(decodeModel(convModel(6, 6))), []);
  assert.deepEqual(webgpuConvHazards(decodeModel(convModel(6, 16, 1))), []);
  assert.deepEqual(webgpuConvHazards(decodeModel(convModel(6, 12, 3, { group: 2 }))), []);
});

Deno.test(
  "cmrxtrain.webgpu_safe pads an affected Conv (same CPU output), leaves others",
  pyOpts,
  async () => {
    const rng = rngFor(3, "x");
    for (
      const [cin, cout, bias, expected] of [
        [6, 16, false, 1],
        [6, 16, true, 1],
        [18, 24, true, 1],
        [8, 16, false, 0],
        [6, 6, true, 0],
      ] as [number, number, boolean, number][]
    ) {
      const src = `${tmp}/c${cin}_${cout}_${bias}.onnx`,
        dst = `${tmp}/c${cin}_${cout}_${bias}.safe.onnx`;
      await Deno.writeFile(src, convModel(cin, cout, 3, { bias }));
      const out = webgpuSafe(src, dst);
      assert.match(out, new RegExp(`: ${expected} Conv node\\(s\\) padded`), out);
      const patched = decodeModel(await Deno.readFile(dst));
      assert.deepEqual(webgpuConvHazards(patched), [], `${cin} -> ${cout} still affected`);
      const pads = patched.graph.nodes.filter((n) => n.opType === "Pad");
      assert.equal(pads.length, 2 * expected);
      if (expected) {
        assert.deepEqual(pads.map((n) => n.name), [
          "/enc/first/Conv/webgpu_safe_pad_x",
          "/enc/first/Conv/webgpu_safe_pad_w",
        ]);
      }
      const x = new Float32Array(cin * 80).map(() => rng.gaussian(0, 1));
      const feeds = { x: { data: x, dims: [1, cin, 8, 10] } };
      const a = await runCpu(src, feeds), b = await runCpu(dst, feeds);
      assert.deepEqual(b.y.dims, a.y.dims);
      assert.ok(maxRelDiff(b.y.data, a.y.data) <= 1e-6, `${cin} -> ${cout}`);
    }
  },
);

const shipped = [...Deno.readDirSync(`${ROOT}models`)]
  .filter((e) => e.name.endsWith(".onnx")).map((e) => e.name).sort();

Deno.test("no shipped model has a Conv that onnxruntime-web's WebGPU computes wrongly", async () => {
  assert.ok(shipped.includes("relax-vn-t1.onnx") && shipped.includes("relax-vn-t2.onnx"));
  for (const name of shipped) {
    const found = webgpuConvHazards(decodeModel(await Deno.readFile(`${ROOT}models/${name}`)));
    assert.deepEqual(found.map((h) => h.node), [], `models/${name}: ${found[0]?.reason}`);
  }
});

/** The committed version of a shipped model (read-only `git show`), or undefined. */
function committed(name: string): Uint8Array | undefined {
  try {
    const r = new Deno.Command("git", {
      args: ["show", `HEAD:models/${name}`],
      cwd: ROOT,
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    return r.success ? r.stdout : undefined;
  } catch {
    return undefined;
  }
}

/** VN-style random input (as the WebGPU investigation used): `T` frames, 4 coils, 32 x 48. */
function vnFeeds(frames: number): Record<string, EngineTensor> {
  const C = 4, Y = 32, X = 48, rng = rngFor(0, "vn", frames);
  const mask = new Float32Array(frames * Y * X);
  for (let t = 0; t < frames; t++) {
    for (let y = 0; y < Y; y += 4) mask.fill(1, (t * Y + y) * X, (t * Y + y + 1) * X);
  }
  const k = new Float32Array(frames * C * Y * X * 2);
  for (let t = 0; t < frames; t++) {
    for (let c = 0; c < C; c++) {
      for (let p = 0; p < Y * X; p++) {
        const m = mask[t * Y * X + p], o = ((t * C + c) * Y * X + p) * 2;
        k[o] = rng.gaussian(0, 1) * m;
        k[o + 1] = rng.gaussian(0, 1) * m;
      }
    }
  }
  const s = new Float32Array(C * Y * X * 2).map(() => rng.gaussian(0, 0.3));
  return {
    kspace: { data: k, dims: [1, frames, C, Y, X, 2] },
    mask: { data: mask, dims: [1, frames, Y, X] },
    sens: { data: s, dims: [1, C, Y, X, 2] },
  };
}

for (const [name, frames] of [["relax-vn-t2.onnx", 3], ["relax-vn-t1.onnx", 9]] as const) {
  Deno.test(`models/${name}: patched graph = committed graph on CPU`, {
    sanitizeResources: false,
    sanitizeOps: false,
  }, async () => {
    const original = committed(name);
    if (!original) {
      console.warn(`notice: git show HEAD:models/${name} failed; comparison skipped`);
      return;
    }
    const orig = `${tmp}/orig-${name}`;
    await Deno.writeFile(orig, original);
    console.log(
      `models/${name}: committed version has ${
        webgpuConvHazards(decodeModel(original)).length
      } WebGPU-affected Conv(s)`,
    );
    const feeds = vnFeeds(frames);
    const a = await runCpu(orig, feeds), b = await runCpu(`${ROOT}models/${name}`, feeds);
    assert.deepEqual(b.image.dims, a.image.dims);
    const d = maxRelDiff(b.image.data, a.image.data);
    console.log(`models/${name}: max |patched - committed| / max = ${d.toExponential(2)}`);
    assert.ok(d <= 1e-6, `${d}`);
  });
}
