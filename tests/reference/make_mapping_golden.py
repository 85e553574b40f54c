#!/usr/bin/python3
"""Golden vectors for src/mapping (T1 MOLLI and T2-prep per-pixel fits) from scipy curve_fit.

Reference fits (also used by bench/mapping_scipy.py for the speed ratio):

  * T1 (MOLLI): model  s(TI) = A - B exp(-TI / T1*)  fitted with scipy.optimize.curve_fit to
    the magnitudes with polarity restoration: samples sorted by TI; for every k = 0..n-1 the
    first k samples are negated and fitted; the fit with the least residual sum of squares
    wins (cmrxkit's search; the official CMRxRecon code, Mapping/CalEvalMap.py, loops over
    1..6 flips with curve_fit but stops after the first fit that succeeds, i.e. after
    flipping TI1 only: see docs/mapping.md). T1 = T1* (B / A - 1).
  * T2 (T2-prep): model  s(TE) = S0 exp(-TE / T2)  with curve_fit, started from the
    log-linear fit.

Pixels: noisy synthetic curves (Rician magnitude: |signal + complex Gaussian noise|) with a
fixed numpy seed; the inputs are rounded to 6 significant digits before fitting, so the
JSON holds exactly what was fitted. curve_fit runs Levenberg-Marquardt with tight
tolerances from several starts (golden) so that it reaches the least-squares minimum.

Also writes small NIfTI label volumes with nibabel (the official SegmentROI labels are
.nii.gz files): values (x + 2 y + 3 z) mod 4 at MATLAB/NIfTI index (x, y, z), dims (7, 5, 3):
label_u8.nii.gz (NIfTI-1, uint8, gzip), label_f32_be.nii (NIfTI-1, big-endian float32),
label_i16_n2.nii.gz (NIfTI-2, int16, scl_slope 2, scl_inter -1: stored (v + 1) / 2 as int16
needs v odd, so the volume is 2 * ((x + 2 y + 3 z) mod 4) - 1 there).

Run:  /usr/bin/python3 tests/reference/make_mapping_golden.py
Writes tests/fixtures/mapping/golden.json and the .nii files (deterministic).
"""
import json
import os
import warnings

import numpy as np
import scipy
from scipy.optimize import OptimizeWarning, curve_fit

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures", "mapping")

TOL = dict(ftol=1e-14, xtol=1e-14, gtol=1e-14, maxfev=20000)


def molli(t, a, b, t1s):
    return a - b * np.exp(-t / t1s)


def t2prep(t, s0, t2):
    return s0 * np.exp(-t / t2)


def fit_molli(times, y, starts=(300.0, 1000.0, 2500.0)):
    """Polarity-restored curve_fit of one pixel; returns dict(a, b, t1star, t1, flips, sse, ok)."""
    order = np.argsort(times, kind="stable")
    t = np.asarray(times, float)[order]
    mag = np.abs(np.asarray(y, float))[order]
    best = None
    for k in range(len(t)):
        ys = mag.copy()
        ys[:k] = -ys[:k]
        for t1s0 in starts:
            p0 = [mag[-1], 2.0 * mag[-1], t1s0]
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", OptimizeWarning)
                    warnings.simplefilter("ignore", RuntimeWarning)
                    p, _ = curve_fit(molli, t, ys, p0=p0, method="lm", **TOL)
            except RuntimeError:
                continue
            if not np.all(np.isfinite(p)) or p[2] <= 0:
                continue
            sse = float(np.sum((molli(t, *p) - ys) ** 2))
            if best is None or sse < best["sse"]:
                best = dict(a=p[0], b=p[1], t1star=p[2], flips=k, sse=sse)
    if best is None:
        return dict(ok=False)
    best["t1"] = best["t1star"] * (best["b"] / best["a"] - 1.0)
    best["ok"] = True
    return best


def fit_t2(times, y):
    """curve_fit of S0 exp(-TE/T2) from the log-linear start; dict(s0, t2, sse, ok)."""
    t = np.asarray(times, float)
    mag = np.abs(np.asarray(y, float))
    slope, icpt = np.polyfit(t, np.log(mag), 1, w=mag)  # weights: sqrt of w=y^2
    p0 = [np.exp(icpt), -1.0 / slope if slope < 0 else 1000.0]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OptimizeWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            p, _ = curve_fit(t2prep, t, mag, p0=p0, method="lm", **TOL)
    except RuntimeError:
        return dict(ok=False)
    sse = float(np.sum((t2prep(t, *p) - mag) ** 2))
    return dict(s0=p[0], t2=p[1], sse=sse, ok=bool(np.all(np.isfinite(p))))


def molli_scheme(rng, n_inv=(4, 3, 2)):
    """MOLLI inversion times (ms): inversions at TI0, TI0+80, ... read on consecutive beats."""
    rr = rng.uniform(800, 1200)
    ti0 = rng.uniform(90, 140)
    ts = [ti0 + 80 * i + k * rr for i, c in enumerate(n_inv) for k in range(c)]
    return np.round(np.array(ts), 1)


def rician(rng, s, sd):
    return np.abs(s + sd * (rng.standard_normal(s.shape) + 1j * rng.standard_normal(s.shape)))


def sig6(x):
    return float(f"{x:.6g}")


def main():
    rng = np.random.default_rng(20261121)
    molli_px = []
    for i in range(240):
        # Three acquisition orders: sorted TIs, the raw MOLLI order (unsorted), and 8 TIs.
        if i % 3 == 0:
            times = np.sort(molli_scheme(rng))
        elif i % 3 == 1:
            times = molli_scheme(rng)  # acquisition order: not sorted
        else:
            times = np.sort(molli_scheme(rng, (3, 3, 2)))
        t1 = rng.uniform(250, 2200)
        ratio = rng.uniform(1.7, 2.5)  # B/A
        a = rng.uniform(0.3, 3.0)
        t1s = t1 / (ratio - 1)
        s = molli(times, a, ratio * a, t1s)
        sd = a * rng.uniform(0.002, 0.03)
        y = [sig6(v) for v in rician(rng, s, sd)]
        f = fit_molli(times, y)
        molli_px.append(dict(times=times.tolist(), y=y, true_t1=t1, fit=f))
    t2_px = []
    for i in range(160):
        times = np.array([0.0, 35.0, 55.0]) if i % 2 == 0 else np.array([0.0, 25.0, 50.0, 80.0])
        t2 = rng.uniform(20, 300)
        s0 = rng.uniform(0.3, 3.0)
        sd = s0 * rng.uniform(0.002, 0.03)
        y = [sig6(v) for v in rician(rng, t2prep(times, s0, t2), sd)]
        t2_px.append(dict(times=times.tolist(), y=y, true_t2=t2, fit=fit_t2(times, y)))

    def clean(d):
        return {k: (sig10(v) if isinstance(v, float) else v) for k, v in d.items()}

    def sig10(x):
        return float(f"{x:.12g}")

    doc = dict(
        generator="tests/reference/make_mapping_golden.py",
        scipy=scipy.__version__,
        numpy=np.__version__,
        molli=[dict(times=p["times"], y=p["y"], true_t1=sig10(p["true_t1"]), fit=clean(p["fit"]))
               for p in molli_px],
        t2=[dict(times=p["times"], y=p["y"], true_t2=sig10(p["true_t2"]), fit=clean(p["fit"]))
            for p in t2_px],
    )
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "golden.json")
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    ok1 = sum(p["fit"]["ok"] for p in molli_px)
    ok2 = sum(p["fit"]["ok"] for p in t2_px)
    print(f"wrote {path}: {len(molli_px)} MOLLI pixels ({ok1} converged), "
          f"{len(t2_px)} T2 pixels ({ok2} converged)")


def write_nifti():
    import nibabel as nib
    x, y, z = np.meshgrid(np.arange(7), np.arange(5), np.arange(3), indexing="ij")
    v = (x + 2 * y + 3 * z) % 4
    aff = np.diag([1.4, 1.4, 8.0, 1.0])
    img = nib.Nifti1Image(v.astype(np.uint8), aff)
    img.set_data_dtype(np.uint8)
    nib.save(img, os.path.join(OUT, "label_u8.nii.gz"))
    hdr = nib.Nifti1Header(endianness=">")
    hdr.set_data_dtype(">f4")
    img = nib.Nifti1Image(v.astype(">f4"), aff, header=hdr)
    nib.save(img, os.path.join(OUT, "label_f32_be.nii"))
    # NIfTI-2 int16 with scaling: nibabel recomputes scaling of float data on save, so the
    # raw int16 volume is saved unscaled and scl_slope / scl_inter (float64 at bytes 176 /
    # 184 of the NIfTI-2 header) are set in the bytes; nibabel reads it back below.
    import gzip
    img = nib.Nifti2Image(v.astype(np.int16), aff)
    img.set_data_dtype(np.int16)
    raw = bytearray(img.to_bytes())
    raw[176:192] = np.array([2.0, -1.0], "<f8").tobytes()
    with open(os.path.join(OUT, "label_i16_n2.nii.gz"), "wb") as f:
        f.write(gzip.compress(bytes(raw), mtime=0))
    back = nib.load(os.path.join(OUT, "label_i16_n2.nii.gz")).get_fdata()
    assert np.array_equal(back, 2 * v - 1), "nibabel round trip"
    print("wrote the NIfTI label fixtures")


if __name__ == "__main__":
    if os.environ.get("NIFTI_ONLY") != "1":
        main()
    write_nifti()
