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

import { CmrxError, errorMessage } from "../errors.ts";
import { assertNotSpecial } from "../fsutil.ts";
import { boundedInflate, InflateError, inflatePrefix, MAX_COMPRESSION_RATIO } from "../inflate.ts";

/** A NIfTI volume: dims as the header gives them (`dim[1..dim[0]]`), values column-major. */
export interface NiftiVolume {
  /** Dims `dim[1..dim[0]]`, first index fastest (MATLAB order). */
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
/** Bytes a `.nii.gz` may inflate to past its header's voxels (writers' padding). */
const NIFTI_SLACK = 64 * 1024;

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
 * Inflates a `.nii.gz`: its header is inflated first and its dims checked, then the whole
 * gzip stream is inflated into at most the bytes the header says the file takes (plus
 * {@link NIFTI_SLACK}) and its CRC-32 and length verified, so a small file that inflates
 * to gigabytes is refused early and a damaged one is refused, not read as other labels.
 */
function gunzipNifti(gz: Uint8Array, file: string): Uint8Array {
  const corrupt = (why: string, cause?: unknown) =>
    new CmrxError(`corrupt gzip data: the stream ${why}`, {
      file,
      hint: "the .nii.gz file is truncated or damaged; copy it again",
      cause,
    });
  try {
    const head = inflatePrefix(gz, 540, "gzip").out;
    // shorter than a header: inflated (and verified) whole below, then parseNifti says so
    const need = head.length >= 348 ? headerSize(head, file, gz.length) : head.length;
    try {
      return boundedInflate(gz, need + NIFTI_SLACK, "gzip", { expected: need });
    } catch (e) {
      if (e instanceof InflateError && e.reason === "overflow") {
        throw corrupt(`inflates to more than the ${need} bytes its header declares`, e);
      }
      throw e;
    }
  } catch (e) {
    if (e instanceof InflateError) throw corrupt(e.detail, e);
    throw e;
  }
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

/**
 * Decodes the bytes of a `.nii` or `.nii.gz` file. A `.nii.gz` is inflated only after its
 * dims are checked (at most {@link MAX_NIFTI_VOXELS}), never past the bytes they take, and
 * its CRC-32 is verified.
 *
 * @param bytes file content (gzip is detected by its magic bytes)
 * @param file path, named in errors
 * @throws {CmrxError} not NIfTI, an unsupported data type, truncated or damaged data
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
    throw new CmrxError(`cannot read the NIfTI file (${errorMessage(e)})`, {
      file: path,
    });
  }
  return parseNifti(bytes, path);
}
