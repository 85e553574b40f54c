"""3D UNet-MR: the convolutional baseline of the CRUNet-MR paper.

Lyu et al., Medical Physics 2025 (the CRUNet-MR paper), section
3.3: "a modified unrolled U-Net model derived from CRUNet-MR by replacing all CRNN-TI blocks
with Conv3D blocks while retaining the overall structure". So this is CRUNet-MR
(:mod:`cmrxtrain.models.crunet_mr`) with every CRNN-TI unit replaced by a 3x3x3 Conv3D + ReLU
(spatial dilation of its level, circular temporal padding), and hence no feature maps passed
between cascades: each cascade is a plain spatio-temporal U-Net denoiser followed by hard
data consistency with coil sensitivities. Same defaults: width 64, 5 cascades, dilations
(1, 2, 4), Conv(2+1)D down/up and level layers, 1x1 side branches, z-score per block.

Tensor contract: ``forward(kspace [B,T,C,Y,X,2], mask [B,T,Y,X], sens [B,C,Y,X,2]) ->
image [B,T,Y,X,2]``; any Y, X (padded to even inside each block and cropped back).
"""

from __future__ import annotations

import torch.nn as nn

from .crunet_mr import CRUNetBlock, CRUNetMR, conv3d_unit


class UNet3DMR(CRUNetMR):
    """3D UNet-MR (CRUNet-MR with Conv3D units and no cross-cascade features)."""

    PAPER = "3D UNet-MR (baseline of Lyu et al., Med. Phys. 2025)"

    def _variant(self) -> str:
        """What this class changes in CRUNet-MR."""
        return "3x3x3 Conv3D units instead of CRNN-TI (no state across cascades)"

    def _make_block(self, index, chans, dilations, circular, side_kernel, out_kernel) -> nn.Module:
        """A CRUNet block whose units are Conv3D + ReLU."""
        return CRUNetBlock(chans, dilations, circular, side_kernel, out_kernel, unit=conv3d_unit)

    def _states_for(self, index, bank):
        """No iteration hidden states: Conv3D units have no recurrence over cascades."""
        return (None, None, None)
