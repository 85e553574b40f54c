/**
 * Protobuf wire format, just what ONNX needs: a writer that appends fields and
 * concatenates once, and a reader that walks the fields of a message (the reader's helpers
 * are internal to src/engine/onnx/). Wire types: 0 varint, 1 fixed64, 2 length-delimited,
 * 5 fixed32; numbers are little-endian, negative varints 64-bit two's complement.
 *
 * @module
 */

const TEXT = new TextEncoder();

/**
 * Protobuf wire-format writer: appends fields to a list of chunks and concatenates once.
 * Wire types: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32.
 */
export class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private len = 0;
  private scratch: number[] = [];

  /** Moves pending small writes into a chunk. */
  private flushScratch(): void {
    if (this.scratch.length) {
      const b = Uint8Array.from(this.scratch);
      this.chunks.push(b);
      this.len += b.length;
      this.scratch = [];
    }
  }

  /** Appends bytes (not copied). */
  private pushBytes(b: Uint8Array): void {
    this.flushScratch();
    this.chunks.push(b);
    this.len += b.length;
  }

  /** Raw varint (no tag). Negative numbers are written as 64-bit two's complement. */
  rawVarint(v: number | bigint): this {
    let x = typeof v === "bigint" ? v : BigInt(Math.trunc(v));
    if (x < 0n) x = BigInt.asUintN(64, x);
    if (x < 0x80n) {
      this.scratch.push(Number(x));
      return this;
    }
    while (x >= 0x80n) {
      this.scratch.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.scratch.push(Number(x));
    return this;
  }

  /** Writes a field key. */
  private tag(field: number, wire: number): void {
    this.rawVarint((field << 3) | wire);
  }

  /** Varint field (int32, int64, uint64, bool, enum). */
  varint(field: number, v: number | bigint | boolean): this {
    this.tag(field, 0);
    return this.rawVarint(typeof v === "boolean" ? (v ? 1 : 0) : v);
  }

  /** Length-delimited bytes field. */
  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2);
    this.rawVarint(b.length);
    this.pushBytes(b);
    return this;
  }

  /** UTF-8 string field. */
  string(field: number, s: string): this {
    return this.bytes(field, TEXT.encode(s));
  }

  /** Embedded message field. */
  message(field: number, m: ProtoWriter): this {
    return this.bytes(field, m.finish());
  }

  /** fixed32 float field. */
  float(field: number, v: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    for (const x of b) this.scratch.push(x);
    return this;
  }

  /** fixed64 double field. */
  double(field: number, v: number): this {
    this.tag(field, 1);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    for (const x of b) this.scratch.push(x);
    return this;
  }

  /** The encoded message. */
  finish(): Uint8Array {
    this.flushScratch();
    if (this.chunks.length === 1) return this.chunks[0];
    const out = new Uint8Array(this.len);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    this.chunks = [out];
    return out;
  }
}

// ---------------------------------------------------------------------------------------
// Protobuf reader
// ---------------------------------------------------------------------------------------

/** One decoded protobuf field. */
export interface Field {
  field: number;
  wire: number;
  /** varint value (wire 0) */
  int: bigint;
  /** payload (wire 1, 2, 5) */
  bytes: Uint8Array;
}

/** Thrown (as a plain Error) on malformed protobuf; callers wrap it with the file name. */
export class ProtoError extends Error {}

/** Reads one varint at `pos.p`, advancing it. */
export function readVarint(buf: Uint8Array, pos: { p: number }): bigint {
  let result = 0n;
  let shift = 0n;
  // fast path for small values
  for (let i = 0; i < 10; i++) {
    if (pos.p >= buf.length) throw new ProtoError("truncated varint");
    const b = buf[pos.p++];
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return result;
    shift += 7n;
  }
  throw new ProtoError("varint longer than 10 bytes");
}

/** The fields of a message, in order (length-delimited payloads are views, not copies). */
export function* fields(buf: Uint8Array): Generator<Field> {
  const pos = { p: 0 };
  while (pos.p < buf.length) {
    const key = readVarint(buf, pos);
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (field === 0) throw new ProtoError("field number 0");
    switch (wire) {
      case 0:
        yield { field, wire, int: readVarint(buf, pos), bytes: EMPTY };
        break;
      case 1:
      case 5: {
        const n = wire === 1 ? 8 : 4;
        if (pos.p + n > buf.length) throw new ProtoError("truncated fixed field");
        yield { field, wire, int: 0n, bytes: buf.subarray(pos.p, pos.p + n) };
        pos.p += n;
        break;
      }
      case 2: {
        const n = Number(readVarint(buf, pos));
        if (n < 0 || pos.p + n > buf.length) throw new ProtoError("truncated length-delimited");
        yield { field, wire, int: 0n, bytes: buf.subarray(pos.p, pos.p + n) };
        pos.p += n;
        break;
      }
      default:
        throw new ProtoError(`unsupported wire type ${wire}`);
    }
  }
}

/** The empty payload of varint fields. */
export const EMPTY = new Uint8Array(0);
/** UTF-8 decoder for string fields. */
export const UTF8 = new TextDecoder();

/** A string field's value. */
export function str(f: Field): string {
  if (f.wire !== 2) throw new ProtoError(`field ${f.field}: expected a string`);
  return UTF8.decode(f.bytes);
}

/** A varint read as a signed 64-bit integer, as a JS number. */
export function int64(v: bigint): number {
  return Number(BigInt.asIntN(64, v));
}

/** Repeated integer field, packed (wire 2) or not (wire 0): appends to `out`. */
export function repeatedInts(f: Field, out: number[]): void {
  if (f.wire === 0) out.push(int64(f.int));
  else if (f.wire === 2) {
    const pos = { p: 0 };
    while (pos.p < f.bytes.length) out.push(int64(readVarint(f.bytes, pos)));
  } else throw new ProtoError(`field ${f.field}: expected integers`);
}

/** Repeated float field, packed (wire 2) or not (wire 5): appends to `out`. */
export function repeatedFloats(f: Field, out: number[]): void {
  const dv = new DataView(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength);
  if (f.wire === 5) out.push(dv.getFloat32(0, true));
  else if (f.wire === 2) {
    for (let o = 0; o + 4 <= f.bytes.length; o += 4) out.push(dv.getFloat32(o, true));
  } else throw new ProtoError(`field ${f.field}: expected floats`);
}

/** Repeated double field, packed (wire 2) or not (wire 1): appends to `out`. */
export function repeatedDoubles(f: Field, out: number[]): void {
  const dv = new DataView(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength);
  if (f.wire === 1) out.push(dv.getFloat64(0, true));
  else if (f.wire === 2) {
    for (let o = 0; o + 8 <= f.bytes.length; o += 8) out.push(dv.getFloat64(o, true));
  } else throw new ProtoError(`field ${f.field}: expected doubles`);
}
