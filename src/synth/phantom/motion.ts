/**
 * Motion over the cardiac cycle: the phase of a frame and the contraction curve
 * (0 = end-diastole, 1 = end-systole), C1-periodic so the last frame flows into the first.
 *
 * @module
 */

import type { PhantomParams } from "./types.ts";

/** Phase in cycles, in [0, 1), of frame `frame` of `nframes` (periodic in `frame`). */
export function cardiacPhase(params: PhantomParams, frame: number, nframes: number): number {
  const p = frame / nframes + params.motion.phaseOffset;
  return p - Math.floor(p);
}

/**
 * Contraction at a cardiac phase: 0 at end-diastole, 1 at end-systole (phase =
 * `params.motion.systole`). C1-periodic with period 1.
 */
export function contractionAt(params: PhantomParams, phase: number): number {
  const ph = phase - Math.floor(phase);
  const ts = params.motion.systole;
  if (ph < ts) return 0.5 - 0.5 * Math.cos((Math.PI * ph) / ts);
  const s = (ph - ts) / (1 - ts);
  const early = 0.8 * smooth01(s / 0.4); // rapid filling
  const kick = 0.2 * smooth01((s - 0.72) / 0.23); // atrial contraction
  return Math.max(0, 1 - early - kick);
}

/** Smoothstep: 0 below 0, 1 above 1, `3t^2 - 2t^3` between (C1). */
export function smooth01(t: number): number {
  if (t <= 0) return 0;
  if (t >= 1) return 1;
  return t * t * (3 - 2 * t);
}
