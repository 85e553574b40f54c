/**
 * Cartesian undersampling masks as the CMRxRecon organisers make them, and ACS detection.
 *
 * Official uniform pattern (2023 demo `mySubsampling`, 2024 `UniformSampling`): every R-th
 * phase-encode line starting at the first (0-based columns 0, R, 2R, ...) plus a fully
 * sampled band of `ncalib` central lines, 0-based start `floor(ny/2) - floor(ncalib/2)`.
 * 2023 uses 24 ACS lines, 2024 16, 2025 20.
 *
 * @module
 */

/**
 * The sampled phase-encode lines of a uniform mask, as a 0/1 vector over ky.
 *
 * @param ny number of phase-encode lines
 * @param r acceleration factor (every r-th line)
 * @param ncalib number of fully sampled central lines
 */
export function uniformLines(ny: number, r: number, ncalib = 24): Uint8Array {
  const lines = new Uint8Array(ny);
  for (let y = 0; y < ny; y += r) lines[y] = 1;
  const start = Math.floor(ny / 2) - Math.floor(ncalib / 2);
  for (let y = Math.max(0, start); y < Math.min(ny, start + ncalib); y++) lines[y] = 1;
  return lines;
}

/**
 * A 2-D uniform mask with MATLAB dims `(kx, ky)`, column-major: every kx of a sampled ky
 * line is 1.
 */
export function uniformMask2d(nx: number, ny: number, r: number, ncalib = 24): Float32Array {
  const lines = uniformLines(ny, r, ncalib);
  const mask = new Float32Array(nx * ny);
  for (let y = 0; y < ny; y++) if (lines[y]) mask.fill(1, y * nx, (y + 1) * nx);
  return mask;
}

/**
 * The sampled ky lines of a mask with MATLAB dims `(kx, ky)` (or `(kx, ky, t)`, in which
 * case a line counts when it is sampled in frame `frame`): 1 where any kx is non-zero.
 */
export function sampledLines(
  mask: ArrayLike<number>,
  nx: number,
  ny: number,
  frame = 0,
): Uint8Array {
  const lines = new Uint8Array(ny);
  const base = frame * nx * ny;
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      if (mask[base + y * nx + x] !== 0) {
        lines[y] = 1;
        break;
      }
    }
  }
  return lines;
}

/**
 * The fully sampled central band (ACS) of a line pattern: the longest run of sampled lines
 * that contains the centre line `floor(ny/2)`. Returns `[start, end)`; empty when the centre
 * line is not sampled.
 */
export function acsRange(lines: ArrayLike<number>): [number, number] {
  const ny = lines.length;
  const c = Math.floor(ny / 2);
  if (!lines[c]) return [c, c];
  let s = c;
  let e = c + 1;
  while (s > 0 && lines[s - 1]) s--;
  while (e < ny && lines[e]) e++;
  return [s, e];
}

/** Acceleration of a line pattern: lines / sampled lines. */
export function accelerationOf(lines: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < lines.length; i++) if (lines[i]) n++;
  return n === 0 ? Infinity : lines.length / n;
}
