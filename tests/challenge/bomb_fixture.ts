/**
 * A MAT v5 "lazy bomb" for the validate and score tests: one compressed (miCOMPRESSED)
 * single variable whose header declares large dims, made without ever building its data.
 * The zlib stream holds the header and a few zeros only, followed by junk that makes the
 * element long enough to be allowed to declare that many bytes: reading the header works,
 * inflating the data fails. So a reader that checks the dims before inflating reports the
 * dims, and one that inflates first reports a corrupt stream (after allocating the lot).
 */

import { zlibSync } from "fflate";
import { encodeMatV5 } from "../../src/mat/v5/write.ts";

const miINT8 = 1, miINT32 = 5, miUINT32 = 6, miSINGLE = 7, miMATRIX = 14, miCOMPRESSED = 15;
const mxSINGLE = 7;

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function tag(type: number, nbytes: number): Uint8Array {
  const t = new Uint8Array(8);
  const v = new DataView(t.buffer);
  v.setUint32(0, type, true);
  v.setUint32(4, nbytes, true);
  return t;
}

function element(type: number, data: Uint8Array): Uint8Array {
  const pad = (8 - (data.length % 8)) % 8;
  return concat([tag(type, data.length), data, new Uint8Array(pad)]);
}

/**
 * A MAT v5 file whose one variable `name` is a compressed real single array of `dims` that
 * cannot actually be inflated (see the module docs).
 */
export function lazyBomb(dims: number[], name = "img4ranking"): Uint8Array {
  const n = dims.reduce((a, b) => a * b, 1);
  const flags = new Uint8Array(8);
  new DataView(flags.buffer).setUint32(0, mxSINGLE, true);
  const d = new Uint8Array(4 * dims.length);
  dims.forEach((x, i) => new DataView(d.buffer).setInt32(4 * i, x, true));
  const head = concat([
    element(miUINT32, flags),
    element(miINT32, d),
    element(miINT8, new TextEncoder().encode(name)),
  ]);
  const body = concat([tag(miMATRIX, head.length + 8 + 4 * n), head, tag(miSINGLE, 4 * n)]);
  const z = zlibSync(concat([body, new Uint8Array(4096)]));
  // Deflate shrinks at most about 1032:1; make the element long enough for what it declares.
  const junk = new Uint8Array(Math.ceil((8 + body.length + 4 * n) / 1000)).fill(0xa5);
  const comp = concat([z, junk]);
  return concat([encodeMatV5([], { date: new Date(0) }), tag(miCOMPRESSED, comp.length), comp]);
}
