/**
 * An independent PNG reader for the tests (8-bit greyscale/RGB/RGBA, non-interlaced): checks
 * the signature, every chunk's CRC (bit-by-bit CRC-32, not the encoder's table), inflates
 * the IDAT stream with fflate and undoes all five scanline filters.
 *
 * @module
 */

import { unzlibSync } from "fflate";

/** Bitwise CRC-32 (reflected 0xEDB88320), slow and obviously right. */
export function crc32Bitwise(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** A decoded PNG. */
export interface DecodedPng {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array;
  /** Chunk types in file order. */
  chunks: string[];
  /** tEXt entries. */
  text: Record<string, string>;
  /** Filter type of each row. */
  filters: number[];
}

/** Decodes `bytes`; throws on anything malformed. */
export function decodePng(bytes: Uint8Array): DecodedPng {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  sig.forEach((b, i) => {
    if (bytes[i] !== b) throw new Error("bad PNG signature");
  });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let o = 8;
  const chunks: string[] = [];
  const text: Record<string, string> = {};
  const idat: Uint8Array[] = [];
  let width = 0, height = 0, channels = 0;
  while (o < bytes.length) {
    const len = view.getUint32(o);
    const type = String.fromCharCode(...bytes.subarray(o + 4, o + 8));
    const body = bytes.subarray(o + 8, o + 8 + len);
    const crc = view.getUint32(o + 8 + len);
    if (crc !== crc32Bitwise(bytes.subarray(o + 4, o + 8 + len))) {
      throw new Error(`bad CRC in ${type}`);
    }
    chunks.push(type);
    if (type === "IHDR") {
      width = view.getUint32(o + 8);
      height = view.getUint32(o + 12);
      const [depth, colour, comp, filt, inter] = body.subarray(8, 13);
      if (depth !== 8 || comp !== 0 || filt !== 0 || inter !== 0) {
        throw new Error("unsupported IHDR");
      }
      channels = ({ 0: 1, 2: 3, 6: 4 } as Record<number, number>)[colour];
      if (!channels) throw new Error(`colour type ${colour}`);
    } else if (type === "IDAT") idat.push(body);
    else if (type === "tEXt") {
      const z = body.indexOf(0);
      text[String.fromCharCode(...body.subarray(0, z))] = String.fromCharCode(
        ...body.subarray(z + 1),
      );
    } else if (type === "IEND") break;
    o += 12 + len;
  }
  const all = new Uint8Array(idat.reduce((s, b) => s + b.length, 0));
  let p = 0;
  for (const b of idat) {
    all.set(b, p);
    p += b.length;
  }
  const raw = unzlibSync(all);
  const stride = width * channels;
  if (raw.length !== (stride + 1) * height) throw new Error(`IDAT holds ${raw.length} bytes`);
  const data = new Uint8Array(stride * height);
  const filters: number[] = [];
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    filters.push(f);
    for (let i = 0; i < stride; i++) {
      const x = raw[y * (stride + 1) + 1 + i];
      const a = i >= channels ? data[y * stride + i - channels] : 0;
      const b = y > 0 ? data[(y - 1) * stride + i] : 0;
      const c = y > 0 && i >= channels ? data[(y - 1) * stride + i - channels] : 0;
      let pred: number;
      if (f === 0) pred = 0;
      else if (f === 1) pred = a;
      else if (f === 2) pred = b;
      else if (f === 3) pred = Math.floor((a + b) / 2);
      else if (f === 4) {
        const pp = a + b - c, pa = Math.abs(pp - a), pb = Math.abs(pp - b), pc = Math.abs(pp - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else throw new Error(`filter ${f}`);
      data[y * stride + i] = (x + pred) & 255;
    }
  }
  return { width, height, channels, data, chunks, text, filters };
}
