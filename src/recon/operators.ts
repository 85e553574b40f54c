/**
 * The multi-coil Cartesian encoding operator `E = M F S` shared by the iterative
 * reconstructions (CG-SENSE, L+S), its adjoint and normal operator, and a conjugate
 * gradient solver.
 *
 * - `S`: coil sensitivities, one complex map per coil, MATLAB dims `(x, y, coil)`;
 * - `F`: the centred orthonormal 2-D FFT (`fft2c`) of every coil image;
 * - `M`: the binary sampling mask (non-zero = sampled), MATLAB dims `(kx, ky)` or
 *   `(kx, ky, frame)`.
 *
 * Solvers never apply `E` and `E^H` separately in their loops: they apply the normal
 * operator `E^H E` to an image and use `E^H y` computed once. When every ky line of the mask
 * is either fully sampled or empty (all CMRxRecon Cartesian masks), the 1-D FFT along x
 * cancels in `F^H M F`, so `E^H E` only needs 1-D FFTs along y in hybrid `(x, ky)` space:
 * half the FFT work of the 2-D route, done on cache-sized blocks of columns. Other masks
 * (2-D random, radial) take the general `fft2c` route.
 *
 * Internal image vectors ("solver images") are split real/imaginary `Float64Array`s over the
 * pixels, MATLAB dims `(x, y)` but with the rows rotated by `floor(ny/2)` (the `ifftshift`
 * along y), which lets the fast route use plain FFTs without shifts. Convert with
 * {@link EncodingOperator.toSolver} and {@link EncodingOperator.fromSolver}; everything a
 * solver does pixel-wise (thresholds, SVD over frames, dot products) is indifferent to the
 * row order.
 *
 * @module
 */

import { ShapeError } from "../errors.ts";
import { fft2c, type FftPlan, fftPlan, ifft2c } from "../kspace/fft.ts";
import { sensitivityMaps, type SensitivityOptions } from "../kspace/sensitivity.ts";
import type { SliceInput } from "../kspace/slice.ts";

/** Number of (column, coil) sequences per batched 1-D FFT block (keeps blocks in cache). */
const BLOCK_SEQUENCES = 64;

/**
 * `E = M F S` for one slice: coil maps, mask and sizes; applies `E`, `E^H` and `E^H E`.
 *
 * The operator norm satisfies `||E^H E|| <= max_p sum_c |S_c(p)|^2`
 * ({@link EncodingOperator.lipschitz}): 1 for maps normalised to unit root-sum-of-squares.
 * The solvers use this bound for step sizes and to make regularisation weights independent
 * of how the maps are scaled.
 */
export class EncodingOperator {
  /** Image size along x (readout, kx). */
  readonly nx: number;
  /** Image size along y (phase encode, ky). */
  readonly ny: number;
  /** Number of coils. */
  readonly nc: number;
  /** Pixels per image, `nx * ny`. */
  readonly npix: number;
  /** Frames the mask has (1 = the same mask for every frame). */
  readonly maskFrames: number;
  /** Whether the fast hybrid-space route is used (every ky line fully sampled or empty). */
  readonly lineMask: boolean;
  /** `max_p sum_c |S_c(p)|^2`: an upper bound of the largest eigenvalue of `E^H E`. */
  readonly lipschitz: number;

  /** Original maps, complex interleaved, natural order, dims `(x, y, coil)`. */
  private readonly maps: Float32Array;
  /** Maps in solver row order, split, dims `(x, y, coil)`. */
  private readonly mapRe: Float64Array;
  private readonly mapIm: Float64Array;
  /** Per mask frame, sampled ky lines in solver (rotated) order (line-mask route). */
  private readonly lines: Uint8Array[];
  /** The binary mask, natural order, dims `(kx, ky, maskFrames)` (general route). */
  private readonly mask: Uint8Array;
  /** `sum_c |S_c(p)|^2` per pixel, natural order, dims `(x, y)`. */
  private readonly mapPower: Float64Array;
  private readonly plan: FftPlan;
  private readonly block: number;
  private readonly bufRe: Float64Array;
  private readonly bufIm: Float64Array;
  private coilBuf: Float32Array | null = null;
  private imgBuf: Float32Array | null = null;

  /**
   * @param maps coil sensitivities, complex interleaved, MATLAB dims `(x, y, coil)`
   * @param nx image size along x
   * @param ny image size along y
   * @param nc number of coils
   * @param mask sampling mask, MATLAB dims `(kx, ky)` or `(kx, ky, frame)`; non-zero = sampled
   * @param maskDims `[nx, ny]` or `[nx, ny, nframes]`
   * @throws {ShapeError} when sizes disagree or the maps are zero everywhere
   */
  constructor(
    maps: Float32Array,
    nx: number,
    ny: number,
    nc: number,
    mask: ArrayLike<number>,
    maskDims: readonly number[],
  ) {
    for (const [name, v] of [["nx", nx], ["ny", ny], ["nc", nc]] as const) {
      if (!Number.isSafeInteger(v) || v < 1) {
        throw new ShapeError(`encoding operator: ${name} must be a positive integer, got ${v}`);
      }
    }
    const npix = nx * ny;
    if (maps.length !== 2 * npix * nc) {
      throw new ShapeError(
        `coil maps have ${maps.length / 2} complex values; (x, y, coil) = (${nx}, ${ny}, ${nc}) ` +
          `needs ${npix * nc}`,
      );
    }
    const mf = maskDims[2] ?? 1;
    if (
      maskDims.length < 2 || maskDims.length > 3 || maskDims[0] !== nx || maskDims[1] !== ny ||
      !(mf >= 1) || mask.length !== npix * mf
    ) {
      throw new ShapeError(
        `mask dims [${maskDims.join(", ")}] (${mask.length} values) do not fit k-space ` +
          `(${nx}, ${ny})`,
        { hint: "the mask must be (kx, ky) or (kx, ky, frame) with the k-space's kx and ky" },
      );
    }
    this.nx = nx;
    this.ny = ny;
    this.nc = nc;
    this.npix = npix;
    this.maskFrames = mf;
    this.maps = maps;

    const hy = ny >> 1;
    this.mapRe = new Float64Array(npix * nc);
    this.mapIm = new Float64Array(npix * nc);
    this.mapPower = new Float64Array(npix);
    for (let c = 0; c < nc; c++) {
      for (let k = 0; k < ny; k++) {
        const yNat = (k + hy) % ny;
        const src = 2 * (npix * c + nx * yNat);
        const dst = npix * c + nx * k;
        for (let x = 0; x < nx; x++) {
          const re = maps[src + 2 * x], im = maps[src + 2 * x + 1];
          this.mapRe[dst + x] = re;
          this.mapIm[dst + x] = im;
          this.mapPower[nx * yNat + x] += re * re + im * im;
        }
      }
    }
    let lip = 0;
    for (let p = 0; p < npix; p++) if (this.mapPower[p] > lip) lip = this.mapPower[p];
    if (!(lip > 0) || !Number.isFinite(lip)) {
      throw new ShapeError("coil maps are zero or not finite everywhere", {
        hint: "check the sensitivity estimation (ACS region present? k-space non-zero?)",
      });
    }
    this.lipschitz = lip;

    this.mask = new Uint8Array(npix * mf);
    for (let i = 0; i < this.mask.length; i++) this.mask[i] = mask[i] !== 0 ? 1 : 0;
    this.lines = [];
    let lineMask = true;
    for (let f = 0; f < mf && lineMask; f++) {
      const l = new Uint8Array(ny);
      for (let y = 0; y < ny && lineMask; y++) {
        const base = npix * f + nx * y;
        const v = this.mask[base];
        for (let x = 1; x < nx; x++) {
          if (this.mask[base + x] !== v) {
            lineMask = false;
            break;
          }
        }
        // internal row k holds natural row (k + hy) mod ny
        l[(y - hy + ny) % ny] = v;
      }
      this.lines.push(l);
    }
    this.lineMask = lineMask;
    this.plan = fftPlan(ny);
    this.block = Math.max(1, Math.min(nx, Math.floor(BLOCK_SEQUENCES / nc)));
    const len = lineMask ? this.block * nc * ny : 0;
    this.bufRe = new Float64Array(len);
    this.bufIm = new Float64Array(len);
  }

  /** Mask frame used for image frame `frame` (frame 0 for a 2-D mask). */
  maskFrame(frame: number): number {
    return this.maskFrames > 1 ? frame % this.maskFrames : 0;
  }

  /**
   * Normal operator `out = E^H E x (+ shift * x)` for one frame, in solver order.
   * @param re real parts of x, solver image `(x, y)` (length >= npix)
   * @param im imaginary parts of x
   * @param frame image frame (selects the mask frame)
   * @param outRe destination real parts (must not alias `re`)
   * @param outIm destination imaginary parts (must not alias `im`)
   * @param shift optional Tikhonov term `shift * x` added (default 0)
   */
  normal(
    re: Float64Array,
    im: Float64Array,
    frame: number,
    outRe: Float64Array,
    outIm: Float64Array,
    shift = 0,
  ): void {
    if (this.lineMask) this.normalLines(re, im, this.lines[this.maskFrame(frame)], outRe, outIm);
    else this.normalGeneral(re, im, frame, outRe, outIm);
    if (shift !== 0) {
      for (let p = 0; p < this.npix; p++) {
        outRe[p] += shift * re[p];
        outIm[p] += shift * im[p];
      }
    }
  }

  /** Fast route: hybrid (x, ky) space, 1-D FFTs along y on blocks of columns. */
  private normalLines(
    re: Float64Array,
    im: Float64Array,
    lines: Uint8Array,
    outRe: Float64Array,
    outIm: Float64Array,
  ): void {
    const { nx, ny, nc, npix, plan, mapRe, mapIm, bufRe, bufIm } = this;
    const scale = 1 / ny;
    for (let x0 = 0; x0 < nx; x0 += this.block) {
      const bw = Math.min(this.block, nx - x0);
      const batch = bw * nc;
      // gather: buf[(b + bw*c) + batch*y] = S_c(x0 + b, y) * x(x0 + b, y)
      for (let y = 0; y < ny; y++) {
        const row = nx * y + x0;
        for (let c = 0; c < nc; c++) {
          const m = npix * c + row;
          const d = batch * y + bw * c;
          for (let b = 0; b < bw; b++) {
            const sr = mapRe[m + b], si = mapIm[m + b];
            const xr = re[row + b], xi = im[row + b];
            bufRe[d + b] = sr * xr - si * xi;
            bufIm[d + b] = sr * xi + si * xr;
          }
        }
      }
      plan.forward(bufRe, bufIm, batch);
      for (let y = 0; y < ny; y++) {
        if (!lines[y]) {
          bufRe.fill(0, batch * y, batch * (y + 1));
          bufIm.fill(0, batch * y, batch * (y + 1));
        }
      }
      plan.inverse(bufRe, bufIm, batch);
      // scatter: out(x, y) = sum_c conj(S_c) buf / ny
      for (let y = 0; y < ny; y++) {
        const row = nx * y + x0;
        for (let b = 0; b < bw; b++) {
          outRe[row + b] = 0;
          outIm[row + b] = 0;
        }
        for (let c = 0; c < nc; c++) {
          const m = npix * c + row;
          const d = batch * y + bw * c;
          for (let b = 0; b < bw; b++) {
            const sr = mapRe[m + b], si = mapIm[m + b];
            const vr = bufRe[d + b], vi = bufIm[d + b];
            outRe[row + b] += (sr * vr + si * vi) * scale;
            outIm[row + b] += (sr * vi - si * vr) * scale;
          }
        }
      }
    }
  }

  /** General route: coil images, fft2c, mask, ifft2c, coil combination. */
  private normalGeneral(
    re: Float64Array,
    im: Float64Array,
    frame: number,
    outRe: Float64Array,
    outIm: Float64Array,
  ): void {
    const { nx, ny, nc } = this;
    const img = this.imgBuffer();
    this.fromSolver(re, im, img);
    const k = this.forward(img, frame, this.coilBuffer());
    ifft2c(k, nx, ny, nc, k);
    this.combine(k, outRe, outIm);
  }

  /**
   * Forward operator `E x`: masked multi-coil k-space of one image.
   * @param image complex interleaved image, natural order, MATLAB dims `(x, y)`
   * @param frame image frame (selects the mask frame)
   * @param out destination, dims `(kx, ky, coil)` complex interleaved; allocated when absent
   * @returns `out`: k-space, zero where not sampled
   */
  forward(image: Float32Array, frame: number, out?: Float32Array): Float32Array {
    const { npix, nc, nx, ny, maps } = this;
    if (image.length < 2 * npix) {
      throw new ShapeError(`forward: image has ${image.length / 2} pixels, expected ${npix}`);
    }
    const k = out ?? new Float32Array(2 * npix * nc);
    for (let c = 0; c < nc; c++) {
      const o = 2 * npix * c;
      for (let p = 0; p < 2 * npix; p += 2) {
        const sr = maps[o + p], si = maps[o + p + 1];
        const xr = image[p], xi = image[p + 1];
        k[o + p] = sr * xr - si * xi;
        k[o + p + 1] = sr * xi + si * xr;
      }
    }
    fft2c(k, nx, ny, nc, k);
    const mbase = npix * this.maskFrame(frame);
    for (let c = 0; c < nc; c++) {
      const o = 2 * npix * c;
      for (let p = 0; p < npix; p++) {
        if (this.mask[mbase + p] === 0) {
          k[o + 2 * p] = 0;
          k[o + 2 * p + 1] = 0;
        }
      }
    }
    return k;
  }

  /**
   * Adjoint operator `E^H y` for one frame, in natural order.
   * @param kspace complex interleaved, MATLAB dims `(kx, ky, coil)`; entries outside the mask
   *   are ignored; not modified
   * @param frame image frame (selects the mask frame)
   * @returns complex interleaved image, MATLAB dims `(x, y)`
   */
  adjoint(kspace: Float32Array, frame: number): Float32Array {
    const re = new Float64Array(this.npix), im = new Float64Array(this.npix);
    this.adjointToSolver(kspace, frame, re, im);
    return this.fromSolver(re, im);
  }

  /**
   * `E^H y` for one frame, written in solver order.
   * @param kspace complex interleaved, MATLAB dims `(kx, ky, coil)`; not modified
   * @param frame image frame (selects the mask frame)
   * @param outRe destination real parts, solver image `(x, y)`
   * @param outIm destination imaginary parts
   */
  adjointToSolver(
    kspace: Float32Array,
    frame: number,
    outRe: Float64Array,
    outIm: Float64Array,
  ): void {
    const { npix, nc, nx, ny } = this;
    if (kspace.length < 2 * npix * nc) {
      throw new ShapeError(
        `k-space frame has ${kspace.length / 2} values, (kx, ky, coil) needs ${npix * nc}`,
      );
    }
    const k = this.coilBuffer();
    const mbase = npix * this.maskFrame(frame);
    for (let c = 0; c < nc; c++) {
      const o = 2 * npix * c;
      for (let p = 0; p < npix; p++) {
        const on = this.mask[mbase + p] !== 0;
        k[o + 2 * p] = on ? kspace[o + 2 * p] : 0;
        k[o + 2 * p + 1] = on ? kspace[o + 2 * p + 1] : 0;
      }
    }
    ifft2c(k, nx, ny, nc, k);
    this.combine(k, outRe, outIm);
  }

  /** `out = sum_c conj(S_c) img_c` from natural-order coil images into solver order. */
  private combine(coilImages: Float32Array, outRe: Float64Array, outIm: Float64Array): void {
    const { nx, ny, npix, nc, maps } = this;
    const hy = ny >> 1;
    for (let k = 0; k < ny; k++) {
      const yNat = (k + hy) % ny;
      const dst = nx * k;
      for (let x = 0; x < nx; x++) {
        let ar = 0, ai = 0;
        for (let c = 0; c < nc; c++) {
          const j = 2 * (npix * c + nx * yNat + x);
          const sr = maps[j], si = maps[j + 1];
          const vr = coilImages[j], vi = coilImages[j + 1];
          ar += sr * vr + si * vi;
          ai += sr * vi - si * vr;
        }
        outRe[dst + x] = ar;
        outIm[dst + x] = ai;
      }
    }
  }

  /**
   * Natural-order complex image to solver order.
   * @param image complex interleaved, MATLAB dims `(x, y)`
   * @param re destination real parts (length >= npix)
   * @param im destination imaginary parts
   */
  toSolver(image: Float32Array, re: Float64Array, im: Float64Array): void {
    const { nx, ny } = this;
    const hy = ny >> 1;
    for (let k = 0; k < ny; k++) {
      const src = 2 * nx * ((k + hy) % ny);
      const dst = nx * k;
      for (let x = 0; x < nx; x++) {
        re[dst + x] = image[src + 2 * x];
        im[dst + x] = image[src + 2 * x + 1];
      }
    }
  }

  /**
   * Solver-order image to a natural-order complex interleaved image.
   * @param re real parts, solver image `(x, y)`
   * @param im imaginary parts
   * @param out destination, complex interleaved `(x, y)`; allocated when absent
   * @returns `out`
   */
  fromSolver(re: Float64Array, im: Float64Array, out?: Float32Array): Float32Array {
    const { nx, ny } = this;
    const hy = ny >> 1;
    const img = out ?? new Float32Array(2 * this.npix);
    for (let k = 0; k < ny; k++) {
      const dst = 2 * nx * ((k + hy) % ny);
      const src = nx * k;
      for (let x = 0; x < nx; x++) {
        img[dst + 2 * x] = re[src + x];
        img[dst + 2 * x + 1] = im[src + x];
      }
    }
    return img;
  }

  /**
   * Root-sum-of-squares of the coil images `S_c x` of a solver image:
   * `|x| * sqrt(sum_c |S_c|^2)`, the same quantity the official ground truth takes from
   * fully sampled coil images (and `|x|` itself for maps normalised to unit RSS).
   * @param re real parts, solver image `(x, y)`
   * @param im imaginary parts
   * @param out destination magnitude, natural order, MATLAB dims `(x, y)` (length >= npix)
   */
  coilRss(re: Float64Array, im: Float64Array, out: Float32Array): void {
    const { nx, ny, mapPower } = this;
    const hy = ny >> 1;
    for (let k = 0; k < ny; k++) {
      const nat = nx * ((k + hy) % ny);
      const src = nx * k;
      for (let x = 0; x < nx; x++) {
        const a = re[src + x], b = im[src + x];
        out[nat + x] = Math.sqrt((a * a + b * b) * mapPower[nat + x]);
      }
    }
  }

  /**
   * Data-consistent root-sum-of-squares of a solver image: the coil images `S_c x` are
   * taken to k-space, their sampled points are replaced by the measured samples
   * (`M y + (1 - M) F S_c x`, hard data consistency, noise included), and the RSS of the
   * inverse transform is returned. This keeps exactly what was acquired, as GRAPPA does,
   * instead of the regularised estimate of it; the mapping defaults use it because the
   * official reference is the RSS of the noisy fully sampled coil images.
   * @param re real parts, solver image `(x, y)`
   * @param im imaginary parts
   * @param kspace measured k-space of this frame, complex interleaved, MATLAB dims
   *   `(kx, ky, coil)` (zeros where not sampled)
   * @param frame frame index (picks the mask frame)
   * @param out destination magnitude, natural order, MATLAB dims `(x, y)`
   */
  dataConsistentRss(
    re: Float64Array,
    im: Float64Array,
    kspace: Float32Array,
    frame: number,
    out: Float32Array,
  ): void {
    this.dataConsistentRssOf(this.fromSolver(re, im, this.imgBuffer()), kspace, frame, out);
  }

  /**
   * {@link EncodingOperator.dataConsistentRss} of a natural-order image (e.g. a network's
   * output).
   * @param img complex interleaved image, MATLAB dims `(x, y)`
   * @param kspace measured k-space of this frame, complex interleaved `(kx, ky, coil)`
   * @param frame frame index (picks the mask frame)
   * @param out destination magnitude, MATLAB dims `(x, y)`
   */
  dataConsistentRssOf(
    img: Float32Array,
    kspace: Float32Array,
    frame: number,
    out: Float32Array,
  ): void {
    const { nx, ny, nc, npix, maps } = this;
    if (kspace.length < 2 * npix * nc) {
      throw new ShapeError(
        `dataConsistentRss: k-space has ${kspace.length / 2} values, (kx, ky, coil) needs ` +
          `${npix * nc}`,
      );
    }
    const coil = this.coilBuffer();
    for (let c = 0; c < nc; c++) {
      const o = 2 * npix * c;
      for (let p = 0; p < npix; p++) {
        const a = img[2 * p], b = img[2 * p + 1];
        const sr = maps[o + 2 * p], si = maps[o + 2 * p + 1];
        coil[o + 2 * p] = a * sr - b * si;
        coil[o + 2 * p + 1] = a * si + b * sr;
      }
    }
    fft2c(coil, nx, ny, nc, coil);
    const m = this.mask.subarray(npix * this.maskFrame(frame), npix * (this.maskFrame(frame) + 1));
    for (let c = 0; c < nc; c++) {
      const o = 2 * npix * c;
      for (let p = 0; p < npix; p++) {
        if (m[p] === 0) continue;
        coil[o + 2 * p] = kspace[o + 2 * p];
        coil[o + 2 * p + 1] = kspace[o + 2 * p + 1];
      }
    }
    ifft2c(coil, nx, ny, nc, coil);
    out.fill(0, 0, npix);
    for (let c = 0; c < nc; c++) {
      const o = 2 * npix * c;
      for (let p = 0; p < npix; p++) out[p] += coil[o + 2 * p] ** 2 + coil[o + 2 * p + 1] ** 2;
    }
    for (let p = 0; p < npix; p++) out[p] = Math.sqrt(out[p]);
  }

  private coilBuffer(): Float32Array {
    return this.coilBuf ??= new Float32Array(2 * this.npix * this.nc);
  }

  private imgBuffer(): Float32Array {
    return this.imgBuf ??= new Float32Array(2 * this.npix);
  }
}

/**
 * How an iterative reconstruction turns its image into the output magnitude: `"rss"` is the
 * RSS of the coil images `S_c x`; `"dc-rss"` puts the measured samples back first
 * ({@link EncodingOperator.dataConsistentRss}).
 */
export type MagnitudeOutput = "rss" | "dc-rss";

/**
 * The default {@link MagnitudeOutput}: `"dc-rss"` for mapping, `"rss"` for cine. On the
 * mapping weightings (all frames share one mask, so nothing temporal de-aliases them) the
 * regularised RSS lost SSIM to zero-filled at R = 10; putting the acquired samples back
 * restores the noise texture of the official reference (the RSS of noisy fully sampled coil
 * images) and fixed every such cell (docs/benchmarks.md, `deno task bench classical
 * --views T1,T2`).
 * @param input the slice (its `kind`)
 */
export function defaultOutput(input: SliceInput): MagnitudeOutput {
  return input.kind === "mapping" ? "dc-rss" : "rss";
}

/** Work space of {@link conjugateGradient}: three complex vectors, reusable across calls. */
export class CgWork {
  readonly rRe: Float64Array;
  readonly rIm: Float64Array;
  readonly pRe: Float64Array;
  readonly pIm: Float64Array;
  readonly qRe: Float64Array;
  readonly qIm: Float64Array;
  /** @param n vector length (complex elements) */
  constructor(readonly n: number) {
    this.rRe = new Float64Array(n);
    this.rIm = new Float64Array(n);
    this.pRe = new Float64Array(n);
    this.pIm = new Float64Array(n);
    this.qRe = new Float64Array(n);
    this.qIm = new Float64Array(n);
  }
}

/** Options of {@link conjugateGradient}. */
export interface CgOptions {
  /** Most iterations (default 30). */
  maxIter?: number;
  /** Stop when `||b - A x|| <= tol * ||b||` (default 1e-4). */
  tol?: number;
  /** Reusable work space of length n. */
  work?: CgWork;
}

/** What {@link conjugateGradient} did. */
export interface CgResult {
  /** Iterations run (0 when the start already met the tolerance). */
  iterations: number;
  /** Final `||b - A x|| / ||b||` (0 for b = 0). */
  relResidual: number;
}

/**
 * Conjugate gradients for `A x = b` with `A` Hermitian positive (semi-)definite, on split
 * complex vectors. `x` holds the start (warm start) and receives the solution.
 *
 * @param apply `apply(re, im, outRe, outIm)` writes `A (re + i im)`; outputs never alias inputs
 * @param bRe real parts of b (length n)
 * @param bIm imaginary parts of b
 * @param xRe real parts of x: start on entry, solution on return
 * @param xIm imaginary parts of x
 * @param opts iterations, tolerance, work space
 */
export function conjugateGradient(
  apply: (re: Float64Array, im: Float64Array, outRe: Float64Array, outIm: Float64Array) => void,
  bRe: Float64Array,
  bIm: Float64Array,
  xRe: Float64Array,
  xIm: Float64Array,
  opts: CgOptions = {},
): CgResult {
  const n = bRe.length;
  const maxIter = opts.maxIter ?? 30;
  const tol = opts.tol ?? 1e-4;
  const w = opts.work && opts.work.n === n ? opts.work : new CgWork(n);
  const { rRe, rIm, pRe, pIm, qRe, qIm } = w;
  let bb = 0;
  for (let i = 0; i < n; i++) bb += bRe[i] * bRe[i] + bIm[i] * bIm[i];
  if (bb === 0) {
    xRe.fill(0);
    xIm.fill(0);
    return { iterations: 0, relResidual: 0 };
  }
  apply(xRe, xIm, qRe, qIm);
  let rr = 0;
  for (let i = 0; i < n; i++) {
    const a = bRe[i] - qRe[i], b = bIm[i] - qIm[i];
    rRe[i] = a;
    rIm[i] = b;
    pRe[i] = a;
    pIm[i] = b;
    rr += a * a + b * b;
  }
  const stop = tol * tol * bb;
  let it = 0;
  while (it < maxIter && rr > stop) {
    apply(pRe, pIm, qRe, qIm);
    let pq = 0;
    for (let i = 0; i < n; i++) pq += pRe[i] * qRe[i] + pIm[i] * qIm[i];
    if (!(pq > 0)) break; // A singular along p (or numerical breakdown): keep x
    const alpha = rr / pq;
    let rrNew = 0;
    for (let i = 0; i < n; i++) {
      xRe[i] += alpha * pRe[i];
      xIm[i] += alpha * pIm[i];
      const a = rRe[i] - alpha * qRe[i], b = rIm[i] - alpha * qIm[i];
      rRe[i] = a;
      rIm[i] = b;
      rrNew += a * a + b * b;
    }
    const beta = rrNew / rr;
    rr = rrNew;
    for (let i = 0; i < n; i++) {
      pRe[i] = rRe[i] + beta * pRe[i];
      pIm[i] = rIm[i] + beta * pIm[i];
    }
    it++;
  }
  return { iterations: it, relResidual: Math.sqrt(rr / bb) };
}

/**
 * Unit coil map for single-coil data: sensitivity 1 everywhere.
 * @returns complex interleaved, MATLAB dims `(x, y, 1)`
 */
export function unitMap(nx: number, ny: number): Float32Array {
  const m = new Float32Array(2 * nx * ny);
  for (let p = 0; p < m.length; p += 2) m[p] = 1;
  return m;
}

/**
 * Coil sensitivities to use: estimated from the data (`"acs"`: ACS images over their RSS;
 * `"espirit"`: ESPIRiT, both from `src/kspace/sensitivity.ts`) or given explicitly as a
 * complex interleaved array, MATLAB dims `(x, y, coil)`.
 */
export type MapsChoice = "acs" | "espirit" | Float32Array;

/**
 * Checks a slice for the iterative methods: sizes of k-space and mask, finite values.
 * @throws {ShapeError} naming what is wrong
 */
export function checkSlice(input: SliceInput): void {
  const { dims, kspace, mask, maskDims } = input;
  if (dims.length !== 4 || dims.some((d) => !Number.isSafeInteger(d) || d < 1)) {
    throw new ShapeError(
      `slice dims must be 4 positive integers (kx, ky, coil, frame), got ` +
        `[${dims.join(", ")}]`,
    );
  }
  const [nx, ny, nc, nt] = dims;
  if (kspace.length !== 2 * nx * ny * nc * nt) {
    throw new ShapeError(
      `k-space has ${kspace.length / 2} complex values, dims [${dims.join(", ")}] need ` +
        `${nx * ny * nc * nt}`,
    );
  }
  const mf = maskDims[2] ?? 1;
  if (maskDims[0] !== nx || maskDims[1] !== ny || (mf !== 1 && mf !== nt)) {
    throw new ShapeError(
      `mask dims [${maskDims.join(", ")}] do not fit k-space dims [${dims.join(", ")}]`,
      { hint: "the mask must be (kx, ky) or (kx, ky, frame) matching the k-space" },
    );
  }
  if (mask.length !== nx * ny * mf) {
    throw new ShapeError(
      `mask has ${mask.length} values, dims [${maskDims.join(", ")}] need ${nx * ny * mf}`,
    );
  }
  for (let i = 0; i < kspace.length; i++) {
    if (!Number.isFinite(kspace[i])) {
      throw new ShapeError(`k-space holds a non-finite value (${kspace[i]}) at index ${i >> 1}`, {
        hint: "the input file is corrupt or was written with NaN/Inf; re-export it",
      });
    }
  }
}

/**
 * The coil maps a reconstruction uses for a slice: the given array, a unit map for
 * single-coil data, or the estimate `sensitivityMaps(input, choice, mapOptions)`.
 * @param input the slice (k-space `(kx, ky, coil, frame)` and mask)
 * @param choice estimation method or explicit maps `(x, y, coil)`
 * @param mapOptions passed to the estimator
 * @returns complex interleaved maps, MATLAB dims `(x, y, coil)`
 * @throws {ShapeError} when explicit maps have the wrong size
 */
export function resolveMaps(
  input: SliceInput,
  choice: MapsChoice,
  mapOptions: SensitivityOptions = {},
): Float32Array {
  const [nx, ny, nc] = input.dims;
  if (choice instanceof Float32Array) {
    if (choice.length !== 2 * nx * ny * nc) {
      throw new ShapeError(
        `coil maps have ${choice.length / 2} complex values; (x, y, coil) = ` +
          `(${nx}, ${ny}, ${nc}) needs ${nx * ny * nc}`,
      );
    }
    return choice;
  }
  if (nc === 1) return unitMap(nx, ny);
  return estimateMaps(input, choice, mapOptions);
}

function estimateMaps(
  input: SliceInput,
  choice: "acs" | "espirit",
  opts: SensitivityOptions,
): Float32Array {
  if (choice !== "acs" && choice !== "espirit") {
    throw new ShapeError(`unknown coil map method "${choice}"`, { hint: 'use "acs" or "espirit"' });
  }
  const [nx, ny, nc] = input.dims;
  // only the first map of a multi-map ESPIRiT result is used
  return sensitivityMaps(input, choice, opts).maps.subarray(0, 2 * nx * ny * nc);
}
