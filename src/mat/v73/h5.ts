/**
 * The h5wasm runtime shared by the MAT v7.3 reader and writer: its one-time start
 * ({@link h5Ready}), the HDF5 type class numbers, absolute paths for its file system, and
 * one-line causes from libhdf5's error stacks.
 *
 * MATLAB v7.3 files are HDF5 behind a 512-byte MATLAB header. HDF5 stores a MATLAB array of
 * dims `[d0, d1, ..., dn]` with the reversed shape `[dn, ..., d1, d0]`; read in C order, the
 * bytes are exactly MATLAB's column-major array, so shapes and offsets are reversed and data
 * is never transposed. Complex data is an HDF5 compound `{real, imag}`.
 *
 * @module
 */

import { errorMessage } from "../../errors.ts";
import h5wasm, { Module } from "h5wasm/node";

let ready: Promise<void> | null = null;

/** Waits until the h5wasm module is initialised (once per process). */
export function h5Ready(): Promise<void> {
  if (!ready) {
    ready = (async () => {
      await h5wasm.ready;
      // libhdf5 prints its error stack to stderr by default; errors are ours to report.
      Module.activate_throwing_error_handler();
    })();
  }
  return ready;
}

/** HDF5 type class (`H5T_class_t`) of integers. */
export const H5T_INTEGER = 0;
/** HDF5 type class of floating-point numbers. */
export const H5T_FLOAT = 1;
/** HDF5 type class of compounds (MATLAB complex data: `{real, imag}`). */
export const H5T_COMPOUND = 6;
/** HDF5 type class of enums (h5py's numpy bool). */
export const H5T_ENUM = 8;

/** An absolute path (h5wasm resolves relative paths elsewhere). */
export function absPath(path: string): string {
  if (path.startsWith("/")) return path;
  return `${Deno.cwd()}/${path}`;
}

/** A one-line cause: for libhdf5's error stacks, the innermost message. */
export function describe(e: unknown): string {
  const text = errorMessage(e);
  const inner = [...text.matchAll(/#\d+: .* in [\w]+\(\): (.*)$/gm)].map((m) => m[1]);
  return inner.length > 0 ? inner[inner.length - 1] : text.split("\n")[0];
}
