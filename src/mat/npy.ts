/**
 * NumPy's `.npy` format, version 1.0, for float32 arrays: a 10-byte preamble (`\x93NUMPY`,
 * version 1.0, header length), a Python-dict header (`descr '<f4'`, C order, the shape)
 * padded with spaces to a multiple of 64 bytes and ended by a newline, then the raw
 * little-endian values. Arrays are row-major (C order: last dim fastest), dims outermost
 * first, as `numpy.load` returns them; no transposition.
 *
 * ```ts
 * await writeNpy("x.npy", new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
 * // python3 -c "import numpy; print(numpy.load('x.npy'))"  ->  [[1. 2. 3.] [4. 5. 6.]]
 * ```
 *
 * @module
 */

import { MatFormatError, ShapeError } from "../errors.ts";
import { writeAtomic } from "../output.ts";

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The header dict of a float32 C-order array of `dims`, as NumPy writes it. */
function headerDict(dims: readonly number[]): string {
  const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(", ")})`;
  return `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;
}

/**
 * Encodes a float32 array as `.npy` v1.0 bytes (`<f4`, C order).
 * @param data values, row-major (last dim fastest)
 * @param dims dims outermost first; their product must be `data.length`
 * @throws {ShapeError} when the dims do not match the data's length
 */
export function encodeNpy(data: Float32Array, dims: readonly number[]): Uint8Array {
  const n = dims.reduce((a, b) => a * b, 1);
  if (dims.some((d) => !Number.isInteger(d) || d < 0) || n !== data.length) {
    throw new ShapeError(`npy: dims [${dims.join(", ")}] do not hold ${data.length} values`);
  }
  let dict = headerDict(dims);
  // preamble (10 bytes) + dict + padding + '\n' is a multiple of 64
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  dict = dict.padEnd(total - 10 - 1, " ") + "\n";
  const hlen = dict.length;
  if (hlen > 0xffff) throw new ShapeError(`npy: too many dims (${dims.length}) for format 1.0`);
  const out = new Uint8Array(10 + hlen + 4 * n);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  out[8] = hlen & 0xff;
  out[9] = hlen >> 8;
  for (let i = 0; i < hlen; i++) out[10 + i] = dict.charCodeAt(i);
  if (LITTLE_ENDIAN) {
    // the bytes as they are: NaN payloads survive
    out.set(new Uint8Array(data.buffer, data.byteOffset, 4 * n), 10 + hlen);
  } else {
    const dv = new DataView(out.buffer, 10 + hlen, 4 * n);
    for (let i = 0; i < n; i++) dv.setFloat32(4 * i, data[i], true);
  }
  return out;
}

/**
 * Writes a float32 array as a `.npy` v1.0 file, atomically (temporary file, then rename).
 * @param dims dims outermost first (row-major data)
 */
export async function writeNpy(
  path: string,
  data: Float32Array,
  dims: readonly number[],
): Promise<void> {
  await writeAtomic(path, encodeNpy(data, dims));
}

/**
 * Decodes `.npy` bytes of a little-endian float32 C-order array (what {@link encodeNpy}
 * writes; versions 1.0 to 3.0).
 * @param file named in errors
 * @throws {MatFormatError} for another dtype, Fortran order, or bytes that are not `.npy`
 */
export function decodeNpy(
  bytes: Uint8Array,
  file = "",
): { data: Float32Array; dims: number[] } {
  const bad = (why: string) =>
    new MatFormatError(`not a float32 .npy file: ${why}`, {
      file,
      hint: "write it with numpy.save(path, array.astype('<f4'))",
    });
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw bad("no \\x93NUMPY magic");
  const major = bytes[6];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [hlen, at] = major === 1 ? [dv.getUint16(8, true), 10] : [dv.getUint32(8, true), 12];
  if (at + hlen > bytes.length) throw bad("truncated header");
  const dict = new TextDecoder("latin1").decode(bytes.subarray(at, at + hlen));
  if (!/'descr':\s*'<f4'/.test(dict)) throw bad(`dtype in ${dict.trim()}`);
  if (!/'fortran_order':\s*False/.test(dict)) throw bad("Fortran order");
  const shape = dict.match(/'shape':\s*\(([^)]*)\)/);
  if (!shape) throw bad("no shape");
  const dims = shape[1].split(",").map((s) => s.trim()).filter(Boolean).map(Number);
  const n = dims.reduce((a, b) => a * b, 1);
  const start = at + hlen;
  if (bytes.length - start !== 4 * n) {
    throw bad(`${bytes.length - start} data bytes for shape (${dims.join(", ")})`);
  }
  const data = new Float32Array(n);
  if (LITTLE_ENDIAN) new Uint8Array(data.buffer).set(bytes.subarray(start, start + 4 * n));
  else {
    const body = new DataView(bytes.buffer, bytes.byteOffset + start, 4 * n);
    for (let i = 0; i < n; i++) data[i] = body.getFloat32(4 * i, true);
  }
  return { data, dims };
}

/** Reads a float32 `.npy` file ({@link decodeNpy}). */
export async function readNpy(path: string): Promise<{ data: Float32Array; dims: number[] }> {
  return decodeNpy(await Deno.readFile(path), path);
}
