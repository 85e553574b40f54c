#!/usr/bin/python3
"""Reference for bench/read.ts: reads a MATLAB v7.3 k-space file slice by slice with h5py
(Debian python3-h5py), the way the official tutorials do, and prints JSON timings.

Usage: /usr/bin/python3 bench/read_h5py.py FILE VARIABLE REPEATS
Per slice z it reads ds[:, z] (h5py order: frame, slice, coil, ky, kx), i.e. all frames and
coils of one slice, as the raw {real, imag} record array ("raw") and, separately, converted
to complex64 as the official loaders do (x['real'] + 1j * x['imag']) ("complex").
"""
import json
import sys
import time

import h5py
import numpy as np


def main():
    path, var, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
    out = {"raw": [], "complex": []}
    with h5py.File(path, "r") as f:
        ds = f[var]
        nz = ds.shape[1]
        for _ in range(repeats):
            t0 = time.perf_counter()
            total = 0
            for z in range(nz):
                a = ds[:, z]
                total += a.nbytes
            out["raw"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            for z in range(nz):
                a = ds[:, z]
                c = (a["real"] + 1j * a["imag"]).astype(np.complex64)
            out["complex"].append(time.perf_counter() - t0)
        out["bytes"] = total
        out["shape"] = list(ds.shape)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
