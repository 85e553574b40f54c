/**
 * Anatomy of the static surroundings for one view and slice: body outline,
 * subcutaneous fat, muscle, ribs, sternum, lungs with vessels, liver, spine and descending aorta,
 * as raster layers in millimetres about the image centre.
 *
 * @module
 */

import { rngFor } from "../random.ts";
import { smooth01 } from "./motion.ts";
import { circle, type Ellipse, type Layer } from "./raster.ts";
import { type CineView, LABEL, type PhantomParams } from "./types.ts";

/** Static chest anatomy for one view/slice (body, fat, muscle, ribs, lungs, liver, spine). */
export function staticLayers(p: PhantomParams, view: CineView, z: number): Layer[] {
  const r = rngFor(p.seed, "static", view, Math.round(z * 1000));
  const { body } = p;
  const L: Layer[] = [];
  const bx = body.cx, by = body.cy;
  const wob = [2, r.uniform(-0.03, 0.03), r.uniform(0, 6.3), 3, r.uniform(0, 0.025), 0];
  // body outline -> subcutaneous fat
  L.push({
    shape: { cx: bx, cy: by, a: body.a, b: body.b, th: 0, harm: wob },
    tissue: "fat",
    label: LABEL.FAT,
  });
  // muscle layer (pectorals, intercostals, back muscles)
  const ma = body.a - body.fat, mb = body.b - body.fat * 0.8;
  L.push({
    shape: { cx: bx, cy: by, a: ma, b: mb, th: 0, harm: wob },
    tissue: "muscle",
    label: LABEL.OTHER,
  });
  // thoracic cavity (lungs), a bit anterior; posterior wall thicker (paraspinal muscles)
  const ta = ma - body.muscle, tb = mb - body.muscle - 6;
  const tcy = by - 5;
  const thorax: Ellipse = { cx: bx, cy: tcy, a: ta, b: tb, th: 0 };
  // ribs: cortical bone ovals in the chest wall just outside the cavity
  const nRibs = 10;
  for (let i = 0; i < nRibs; i++) {
    const t = -Math.PI * 0.92 + (i / (nRibs - 1)) * Math.PI * 0.84 + r.uniform(-0.05, 0.05);
    const side = i % 2 === 0 ? 1 : -1;
    const ang = side > 0 ? t : Math.PI + t;
    const rx = bx + Math.cos(ang) * (ta + body.muscle * 0.45);
    const ry = tcy + Math.sin(ang) * (tb + body.muscle * 0.45);
    if (Math.abs(Math.cos(ang)) < 0.25 && Math.sin(ang) < 0) continue; // not over the sternum
    L.push({
      shape: { cx: rx, cy: ry, a: r.uniform(5, 8), b: 3.2, th: ang + Math.PI / 2 },
      tissue: "cortical",
      label: LABEL.BONE,
    });
    L.push({
      shape: { cx: rx, cy: ry, a: r.uniform(3, 5), b: 1.6, th: ang + Math.PI / 2 },
      tissue: "marrow",
      label: LABEL.BONE,
    });
  }
  // sternum
  L.push({
    shape: { cx: bx + r.uniform(-3, 3), cy: by - mb + body.muscle * 0.55, a: 14, b: 5.5, th: 0 },
    tissue: "marrow",
    label: LABEL.BONE,
  });
  L.push({ shape: thorax, tissue: "lung", label: LABEL.LUNG });
  // pulmonary vessels: small bright-ish dots in the lungs
  const nVessels = r.int(12, 22);
  for (let i = 0; i < nVessels; i++) {
    const ang = r.uniform(0, 2 * Math.PI), rad = Math.sqrt(r.uniform(0.15, 0.92));
    const vr = r.uniform(1.5, 3.5);
    L.push({
      shape: {
        cx: bx + Math.cos(ang) * rad * ta,
        cy: tcy + Math.sin(ang) * rad * tb,
        a: vr * r.uniform(1, 2.2),
        b: vr,
        th: r.uniform(0, Math.PI),
      },
      and: [thorax],
      tissue: "blood",
      label: LABEL.VESSEL_BLOOD,
      gain: r.uniform(0.35, 0.7),
    });
  }
  // liver under the right hemidiaphragm: lower left of the image, larger toward the apex
  const lv = view === "sax" ? 0.7 + 0.5 * z : 0.8;
  const cavity = { ...thorax, a: thorax.a + 2, b: thorax.b + 2 };
  L.push({
    shape: {
      cx: bx - 40 - 15 * (1 - lv),
      cy: tcy + tb * 0.55,
      a: 100 * lv,
      b: 70 * lv,
      th: -0.3,
      harm: [2, 0.04, r.uniform(0, 6.3), 3, 0.03, r.uniform(0, 6.3)],
    },
    and: [cavity],
    tissue: "liver",
    label: LABEL.LIVER,
  });
  // hepatic vessels
  const nHep = r.int(4, 9);
  for (let i = 0; i < nHep; i++) {
    const ang = r.uniform(0, 2 * Math.PI), rad = Math.sqrt(r.uniform(0.05, 0.6));
    const vr = r.uniform(2, 5);
    L.push({
      shape: {
        cx: bx - 40 - 15 * (1 - lv) + Math.cos(ang) * rad * 100 * lv,
        cy: tcy + tb * 0.55 + Math.sin(ang) * rad * 70 * lv,
        a: vr * r.uniform(1, 2),
        b: vr,
        th: r.uniform(0, Math.PI),
      },
      and: [cavity],
      tissue: "blood",
      label: LABEL.VESSEL_BLOOD,
      gain: r.uniform(0.5, 0.8),
    });
  }
  // stomach below the apex (mid/apical SAX, and the LAX views): fluid with a gas cap
  const st = view === "sax" ? smooth01((z - 0.35) / 0.4) : 0.6;
  if (st > 0.05) {
    const scx = bx + 75, scy = tcy + tb * 0.62;
    const sa = 38 * st + 4, sb = 26 * st + 3;
    L.push({
      shape: { cx: scx, cy: scy, a: sa + 3, b: sb + 3, th: 0.4 },
      and: [cavity],
      tissue: "soft",
      label: LABEL.OTHER,
    });
    L.push({
      shape: { cx: scx, cy: scy, a: sa, b: sb, th: 0.4 },
      and: [cavity],
      tissue: "csf",
      label: LABEL.OTHER,
      gain: 0.9,
    });
    // gas floats anterior: an air-fluid level
    L.push({
      shape: { cx: scx, cy: scy, a: sa, b: sb, th: 0.4 },
      clip: [[0, 1, scy - sb * r.uniform(0.35, 0.6)]],
      tissue: "air",
      label: LABEL.BACKGROUND,
    });
  }
  // spine: paraspinal muscles, vertebral body (cortex + marrow), spinal canal
  const sy = tcy + tb - 4;
  L.push({
    shape: { cx: bx, cy: sy + 14, a: 48, b: 24, th: 0 },
    and: [{ cx: bx, cy: by, a: body.a - body.fat, b: body.b - body.fat * 0.8, th: 0 }],
    tissue: "muscle",
    label: LABEL.OTHER,
  });
  L.push({ shape: circle(bx, sy, 18), tissue: "cortical", label: LABEL.BONE });
  L.push({ shape: circle(bx, sy, 16), tissue: "marrow", label: LABEL.BONE });
  L.push({ shape: circle(bx, sy + 26, 7.5), tissue: "csf", label: LABEL.BONE });
  // descending aorta, left-anterior of the spine
  L.push({ shape: circle(bx + 26, sy - 16, 13.5), tissue: "soft", label: LABEL.OTHER });
  L.push({
    shape: circle(bx + 26, sy - 16, 11.5),
    tissue: "blood",
    label: LABEL.VESSEL_BLOOD,
    gain: 0.9,
  });
  // oesophagus: small soft-tissue blob between aorta and heart
  L.push({ shape: circle(bx + 6, sy - 28, 6), tissue: "soft", label: LABEL.OTHER });
  return L;
}
