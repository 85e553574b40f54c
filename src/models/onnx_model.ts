/**
 * An ONNX model as a {@link Reconstructor}: builds the inputs its manifest asks for from a
 * slice (k-space, mask, coil maps, zero-filled image), normalises, feeds the frames as the
 * feeder says (whole sequence, sliding window with circular wrap, or all weightings), runs
 * the engine and returns the magnitude image.
 *
 * Canonical arrays (row-major letters, outermost first), all zero-copy views of cmrxkit's
 * column-major data: k-space `T,C,Y,X,2`, mask `T,Y,X`, coil maps `C,Y,X,2`, zero-filled
 * image `T,Y,X,2`. A manifest layout is any order of the same letters, with an optional
 * leading `B` (batch of 1) and `K` for the (re, im) axis when it is not last.
 *
 * @module
 */

import { estimateMemory, type MemoryEstimate, planBatch } from "../engine/memory.ts";
import { decodeModel } from "../engine/onnx.ts";
import { DEFAULT_VRAM_LIMIT, Engine, type EngineOptions } from "../engine/session.ts";
import { CmrxError, ShapeError } from "../errors.ts";
import { ifft2c } from "../kspace/fft.ts";
import { coilCombine, sensitivityMaps } from "../kspace/sensitivity.ts";
import { zeroFilledRss } from "../recon/zerofill.ts";
import { EncodingOperator } from "../recon/operators.ts";
import type { Reconstructor, SliceInput, SliceOutput } from "../kspace/slice.ts";
import type { ModelManifest, TensorSpec } from "./manifest.ts";
import type { ModelEntry } from "./registry.ts";

/**
 * Reorders a row-major array from `src` letters to `dst` letters (same letters, any order;
 * `B` and size-1 axes may be added in `dst`). Returns the data and the dims in `dst` order.
 */
export function permute(
  data: Float32Array,
  src: string[],
  srcDims: number[],
  dst: string[],
): { data: Float32Array; dims: number[] } {
  const size: Record<string, number> = {};
  src.forEach((l, i) => (size[l] = srcDims[i]));
  const dims = dst.map((l) => size[l] ?? 1);
  const core = dst.filter((l) => l in size);
  if (core.join() === src.join()) return { data, dims };
  if (core.length !== src.length) {
    throw new ShapeError(`layout ${dst.join(",")} does not hold the axes ${src.join(",")}`);
  }
  // Strides of each src letter in the source, walked in dst order.
  const srcStride: Record<string, number> = {};
  let s = 1;
  for (let i = src.length - 1; i >= 0; i--) {
    srcStride[src[i]] = s;
    s *= srcDims[i];
  }
  const order = core.map((l) => ({ n: size[l], stride: srcStride[l] }));
  const out = new Float32Array(data.length);
  const idx = new Array(order.length).fill(0);
  let srcOff = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = data[srcOff];
    for (let k = order.length - 1; k >= 0; k--) {
      idx[k]++;
      srcOff += order[k].stride;
      if (idx[k] < order[k].n) break;
      srcOff -= order[k].stride * order[k].n;
      idx[k] = 0;
    }
  }
  return { data: out, dims };
}

function letters(layout: string): string[] {
  return layout.split(",").map((l) => (l === "K" ? "2" : l.trim()));
}

/** Circular window of `w` frames centred on `t` (PromptMR-style feeding). */
export function windowFrames(t: number, w: number, nt: number): number[] {
  const h = (w - 1) / 2;
  return Array.from({ length: w }, (_, i) => (((t - h + i) % nt) + nt) % nt);
}

/** Options of {@link OnnxReconstructor}. */
export interface OnnxModelOptions extends EngineOptions {
  /** Coil-map method when the model takes sensitivities (default acs). */
  maps?: "acs" | "espirit";
}

/** An ONNX model behind the Reconstructor interface; load once, use for many slices. */
export class OnnxReconstructor implements Reconstructor {
  readonly name: string;
  readonly description: string;
  readonly singleCoil: boolean;
  readonly manifest: ModelManifest;
  #entry: ModelEntry;
  #opts: OnnxModelOptions;
  #engine: Promise<Engine> | null = null;
  #estimates = new Map<string, MemoryEstimate>();
  #decoded: ReturnType<typeof decodeModel> | null = null;

  constructor(entry: ModelEntry, opts: OnnxModelOptions = {}) {
    this.#entry = entry;
    this.#opts = opts;
    this.manifest = entry.manifest;
    this.name = entry.manifest.name;
    this.description = entry.manifest.description;
    this.singleCoil = entry.manifest.serves.coils?.includes("SingleCoil") ?? false;
  }

  /** The engine (loaded on first use). */
  engine(): Promise<Engine> {
    this.#engine ??= Engine.load(this.#entry.onnxPath, this.#opts);
    return this.#engine;
  }

  async reconstruct(input: SliceInput): Promise<SliceOutput> {
    const m = this.manifest;
    const [nx, ny, nc, nt] = input.dims;
    const npix = nx * ny;
    if (m.padMultiple) {
      const [py, px] = m.padMultiple;
      if (ny % py || nx % px) {
        throw new ShapeError(
          `model ${m.name} needs image sizes that are multiples of ${py} x ${px} (phase x readout); this slice is ${ny} x ${nx}`,
          { hint: "export the model for arbitrary sizes, or use another --model" },
        );
      }
    }
    // Normalisation from the zero-filled RSS of the whole slice.
    const zf = zeroFilledRss(input.kspace, [nx, ny, nc, nt]);
    let scale = 1;
    if (m.normalization.kind === "max") scale = zf.reduce((a, b) => (b > a ? b : a), 0);
    else if (m.normalization.kind === "percentile") {
      const sorted = Float32Array.from(zf).sort();
      const q = (m.normalization.percentile ?? 99.5) / 100 * (sorted.length - 1);
      scale = sorted[Math.floor(q)] +
        (q % 1) * ((sorted[Math.ceil(q)] ?? 0) - sorted[Math.floor(q)]);
    }
    if (!(scale > 0)) scale = 1;
    const inv = 1 / scale;
    const kspace = input.kspace.map((v) => v * inv);
    const roles = new Set(m.inputs.map((t) => t.role));
    let maps: Float32Array | null = null;
    if (roles.has("sensitivity") || roles.has("zerofilled")) {
      maps = sensitivityMaps(input, this.#opts.maps ?? "acs").maps;
    }
    let zfComplex: Float32Array | null = null;
    if (roles.has("zerofilled")) {
      const coilImgs = ifft2c(kspace, nx, ny, nc * nt);
      zfComplex = new Float32Array(2 * npix * nt);
      for (let t = 0; t < nt; t++) {
        const c = coilCombine(
          coilImgs.subarray(2 * npix * nc * t, 2 * npix * nc * (t + 1)),
          maps!,
          nx,
          ny,
          nc,
        );
        zfComplex.set(c, 2 * npix * t);
      }
    }
    // Data-consistent RSS of the output (manifest outputMagnitude "dc-rss").
    const dc = m.outputMagnitude === "dc-rss" && maps
      ? {
        op: new EncodingOperator(maps, nx, ny, nc, input.mask, input.maskDims),
        frame: new Float32Array(2 * npix),
      }
      : null;
    const maskT = new Float32Array(npix * nt);
    const mframes = input.maskDims[2] ?? 1;
    for (let t = 0; t < nt; t++) {
      maskT.set(
        input.mask.subarray(npix * (mframes > 1 ? t : 0), npix * ((mframes > 1 ? t : 0) + 1)),
        npix * t,
      );
    }

    const fixed = m.feeder.frames;
    const calls: { frames: number[]; keep: number[] }[] = [];
    if (m.feeder.kind === "window") {
      for (let t = 0; t < nt; t++) {
        calls.push({ frames: windowFrames(t, fixed!, nt), keep: [(fixed! - 1) / 2] });
      }
    } else {
      if (fixed && fixed !== nt) {
        throw new ShapeError(
          `model ${m.name} was exported for ${fixed} frames; this slice has ${nt}`,
          { hint: "use a model exported for this frame count, or a window feeder" },
        );
      }
      calls.push({
        frames: Array.from({ length: nt }, (_, i) => i),
        keep: Array.from({ length: nt }, (_, i) => i),
      });
    }
    const engine = await this.engine();
    const image = new Float32Array(npix * nt);
    const canonOf = (role: string, f: number) => {
      switch (role) {
        case "kspace":
          return {
            per: 2 * npix * nc,
            src: ["T", "C", "Y", "X", "2"],
            dims: [f, nc, ny, nx, 2],
            from: kspace,
          };
        case "mask":
          return { per: npix, src: ["T", "Y", "X"], dims: [f, ny, nx], from: maskT };
        case "zerofilled":
          return {
            per: 2 * npix,
            src: ["T", "Y", "X", "2"],
            dims: [f, ny, nx, 2],
            from: zfComplex!,
          };
        default:
          return null;
      }
    };
    // Window calls are independent: run several per graph call (batch axis B) when every
    // input and the output have one; how many is planned from the memory estimate.
    const batched = m.feeder.kind === "window" &&
      [...m.inputs, m.output].every((t) => t.layout.startsWith("B,"));
    const batch = batched
      ? this.#planBatch(calls[0].frames.length, canonOf, engine.provider, calls.length)
      : 1;
    let runs = 0;
    for (let c0 = 0; c0 < calls.length; c0 += batch) {
      const group = calls.slice(c0, c0 + batch);
      const b = group.length;
      const f = group[0].frames.length;
      const feeds: Record<string, { data: Float32Array; dims: number[] }> = {};
      for (const spec of m.inputs) {
        const c = canonOf(spec.role, f);
        if (spec.role === "sensitivity") {
          const data = new Float32Array(maps!.length * b);
          for (let k = 0; k < b; k++) data.set(maps!, maps!.length * k);
          feeds[spec.name] = this.#feed(spec, {
            data,
            src: ["B", "C", "Y", "X", "2"],
            dims: [b, nc, ny, nx, 2],
          });
          continue;
        }
        if (!c) {
          throw new CmrxError(`input role '${spec.role}' is not one cmrxkit can provide`, {
            file: this.#entry.manifestPath,
            hint: "roles: kspace, mask, sensitivity, zerofilled",
          });
        }
        const data = new Float32Array(c.per * f * b);
        group.forEach((call, k) =>
          call.frames.forEach((t, i) =>
            data.set(c.from.subarray(c.per * t, c.per * (t + 1)), c.per * (f * k + i))
          )
        );
        feeds[spec.name] = this.#feed(spec, { data, src: ["B", ...c.src], dims: [b, ...c.dims] });
      }
      this.#checkMemory(feeds, engine.provider);
      const outs = await engine.run(feeds);
      runs++;
      const o = outs[m.output.name];
      if (!o) {
        throw new CmrxError(`model ${m.name} has no output '${m.output.name}'`, {
          file: this.#entry.manifestPath,
        });
      }
      const outLetters = letters(m.output.layout);
      const complex = outLetters.includes("2");
      const hasB = outLetters[0] === "B";
      const canon = [...(hasB ? ["B"] : []), "T", "Y", "X", ...(complex ? ["2"] : [])];
      const back = permuteBack(
        o.data,
        outLetters,
        o.dims.slice(o.dims.length - outLetters.length),
        canon,
      );
      const w = complex ? 2 : 1;
      group.forEach((call, k) => {
        for (const keep of call.keep) {
          const frame = m.feeder.kind === "window" ? c0 + k : keep;
          const dst = image.subarray(npix * frame, npix * (frame + 1));
          const base = w * npix * (f * (hasB ? k : 0) + keep);
          if (complex && dc) {
            const x = back.subarray(base, base + 2 * npix);
            for (let i = 0; i < 2 * npix; i++) dc.frame[i] = x[i] * scale;
            const perFrame = 2 * npix * nc;
            dc.op.dataConsistentRssOf(
              dc.frame,
              input.kspace.subarray(perFrame * frame, perFrame * (frame + 1)),
              frame,
              dst,
            );
            continue;
          }
          for (let p = 0; p < npix; p++) {
            dst[p] = complex
              ? Math.hypot(back[base + 2 * p], back[base + 2 * p + 1]) * scale
              : Math.abs(back[base + p]) * scale;
          }
        }
      });
    }
    return { image, info: { runs, batch, scale } };
  }

  #feed(
    spec: TensorSpec,
    c: { data: Float32Array; src: string[]; dims: number[] },
  ): { data: Float32Array; dims: number[] } {
    const want = letters(spec.layout);
    // A batch axis of 1 the layout does not name is dropped.
    if (!want.includes("B") && c.src[0] === "B") {
      return permute(c.data, c.src.slice(1), c.dims.slice(1), want);
    }
    return permute(c.data, c.src, c.dims, want);
  }

  /** Window calls per graph run: as many as fit the memory limit (at most `max`). */
  #planBatch(
    frames: number,
    canonOf: (role: string, f: number) => { dims: number[]; src: string[] } | null,
    provider: string,
    max: number,
  ): number {
    this.#decoded ??= decodeModel(Deno.readFileSync(this.#entry.onnxPath), this.#entry.onnxPath);
    const shapesFor = (b: number) =>
      Object.fromEntries(this.manifest.inputs.map((spec) => {
        const c = spec.role === "sensitivity" ? null : canonOf(spec.role, frames);
        const size: Record<string, number> = { B: b };
        if (c) c.src.forEach((l, i) => (size[l] = c.dims[i]));
        return [spec.name, letters(spec.layout).map((l) => size[l] ?? 1)];
      }));
    const limit = provider === "cuda"
      ? (this.#opts.vramLimitBytes ?? DEFAULT_VRAM_LIMIT)
      : Math.min(
        this.#opts.vramLimitBytes ?? DEFAULT_VRAM_LIMIT,
        Deno.systemMemoryInfo().total / 4,
      );
    const plan = planBatch(
      (b) => estimateMemory(this.#decoded!, shapesFor(b)).peakActivationBytes,
      limit,
      max,
      { weightsBytes: estimateMemory(this.#decoded!, shapesFor(1)).weightsBytes },
    );
    if (plan.batch === 0) {
      throw new CmrxError(`model ${this.name}: ${plan.message}`, {
        hint: "use a smaller model or raise --vram-limit if your GPU allows",
      });
    }
    this.lastBatch = plan.batch;
    return plan.batch;
  }

  /** Window calls per run chosen for the last slice (1 when not batched). */
  lastBatch = 1;

  /**
   * Static peak-memory estimate for these input shapes (cached per shape), checked against
   * the VRAM limit on CUDA (onnxruntime-node does not pass gpu_mem_limit to the CUDA
   * provider, so cmrxkit enforces the challenge's 24 GiB itself).
   */
  #checkMemory(feeds: Record<string, { dims: number[] }>, provider: string): void {
    const shapes = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, v.dims]));
    const key = JSON.stringify(shapes);
    if (this.#estimates.has(key)) return;
    this.#decoded ??= decodeModel(Deno.readFileSync(this.#entry.onnxPath), this.#entry.onnxPath);
    const est = estimateMemory(this.#decoded, shapes);
    this.#estimates.set(key, est);
    const limit = this.#opts.vramLimitBytes ?? DEFAULT_VRAM_LIMIT;
    const need = est.weightsBytes + est.peakActivationBytes;
    if (provider === "cuda" && need > 0.8 * limit) {
      throw new CmrxError(
        `model ${this.name} needs about ${(need / 1024 ** 3).toFixed(1)} GiB for inputs ${key} ` +
          `(weights + peak activations), over 80% of the ${
            (limit / 1024 ** 3).toFixed(0)
          } GiB limit`,
        {
          hint:
            "use a model with a window feeder or smaller widths, or raise --vram-limit if your GPU allows",
        },
      );
    }
  }

  /** Memory estimates made so far (one per input shape). */
  memoryEstimates(): MemoryEstimate[] {
    return [...this.#estimates.values()];
  }

  /** Frees the engine. */
  async release(): Promise<void> {
    if (this.#engine) await (await this.#engine).release();
    this.#engine = null;
  }
}

/** Reorders model output from its layout letters (no B) back to a canonical order. */
function permuteBack(
  data: Float32Array,
  from: string[],
  dims: number[],
  to: string[],
): Float32Array {
  const size: Record<string, number> = {};
  from.forEach((l, i) => (size[l] = dims[i]));
  const keep = from.filter((l) => to.includes(l) || size[l] !== 1);
  if (keep.join() === to.join()) return data;
  return permute(data, keep, keep.map((l) => size[l]), to).data;
}
