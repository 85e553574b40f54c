"""Relaxometry-guided variational network for T1/T2 mapping (Zhao, Zhang, Tao, STACOM 2023,
"Relaxometry Guided Quantitative Cardiac Magnetic Resonance Image Reconstruction").

Two networks:

* the reconstruction network (``VNUNet``, "VN-UNet" in the paper): ``num_layers`` unrolled
  gradient-descent layers on the coil-combined image of all weightings,

      x_{k+1} = x_k - eta_k * A^H (A x_k - y) - G_k(x_k),      A = mask * fft2c * sens,

  with a learned step ``eta_k`` per layer and a separate U-Net ``G_k`` per layer (no weight
  sharing) that sees the T complex weightings as 2T channels. ``x_0 = A^H y`` (the SENSE-1
  combination of the zero-filled coil images). This is the exported graph.
* the mapping network ``M`` (``MappingNet``): a U-Net that takes the T magnitude images and
  their inversion / echo times and predicts the relaxometry parameters per pixel, (A, B, T1*)
  for MOLLI T1 (``|A - B exp(-TI/T1*)|``) or (A, T2) for T2-prep (``A exp(-TE/T2)``). It is
  trained unsupervised with the signal models (``cmrxtrain.relax``) and only guides the
  reconstruction's training; it is not part of the exported graph.

``RelaxVN`` holds both and is what the registry builds; its ``forward`` is the reconstruction
(the cmrxkit tensor contract), its ``loss`` hook runs the two-stage schedule of
``cmrxtrain.relax`` (pre-train ``M`` on fully sampled images, then freeze it and train the
reconstruction with the joint loss).

Paper defaults: 10 unrolled layers; mapping U-Net 256 base filters, 1 pooling layer. The paper
does not give the regulariser U-Net's width; the defaults (18 filters, 4 pooling layers) are
those of DIRECT's end-to-end VarNet, on which the authors' VN-UNet builds.

Tensors (row-major, outermost first; complex as a trailing axis of 2):
kspace ``[B, T, C, Y, X, 2]``, mask ``[B, T, Y, X]``, sens ``[B, C, Y, X, 2]``, image
``[B, T, Y, X, 2]``, magnitudes ``[B, T, Y, X]``, times ``[B, T]`` (ms), parameter maps
``[B, P, Y, X]``.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..fftc import complex_mul, complex_mul_conj, fft2c, ifft2c
from ..ops import mask_to_kspace

# Time unit of the mapping network's inputs and outputs, per view (ms): times are fed as
# t / TIME_SCALE and T1* (T2) come out in these units, so that everything is O(1).
TIME_SCALE = {"T1": 1000.0, "T2": 100.0}


def forward_op(image: torch.Tensor, mask: torch.Tensor, sens: torch.Tensor) -> torch.Tensor:
    """A x = mask * fft2c(sens * x): image [B, T, Y, X, 2] -> k-space [B, T, C, Y, X, 2]."""
    coil = complex_mul(image.unsqueeze(2), sens.unsqueeze(1))
    return mask_to_kspace(mask) * fft2c(coil)


def adjoint_op(kspace: torch.Tensor, mask: torch.Tensor, sens: torch.Tensor) -> torch.Tensor:
    """A^H y = sum_c conj(S_c) ifft2c(mask * y_c): k-space [B, T, C, Y, X, 2] -> [B, T, Y, X, 2]."""
    coil = ifft2c(mask_to_kspace(mask) * kspace)
    return complex_mul_conj(coil, sens.unsqueeze(1)).sum(dim=2)


class ConvBlock(nn.Module):
    """Two (3x3 conv, instance norm, LeakyReLU 0.2) layers."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(cin, cout, 3, padding=1, bias=False),
            nn.InstanceNorm2d(cout),
            nn.LeakyReLU(0.2),
            nn.Conv2d(cout, cout, 3, padding=1, bias=False),
            nn.InstanceNorm2d(cout),
            nn.LeakyReLU(0.2),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


class UNet2d(nn.Module):
    """Plain 2-D U-Net: ``pools`` average-pool levels with channel doubling, 2x2 transposed-conv
    upsampling (padded to the skip's size, so any Y, X works without padding the input), skip
    concatenation, and a 1x1 output conv.

    ``x [N, cin, Y, X] -> [N, cout, Y, X]``.
    """

    def __init__(self, cin: int, cout: int, chans: int, pools: int):
        super().__init__()
        self.down = nn.ModuleList([ConvBlock(cin, chans)])
        ch = chans
        for _ in range(pools - 1):
            self.down.append(ConvBlock(ch, ch * 2))
            ch *= 2
        self.bottom = ConvBlock(ch, ch * 2) if pools > 0 else None
        self.ups = nn.ModuleList()
        self.up_blocks = nn.ModuleList()
        for _ in range(pools):
            self.ups.append(
                nn.Sequential(
                    nn.ConvTranspose2d(ch * 2, ch, 2, stride=2, bias=False),
                    nn.InstanceNorm2d(ch),
                    nn.LeakyReLU(0.2),
                )
            )
            self.up_blocks.append(ConvBlock(ch * 2, ch))
            ch //= 2
        self.out = nn.Conv2d(chans, cout, 1)
        self.pools = pools

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.pools == 0:
            return self.out(self.down[0](x))
        skips = []
        for block in self.down:
            x = block(x)
            skips.append(x)
            x = F.avg_pool2d(x, 2)
        x = self.bottom(x)
        for up, block in zip(self.ups, self.up_blocks):
            skip = skips.pop()
            x = up(x)
            # odd sizes: the upsampled map is one short; replicate its last row / column
            dy = skip.shape[-2] - x.shape[-2]
            dx = skip.shape[-1] - x.shape[-1]
            x = F.pad(x, [0, dx, 0, dy], mode="replicate")
            x = block(torch.cat((x, skip), dim=1))
        return self.out(x)


def image_to_channels(x: torch.Tensor) -> torch.Tensor:
    """[B, T, Y, X, 2] -> [B, 2T, Y, X] (re, im of each weighting next to each other)."""
    b, t, y, xx, _ = x.shape
    return x.permute(0, 1, 4, 2, 3).reshape(b, t * 2, y, xx)


def channels_to_image(x: torch.Tensor) -> torch.Tensor:
    """[B, 2T, Y, X] -> [B, T, Y, X, 2]."""
    b, c, y, xx = x.shape
    return x.reshape(b, c // 2, 2, y, xx).permute(0, 1, 3, 4, 2)


class VNUNet(nn.Module):
    """Unrolled gradient descent with a U-Net regulariser per layer (the exported network).

    ``forward(kspace [B,T,C,Y,X,2], mask [B,T,Y,X], sens [B,C,Y,X,2]) -> image [B,T,Y,X,2]``.
    """

    def __init__(self, frames: int, num_layers: int = 10, chans: int = 18, pools: int = 4,
                 eta_init: float = 1.0):
        super().__init__()
        self.frames = frames
        self.regularisers = nn.ModuleList(
            [UNet2d(2 * frames, 2 * frames, chans, pools) for _ in range(num_layers)]
        )
        # Start as plain gradient descent (Landweber from the zero-filled image): the
        # regularisers' output convs begin at zero instead of adding random images.
        for reg in self.regularisers:
            nn.init.zeros_(reg.out.weight)
            nn.init.zeros_(reg.out.bias)
        self.eta = nn.Parameter(torch.full((num_layers,), float(eta_init)))

    def forward(self, kspace: torch.Tensor, mask: torch.Tensor, sens: torch.Tensor) -> torch.Tensor:
        x = adjoint_op(kspace, mask, sens)
        for k, reg in enumerate(self.regularisers):
            grad = adjoint_op(forward_op(x, mask, sens) - kspace, mask, sens)
            x = x - self.eta[k] * grad - channels_to_image(reg(image_to_channels(x)))
        return x


class MappingNet(nn.Module):
    """U-Net ``M`` predicting relaxometry parameters from magnitude images and their times.

    Input channels: the T magnitudes and the T times (``t / TIME_SCALE[view]``, constant
    planes), 2T in all, as in the authors' mapping net (18 channels for MOLLI). Outputs, all
    positive through softplus and in scaled units (times in ``TIME_SCALE[view]`` ms):

    * T1: ``[A, B, T1*]`` with ``B = A * (1 + softplus(.))`` so that ``B > A`` and
      ``T1 = T1* (B/A - 1) > 0``;
    * T2: ``[A, T2]``.

    ``forward(mag [B,T,Y,X], times [B,T] ms) -> params [B, 3 or 2, Y, X]``.
    """

    def __init__(self, view: str, frames: int, chans: int = 256, pools: int = 1):
        super().__init__()
        if view not in TIME_SCALE:
            raise ValueError(f"MappingNet: view must be T1 or T2, got {view!r}")
        self.view = view
        self.frames = frames
        self.nparams = 3 if view == "T1" else 2
        self.unet = UNet2d(2 * frames, self.nparams, chans, pools)

    def forward(self, mag: torch.Tensor, times: torch.Tensor) -> torch.Tensor:
        tt = (times / TIME_SCALE[self.view])[:, :, None, None].expand_as(mag)
        out = self.unet(torch.cat((mag, tt), dim=1))
        p = F.softplus(out)
        if self.view == "T1":
            a = p[:, 0:1]
            return torch.cat((a, a * (1.0 + p[:, 1:2]), p[:, 2:3]), dim=1)
        return p


class RelaxVN(nn.Module):
    """VN-UNet reconstruction + relaxometry mapping network, trained in two stages.

    ``forward`` is the reconstruction (cmrxkit's contract); ``mapping`` is the training aid.
    The stage (``set_stage``) selects what ``loss`` trains: ``"mapping"`` (pre-train ``M``
    unsupervised on the fully sampled images; the reconstruction is not run) or ``"recon"``
    (``M`` frozen, the joint loss of eq. 13). See ``cmrxtrain.relax``.

    Use the registered subclasses ``RelaxVNT1`` (9 MOLLI weightings) and ``RelaxVNT2``
    (3 T2-prep weightings): an exported graph is unrolled for a fixed weighting count.

    :param num_layers: unrolled gradient-descent layers (paper: 10)
    :param chans: regulariser U-Net base filters; :param pools: its pooling layers
    :param map_chans: mapping U-Net base filters (paper: 256); :param map_pools: (paper: 1)
    :param gammas: (g1 L1, g2 SSIM, g3 l_relax, g4 map consistency), paper (0.2, 0.8, 0.01, 0.1)
    :param air_fraction: pixels whose largest weighting is below this fraction of the slice
        maximum are left out of the relaxometry terms
    """

    VIEW = "T1"
    FRAMES = 9
    SERVES = {"tasks": ["mapping"], "views": ["T1"], "accelerations": [4, 8, 10],
              "coils": ["MultiCoil"]}

    def __init__(self, num_layers: int = 10, chans: int = 18, pools: int = 4,
                 map_chans: int = 256, map_pools: int = 1, gammas=(0.2, 0.8, 0.01, 0.1),
                 air_fraction: float = 0.05):
        super().__init__()
        self.view = self.VIEW
        self.frames = self.FRAMES
        self.num_layers, self.chans, self.pools = num_layers, chans, pools
        self.map_chans, self.map_pools = map_chans, map_pools
        self.recon = VNUNet(self.frames, num_layers, chans, pools)
        self.mapping = MappingNet(self.view, self.frames, map_chans, map_pools)
        self.gammas = tuple(float(g) for g in gammas)
        self.air_fraction = float(air_fraction)
        self.stage = "recon"

    @classmethod
    def test_config(cls) -> dict:
        """Constructor arguments of a small, fast instance for tests (parity, smoke)."""
        return dict(num_layers=2, chans=4, pools=2, map_chans=8, map_pools=1)

    def describe(self) -> str:
        """One line for the manifest's ``architecture``."""
        signal = "|A - B exp(-TI/T1*)|" if self.view == "T1" else "A exp(-TE/T2)"
        return (
            f"VN-UNet of the relaxometry-guided VN (Zhao, Zhang, Tao, STACOM 2023): "
            f"{self.num_layers} unrolled gradient-descent layers x_k+1 = x_k - eta_k "
            f"A^H(A x_k - y) - G_k(x_k), U-Net G_k {self.chans} filters {self.pools} pools, "
            f"coil sensitivities in A; trained with the joint L1/SSIM/relaxometry loss and a "
            f"frozen mapping U-Net ({self.map_chans} filters, {self.map_pools} pool) fitting "
            f"{signal} (not in this graph)"
        )

    def forward(self, kspace: torch.Tensor, mask: torch.Tensor, sens: torch.Tensor) -> torch.Tensor:
        return self.recon(kspace, mask, sens)

    def export_module(self) -> nn.Module:
        """The module an ONNX export traces: the reconstruction network only."""
        return self.recon

    def forward_batch(self, batch: dict):
        """What training runs: the reconstruction, or nothing while training the mapping
        stage (validation still reconstructs)."""
        if self.stage == "mapping" and self.training:
            return None
        return self(batch["kspace"], batch["mask"], batch["sens"])

    def set_stage(self, name: str) -> None:
        """Selects the training stage (``mapping`` or ``recon``) and freezes what it does not
        train (``cmrxtrain.relax.set_stage``)."""
        from .. import relax

        relax.set_stage(self, name)

    def loss(self, batch: dict, out=None, stage: str = None):
        """``(total, {part: float})`` of the current stage (``cmrxtrain.relax.stage_loss``)."""
        from .. import relax

        if stage is not None and stage != self.stage:
            self.set_stage(stage)
        return relax.stage_loss(self, batch, out)


class RelaxVNT1(RelaxVN):
    """Relaxometry-guided VN for MOLLI T1 mapping (9 weightings)."""

    VIEW = "T1"
    FRAMES = 9
    SERVES = {"tasks": ["mapping"], "views": ["T1"], "accelerations": [4, 8, 10],
              "coils": ["MultiCoil"]}


class RelaxVNT2(RelaxVN):
    """Relaxometry-guided VN for T2-prep T2 mapping (3 weightings)."""

    VIEW = "T2"
    FRAMES = 3
    SERVES = {"tasks": ["mapping"], "views": ["T2"], "accelerations": [4, 8, 10],
              "coils": ["MultiCoil"]}
