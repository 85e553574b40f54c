import assert from "node:assert/strict";
import * as zlib from "node:zlib";
import { gzipSync, zlibSync } from "fflate";
import {
  adler32,
  boundedInflate,
  crc32,
  InflateError,
  inflatePrefix,
  MAX_COMPRESSION_RATIO,
} from "../src/inflate.ts";

const data = new Uint8Array(100_000).map((_, i) => (i * 7919) % 251);

function fails(f: () => unknown, reason: InflateError["reason"], re: RegExp) {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof InflateError, `expected InflateError, got ${e}`);
    assert.equal(e.reason, reason, e.message);
    assert.match(e.message, re);
    return true;
  });
}

Deno.test("crc32 and adler32 give the published check values", () => {
  const nine = new TextEncoder().encode("123456789");
  assert.equal(crc32(nine), 0xcbf43926);
  assert.equal(crc32(nine.subarray(4), crc32(nine.subarray(0, 4))), 0xcbf43926);
  assert.equal(adler32(nine), 0x091e01de);
  assert.equal(adler32(new Uint8Array(0)), 1);
  assert.ok(MAX_COMPRESSION_RATIO > 1032);
});

Deno.test("boundedInflate: zlib and gzip round trips, exact and with room to spare", () => {
  for (const format of ["zlib", "gzip"] as const) {
    const packed = format === "zlib" ? zlibSync(data) : gzipSync(data);
    assert.deepEqual(boundedInflate(packed, data.length, format), data);
    assert.deepEqual(boundedInflate(packed, data.length + 9999, format), data);
    assert.deepEqual(boundedInflate(packed, 2 * data.length, format, { expected: 10 }), data);
    const empty = format === "zlib" ? zlibSync(new Uint8Array(0)) : gzipSync(new Uint8Array(0));
    assert.deepEqual(boundedInflate(empty, 0, format), new Uint8Array(0));
  }
});

Deno.test("boundedInflate: never more than maxOut bytes, even from a bomb", () => {
  for (const format of ["zlib", "gzip"] as const) {
    const packed = format === "zlib" ? zlibSync(data) : gzipSync(data);
    fails(() => boundedInflate(packed, data.length - 1, format), "overflow", /more than/);
  }
  // 1 GiB of zeros in about 1 MB: 1024 copies of 1 MiB deflated to a byte boundary (sync
  // flush, not final), then an empty final block; refused after 1 MiB, the rest never inflated
  const mib = zlib.deflateRawSync(new Uint8Array(2 ** 20), {
    finishFlush: zlib.constants.Z_SYNC_FLUSH,
  });
  const zeros = new Uint8Array(2 + 1024 * mib.length + 2 + 4);
  zeros.set([0x78, 0x9c]);
  for (let i = 0; i < 1024; i++) zeros.set(mib, 2 + i * mib.length);
  zeros.set([3, 0], 2 + 1024 * mib.length);
  const t0 = performance.now();
  fails(() => boundedInflate(zeros, 2 ** 20, "zlib"), "overflow", /more than 1048576 bytes/);
  assert.ok(performance.now() - t0 < 1000, "the whole bomb was inflated");
});

Deno.test("boundedInflate: a changed data byte that still inflates fails the checksum", () => {
  // level 0: stored blocks, so every data byte can change and the stream still inflates
  for (const format of ["zlib", "gzip"] as const) {
    const packed = format === "zlib" ? zlibSync(data, { level: 0 }) : gzipSync(data, { level: 0 });
    const bad = packed.slice();
    bad[packed.length - 100] ^= 0x20;
    fails(
      () => boundedInflate(bad, data.length, format),
      "checksum",
      format === "zlib" ? /Adler-32/ : /CRC-32/,
    );
  }
  // gzip: a wrong length trailer (ISIZE) with the right CRC
  const gz = gzipSync(data);
  const isize = gz.slice();
  isize[isize.length - 4] ^= 1;
  fails(() => boundedInflate(isize, 2 * data.length, "gzip"), "checksum", /length/);
});

Deno.test("boundedInflate: truncated and garbage streams are corrupt", () => {
  for (const format of ["zlib", "gzip"] as const) {
    const packed = format === "zlib" ? zlibSync(data) : gzipSync(data);
    for (const cut of [1, 3, 20, packed.length >> 1, packed.length - 12, packed.length - 1]) {
      assert.throws(() => boundedInflate(packed.subarray(0, cut), data.length, format), (e) => {
        assert.ok(e instanceof InflateError, String(e));
        assert.notEqual(e.reason, "overflow");
        return true;
      });
    }
    fails(
      () => boundedInflate(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), 99, format),
      "corrupt",
      /./,
    );
  }
});

Deno.test("boundedInflate: zlib padding only when allowed; gzip members are each checked", () => {
  const z = zlibSync(data);
  const padded = new Uint8Array(z.length + 5);
  padded.set(z);
  assert.deepEqual(boundedInflate(padded, data.length, "zlib", { padding: 7 }), data);
  fails(() => boundedInflate(padded, data.length, "zlib"), "checksum", /Adler-32/);
  // two gzip members (as `cat a.gz b.gz` makes): both inflate, and a flip in the first is caught
  const a = gzipSync(data.subarray(0, 40_000), { level: 0 });
  const b = gzipSync(data.subarray(40_000), { level: 0 });
  const two = new Uint8Array(a.length + b.length);
  two.set(a);
  two.set(b, a.length);
  assert.deepEqual(boundedInflate(two, data.length, "gzip"), data);
  const bad = two.slice();
  bad[a.length - 100] ^= 1;
  fails(() => boundedInflate(bad, data.length, "gzip"), "checksum", /CRC-32/);
  fails(() => boundedInflate(two, data.length - 1, "gzip"), "overflow", /more than/);
});

Deno.test("inflatePrefix: the first bytes only, and whether the stream ended", () => {
  for (const format of ["zlib", "gzip"] as const) {
    const packed = format === "zlib" ? zlibSync(data) : gzipSync(data);
    const head = inflatePrefix(packed, 1000, format);
    assert.ok(head.out.length >= 1000 && head.out.length < data.length, `${head.out.length}`);
    assert.deepEqual(head.out, data.subarray(0, head.out.length));
    assert.equal(head.complete, false);
    const small = format === "zlib"
      ? zlibSync(data.subarray(0, 10))
      : gzipSync(data.subarray(0, 10));
    assert.deepEqual(inflatePrefix(small, 1000, format), {
      out: data.subarray(0, 10),
      complete: true,
    });
  }
});
