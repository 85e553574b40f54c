/**
 * Feeders: how the inputs a manifest declares are built from one {@link SliceInput}, cut
 * into graph calls (whole sequence, sliding window with circular wrap, or all
 * weightings), and how the graph's output is read back into the slice's magnitude image.
 * Running the graph is the caller's part (`onnx_model.ts`).
 *
 * Canonical arrays (row-major letters, outermost first), all zero-copy views of cmrxkit's
 * column-major data: k-space `T,C,Y,X,2`, mask `T,Y,X`, coil maps `C,Y,X,2`, zero-filled
 * image `T,Y,X,2`, zero-filled RSS image `T,Y,X`, output image `T,Y,X` (MATLAB `(x, y, frame)`). Each input role is
 * copied into its manifest layout with `layout.ts`.
 *
 * @module
 */

import { CmrxError, ShapeError } from "../errors.ts";
import { ifft2c } from "../kspace/fft.ts";
import { coilCombine, sensitivityMaps } from "../kspace/coils/mod.ts";
import { EncodingOperator } from "../kspace/encoding.ts";
import type { SliceInput } from "../kspace/slice.ts";
import { zeroFilledRss } from "../kspace/zerofill.ts";
import { fromLayout, type LaidOut, layoutDims, letters, toLayout } from "./layout.ts";
import type { ModelManifest } from "./manifest.ts";
import {
  cropFrame,
  padModeOf,
  type PadPlan,
  padPlan,
  padPlanes,
  padSlice,
  unpadFrame,
} from "./padding.ts";

/** Circular window of `w` frames centred on `t` (PromptMR-style feeding). */
export function windowFrames(t: number, w: number, nt: number): number[] {
  const h = (w - 1) / 2;
  return Array.from({ length: w }, (_, i) => (((t - h + i) % nt) + nt) % nt);
}

/**
 * Coil maps `C,Y,X,2` divided, per pixel, by their root-sum-of-squares over coils where it
 * is > 0 (manifest `sensitivity.normalize: "unit"`); pixels whose maps are all zero stay
 * zero. Returns a new array.
 */
export function unitNormMaps(maps: Float32Array, npix: number, nc: number): Float32Array {
  const out = new Float32Array(maps.length);
  for (let p = 0; p < npix; p++) {
    let ss = 0;
    for (let c = 0; c < nc; c++) {
      const i = 2 * (c * npix + p);
      ss += maps[i] * maps[i] + maps[i + 1] * maps[i + 1];
    }
    if (!(ss > 0)) continue;
    const inv = 1 / Math.sqrt(ss);
    for (let c = 0; c < nc; c++) {
      const i = 2 * (c * npix + p);
      out[i] = maps[i] * inv;
      out[i + 1] = maps[i + 1] * inv;
    }
  }
  return out;
}

/** One slice made ready for a model: normalised inputs in canonical layouts. */
export interface PreparedSlice {
  /** The slice as given, unpadded (its k-space is the measured data for `dc-rss`). */
  input: SliceInput;
  nx: number;
  ny: number;
  nc: number;
  nt: number;
  /** `nx * ny`. */
  npix: number;
  /** Normalisation divisor; outputs are multiplied back by it. */
  scale: number;
  /** Normalised k-space, `T,C,Y,X,2`. */
  kspace: Float32Array;
  /** The mask for every frame, `T,Y,X`. */
  mask: Float32Array;
  /** Coil maps `C,Y,X,2`, when a `sensitivity` or `zerofilled` input needs them. */
  maps: Float32Array | null;
  /** Coil-combined zero-filled image of the normalised k-space, `T,Y,X,2`, when asked. */
  zerofilled: Float32Array | null;
  /** Zero-filled RSS magnitude image of the normalised k-space, `T,Y,X`, when asked. */
  rss: Float32Array | null;
  /** The forward operator for `outputMagnitude: "dc-rss"`, and a frame buffer for it. */
  dc: { op: EncodingOperator; frame: Float32Array } | null;
  /**
   * The `padMultiple` padding: `nx`, `ny`, `npix` and every array above are on the padded
   * grid; the output image is on the slice's own (`pad.nx` x `pad.ny`). Null: no padding.
   */
  pad: PadPlan | null;
}

/**
 * Pads the slice to the model's `padMultiple` (k-space, centred; `padding.ts`), normalises
 * it and builds every canonical array the model's input roles need.
 *
 * @param original the slice, as read
 * @param maps coil-map method when the model takes sensitivities or a zero-filled image,
 *   unless the manifest's `sensitivity.method` says (which wins)
 */
export function prepareSlice(
  m: ModelManifest,
  original: SliceInput,
  maps: "acs" | "espirit",
): PreparedSlice {
  // padMultiple: the model sees the slice padded to the next multiples, in k-space or around
  // the image (padding.ts); its output is brought back to the slice's grid.
  const pad = padPlan(
    m.padMultiple,
    original.dims[0],
    original.dims[1],
    padModeOf(m),
  );
  const input = pad?.mode === "kspace" ? padSlice(original, pad) : original;
  const [nx, ny, nc, nt] = input.dims;
  const npix = nx * ny;
  // Normalisation from the zero-filled RSS of the whole slice (as the model sees it).
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
  // The manifest's `sensitivity` (method, normalisation) wins over the library option.
  const mapsOf = (s: SliceInput) => {
    const est = sensitivityMaps(s, m.sensitivity?.method ?? maps).maps;
    return m.sensitivity?.normalize === "unit"
      ? unitNormMaps(est, s.dims[0] * s.dims[1], s.dims[2])
      : est;
  };
  const sens = roles.has("sensitivity") || roles.has("zerofilled") ? mapsOf(input) : null;
  let zerofilled: Float32Array | null = null;
  if (roles.has("zerofilled")) {
    const coilImgs = ifft2c(kspace, nx, ny, nc * nt);
    zerofilled = new Float32Array(2 * npix * nt);
    for (let t = 0; t < nt; t++) {
      const c = coilCombine(
        coilImgs.subarray(2 * npix * nc * t, 2 * npix * nc * (t + 1)),
        sens!,
        nx,
        ny,
        nc,
      );
      zerofilled.set(c, 2 * npix * t);
    }
  }
  // Zero-filled RSS of the normalised k-space (role "rss"), MATLAB (x, y, frame) = T,Y,X.
  const rss = roles.has("rss") ? zeroFilledRss(kspace, [nx, ny, nc, nt]) : null;
  // Data-consistent RSS of the output (manifest outputMagnitude "dc-rss"), on the slice's
  // own grid: with padding, the output is brought back first and the maps are the slice's.
  const dc = m.outputMagnitude === "dc-rss" && sens
    ? {
      op: new EncodingOperator(
        pad?.mode === "kspace" ? mapsOf(original) : sens!,
        original.dims[0],
        original.dims[1],
        nc,
        original.mask,
        original.maskDims,
      ),
      frame: new Float32Array(2 * original.dims[0] * original.dims[1]),
    }
    : null;
  const mask = new Float32Array(npix * nt);
  const mframes = input.maskDims[2] ?? 1;
  for (let t = 0; t < nt; t++) {
    mask.set(
      input.mask.subarray(npix * (mframes > 1 ? t : 0), npix * ((mframes > 1 ? t : 0) + 1)),
      npix * t,
    );
  }
  if (pad?.mode === "image") {
    // image-domain inputs built on the slice's grid, then zero-padded around, centred
    // (manifest checks keep kspace and mask inputs out of this mode)
    const grow = (a: Float32Array | null, count: number, w: number) =>
      a ? padPlanes(a, pad, count, w) : null;
    return {
      input: original,
      nx: pad.px,
      ny: pad.py,
      nc,
      nt,
      npix: pad.px * pad.py,
      scale,
      kspace,
      mask,
      maps: grow(sens, nc, 2),
      zerofilled: grow(zerofilled, nt, 2),
      rss: grow(rss, nt, 1),
      dc,
      pad,
    };
  }
  return {
    input: original,
    nx,
    ny,
    nc,
    nt,
    npix,
    scale,
    kspace,
    mask,
    maps: sens,
    zerofilled,
    rss,
    dc,
    pad,
  };
}

/** One graph call: the frames it is fed, and which of its output frames are kept. */
export interface FeedCall {
  frames: number[];
  keep: number[];
}

/**
 * The graph calls for a slice of `nt` frames: one per frame for a `window` feeder (its
 * centre kept), else one with every frame.
 *
 * @throws {ShapeError} when a graph exported for a fixed frame count gets another count
 */
export function planCalls(m: ModelManifest, nt: number): FeedCall[] {
  const fixed = m.feeder.frames;
  const calls: FeedCall[] = [];
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
  return calls;
}

/**
 * Whether window calls may be run several per graph call: a `window` feeder whose inputs
 * and output all have a leading batch axis `B`.
 */
export function batchable(m: ModelManifest): boolean {
  return m.feeder.kind === "window" &&
    [...m.inputs, m.output].every((t) => t.layout.startsWith("B,"));
}

/** A per-frame input role in its canonical layout, for calls of `f` frames. */
export interface CanonicalInput {
  /** Values per frame. */
  per: number;
  /** Canonical letters (without `B`). */
  src: string[];
  /** Dims of one call, in `src` order. */
  dims: number[];
  /** The whole slice's array, frames outermost. */
  from: Float32Array;
}

/** The canonical array of a per-frame role; null for `sensitivity` (not per frame) or an unknown role. */
export function canonicalInput(p: PreparedSlice, role: string, f: number): CanonicalInput | null {
  const { npix, nc, ny, nx } = p;
  switch (role) {
    case "kspace":
      return {
        per: 2 * npix * nc,
        src: ["T", "C", "Y", "X", "2"],
        dims: [f, nc, ny, nx, 2],
        from: p.kspace,
      };
    case "mask":
      return { per: npix, src: ["T", "Y", "X"], dims: [f, ny, nx], from: p.mask };
    case "zerofilled":
      return {
        per: 2 * npix,
        src: ["T", "Y", "X", "2"],
        dims: [f, ny, nx, 2],
        from: p.zerofilled!,
      };
    case "rss":
      return { per: npix, src: ["T", "Y", "X"], dims: [f, ny, nx], from: p.rss! };
    default:
      return null;
  }
}

/**
 * The dims of every graph input for a run of `b` calls of `f` frames each, in the layout
 * its manifest entry declares: exactly the dims {@link buildFeeds} gives, without building
 * the data (for the memory estimate of a batch).
 *
 * @param manifestPath named in errors
 * @throws {CmrxError} for an input role cmrxkit cannot provide
 */
export function inputShapes(
  m: ModelManifest,
  p: PreparedSlice,
  b: number,
  f: number,
  manifestPath: string,
): Record<string, number[]> {
  const { nc, ny, nx } = p;
  return Object.fromEntries(m.inputs.map((spec) => {
    const c = spec.role === "sensitivity"
      ? { src: ["C", "Y", "X", "2"], dims: [nc, ny, nx, 2] }
      : canonicalInput(p, spec.role, f);
    if (!c) throw unknownRole(spec.role, manifestPath);
    const size: Record<string, number> = { B: b };
    c.src.forEach((l, i) => (size[l] = c.dims[i]));
    return [spec.name, layoutDims(spec.layout, size)];
  }));
}

function unknownRole(role: string, manifestPath: string): CmrxError {
  return new CmrxError(`input role '${role}' is not one cmrxkit can provide`, {
    file: manifestPath,
    hint: "roles: kspace, mask, sensitivity, zerofilled, rss",
  });
}

/**
 * The feeds of one graph run: the calls of `group` stacked on the batch axis, each input
 * in the layout its manifest entry declares.
 *
 * @param manifestPath named in errors
 * @throws {CmrxError} for an input role cmrxkit cannot provide
 */
export function buildFeeds(
  m: ModelManifest,
  p: PreparedSlice,
  group: FeedCall[],
  manifestPath: string,
): Record<string, LaidOut> {
  const b = group.length;
  const f = group[0].frames.length;
  const { nc, ny, nx } = p;
  const feeds: Record<string, LaidOut> = {};
  for (const spec of m.inputs) {
    const c = canonicalInput(p, spec.role, f);
    if (spec.role === "sensitivity") {
      const maps = p.maps!;
      const data = new Float32Array(maps.length * b);
      for (let k = 0; k < b; k++) data.set(maps, maps.length * k);
      feeds[spec.name] = toLayout(spec.layout, {
        data,
        src: ["B", "C", "Y", "X", "2"],
        dims: [b, nc, ny, nx, 2],
      });
      continue;
    }
    if (!c) throw unknownRole(spec.role, manifestPath);
    const data = new Float32Array(c.per * f * b);
    group.forEach((call, k) =>
      call.frames.forEach((t, i) =>
        data.set(c.from.subarray(c.per * t, c.per * (t + 1)), c.per * (f * k + i))
      )
    );
    feeds[spec.name] = toLayout(spec.layout, {
      data,
      src: ["B", ...c.src],
      dims: [b, ...c.dims],
    });
  }
  return feeds;
}

/**
 * Checks the dims a graph returned against its manifest's output layout: `B` the calls of
 * the run, `T` the frames per call in the output, `Y`/`X` the slice's image size, `2` (or
 * `K`) 2, any other letter 1; extra leading axes of 1 are allowed.
 *
 * @param b calls in the run (1 when the layout has no `B`)
 * @param f frames per call in the output (1 for `feeder.output: "centre"`)
 * @throws {ShapeError} naming the model, the output and each axis that differs
 */
export function checkOutputShape(
  m: ModelManifest,
  p: Pick<PreparedSlice, "ny" | "nx">,
  dims: readonly number[],
  b: number,
  f: number,
  manifestPath: string,
): void {
  const outLetters = letters(m.output.layout);
  const size: Record<string, number> = { B: b, T: f, Y: p.ny, X: p.nx, "2": 2 };
  const want = layoutDims(m.output.layout, size);
  const extra = dims.length - want.length;
  const got = dims.slice(Math.max(0, extra));
  const where = `model ${m.name} (${
    m.file ?? m.process?.command.join(" ")
  }): output '${m.output.name}'`;
  const centreHint = m.feeder.kind === "window" && m.feeder.output !== "centre"
    ? `; if the graph returns only the centre frame, set "feeder": { ..., "output": "centre" }`
    : "";
  if (!outLetters.includes("T") && f > 1) {
    throw new ShapeError(
      `${where}: layout ${m.output.layout} has no T axis, but each call returns ${f} frames`,
      {
        file: manifestPath,
        hint: `add the T axis to output.layout${centreHint}`,
      },
    );
  }
  const wrong = want
    .map((n, i) => ({ l: m.output.layout.split(",")[i].trim(), n, g: got[i] }))
    .filter((a) => a.g !== a.n);
  if (extra < 0 || dims.slice(0, Math.max(0, extra)).some((d) => d !== 1) || wrong.length) {
    const axes = extra < 0
      ? `the graph returned ${dims.length} axes, the layout names ${want.length}`
      : wrong.map((a) => `axis ${a.l} is ${a.g}, expected ${a.n}`).join("; ");
    const reordered = got.length === want.length &&
      [...got].sort((x, y) => x - y).join() === [...want].sort((x, y) => x - y).join();
    throw new ShapeError(
      `${where} has dims [${dims.join(", ")}]; its layout ${m.output.layout} expects [${
        want.join(", ")
      }] for this ${p.ny} x ${p.nx} (Y x X) slice: ${axes}`,
      {
        file: manifestPath,
        hint: reordered
          ? "the graph's output axes are in another order than output.layout says: declare the order the graph returns, or fix the export"
          : `make output.layout name the graph's output axes${centreHint}`,
      },
    );
  }
}

/**
 * Reads the output of one graph run back into the slice's magnitude image `T,Y,X`: the kept
 * frames, multiplied back by the scale; a complex output becomes `|x|`, or with `dc-rss`
 * the data-consistent RSS of its coil images.
 *
 * @param c0 index of the group's first call (its frame, for a window feeder)
 * @param image the slice's output image, written in place
 * @param manifestPath named in errors
 * @throws {CmrxError} when the graph has no output of the manifest's name
 * @throws {ShapeError} when the output's dims differ from what its layout declares
 */
export function readOutput(
  m: ModelManifest,
  p: PreparedSlice,
  group: FeedCall[],
  c0: number,
  outs: Record<string, LaidOut>,
  image: Float32Array,
  manifestPath: string,
): void {
  const o = outs[m.output.name];
  if (!o) {
    throw new CmrxError(`model ${m.name} has no output '${m.output.name}'`, {
      file: manifestPath,
    });
  }
  const { npix, nc, scale, dc } = p;
  // frames per call in the output: all those fed, or only the centre one
  const centre = m.feeder.kind === "window" && m.feeder.output === "centre";
  const f = centre ? 1 : group[0].frames.length;
  const outLetters = letters(m.output.layout);
  const complex = outLetters.includes("2");
  const hasB = outLetters[0] === "B";
  checkOutputShape(m, p, o.dims, hasB ? group.length : 1, f, manifestPath);
  const canon = [...(hasB ? ["B"] : []), "T", "Y", "X", ...(complex ? ["2"] : [])];
  // per-letter dims (merged axes taken apart: checked above, so each letter has its size)
  const size: Record<string, number> = {
    B: hasB ? group.length : 1,
    T: f,
    Y: p.ny,
    X: p.nx,
    "2": 2,
  };
  const back = fromLayout(o.data, outLetters, outLetters.map((l) => size[l] ?? 1), canon);
  const w = complex ? 2 : 1;
  const pad = p.pad;
  // the output image is on the slice's own grid (the padded one brought back)
  const outPix = pad ? pad.nx * pad.ny : npix;
  group.forEach((call, k) => {
    for (const keep of call.keep) {
      const frame = m.feeder.kind === "window" ? c0 + k : keep;
      const dst = image.subarray(outPix * frame, outPix * (frame + 1));
      const base = w * npix * (f * (hasB ? k : 0) + (centre ? 0 : keep));
      let src = back.subarray(base, base + w * npix);
      let cplx = complex;
      if (pad?.mode === "image") src = cropFrame(src, pad, w);
      else if (pad) {
        const z = new Float32Array(2 * npix);
        if (complex) z.set(src);
        else for (let i = 0; i < npix; i++) z[2 * i] = src[i];
        src = unpadFrame(z, pad);
        cplx = true;
      }
      if (complex && dc) {
        for (let i = 0; i < 2 * outPix; i++) dc.frame[i] = src[i] * scale;
        const perFrame = 2 * outPix * nc;
        dc.op.dataConsistentRssOf(
          dc.frame,
          p.input.kspace.subarray(perFrame * frame, perFrame * (frame + 1)),
          frame,
          dst,
        );
        continue;
      }
      for (let i = 0; i < outPix; i++) {
        dst[i] = cplx ? Math.hypot(src[2 * i], src[2 * i + 1]) * scale : Math.abs(src[i]) * scale;
      }
    }
  });
}
