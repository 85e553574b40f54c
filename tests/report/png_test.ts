import assert from "node:assert/strict";
import { ShapeError } from "../../src/errors.ts";
import { crc32, encodePng, type RasterImage } from "../../src/report/png.ts";
import { Rng } from "../../src/synth/random.ts";
import { crc32Bitwise, decodePng } from "./png_decode.ts";

Deno.test("crc32: the standard check value and the bitwise definition", () => {
  assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
  const rng = new Rng(3);
  const bytes = Uint8Array.from({ length: 1000 }, () => rng.int(0, 256));
  assert.equal(crc32(bytes), crc32Bitwise(bytes));
  // Continuing a CRC over a second part equals the CRC of the whole.
  assert.equal(crc32(bytes.subarray(400), crc32(bytes.subarray(0, 400))), crc32(bytes));
});

/** Test images whose rows favour different filters: noise, ramps, flat areas, edges. */
function images(): RasterImage[] {
  const rng = new Rng(11);
  const out: RasterImage[] = [];
  for (const channels of [1, 3, 4] as const) {
    const width = 37, height = 23;
    const data = new Uint8Array(width * height * channels);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        for (let c = 0; c < channels; c++) {
          const kind = y % 4;
          data[(y * width + x) * channels + c] = kind === 0
            ? rng.int(0, 256)
            : kind === 1
            ? (x * 7 + c * 40) & 255
            : kind === 2
            ? (y * 11 + c) & 255
            : x > width / 2
            ? 250
            : 3;
        }
      }
    }
    out.push({ width, height, channels, data });
  }
  out.push({ width: 1, height: 1, channels: 1, data: Uint8Array.of(77) });
  return out;
}

Deno.test("encodePng -> independent decoder: same pixels, valid CRCs, filters exercised", () => {
  const used = new Set<number>();
  for (const img of images()) {
    const png = encodePng(img, { text: { Software: "cmrxkit test" } });
    const d = decodePng(png);
    assert.equal(d.width, img.width);
    assert.equal(d.height, img.height);
    assert.equal(d.channels, img.channels);
    assert.deepEqual(d.data, img.data);
    assert.deepEqual(d.chunks, ["IHDR", "tEXt", "IDAT", "IEND"]);
    assert.equal(d.text.Software, "cmrxkit test");
    d.filters.forEach((f) => used.add(f));
  }
  // Noise rows pick None/Sub, ramps Sub/Up/Average, ...: more than one filter is chosen.
  assert.ok(used.size >= 3, `filters used: ${[...used]}`);
});

Deno.test("encodePng: a smooth image compresses well (adaptive filters + deflate)", () => {
  const width = 256, height = 256;
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data[y * width + x] = (x + y) >> 1;
  }
  const png = encodePng({ width, height, channels: 1, data });
  assert.ok(png.length < data.length / 20, `${png.length} bytes for ${data.length} pixels`);
});

Deno.test("encodePng: wrong sizes and bad text are typed errors", () => {
  assert.throws(
    () => encodePng({ width: 4, height: 4, channels: 3, data: new Uint8Array(47) }),
    ShapeError,
  );
  assert.throws(
    () => encodePng({ width: 0, height: 4, channels: 1, data: new Uint8Array(0) }),
    ShapeError,
  );
  assert.throws(
    () =>
      encodePng({ width: 1, height: 1, channels: 1, data: new Uint8Array(1) }, {
        text: { "k": "\u0100" },
      }),
    ShapeError,
  );
});

const hasPil = () =>
  new Deno.Command("/usr/bin/python3", { args: ["-c", "import PIL.Image"], stderr: "null" })
    .output().then((r) => r.success, () => false);

Deno.test({
  name: "encodePng: Pillow reads the same pixels (when /usr/bin/python3 has PIL)",
  ignore: !(await hasPil()),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "cmrxkit-png-" });
    const imgs = images();
    for (const [i, img] of imgs.entries()) await Deno.writeFile(`${dir}/${i}.png`, encodePng(img));
    const script = "import sys,json,PIL.Image as I\n" +
      "out=[]\n" +
      "for p in sys.argv[1:]:\n" +
      " im=I.open(p); im.load(); out.append([im.mode,im.size,list(im.tobytes())])\n" +
      "print(json.dumps(out))";
    const r = await new Deno.Command("/usr/bin/python3", {
      args: ["-c", script, ...imgs.map((_, i) => `${dir}/${i}.png`)],
    }).output();
    assert.ok(r.success, new TextDecoder().decode(r.stderr));
    const got = JSON.parse(new TextDecoder().decode(r.stdout));
    for (const [i, img] of imgs.entries()) {
      const [mode, size, bytes] = got[i];
      assert.equal(mode, { 1: "L", 3: "RGB", 4: "RGBA" }[img.channels]);
      assert.deepEqual(size, [img.width, img.height]);
      assert.deepEqual(bytes, [...img.data]);
    }
    await Deno.remove(dir, { recursive: true });
  },
});
