"""Self-ensemble over the problem's symmetries: a wrapper any registered model can be
exported in.

The model reconstructs the slice as acquired, mirrored along Y, X and both, and (with 8
members) the complex conjugate of each; the outputs are mapped back and averaged. Each
transformed problem is an exact re-statement of the measured one, not an interpolation:

- coil images are transformed, ``k' = F T F^-1 k`` (T: the array flip, then optionally the
  complex conjugate);
- the sensitivity maps are transformed the same way, ``s' = T s``, so ``k'`` is exactly
  what the scanner would measure of ``T x`` with maps ``T s``;
- ``F T F^-1`` only permutes k-space samples (times a unit phase, and a conjugation), so
  the sampled positions of ``k'`` are ``|F T F^-1 m| > 1/2`` for the mask ``m`` taken as
  complex data. This holds for odd and even sizes alike (for even sizes a mirrored mask is
  shifted by one line, which a plain ``m.flip`` would get wrong).

The members run as one batch of the model (an exported graph holds one copy of it).
Averaging the members cancels the part of a network's error that does not transform with
the data. On the held-out synthetic set it adds 0.3-0.7 dB PSNR to CRNN-MRI
(train/README.md), at 4 or 8 times the inference time.
"""

import torch
from torch import nn

from .fftc import complex_abs, fft2c, ifft2c
from .ops import mask_to_kspace

FLIPS = ((), (-3,), (-2,), (-3, -2))
"""Axes mirrored in each pass (on ``[..., Y, X, 2]`` tensors): none, Y, X, both."""

MEMBERS = {
    4: tuple((f, False) for f in FLIPS),
    8: tuple((f, c) for c in (False, True) for f in FLIPS),
}
"""Ensemble members by size: (mirrored axes, conjugated)."""


def conj(x: torch.Tensor) -> torch.Tensor:
    """Complex conjugate of ``[..., 2]``."""
    return torch.stack((x[..., 0], -x[..., 1]), dim=-1)


def transform_image(x: torch.Tensor, dims: tuple, conjugate: bool = False) -> torch.Tensor:
    """``T x`` of a complex ``[..., Y, X, 2]`` image: flipped along ``dims``, then conjugated
    (T is its own inverse)."""
    y = x.flip(list(dims)) if dims else x
    return conj(y) if conjugate else y


def mirror_kspace(kspace: torch.Tensor, dims: tuple, conjugate: bool = False) -> torch.Tensor:
    """k-space ``[..., Y, X, 2]`` of the coil images transformed by :func:`transform_image`."""
    return fft2c(transform_image(ifft2c(kspace), dims, conjugate))


def mirror_mask(mask: torch.Tensor, dims: tuple, conjugate: bool = False) -> torch.Tensor:
    """The sampling mask ``[..., Y, X]`` of :func:`mirror_kspace`'s output (0/1, same dtype)."""
    as_complex = torch.stack((mask, torch.zeros_like(mask)), dim=-1)
    moved = complex_abs(mirror_kspace(as_complex, dims, conjugate))
    return (moved > 0.5).to(mask.dtype)


class FlipEnsemble(nn.Module):
    """Runs ``model`` on the data as acquired and transformed (:data:`MEMBERS`: 4 = the
    flips, 8 = the flips and their conjugates) and averages the outputs mapped back. Same
    inputs and output as the model; no parameters of its own.

    ``members`` is 4, 8, or an explicit tuple of ``(dims, conjugate)``."""

    def __init__(self, model: nn.Module, members=4):
        super().__init__()
        if isinstance(members, int):
            if members not in MEMBERS:
                raise ValueError(f"self-ensemble size must be one of {sorted(MEMBERS)}, not "
                                 f"{members}")
            members = MEMBERS[members]
        self.model = model
        self.members = tuple((tuple(d), bool(c)) for d, c in members)

    def describe(self) -> str:
        inner = self.model.describe() if hasattr(self.model, "describe") else type(
            self.model).__name__
        what = "image flips (y, x)"
        if any(c for _, c in self.members):
            what = "image flips (y, x) and complex conjugation"
        return f"{inner}; self-ensemble over {len(self.members)} {what}"

    def forward(self, kspace: torch.Tensor, mask: torch.Tensor, sens: torch.Tensor) -> torch.Tensor:
        """``kspace [B,T,C,Y,X,2]``, ``mask [B,T,Y,X]``, ``sens [B,C,Y,X,2]`` -> ``[B,T,Y,X,2]``.

        The members are stacked along the batch axis and the model runs once on ``M * B``
        items (models keep batch items apart), so an exported graph holds one copy of the
        model, not M: export time and file size stay those of one pass, and the
        convolutions run on M times larger batches."""
        ks, ms, ss = [], [], []
        for dims, c in self.members:
            if not dims and not c:
                ks.append(kspace)
                ms.append(mask)
                ss.append(sens)
            else:
                m2 = mirror_mask(mask, dims, c)
                ks.append(mirror_kspace(kspace, dims, c) * mask_to_kspace(m2))
                ms.append(m2)
                ss.append(transform_image(sens, dims, c))
        out = self.model(torch.cat(ks), torch.cat(ms), torch.cat(ss))
        out = out.reshape((len(self.members), -1) + tuple(out.shape[1:]))
        total = None
        for i, (dims, c) in enumerate(self.members):
            back = transform_image(out[i], dims, c)
            total = back if total is None else total + back
        return total / len(self.members)
