/**
 * A minimal NIfTI reader for segmentation labels: NIfTI-1 (`n+1`) and NIfTI-2 (`n+2`)
 * single files, plain or gzip-compressed (`.nii`, `.nii.gz`), either byte order, the
 * integer and float data types. The official CMRxRecon segmentations (`SegmentROI/Pxxx/
 * T1map_label.nii.gz`, label values 0 background, 1 LV blood pool, 2 myocardium, 3 RV) are
 * such files.
 *
 * Layout facts from the NIfTI-1 and NIfTI-2 header definitions (`nifti1.h`, `nifti2.h`):
 * NIfTI-1 is a 348-byte header (`sizeof_hdr` 348) with `dim` int16[8] at byte 40,
 * `datatype` int16 at 70, `bitpix` at 72, `vox_offset` float32 at 108, `scl_slope` /
 * `scl_inter` float32 at 112 / 116, magic at 344; NIfTI-2 is 540 bytes with magic at 4,
 * `datatype` at 12, `bitpix` at 14, `dim` int64[8] at 16, `vox_offset` int64 at 168,
 * `scl_slope` / `scl_inter` float64 at 176 / 184. Voxels are stored with the first index
 * fastest: the same memory order as a MATLAB array with dims `dim[1..dim[0]]`.
 *
 * @module
 */

import { Gunzip } from "fflate";
import { CmrxError } from "../errors.ts";
import { assertNotSpecial } from "../fsutil.ts";

/** A NIfTI volume: dims as the header gives them (`dim[1..dim[0]]`), values column-major. */
export interface NiftiVolume {
  dims: number[];
  /** Voxel values after the header's `scl_slope` / `scl_inter` scaling (when set). */
  data: Float32Array;
  /** NIfTI `datatype` code (2 uint8, 4 int16, 8 int32, 16 float32, 64 float64, ...). */
  datatype: number;
}

const TYPES: Record<
  number,
  { bytes: number; get: (v: DataView, o: number, le: boolean) => number }
> = {
  2: { bytes: 1, get: (v, o) => v.getUint8(o) },
  4: { bytes: 2, get: (v, o, le) => v.getInt16(o, le) },
  8: { bytes: 4, get: (v, o, le) => v.getInt32(o, le) },
  16: { bytes: 4, get: (v, o, le) => v.getFloat32(o, le) },
  64: { bytes: 8, get: (v, o, le) => v.getFloat64(o, le) },
  256: { bytes: 1, get: (v, o) => v.getInt8(o) },
  512: { bytes: 2, get: (v, o, le) => v.getUint16(o, le) },
  768: { bytes: 4, get: (v, o, le) => v.getUint32(o, le) },
};

/** The most voxels a label volume may declare (CMRxRecon label volumes hold a few million). */
export const MAX_NIFTI_VOXELS = 2 ** 28;
/** Deflate shrinks data at most about 1032 to 1. */
const MAX_COMPRESSION_RATIO = 1100;
/** Compressed bytes pushed to the inflater at a time (bounds each output chunk). */
const INFLATE_STEP = 16 * 1024;

/** What the header says: where the voxels are and how to read them. */
interface NiftiHeader {
  dims: number[];
  datatype: number;
  offset: number;
  slope: number;
  inter: number;
  le: boolean;
  count: number;
  bytes: number;
  get: (v: DataView, o: number, le: boolean) => number;
}

function badNifti(file: string, why: string): CmrxError {
  return new CmrxError(`not a readable NIfTI file: ${why}`, {
    file,
    hint:
      "give a NIfTI-1/2 label volume (.nii or .nii.gz), e.g. SegmentROI/P001/T1map_label.nii.gz",
  });
}

/** Parses and checks the header at the start of `b` (at least 348 bytes, 540 for NIfTI-2). */
function parseHeader(b: Uint8Array, file: string): NiftiHeader {
  const bad = (why: string) => badNifti(file, why);
  if (b.length < 348) throw bad(`only ${b.length} bytes`);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let le = true, version = 0;
  for (const little of [true, false]) {
    const size = v.getInt32(0, little);
    if (size === 348) [le, version] = [little, 1];
    else if (size === 540) [le, version] = [little, 2];
    if (version) break;
  }
  if (!version) throw bad("the header size is neither 348 (NIfTI-1) nor 540 (NIfTI-2)");
  let dims: number[], datatype: number, offset: number, slope: number, inter: number;
  if (version === 1) {
    const magic = String.fromCharCode(b[344], b[345], b[346]);
    if (magic !== "n+1") {
      throw bad(`magic '${magic}' (only single-file 'n+1' NIfTI-1 is supported, not .hdr/.img)`);
    }
    const nd = v.getInt16(40, le);
    if (nd < 1 || nd > 7) throw bad(`dim[0] = ${nd}`);
    dims = Array.from({ length: nd }, (_, i) => v.getInt16(42 + 2 * i, le));
    datatype = v.getInt16(70, le);
    offset = Math.round(v.getFloat32(108, le));
    slope = v.getFloat32(112, le);
    inter = v.getFloat32(116, le);
  } else {
    if (b.length < 540) throw bad("truncated NIfTI-2 header");
    const magic = String.fromCharCode(b[4], b[5], b[6]);
    if (magic !== "n+2") throw bad(`magic '${magic}' (only single-file 'n+2' NIfTI-2)`);
    const nd = Number(v.getBigInt64(16, le));
    if (nd < 1 || nd > 7) throw bad(`dim[0] = ${nd}`);
    dims = Array.from({ length: nd }, (_, i) => Number(v.getBigInt64(24 + 8 * i, le)));
    datatype = v.getInt16(12, le);
    offset = Number(v.getBigInt64(168, le));
    slope = v.getFloat64(176, le);
    inter = v.getFloat64(184, le);
  }
  if (dims.some((d) => !Number.isInteger(d) || d < 1)) throw bad(`dims [${dims.join(", ")}]`);
  const type = TYPES[datatype];
  if (!type) {
    throw new CmrxError(`NIfTI datatype ${datatype} is not supported for labels`, {
      file,
      hint: "save the labels as uint8, int16, int32, float32 or float64",
    });
  }
  const count = dims.reduce((a, d) => a * d, 1);
  if (count > MAX_NIFTI_VOXELS) {
    throw bad(
      `dims [${dims.join(", ")}] declare ${count} voxels, more than the ${MAX_NIFTI_VOXELS} ` +
        "a label volume may hold (the header is corrupt)",
    );
  }
  if (!Number.isSafeInteger(offset) || offset < (version === 1 ? 348 : 540)) {
    throw bad(`vox_offset ${offset} lies inside the header`);
  }
  return { dims, datatype, offset, slope, inter, le, count, bytes: type.bytes, get: type.get };
}

/**
 * Inflates a `.nii.gz` only as far as its header says the voxels go: the header is read
 * first, its dims checked, and inflation stops at `vox_offset + voxels x bytes`, so a small
 * file that inflates to gigabytes never does.
 */
function gunzipNifti(gz: Uint8Array, file: string): Uint8Array {
  const corrupt = (e: unknown) =>
    new CmrxError(`corrupt gzip data (${e instanceof Error ? e.message : e})`, {
      file,
      hint: "the .nii.gz file is truncated or damaged; copy it again",
    });
  const chunks: Uint8Array[] = [];
  let got = 0;
  let out: Uint8Array | null = null;
  let need = 0;
  let ended = false;
  const z = new Gunzip((chunk, final) => {
    if (final) ended = true;
    if (out === null) {
      chunks.push(chunk.slice());
      got += chunk.length;
      if (got < 540) return; // a whole file this small is checked after the loop
      const head = concat(chunks, got);
      need = headerSize(head, file, gz.length);
      out = new Uint8Array(need);
      out.set(head.subarray(0, Math.min(need, head.length)));
      got = Math.min(need, head.length);
      chunks.length = 0;
      return;
    }
    const fit = Math.min(chunk.length, need - got);
    out.set(chunk.subarray(0, fit), got);
    got += fit;
  });
  try {
    for (let p = 0; p < gz.length && !ended && (out === null || got < need); p += INFLATE_STEP) {
      const q = Math.min(p + INFLATE_STEP, gz.length);
      z.push(gz.subarray(p, q), q === gz.length);
    }
  } catch (e) {
    if (e instanceof CmrxError) throw e;
    throw corrupt(e);
  }
  if (!ended && (out === null || got < need)) throw corrupt("the stream ends early");
  if (out === null) {
    // the whole stream gave less than a header: check its length trailer (ISIZE)
    const isize = gz.length >= 18
      ? new DataView(gz.buffer, gz.byteOffset + gz.length - 4, 4).getUint32(0, true)
      : -1;
    if (isize !== got) throw corrupt("the stream is truncated or its length does not match");
    return concat(chunks, got); // shorter than a header: parseNifti says so
  }
  return (out as Uint8Array).subarray(0, got);
}

/** The bytes header + voxels take, from the start of an inflated file; checks the header. */
function headerSize(head: Uint8Array, file: string, compressed: number): number {
  const h = parseHeader(head, file);
  const need = h.offset + h.count * h.bytes;
  if (need > compressed * MAX_COMPRESSION_RATIO + 2 ** 20) {
    throw badNifti(
      file,
      `dims [${h.dims.join(", ")}] declare ${need} bytes, more than ${compressed} compressed ` +
        "bytes can hold (the header is corrupt)",
    );
  }
  return need;
}

function concat(chunks: Uint8Array[], n: number): Uint8Array {
  const out = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) {
    out.set(c.subarray(0, n - o), o);
    o += Math.min(c.length, n - o);
  }
  return out;
}

/**
 * Decodes the bytes of a `.nii` or `.nii.gz` file. A `.nii.gz` is inflated only as far as
 * its header says the voxels go, after checking its dims (at most {@link MAX_NIFTI_VOXELS}).
 *
 * @param bytes file content (gzip is detected by its magic bytes)
 * @param file path, named in errors
 * @throws {CmrxError} not NIfTI, an unsupported data type, or truncated data
 */
export function parseNifti(bytes: Uint8Array, file: string): NiftiVolume {
  const b = bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b
    ? gunzipNifti(bytes, file)
    : bytes;
  const h = parseHeader(b, file);
  const { count, offset, le } = h;
  if (offset + count * h.bytes > b.length) {
    throw badNifti(
      file,
      `the data (${count} voxels at byte ${offset}) runs past the end (${b.length} bytes)`,
    );
  }
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const data = new Float32Array(count);
  const scale = Number.isFinite(h.slope) && h.slope !== 0;
  const inter = Number.isFinite(h.inter) ? h.inter : 0;
  for (let i = 0; i < count; i++) {
    const x = h.get(v, offset + i * h.bytes, le);
    data[i] = scale ? x * h.slope + inter : x;
  }
  return { dims: h.dims, data, datatype: h.datatype };
}

/**
 * Reads a `.nii` / `.nii.gz` file ({@link parseNifti}); I/O errors name the file, and
 * anything but a regular file (a FIFO would block) is refused.
 */
export async function readNifti(path: string): Promise<NiftiVolume> {
  await assertNotSpecial(path, "NIfTI file");
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new CmrxError(`cannot read the NIfTI file (${e instanceof Error ? e.message : e})`, {
      file: path,
    });
  }
  return parseNifti(bytes, path);
}
