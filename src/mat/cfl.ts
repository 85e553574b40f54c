/**
 * BART's file format (`name.hdr` text with the dims, `name.cfl` raw complex64 little-endian,
 * column-major, dim 0 fastest): for comparing with BART on the same data. The memory order
 * is cmrxkit's, so k-space `(kx, ky, coil, frame)` is written as BART dims
 * `(x, y, 1, coil, 1, ..., time at dim 10)` without any copy.
 *
 * @module
 */

import { readFileSync, writeFileSync } from "node:fs";
import { MatFormatError } from "../errors.ts";
import { assertRegularFileSync } from "../fsutil.ts";

/** Writes `base.hdr` + `base.cfl`; `dims` are padded with 1s to BART's 16. */
export function writeCfl(base: string, data: Float32Array, dims: readonly number[]): void {
  const d = [...dims];
  while (d.length < 16) d.push(1);
  writeFileSync(`${base}.hdr`, `# Dimensions\n${d.join(" ")}\n`);
  writeFileSync(`${base}.cfl`, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

/** Reads `base.hdr` + `base.cfl`: BART dims and complex interleaved data (regular files only). */
export function readCfl(base: string): { dims: number[]; data: Float32Array } {
  assertRegularFileSync(`${base}.hdr`, "BART header");
  assertRegularFileSync(`${base}.cfl`, "BART data file");
  const hdr = readFileSync(`${base}.hdr`, "utf8").split("\n");
  const i = hdr.findIndex((l) => l.startsWith("# Dimensions"));
  if (i < 0 || !hdr[i + 1]) {
    throw new MatFormatError("no '# Dimensions' line", { file: `${base}.hdr` });
  }
  const dims = hdr[i + 1].trim().split(/\s+/).map(Number);
  const bytes = readFileSync(`${base}.cfl`);
  const data = new Float32Array(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  );
  return { dims, data };
}
