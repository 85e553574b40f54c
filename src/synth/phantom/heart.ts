/**
 * Anatomy of the beating heart as raster layers (mm about the image centre): the
 * short-axis heart at a slice position (LV, myocardium, RV, papillary muscles) and the
 * long-axis 2ch/3ch/4ch hearts (with atria, valves and aortic root), both at a contraction
 * from 0 (end-diastole) to 1 (end-systole).
 *
 * @module
 */

import { rngFor } from "../random.ts";
import { smooth01 } from "./motion.ts";
import { circle, type Ellipse, type Layer, rot } from "./raster.ts";
import { type CineView, LABEL, type PhantomParams } from "./types.ts";

/** SAX heart at slice position z (0 base .. 1 apex) and contraction c (0 ED .. 1 ES). */
export function saxHeart(p: PhantomParams, z: number, c: number): Layer[] {
  const h = p.heart, m = p.motion;
  const th = h.angle;
  const L: Layer[] = [];
  // the long axis is oblique to the slices: the centre drifts from base to apex
  const [ox, oy] = rot((z - 0.5) * 8, (z - 0.5) * 5, th);
  const lcx = h.cx + ox + 1.5 * c, lcy = h.cy + oy - 1.5 * c;
  // ellipsoidal taper of the cavity toward the apex (cavity closes just past z = 1)
  const zz = Math.min(z, 0.98);
  const prof = Math.sqrt(Math.max(0, 1 - zz * zz)) * (1 - 0.08 * (0.3 - z));
  const riED = h.lvRadius * prof;
  const w = h.wall * (1 + 0.1 * z);
  const reED = riED + w;
  const ri = riED * (1 - m.contraction * c);
  const re = Math.sqrt(ri * ri + reED * reED - riED * riED); // constant myocardial area
  // RV: crescent wrapping the septum, anterior-right (image left-up); fades to the apex
  const rvFade = smooth01((0.9 - z) / 0.35) * h.rvSize;
  const rs = 1 - p.motion.rvContraction * c;
  const psi = th + (215 * Math.PI) / 180;
  const ux = Math.cos(psi), uy = Math.sin(psi);
  // RV: a flattened ellipse centred just inside the LV epicardium; the part outside the
  // LV is a crescent spanning ~150 degrees around the septum
  const rvOff = re * 0.7;
  const depth = 0.65 * reED * rvFade * rs * (1 + 0.4 * Math.max(0, 0.35 - z));
  const rr = re * 0.3 + depth;
  const rt = re * (0.55 + 0.55 * rvFade) * (1 - 0.25 * (1 - rs));
  const rvx = lcx + ux * rvOff, rvy = lcy + uy * rvOff;
  const rvWall = 3.5;
  const fr = rngFor(p.seed, "heart-shape", Math.round(z * 1000));
  const hasRv = depth > 0.8;
  // anterior pericardial fat pad between the RV and the chest wall
  L.push({
    shape: {
      cx: lcx + ux * (re + depth + 10) + 6,
      cy: lcy + uy * (re + depth + 10) - 4,
      a: 16 + 2 * h.epiFat,
      b: 8 + h.epiFat,
      th: psi + Math.PI / 2 + 0.3,
      harm: [3, 0.08, fr.uniform(0, 6.3)],
    },
    tissue: "fat",
    label: LABEL.FAT,
  });
  if (hasRv) {
    // epicardial fat around the RV free wall and in the grooves
    L.push({
      shape: {
        cx: rvx,
        cy: rvy,
        a: rr + rvWall + 0.6 * h.epiFat,
        b: rt + rvWall + 0.6 * h.epiFat,
        th: psi,
        harm: [
          2,
          0.06,
          fr.uniform(0, 6.3),
          3,
          0.07,
          fr.uniform(0, 6.3),
          5,
          0.05,
          fr.uniform(0, 6.3),
        ],
      },
      tissue: "fat",
      label: LABEL.FAT,
    });
  }
  // groove fat where the RV meets the LV (anterior and inferior insertion points)
  for (const sgn of [-1, 1]) {
    const a = psi + sgn * 1.05;
    L.push({
      shape: circle(lcx + Math.cos(a) * reED * 1.05, lcy + Math.sin(a) * reED * 1.05, 4 + h.epiFat),
      tissue: "fat",
      label: LABEL.FAT,
    });
  }
  if (hasRv) {
    const harm = [2, 0.03, fr.uniform(0, 6.3), 4, 0.02, fr.uniform(0, 6.3)];
    L.push({
      shape: { cx: rvx, cy: rvy, a: rr + rvWall, b: rt + rvWall, th: psi, harm },
      tissue: "myocardium",
      label: LABEL.OTHER,
    });
    L.push({
      shape: { cx: rvx, cy: rvy, a: rr, b: rt, th: psi, harm },
      tissue: "blood",
      label: LABEL.RV_BLOOD,
      gain: 0.96,
    });
  }
  // basal slices: left atrium / LVOT region behind the LV
  if (z < 0.2) {
    const f = smooth01((0.2 - z) / 0.12);
    const [ax, ay] = rot(4, reED + 10 * f, th);
    L.push({
      shape: { cx: lcx + ax, cy: lcy + ay, a: 24 * f + 1, b: 15 * f + 1, th },
      tissue: "soft",
      label: LABEL.OTHER,
    });
    L.push({
      shape: { cx: lcx + ax, cy: lcy + ay, a: 22 * f, b: 13 * f, th },
      tissue: "blood",
      label: LABEL.ATRIAL_BLOOD,
    });
  }
  // LV myocardium and cavity
  L.push({
    shape: {
      cx: lcx,
      cy: lcy,
      a: re,
      b: re * 0.96,
      th,
      harm: [2, 0.015, fr.uniform(0, 6.3), 3, 0.012, fr.uniform(0, 6.3)],
    },
    tissue: "myocardium",
    label: LABEL.MYOCARDIUM,
  });
  if (ri > 0.5) {
    L.push({
      shape: {
        cx: lcx,
        cy: lcy,
        a: ri,
        b: ri * 0.94,
        th,
        harm: [
          2,
          0.03,
          fr.uniform(0, 6.3),
          5,
          0.02 + 0.02 * c,
          fr.uniform(0, 6.3),
          7,
          0.015 + 0.015 * c,
          fr.uniform(0, 6.3),
        ],
      },
      tissue: "blood",
      label: LABEL.LV_BLOOD,
    });
  }
  // papillary muscles (mid-ventricular slices), anterolateral and posteromedial
  const pf = smooth01((z - 0.15) / 0.15) * smooth01((0.85 - z) / 0.15);
  if (pf > 0 && ri > 4) {
    const rp = 0.2 * riED * pf;
    for (const deg of [-45, 130]) {
      const a = th + (deg * Math.PI) / 180;
      const d = Math.max(0, ri - rp * 0.9);
      L.push({
        shape: { cx: lcx + Math.cos(a) * d, cy: lcy + Math.sin(a) * d, a: rp * 1.15, b: rp, th: a },
        tissue: "myocardium",
        label: LABEL.LV_BLOOD,
      });
    }
  }
  return L;
}

/** A bullet (half ellipse) along axis e from base point (bx, by), cut at the base plane. */
function bullet(
  bx: number,
  by: number,
  ex: number,
  ey: number,
  length: number,
  radius: number,
  back = 0,
): { shape: Ellipse; clip: [number, number, number][] } {
  const c0 = 0.25 * length;
  return {
    shape: {
      cx: bx + ex * c0,
      cy: by + ey * c0,
      a: length - c0,
      b: radius,
      th: Math.atan2(ey, ex),
    },
    // keep (X - base) . e >= -back  <=>  -e . X <= -e . base + back
    clip: [[-ex, -ey, -(ex * bx + ey * by) + back]],
  };
}

/** Long-axis heart (2ch, 3ch, 4ch) at contraction c. */
export function laxHeart(p: PhantomParams, view: CineView, c: number): Layer[] {
  const h = p.heart, m = p.motion;
  const L: Layer[] = [];
  const tilt = view === "2ch" ? -0.12 : view === "3ch" ? 0 : 0.1;
  const ang = h.laxAngle + tilt;
  const ex = Math.cos(ang), ey = Math.sin(ang); // base -> apex
  const bx0 = -ey, by0 = ex; // +b: posterior-left side (LV lateral wall, LA)
  const sz = h.atrialSize;
  const L0 = h.lvLength * (view === "2ch" ? 1.03 : 1);
  const R0 = h.lvRadius * (view === "2ch" ? 0.95 : 1);
  const w0 = h.wall;
  const laA = 21 * sz, laB = 25 * sz;
  // base position at ED so that [LA back, apex] is centred on (laxCx, laxCy)
  const d = (L0 + w0 - 2 * laA) / 2;
  // per-view shift so the chambers of each view are centred on (laxCx, laxCy)
  const dyView = view === "2ch" ? -6 : view === "3ch" ? 6 : 12;
  const baseX0 = h.laxCx - ex * d, baseY0 = h.laxCy + dyView - ey * d;
  const apexX = baseX0 + ex * L0, apexY = baseY0 + ey * L0;
  // systole: base descends toward the fixed apex; cavity narrows; wall thickens
  const Lc = L0 * (1 - m.shortening * c);
  const Rc = R0 * (1 - m.contraction * c);
  const K = (L0 + w0) * (R0 + w0) - L0 * R0; // ~ constant myocardial area
  const wc = (-(Lc + Rc) + Math.sqrt((Lc + Rc) * (Lc + Rc) + 4 * K)) / 2;
  const bX = apexX - ex * Lc, bY = apexY - ey * Lc;
  const fr = rngFor(p.seed, "lax-shape", view);
  const atr = 1 + 0.18 * c; // atria fill during ventricular systole
  // left atrium behind the base, slightly to the +b side
  const laOff = view === "2ch" ? 2 : 8;
  const lax = bX - ex * laA * 0.85 * atr + bx0 * laOff,
    lay = bY - ey * laA * 0.85 * atr + by0 * laOff;
  const laHarm = [2, 0.05, fr.uniform(0, 6.3), 3, 0.04, fr.uniform(0, 6.3)];
  // epicardial fat in the AV groove (both sides of the base) and over the apex
  for (const sgn of [1, -1]) {
    const gx = bX + sgn * bx0 * (Rc + wc + 1) - ex * 3,
      gy = bY + sgn * by0 * (Rc + wc + 1) - ey * 3;
    L.push({ shape: circle(gx, gy, 4 + h.epiFat), tissue: "fat", label: LABEL.FAT });
  }
  L.push({
    shape: {
      cx: apexX + ex * (wc * 0.85 + 1),
      cy: apexY + ey * (wc * 0.85 + 1),
      a: 3 + h.epiFat,
      b: 10 + h.epiFat,
      th: ang,
    },
    tissue: "fat",
    label: LABEL.FAT,
  });
  // descending aorta behind the LA (4ch, 2ch)
  if (view !== "3ch") {
    const ax = lax - ex * (laA + 10) + bx0 * 18, ay = lay - ey * (laA + 10) + by0 * 18;
    L.push({ shape: circle(ax, ay, 13), tissue: "soft", label: LABEL.OTHER });
    L.push({ shape: circle(ax, ay, 11), tissue: "blood", label: LABEL.VESSEL_BLOOD, gain: 0.9 });
  }
  // right heart (4ch): RA behind the RV, RV along the septum on the -b side
  if (view === "4ch") {
    const rvR0 = R0 * 0.72 * h.rvSize, rvL0 = L0 * 0.78;
    const rvR = rvR0 * (1 - m.rvContraction * c), rvL = rvL0 * (1 - 0.8 * m.shortening * c);
    const off = R0 + w0 + rvR0 * 0.55;
    const tvX = bX + ex * 6 - bx0 * off, tvY = bY + ey * 6 - by0 * off; // tricuspid: apical
    const raA = 18 * sz * atr, raB = 20 * sz;
    const rax = tvX - ex * raA * 0.85 - bx0 * 4, ray = tvY - ey * raA * 0.85 - by0 * 4;
    L.push({
      shape: { cx: rax, cy: ray, a: raA + 2, b: raB + 2, th: ang, harm: laHarm },
      tissue: "soft",
      label: LABEL.OTHER,
    });
    L.push({
      shape: { cx: rax, cy: ray, a: raA, b: raB, th: ang, harm: laHarm },
      tissue: "blood",
      label: LABEL.ATRIAL_BLOOD,
    });
    const rvAng = Math.atan2(ey, ex) - 0.12;
    const rex = Math.cos(rvAng), rey = Math.sin(rvAng);
    const fat = bullet(tvX, tvY, rex, rey, rvL + 3.5 + h.epiFat, rvR + 3.5 + h.epiFat, 1);
    L.push({ ...fat, tissue: "fat", label: LABEL.FAT });
    const wall = bullet(tvX, tvY, rex, rey, rvL + 3.5, rvR + 3.5, 1);
    L.push({ ...wall, tissue: "myocardium", label: LABEL.OTHER });
    const cav = bullet(tvX, tvY, rex, rey, rvL, rvR);
    L.push({ ...cav, tissue: "blood", label: LABEL.RV_BLOOD, gain: 0.96 });
  }
  // 3ch: RV outflow anterior, aortic root leaving the base on the -b side
  if (view === "3ch") {
    const rvR = 11 * h.rvSize * (1 - m.rvContraction * c);
    const cx = bX + ex * L0 * 0.3 - bx0 * (R0 + w0 + rvR + 1);
    const cy = bY + ey * L0 * 0.3 - by0 * (R0 + w0 + rvR + 1);
    const rvLen = L0 * 0.42;
    L.push({
      shape: { cx, cy, a: rvLen + 3.5, b: rvR + 3.5, th: ang - 0.1 },
      tissue: "myocardium",
      label: LABEL.OTHER,
    });
    L.push({
      shape: { cx, cy, a: rvLen, b: rvR, th: ang - 0.1 },
      tissue: "blood",
      label: LABEL.RV_BLOOD,
      gain: 0.96,
    });
    const aoAng = ang + Math.PI + 0.55; // away from the apex, toward -b
    const aex = Math.cos(aoAng), aey = Math.sin(aoAng);
    const rootX = bX - bx0 * R0 * 0.55, rootY = bY - by0 * R0 * 0.55;
    const acx = rootX + aex * 24, acy = rootY + aey * 24;
    L.push({
      shape: { cx: acx, cy: acy, a: 30, b: 13.5, th: aoAng },
      tissue: "soft",
      label: LABEL.OTHER,
    });
    L.push({
      shape: { cx: acx, cy: acy, a: 29, b: 11.5, th: aoAng, harm: [2, 0.03, 0] },
      tissue: "blood",
      label: LABEL.VESSEL_BLOOD,
    });
  }
  // left atrium
  L.push({
    shape: { cx: lax, cy: lay, a: laA * atr + 2, b: laB + 2, th: ang, harm: laHarm },
    tissue: "soft",
    label: LABEL.OTHER,
  });
  L.push({
    shape: { cx: lax, cy: lay, a: laA * atr, b: laB, th: ang, harm: laHarm },
    tissue: "blood",
    label: LABEL.ATRIAL_BLOOD,
  });
  // LV myocardium and cavity
  const myo = bullet(bX, bY, ex, ey, Lc + wc * 0.85, Rc + wc, 1);
  L.push({
    ...myo,
    shape: { ...myo.shape, harm: [3, 0.012, fr.uniform(0, 6.3)] },
    tissue: "myocardium",
    label: LABEL.MYOCARDIUM,
  });
  const cav = bullet(bX, bY, ex, ey, Lc, Rc);
  L.push({
    ...cav,
    shape: {
      ...cav.shape,
      harm: [4, 0.012 + 0.015 * c, fr.uniform(0, 6.3), 7, 0.01 + 0.01 * c, fr.uniform(0, 6.3)],
    },
    tissue: "blood",
    label: LABEL.LV_BLOOD,
  });
  // papillary muscle in the cavity (4ch: lateral; 2ch: inferior)
  {
    const pa = 0.55 * Lc, pb = Rc * 0.62;
    const px = bX + ex * pa + bx0 * pb, py = bY + ey * pa + by0 * pb;
    L.push({
      shape: { cx: px, cy: py, a: 9, b: 3.5 + 1.5 * c, th: ang - 0.3 },
      tissue: "myocardium",
      label: LABEL.LV_BLOOD,
    });
  }
  // mitral leaflets hinged at the annulus: closed across the orifice in systole,
  // open into the LV in diastole
  const open = 1 - smooth01(c * 1.6);
  const annR = Rc * 0.85;
  for (const sgn of [1, -1]) {
    const hx = bX + sgn * bx0 * annR, hy = bY + sgn * by0 * annR;
    const g = (open * 75 * Math.PI) / 180;
    const dx = -sgn * bx0 * Math.cos(g) + ex * Math.sin(g);
    const dy = -sgn * by0 * Math.cos(g) + ey * Math.sin(g);
    const len = sgn > 0 ? 8 : 6; // posterior and anterior leaflet halves
    L.push({
      shape: { cx: hx + dx * len, cy: hy + dy * len, a: len, b: 0.9, th: Math.atan2(dy, dx) },
      tissue: "soft",
      label: LABEL.OTHER,
    });
  }
  return L;
}
