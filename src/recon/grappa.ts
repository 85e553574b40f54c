/**
 * GRAPPA (Griswold et al., MRM 2002): fill the missing phase-encode lines of every coil
 * from the acquired neighbouring lines of all coils with a linear kernel calibrated on the
 * fully sampled central band (ACS), then centred inverse FFT and root-sum-of-squares.
 *
 * **Irregular patterns.** A CMRxRecon mask is every R-th ky line from 0 plus a central band
 * (24 lines in 2023), so the distances from a missing line to its acquired neighbours vary
 * near the band and at the k-space edges. Each missing line gets its own *geometry*: the
 * `linesPerSide` nearest acquired lines below and above it (fewer where k-space ends: a
 * one-sided kernel), as ky offsets relative to the target. One set of weights is
 * calibrated per distinct geometry ("kernel per offset"), and the regularised normal
 * matrix is factorised once per distinct source pattern and shared by all targets between
 * the same sources (the classic one-kernel-per-gap GRAPPA).
 *
 * **Narrow ACS.** A geometry is calibrated by sliding it over the ACS band; it fits only
 * `positions = nACS - span` times, where `span` covers the sources and the target. Until
 * it fits at least `ceil(minCalibFraction * nACS)` times (default 0.6: 15 of 24 lines), the
 * source line farthest from the target is dropped: with 24 ACS lines R = 4 uses 3 source
 * lines and R = 8 uses 2 (4 lines at R = 8 would need 25 ACS lines to fit even once); at
 * R = 10 the regular gaps use 2 lines where the band is 25 lines long (ny = 246: line 110
 * joins it) and the nearest line alone otherwise.
 * Far source lines calibrated on few positions amplify noise more than they help (measured
 * on the synthetic phantom at R 4/8/10 with 16, 20 and 24 ACS lines). A line that no
 * kernel fits (no acquired line at all, or no ACS band) is left as acquired (zero-filled)
 * and counted in `info.unfilledLines`.
 *
 * **Calibration.** By default (`calibration: "average"`) the ACS is the central band of
 * lines acquired in *every* frame, averaged over frames: one calibration per slice, which
 * is fast and robust (averaging frames raises the ACS SNR; the kernel models the coil
 * sensitivities, which do not change within a slice). 2023 masks share the ACS across
 * frames, and the 2024/2025 k-t masks keep the central band in every frame. When no common
 * band exists the slice falls back to per-frame calibration (`info.perFrameFallback = 1`).
 * `calibration: "perFrame"` calibrates every frame on its own ACS (frames x slower).
 *
 * **k-t masks** (`(kx, ky, frame)`, lines differ per frame) work unchanged: the geometries
 * are collected over all frames and each distinct one is calibrated once. Masks that are not
 * Cartesian line patterns (a ky line sampled at some kx only, as in ktRadial) are refused by
 * the method (`createGrappa`, {@link checkLinePattern}) with a {@link UsageError} pointing to
 * `lps` or `sense`; `grappaKspace` itself leaves such lines zero-filled.
 *
 * **Kernel and system.** Sources: `linesPerSide` acquired lines per side x all coils x a
 * window of `kxWidth` kx points centred on the target (circular in kx: the k-space edges
 * of the 2x oversampled readout carry noise only). Weights solve
 * `(A^H A + lambda * tr(A^H A)/n * I) W = A^H B` (Tikhonov, `lambda` relative to the mean
 * eigenvalue of `A^H A`, `n` = number of source points) with a complex Cholesky
 * factorisation. `A^H A` is assembled from per-line-pair circular kx cross-correlations of
 * the ACS, computed once per line pair and reused by every geometry.
 *
 * **Application** runs in hybrid space (kx DFT'd to x): the kx convolution becomes a
 * product, so each missing point costs `linesPerSide*2 x coils` complex MACs per target
 * coil instead of `x kxWidth` more; predicted lines are transformed back, and every
 * sampled point of the mask is restored from the input (exact data consistency).
 *
 * @module
 */

import { ShapeError, UsageError } from "../errors.ts";
import { rss } from "../kspace/complex.ts";
import { fftPlan, ifft2c } from "../kspace/fft.ts";
import { acsRange } from "../kspace/mask.ts";
import type { Reconstructor, SliceInput, SliceOutput } from "../kspace/slice.ts";
import { calibrationFor, geometryOf } from "./grappa_calibration.ts";

/** How the GRAPPA kernel is calibrated. */
export type GrappaCalibration = "average" | "perFrame";

/** Parameters of GRAPPA; every field is optional (see {@link GRAPPA_DEFAULTS}). */
export interface GrappaOptions {
  /** Acquired ky lines used as sources on each side of a missing line (default 2). */
  linesPerSide?: number;
  /** Kernel width along kx in points, odd (default 5: the target column +-2). */
  kxWidth?: number;
  /**
   * Tikhonov regularisation relative to the mean eigenvalue `tr(A^H A)/n` of the normal
   * matrix (default 0.1). 0 disables it (fails on rank-deficient calibration data). The
   * frame-averaged ACS is less noisy than the lines the kernel is applied to, so the fit
   * itself regularises little and noise amplification (g-factor) has to be curbed here:
   * 0.1 was best or near best on the synthetic data at noise 0.3-3% for R 4-10; lower it
   * (0.01-0.03) for very clean data, raise it for noisy data.
   */
  lambda?: number;
  /**
   * `"average"` (default): calibrate once per slice on the frame-averaged ACS;
   * `"perFrame"`: calibrate each frame on its own ACS.
   */
  calibration?: GrappaCalibration;
  /**
   * Minimum share of the ACS band's ky positions at which a kernel must fit: source lines
   * farthest from the target are dropped until the kernel fits at least
   * `ceil(minCalibFraction * nACS)` positions (default 0.6: 15 of 24 ACS lines).
   */
  minCalibFraction?: number;
}

/** Default Tikhonov weight for mapping data (cine uses {@link GRAPPA_DEFAULTS}.lambda). */
export const GRAPPA_MAPPING_LAMBDA = 1;

/**
 * The defaults of {@link GrappaOptions} (frozen). On mapping slices the {@link createGrappa}
 * method uses {@link GRAPPA_MAPPING_LAMBDA} instead when no `lambda` is given.
 */
export const GRAPPA_DEFAULTS: Readonly<Required<GrappaOptions>> = Object.freeze({
  linesPerSide: 2,
  kxWidth: 5,
  lambda: 0.1,
  calibration: "average",
  minCalibFraction: 0.6,
});

/** What {@link grappaKspace} did, per slice. */
export interface GrappaInfo {
  /** Distinct kernels (geometries) calibrated. */
  kernels: number;
  /** Normal matrices factorised (distinct source patterns). */
  factorisations: number;
  /** Missing lines filled by GRAPPA, summed over frames. */
  filledLines: number;
  /** Missing lines no kernel fitted (left zero-filled), summed over frames. */
  unfilledLines: number;
  /** 1 when the average calibration found no common ACS band and went per frame. */
  perFrameFallback: number;
}

/** GRAPPA-filled k-space of one slice. */
export interface GrappaResult {
  /**
   * Complex interleaved k-space, MATLAB dims `(kx, ky, coil, frame)` column-major: equal
   * to the input wherever the mask is non-zero, GRAPPA estimates on the missing lines.
   */
  kspace: Float32Array;
  /** Kernel and line counts of this slice. */
  info: GrappaInfo;
}

const SINGLE_COIL_MESSAGE =
  "GRAPPA needs multi-coil data; use --method zerofill or lps for SingleCoil";

function resolveOptions(opts: GrappaOptions): Required<GrappaOptions> {
  const o = { ...GRAPPA_DEFAULTS, ...opts };
  for (const k of Object.keys(o) as (keyof GrappaOptions)[]) {
    if (o[k] === undefined) (o as Record<string, unknown>)[k] = GRAPPA_DEFAULTS[k];
  }
  if (!Number.isInteger(o.linesPerSide) || o.linesPerSide < 1) {
    throw new UsageError(`GRAPPA linesPerSide must be a positive integer, got ${o.linesPerSide}`);
  }
  if (!Number.isInteger(o.kxWidth) || o.kxWidth < 1 || o.kxWidth % 2 === 0) {
    throw new UsageError(`GRAPPA kxWidth must be a positive odd integer, got ${o.kxWidth}`);
  }
  if (!(o.lambda >= 0) || !Number.isFinite(o.lambda)) {
    throw new UsageError(`GRAPPA lambda must be a finite number >= 0, got ${o.lambda}`);
  }
  if (o.calibration !== "average" && o.calibration !== "perFrame") {
    throw new UsageError(
      `GRAPPA calibration must be "average" or "perFrame", got "${o.calibration}"`,
    );
  }
  if (!(o.minCalibFraction >= 0 && o.minCalibFraction <= 1)) {
    throw new UsageError(
      `GRAPPA minCalibFraction must be in [0, 1], got ${o.minCalibFraction}`,
    );
  }
  return o;
}

function checkInput(input: SliceInput): void {
  const { dims, kspace, mask, maskDims } = input;
  if (dims.length !== 4 || !dims.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new ShapeError(`GRAPPA: dims must be 4 positive integers, got [${dims.join(", ")}]`);
  }
  const [nx, ny, nc, nt] = dims;
  if (kspace.length !== 2 * nx * ny * nc * nt) {
    throw new ShapeError(
      `GRAPPA: k-space has ${kspace.length / 2} complex values, dims [${dims.join(", ")}] need ${
        nx * ny * nc * nt
      }`,
    );
  }
  const mt = maskDims[2] ?? 1;
  if (
    maskDims.length < 2 || maskDims.length > 3 || maskDims[0] !== nx || maskDims[1] !== ny ||
    (mt !== 1 && mt !== nt) || mask.length !== nx * ny * mt
  ) {
    throw new ShapeError(
      `GRAPPA: mask dims [${maskDims.join(", ")}] (${mask.length} values) do not match ` +
        `k-space [${dims.join(", ")}]`,
      { hint: "the mask must be (kx, ky) or (kx, ky, frame) with the k-space sizes" },
    );
  }
}

/**
 * Throws a {@link UsageError} unless every ky line of every mask frame is fully sampled or
 * empty. GRAPPA fills whole ky lines from whole ky lines: a line sampled at some kx only
 * (2-D patterns such as ktRadial) is neither a source nor a target, and the result would be
 * little more than zero-filled. Masks whose lines differ per frame are fine.
 */
export function checkLinePattern(input: SliceInput): void {
  const [nx, ny] = input.dims;
  const mask = input.mask, mt = input.maskDims[2] ?? 1;
  for (let t = 0; t < mt; t++) {
    for (let y = 0; y < ny; y++) {
      const i = nx * (y + ny * t), v = mask[i] !== 0;
      for (let x = 1; x < nx; x++) {
        if ((mask[i + x] !== 0) !== v) {
          throw new UsageError(
            `GRAPPA: the mask is not a Cartesian line pattern: ky line ${y}` +
              `${mt > 1 ? ` of frame ${t}` : ""} is sampled at some kx points only ` +
              `(e.g. a ktRadial mask); GRAPPA needs every ky line fully sampled or empty`,
            {
              hint: "use lps (built for k-t sampling) or sense: --method lps (recon), " +
                "--model lps (submit)",
            },
          );
        }
      }
    }
  }
}

/** Lines whose every kx point is sampled in mask frame `frame`: the GRAPPA sources. */
function acquiredLines(mask: Float32Array, nx: number, ny: number, frame: number): Uint8Array {
  const lines = new Uint8Array(ny);
  const base = frame * nx * ny;
  for (let y = 0; y < ny; y++) {
    let full = 1;
    for (let x = 0, i = base + nx * y; x < nx; x++, i++) {
      if (mask[i] === 0) {
        full = 0;
        break;
      }
    }
    lines[y] = full;
  }
  return lines;
}

/** A solved kernel in hybrid space. */
interface HybridKernel {
  /** Source offsets (ky, relative to the target), ascending. */
  offsets: number[];
  /** Weights per x: `[((f * nc + c) * ns + k) * 2]` re, `+1` im; k = j * nc + sourceCoil. */
  w: Float64Array;
}

/**
 * GRAPPA-filled k-space of one slice (see the module docs for the method).
 *
 * @param input one slice: k-space MATLAB dims `(kx, ky, coil, frame)` and a mask `(kx, ky)`
 *   or `(kx, ky, frame)`; not modified
 * @param opts kernel and calibration parameters ({@link GRAPPA_DEFAULTS})
 * @returns k-space, MATLAB dims `(kx, ky, coil, frame)`, equal to the input at every sampled
 *   point, and what was done
 * @throws {UsageError} for single-coil data or invalid options
 * @throws {ShapeError} when the k-space or mask sizes do not match `dims`
 */
export function grappaKspace(input: SliceInput, opts: GrappaOptions = {}): GrappaResult {
  const o = resolveOptions(opts);
  checkInput(input);
  const [nx, ny, nc, nt] = input.dims;
  if (nc < 2) throw new UsageError(SINGLE_COIL_MESSAGE);
  const src = input.kspace;
  const h = (o.kxWidth - 1) >> 1;
  const kw = o.kxWidth;
  const maskFrames = input.maskDims[2] ?? 1;
  const acqMask: Uint8Array[] = [];
  for (let t = 0; t < nt; t++) {
    acqMask.push(
      maskFrames > 1 || t === 0
        ? acquiredLines(input.mask, nx, ny, maskFrames > 1 ? t : 0)
        : acqMask[0],
    );
  }
  const acqList = acqMask.map((m) => {
    const l: number[] = [];
    for (let y = 0; y < ny; y++) if (m[y]) l.push(y);
    return l;
  });
  const info: GrappaInfo = {
    kernels: 0,
    factorisations: 0,
    filledLines: 0,
    unfilledLines: 0,
    perFrameFallback: 0,
  };

  // Sets of frames calibrated together, with their ACS band.
  const sets: { frames: number[]; c0: number; c1: number }[] = [];
  const allFrames = Array.from({ length: nt }, (_, t) => t);
  if (o.calibration === "average") {
    const common = new Uint8Array(ny).fill(1);
    for (const m of acqMask) for (let y = 0; y < ny; y++) common[y] &= m[y];
    const [c0, c1] = acsRange(common);
    if (c1 - c0 >= 2) sets.push({ frames: allFrames, c0, c1 });
    else info.perFrameFallback = 1;
  }
  if (sets.length === 0) {
    for (const t of allFrames) {
      const [c0, c1] = acsRange(acqMask[t]);
      sets.push({ frames: [t], c0, c1 });
    }
  }

  const out = src.slice();
  // Line state per (frame, ky): 1 acquired (in hybrid space while working), 2 predicted.
  const state = new Uint8Array(ny * nt);
  const plan = fftPlan(nx);
  const lre = new Float64Array(nx), lim = new Float64Array(nx);
  const lineFft = (o0: number, inverse: boolean) => {
    for (let x = 0; x < nx; x++) {
      lre[x] = out[o0 + 2 * x];
      lim[x] = out[o0 + 2 * x + 1];
    }
    if (inverse) plan.inverse(lre, lim);
    else plan.forward(lre, lim);
    const s = inverse ? 1 / nx : 1;
    for (let x = 0; x < nx; x++) {
      out[o0 + 2 * x] = lre[x] * s;
      out[o0 + 2 * x + 1] = lim[x] * s;
    }
  };
  for (let t = 0; t < nt; t++) {
    for (const y of acqList[t]) {
      state[t * ny + y] = 1;
      for (let c = 0; c < nc; c++) lineFft(2 * nx * (y + ny * (c + nc * t)), false);
    }
  }

  // Twiddles e^{+2 pi i w f / nx} turning kx taps into per-x weights.
  const twr = new Float64Array(kw * nx), twi = new Float64Array(kw * nx);
  for (let wi = 0; wi < kw; wi++) {
    const w = wi - h;
    for (let f = 0; f < nx; f++) {
      const a = (2 * Math.PI * ((((w * f) % nx) + nx) % nx)) / nx;
      twr[wi * nx + f] = Math.cos(a);
      twi[wi * nx + f] = Math.sin(a);
    }
  }

  const maxNs = 2 * o.linesPerSide * nc;
  const sre = new Float64Array(maxNs), sim = new Float64Array(maxNs);
  const base = new Int32Array(maxNs);

  for (const set of sets) {
    const minPositions = Math.max(1, Math.ceil(o.minCalibFraction * (set.c1 - set.c0) - 1e-9));
    // Group the missing lines of these frames by geometry.
    const groups = new Map<string, { offsets: number[]; items: number[] }>();
    for (const t of set.frames) {
      const acq = acqList[t];
      let idx = 0;
      for (let y = 0; y < ny; y++) {
        while (idx < acq.length && acq[idx] < y) idx++;
        if (idx < acq.length && acq[idx] === y) continue;
        const g = set.c1 - set.c0 >= 2
          ? geometryOf(acq, idx, y, o.linesPerSide, set.c0, set.c1, minPositions)
          : null;
        if (!g) {
          info.unfilledLines++;
          continue;
        }
        const key = g.join(",");
        let grp = groups.get(key);
        if (!grp) groups.set(key, grp = { offsets: g, items: [] });
        grp.items.push(t, y);
      }
    }
    if (groups.size === 0) continue;
    const cal = calibrationFor(src, input.dims, set.frames, set.c0, set.c1, h);
    for (const grp of groups.values()) {
      const weights = cal.solve(grp.offsets, o.lambda);
      if (!weights) {
        info.unfilledLines += grp.items.length / 2;
        continue;
      }
      info.kernels++;
      const kernel = toHybrid(grp.offsets, weights, nc, h, nx, twr, twi);
      const m = grp.offsets.length;
      const ns = m * nc;
      const w = kernel.w;
      for (let it = 0; it < grp.items.length; it += 2) {
        const t = grp.items[it], y = grp.items[it + 1];
        for (let j = 0; j < m; j++) {
          for (let c1 = 0; c1 < nc; c1++) {
            base[j * nc + c1] = 2 * nx * (y + grp.offsets[j] + ny * (c1 + nc * t));
          }
        }
        for (let f = 0; f < nx; f++) {
          for (let k = 0; k < ns; k++) {
            sre[k] = out[base[k] + 2 * f];
            sim[k] = out[base[k] + 2 * f + 1];
          }
          for (let c = 0; c < nc; c++) {
            let ar = 0, ai = 0;
            let wo = 2 * (f * nc + c) * ns;
            for (let k = 0; k < ns; k++, wo += 2) {
              const wr = w[wo], wim = w[wo + 1], xr = sre[k], xi = sim[k];
              ar += wr * xr - wim * xi;
              ai += wr * xi + wim * xr;
            }
            const d = 2 * (f + nx * (y + ny * (c + nc * t)));
            out[d] = ar;
            out[d + 1] = ai;
          }
        }
        state[t * ny + y] = 2;
        info.filledLines++;
      }
    }
    info.factorisations += cal.factorisations;
  }

  // Back to k-space; restore every sampled point (acquired lines exactly, partial lines
  // pointwise) from the input.
  const mask = input.mask;
  for (let t = 0; t < nt; t++) {
    const mb = maskFrames > 1 ? t * nx * ny : 0;
    for (let y = 0; y < ny; y++) {
      const s = state[t * ny + y];
      for (let c = 0; c < nc; c++) {
        const o0 = 2 * nx * (y + ny * (c + nc * t));
        if (s === 1) {
          out.set(src.subarray(o0, o0 + 2 * nx), o0);
        } else if (s === 2) {
          lineFft(o0, true);
          for (let x = 0; x < nx; x++) {
            if (mask[mb + nx * y + x] !== 0) {
              out[o0 + 2 * x] = src[o0 + 2 * x];
              out[o0 + 2 * x + 1] = src[o0 + 2 * x + 1];
            }
          }
        }
      }
    }
  }
  return { kspace: out, info };
}

/** Turns kx-tap weights `W[(k * kw + wi) * nc + c]` into per-x hybrid weights. */
function toHybrid(
  offsets: number[],
  weights: Float64Array,
  nc: number,
  h: number,
  nx: number,
  twr: Float64Array,
  twi: Float64Array,
): HybridKernel {
  const kw = 2 * h + 1;
  const ns = offsets.length * nc;
  const w = new Float64Array(2 * nx * nc * ns);
  for (let k = 0; k < ns; k++) {
    for (let c = 0; c < nc; c++) {
      for (let wi = 0; wi < kw; wi++) {
        const i = 2 * ((k * kw + wi) * nc + c);
        const vr = weights[i], vi = weights[i + 1];
        const tb = wi * nx;
        for (let f = 0; f < nx; f++) {
          const cr = twr[tb + f], ci = twi[tb + f];
          const d = 2 * ((f * nc + c) * ns + k);
          w[d] += vr * cr - vi * ci;
          w[d + 1] += vr * ci + vi * cr;
        }
      }
    }
  }
  return { offsets, w };
}

/**
 * GRAPPA as a {@link Reconstructor} (`--method grappa`): {@link grappaKspace}, then the
 * centred inverse FFT of every coil and root-sum-of-squares. Multi-coil only.
 *
 * @param opts kernel and calibration parameters; defaults {@link GRAPPA_DEFAULTS}
 * @throws {UsageError} at once for invalid options
 */
export function createGrappa(opts: GrappaOptions = {}): Reconstructor {
  const o = resolveOptions(opts);
  return {
    name: "grappa",
    description: `GRAPPA k-space interpolation (${o.linesPerSide * 2} lines x ${o.kxWidth} kx, ` +
      `${o.calibration} ACS calibration) + root-sum-of-squares; multi-coil only`,
    singleCoil: false,
    reconstruct(input: SliceInput): SliceOutput {
      // Mapping weightings near the inversion null are noise-dominated: a stronger
      // Tikhonov weight keeps GRAPPA above zero-filled in SSIM there (docs/benchmarks.md).
      const use = opts.lambda === undefined && input.task === "mapping"
        ? { ...o, lambda: GRAPPA_MAPPING_LAMBDA }
        : o;
      checkInput(input);
      checkLinePattern(input);
      const { kspace, info } = grappaKspace(input, use);
      const [nx, ny, nc, nt] = input.dims;
      const npix = nx * ny;
      const image = new Float32Array(npix * nt);
      const coil = new Float32Array(2 * npix * nc);
      for (let t = 0; t < nt; t++) {
        ifft2c(kspace.subarray(2 * npix * nc * t, 2 * npix * nc * (t + 1)), nx, ny, nc, coil);
        image.set(rss(coil, npix, nc), npix * t);
      }
      return { image, info: { ...info } };
    },
  };
}
