"""A tiny dataset in the official CMRxRecon 2023 layout, written with h5py, for tests.

Not a phantom study: smooth moving blobs seen through smooth random coil maps (see
cmrxtrain.data.synthetic_slice); sizes default to 4 frames, 4 coils, 32 x 24 (ky x kx).
"""

import os

import h5py
import numpy as np

from cmrxtrain.data import fft2c_np, uniform_lines

COMPLEX = np.dtype([("real", "<f4"), ("imag", "<f4")])


def _coil_images(rng, nt, nc, ny, nx, nz):
    yy, xx = np.meshgrid(np.linspace(-1, 1, ny), np.linspace(-1, 1, nx), indexing="ij")
    out = np.zeros((nt, nz, nc, ny, nx), np.complex64)
    for z in range(nz):
        maps = [
            np.exp(-((yy - np.cos(c)) ** 2 + (xx - np.sin(c)) ** 2) / 2.0)
            * np.exp(1j * rng.uniform(-3, 3))
            for c in range(nc)
        ]
        for t in range(nt):
            r = 0.3 + 0.1 * np.sin(2 * np.pi * t / nt) + 0.05 * z
            img = (xx**2 / 0.6 + yy**2 <= 0.7) * 0.4 + ((xx - 0.1) ** 2 + yy**2 <= r**2)
            for c in range(nc):
                out[t, z, c] = img * maps[c]
    out += 0.01 * (rng.standard_normal(out.shape) + 1j * rng.standard_normal(out.shape))
    return out


def write_kspace(path, k, var="kspace_full"):
    """k: complex [T, Z, C, Y, X] (h5py order of MATLAB (kx, ky, coil, slice, frame))."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    a = np.empty(k.shape, COMPLEX)
    a["real"], a["imag"] = k.real, k.imag
    with h5py.File(path, "w") as f:
        f.create_dataset(var, data=a)


def write_dataset(root, patients=1, tasks=("cine",), nt=4, nc=4, ny=32, nx=24, nz=2,
                  accs=(4,), seed=0, split="TrainingSet", ncalib=12):
    """Writes FullSample k-space, AccFactor masks and (mapping) csv files under ``root``."""
    rng = np.random.default_rng(seed)
    files = {"cine": ["cine_sax", "cine_lax"], "mapping": ["T1map", "T2map"]}
    for task in tasks:
        tdir = {"cine": "Cine", "mapping": "Mapping"}[task]
        for p in range(1, patients + 1):
            pid = f"P{p:03d}"
            for stem in files[task]:
                frames = {"T1map": 9, "T2map": 3}.get(stem, nt)
                k = fft2c_np(_coil_images(rng, frames, nc, ny, nx, nz))
                if split == "TrainingSet":
                    base = os.path.join(root, "MultiCoil", tdir, split, "FullSample", pid)
                else:
                    base = os.path.join(root, "GroundTruth", "MultiCoil", tdir, split, "FullSample", pid)
                write_kspace(os.path.join(base, stem + ".mat"), k)
                for acc in accs:
                    mdir = os.path.join(root, "MultiCoil", tdir, split, f"AccFactor{acc:02d}", pid)
                    os.makedirs(mdir, exist_ok=True)
                    m = np.broadcast_to(uniform_lines(ny, acc, ncalib)[:, None], (ny, nx))
                    with h5py.File(os.path.join(mdir, f"{stem}_mask.mat"), "w") as f:
                        f.create_dataset(f"mask{acc:02d}", data=m.astype(np.float64))
                if stem == "T1map":
                    rows = ["Weighting," + ",".join(f"Slice{z + 1:02d}" for z in range(nz))]
                    rows += [f"TI{w + 1}," + ",".join(str(100 * (w + 1) + z) for z in range(nz))
                             for w in range(frames)]
                    with open(os.path.join(base, "T1map.csv"), "w") as f:
                        f.write("\n".join(rows) + "\n")
                if stem == "T2map":
                    with open(os.path.join(base, "T2map.csv"), "w") as f:
                        f.write("Weighting,T2prep_ms\nTE1,0\nTE2,35\nTE3,55\n")
    return root
