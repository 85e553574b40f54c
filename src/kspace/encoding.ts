/**
 * The multi-coil Cartesian encoding operator `E = M F S` shared by the iterative
 * reconstructions (CG-SENSE, L+S) and the learned models' data consistency: forward, adjoint
 * and normal operator, and data-consistent root-sum-of-squares.
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
 * row order. Images and k-space outside the solver are complex interleaved `Float32Array`s,
 * column-major (x fastest).
 *
 * @module
 */

import { ShapeError } from "../errors.ts";
import { fft2c, type FftPlan, fftPlan, ifft2c } from "./fft.ts";

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
   * Prepares the operator: maps in solver order, the mask, the Lipschitz bound, FFT plan.
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

  /** Scratch for one frame of coil data, complex interleaved `(x, y, coil)`; reused. */
  private coilBuffer(): Float32Array {
    return this.coilBuf ??= new Float32Array(2 * this.npix * this.nc);
  }

  /** Scratch for one complex interleaved image `(x, y)`; reused. */
  private imgBuffer(): Float32Array {
    return this.imgBuf ??= new Float32Array(2 * this.npix);
  }
}
