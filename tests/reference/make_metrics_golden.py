#!/usr/bin/python3
"""Golden vectors for src/challenge/metrics/ (SSIM, PSNR, NMSE and the per-year scoring).

Expected values come from scikit-image (`structural_similarity`, `peak_signal_noise_ratio`)
and numpy, called the way the official CMRxRecon scorers call them
(docs/challenge-rules.md, metrics):

  * every 2-D image is float32 with MATLAB dims (nx, ny), Fortran (column-major) order,
    exactly what `scipy.io.loadmat(...)[:, :, i, j]` returns;
  * normalisation per image: 2023 `x / x.max()`, 2024 `(x - mean) / (std + 1e-8)`,
    2025 `|x| / percentile(|x|, 99.5)` (unnormalised when the percentile is 0);
  * the first argument of the official `psnr` / `ssim` / `nmse` wrappers supplies
    `data_range = first.max()` and the NMSE denominator:
      2023                 first = normalised GT          (calmetric(pred, gt))
      2024/2025 rank 4     first = normalised submission  (calmetric(gt, recon): swapped)
      2024/2025 rank 3/2   first = normalised GT          (the 3-D branch swaps back)
  * NMSE = norm(first - second)**2 / norm(first)**2 (numpy, float32 BLAS dot).

Run:  /usr/bin/python3 tests/reference/make_metrics_golden.py
Writes tests/fixtures/metrics/inputs.f32 (little-endian float32, every array column-major,
concatenated; offsets in the manifest count float32 elements) and
tests/fixtures/metrics/golden.json. Deterministic (numpy default_rng with fixed seeds).
"""
import json
import os
import sys
import warnings

import numpy as np
import scipy
import skimage
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures", "metrics")


# ---------------------------------------------------------------- official-style scoring

def norm_2023(x):
    return x / x.max()


def norm_2024(x):
    mean = np.mean(x)
    std = np.std(x) + 1e-8
    return (x - mean) / std


def norm_2025(x):
    mag = np.abs(x)
    p = np.percentile(mag, 99.5)
    if p == 0:
        return mag
    return mag / p


NORM = {2023: norm_2023, 2024: norm_2024, 2025: norm_2025}


def metrics(first, second):
    """The three official wrappers with `first` as their first argument."""
    L = first.max()
    return {
        "ssim": float(structural_similarity(first, second, data_range=L)),
        "psnr": float(peak_signal_noise_ratio(first, second, data_range=L)),
        "nmse": float(np.linalg.norm(first - second) ** 2 / np.linalg.norm(first) ** 2),
        "L": float(L),
    }


def score_image(pred, gt, year, rank4):
    pn, gn = NORM[year](pred), NORM[year](gt)
    if year != 2023 and rank4:
        return metrics(pn, gn)  # swapped argument order of the 2024/2025 4-D branch
    return metrics(gn, pn)


def score_volume(pred, gt, year):
    """Per-file score: plain np.mean over the 2-D images, as the scorers take it."""
    rank4 = gt.ndim == 4
    if gt.ndim == 4:
        images = [(pred[:, :, i, j], gt[:, :, i, j]) for i in range(gt.shape[2])
                  for j in range(gt.shape[3])]
    elif gt.ndim == 3:
        images = [(pred[:, :, j], gt[:, :, j]) for j in range(gt.shape[2])]
    else:
        images = [(pred, gt)]
    per = [score_image(p, g, year, rank4) for p, g in images]
    return {k: float(np.mean([m[k] for m in per])) for k in ("ssim", "psnr", "nmse")} | {
        "images": len(per)}


# ---------------------------------------------------------------- helpers

def fingerprint(a):
    """Order-independent exact fingerprint of a float32 array in column-major order:
    sum_i bits(a_i) * (i + 1)  (mod 2**32), with bits the IEEE-754 pattern (uint32)."""
    bits = np.asarray(a, dtype=np.float32).reshape(-1, order="F").view(np.uint32).astype(np.uint64)
    idx = np.arange(1, bits.size + 1, dtype=np.uint64)
    return int(np.sum((bits * idx) & np.uint64(0xFFFFFFFF))) & 0xFFFFFFFF


def jnum(v):
    """JSON-safe number: NaN and infinities as strings."""
    v = float(v)
    if np.isnan(v):
        return "NaN"
    if np.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


def jtree(d):
    if isinstance(d, dict):
        return {k: jtree(v) for k, v in d.items()}
    if isinstance(d, (float, np.floating)):
        return jnum(d)
    return d


def f32(a):
    return np.asfortranarray(np.asarray(a, dtype=np.float32))


def grid(nx, ny):
    x = (np.arange(nx, dtype=np.float64) + 0.5) / nx
    y = (np.arange(ny, dtype=np.float64) + 0.5) / ny
    return np.meshgrid(x, y, indexing="ij")  # axis 0 = x (MATLAB dim 1)


def smooth(nx, ny, rng, blobs=4):
    X, Y = grid(nx, ny)
    img = 0.2 + 0.1 * np.sin(2 * np.pi * (1.3 * X + 0.7 * Y))
    for _ in range(blobs):
        cx, cy = rng.uniform(0.15, 0.85, 2)
        s = rng.uniform(0.06, 0.25)
        img += rng.uniform(0.3, 1.0) * np.exp(-((X - cx) ** 2 + (Y - cy) ** 2) / (2 * s * s))
    return img


def heart(nx, ny, rng):
    """Cardiac-like magnitude image: dark background, body ellipse, bright blood pool,
    darker myocardial ring, mild texture."""
    X, Y = grid(nx, ny)
    r_body = ((X - 0.5) / 0.42) ** 2 + ((Y - 0.5) / 0.36) ** 2
    img = np.where(r_body < 1, 0.35 + 0.05 * np.cos(9 * X) * np.sin(7 * Y), 0.0)
    r = np.hypot(X - 0.55, Y - 0.45)
    img = np.where(r < 0.16, 0.3, img)          # myocardium
    img = np.where(r < 0.11, 1.0, img)          # blood pool
    img += 0.02 * rng.standard_normal((nx, ny)) * (r_body < 1)
    return np.maximum(img, 0)


def blur(a):
    """3x3 box blur with edge replication (a plausible reconstruction error)."""
    p = np.pad(a, 1, mode="edge")
    out = np.zeros_like(a)
    for dx in range(3):
        for dy in range(3):
            out += p[dx:dx + a.shape[0], dy:dy + a.shape[1]]
    return out / 9


def make_cases():
    rng = np.random.default_rng(20250301)
    cases = []

    def add(name, gt, pred, note):
        cases.append((name, f32(gt), f32(pred), note))

    g = rng.uniform(0, 1, (7, 7))
    add("min7x7", g, g + 0.1 * rng.standard_normal((7, 7)), "smallest legal size, uniform noise")
    g = smooth(8, 9, rng)
    add("s8x9", g, g + 0.05 * rng.standard_normal((8, 9)), "8x9 smooth + noise")
    g = smooth(31, 17, rng)
    add("odd31x17", g, blur(g) + 0.02 * rng.standard_normal((31, 17)), "odd sizes, blur + noise")
    g = 1e-6 * smooth(64, 48, rng)
    add("tiny64x48", g, g + 3e-8 * rng.standard_normal((64, 48)), "1e-6 intensity scale")
    g = 800 * heart(171, 123, rng)
    add("cine171x123", g, np.abs(blur(g) + 25 * rng.standard_normal((171, 123))),
        "cine-like magnitude ~1e3, zero background, blurred noisy recon")
    g = 1e4 * heart(171, 123, rng)
    p = g.copy()
    p[40:120, 30:90] += 400 * rng.standard_normal((80, 60))
    add("cine171x123_1e4", g, np.abs(p), "~1e4 scale, exact copy outside a noisy patch")
    g = smooth(149, 102, rng, blobs=6)
    add("lax149x102", g, g + 0.03 * rng.standard_normal((149, 102)), "non-square 149x102")
    g = rng.standard_normal((64, 48)) * 0.5 + smooth(64, 48, rng) - 0.6
    add("signed64x48", g, g + 0.2 * rng.standard_normal((64, 48)),
        "z-score-like, negative values (2025 takes the magnitude)")
    g = smooth(31, 17, rng)
    add("identical31x17", g, g.copy(), "identical pair: SSIM 1, PSNR inf, NMSE 0")
    g = np.full((40, 40), 0.6)
    g[25:, :] = smooth(15, 40, rng)
    p = g.copy()
    p[25:, :] += 0.05 * rng.standard_normal((15, 40))
    add("plateau40x40", g, p, "large constant region identical in both")
    g = 1000 + smooth(64, 48, rng)
    add("offset64x48", g, g + 0.01 * rng.standard_normal((64, 48)),
        "large offset, small variation (float32 variance cancellation)")
    g = smooth(50, 33, rng)
    add("scaled50x33", g, 3.7 * g, "pred = 3.7 * gt: 2023 and 2025 normalise it away")
    g = 300 * heart(171, 123, rng)
    add("noisy171x123", g, np.abs(g + 120 * rng.standard_normal((171, 123))), "low SNR recon")
    g = np.zeros((20, 20))
    g[3, 4] = 5.0
    p = np.zeros((20, 20))
    p[3, 4] = 4.0
    p[10, 11] = 0.5
    add("sparse20x20", g, p, "99.5th percentile 0: 2025 leaves the data unnormalised")
    g = smooth(9, 9, rng)
    add("zeropred9x9", g, np.zeros((9, 9)), "all-zero submission: 2023 gives NaN (0/0)")
    return cases


def main():
    warnings.simplefilter("ignore")
    np.seterr(all="ignore")
    os.makedirs(OUT, exist_ok=True)
    blobs = []
    offset = 0

    def store(a):
        nonlocal offset
        blobs.append(a.reshape(-1, order="F").astype("<f4").tobytes())
        off = offset
        offset += a.size
        return off

    out_cases = []
    for name, gt, pred, note in make_cases():
        nx, ny = gt.shape
        entry = {"name": name, "note": note, "nx": nx, "ny": ny, "gt": store(gt),
                 "pred": store(pred)}
        # primitives on the raw arrays, data_range = max - min of gt (a float32 scalar)
        L = gt.max() - gt.min()
        if L == 0:
            L = np.float32(1)
        raw = {"L": float(L)}
        if min(nx, ny) >= 7:
            raw["ssim"] = float(structural_similarity(gt, pred, data_range=L))
        raw["psnr"] = float(peak_signal_noise_ratio(gt, pred, data_range=L))
        raw["nmse"] = float(np.linalg.norm(gt - pred) ** 2 / np.linalg.norm(gt) ** 2)
        d = gt.astype(np.float64) - pred.astype(np.float64)
        raw["nmse64"] = float(np.sum(d * d) / np.sum(gt.astype(np.float64) ** 2))
        entry["raw"] = raw
        scores = {}
        for year in (2023, 2024, 2025):
            for rank4 in (True, False):
                if year == 2023 and not rank4:
                    continue  # 2023 has the same orientation in both branches
                key = f"{year}" + ("" if year == 2023 else ("_r4" if rank4 else "_r3"))
                scores[key] = score_image(pred, gt, year, rank4)
        entry["scores"] = scores
        norm = {}
        for year in (2023, 2024, 2025):
            ng, npred = NORM[year](gt), NORM[year](pred)
            assert ng.dtype == np.float32 and npred.dtype == np.float32
            norm[str(year)] = {"gt": fingerprint(ng), "pred": fingerprint(npred)}
        norm["2024"]["gtMean"] = float(np.mean(gt))
        norm["2024"]["gtStd"] = float(np.std(gt))
        norm["2024"]["predMean"] = float(np.mean(pred))
        norm["2024"]["predStd"] = float(np.std(pred))
        norm["2025"]["gtP"] = float(np.percentile(np.abs(gt), 99.5))
        norm["2025"]["predP"] = float(np.percentile(np.abs(pred), 99.5))
        entry["normalised"] = norm
        out_cases.append(jtree(entry))

    # whole files through the per-file loop: 4-D (x, y, slice, frame), 3-D and 2-D
    rng = np.random.default_rng(7)
    volumes = []
    for dims in ((31, 17, 2, 3), (24, 20, 3), (16, 12)):
        gt = np.zeros(dims, dtype=np.float32, order="F")
        pred = np.zeros(dims, dtype=np.float32, order="F")
        rest = dims[2:]
        for idx in np.ndindex(*rest) if rest else [()]:
            g = 500 * smooth(dims[0], dims[1], rng) * rng.uniform(0.5, 2)
            gt[(slice(None), slice(None)) + idx] = g
            pred[(slice(None), slice(None)) + idx] = np.abs(g + 20 * rng.standard_normal(g.shape))
        entry = {"dims": list(dims), "gt": store(gt), "pred": store(pred)}
        entry["scores"] = {str(y): score_volume(pred, gt, y) for y in (2023, 2024, 2025)}
        volumes.append(jtree(entry))

    with open(os.path.join(OUT, "inputs.f32"), "wb") as f:
        for b in blobs:
            f.write(b)
    doc = {
        "description": "Golden vectors for src/challenge/metrics.ts. Inputs: inputs.f32, "
                       "little-endian float32, each array column-major (x fastest) with "
                       "MATLAB dims; 'gt'/'pred' are element offsets. 'scores' keys: year, "
                       "_r4 = 4-D branch (rank4), _r3 = 3-D branch. 'L' is the data_range "
                       "used. 'normalised' holds fingerprints (sum of uint32 bit pattern * "
                       "(i+1) mod 2^32, column-major) of the normalised float32 images. "
                       "Generated by tests/reference/make_metrics_golden.py.",
        "versions": {"python": sys.version.split()[0], "numpy": np.__version__,
                     "scipy": scipy.__version__, "skimage": skimage.__version__},
        "elements": offset,
        "cases": out_cases,
        "volumes": volumes,
    }
    with open(os.path.join(OUT, "golden.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print("wrote", os.path.normpath(OUT), offset * 4, "bytes of inputs")


if __name__ == "__main__":
    main()
