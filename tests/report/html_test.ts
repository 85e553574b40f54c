import assert from "node:assert/strict";
import { bestIndices, esc, figureGrid, page, table } from "../../src/report/html.ts";

Deno.test("bestIndices: max or min, ties all win, NaN ignored, one value is no comparison", () => {
  assert.deepEqual([...bestIndices([0.91, 0.95, 0.93], "max")], [1]);
  assert.deepEqual([...bestIndices([0.02, 0.01, 0.03], "min")], [1]);
  assert.deepEqual([...bestIndices([1, 2, 2], "max")].sort(), [1, 2]);
  assert.deepEqual([...bestIndices([NaN, 3, 5], "max")], [2]);
  assert.deepEqual([...bestIndices([NaN, 3, 5], "min")], [1]);
  // identical images give PSNR = Infinity: the best
  assert.deepEqual([...bestIndices([30, Infinity], "max")], [1]);
  assert.deepEqual([...bestIndices([NaN, 3], "max")], []);
  assert.deepEqual([...bestIndices([], "min")], []);
});

Deno.test("table: best cells highlighted, text escaped", () => {
  const html = table({
    corner: "group",
    head: [[{ text: "SSIM", span: 2 }], [{ text: "a<b" }, { text: "c" }]],
    rows: [{ label: "sax", cells: [{ text: "0.9", best: true }, { text: "0.8" }] }],
  });
  assert.match(html, /<td class="best">0\.9<\/td><td>0\.8<\/td>/);
  assert.match(html, /colspan="2">SSIM/);
  assert.match(html, /a&lt;b/);
  assert.equal(esc(`"'&<>`), "&quot;&#39;&amp;&lt;&gt;");
});

Deno.test("page: self-contained (no script, no external resource), sections linked", () => {
  const fig = figureGrid({
    title: "P001 sax",
    columns: ["truth", "run"],
    rows: [{
      label: "frame 1",
      cells: [{ src: "img/a.png", width: 10, height: 12, alt: "a" }, null],
    }],
  });
  const html = page({
    title: "t",
    subtitle: "s",
    sections: [{ id: "images", title: "Images", body: fig }],
  });
  assert.ok(!/<script|<link|@import|https?:/i.test(html));
  assert.match(html, /<a href="#images">Images<\/a>/);
  assert.match(html, /<img src="img\/a.png" width="10" height="12" alt="a">/);
});
