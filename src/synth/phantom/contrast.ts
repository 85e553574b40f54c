/**
 * Relaxation and contrast: the bSSFP steady state behind cine brightness, and the
 * MOLLI (T1) and T2-prep (T2) signal models and timings of the mapping series. Times in ms.
 *
 * @module
 */

import { rngFor } from "../random.ts";
import { TISSUE_NAMES } from "./params.ts";
import { MOLLI_B_OVER_A, type PhantomParams, type Tissue, type TissueProps } from "./types.ts";

/** bSSFP steady-state magnitude (TE = TR/2, on resonance), flip angle in degrees. */
function bssfp(t: TissueProps, flipDeg = 50): number {
  if (t.pd <= 0 || t.t2 <= 0) return 0;
  const a = (flipDeg * Math.PI) / 180;
  const ratio = t.t1 / t.t2;
  return (t.pd * Math.sin(a)) / (ratio + 1 - Math.cos(a) * (ratio - 1));
}

/** Cine brightness of each tissue relative to blood (bSSFP signal times the patient jitter). */
export function cineIntensities(p: PhantomParams): Record<Tissue, number> {
  const ref = bssfp(p.tissues.blood);
  const out = {} as Record<Tissue, number>;
  for (const name of TISSUE_NAMES) {
    out[name] = (bssfp(p.tissues[name]) / ref) * p.brightness[name];
  }
  return out;
}

/**
 * MOLLI signal magnitude `|A - B exp(-TI / T1*)|` with `B = bOverA * A` and the
 * Look-Locker apparent time `T1* = T1 / (B/A - 1)` (so T1* < T1 for B/A < 2; with the
 * default B/A = 2.2, T1* = T1 / 1.2). Inverting: `T1 = T1* (B/A - 1)`.
 * @param ti inversion time, ms
 * @param t1 true T1, ms
 * @param a steady-state amplitude A
 * @param bOverA ratio B/A (default {@link MOLLI_B_OVER_A})
 */
export function molliSignal(ti: number, t1: number, a = 1, bOverA = MOLLI_B_OVER_A): number {
  if (t1 <= 0) return 0;
  const t1s = t1 / (bOverA - 1);
  return Math.abs(a * (1 - bOverA * Math.exp(-ti / t1s)));
}

/**
 * T2-prepared signal `A exp(-TE / T2)`.
 * @param te T2-preparation echo time, ms
 * @param t2 T2, ms
 * @param a amplitude at TE = 0
 */
export function t2PrepSignal(te: number, t2: number, a = 1): number {
  if (t2 <= 0) return 0;
  return a * Math.exp(-te / t2);
}

/**
 * MOLLI 4-(1)-3-(1)-2 inversion times for one slice, ms, sorted ascending (9 values).
 * Three inversions with first TIs `TI0`, `TI0 + 80`, `TI0 + 160` (TI0 ~ 100–130 ms), read
 * out on 4, 3 and 2 consecutive heartbeats (`+ k * RR`, RR ~ 900–1100 ms per patient,
 * slightly different per slice). Rounded to 0.1 ms.
 * @param slice slice index
 * @param seed patient seed (same seed as {@link phantomParams})
 */
export function molliTimes(slice: number, seed: number): number[] {
  const rp = rngFor(seed, "molli-patient");
  const rrPatient = rp.uniform(900, 1100);
  const ti0Patient = rp.uniform(100, 130);
  const rs = rngFor(seed, "molli-slice", slice);
  const rr = rrPatient + rs.uniform(-25, 25);
  const ti0 = ti0Patient + rs.uniform(-3, 3);
  const out: number[] = [];
  const counts = [4, 3, 2];
  for (let inv = 0; inv < 3; inv++) {
    for (let k = 0; k < counts[inv]; k++) out.push(ti0 + 80 * inv + k * rr);
  }
  return out.map((t) => Math.round(t * 10) / 10).sort((a, b) => a - b);
}

/** T2-prep echo times, ms: `[0, 35, 55]`. */
export function t2PrepTimes(): number[] {
  return [0, 35, 55];
}
