#!/usr/bin/python3
"""Reference for bench/score.ts: scores the same submission the way the official Python
scorer does it, with the reference images made from the fully sampled k-space exactly as
cmrxkit makes them (h5py read of only the kept slices and frames, numpy centred IFFT,
root-sum-of-squares, run4Ranking crop), then per 2-D image max-normalisation and
scikit-image SSIM / PSNR plus the NMSE formula (2023 rules).

Usage: /usr/bin/python3 bench/score_python.py JOBS.json
JOBS.json: [{"sub": path, "gt": path, "mapping": bool}, ...]. Prints JSON {seconds, files,
images, ssim (mean over files)}.
"""
import json
import sys
import time

import h5py
import numpy as np
import scipy.io
from skimage.metrics import peak_signal_noise_ratio, structural_similarity


def mround(x):
    return int(np.floor(x + 0.5))


def ifft2c(k):
    ax = (-2, -1)
    return np.fft.fftshift(np.fft.ifft2(np.fft.ifftshift(k, axes=ax), axes=ax, norm="ortho"), axes=ax)


def reference(path, mapping):
    with h5py.File(path, "r") as f:
        ds = f["kspace_full"]  # h5py order (t, z, c, ky, kx)
        nt, nz, nc, ny, nx = ds.shape
        slices = list(range(nz)) if nz < 3 else [mround(nz / 2) - 2, mround(nz / 2) - 1]
        frames = list(range(nt)) if mapping else list(range(min(3, nt)))
        cx, cy = mround(nx / 3), mround(ny / 2)
        x0, y0 = nx // 2 - cx // 2, ny // 2 - cy // 2
        out = np.zeros((cx, cy, len(slices), len(frames)), dtype=np.float32)  # MATLAB order
        for j, t in enumerate(frames):
            for i, z in enumerate(slices):
                k = ds[t, z]
                k = k["real"] + 1j * k["imag"]
                img = np.sqrt((np.abs(ifft2c(k)) ** 2).sum(axis=0))  # (ky, kx)
                out[:, :, i, j] = img[y0:y0 + cy, x0:x0 + cx].T.astype(np.float32)
    return out


def calmetric(pred, gt):
    s, p, n = [], [], []
    for i in range(gt.shape[-2]):
        for j in range(gt.shape[-1]):
            a = pred[:, :, i, j] / pred[:, :, i, j].max()
            b = gt[:, :, i, j] / gt[:, :, i, j].max()
            s.append(structural_similarity(a, b, data_range=b.max()))
            p.append(peak_signal_noise_ratio(b, a, data_range=b.max()))
            n.append(np.linalg.norm(b - a) ** 2 / np.linalg.norm(b) ** 2)
    return np.mean(s), np.mean(p), np.mean(n), len(s)


def main():
    jobs = json.load(open(sys.argv[1]))
    t0 = time.perf_counter()
    ssims, images = [], 0
    cache = {}
    for job in jobs:
        if job["gt"] not in cache:
            cache = {job["gt"]: reference(job["gt"], job["mapping"])}
        gt = cache[job["gt"]]
        pred = scipy.io.loadmat(job["sub"])["img4ranking"]
        s, p, n, k = calmetric(pred, gt)
        ssims.append(s)
        images += k
    print(json.dumps({"seconds": time.perf_counter() - t0, "files": len(jobs), "images": images,
                      "ssim": float(np.mean(ssims))}))


if __name__ == "__main__":
    main()
