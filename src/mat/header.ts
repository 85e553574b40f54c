/**
 * Recognising MATLAB files by their first bytes, and the 512-byte header (userblock) that
 * MATLAB puts in front of the HDF5 data of a v7.3 file.
 *
 * @module
 */

import { MatFormatError } from "../errors.ts";
import { assertRegularFile } from "../fsutil.ts";
import { outputDate } from "../reproducible.ts";

/** The container formats cmrxkit can tell apart. */
export type MatFormat = "v5" | "v7.3" | "hdf5";

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

function hasHdf5SignatureAt(bytes: Uint8Array, offset: number): boolean {
  if (bytes.length < offset + 8) return false;
  return HDF5_SIGNATURE.every((b, i) => bytes[offset + i] === b);
}

/**
 * Tells a MAT v5 file, a MATLAB v7.3 file (HDF5 behind a 512-byte header) and a plain HDF5
 * file apart from the first 520 bytes (fewer are fine for v5).
 *
 * @param head the first bytes of the file (at least 128; 520 to see the HDF5 signature)
 * @param file the path, for the error message
 */
export function detectMatFormat(head: Uint8Array, file: string): MatFormat {
  if (hasHdf5SignatureAt(head, 0)) return "hdf5";
  if (head.length >= 128) {
    const text = new TextDecoder("latin1").decode(head.subarray(0, 116));
    const version = head[124] | (head[125] << 8);
    const endian = String.fromCharCode(head[126], head[127]);
    if (hasHdf5SignatureAt(head, 512)) return "v7.3";
    if (text.startsWith("MATLAB 7.3")) {
      throw new MatFormatError("MATLAB 7.3 header found but no HDF5 data behind it (truncated?)", {
        file,
        hint: "download or copy the file again; its size should be well over 512 bytes",
      });
    }
    if (
      (endian === "IM" && version === 0x0100) || (endian === "MI" && head[124] === 0x01) ||
      text.startsWith("MATLAB 5.0")
    ) {
      return "v5";
    }
  }
  throw new MatFormatError("not a MATLAB file (neither MAT v5 nor v7.3/HDF5)", {
    file,
    hint: "pass a .mat file saved by MATLAB, scipy.io.savemat, h5py or cmrxkit",
  });
}

/**
 * Reads the first `n` bytes of a file (fewer if the file is shorter). Anything but a
 * regular file (after links) is refused with a `CmrxError` naming it: a FIFO would block.
 *
 * @param opts `checked`: the caller has just made sure that `path` is a regular file
 */
export async function readHead(
  path: string,
  n = 520,
  opts: { checked?: boolean } = {},
): Promise<Uint8Array> {
  if (!opts.checked) await assertRegularFile(path, "MATLAB file");
  const f = await Deno.open(path, { read: true });
  try {
    const buf = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      const r = await f.read(buf.subarray(got));
      if (r === null) break;
      got += r;
    }
    return buf.subarray(0, got);
  } finally {
    f.close();
  }
}

/**
 * The 512-byte MATLAB v7.3 userblock: a text header padded with spaces to 116 bytes,
 * 8 zero bytes (subsystem offset), version 0x0200 and the endian mark "IM", then zeros.
 * The date defaults to `outputDate()` (`SOURCE_DATE_EPOCH`, else a fixed epoch), so two
 * writes give the same bytes.
 */
export function matV73Header(date: Date = outputDate()): Uint8Array {
  const out = new Uint8Array(512);
  const stamp = date.toUTCString().replace(/^\w+, /, "");
  const text = `MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: ${stamp} HDF5 schema 1.00 .`;
  out.fill(0x20, 0, 116);
  out.set(new TextEncoder().encode(text.slice(0, 116)), 0);
  out[124] = 0x00;
  out[125] = 0x02;
  out[126] = 0x49; // I
  out[127] = 0x4d; // M
  return out;
}
