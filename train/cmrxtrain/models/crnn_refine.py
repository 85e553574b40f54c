"""CRNN with a lightweight refinement module, trained end to end.

Xue, Du, Carloni, Pachetti, Jordan, Tsaftaris, "Cine cardiac MRI reconstruction using a
convolutional recurrent network with refinement" (CMRxRecon 2023 challenge paper).

The backbone is CRNN-MRI (:class:`cmrxtrain.models.crnn_mri.CRNN`, imported, not re-written):
BCRNN-t-i, CRNN-i layers, residual, data consistency. Its output magnitude goes through a
refinement module modelled on the single-image super-resolution net Bicubic++ that the
paper cites: per frame,

* ``x0 = lrelu(conv3x3 stride 2 (|x|))`` (1 -> ``refine_chans``, half resolution: cheap),
* ``x1 = lrelu(conv3x3(x0))``, ``x2 = lrelu(conv3x3(x1)) + x0``,
* ``r = PixelShuffle(2)(conv3x3(x2))`` (``refine_chans`` -> 4 -> 1 channel at full size),
* output ``|x| + r`` (LeakyReLU slope 0.1; convs without bias, as Bicubic++).

The paper works on one magnitude channel; so does the module here. The model's complex
output is therefore ``(|x| + r, 0)``: cmrxkit takes its magnitude, as for every model.
Odd Y or X are zero-padded to even for the stride-2 / pixel-shuffle pair and cropped back.
Training end to end with the paper's loss is ``{"l1_split": 1, "ssim": 1}`` (the high-pass
split L1 plus SSIM on the magnitude; :mod:`cmrxtrain.losses`).

Paper set-up: 6 cascades, 64 channels (48 in their loss study), trained on all
accelerations together. Not reproduced: the paper's backbone has no weight sharing across
cascades and one extra BCRNN unit; the imported CRNN-MRI shares its weights across
iterations (Qin et al.'s original design).

Tensor contract: ``forward(kspace [B,T,C,Y,X,2], mask [B,T,Y,X], sens [B,C,Y,X,2]) ->
image [B,T,Y,X,2]``.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from ..fftc import complex_abs
from .crnn_mri import CRNN
from .crunet_mr import pad_to_multiple


class Refinement(nn.Module):
    """Bicubic++-style refinement of magnitude frames ``[N, 1, Y, X]`` (see the module docstring)."""

    def __init__(self, chans: int = 64, slope: float = 0.1):
        super().__init__()
        self.down = nn.Conv2d(1, chans, 3, stride=2, padding=1, bias=False)
        self.conv1 = nn.Conv2d(chans, chans, 3, padding=1, bias=False)
        self.conv2 = nn.Conv2d(chans, chans, 3, padding=1, bias=False)
        self.to_sub = nn.Conv2d(chans, 4, 3, padding=1, bias=False)
        self.shuffle = nn.PixelShuffle(2)
        self.act = nn.LeakyReLU(slope)

    def forward(self, mag: torch.Tensor) -> torch.Tensor:
        """``mag`` ``[N, 1, Y, X]`` -> refined ``[N, 1, Y, X]`` (input + learned residual)."""
        y, x = mag.shape[-2], mag.shape[-1]
        m = pad_to_multiple(mag, 2)
        x0 = self.act(self.down(m))
        x1 = self.act(self.conv1(x0))
        x2 = self.act(self.conv2(x1)) + x0
        r = self.shuffle(self.to_sub(x2))
        return (m + r)[:, :, :y, :x]


class CRNNRefine(nn.Module):
    """CRNN-MRI backbone + refinement module, one graph (end-to-end training).

    :param nf, ks, nc, nd, dc: the CRNN-MRI backbone's arguments (paper: 64, 3, 6, 5, hard)
    :param refine_chans: channels of the refinement module (64)
    :param temporal_wrap: the backbone's frames of circular temporal context (0 = the paper;
        an inference-time option, ``export --set temporal_wrap=3``)
    """

    FRAMES = 12
    """Frame count of an exported graph (cine)."""

    def __init__(
        self,
        nf: int = 64,
        ks: int = 3,
        nc: int = 6,
        nd: int = 5,
        dc: str = "hard",
        refine_chans: int = 64,
        temporal_wrap: int = 0,
    ):
        super().__init__()
        self.crnn = CRNN(nf=nf, ks=ks, nc=nc, nd=nd, dc=dc, temporal_wrap=temporal_wrap)
        self.refine = Refinement(refine_chans)
        self.refine_chans = refine_chans

    @classmethod
    def test_config(cls) -> dict:
        """Constructor arguments of a small, fast instance (tests, parity)."""
        return dict(nf=4, nc=2, nd=4, refine_chans=4)

    def describe(self) -> str:
        """One line for the manifest's ``architecture``."""
        return (
            "CRNN with refinement (Xue et al., CMRxRecon 2023): "
            + self.crnn.describe()
            + f"; Bicubic++-style magnitude refinement, width {self.refine_chans}, end to end"
        )

    def start_as_base(self) -> None:
        """Zero the refinement's last conv: the model then outputs the backbone's magnitude
        exactly (training from CRNN-MRI weights, :mod:`cmrxtrain.warmstart`). Its gradient
        is not zero (the other convs' outputs feed it), so the refinement still learns."""
        with torch.no_grad():
            self.refine.to_sub.weight.zero_()

    def forward(self, kspace: torch.Tensor, mask: torch.Tensor, sens: torch.Tensor) -> torch.Tensor:
        """Reconstruct ``[B, T, Y, X, 2]`` (real part = refined magnitude, imaginary part 0)."""
        x = self.crnn(kspace, mask, sens)
        mag = complex_abs(x, 1e-12)  # [B, T, Y, X]; eps keeps the gradient finite at 0
        r = self.refine(mag.flatten(0, 1).unsqueeze(1)).reshape(mag.shape)
        return torch.stack((r, torch.zeros_like(r)), dim=-1)
