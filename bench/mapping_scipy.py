#!/usr/bin/python3
"""Reference for bench/mapping.ts: per-pixel scipy.optimize.curve_fit of the same pixels.

T1 (MOLLI): for every flip count k = 0..n-1, one curve_fit (Levenberg-Marquardt) of
A - B exp(-TI/T1*) to the magnitudes with the first k (in TI order) negated, started at
(A, B, T1*) = (s_last, 2 s_last, 1000 ms); the least residual wins (the search the official
CMRxRecon fitting code does). T2: one curve_fit of S0 exp(-TE/T2) from the log-linear start.
The fitting functions are the ones that make the committed golden vectors
(tests/reference/make_mapping_golden.py).

Usage: /usr/bin/python3 bench/mapping_scipy.py PIXELS.json OUT.json
PIXELS.json: {"t1": {"times": [...], "y": [[...] per pixel]}, "t2": {...}}.
OUT.json: {"t1": {"seconds", "t1", "sse"}, "t2": {"seconds", "t2", "sse"}}.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "reference"))
from make_mapping_golden import fit_molli, fit_t2  # noqa: E402


def main():
    src, dst = sys.argv[1], sys.argv[2]
    with open(src) as f:
        px = json.load(f)
    out = {}
    t = px["t1"]["times"]
    t0 = time.perf_counter()
    fits = [fit_molli(t, y, starts=(1000.0,)) for y in px["t1"]["y"]]
    out["t1"] = dict(
        seconds=time.perf_counter() - t0,
        t1=[f["t1"] if f["ok"] else None for f in fits],
        sse=[f["sse"] if f["ok"] else None for f in fits],
    )
    t = px["t2"]["times"]
    t0 = time.perf_counter()
    fits = [fit_t2(t, y) for y in px["t2"]["y"]]
    out["t2"] = dict(
        seconds=time.perf_counter() - t0,
        t2=[f["t2"] if f["ok"] else None for f in fits],
        sse=[f["sse"] if f["ok"] else None for f in fits],
    )
    with open(dst, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
