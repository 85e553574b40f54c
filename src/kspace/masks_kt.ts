/**
 * The 2024 and 2025 CMRxRecon sampling patterns as 3-D k-t masks with MATLAB dims
 * `(kx, ky, t)`, column-major, values 0/1. Written from the organisers' published description
 * and the behaviour of their MATLAB generators (`CmrxRecon/CMRxRecon2024:
 * CMRxReconMaskGeneration/Task2/Toolbox_Mask_Generator_Task2/`, the same functions in
 * `CMRxRecon2025:CMRxReconMaskGeneration/TaskAll/Toolbox_Mask_Generator/`); no code copied.
 *
 * - `uniform`: the 2-D equispaced mask of {@link uniformLines} (every R-th ky line from line 0
 *   plus the ACS band), the same in every frame (2025 `Uniform`; 2024 Task 1 uses it as 2-D).
 * - `ktUniform`: in frame t the ky lines y with `(y - t) mod R = 0` (a sheared lattice: the
 *   lines move by one per frame), plus the ACS band.
 * - `ktGaussian`: per frame `round(ny / R)` lines drawn with the density
 *   `0.1 + alpha / (1 - alpha) * exp(-(y - floor(ny/2))^2 / (ny/5)^2)`, alpha = 0.2, a draw
 *   that hits a line already taken in that frame moving to the nearest free line of the frame,
 *   plus the ACS band. Random per frame and per seed.
 * - `ktRadial`: `floor(180 / (0.6 R))` spokes through the k-space centre, evenly spaced over
 *   180 degrees, the whole set rotated by 137.5 degrees per frame, kept inside the disc of
 *   diameter `max(nx, ny)` (corners cropped), plus a square `acs x acs` block at the centre.
 *
 * The Cartesian patterns sample whole ky lines (every kx). Their ACS is a band of `acs` ky
 * lines starting at `floor(ny/2) - floor(acs/2)` (2024: 16, 2025 code: 20). The effective
 * acceleration is well below the nominal R at high R because the ACS is added on top (e.g.
 * ny 246, 16 ACS lines, R 24 gives about 9.6 for ktUniform, as the official generator does).
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { uniformLines } from "./mask.ts";

/** The sampling patterns of the 2024 and 2025 editions (2024 Task 1 and 2025: `uniform`). */
export type KtPattern = "uniform" | "ktUniform" | "ktGaussian" | "ktRadial";

/** Every pattern name, in a stable order. */
export const KT_PATTERNS: readonly KtPattern[] = ["uniform", "ktUniform", "ktGaussian", "ktRadial"];

/**
 * What each edition's official mask generator uses: patterns, accelerations and ACS size.
 * 2024 Task 2: `MaskGeneration_Task2_TrainingSet.m` and `ChallengeMaskGen_Task2_TrainingSet.m`
 * (ncalib 16); 2024 Task 1: uniform 4/8/10 (format §7); 2025:
 * `TaskAll/MaskGeneration_TrainingSet.m` and `ChallengeMaskGen_TrainingSet.m` (ncalib 20).
 */
export const KT_EDITIONS = {
  2024: {
    task1: { patterns: ["uniform"] as KtPattern[], accelerations: [4, 8, 10], acs: 16 },
    task2: {
      patterns: ["ktUniform", "ktGaussian", "ktRadial"] as KtPattern[],
      accelerations: [4, 8, 12, 16, 20, 24],
      acs: 16,
    },
  },
  2025: {
    all: {
      patterns: ["uniform", "ktGaussian", "ktRadial"] as KtPattern[],
      accelerations: [8, 16, 24],
      acs: 20,
    },
  },
} as const;

/** Options of {@link ktMask}. */
export interface KtMaskOptions {
  /** The sampling pattern. */
  pattern: KtPattern;
  /** Readout points (MATLAB dim 1). */
  nx: number;
  /** Phase-encode lines (MATLAB dim 2). */
  ny: number;
  /** Frames (MATLAB dim 3); 1 for single-frame data. */
  nt: number;
  /** Nominal acceleration R. */
  acc: number;
  /** ACS size: central ky lines (Cartesian) or the side of the central square (radial). */
  acs: number;
  /** Seed of the random draws (ktGaussian only); the mask is a function of the seed. */
  seed?: number;
  /** A uniform [0, 1) source used instead of the seeded generator (ktGaussian only). */
  random?: () => number;
}

/** A small seeded uniform [0, 1) generator (mulberry32), 32-bit integer arithmetic only. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
}

/** The ACS region `[start, end)` along kx and ky: every kx for Cartesian, a square for radial. */
export function acsRegion(
  pattern: KtPattern,
  nx: number,
  ny: number,
  acs: number,
): { x: [number, number]; y: [number, number] } {
  const band = (n: number, k: number): [number, number] => {
    const s = Math.max(0, Math.floor(n / 2) - Math.floor(k / 2));
    return [s, Math.min(n, Math.floor(n / 2) - Math.floor(k / 2) + k)];
  };
  return { x: pattern === "ktRadial" ? band(nx, acs) : [0, nx], y: band(ny, acs) };
}

function check(o: KtMaskOptions): void {
  const fix = "give nx, ny, nt >= 1, acc >= 1 and acs >= 0 as integers (acc may be fractional)";
  for (const k of ["nx", "ny", "nt"] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 1) {
      throw new UsageError(`k-t mask: ${k} = ${o[k]} is not a positive integer`, { hint: fix });
    }
  }
  if (!(o.acc >= 1) || !Number.isFinite(o.acc)) {
    throw new UsageError(`k-t mask: acceleration ${o.acc} is not >= 1`, { hint: fix });
  }
  if (!Number.isInteger(o.acs) || o.acs < 0) {
    throw new UsageError(`k-t mask: ACS size ${o.acs} is not an integer >= 0`, { hint: fix });
  }
  if (!KT_PATTERNS.includes(o.pattern)) {
    throw new UsageError(`k-t mask: unknown pattern "${o.pattern}"`, {
      hint: `use one of ${KT_PATTERNS.join(", ")}`,
    });
  }
}

/** The ky lines of a ktGaussian frame: `count` distinct lines drawn with the density. */
function gaussianFrame(ny: number, count: number, alpha: number, rnd: () => number): Uint8Array {
  const c = Math.floor(ny / 2);
  const sig = ny / 5;
  const cdf = new Float64Array(ny);
  let acc = 0;
  for (let y = 0; y < ny; y++) {
    acc += 0.1 + alpha / (1 - alpha + 1e-10) * Math.exp(-((y - c) ** 2) / (sig * sig));
    cdf[y] = acc;
  }
  const taken = new Uint8Array(ny);
  const n = Math.min(count, ny);
  for (let k = 0; k < n; k++) {
    const u = rnd() * acc;
    let y = 0;
    while (y < ny - 1 && cdf[y] <= u) y++;
    if (taken[y]) {
      // the nearest free line of this frame (the lower one on a tie)
      for (let d = 1; d < ny; d++) {
        if (y - d >= 0 && !taken[y - d]) {
          y -= d;
          break;
        }
        if (y + d < ny && !taken[y + d]) {
          y += d;
          break;
        }
      }
    }
    taken[y] = 1;
  }
  return taken;
}

/**
 * A CMRxRecon 2024/2025 sampling mask with MATLAB dims `(kx, ky, t)`, column-major
 * (`ix + nx * (iy + ny * it)`), values 0/1. Deterministic for a given seed.
 */
export function ktMask(o: KtMaskOptions): Float32Array {
  check(o);
  const { pattern, nx, ny, nt, acc, acs } = o;
  const plane = nx * ny;
  const mask = new Float32Array(plane * nt);
  const setLine = (t: number, y: number) =>
    mask.fill(1, t * plane + y * nx, t * plane + (y + 1) * nx);
  const region = acsRegion(pattern, nx, ny, acs);

  if (pattern === "uniform") {
    const lines = uniformLines(ny, Math.round(acc), acs);
    for (let t = 0; t < nt; t++) for (let y = 0; y < ny; y++) if (lines[y]) setLine(t, y);
  } else if (pattern === "ktUniform") {
    const r = Math.round(acc);
    for (let t = 0; t < nt; t++) {
      for (let y = 0; y < ny; y++) if ((((y - t) % r) + r) % r === 0) setLine(t, y);
    }
  } else if (pattern === "ktGaussian") {
    const rnd = o.random ?? seededRandom(o.seed ?? 0);
    const count = Math.round(ny / acc);
    for (let t = 0; t < nt; t++) {
      const lines = gaussianFrame(ny, count, 0.2, rnd);
      for (let y = 0; y < ny; y++) if (lines[y]) setLine(t, y);
    }
  } else {
    const beams = Math.max(1, Math.floor((1 / (acc * 0.6)) * 180));
    const half = Math.max(nx, ny) / 2;
    const cx = Math.floor(nx / 2);
    const cy = Math.floor(ny / 2);
    for (let t = 0; t < nt; t++) {
      const base = t * plane;
      for (let k = 0; k < beams; k++) {
        const th = ((137.5 * t + (180 * k) / beams) * Math.PI) / 180;
        const cs = Math.cos(th);
        const sn = Math.sin(th);
        // spoke direction (-sin, cos): at angle 0 it is the line kx = centre over all ky
        for (let y = 0; y < ny; y++) {
          const dy = y - cy;
          for (let x = 0; x < nx; x++) {
            const dx = x - cx;
            if (Math.abs(dx * cs + dy * sn) < 0.5 && Math.abs(-dx * sn + dy * cs) <= half) {
              mask[base + y * nx + x] = 1;
            }
          }
        }
      }
    }
  }
  for (let t = 0; t < nt; t++) {
    for (let y = region.y[0]; y < region.y[1]; y++) {
      mask.fill(1, t * plane + y * nx + region.x[0], t * plane + y * nx + region.x[1]);
    }
  }
  return mask;
}

/** Effective acceleration of a mask: all points / sampled points (Infinity when none). */
export function effectiveAcceleration(
  mask: ArrayLike<number>,
  nx: number,
  ny: number,
  nt: number,
): number {
  const total = nx * ny * nt;
  let n = 0;
  for (let i = 0; i < total; i++) if (mask[i] !== 0) n++;
  return n === 0 ? Infinity : total / n;
}

/** Whether the ACS region of `pattern` is fully sampled in every frame of `mask`. */
export function acsFullySampled(
  mask: ArrayLike<number>,
  pattern: KtPattern,
  nx: number,
  ny: number,
  nt: number,
  acs: number,
): boolean {
  const { x, y } = acsRegion(pattern, nx, ny, acs);
  for (let t = 0; t < nt; t++) {
    for (let iy = y[0]; iy < y[1]; iy++) {
      for (let ix = x[0]; ix < x[1]; ix++) if (mask[ix + nx * (iy + ny * t)] === 0) return false;
    }
  }
  return true;
}
