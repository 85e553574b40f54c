#!/usr/bin/python3
"""Reference for bench/pipeline.ts: the same per-file work as cmrxkit's submit pipeline with
the zero-filled method, done with h5py + numpy + scipy the usual way.

Usage: /usr/bin/python3 bench/pipeline_python.py KSPACE.mat OUT.mat MODE
MODE validation: read the two ranking slices (all frames), centred IFFT, RSS, run4Ranking
crop and the first 3 frames, scipy.io.savemat img4ranking (single).
MODE test: read every slice, IFFT, RSS, save the full-size image.
Prints JSON {"seconds": ...}.
"""
import json
import sys
import time

import h5py
import numpy as np
import scipy.io


def mround(x):
    return int(np.floor(x + 0.5))


def ifft2c(k):
    ax = (-2, -1)
    return np.fft.fftshift(np.fft.ifft2(np.fft.ifftshift(k, axes=ax), axes=ax, norm="ortho"), axes=ax)


def main():
    path, out, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    t0 = time.perf_counter()
    with h5py.File(path, "r") as f:
        ds = f[[k for k in f.keys() if k.startswith("kspace")][0]]  # (t, z, c, ky, kx)
        nt, nz, nc, ny, nx = ds.shape
        if mode == "validation":
            slices = list(range(nz)) if nz < 3 else [mround(nz / 2) - 2, mround(nz / 2) - 1]
        else:
            slices = list(range(nz))
        img = np.zeros((nt, len(slices), ny, nx), dtype=np.float32)
        for i, z in enumerate(slices):
            k = ds[:, z]
            k = k["real"] + 1j * k["imag"]
            img[:, i] = np.sqrt((np.abs(ifft2c(k)) ** 2).sum(axis=1))
    img = img.transpose(3, 2, 1, 0)  # MATLAB order (x, y, slice, frame)
    if mode == "validation":
        cx, cy = mround(nx / 3), mround(ny / 2)
        x0, y0 = nx // 2 - cx // 2, ny // 2 - cy // 2
        img = img[x0:x0 + cx, y0:y0 + cy, :, :3]
    scipy.io.savemat(out, {"img4ranking": np.ascontiguousarray(img, dtype=np.float32)})
    print(json.dumps({"seconds": time.perf_counter() - t0}))


if __name__ == "__main__":
    main()
