"""CMRxRecon 2023 data for training: the official multi-coil layout read with h5py, one item
per slice (all frames or weightings), with the inputs exactly as cmrxkit feeds a model.

Layout (the official 2023 release; ``deno task synth`` writes the same)::

    ROOT/MultiCoil/Cine/TrainingSet/FullSample/P001/cine_sax.mat      kspace_full
    ROOT/MultiCoil/Cine/TrainingSet/AccFactor04/P001/cine_sax_mask.mat mask04
    ROOT/MultiCoil/Mapping/TrainingSet/FullSample/P001/T1map.mat       kspace_full
    ROOT/MultiCoil/Mapping/TrainingSet/FullSample/P001/T1map.csv       inversion times
    ROOT/GroundTruth/MultiCoil/Cine/ValidationSet/FullSample/P001/...  (synthetic sets only)

``kspace_full`` has MATLAB dims ``(kx, ky, coil, slice, frame)``, a compound {real, imag};
h5py shows the reversed ``[frame, slice, coil, ky, kx]``. Masks ``(kx, ky)`` appear as
``[ky, kx]``. Arrays here are row-major with the same letters as cmrxkit's manifests:
k-space ``[T, C, Y, X]``, images ``[T, Y, X]``, maps ``[C, Y, X]`` (Y = ky, X = kx).

An item (see :meth:`SliceDataset.item`) is a dict of float32 tensors:

- ``kspace [T, C, Y, X, 2]``: fully sampled k-space times the mask, divided by ``scale``;
- ``mask [T, Y, X]``: 0/1 (2023 masks are the same for every frame);
- ``sens [C, Y, X, 2]``: cmrxkit's default ACS/RSS coil maps (:func:`acs_rss_maps`);
- ``target [T, Y, X]``: RSS of the fully sampled coil images / scale (what is scored);
- ``target_complex [T, Y, X, 2]``: ``sum_c conj(S_c) x_c / scale``;
- ``kspace_full [T, C, Y, X, 2]`` (only with ``with_full=True``), / scale;
- ``scale``: max of the zero-filled RSS magnitude of the slice (cmrxkit's "max"
  normalisation); ``times [T]``: TI / TE in ms (mapping; zeros for cine);
- ``meta``: file, slice, acc, view, patient.
"""

import csv
import os

import h5py
import numpy as np
import torch

class DataError(Exception):
    """A problem with the data on disk: the message names the file and what to do."""

    def __init__(self, message: str, file: str = "", hint: str = ""):
        text = message
        if file:
            text += f" [{file}]"
        if hint:
            text += f" (hint: {hint})"
        super().__init__(text)
        self.file = file
        self.hint = hint


# ----------------------------------------------------------------------------------------
# Centred FFT (numpy), masks
# ----------------------------------------------------------------------------------------


def fft2c_np(x: np.ndarray) -> np.ndarray:
    """Centred orthonormal 2-D FFT over the last two axes (MATLAB ``fftshift(fft2(ifftshift))``)."""
    ax = (-2, -1)
    return np.fft.fftshift(np.fft.fft2(np.fft.ifftshift(x, axes=ax), norm="ortho"), axes=ax)


def ifft2c_np(x: np.ndarray) -> np.ndarray:
    """Centred orthonormal 2-D inverse FFT over the last two axes."""
    ax = (-2, -1)
    return np.fft.fftshift(np.fft.ifft2(np.fft.ifftshift(x, axes=ax), norm="ortho"), axes=ax)


def uniform_lines(ny: int, r: int, ncalib: int = 24) -> np.ndarray:
    """The organisers' uniform pattern as a 0/1 vector over ky: lines 0, r, 2r, ... plus
    ``ncalib`` central lines starting at ``ny//2 - ncalib//2`` (cmrxkit's ``uniformLines``)."""
    lines = np.zeros(ny, dtype=np.float32)
    lines[::r] = 1
    start = ny // 2 - ncalib // 2
    lines[max(0, start) : min(ny, start + ncalib)] = 1
    return lines


def acs_range(lines: np.ndarray) -> tuple:
    """Longest run of sampled lines containing the centre line ``ny//2``: ``(start, end)``,
    end exclusive; empty (``(c, c)``) when the centre is not sampled."""
    ny = len(lines)
    c = ny // 2
    if not lines[c]:
        return (c, c)
    s, e = c, c + 1
    while s > 0 and lines[s - 1]:
        s -= 1
    while e < ny and lines[e]:
        e += 1
    return (s, e)


# ----------------------------------------------------------------------------------------
# Coil sensitivities: cmrxkit's default ACS/RSS maps (src/kspace/coils/)
# ----------------------------------------------------------------------------------------


def tukey(n: int, alpha: float) -> np.ndarray:
    """Symmetric Tukey window sampled at cell centres (no zero samples); alpha 1 = Hann."""
    w = np.ones(n)
    a = min(1.0, max(0.0, alpha))
    if a == 0 or n < 2:
        return w
    u = (np.arange(n) + 0.5) / n
    edge = np.minimum(u, 1 - u)
    taper = edge < a / 2
    w[taper] = 0.5 * (1 - np.cos(2 * np.pi * edge[taper] / a))
    return w


def time_averaged_kspace(kspace: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean over frames of undersampled k-space ``[T, C, Y, X]`` at each sampled location
    (unsampled locations 0). ``mask`` is ``[Y, X]`` (same every frame) or ``[T, Y, X]``."""
    nt = kspace.shape[0]
    m = mask if mask.ndim == 3 else np.broadcast_to(mask, (nt,) + mask.shape)
    count = (m != 0).sum(axis=0).astype(np.float64)
    acc = kspace.astype(np.complex128).sum(axis=0)
    out = np.zeros_like(acc)
    np.divide(acc, count, out=out, where=count > 0)
    return out


def _virtual_coil(k: np.ndarray, xs: slice, ys: slice) -> np.ndarray:
    """First principal component of the coil covariance of a k-space region, normalised
    with its first element real and >= 0."""
    x = k[:, ys, xs].reshape(k.shape[0], -1)
    cov = x @ x.conj().T
    _, vecs = np.linalg.eigh(cov)
    v = vecs[:, -1]
    m = abs(v[0])
    return v * (np.conj(v[0]) / m if m > 0 else 1.0)


def acs_rss_maps(
    kspace: np.ndarray,
    acs: tuple,
    taper: float = 1.0,
    kx_width: int = None,
    epsilon: float = 0.02,
    normalize_phase: bool = True,
) -> np.ndarray:
    """Low-resolution ACS/RSS coil maps ``[C, Y, X]`` complex from k-space ``[C, Y, X]``.

    The ACS band ``acs = (y0, y1)`` and a centred kx window of width ``kx_width`` (default
    ``2 (y1 - y0)``, at most X) are Tukey-windowed (``taper``), the rest zeroed; the coil
    images are divided by ``sqrt(rss^2 + (epsilon max rss)^2)``; then each pixel's coil
    vector is rotated so that its projection on the virtual body coil is real and positive.
    The same formula as cmrxkit's ``acsRssMaps`` with its defaults.
    """
    nc, ny, nx = kspace.shape
    y0, y1 = acs
    if y1 - y0 < 1:
        raise DataError(f"acs_rss_maps: empty ACS band {acs}")
    kxw = min(nx, max(1, int(round(kx_width if kx_width is not None else 2 * (y1 - y0)))))
    x0 = nx // 2 - kxw // 2
    win = tukey(y1 - y0, taper)[:, None] * tukey(kxw, taper)[None, :]
    low = np.zeros((nc, ny, nx), dtype=np.complex128)
    low[:, y0:y1, x0 : x0 + kxw] = kspace[:, y0:y1, x0 : x0 + kxw] * win
    low = ifft2c_np(low)
    r = np.sqrt((np.abs(low) ** 2).sum(axis=0))
    inv = np.where(r > 0, 1.0 / np.sqrt(r**2 + (epsilon * r.max()) ** 2), 0.0)
    maps = low * inv
    if normalize_phase:
        w = _virtual_coil(kspace, slice(x0, x0 + kxw), slice(y0, y1))
        s = np.einsum("c,cyx->yx", w.conj(), maps)
        mag = np.abs(s)
        rot = np.where(mag > 0, np.conj(s) / np.where(mag > 0, mag, 1), 1)
        maps = maps * rot
    return maps


MIN_ACS_LINES = 8


def sensitivity_maps(kspace: np.ndarray, mask: np.ndarray, file: str = "") -> np.ndarray:
    """cmrxkit's default coil maps of one slice (``sensitivityMaps(input, "acs")``): the
    time average of the undersampled k-space ``[T, C, Y, X]``, the ACS band (central lines
    sampled in every frame), :func:`acs_rss_maps`. ``mask`` ``[Y, X]`` or ``[T, Y, X]``.
    Returns ``[C, Y, X]`` complex128."""
    m = mask if mask.ndim == 3 else mask[None]
    lines = np.all((m != 0).any(axis=-1), axis=0).astype(np.uint8)
    acs = acs_range(lines)
    if acs[1] - acs[0] < MIN_ACS_LINES:
        raise DataError(
            f"the mask has no ACS band ({acs[1] - acs[0]} contiguous central lines)",
            file,
            "coil maps need at least 8 fully sampled central ky lines",
        )
    return acs_rss_maps(time_averaged_kspace(kspace, mask), acs)


# ----------------------------------------------------------------------------------------
# Files
# ----------------------------------------------------------------------------------------

_FILES = {
    "cine": (("cine_sax", "sax"), ("cine_lax", "lax")),
    "mapping": (("T1map", "T1"), ("T2map", "T2")),
}


def _task_dir(task: str) -> str:
    return {"cine": "Cine", "mapping": "Mapping"}[task]


def full_sample_dir(root: str, task: str, split: str, coils: str = "MultiCoil") -> str:
    """Folder of the fully sampled patients: ``ROOT/<coils>/<Task>/TrainingSet/FullSample``
    for training, ``ROOT/GroundTruth/<coils>/<Task>/ValidationSet/FullSample`` otherwise."""
    if split == "TrainingSet":
        return os.path.join(root, coils, _task_dir(task), split, "FullSample")
    return os.path.join(root, "GroundTruth", coils, _task_dir(task), split, "FullSample")


def discover(
    root: str, tasks=("cine",), split: str = "TrainingSet", views=None, coil: str = "MultiCoil"
) -> list:
    """Fully sampled files under ``root``: a list of dicts {file, task, view, stem, patient,
    split, root, coil, slices, frames, ny, nx, coils}, sorted by task, patient, view.

    :param coil: the track, ``MultiCoil`` or ``SingleCoil`` (2023 ``kspace_single_full``,
        MATLAB ``(kx, ky, slice, frame)``, read as one coil)
    :raises DataError: when no file is found (naming the folders looked in)
    """
    if coil not in COIL_TRACKS:
        raise DataError(f"unknown coil track {coil!r}", root, "use MultiCoil or SingleCoil")
    found, looked = [], []
    for task in tasks:
        base = full_sample_dir(root, task, split, coil)
        looked.append(base)
        if not os.path.isdir(base):
            continue
        for patient in sorted(p for p in os.listdir(base) if not p.startswith(".")):
            for stem, view in _FILES[task]:
                if views and view not in views:
                    continue
                path = os.path.join(base, patient, stem + ".mat")
                if not os.path.isfile(path):
                    continue
                shape = _kspace_shape(path)
                found.append(
                    dict(
                        file=path,
                        task=task,
                        view=view,
                        stem=stem,
                        patient=patient,
                        split=split,
                        root=root,
                        coil=coil,
                        frames=shape[0],
                        slices=shape[1],
                        coils=shape[2],
                        ny=shape[3],
                        nx=shape[4],
                    )
                )
    if not found:
        raise DataError(
            "no fully sampled k-space files found",
            ", ".join(looked),
            f"give --data the dataset root (the folder holding {coil}/); make one with "
            "'deno task synth --out DIR --task both"
            + (" --coil single'" if coil == "SingleCoil" else "'"),
        )
    return found


def _open(path: str) -> h5py.File:
    try:
        return h5py.File(path, "r")
    except OSError as e:
        raise DataError(
            f"cannot open as MATLAB v7.3 (HDF5): {e}", path, "check the file is complete"
        ) from e


COIL_TRACKS = ("MultiCoil", "SingleCoil")


def _kspace_shape(path: str) -> tuple:
    """``(frame, slice, coil, ky, kx)``; a single-coil file (``kspace_single_*``, h5py
    ``[frame, slice, ky, kx]``) has one coil."""
    with _open(path) as f:
        name = _kspace_var(f, path)
        shape = f[name].shape
    if "single" in name:
        if len(shape) != 4:
            raise DataError(
                f"single-coil k-space {name} has {len(shape)} dims {shape}, expected 4 (frame, "
                "slice, ky, kx as h5py shows MATLAB's (kx, ky, slice, frame))",
                path,
                "the 2023 SingleCoil files hold kspace_single_full without a coil dim",
            )
        return (shape[0], shape[1], 1, shape[2], shape[3])
    if len(shape) != 5:
        raise DataError(
            f"k-space has {len(shape)} dims {shape}, expected 5 (frame, slice, coil, ky, kx "
            "as h5py shows MATLAB's (kx, ky, coil, slice, frame))",
            path,
            "this reader takes 2023 multi-coil files (and single-coil ones with 4 dims)",
        )
    return shape


def _kspace_var(f: h5py.File, path: str) -> str:
    for name in f.keys():
        if name.startswith("kspace"):
            return name
    raise DataError(
        f"no k-space variable (kspace_full / kspace_subXX); variables: {list(f.keys())}", path
    )


def read_kspace_slice(path: str, z: int) -> np.ndarray:
    """K-space of slice ``z``: complex64 ``[T, C, Y, X]`` (h5py order of MATLAB's
    ``(kx, ky, coil, slice, frame)`` with the slice picked; single-coil files, MATLAB
    ``(kx, ky, slice, frame)``, give ``C = 1``)."""
    with _open(path) as f:
        name = _kspace_var(f, path)
        d = f[name]
        raw = d[:, z]
        if "single" in name and raw.ndim == 3:
            raw = raw[:, None]
    if raw.dtype.names and "real" in raw.dtype.names:
        out = raw["real"].astype(np.complex64)
        out.imag = raw["imag"]
        return out
    return raw.astype(np.complex64)


def mask_file(info: dict, acc: int) -> str:
    """The mask file of a fully sampled file at acceleration ``acc`` in the official layout
    (``.../AccFactorXX/Pxxx/<stem>_mask.mat``), whether or not it exists."""
    coil = info.get("coil", "MultiCoil")
    task_root = os.path.join(info["root"], coil, _task_dir(info["task"]), info["split"])
    return os.path.join(task_root, f"AccFactor{acc:02d}", info["patient"], info["stem"] + "_mask.mat")


def read_mask_lines(path: str, acc: int, ny: int, nx: int) -> np.ndarray:
    """The sampled ky lines (0/1 ``[Y]``) of a 2023 mask file (variable ``maskXX``, MATLAB
    ``(kx, ky)``, h5py ``[ky, kx]``; any numeric type, non-zero = sampled)."""
    with _open(path) as f:
        name = f"mask{acc:02d}"
        if name not in f:
            names = [k for k in f.keys() if k.startswith("mask")]
            if len(names) != 1:
                raise DataError(f"no variable {name} in the mask file", path)
            name = names[0]
        m = np.asarray(f[name])
    if m.shape != (ny, nx):
        raise DataError(
            f"mask dims {m.shape[::-1]} (kx, ky) do not match the k-space ({nx}, {ny})", path
        )
    return (m != 0).any(axis=1).astype(np.float32)


def read_times(info: dict, z: int, frames: int) -> np.ndarray:
    """TI (T1map.csv, per slice) or TE (T2map.csv) in ms for slice ``z``: ``[frames]``
    float32. Looks beside the k-space file, then in the AccFactor folders.

    :raises DataError: when no csv is found or it has too few rows
    """
    stem = info["stem"]
    cands = [os.path.join(os.path.dirname(info["file"]), stem + ".csv")]
    for acc in (4, 8, 10):
        cands.append(mask_file(info, acc).replace("_mask.mat", ".csv"))
    path = next((p for p in cands if os.path.isfile(p)), None)
    if path is None:
        raise DataError(
            f"no {stem}.csv with the inversion/echo times", cands[0],
            "the 2023 release ships T1map.csv / T2map.csv in every mapping patient folder",
        )
    with open(path, newline="") as fh:
        rows = [r for r in csv.reader(fh) if r]
    body = rows[1:]
    col = 1 + (z if stem == "T1map" and len(rows[0]) > 2 else 0)
    try:
        times = [float(r[col]) for r in body[:frames]]
    except (IndexError, ValueError) as e:
        raise DataError(f"cannot read column {col} of the times: {e}", path) from e
    if len(times) < frames:
        raise DataError(f"{len(times)} times for {frames} weightings", path)
    return np.asarray(times, dtype=np.float32)


# ----------------------------------------------------------------------------------------
# Items
# ----------------------------------------------------------------------------------------


def _c2r(x: np.ndarray) -> torch.Tensor:
    """complex ndarray -> float32 tensor with a trailing (re, im) axis."""
    return torch.from_numpy(np.stack((x.real, x.imag), axis=-1).astype(np.float32))


def make_item(
    full: np.ndarray,
    lines: np.ndarray,
    crop_x: int = None,
    crop_at: int = None,
    with_full: bool = False,
) -> dict:
    """The model inputs and targets of one slice from its fully sampled k-space.

    :param full: complex ``[T, C, Y, X]`` fully sampled k-space
    :param lines: 0/1 ``[Y]`` sampled ky lines
    :param crop_x: keep ``crop_x`` readout pixels (image domain) starting at ``crop_at``
        (a patch along the fully sampled readout, as CRNN-MRI trains); maps and scale are
        computed on the whole slice first, as cmrxkit does at inference
    :returns: the item dict of the module docstring (without meta/times)
    """
    nt, nc, ny, nx = full.shape
    mask2 = np.broadcast_to(lines[:, None], (ny, nx)).astype(np.float32)
    under = full * mask2
    sens = sensitivity_maps(under, mask2)
    zf = np.sqrt((np.abs(ifft2c_np(under)) ** 2).sum(axis=1))
    scale = float(zf.max())
    if not scale > 0:
        scale = 1.0
    coil = ifft2c_np(full)
    if crop_x is not None and crop_x < nx:
        x0 = (nx - crop_x) // 2 if crop_at is None else crop_at
        coil = coil[..., x0 : x0 + crop_x]
        sens = sens[..., x0 : x0 + crop_x]
        full = fft2c_np(coil)
        mask2 = mask2[:, x0 : x0 + crop_x]
        under = full * mask2
    target = np.sqrt((np.abs(coil) ** 2).sum(axis=1)) / scale
    target_c = np.einsum("tcyx,cyx->tyx", coil, sens.conj()) / scale
    item = dict(
        kspace=_c2r(under / scale),
        mask=torch.from_numpy(np.ascontiguousarray(np.broadcast_to(mask2, (nt,) + mask2.shape))),
        sens=_c2r(sens),
        target=torch.from_numpy(target.astype(np.float32)),
        target_complex=_c2r(target_c),
        scale=torch.tensor(scale, dtype=torch.float32),
    )
    if with_full:
        item["kspace_full"] = _c2r(full / scale)
    return item


class SliceDataset:
    """Slices of the fully sampled files of a CMRxRecon-layout dataset.

    Training items (``train=True``) pick a random acceleration from ``accs``, random flips
    along Y and X (``flip``), random conjugation (``conj``) and a random readout patch
    (``crop_x``); validation items cover every (slice, acc) pair, whole, in a fixed order.

    :param root: dataset root (the folder holding ``MultiCoil/`` or ``SingleCoil/``)
    :param coil: the track, ``MultiCoil`` (default) or ``SingleCoil`` (items with ``C = 1``;
        the coil map is cmrxkit's map of one coil, as it computes at inference)
    :param tasks: ``("cine",)``, ``("mapping",)`` or both
    :param split: ``TrainingSet`` or ``ValidationSet`` (ground truth of synthetic sets)
    :param views: restrict to these views (``sax``, ``lax``, ``T1``, ``T2``)
    :param accs: accelerations; masks come from the AccFactor folders when present, else the
        organisers' rule (every R-th line + 24 central lines)
    :param patients: restrict to these patient folder names
    :param crop_x: train on readout patches of this width (image domain)
    :param crop_center: draw the patches inside the central ``crop_center`` readout pixels
        (default: anywhere)
    :param flip: random flips along Y and X (training)
    :param conj: random complex conjugation of the image (training); with ``flip`` this
        covers all 8 members of the export's self-ensemble (``--self-ensemble 8``)
    :param with_full: also return the fully sampled k-space (for k-space losses)
    """

    def __init__(
        self,
        root: str,
        tasks=("cine",),
        split: str = "TrainingSet",
        views=None,
        accs=(4, 8, 10),
        patients=None,
        train: bool = True,
        crop_x: int = None,
        crop_center: int = None,
        flip: bool = False,
        conj: bool = False,
        with_full: bool = False,
        coil: str = "MultiCoil",
    ):
        files = discover(root, tasks, split, views, coil)
        if patients:
            files = [f for f in files if f["patient"] in set(patients)]
        self.files = files
        self.slices = [(fi, z) for fi, f in enumerate(files) for z in range(f["slices"])]
        self.accs = tuple(int(a) for a in accs)
        self.train = train
        self.crop_x = crop_x
        self.crop_center = crop_center
        self.flip = flip
        self.conj = conj
        self.with_full = with_full
        self._lines = {}

    def __len__(self) -> int:
        """Slices (training) or slice x acceleration pairs (validation)."""
        return len(self.slices) * (1 if self.train else len(self.accs))

    def lines(self, info: dict, acc: int) -> np.ndarray:
        """Sampled ky lines of a file at ``acc`` (mask file, else the organisers' rule)."""
        key = (info["file"], acc)
        if key not in self._lines:
            path = mask_file(info, acc)
            if os.path.isfile(path):
                self._lines[key] = read_mask_lines(path, acc, info["ny"], info["nx"])
            else:
                self._lines[key] = uniform_lines(info["ny"], acc)
        return self._lines[key]

    def item(self, index: int, rng: np.random.Generator = None) -> dict:
        """Item ``index``; ``rng`` draws the training randomness (acc, flips, patch)."""
        if self.train:
            fi, z = self.slices[index]
            rng = rng or np.random.default_rng()
            acc = self.accs[int(rng.integers(len(self.accs)))]
        else:
            fi, z = self.slices[index // len(self.accs)]
            acc = self.accs[index % len(self.accs)]
        info = self.files[fi]
        full = read_kspace_slice(info["file"], z)
        lines = self.lines(info, acc)
        crop_x, crop_at = None, None
        if self.train:
            if self.flip or self.conj:
                # flips and conjugation in the image domain, done on the fully sampled data
                # before masking (the draws for flips come first, as in runs without conj)
                coil = ifft2c_np(full)
                if self.flip:
                    if rng.random() < 0.5:
                        coil = coil[..., ::-1, :]
                    if rng.random() < 0.5:
                        coil = coil[..., ::-1]
                if self.conj and rng.random() < 0.5:
                    coil = coil.conj()
                full = fft2c_np(np.ascontiguousarray(coil))
            if self.crop_x and self.crop_x < info["nx"]:
                nx = info["nx"]
                crop_x = int(self.crop_x)
                # patch start drawn so the patch lies in the central crop_center pixels
                span = min(nx, max(crop_x, int(self.crop_center or nx)))
                lo = (nx - span) // 2
                crop_at = lo + int(rng.integers(span - crop_x + 1))
        out = make_item(full, lines, crop_x, crop_at, self.with_full)
        nt = full.shape[0]
        times = (
            read_times(info, z, nt) if info["task"] == "mapping" else np.zeros(nt, np.float32)
        )
        out["times"] = torch.from_numpy(times)
        out["meta"] = dict(
            file=info["file"],
            slice=z,
            acc=acc,
            view=info["view"],
            task=info["task"],
            patient=info["patient"],
        )
        return out


def batch_of(item: dict, device="cpu") -> dict:
    """A batch of one item: tensors get a leading axis of 1 and move to ``device``."""
    out = {}
    for k, v in item.items():
        out[k] = v.unsqueeze(0).to(device) if isinstance(v, torch.Tensor) else v
    return out


def synthetic_slice(
    nt: int = 4, nc: int = 4, ny: int = 32, nx: int = 24, acc: int = 4, seed: int = 0,
    ncalib: int = 12,
) -> dict:
    """A tiny synthetic slice for tests (not a phantom study: smooth blobs moving over time,
    smooth random coil maps): the item dict of :func:`make_item` plus ``meta``."""
    rng = np.random.default_rng(seed)
    yy, xx = np.meshgrid(np.linspace(-1, 1, ny), np.linspace(-1, 1, nx), indexing="ij")
    img = np.zeros((nt, ny, nx), np.complex128)
    for t in range(nt):
        phase = 2 * np.pi * t / nt
        r = 0.35 + 0.08 * np.sin(phase)
        img[t] = (xx**2 / 0.6 + yy**2 <= 0.7).astype(float) * 0.5
        img[t] += ((xx - 0.1) ** 2 + (yy + 0.05) ** 2 <= r**2).astype(float)
        img[t] *= np.exp(1j * 0.3 * xx)
    maps = np.zeros((nc, ny, nx), np.complex128)
    for c in range(nc):
        cy, cx = np.cos(2 * np.pi * c / nc), np.sin(2 * np.pi * c / nc)
        maps[c] = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 2.0) * np.exp(
            1j * rng.uniform(-np.pi, np.pi)
        )
    coil = img[:, None] * maps[None] + 0.01 * (
        rng.standard_normal((nt, nc, ny, nx)) + 1j * rng.standard_normal((nt, nc, ny, nx))
    )
    full = fft2c_np(coil)
    item = make_item(full, uniform_lines(ny, acc, ncalib))
    item["times"] = torch.zeros(nt)
    item["meta"] = dict(file="synthetic", slice=0, acc=acc, view="sax", task="cine", patient="P000")
    return item
