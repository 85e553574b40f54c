#!/usr/bin/python3
"""Describe MAT files as scipy.io.loadmat sees them, as JSON on stdout.

Usage: /usr/bin/python3 tests/reference/check_written_mat.py FILE [FILE ...]

Used by tests/mat/v5_test.ts to check files written by cmrxkit's MAT v5 writer. Output:

    {"scipy": "<version>", "files": {FILE: {"version": [major, minor],
      "variables": [{"name", "shape", "dtype", "complex", "first", "last", "probe_index",
                     "probe", "sum"}]}}}

- shape: the array shape (MATLAB dims, e.g. [x, y, slice, frame]); dtype: numpy dtype name.
- first / last: up to 8 leading / trailing elements in column-major (MATLAB) order.
- probe: the element at 0-based probe_index = [d // 2 for each dim] (null when empty).
- Complex values are written as [re, im]; sum is the float64 (complex128) sum of all elements.
"""

import json
import sys

import numpy as np
import scipy
import scipy.io


def value(x, cplx):
    return [float(np.real(x)), float(np.imag(x))] if cplx else float(x)


def describe(name, a):
    cplx = bool(np.iscomplexobj(a))
    flat = np.asarray(a).flatten(order="F")
    probe_index = [d // 2 for d in a.shape]
    total = flat.astype(np.complex128 if cplx else np.float64).sum()
    return {
        "name": name,
        "shape": list(a.shape),
        "dtype": a.dtype.newbyteorder("=").name,
        "complex": cplx,
        "first": [value(x, cplx) for x in flat[:8]],
        "last": [value(x, cplx) for x in flat[-8:]] if flat.size else [],
        "probe_index": probe_index,
        "probe": value(a[tuple(probe_index)], cplx) if a.size else None,
        "sum": value(total, cplx),
    }


def main(paths):
    out = {"scipy": scipy.__version__, "files": {}}
    for path in paths:
        version = scipy.io.matlab.matfile_version(path)
        data = scipy.io.loadmat(path)
        variables = [describe(k, v) for k, v in data.items() if not k.startswith("__")]
        out["files"][path] = {"version": list(version), "variables": variables}
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
