/** NIfTI-1 bytes for the tests of the label reader (tests/mapping, tests/mat). */

/** A NIfTI-1 uint8 header with these dims (voxels follow at byte 352). */
export function niftiHeader(dims: number[]): Uint8Array {
  const b = new Uint8Array(352);
  const v = new DataView(b.buffer);
  v.setInt32(0, 348, true);
  v.setInt16(40, dims.length, true);
  dims.forEach((d, i) => v.setInt16(42 + 2 * i, d, true));
  v.setInt16(70, 2, true);
  v.setInt16(72, 8, true);
  v.setFloat32(108, 352, true);
  b.set([0x6e, 0x2b, 0x31], 344); // "n+1"
  return b;
}
