#!/usr/bin/python3
"""Writes the MAT v7.3 (HDF5) golden files in tests/fixtures/mat/v73/ with h5py and
hdf5storage (Debian python3-h5py, python3-hdf5storage), plus manifest.json describing them.

Run: /usr/bin/python3 tests/reference/make_mat_v73_golden.py

Every array's value at 0-based MATLAB index (i0, i1, ..., ik) is
    real = sum_k ik * 10**k + 0.25        imag = -(sum_k ik * 10**k) / 2
(masks: 1 where (i1 % 3 == 0) else 0). MATLAB dims are listed in the manifest; HDF5 holds
them reversed, exactly as MATLAB's own v7.3 files do.
"""
import json
import os
import time

import h5py
import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "mat", "v73")


def formula(dims, cplx, dtype):
    idx = np.indices(dims)  # MATLAB-order index grids
    base = sum(idx[k] * 10 ** k for k in range(len(dims))).astype(np.float64)
    a = base + 0.25
    if cplx:
        a = a - 1j * base / 2
    # a[i0, i1, ...] is MATLAB element (i0, i1, ...); HDF5 wants the reversed shape in C
    # order, which is the transpose of the MATLAB-order array.
    return np.ascontiguousarray(a.astype(dtype).transpose())


def mask(dims, dtype):
    idx = np.indices(dims)
    m = (idx[1] % 3 == 0).astype(dtype)
    return np.ascontiguousarray(m.transpose())


def matlab_header():
    text = "MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: %s HDF5 schema 1.00 ." % (
        time.strftime("%a %b %d %H:%M:%S %Y", time.gmtime(0))
    )
    b = bytearray(512)
    b[:116] = text.encode().ljust(116, b" ")[:116]
    b[124:128] = bytes([0, 2, ord("I"), ord("M")])
    return bytes(b)


def write_h5(name, var, data, cls, userblock=True, **kw):
    path = os.path.join(OUT, name)
    with h5py.File(path, "w", userblock_size=512 if userblock else 0, libver="earliest") as f:
        ds = f.create_dataset(var, data=data, **kw)
        ds.attrs.create("MATLAB_class", np.bytes_(cls))
        if cls == "logical":
            ds.attrs.create("MATLAB_int_decode", np.int32(1))
    if userblock:
        with open(path, "r+b") as f:
            f.write(matlab_header())
    return path


def compound(a):
    t = np.dtype([("real", a.real.dtype), ("imag", a.real.dtype)])
    out = np.empty(a.shape, dtype=t)
    out["real"] = a.real
    out["imag"] = a.imag
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    manifest = []

    def add(file, var, dims, cls, cplx, kind="formula", **extra):
        manifest.append(dict(file=file, variable=var, dims=dims, matClass=cls, complex=cplx,
                             values=kind, **extra))

    d5 = [6, 5, 3, 2, 4]  # kx, ky, coil, slice, frame
    write_h5("kspace_c64_contiguous.mat", "kspace_sub04", compound(formula(d5, True, np.complex64)), "single")
    add("kspace_c64_contiguous.mat", "kspace_sub04", d5, "single", True)

    write_h5("kspace_c128_chunked_gzip.mat", "kspace_full", compound(formula(d5, True, np.complex128)),
             "double", chunks=(1, 1, 3, 5, 6), compression="gzip", compression_opts=4)
    add("kspace_c128_chunked_gzip.mat", "kspace_full", d5, "double", True, chunked=True, deflate=4)

    d4 = [7, 6, 2, 3]  # single-coil: kx, ky, slice, frame (odd sizes)
    write_h5("kspace_single_c64_shuffle_gzip.mat", "kspace_single_sub08",
             compound(formula(d4, True, np.complex64)), "single", chunks=(1, 2, 6, 7),
             compression="gzip", compression_opts=6, shuffle=True)
    add("kspace_single_c64_shuffle_gzip.mat", "kspace_single_sub08", d4, "single", True,
        chunked=True, deflate=6, shuffle=True)

    write_h5("real_single_no_userblock.h5", "img", formula([5, 4, 2], False, np.float32), "single",
             userblock=False)
    add("real_single_no_userblock.h5", "img", [5, 4, 2], "single", False)

    dm = [6, 9]
    write_h5("mask_logical.mat", "mask04", mask(dm, np.uint8), "logical")
    add("mask_logical.mat", "mask04", dm, "logical", False, kind="mask")
    write_h5("mask_double.mat", "mask08", mask(dm, np.float64), "double")
    add("mask_double.mat", "mask08", dm, "double", False, kind="mask")
    write_h5("mask_int16.mat", "mask10", mask(dm, np.int16), "int16")
    add("mask_int16.mat", "mask10", dm, "int16", False, kind="mask")
    write_h5("mask_3d_uint8_gzip.mat", "mask", mask([6, 9, 4], np.uint8), "uint8",
             chunks=(4, 9, 6), compression="gzip")
    add("mask_3d_uint8_gzip.mat", "mask", [6, 9, 4], "uint8", False, kind="mask", chunked=True)

    # An empty MATLAB array: MATLAB stores its dims as uint64 data with MATLAB_empty = 1.
    path = os.path.join(OUT, "empty.mat")
    with h5py.File(path, "w", userblock_size=512, libver="earliest") as f:
        ds = f.create_dataset("e", data=np.array([0, 3], dtype=np.uint64))
        ds.attrs.create("MATLAB_class", np.bytes_("double"))
        ds.attrs.create("MATLAB_empty", np.uint8(1))
        ds2 = f.create_dataset("x", data=formula([2, 2], False, np.float64))
        ds2.attrs.create("MATLAB_class", np.bytes_("double"))
    with open(path, "r+b") as f:
        f.write(matlab_header())
    add("empty.mat", "e", [0, 3], "double", False, kind="empty")
    add("empty.mat", "x", [2, 2], "double", False)

    try:
        import hdf5storage
        a = formula([4, 3, 2], True, np.complex64).transpose()  # MATLAB-order numpy array
        hdf5storage.savemat(os.path.join(OUT, "hdf5storage_c64.mat"), {"kspace_sub10": a},
                            format="7.3", matlab_compatible=True, store_python_metadata=False)
        add("hdf5storage_c64.mat", "kspace_sub10", [4, 3, 2], "single", True, writer="hdf5storage")
        b = formula([3, 4], False, np.float32).transpose()
        hdf5storage.savemat(os.path.join(OUT, "hdf5storage_single.mat"), {"img4ranking": b},
                            format="7.3", matlab_compatible=True, store_python_metadata=False)
        add("hdf5storage_single.mat", "img4ranking", [3, 4], "single", False, writer="hdf5storage")
    except ImportError:
        print("hdf5storage not installed: skipped its files")

    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print("wrote", len(manifest), "entries to", OUT)


if __name__ == "__main__":
    main()
