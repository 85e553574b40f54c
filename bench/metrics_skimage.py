#!/usr/bin/python3
"""Reference for bench/metrics.ts: the official metrics with scikit-image / numpy (Debian
python3-skimage, python3-scipy, python3-numpy) on the same images, timed in one run.

Usage: /usr/bin/python3 bench/metrics_skimage.py FILE NX NY COUNT REPEATS OUT
FILE holds 2*COUNT float32 little-endian images, each column-major with MATLAB dims
(NX, NY): the COUNT ground-truth images, then the COUNT submission images. Each image is
viewed as numpy's (NX, NY) Fortran-ordered array, as scipy.io.loadmat returns it.

Timed (time.perf_counter around each whole loop; the minimum over REPEATS):
  ssim   structural_similarity(gt, pred, data_range=gt.max())   (the official wrapper)
  psnr   peak_signal_noise_ratio(gt, pred, data_range=gt.max())
  nmse   np.linalg.norm(gt - pred) ** 2 / np.linalg.norm(gt) ** 2
  score  the full per-image scoring of each year (normalise both images, then the three
         metrics with the year's 4-D argument order)
Writes the per-image values (float64: ssim, psnr, nmse, then score ssim per year) to OUT
and prints the timings as JSON.
"""
import json
import sys
import time
import warnings

import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity


def norm(x, year):
    if year == 2023:
        return x / x.max()
    if year == 2024:
        return (x - np.mean(x)) / (np.std(x) + 1e-8)
    mag = np.abs(x)
    p = np.percentile(mag, 99.5)
    return mag if p == 0 else mag / p


def score(pred, gt, year):
    pn, gn = norm(pred, year), norm(gt, year)
    first, second = (gn, pn) if year == 2023 else (pn, gn)  # 2024/2025 4-D branch: swapped
    L = first.max()
    return (structural_similarity(first, second, data_range=L),
            peak_signal_noise_ratio(first, second, data_range=L),
            np.linalg.norm(first - second) ** 2 / np.linalg.norm(first) ** 2)


def main():
    path, nx, ny, count, repeats, out = sys.argv[1:7]
    nx, ny, count, repeats = int(nx), int(ny), int(count), int(repeats)
    warnings.simplefilter("ignore")
    raw = np.fromfile(path, dtype="<f4").reshape(2, count, ny, nx)
    gts = [raw[0, k].T for k in range(count)]  # (nx, ny), Fortran order, axis 0 = x
    preds = [raw[1, k].T for k in range(count)]

    def timed(fn):
        best, vals = float("inf"), None
        for _ in range(repeats):
            t0 = time.perf_counter()
            vals = [fn(g, p) for g, p in zip(gts, preds)]
            best = min(best, time.perf_counter() - t0)
        return best, vals

    t_ssim, v_ssim = timed(lambda g, p: structural_similarity(g, p, data_range=g.max()))
    t_psnr, v_psnr = timed(lambda g, p: peak_signal_noise_ratio(g, p, data_range=g.max()))
    t_nmse, v_nmse = timed(
        lambda g, p: np.linalg.norm(g - p) ** 2 / np.linalg.norm(g) ** 2)
    t_score, v_score = {}, []
    for year in (2023, 2024, 2025):
        t, vals = timed(lambda g, p: score(p, g, year)[0])
        t_score[str(year)] = t
        v_score += vals
    np.asarray(v_ssim + v_psnr + v_nmse + v_score, dtype="<f8").tofile(out)
    print(json.dumps({"ssim": t_ssim, "psnr": t_psnr, "nmse": t_nmse, "score": t_score}))


if __name__ == "__main__":
    main()
