/**
 * Random but plausible anatomy and physiology of one synthetic patient
 * ({@link phantomParams}): body and heart placement and size, motion, and per-tissue
 * relaxation times (ms) jittered about nominal 3 T values. Same seed, same patient.
 *
 * @module
 */

import { rngFor } from "../random.ts";
import type { PhantomParams, Tissue, TissueProps } from "./types.ts";

/** Nominal 3 T tissue properties (ms, ms, relative PD). */
const TISSUES: Record<Tissue, TissueProps> = {
  air: { t1: 0, t2: 0, pd: 0 },
  fat: { t1: 400, t2: 60, pd: 0.9 },
  muscle: { t1: 1400, t2: 35, pd: 0.75 },
  lung: { t1: 1300, t2: 40, pd: 0.12 },
  liver: { t1: 800, t2: 30, pd: 0.7 },
  myocardium: { t1: 1200, t2: 45, pd: 0.75 },
  blood: { t1: 1900, t2: 250, pd: 0.9 },
  marrow: { t1: 600, t2: 50, pd: 0.6 },
  cortical: { t1: 1000, t2: 10, pd: 0.03 },
  csf: { t1: 4000, t2: 1500, pd: 1.0 },
  soft: { t1: 1100, t2: 50, pd: 0.7 },
};

/** The tissue names, in the order their parameters are drawn. */
export const TISSUE_NAMES = Object.keys(TISSUES) as Tissue[];

/**
 * Random but plausible anatomy for one patient. Same seed, same patient.
 * @param seed patient seed (e.g. `deriveSeed(datasetSeed, "P001")`)
 */
export function phantomParams(seed: number): PhantomParams {
  const r = rngFor(seed, "phantom");
  const bodyA = r.uniform(150, 172);
  const bodyB = r.uniform(105, 122);
  const tissues = {} as Record<Tissue, TissueProps>;
  const brightness = {} as Record<Tissue, number>;
  for (const name of TISSUE_NAMES) {
    const t = TISSUES[name];
    tissues[name] = {
      t1: Math.round(r.jitter(t.t1, 0.05)),
      t2: Math.round(r.jitter(t.t2, 0.08) * 10) / 10,
      pd: r.jitter(t.pd, 0.05),
    };
    brightness[name] = r.jitter(1, 0.08);
  }
  brightness.blood = r.uniform(1.0, 1.12); // inflow enhancement
  brightness.csf = 0.55;
  const hasLesion = r.uniform() < 0.3;
  const lesion = hasLesion
    ? {
      angle: r.uniform(-Math.PI, Math.PI),
      width: r.uniform(0.35, 0.8),
      zFrom: r.uniform(0, 0.5),
      zTo: r.uniform(0.55, 1),
      t1Scale: r.uniform(1.08, 1.2),
      t2Scale: r.uniform(1.15, 1.35),
    }
    : null;
  // the scanner FOV is centred on the heart; the body centre lies to the patient's right
  // of and posterior to it
  const heartX = r.uniform(-2, 10), heartY = r.uniform(-6, 6);
  return {
    seed: seed >>> 0,
    body: {
      cx: heartX - r.uniform(14, 28),
      cy: heartY + r.uniform(18, 30),
      a: bodyA,
      b: bodyB,
      fat: r.uniform(7, 20),
      muscle: r.uniform(9, 15),
    },
    heart: {
      cx: heartX,
      cy: heartY,
      angle: r.uniform(-0.25, 0.25),
      lvRadius: r.uniform(22, 28),
      wall: r.uniform(8, 11),
      rvSize: r.uniform(0.85, 1.15),
      lvLength: r.uniform(78, 92),
      laxAngle: r.uniform(-0.4, -0.15),
      laxCx: heartX + r.uniform(-8, 2),
      laxCy: heartY + r.uniform(-3, 3),
      atrialSize: r.uniform(0.9, 1.15),
      epiFat: r.uniform(1, 5),
    },
    motion: {
      phaseOffset: r.uniform(-0.03, 0.03),
      systole: r.uniform(0.33, 0.4),
      contraction: r.uniform(0.28, 0.38),
      rvContraction: r.uniform(0.2, 0.3),
      shortening: r.uniform(0.1, 0.16),
    },
    tissues,
    brightness,
    lesion,
  };
}
