import assert from "node:assert/strict";
import {
  applyColormap,
  colorbar,
  colormapFromAnchors,
  ERROR_ANCHORS,
  ERROR_MAP,
  GREY_MAP,
  labToSrgb,
  RELAX_ANCHORS,
  RELAX_MAP,
  srgbToLab,
} from "../../src/report/colormap.ts";

const hex = (m: { rgb: Uint8Array }, i: number) =>
  "#" + [0, 1, 2].map((c) => m.rgb[3 * i + c].toString(16).padStart(2, "0")).join("");

Deno.test("colour maps start and end at their anchors", () => {
  assert.equal(hex(RELAX_MAP, 0), RELAX_ANCHORS[0]);
  assert.equal(hex(RELAX_MAP, 255), RELAX_ANCHORS[8]);
  assert.equal(hex(ERROR_MAP, 0), ERROR_ANCHORS[0]);
  assert.equal(hex(ERROR_MAP, 255), ERROR_ANCHORS[8]);
  assert.equal(hex(GREY_MAP, 0), "#000000");
  assert.equal(hex(GREY_MAP, 128), "#808080");
  assert.equal(hex(GREY_MAP, 255), "#ffffff");
});

Deno.test("CIELAB round trip and the sRGB white point", () => {
  const [L, a, b] = srgbToLab(1, 1, 1);
  assert.ok(Math.abs(L - 100) < 0.01 && Math.abs(a) < 0.01 && Math.abs(b) < 0.01);
  const colours: [number, number, number][] = [[0.2, 0.5, 0.8], [0.9, 0.1, 0.3], [
    0.02,
    0.02,
    0.02,
  ]];
  for (const c of colours) {
    const back = labToSrgb(...srgbToLab(...c));
    back.forEach((v, i) => assert.ok(Math.abs(v - c[i]) < 1e-3, `${back} vs ${c}`));
  }
});

Deno.test("perceptual maps: lightness rises with value, in near-even steps", () => {
  for (const m of [RELAX_MAP, ERROR_MAP]) {
    const lab = Array.from(
      { length: 256 },
      (_, i) => srgbToLab(m.rgb[3 * i] / 255, m.rgb[3 * i + 1] / 255, m.rgb[3 * i + 2] / 255),
    );
    const steps: number[] = [];
    for (let i = 1; i < 256; i++) {
      // 8-bit rounding can wobble L* by a few hundredths; the trend is strictly upwards.
      assert.ok(lab[i][0] >= lab[i - 1][0] - 0.3, `${m.name} L* drops at level ${i}`);
      steps.push(Math.hypot(...lab[i].map((v, c) => v - lab[i - 1][c])));
    }
    assert.ok(lab[255][0] - lab[0][0] > 60, `${m.name} spans ${lab[255][0] - lab[0][0]} L*`);
    // Colour difference per level (CIE76, over 4-level spans to average out the rounding).
    const span: number[] = [];
    for (let i = 0; i + 4 < 256; i += 4) {
      span.push(Math.hypot(...lab[i + 4].map((v, c) => v - lab[i][c])));
    }
    const ratio = Math.max(...span) / Math.min(...span);
    assert.ok(ratio < 3, `${m.name}: uneven steps, max/min ${ratio.toFixed(2)}`);
  }
  // A map that is not monotone in lightness is caught by the same measure.
  const bad = colormapFromAnchors("bad", ["#000000", "#ffffff", "#000000"]);
  const Lmid =
    srgbToLab(bad.rgb[3 * 128] / 255, bad.rgb[3 * 128 + 1] / 255, bad.rgb[3 * 128 + 2] / 255)[0];
  const Lend = srgbToLab(bad.rgb[765] / 255, bad.rgb[766] / 255, bad.rgb[767] / 255)[0];
  assert.ok(Lend < Lmid);
});

Deno.test("applyColormap: MATLAB (x, y) drawn x down the rows; window clipped; NaN dark", () => {
  const nx = 3, ny = 2;
  // values[x + nx * y]
  const v = Float32Array.of(0, 1, 2, 3, 4, NaN);
  const g = applyColormap(v, nx, ny, 0, 4, GREY_MAP);
  assert.equal(g.channels, 1);
  assert.equal(g.width, 2);
  assert.equal(g.height, 3);
  // row x, column y
  const at = (x: number, y: number) => g.data[x * ny + y];
  assert.equal(at(0, 0), 0);
  assert.equal(at(1, 0), Math.round(255 / 4));
  assert.equal(at(0, 1), Math.round((3 * 255) / 4));
  assert.equal(at(1, 1), 255);
  assert.equal(at(2, 1), 0); // NaN
  const c = applyColormap(Float32Array.of(-5, 99), 1, 2, 0, 1, RELAX_MAP);
  assert.equal(c.channels, 3);
  assert.deepEqual([...c.data.subarray(0, 3)], [...RELAX_MAP.rgb.subarray(0, 3)]);
  assert.deepEqual([...c.data.subarray(3, 6)], [...RELAX_MAP.rgb.subarray(765, 768)]);
});

Deno.test("colorbar: low values left, high right", () => {
  const b = colorbar(ERROR_MAP, 64, 4);
  assert.equal(b.width, 64);
  assert.deepEqual([...b.data.subarray(0, 3)], [...ERROR_MAP.rgb.subarray(0, 3)]);
  const last = 3 * 63;
  assert.deepEqual([...b.data.subarray(last, last + 3)], [...ERROR_MAP.rgb.subarray(765, 768)]);
});
