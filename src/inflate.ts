/**
 * Inflating untrusted zlib (RFC 1950) and gzip (RFC 1952) data in bounded memory: a
 * compressed stream is inflated in steps, never to more than the caller's limit (a 1 MB
 * file that inflates to 1 GiB is refused after the limit, not held), and its checksum is
 * verified (Adler-32 for zlib; CRC-32 and the length for every gzip member), so a changed
 * byte that still inflates is refused instead of read as other data.
 *
 * The deflate decoding itself is fflate's (`Unzlib`, `Gunzip`); fflate checks neither
 * checksum, which is why this module exists.
 *
 * @module
 */

import { errorMessage } from "./errors.ts";
import { Gunzip, Unzlib } from "fflate";

/**
 * Deflate shrinks data at most about 1032 to 1: stored data declaring more bytes than its
 * compressed size times this has no data behind it (a generous bound for any filter
 * cmrxkit reads).
 */
export const MAX_COMPRESSION_RATIO = 1100;

/** The compressed formats {@link boundedInflate} reads. */
export type InflateFormat = "zlib" | "gzip";

/** Why {@link boundedInflate} refused a stream. */
export type InflateFailure =
  /** the stream gives more bytes than the limit */
  | "overflow"
  /** not a stream of this format, truncated, or corrupt deflate data */
  | "corrupt"
  /** the data inflate, but differ from what was written (checksum or length trailer) */
  | "checksum";

/**
 * A compressed stream that cannot be inflated within its limit or fails its checksum.
 * It names no file: callers turn it into a `CmrxError` naming theirs.
 */
export class InflateError extends Error {
  /**
   * @param reason the kind of failure
   * @param detail what is wrong, without a subject ("fails its CRC-32 check: ..."), for
   *   callers' own messages ("compressed variable fails its ...")
   */
  constructor(
    readonly reason: InflateFailure,
    format: InflateFormat,
    readonly detail: string,
    opts?: { cause?: unknown },
  ) {
    super(`the ${format} stream ${detail}`, opts);
    this.name = "InflateError";
  }
}

/** Compressed bytes pushed to the inflater at a time (bounds each output chunk to ~16 MiB). */
const STEP = 16 * 1024;

/** Adler-32 (RFC 1950) of `buf`, continuing from `adler` (1 for a new stream). */
export function adler32(buf: Uint8Array, adler = 1): number {
  let a = adler & 0xffff;
  let b = adler >>> 16;
  for (let i = 0; i < buf.length;) {
    const end = Math.min(i + 5552, buf.length); // largest run without 32-bit overflow
    for (; i < end; i++) {
      a += buf[i];
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (ISO 3309, as gzip and PNG use it) of `buf`, continuing from `crc` (0 to start). */
export function crc32(buf: Uint8Array, crc = 0): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  const t = crcTable;
  let c = ~crc;
  for (let i = 0; i < buf.length; i++) c = t[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** An output buffer that grows up to `max` bytes and refuses more. */
class Sink {
  buf: Uint8Array;
  n = 0;
  constructor(readonly max: number, readonly format: InflateFormat, expected?: number) {
    this.buf = new Uint8Array(Math.min(max, Math.max(0, expected ?? 64 * 1024)));
  }
  add(chunk: Uint8Array): void {
    const need = this.n + chunk.length;
    if (need > this.max) {
      throw new InflateError("overflow", this.format, `inflates to more than ${this.max} bytes`);
    }
    if (need > this.buf.length) {
      const grown = new Uint8Array(Math.min(this.max, Math.max(need, 2 * this.buf.length)));
      grown.set(this.buf.subarray(0, this.n));
      this.buf = grown;
    }
    this.buf.set(chunk, this.n);
    this.n = need;
  }
  result(): Uint8Array {
    return this.n === this.buf.length ? this.buf : this.buf.subarray(0, this.n);
  }
}

/** Pushes `bytes` to `z` in steps; fflate's errors become "corrupt" InflateErrors. */
function pushAll(
  z: { push(chunk: Uint8Array, final?: boolean): void },
  bytes: Uint8Array,
  format: InflateFormat,
  until: () => boolean = () => false,
  step = STEP,
): void {
  try {
    if (bytes.length === 0) z.push(bytes, true);
    for (let p = 0; p < bytes.length && !until(); p += step) {
      const q = Math.min(p + step, bytes.length);
      z.push(bytes.subarray(p, q), q === bytes.length);
    }
  } catch (e) {
    if (e instanceof InflateError) throw e;
    throw new InflateError("corrupt", format, `cannot be inflated (${errorMessage(e)})`, {
      cause: e,
    });
  }
}

function u32be(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

function u32le(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

/**
 * Inflates a whole zlib or gzip stream into at most `maxOut` bytes and verifies it: the
 * zlib Adler-32 trailer, or each gzip member's CRC-32 and length (ISIZE) trailer (members
 * of a concatenated gzip file are all read). The stream is inflated in steps, so a bomb
 * costs at most `maxOut` bytes plus one step's output (about 16 MiB) before it is refused.
 *
 * @param bytes the compressed stream
 * @param maxOut the most bytes it may inflate to
 * @param format `zlib` (2-byte header, deflate, Adler-32) or `gzip`
 * @param opts `expected`: the size the caller expects (the output buffer is allocated at
 *   once at this size); `padding`: zero bytes that may follow a zlib trailer (MAT v5
 *   writers pad compressed elements to 8 bytes), default 0
 * @returns the inflated bytes
 * @throws {InflateError} `overflow` past `maxOut`; `corrupt` for a stream that cannot be
 *   inflated (truncated, wrong header, bad deflate data); `checksum` when the data inflate
 *   but the checksum or length trailer does not match
 */
export function boundedInflate(
  bytes: Uint8Array,
  maxOut: number,
  format: InflateFormat,
  opts: { expected?: number; padding?: number } = {},
): Uint8Array {
  const sink = new Sink(maxOut, format, opts.expected);
  if (format === "zlib") {
    let sum = 1;
    pushAll(
      new Unzlib((chunk) => {
        sink.add(chunk);
        sum = adler32(chunk, sum);
      }),
      bytes,
      format,
    );
    if (!zlibTrailerMatches(bytes, sum, opts.padding ?? 0)) {
      throw new InflateError(
        "checksum",
        format,
        "fails its Adler-32 checksum: the inflated data differ from what was written",
      );
    }
    return sink.result();
  }
  let crc = 0;
  let size = 0;
  let member = 1;
  const check = (end: number) => {
    // the member's trailer: CRC-32 and ISIZE (length mod 2^32), little-endian, before `end`
    if (end - 8 < 0 || crc !== u32le(bytes, end - 8)) {
      throw new InflateError(
        "checksum",
        format,
        `fails its CRC-32 check${member > 1 ? ` (member ${member})` : ""}: the inflated ` +
          "data differ from what was written, or the file is truncated",
      );
    }
    if (size % 2 ** 32 !== u32le(bytes, end - 4)) {
      throw new InflateError(
        "checksum",
        format,
        `inflates to ${size} bytes, but its length trailer says ${u32le(bytes, end - 4)}`,
      );
    }
  };
  const z = new Gunzip((chunk) => {
    sink.add(chunk);
    crc = crc32(chunk, crc);
    size += chunk.length;
  });
  z.onmember = (offset: number) => {
    check(offset);
    crc = 0;
    size = 0;
    member++;
  };
  pushAll(z, bytes, format);
  check(bytes.length);
  return sink.result();
}

/** The zlib trailer's Adler-32 matches `sum`; up to `padding` zero bytes may follow it. */
function zlibTrailerMatches(comp: Uint8Array, sum: number, padding: number): boolean {
  for (let pad = 0; pad <= padding && comp.length - pad >= 6; pad++) {
    if (pad > 0 && comp[comp.length - pad] !== 0) break;
    if (u32be(comp, comp.length - pad - 4) === sum) return true;
  }
  return false;
}

/**
 * Inflates the start of a zlib or gzip stream: at least `want` bytes unless the stream is
 * shorter (then `complete`), at most about `want` plus one small step's output. Nothing is
 * verified (the checksum needs the whole stream): use it to read a header, then
 * {@link boundedInflate} the whole stream.
 *
 * @throws {InflateError} `corrupt` when the start cannot be inflated
 */
export function inflatePrefix(
  bytes: Uint8Array,
  want: number,
  format: InflateFormat,
): { out: Uint8Array; complete: boolean } {
  const chunks: Uint8Array[] = [];
  let got = 0;
  let complete = false;
  const onData = (chunk: Uint8Array, final: boolean) => {
    chunks.push(chunk.slice());
    got += chunk.length;
    if (final) complete = true;
  };
  const z = format === "zlib" ? new Unzlib(onData) : new Gunzip(onData);
  pushAll(z, bytes, format, () => got >= want || complete, 512);
  const out = new Uint8Array(got);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return { out, complete };
}
