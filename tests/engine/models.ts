/**
 * Tiny ONNX models built in TypeScript for tests (no shipped weights needed):
 * an identity, a zero-filled reconstruction (centred orthonormal inverse 2-D DFT by matmul
 * against pre-shifted DFT matrices + RSS over coils), and a small residual conv net.
 *
 * @module
 */

import { attr, GraphBuilder } from "../../src/engine/onnx/mod.ts";

/** `y = Identity(x)` with input `x` and output `y` of the given dims (symbolic allowed). */
export function identityModel(
  dims: (number | string)[],
  opts: { input?: string; output?: string; opset?: number } = {},
): Uint8Array {
  const x = opts.input ?? "x", y = opts.output ?? "y";
  return new GraphBuilder("identity")
    .input(x, "float32", dims)
    .output(y, "float32", dims)
    .node("Identity", [x], [y])
    .toModel({ opset: opts.opset ?? 17 });
}

/**
 * The centred orthonormal 1-D inverse DFT as a matrix, shifts folded in:
 * `fftshift(ifft(ifftshift(v))) * sqrt(n) = A v` with
 * `A[m, k] = exp(+2 pi i (m - h)(k - h) / n) / sqrt(n)`, `h = floor(n / 2)`.
 * @returns row-major `[n, n]` real and imaginary parts
 */
export function centredIdftMatrix(n: number): { re: Float32Array; im: Float32Array } {
  const re = new Float32Array(n * n), im = new Float32Array(n * n);
  const h = Math.floor(n / 2);
  const s = 1 / Math.sqrt(n);
  for (let m = 0; m < n; m++) {
    for (let k = 0; k < n; k++) {
      // exact phase: reduce the integer product mod n before scaling
      const r = (((m - h) * (k - h)) % n + n) % n;
      const a = (2 * Math.PI * r) / n;
      re[m * n + k] = Math.cos(a) * s;
      im[m * n + k] = Math.sin(a) * s;
    }
  }
  return { re, im };
}

function transpose(a: Float32Array, n: number): Float32Array {
  const t = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) t[j * n + i] = a[i * n + j];
  return t;
}

/**
 * Zero-filled reconstruction as an ONNX graph: input `kspace` `[T, C, Y, X, 2]` (row-major,
 * which is MATLAB `(kx, ky, coil, frame)` complex interleaved), optional input `mask`
 * `[Y, X]` multiplied onto the k-space, output `image` `[T, Y, X]` = RSS over coils of the
 * centred orthonormal 2-D inverse DFT (MATLAB `ifft2c`), computed with real MatMuls
 * against pre-shifted DFT matrices.
 *
 * @param ny phase-encode size Y
 * @param nx readout size X
 * @param opts `frames`/`coils`: fixed sizes or symbolic names (default `"T"`, `"C"`);
 *   `mask`: add the mask input
 */
export function dcZeroFillModel(
  ny: number,
  nx: number,
  opts: { frames?: number | string; coils?: number | string; mask?: boolean } = {},
): Uint8Array {
  const T = opts.frames ?? "T", C = opts.coils ?? "C";
  const g = new GraphBuilder("zerofill_dft");
  g.input("kspace", "float32", [T, C, ny, nx, 2]);
  if (opts.mask) g.input("mask", "float32", [ny, nx]);
  g.output("image", "float32", [T, ny, nx]);

  const ay = centredIdftMatrix(ny);
  const ax = centredIdftMatrix(nx);
  // Z = K Ax^T (along X), I = Ay Z (along Y)
  g.initializer("AyR", ay.re, [ny, ny]).initializer("AyI", ay.im, [ny, ny]);
  g.initializer("BxR", transpose(ax.re, nx), [nx, nx]);
  g.initializer("BxI", transpose(ax.im, nx), [nx, nx]);
  g.ints("idx_re", [0], []);
  g.ints("idx_im", [1], []);
  g.ints("axis_coil", [1]);

  g.node("Gather", ["kspace", "idx_re"], ["k_re0"], { axis: 4 });
  g.node("Gather", ["kspace", "idx_im"], ["k_im0"], { axis: 4 });
  let kr = "k_re0", ki = "k_im0";
  if (opts.mask) {
    g.node("Mul", [kr, "mask"], ["k_re"]).node("Mul", [ki, "mask"], ["k_im"]);
    kr = "k_re";
    ki = "k_im";
  }
  // along X: Z = K B, B = Ax^T (complex)
  g.node("MatMul", [kr, "BxR"], ["krBr"]).node("MatMul", [ki, "BxI"], ["kiBi"]);
  g.node("MatMul", [kr, "BxI"], ["krBi"]).node("MatMul", [ki, "BxR"], ["kiBr"]);
  g.node("Sub", ["krBr", "kiBi"], ["z_re"]).node("Add", ["krBi", "kiBr"], ["z_im"]);
  // along Y: I = Ay Z
  g.node("MatMul", ["AyR", "z_re"], ["ArZr"]).node("MatMul", ["AyI", "z_im"], ["AiZi"]);
  g.node("MatMul", ["AyR", "z_im"], ["ArZi"]).node("MatMul", ["AyI", "z_re"], ["AiZr"]);
  g.node("Sub", ["ArZr", "AiZi"], ["i_re"]).node("Add", ["ArZi", "AiZr"], ["i_im"]);
  // RSS over coils (axis 1)
  g.node("Mul", ["i_re", "i_re"], ["re2"]).node("Mul", ["i_im", "i_im"], ["im2"]);
  g.node("Add", ["re2", "im2"], ["mag2"]);
  g.node("ReduceSum", ["mag2", "axis_coil"], ["sum2"], { keepdims: 0 });
  g.node("Sqrt", ["sum2"], ["image"]);
  return g.toModel({ opset: 17 });
}

/** A seeded uniform generator in [-1, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  };
}

/** Layout of {@link convNetModel}, for hand-computed memory sums. */
export interface ConvNetSpec {
  /** Input/output channels (2: real, imaginary). */
  channels: number;
  /** Hidden channels. */
  hidden: number;
  /** Conv layers (>= 2): in -> hidden, (layers - 2) x hidden -> hidden, hidden -> in. */
  layers: number;
  /** Kernel size (odd; padding keeps the size). */
  kernel: number;
  seed: number;
}

/**
 * A small residual CNN with fixed random weights: `y = x + convL(relu(... relu(conv1(x))))`,
 * input `x` `[N, channels, H, W]` (N, H, W symbolic), output `y` of the same shape.
 * Node order: Conv, Relu, Conv, Relu, ..., Conv, Add.
 */
export function convNetModel(spec: Partial<ConvNetSpec> = {}): Uint8Array {
  const s: ConvNetSpec = { channels: 2, hidden: 8, layers: 3, kernel: 3, seed: 1, ...spec };
  const rnd = seededRandom(s.seed);
  const g = new GraphBuilder("convnet");
  g.input("x", "float32", ["N", s.channels, "H", "W"]);
  g.output("y", "float32", ["N", s.channels, "H", "W"]);
  let cur = "x";
  for (let l = 0; l < s.layers; l++) {
    const cin = l === 0 ? s.channels : s.hidden;
    const cout = l === s.layers - 1 ? s.channels : s.hidden;
    const fanIn = cin * s.kernel * s.kernel;
    const w = new Float32Array(cout * fanIn).map(() => rnd() / Math.sqrt(fanIn));
    const b = new Float32Array(cout).map(() => 0.01 * rnd());
    g.initializer(`w${l}`, w, [cout, cin, s.kernel, s.kernel]);
    g.initializer(`b${l}`, b, [cout]);
    const p = (s.kernel - 1) / 2;
    g.node("Conv", [cur, `w${l}`, `b${l}`], [`c${l}`], {
      kernel_shape: [s.kernel, s.kernel],
      pads: [p, p, p, p],
    });
    cur = `c${l}`;
    if (l < s.layers - 1) {
      g.node("Relu", [cur], [`r${l}`]);
      cur = `r${l}`;
    }
  }
  g.node("Add", ["x", cur], ["y"]);
  return g.toModel({ opset: 17 });
}

/** Weight bytes of {@link convNetModel} (float32 weights + biases). */
export function convNetWeightBytes(spec: Partial<ConvNetSpec> = {}): number {
  const s = { channels: 2, hidden: 8, layers: 3, kernel: 3, ...spec };
  let n = 0;
  for (let l = 0; l < s.layers; l++) {
    const cin = l === 0 ? s.channels : s.hidden;
    const cout = l === s.layers - 1 ? s.channels : s.hidden;
    n += cout * cin * s.kernel * s.kernel + cout;
  }
  return 4 * n;
}

/**
 * A model exercising many shape rules at once (for the estimator's tests): strided conv,
 * ConvTranspose, Concat, Pad, Slice, Reshape with 0/-1, Transpose, MatMul, ReduceMean,
 * Unsqueeze/Squeeze, Split, Shape-Gather-Concat shape arithmetic, LeakyRelu with a float
 * attribute, InstanceNormalization, GlobalAveragePool, Sigmoid, Mul.
 * Input `x` `[1, 2, 16, 12]`, output `y` `[1, 2, 16, 12]`.
 */
export function mixedOpsModel(): Uint8Array {
  const rnd = seededRandom(7);
  const w = (n: number) => new Float32Array(n).map(() => 0.1 * rnd());
  const g = new GraphBuilder("mixed");
  g.input("x", "float32", [1, 2, 16, 12]).output("y", "float32", [1, 2, 16, 12]);
  g.initializer("w_down", w(4 * 2 * 3 * 3), [4, 2, 3, 3]);
  g.initializer("w_up", w(4 * 2 * 2 * 2), [4, 2, 2, 2]);
  g.initializer("w_mix", w(4 * 4 * 1 * 1), [4, 4, 1, 1]);
  g.initializer("in_scale", new Float32Array(4).fill(1), [4]);
  g.initializer("in_bias", new Float32Array(4), [4]);
  g.ints("pads", [0, 0, 1, 1, 0, 0, 1, 1]);
  g.ints("starts", [1, 1]);
  g.ints("ends", [-1, -1]);
  g.ints("axes23", [2, 3]);
  g.ints("gidx", [0]);
  g.ints("minus1", [-1]);
  g.ints("ax0", [0]);
  g.ints("split", [2, 2]);
  // [1,2,16,12] -conv s2-> [1,4,8,6]
  g.node("Conv", ["x", "w_down"], ["d"], { pads: [1, 1, 1, 1], strides: [2, 2] });
  g.node("LeakyRelu", ["d"], ["d_act"], { alpha: attr.float(0.2) });
  g.node("InstanceNormalization", ["d_act", "in_scale", "in_bias"], ["d_n"], {
    epsilon: attr.float(1e-5),
  });
  // channel attention: GAP -> 1x1 conv -> sigmoid -> mul
  g.node("GlobalAveragePool", ["d_n"], ["gap"]);
  g.node("Conv", ["gap", "w_mix"], ["att_logit"]);
  g.node("Sigmoid", ["att_logit"], ["att"]);
  g.node("Mul", ["d_n", "att"], ["d_att"]);
  // flatten spatial via shape arithmetic: Reshape(d_att, concat(shape[0], 0, -1))
  g.node("Shape", ["d_att"], ["shp"]);
  g.node("Gather", ["shp", "gidx"], ["n_dim"], { axis: 0 });
  g.ints("zero", [0]);
  g.node("Concat", ["n_dim", "zero", "minus1"], ["flat_shape"], { axis: 0 });
  g.node("Reshape", ["d_att", "flat_shape"], ["flat"]); // [1,4,48]
  g.node("Transpose", ["flat"], ["flat_t"], { perm: [0, 2, 1] }); // [1,48,4]
  g.node("MatMul", ["flat", "flat_t"], ["gram"]); // [1,4,4]
  g.node("ReduceMean", ["gram"], ["gram_m"], { axes: [2], keepdims: 1 }); // [1,4,1]
  g.node("Unsqueeze", ["gram_m", "minus1"], ["gram_u"]); // [1,4,1,1]
  g.node("Mul", ["d_att", "gram_u"], ["d2"]); // [1,4,8,6]
  g.node("Split", ["d2", "split"], ["s1", "s2"], { axis: 1 }); // 2x [1,2,8,6]
  g.node("Concat", ["s2", "s1"], ["d3"], { axis: 1 }); // [1,4,8,6]
  // up: ConvTranspose stride 2 -> [1,2,16,12]
  g.node("ConvTranspose", ["d3", "w_up"], ["u"], { strides: [2, 2] });
  // pad + slice back to the same size
  g.node("Pad", ["u", "pads"], ["u_pad"], { mode: "reflect" }); // [1,2,18,14]
  g.node("Slice", ["u_pad", "starts", "ends", "axes23"], ["u_crop"]); // [1,2,16,12]
  g.node("Squeeze", ["u_crop", "ax0"], ["u_sq"]); // [2,16,12]
  g.node("Unsqueeze", ["u_sq", "ax0"], ["u_back"]); // [1,2,16,12]
  g.node("Add", ["x", "u_back"], ["y"]);
  return g.toModel({ opset: 17 });
}
