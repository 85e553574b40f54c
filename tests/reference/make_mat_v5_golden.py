#!/usr/bin/python3
"""Write the MAT v5 golden fixtures under tests/fixtures/mat/v5/ and their manifest.

Run with Debian's python (numpy + scipy):

    /usr/bin/python3 tests/reference/make_mat_v5_golden.py

Every numeric variable holds values given by a formula of its **0-based** indices
(i0, i1, i2, ...), the same for every file and recorded in `scipy_manifest.json`:

    value = offset + sum_d coef[d] * i_d        (then `% mod` when `mod` is given)

For complex variables the real part uses `re` and the imaginary part uses `im`.
Example: `s4` (single 5x4x2x3) has coef [1, 10, 100, 1000] and offset 0.5, so the
MATLAB element s4(2,3,1,2) (1-based) is 1 + 20 + 0 + 1000 + 0.5 = 1021.5.
All values are exactly representable in the variable's class, so tests compare exactly.

Files written:
- scipy.mat / scipy_z.mat: every numeric class, uncompressed / do_compression=True.
- scipy_be.mat: scipy.mat converted to big-endian ("MI") by this script, checked with loadmat.
- scipy_mixed.mat / scipy_mixed_z.mat: struct, cell, char and sparse variables next to
  numeric ones (the readers must skip the former).
- narrow.mat: hand-built like MATLAB does it: the stored data type is narrower than the
  class (a double stored as miUINT8 / miINT16, ...), small data elements, checked with loadmat.
"""

import io
import json
import os
import re
import struct
import sys

import numpy as np
import scipy
import scipy.io
import scipy.sparse

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "fixtures", "mat", "v5"))

NP_DTYPE = {
    "double": np.float64,
    "single": np.float32,
    "int8": np.int8,
    "uint8": np.uint8,
    "int16": np.int16,
    "uint16": np.uint16,
    "int32": np.int32,
    "uint32": np.uint32,
    "int64": np.int64,
    "uint64": np.uint64,
    "logical": np.bool_,
}


def var(name, shape, cls, coef, offset, mod=None, im=None, dims=None):
    """A variable spec. `dims` are the MATLAB dims a reader must report (default: shape)."""
    spec = {
        "name": name,
        "shape": list(shape),
        "dims": list(dims if dims is not None else shape),
        "class": cls,
        "complex": im is not None,
        "re": {"coef": list(coef), "offset": offset},
    }
    if mod is not None:
        spec["re"]["mod"] = mod
    if im is not None:
        spec["im"] = {"coef": list(im[0]), "offset": im[1]}
    return spec


def formula(shape, part):
    """Evaluate a formula part over an array of `shape` in exact integer/float64 arithmetic."""
    idx = np.indices(shape, dtype=np.int64) if len(shape) else np.zeros((0,), np.int64)
    coef = part["coef"]
    exact_int = all(float(c).is_integer() for c in coef) and float(part["offset"]).is_integer()
    if exact_int:
        v = np.full(shape, int(part["offset"]), dtype=object)
        for d, c in enumerate(coef):
            v = v + int(c) * idx[d].astype(object)
    else:
        v = np.full(shape, float(part["offset"]), dtype=np.float64)
        for d, c in enumerate(coef):
            v = v + float(c) * idx[d]
    if "mod" in part:
        v = v % part["mod"]
    return v


def build(spec):
    dtype = NP_DTYPE[spec["class"]]
    shape = tuple(spec["shape"])
    re = formula(shape, spec["re"])
    if spec["complex"]:
        im = formula(shape, spec["im"])
        cdtype = np.complex64 if spec["class"] == "single" else np.complex128
        arr = re.astype(np.float64) + 1j * im.astype(np.float64)
        return np.asarray(arr, dtype=cdtype)
    if spec["class"] == "logical":
        return np.asarray(re.astype(np.int64) != 0, dtype=np.bool_)
    return np.asarray(re, dtype=dtype)


NUMERIC = [
    var("s4", (5, 4, 2, 3), "single", [1, 10, 100, 1000], 0.5),
    var("s3", (3, 4, 2), "single", [1, 10, 100], -7.25),
    var("d2", (6, 7), "double", [0.5, 100], 0.125),
    var("c64", (4, 3, 2, 2), "single", [1, 10, 100, 1000], 0.5,
        im=([-1, -10, -100, -1000], -0.25)),
    var("c128", (3, 2, 2, 2), "double", [1, 10, 100, 1000], 0.375,
        im=([2, -20, 200, -2000], 0.0625)),
    var("i8", (3, 4), "int8", [1, -10], 5),
    var("u8", (5, 4), "uint8", [1, 10], 0),
    var("i16", (3, 4, 2), "int16", [1, -10, -1000], 7),
    var("u16", (4, 3), "uint16", [1, 1000], 60000),
    var("i32", (4, 3), "int32", [100003, 1000], -300000),
    var("u32", (2, 3), "uint32", [1, 1000000000], 7),
    var("i64", (2, 2), "int64", [1, 2**40], -(2**50)),
    var("u64", (2, 2), "uint64", [1, 2**45], 2**52),
    var("mask", (5, 6), "logical", [1, 1], 0, mod=2),
    var("scalar", (1, 1), "double", [0, 0], 3.25),
    var("empty", (0, 0), "double", [0, 0], 0),
    var("empty_s", (0, 3), "single", [0, 0], 0),
    var("vec", (1, 7), "single", [0, 1], 0.5),
    var("col", (7, 1), "double", [1, 0], -1.5),
    var("s5", (2, 3, 1, 2), "single", [1, 10, 100, 1000], 0.25),
    # scipy keeps the trailing singleton in the file; MATLAB (and cmrxkit) drop it.
    var("trail", (3, 4, 1), "single", [1, 10, 100], 0.75, dims=(3, 4)),
]

MIXED = [
    var("x", (3, 4, 2), "single", [1, 10, 100], -7.25),
    var("y", (2, 2), "double", [1, 2], 0.5),
]
MIXED_SKIPPED = [
    {"name": "st", "kind": "struct"},
    {"name": "ce", "kind": "cell"},
    {"name": "ch", "kind": "char"},
    {"name": "sp", "kind": "sparse"},
]


def check_loaded(path, specs, strict_dtype=True):
    """Load `path` with scipy and assert every variable matches its formula.

    scipy quirks: loadmat returns MATLAB logical arrays as uint8, returns the *storage* type
    (e.g. uint8 for a double stored as miUINT8) unless mat_dtype=True, and mat_dtype=True
    drops the imaginary part of complex arrays (scipy 1.10), so narrowed files are compared
    by value only.
    """
    got = scipy.io.loadmat(path, squeeze_me=False, mat_dtype=False)
    for spec in specs:
        a = got[spec["name"]]
        want = build(spec)
        assert a.shape == tuple(spec["shape"]), (path, spec["name"], a.shape)
        if strict_dtype:
            want_dtype = np.uint8 if spec["class"] == "logical" else want.dtype
            assert a.dtype.newbyteorder("=") == want_dtype, (path, spec["name"], a.dtype)
        cplx = np.complex128
        assert np.array_equal(a.astype(cplx), want.astype(cplx)), (path, spec["name"])
    return got


# ---------------------------------------------------------------- big-endian conversion

MI_SIZE = {1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 4, 9: 8, 12: 8, 13: 8, 16: 1, 17: 2, 18: 4}


def swap_data(mi_type, data):
    size = MI_SIZE[mi_type]
    if size == 1:
        return bytes(data)
    a = np.frombuffer(bytes(data), dtype=np.dtype("<u%d" % size))
    return a.astype(np.dtype(">u%d" % size)).tobytes()


def swap_elements(buf, pos, end):
    """Re-encode the little-endian data elements in buf[pos:end] as big-endian."""
    out = bytearray()
    while pos < end:
        (w0,) = struct.unpack_from("<I", buf, pos)
        if w0 >> 16:  # small data element: (nbytes << 16) | type, data in the next 4 bytes
            t, n = w0 & 0xFFFF, w0 >> 16
            out += struct.pack(">I", w0) + swap_data(t, buf[pos + 4:pos + 4 + n]).ljust(4, b"\0")
            pos += 8
            continue
        t = w0
        (n,) = struct.unpack_from("<I", buf, pos + 4)
        if t == 14:
            body = swap_elements(buf, pos + 8, pos + 8 + n)
        elif t == 15:
            raise ValueError("compressed elements are not converted")
        else:
            body = swap_data(t, buf[pos + 8:pos + 8 + n])
        pad = (-n) % 8
        out += struct.pack(">II", t, n) + body + b"\0" * pad
        pos += 8 + n + pad
    return bytes(out)


def to_big_endian(le):
    assert le[126:128] == b"IM"
    hdr = bytearray(le[:128])
    hdr[124:126] = struct.pack(">H", 0x0100)
    hdr[126:128] = b"MI"
    return bytes(hdr) + swap_elements(le, 128, len(le))


# ---------------------------------------------------------------- hand-built narrow file


def element(mi_type, payload, small_ok=True):
    n = len(payload)
    if small_ok and n <= 4:
        return struct.pack("<HH", mi_type, n) + payload.ljust(4, b"\0")
    return struct.pack("<II", mi_type, n) + payload + b"\0" * ((-n) % 8)


MX = {"double": 6, "single": 7, "int8": 8, "uint8": 9, "int16": 10, "uint16": 11,
      "int32": 12, "uint32": 13, "int64": 14, "uint64": 15, "logical": 9}
MI_OF = {"i1": 1, "u1": 2, "i2": 3, "u2": 4, "i4": 5, "u4": 6, "f4": 7, "f8": 9,
         "i8": 12, "u8": 13}


def matrix(spec, re_store, im_store=None):
    """miMATRIX element for `spec` with the real (imag) part stored as numpy dtype `re_store`."""
    shape = tuple(spec["shape"])
    flags = MX[spec["class"]]
    if spec["class"] == "logical":
        flags |= 0x0200
    if spec["complex"]:
        flags |= 0x0800
    body = element(6, struct.pack("<II", flags, 0), small_ok=False)
    body += element(5, struct.pack("<%di" % len(shape), *shape), small_ok=False)
    body += element(1, spec["name"].encode("ascii"))
    re = np.asarray(formula(shape, spec["re"]), dtype=np.float64)
    re_arr = re.astype(re_store)
    assert np.array_equal(re_arr.astype(np.float64), re)
    body += element(MI_OF[np.dtype(re_store).str[1:]], re_arr.tobytes(order="F"))
    if spec["complex"]:
        im = np.asarray(formula(shape, spec["im"]), dtype=np.float64)
        im_arr = im.astype(im_store)
        assert np.array_equal(im_arr.astype(np.float64), im)
        body += element(MI_OF[np.dtype(im_store).str[1:]], im_arr.tobytes(order="F"))
    return struct.pack("<II", 14, len(body)) + body


NARROW = [
    (var("du8", (4, 5), "double", [1, 10], 3), "<u1", None),
    (var("di16", (3, 4), "double", [-100, 7], 11), "<i2", None),
    (var("di32", (2, 3), "double", [100000, -3], 1), "<i4", None),
    (var("si8", (3, 2), "single", [-1, 5], 2), "<i1", None),
    (var("i32u8", (2, 2), "int32", [1, 2], 0), "<u1", None),
    (var("tiny", (1, 3), "uint8", [0, 1], 1), "<u1", None),  # 3 bytes: small data element
    (var("b", (1, 1), "double", [0, 0], 2), "<u1", None),  # 1 byte: small data element
    (var("cdn", (2, 3), "double", [1, 10], 0, im=([-1, 2], -4)), "<u1", "<i1"),
    (var("lg", (3, 3), "logical", [1, 2], 0, mod=2), "<u1", None),
]


def compact_json(obj):
    """Indented JSON with lists of numbers kept on one line."""
    text = json.dumps(obj, indent=1, sort_keys=True)
    text = re.sub(r"\[\s*(-?[\d.e+-]+(?:,\s*-?[\d.e+-]+)*)\s*\]",
                  lambda m: "[" + ", ".join(x.strip() for x in m.group(1).split(",")) + "]", text)
    return text + "\n"


def header(text):
    raw = text.encode("ascii").ljust(116, b" ")
    return raw + b"\0" * 8 + struct.pack("<H", 0x0100) + b"IM"


def main():
    if not os.path.isdir(OUT):
        os.makedirs(OUT)
    manifest = {
        "generator": "tests/reference/make_mat_v5_golden.py",
        "scipy": scipy.__version__,
        "numpy": np.__version__,
        "formula": "value = offset + sum_d coef[d] * i_d over 0-based indices i_d, then % mod "
                   "when mod is given; complex: re and im parts; logical: value != 0",
        "files": {},
    }

    data = {s["name"]: build(s) for s in NUMERIC}
    for fname, z in (("scipy.mat", False), ("scipy_z.mat", True)):
        path = os.path.join(OUT, fname)
        scipy.io.savemat(path, data, format="5", do_compression=z, oned_as="row")
        check_loaded(path, NUMERIC)
        manifest["files"][fname] = {"variables": NUMERIC, "skipped": [], "compressed": z}

    with open(os.path.join(OUT, "scipy.mat"), "rb") as f:
        be = to_big_endian(f.read())
    path = os.path.join(OUT, "scipy_be.mat")
    with open(path, "wb") as f:
        f.write(be)
    check_loaded(path, NUMERIC)
    manifest["files"]["scipy_be.mat"] = {"variables": NUMERIC, "skipped": [], "compressed": False,
                                         "big_endian": True}

    mixed = {s["name"]: build(s) for s in MIXED}
    mixed["st"] = {"a": np.float64(1.5), "b": "text", "c": np.arange(4, dtype=np.float32)}
    ce = np.empty((1, 3), dtype=object)
    ce[0, 0] = np.float64(2.0)
    ce[0, 1] = "two"
    ce[0, 2] = np.ones((2, 2), np.float32)
    mixed["ce"] = ce
    mixed["ch"] = "hello world"
    mixed["sp"] = scipy.sparse.csc_matrix(np.array([[0, 1.5, 0], [2.5, 0, 0]]))
    # insertion order: numeric, skipped kinds, numeric (x first, y last)
    ordered = {"x": mixed["x"], "st": mixed["st"], "ce": mixed["ce"], "ch": mixed["ch"],
               "sp": mixed["sp"], "y": mixed["y"]}
    for fname, z in (("scipy_mixed.mat", False), ("scipy_mixed_z.mat", True)):
        path = os.path.join(OUT, fname)
        scipy.io.savemat(path, ordered, format="5", do_compression=z, oned_as="row")
        check_loaded(path, MIXED)
        manifest["files"][fname] = {"variables": MIXED, "skipped": MIXED_SKIPPED, "compressed": z}

    blob = header("MATLAB 5.0 MAT-file, hand-built by cmrxkit make_mat_v5_golden.py "
                  "(narrowed storage types)")
    for spec, re_t, im_t in NARROW:
        blob += matrix(spec, re_t, im_t)
    path = os.path.join(OUT, "narrow.mat")
    with open(path, "wb") as f:
        f.write(blob)
    check_loaded(path, [s for s, _, _ in NARROW], strict_dtype=False)
    manifest["files"]["narrow.mat"] = {"variables": [s for s, _, _ in NARROW], "skipped": [],
                                       "compressed": False}

    with open(os.path.join(OUT, "scipy_manifest.json"), "w") as f:
        f.write(compact_json(manifest))
    total = 0
    for name in sorted(os.listdir(OUT)):
        size = os.path.getsize(os.path.join(OUT, name))
        total += size
        print("%-24s %7d bytes" % (name, size))
    print("total %d bytes" % total)
    return 0


if __name__ == "__main__":
    sys.exit(main())
