"""CRUNet-MR with a cross-cascade feature bank (channel-attention or convolution fusion).

Lyu, Staring, Dong, Keupp, Lamb, Doneva, "Cross-Cascade Feature Aggregation for Improved
Spatio-Temporal Reconstruction in Cardiac Cine MRI".

CRUNet-MR (:mod:`cmrxtrain.models.crunet_mr`) hands each cascade only the previous cascade's
feature maps (one per U-Net level) as the CRNN-TI units' iteration hidden state. Here a
feature bank keeps the maps of *all* preceding cascades, and cascade ``i`` (i >= 1) fuses
them per level j: ``F_{i,j} = Fuse_{i,j}(concat(F_{0,j}, ..., F_{i-1,j}))``. Two fusions,
as the paper's ablation:

* ``fusion="ca"`` (the paper's proposal): channel attention over the ``i * chans``
  concatenated channels (global average pool -> 1x1 conv to ``C / reduction`` -> ReLU ->
  1x1 conv -> sigmoid -> rescale; the CALayer of PromptMR), then the fusion conv;
* ``fusion="conv"``: the fusion conv alone.

The fusion conv is 3x3 ``i * chans -> chans`` with the level's dilation (bottleneck d2,
level 1 d1, level 0 d0), as in the public "Mon" variant. Each cascade has its own fusion
layers. Everything else (width, 5 cascades, dilations, circular temporal padding, hard DC)
is CRUNet-MR's.

Tensor contract: ``forward(kspace [B,T,C,Y,X,2], mask [B,T,Y,X], sens [B,C,Y,X,2]) ->
image [B,T,Y,X,2]``.
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn as nn

from .crunet_mr import CRUNetMR


class ChannelAttention(nn.Module):
    """Squeeze-and-excitation channel attention on ``[N, C, Y, X]``: ``x * sigmoid(W2 relu(W1 gap(x)))``.

    The squeeze has ``C / reduction`` channels, but at least ``min(C, 4)``: at the small demo
    widths a single ReLU unit could be dead from the start and freeze the attention.
    """

    def __init__(self, channels: int, reduction: int = 4):
        super().__init__()
        mid = max(min(channels, 4), channels // reduction)
        self.squeeze = nn.Conv2d(channels, mid, 1)
        self.excite = nn.Conv2d(mid, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Rescale each channel of ``x`` by its learned weight in (0, 1)."""
        w = x.mean(dim=(2, 3), keepdim=True)
        w = torch.sigmoid(self.excite(torch.relu(self.squeeze(w))))
        return x * w


class BankFusion(nn.Module):
    """Fuses ``k`` cascades' features of one level (``k * chans`` channels) into ``chans``."""

    def __init__(self, chans: int, k: int, dilation: int, fusion: str, reduction: int):
        super().__init__()
        self.attention = ChannelAttention(k * chans, reduction) if fusion == "ca" else nn.Identity()
        self.conv = nn.Conv2d(k * chans, chans, 3, padding=dilation, dilation=dilation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` ``[B*T, k*chans, Y, X]`` -> ``[B*T, chans, Y, X]``."""
        return self.conv(self.attention(x))


class CRUNetFB(CRUNetMR):
    """CRUNet-MR + cross-cascade feature bank; ``fusion`` ``"ca"`` (default) or ``"conv"``."""

    def __init__(
        self,
        chans: int = 64,
        cascades: int = 5,
        dilations: Sequence[int] = (1, 2, 4),
        temporal_padding: str = "circular",
        side_kernel: int = 1,
        out_kernel: int = 5,
        fusion: str = "ca",
        reduction: int = 4,
        output: str = "sens",
        temporal_wrap: int = 0,
    ):
        super().__init__(
            chans, cascades, dilations, temporal_padding, side_kernel, out_kernel, output, temporal_wrap
        )
        if fusion not in ("ca", "conv"):
            raise ValueError(f"CRUNetFB: fusion must be 'ca' or 'conv', got {fusion!r}")
        self.fusion = fusion
        d0, d1, d2 = dilations
        # fusers[i - 1][j]: cascade i (>= 1), level j in (level 0, level 1, bottleneck)
        self.fusers = nn.ModuleList(
            [
                nn.ModuleList([BankFusion(chans, i, d, fusion, reduction) for d in (d0, d1, d2)])
                for i in range(1, cascades)
            ]
        )

    PAPER = "CRUNet-MR + cross-cascade feature bank (Lyu et al., digital poster abstract)"

    @classmethod
    def test_config(cls) -> dict:
        """Constructor arguments of a small, fast instance (tests, parity)."""
        return dict(chans=4, cascades=3)

    def _variant(self) -> str:
        """What this class changes in CRUNet-MR."""
        how = "channel attention + conv" if self.fusion == "ca" else "conv"
        return f"CRNN-TI units fed by a bank of all earlier cascades' features fused by {how}"

    def start_as_base(self, gate_bias: float = 6.0) -> None:
        """Set every fusion so that cascade i gets cascade i-1's features unchanged, as in
        CRUNet-MR (training from CRUNet-MR weights, :mod:`cmrxtrain.warmstart`): the
        attention's excitation weights are zeroed and its bias set to ``gate_bias`` (a
        constant gate ``g = sigmoid(gate_bias)`` on every channel, learnable from the first
        step), and the fusion conv is the centre-tap identity ``1/g`` from the newest
        entry's channels, zero from the older ones, bias zero."""
        g = torch.sigmoid(torch.tensor(gate_bias)).item() if self.fusion == "ca" else 1.0
        with torch.no_grad():
            for fusers in self.fusers:
                for f in fusers:
                    if self.fusion == "ca":
                        f.attention.excite.weight.zero_()
                        f.attention.excite.bias.fill_(gate_bias)
                    w = f.conv.weight  # [chans, k * chans, kh, kw]
                    c = w.shape[0]
                    w.zero_()
                    kh, kw = w.shape[2] // 2, w.shape[3] // 2
                    idx = torch.arange(c)
                    w[idx, w.shape[1] - c + idx, kh, kw] = 1.0 / g
                    f.conv.bias.zero_()

    def _states_for(self, index, bank):
        """Cascade ``index``'s hidden states: the fused bank of all earlier cascades."""
        if index == 0:
            return (None, None, None)
        fusers = self.fusers[index - 1]
        return tuple(fusers[j](torch.cat([entry[j] for entry in bank], dim=1)) for j in range(3))
