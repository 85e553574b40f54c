"""CRUNet-MR: convolutional recurrent U-Net for multi-coil cine reconstruction.

Lyu, Staring, van Osch, Doneva, Lamb, Pezzotti, "Convolutional recurrent U-net for cardiac
cine MRI reconstruction via effective spatio-temporal feature exploitation", Medical Physics
2025. Written from the paper's equations and the layer facts of the authors' public code
(``dong845/CRUNet-MR``, ``models/CRUNet_MR.py``), read for facts only.

An unrolled network of ``cascades`` blocks (5 in the paper), each a learned denoiser
followed by hard data consistency with coil sensitivities. A block is a two-level U-Net:

* level 0 (full resolution, dilation d0): a forward CRNN-TI unit in the encoder and a
  backward one in the decoder, each with a 1x1 side branch;
* down / up: Conv(2+1)D with a 2x2 stride-2 (transposed) spatial conv;
* level 1 (half resolution, dilation d1): the same pair, each followed by a Conv(2+1)D;
* bottleneck (dilation d2): a bidirectional CRNN-TI unit (forward + backward summed).

A CRNN-TI unit (paper eqs. 8-10) evolves over time *and* cascades:
``h_t = relu(W_l * x_t + W_t * h_{t-1} + W_i * s_t + b)`` where ``s`` is the same level's
merged feature map of the previous cascade (zeros in the first). The merged maps (decoder
level 0 output, decoder level 1 output, bottleneck output) are what one cascade hands to
the next. Conv(2+1)D = 2-D spatial conv + ReLU, then a 1-D temporal conv (kernel 3, no
activation) with circular temporal padding (the cine sequence is periodic). Every block
z-scores its input over the whole sequence (unbiased std, as torch.std) and undoes it
before data consistency. Dilations ``(1, 2, 4)`` and 5 cascades are the paper's defaults.

Tensor contract (``train/README.md``): ``forward(kspace [B,T,C,Y,X,2], mask [B,T,Y,X],
sens [B,C,Y,X,2]) -> image [B,T,Y,X,2]``. Inside, features keep the frames in the batch
axis: ``[B*T, channels, Y, X]``. Any Y, X: the block zero-pads them to a multiple of 2 (one
down-sampling) and crops back, with shape arithmetic that stays dynamic in ONNX.

Differences from the public code, on purpose: the three convs of a CRNN-TI cell carry one
bias (eq. 9) instead of three (the sums are the same function); the first cascade has no
iteration-state convs ``W_i`` (its state is zero, so they would be dead weights: 184,320
parameters at width 64); the unused per-block ``pp`` maps of the public code are not
created. Otherwise the layer list matches the public model layer for layer. Parameters at
the paper's width (64): ``python3 -m cmrxtrain.models.crunet_mr`` prints the count (4,350,730).
"""

from __future__ import annotations

from typing import Callable, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn

from ..fftc import ifft2c
from ..ops import hard_dc, mask_to_kspace, sens_expand, sens_reduce, with_circular_time

State = Optional[torch.Tensor]


# --------------------------------------------------------------------------- layout helpers


def frames_to_batch(image: torch.Tensor) -> torch.Tensor:
    """``[B, T, Y, X, 2]`` complex image -> ``[B*T, 2, Y, X]`` (real/imag as channels)."""
    return image.permute(0, 1, 4, 2, 3).flatten(0, 1)


def batch_to_frames(x: torch.Tensor, frames: int) -> torch.Tensor:
    """``[B*T, 2, Y, X]`` -> ``[B, T, Y, X, 2]``; ``frames`` is T."""
    y, xx = x.shape[-2], x.shape[-1]
    return x.reshape(-1, frames, 2, y, xx).permute(0, 1, 3, 4, 2)


def circular_pad_time(v: torch.Tensor, width: int) -> torch.Tensor:
    """Circular padding of ``width`` frames on axis 2 of ``v`` ``[B, C, T, Y, X]``.

    The last ``width`` frames are put before the first and the first ``width`` after the
    last (torch.cat of slices: exports to ONNX Slice + Concat on every opset).
    """
    if width == 0:
        return v
    return torch.cat((v[:, :, -width:], v, v[:, :, :width]), dim=2)


def pad_to_multiple(x: torch.Tensor, multiple: int) -> torch.Tensor:
    """Zero-pad the last two axes of ``x`` ``[N, C, Y, X]`` at the end to multiples of ``multiple``.

    Written as "append ``multiple - 1`` zero rows/columns, then slice to the rounded-up
    size", so that the padding amount is computed in the graph from the input's shape (one
    exported graph serves every Y, X).
    """
    if multiple <= 1:
        return x
    y, xx = x.shape[-2], x.shape[-1]
    yp = (y + multiple - 1) // multiple * multiple
    xp = (xx + multiple - 1) // multiple * multiple
    zr = torch.zeros_like(x[:, :, : multiple - 1, :])
    x = torch.cat((x, zr), dim=2)[:, :, :yp, :]
    zc = torch.zeros_like(x[:, :, :, : multiple - 1])
    return torch.cat((x, zc), dim=3)[:, :, :, :xp]


def zscore(image: torch.Tensor, eps: float = 1e-12) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Z-score of ``image`` ``[B, T, Y, X, 2]`` over all of T, Y, X, re/im per batch item.

    Returns (normalised, mean, std), mean/std ``[B, 1, 1, 1, 1]``; std is unbiased (N - 1),
    as ``torch.std``, written out so the graph has only ReduceMean / Sqrt.
    """
    mean = image.mean(dim=(1, 2, 3, 4), keepdim=True)
    centred = image - mean
    n = image.shape[1] * image.shape[2] * image.shape[3] * image.shape[4]
    var = (centred * centred).mean(dim=(1, 2, 3, 4), keepdim=True) * (n / (n - 1.0))
    std = torch.sqrt(var) + eps
    return centred / std, mean, std


# --------------------------------------------------------------------------- layers


class TemporalConv(nn.Module):
    """1-D convolution along time (per pixel), kernel ``kernel``, on ``[B*T, C, Y, X]`` features.

    ``circular=True`` wraps the sequence (last frame before the first, first after the
    last: the paper's temporal circular padding); ``False`` pads with zeros. Implemented
    as a Conv3d with kernel ``(kernel, 1, 1)`` on ``[B, C, T, Y, X]``.
    """

    def __init__(self, cin: int, cout: int, kernel: int = 3, circular: bool = True):
        super().__init__()
        self.circular = circular
        self.width = kernel // 2
        self.conv = nn.Conv3d(
            cin, cout, (kernel, 1, 1), padding=(0 if circular else self.width, 0, 0)
        )

    def forward(self, x: torch.Tensor, frames: int) -> torch.Tensor:
        """``x`` ``[B*T, cin, Y, X]`` -> ``[B*T, cout, Y, X]``."""
        y, xx = x.shape[-2], x.shape[-1]
        v = x.reshape(-1, frames, x.shape[1], y, xx).permute(0, 2, 1, 3, 4)
        if self.circular:
            v = circular_pad_time(v, self.width)
        v = self.conv(v)
        return v.permute(0, 2, 1, 3, 4).flatten(0, 1)


class Conv21D(nn.Module):
    """Conv(2+1)D: spatial 2-D conv + ReLU, then a temporal conv (kernel 3, no activation).

    ``kernel``/``dilation``/``stride`` describe the spatial conv (padding keeps the size for
    odd kernels, ``dilation * (kernel // 2)``); ``transpose=True`` makes it a
    ConvTranspose2d (the up-sampling 2x2 stride-2 layer).
    """

    def __init__(
        self,
        cin: int,
        cout: int,
        kernel: int = 3,
        dilation: int = 1,
        stride: int = 1,
        circular: bool = True,
        transpose: bool = False,
    ):
        super().__init__()
        if transpose:
            self.spatial = nn.ConvTranspose2d(cin, cout, kernel, stride=stride)
        else:
            pad = dilation * (kernel // 2) if kernel % 2 == 1 else 0
            self.spatial = nn.Conv2d(cin, cout, kernel, stride=stride, padding=pad, dilation=dilation)
        self.act = nn.ReLU()
        self.temporal = TemporalConv(cout, cout, 3, circular)

    def forward(self, x: torch.Tensor, frames: int) -> torch.Tensor:
        """``x`` ``[B*T, cin, Y, X]`` -> ``[B*T, cout, Y', X']``."""
        return self.temporal(self.act(self.spatial(x)), frames)


class CRNNTI(nn.Module):
    """Convolutional recurrent unit evolving over time and iterations (CRNN-TI / BCRNN-TI).

    ``h_t = relu(W_l * x_t + W_t * h_{t-1} + W_i * s_t + b)`` (paper eq. 9), with ``h_{-1}
    = 0``; ``direction`` ``"forward"`` runs t = 0..T-1, ``"backward"`` t = T-1..0 (eq. 10),
    ``"both"`` sums the two passes (eq. 8; the convs are shared, each direction has its own
    bias as in eqs. 9-10). ``s`` is the iteration hidden state (the previous cascade's
    feature map at this level, ``None`` = zeros). ``iteration=False`` (the first cascade,
    whose state is always zero) leaves out ``W_i``: it would be a dead weight. All convs are
    ``kernel`` x ``kernel`` with
    ``dilation`` and "same" padding. The time loop is unrolled (fixed T in an ONNX export).
    """

    def __init__(
        self,
        cin: int,
        hidden: int,
        kernel: int = 3,
        dilation: int = 1,
        direction: str = "forward",
        iteration: bool = True,
    ):
        super().__init__()
        if direction not in ("forward", "backward", "both"):
            raise ValueError(f"CRNNTI: direction must be forward, backward or both, got {direction!r}")
        pad = dilation * (kernel // 2)
        self.hidden = hidden
        self.direction = direction
        self.i2h = nn.Conv2d(cin, hidden, kernel, padding=pad, dilation=dilation, bias=False)
        self.h2h = nn.Conv2d(hidden, hidden, kernel, padding=pad, dilation=dilation, bias=False)
        self.ih2ih = (
            nn.Conv2d(hidden, hidden, kernel, padding=pad, dilation=dilation, bias=False)
            if iteration
            else None
        )
        self.bias = nn.Parameter(torch.zeros(2 if direction == "both" else 1, hidden))

    def _pass(self, drive: torch.Tensor, order: Sequence[int], bias: torch.Tensor) -> torch.Tensor:
        """One recurrence over ``order``; ``drive`` ``[B, T, H, Y, X]`` = W_l*x + W_i*s."""
        outs: List[Optional[torch.Tensor]] = [None] * drive.shape[1]
        h: Optional[torch.Tensor] = None
        b = bias.view(1, -1, 1, 1)
        for t in order:
            pre = drive[:, t] + b
            if h is not None:
                pre = pre + self.h2h(h)
            h = torch.relu(pre)
            outs[t] = h
        return torch.stack(outs, dim=1)  # type: ignore[arg-type]

    def forward(self, x: torch.Tensor, state: State, frames: int) -> torch.Tensor:
        """``x`` ``[B*T, cin, Y, X]``, ``state`` ``[B*T, hidden, Y, X]`` or None
        -> ``[B*T, hidden, Y, X]``."""
        drive = self.i2h(x)
        if state is not None:
            if self.ih2ih is None:
                raise ValueError("CRNNTI: this unit was built without an iteration state (iteration=False)")
            drive = drive + self.ih2ih(state)
        drive = drive.reshape(-1, frames, self.hidden, drive.shape[-2], drive.shape[-1])
        fwd = list(range(frames))
        if self.direction == "forward":
            out = self._pass(drive, fwd, self.bias[0])
        elif self.direction == "backward":
            out = self._pass(drive, fwd[::-1], self.bias[0])
        else:
            out = self._pass(drive, fwd, self.bias[0]) + self._pass(drive, fwd[::-1], self.bias[1])
        return out.flatten(0, 1)


class Conv3DUnit(nn.Module):
    """A Conv3D + ReLU unit with the same call signature as :class:`CRNNTI` (state ignored).

    Kernel ``kernel`` in T, Y, X; spatial ``dilation``; temporal padding circular (or zero).
    Used by the 3D UNet-MR baseline, which replaces every CRNN-TI unit of CRUNet-MR by one.
    """

    def __init__(self, cin: int, hidden: int, kernel: int = 3, dilation: int = 1, circular: bool = True):
        super().__init__()
        sp = dilation * (kernel // 2)
        self.circular = circular
        self.width = kernel // 2
        self.conv = nn.Conv3d(
            cin,
            hidden,
            kernel,
            padding=(0 if circular else self.width, sp, sp),
            dilation=(1, dilation, dilation),
        )

    def forward(self, x: torch.Tensor, state: State, frames: int) -> torch.Tensor:
        """``x`` ``[B*T, cin, Y, X]`` -> ``[B*T, hidden, Y, X]`` (``state`` is not used)."""
        y, xx = x.shape[-2], x.shape[-1]
        v = x.reshape(-1, frames, x.shape[1], y, xx).permute(0, 2, 1, 3, 4)
        if self.circular:
            v = circular_pad_time(v, self.width)
        v = torch.relu(self.conv(v))
        return v.permute(0, 2, 1, 3, 4).flatten(0, 1)


# --------------------------------------------------------------------------- block

UnitFactory = Callable[[int, int, int, str, bool], nn.Module]
"""``(cin, hidden, dilation, direction, iteration) -> unit`` with ``forward(x, state, frames)``."""


def crnn_unit(circular: bool) -> UnitFactory:
    """Factory of CRNN-TI units (``circular`` is not used: recurrences need no padding)."""
    del circular
    return lambda cin, hidden, dilation, direction, iteration: CRNNTI(
        cin, hidden, 3, dilation, direction, iteration
    )


def conv3d_unit(circular: bool) -> UnitFactory:
    """Factory of Conv3D units (3D UNet-MR); the direction is irrelevant."""
    return lambda cin, hidden, dilation, direction, iteration: Conv3DUnit(cin, hidden, 3, dilation, circular)


class CRUNetBlock(nn.Module):
    """One cascade's denoiser: the two-level recurrent U-Net with a bottleneck.

    Input ``x`` ``[B*T, 2, Y, X]`` (z-scored, Y and X even), ``states`` = (level 0, level 1,
    bottleneck) feature maps of the previous cascade or Nones. Returns (``x`` + residual,
    new states). ``unit`` makes the recurrent units (CRNN-TI by default; Conv3D for the 3D
    UNet-MR baseline): a function of ``circular`` returning a :data:`UnitFactory`.
    ``side_kernel`` is the kernel of the side branches (1 in the paper). ``iteration=False``
    builds the first cascade's block, whose units never receive a state.
    """

    def __init__(
        self,
        chans: int = 64,
        dilations: Sequence[int] = (1, 2, 4),
        circular: bool = True,
        side_kernel: int = 1,
        out_kernel: int = 5,
        unit: Callable[[bool], UnitFactory] = crnn_unit,
        iteration: bool = True,
    ):
        super().__init__()
        d0, d1, d2 = dilations
        make = unit(circular)
        c = chans

        def side() -> nn.Conv2d:
            return nn.Conv2d(c, c, side_kernel, padding=side_kernel // 2)

        self.conv0 = nn.Conv2d(2, c, 3, padding=1)
        self.enc0, self.side0 = make(c, c, d0, "forward", iteration), side()
        self.down = Conv21D(c, c, kernel=2, stride=2, circular=circular)
        self.enc1, self.side1 = make(c, c, d1, "forward", iteration), side()
        self.mid1 = Conv21D(c, c, 3, d1, circular=circular)
        self.bott, self.side2 = make(c, c, d2, "both", iteration), side()
        self.mid2 = Conv21D(c, c, 3, d2, circular=circular)
        self.dec1, self.side3 = make(c, c, d1, "backward", iteration), side()
        self.fuse1 = Conv21D(2 * c, c, 3, d1, circular=circular)
        self.up = Conv21D(c, c, kernel=2, stride=2, circular=circular, transpose=True)
        self.dec0, self.side4 = make(c, c, d0, "backward", iteration), side()
        self.fuse0 = Conv21D(2 * c, c, 3, d0, circular=circular)
        self.out = nn.Conv2d(c, 2, out_kernel, padding=out_kernel // 2)

    def forward(
        self, x: torch.Tensor, states: Tuple[State, State, State], frames: int
    ) -> Tuple[torch.Tensor, Tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        """See the class docstring; all tensors ``[B*T, ch, y, x]``."""
        s0, s1, s2 = states
        f = self.conv0(x)
        e0 = self.enc0(f, s0, frames) + self.side0(f)
        h = self.down(e0, frames)
        e1 = self.mid1(self.enc1(h, s1, frames) + self.side1(h), frames)
        b = self.mid2(self.bott(e1, s2, frames) + self.side2(e1), frames)
        u1 = self.dec1(b, s1, frames) + self.side3(b)
        m1 = self.fuse1(torch.cat((u1, e1), dim=1), frames)
        u = self.up(m1, frames)
        u0 = self.dec0(u, s0, frames) + self.side4(u)
        m0 = self.fuse0(torch.cat((u0, e0), dim=1), frames)
        return x + self.out(m0), (m0, m1, b)


def dc_rss(image: torch.Tensor, k0: torch.Tensor, mask: torch.Tensor, sens: torch.Tensor) -> torch.Tensor:
    """Hard data consistency, then root-sum-of-squares of the coil images.

    ``k_c = (1 - m) F(S_c x) + m k0_c`` as :func:`cmrxtrain.ops.hard_dc`, but the coils are
    combined by RSS ``sqrt(sum_c |F^-1 k_c|^2)`` instead of ``sum_c conj(S_c) F^-1 k_c``: the
    challenge's ground truth is the RSS of the fully sampled coil images, which a
    sensitivity-weighted combination cannot reproduce where the maps are damped (low-signal
    background, where the RSS keeps its noise floor). Shapes as :func:`hard_dc`; returns
    ``[B, T, Y, X, 2]`` = (RSS, 0).
    """
    k = sens_expand(image, sens)
    k = k + mask_to_kspace(mask) * (k0 - k)
    mag = torch.sqrt((ifft2c(k) ** 2).sum(dim=(2, 5)) + 1e-12)  # eps: finite gradient at 0
    return torch.stack((mag, torch.zeros_like(mag)), dim=-1)


def denoise(block: nn.Module, image: torch.Tensor, states, pad_multiple: int = 2):
    """Run ``block`` on ``image`` ``[B, T, Y, X, 2]``: z-score, pad, block, crop, un-normalise.

    Returns (image ``[B, T, Y, X, 2]``, the block's new states).
    """
    frames = image.shape[1]
    y, xx = image.shape[2], image.shape[3]
    normed, mean, std = zscore(image)
    x = pad_to_multiple(frames_to_batch(normed), pad_multiple)
    x, new_states = block(x, states, frames)
    x = x[:, :, :y, :xx]
    return batch_to_frames(x, frames) * std + mean, new_states


# --------------------------------------------------------------------------- model


class CRUNetMR(nn.Module):
    """CRUNet-MR (paper defaults: width 64, 5 non-weight-shared cascades, dilations 1/2/4,
    circular temporal padding, 1x1 side branches, 5x5 output conv, hard DC).

    ``forward(kspace [B,T,C,Y,X,2], mask [B,T,Y,X], sens [B,C,Y,X,2]) -> image [B,T,Y,X,2]``.

    ``output`` is how the last cascade's data-consistent coil k-space becomes the output:
    ``"sens"`` (the paper: ``sum_c conj(S_c) F^-1 k_c``, complex) or ``"rss"``
    (:func:`dc_rss`: ``(RSS of the coil images, 0)``, what the challenge scores against;
    intermediate cascades always use the sensitivity combination). Both have the same
    weights, so a checkpoint can be exported either way.

    ``temporal_wrap`` (0 = the paper) extends the sequence by that many frames of circular
    context on each side before the network and crops them off after
    (:func:`cmrxtrain.ops.with_circular_time`): the recurrences, which start from a zero
    state, then reach the first scored frames warmed up. An inference-time option: the
    weights are the same (``export --set temporal_wrap=3``).
    """

    FRAMES = 12
    """Frame count of an exported graph (cine)."""

    PAPER = "CRUNet-MR (Lyu et al., Med. Phys. 2025)"

    def __init__(
        self,
        chans: int = 64,
        cascades: int = 5,
        dilations: Sequence[int] = (1, 2, 4),
        temporal_padding: str = "circular",
        side_kernel: int = 1,
        out_kernel: int = 5,
        output: str = "sens",
        temporal_wrap: int = 0,
    ):
        super().__init__()
        if temporal_wrap < 0:
            raise ValueError(f"temporal_wrap must be >= 0, not {temporal_wrap}")
        if output not in ("sens", "rss"):
            raise ValueError(f"output must be 'sens' or 'rss', got {output!r}")
        if temporal_padding not in ("circular", "zero"):
            raise ValueError(f"temporal_padding must be 'circular' or 'zero', got {temporal_padding!r}")
        if len(dilations) != 3:
            raise ValueError(f"dilations must have 3 entries (level 0, level 1, bottleneck), got {dilations}")
        self.chans = chans
        self.cascades = cascades
        self.dilations = tuple(dilations)
        self.temporal_padding = temporal_padding
        self.output = output
        self.temporal_wrap = int(temporal_wrap)
        circular = temporal_padding == "circular"
        self.blocks = nn.ModuleList(
            [
                self._make_block(i, chans, dilations, circular, side_kernel, out_kernel)
                for i in range(cascades)
            ]
        )

    @classmethod
    def test_config(cls) -> dict:
        """Constructor arguments of a small, fast instance (tests, parity)."""
        return dict(chans=4, cascades=2)

    def _variant(self) -> str:
        """What this class changes in CRUNet-MR (for :meth:`describe`)."""
        return "CRNN-TI units (forward/backward per level, bidirectional bottleneck)"

    def describe(self) -> str:
        """One line for the manifest's ``architecture``."""
        d = "/".join(str(v) for v in self.dilations)
        return (
            f"{self.PAPER}: {self.cascades} cascades of a two-level U-Net with "
            f"{self._variant()}, width {self.chans}, dilations {d}, Conv(2+1)D with "
            f"{self.temporal_padding} temporal padding, z-score per block, hard multi-coil data consistency"
            + ("; output = RSS of the data-consistent coil images" if self.output == "rss" else "")
            + (f"; circular temporal context of {self.temporal_wrap} frames" if self.temporal_wrap else "")
        )

    def _make_block(self, index, chans, dilations, circular, side_kernel, out_kernel) -> nn.Module:
        """Cascade ``index``'s denoiser (subclasses swap the units)."""
        return CRUNetBlock(chans, dilations, circular, side_kernel, out_kernel, iteration=index > 0)

    def _states_for(self, index: int, bank: List[Tuple[torch.Tensor, torch.Tensor, torch.Tensor]]):
        """Iteration hidden states for cascade ``index``: the previous cascade's features."""
        return bank[-1] if bank else (None, None, None)

    def forward(self, kspace: torch.Tensor, mask: torch.Tensor, sens: torch.Tensor) -> torch.Tensor:
        """Reconstruct one slice; see the module docstring for shapes."""
        return with_circular_time(self._forward, kspace, mask, sens, self.temporal_wrap)

    def _forward(self, kspace: torch.Tensor, mask: torch.Tensor, sens: torch.Tensor) -> torch.Tensor:
        image = sens_reduce(kspace, sens)
        bank: List[Tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []
        for i, block in enumerate(self.blocks):
            z, new_states = denoise(block, image, self._states_for(i, bank))
            bank.append(new_states)
            if self.output == "rss" and i == len(self.blocks) - 1:
                return dc_rss(z, kspace, mask, sens)
            image = hard_dc(z, kspace, mask, sens)
        return image


def count_parameters(model: nn.Module) -> int:
    """Trainable parameters of ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


if __name__ == "__main__":
    print("CRUNet-MR (64 channels, 5 cascades):", count_parameters(CRUNetMR()), "parameters")
