#!/usr/bin/python3
"""Reference for bench/fft.ts: numpy's FFT on the same data, timed in-process.

Usage: /usr/bin/python3 bench/fft_numpy.py FILE NX NY COUNT REPS
FILE holds COUNT complex64 images of MATLAB dims (NX, NY) column-major, i.e. numpy C-order
shape (COUNT, NY, NX). Prints JSON: seconds per image for ifft2c (MATLAB definition:
fftshift(ifft2(ifftshift(x))) * sqrt(N), over the last two axes) and for plain ifft2.
"""
import json
import sys
import time

import numpy as np


def main():
    path, nx, ny, count, reps = sys.argv[1], *map(int, sys.argv[2:6])
    x = np.fromfile(path, dtype=np.complex64).reshape(count, ny, nx)
    ax = (-2, -1)

    def ifft2c(a):
        return np.fft.fftshift(np.fft.ifft2(np.fft.ifftshift(a, axes=ax), axes=ax, norm="ortho"), axes=ax)

    out = {}
    for name, fn in (("ifft2c", ifft2c), ("ifft2", lambda a: np.fft.ifft2(a, axes=ax))):
        fn(x)  # warm up
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            fn(x)
            times.append((time.perf_counter() - t0) / count)
        out[name] = sorted(times)[len(times) // 2]
    y = ifft2c(x).astype(np.complex64)
    y.tofile(path + ".numpy")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
