/**
 * A PNG encoder (ISO/IEC 15948, W3C PNG 2nd edition) for the report's images: 8-bit
 * greyscale, RGB or RGBA, non-interlaced. Each scanline gets the filter (None, Sub, Up,
 * Average, Paeth) that minimises the sum of absolute filtered bytes (the heuristic the
 * specification suggests, §12.8); the filtered stream is zlib-compressed with fflate; chunk
 * CRCs are CRC-32 (ISO 3309 polynomial, reflected `0xEDB88320`) computed here.
 *
 * @module
 */

import { zlibSync } from "fflate";
import { ShapeError } from "../errors.ts";

/** Bytes per pixel of a PNG colour type cmrxkit writes. */
export type PngChannels = 1 | 3 | 4;

/** An 8-bit image: `data` is row-major (PNG order), `channels` bytes per pixel. */
export interface RasterImage {
  /** Pixels per row. */
  width: number;
  /** Rows. */
  height: number;
  /** 1 greyscale, 3 RGB, 4 RGBA. */
  channels: PngChannels;
  /** `height` rows of `width * channels` bytes, top row first. */
  data: Uint8Array;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/**
 * CRC-32 of `bytes` (the PNG / zlib / gzip CRC: reflected polynomial `0xEDB88320`, initial
 * value and final XOR `0xFFFFFFFF`). Pass a previous result as `crc` to continue it over
 * more bytes. The check value of ASCII `123456789` is `0xCBF43926`.
 */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = (crc ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const COLOUR_TYPE: Record<PngChannels, number> = { 1: 0, 3: 2, 4: 6 };
const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/**
 * Filters one scanline with filter `type` into `out` (without the type byte). `prev` is the
 * unfiltered previous scanline (zeros for the first), `bpp` bytes per pixel.
 */
function filterRow(
  type: number,
  row: Uint8Array,
  prev: Uint8Array,
  bpp: number,
  out: Uint8Array,
): number {
  let sum = 0;
  for (let i = 0; i < row.length; i++) {
    const a = i >= bpp ? row[i - bpp] : 0;
    const b = prev[i];
    const c = i >= bpp ? prev[i - bpp] : 0;
    const pred = type === 0
      ? 0
      : type === 1
      ? a
      : type === 2
      ? b
      : type === 3
      ? (a + b) >> 1
      : paeth(a, b, c);
    const v = (row[i] - pred) & 0xff;
    out[i] = v;
    sum += v < 128 ? v : 256 - v; // as a signed byte, the heuristic's measure
  }
  return sum;
}

function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(body, 8);
  view.setUint32(8 + body.length, crc32(out.subarray(4, 8 + body.length)));
  return out;
}

/** Options of {@link encodePng}. */
export interface PngOptions {
  /** zlib level 0..9 (default 6). */
  level?: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
  /** `tEXt` entries (Latin-1 keyword <= 79 characters, Latin-1 text), e.g. `Software`. */
  text?: Record<string, string>;
}

/**
 * Encodes an 8-bit image as PNG bytes.
 *
 * @param img row-major pixels, `channels` bytes each (greyscale, RGB or RGBA)
 * @param opts compression level and text chunks
 * @returns the PNG file
 * @throws {ShapeError} when the sizes do not match the data or a size is not a positive integer
 */
export function encodePng(img: RasterImage, opts: PngOptions = {}): Uint8Array {
  const { width, height, channels, data } = img;
  if (
    !Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 ||
    width > 0x7fffffff || height > 0x7fffffff
  ) {
    throw new ShapeError(`a PNG needs positive integer sizes, got ${width} x ${height}`);
  }
  if (!(channels in COLOUR_TYPE)) {
    throw new ShapeError(`a PNG here has 1, 3 or 4 channels, got ${channels}`);
  }
  const stride = width * channels;
  if (data.length !== stride * height) {
    throw new ShapeError(
      `a ${width} x ${height} image with ${channels} channel(s) has ${
        stride * height
      } bytes, got ${data.length}`,
    );
  }
  const raw = new Uint8Array((stride + 1) * height);
  const trial = new Uint8Array(stride);
  const best = new Uint8Array(stride);
  let prev = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const row = data.subarray(y * stride, (y + 1) * stride);
    let bestType = 0, bestSum = Infinity;
    for (let t = 0; t < 5; t++) {
      const s = filterRow(t, row, prev, channels, trial);
      if (s < bestSum) {
        bestSum = s;
        bestType = t;
        best.set(trial);
      }
    }
    raw[y * (stride + 1)] = bestType;
    raw.set(best, y * (stride + 1) + 1);
    prev = row as Uint8Array<ArrayBuffer>;
  }
  const ihdr = new Uint8Array(13);
  const hv = new DataView(ihdr.buffer);
  hv.setUint32(0, width);
  hv.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = COLOUR_TYPE[channels];
  // compression 0 (deflate), filter method 0 (adaptive), interlace 0: already zero
  const parts = [Uint8Array.from(SIGNATURE), chunk("IHDR", ihdr)];
  for (const [k, v] of Object.entries(opts.text ?? {})) {
    const latin1 = (t: string, newline: boolean) =>
      [...t].every((ch) => {
        const c = ch.charCodeAt(0);
        return (c >= 0x20 && c <= 0x7e) || (c >= 0xa1 && c <= 0xff) || (newline && c === 10);
      });
    if (k.length < 1 || k.length > 79 || !latin1(k, false) || !latin1(v, true)) {
      throw new ShapeError(`PNG text '${k}' must be Latin-1 (keyword 1-79 characters)`);
    }
    const body = new Uint8Array(k.length + 1 + v.length);
    for (let i = 0; i < k.length; i++) body[i] = k.charCodeAt(i);
    for (let i = 0; i < v.length; i++) body[k.length + 1 + i] = v.charCodeAt(i);
    parts.push(chunk("tEXt", body));
  }
  parts.push(chunk("IDAT", zlibSync(raw, { level: opts.level ?? 6 })));
  parts.push(chunk("IEND", new Uint8Array(0)));
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
