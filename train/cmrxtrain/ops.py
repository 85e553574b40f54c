"""Multi-coil MRI operators on real tensors with a trailing (re, im) axis, exportable to ONNX.

Shapes (row-major, outermost first; the same letters as cmrxkit's manifests):

- coil-combined image ``[B, T, Y, X, 2]``
- multi-coil k-space ``[B, T, C, Y, X, 2]``
- coil sensitivities ``[B, C, Y, X, 2]`` (the same for every frame)
- sampling mask ``[B, T, Y, X]`` with 0/1 values, broadcast to k-space as ``[B, T, 1, Y, X, 1]``

Y is the phase-encode axis (ky, undersampled), X the readout (kx). Every transform is the
centred orthonormal DFT of :mod:`cmrxtrain.fftc` (matrix products; ONNX ``DFT`` nodes with
``set_export_fft("dft")``), so the operators export at opset 17 and run on onnxruntime's CPU
and CUDA providers.

The forward operator of one frame is ``A x = M F (S_c x)`` for each coil c; its adjoint is
``A^H k = sum_c conj(S_c) F^-1 (M k_c)``.
"""

import torch

from .fftc import complex_abs, complex_mul, complex_mul_conj, fft2c, ifft2c


def mask_to_kspace(mask: torch.Tensor) -> torch.Tensor:
    """Broadcastable k-space mask ``[B, T, 1, Y, X, 1]`` from a mask ``[B, T, Y, X]``."""
    return mask.unsqueeze(2).unsqueeze(-1)


def sens_expand(image: torch.Tensor, sens: torch.Tensor) -> torch.Tensor:
    """Coil k-space ``F(S_c x)`` ``[B, T, C, Y, X, 2]`` of an image ``[B, T, Y, X, 2]``.

    ``sens`` is ``[B, C, Y, X, 2]``.
    """
    return fft2c(complex_mul(image.unsqueeze(2), sens.unsqueeze(1)))


def sens_reduce(kspace: torch.Tensor, sens: torch.Tensor) -> torch.Tensor:
    """Coil combination ``sum_c conj(S_c) F^-1(k_c)`` ``[B, T, Y, X, 2]`` of k-space
    ``[B, T, C, Y, X, 2]`` with ``sens`` ``[B, C, Y, X, 2]``."""
    return complex_mul_conj(ifft2c(kspace), sens.unsqueeze(1)).sum(dim=2)


def hard_dc(
    image: torch.Tensor, k0: torch.Tensor, mask: torch.Tensor, sens: torch.Tensor
) -> torch.Tensor:
    """Noiseless data consistency: replace the sampled k-space of every coil by the measured.

    ``k = (1 - m) F(S x) + m k0``, then ``sum_c conj(S_c) F^-1(k_c)`` (CRNN-MRI's DC layer
    with lambda -> infinity, in its multi-coil form as CRUNet-MR uses it).

    :param image: current estimate ``[B, T, Y, X, 2]``
    :param k0: measured k-space ``[B, T, C, Y, X, 2]`` (zeros where not sampled)
    :param mask: ``[B, T, Y, X]`` 0/1
    :param sens: ``[B, C, Y, X, 2]``
    :returns: ``[B, T, Y, X, 2]``
    """
    k = sens_expand(image, sens)
    m = mask_to_kspace(mask)
    return sens_reduce(k + m * (k0 - k), sens)


def soft_dc(
    image: torch.Tensor,
    k0: torch.Tensor,
    mask: torch.Tensor,
    sens: torch.Tensor,
    lam: torch.Tensor,
) -> torch.Tensor:
    """Data consistency with a noise weight: ``k = (1-m) k + m (k + lam k0) / (1 + lam)``.

    The closed form of CRNN-MRI's Eq. 4 for noisy data; ``lam`` (a tensor, learnable or not,
    kept non-negative by the caller) -> infinity is :func:`hard_dc`, 0 leaves k unchanged.
    Shapes as :func:`hard_dc`.
    """
    k = sens_expand(image, sens)
    m = mask_to_kspace(mask)
    return sens_reduce(k + m * (lam / (1.0 + lam)) * (k0 - k), sens)


def zero_filled(kspace: torch.Tensor, sens: torch.Tensor) -> torch.Tensor:
    """Coil-combined zero-filled image ``A^H k`` ``[B, T, Y, X, 2]`` (k-space already masked)."""
    return sens_reduce(kspace, sens)


def rss(coil_images: torch.Tensor, dim: int = 2) -> torch.Tensor:
    """Root-sum-of-squares over the coil axis ``dim`` of complex ``[..., 2]`` coil images
    (default: ``[B, T, C, Y, X, 2]`` -> ``[B, T, Y, X]``)."""
    return torch.sqrt((coil_images**2).sum(dim=-1).sum(dim=dim))


def rss_kspace(kspace: torch.Tensor, dim: int = 2) -> torch.Tensor:
    """RSS image of multi-coil k-space ``[B, T, C, Y, X, 2]`` -> ``[B, T, Y, X]``: how the
    challenge's ground truth is made from fully sampled k-space."""
    return rss(ifft2c(kspace), dim=dim)


def magnitude(image: torch.Tensor) -> torch.Tensor:
    """``|x|`` of a complex ``[..., 2]`` image (drops the last axis)."""
    return complex_abs(image)


def to_channels(image: torch.Tensor) -> torch.Tensor:
    """``[N, Y, X, 2]`` -> ``[N, 2, Y, X]`` (complex as two conv channels)."""
    return image.permute(0, 3, 1, 2)


def from_channels(x: torch.Tensor) -> torch.Tensor:
    """``[N, 2, Y, X]`` -> ``[N, Y, X, 2]``."""
    return x.permute(0, 2, 3, 1)


def with_circular_time(fn, kspace: torch.Tensor, mask: torch.Tensor, sens: torch.Tensor, wrap: int):
    """Run ``fn(kspace, mask, sens)`` on the cine sequence extended circularly in time.

    Cine is periodic: the last ``wrap`` frames are put before the first and the first
    ``wrap`` after the last (all of them when ``wrap >= T``), ``fn`` reconstructs the longer
    sequence, and the output is cropped back to the original T frames, so every frame sees
    ``wrap`` frames of context on both sides. ``wrap == 0`` calls ``fn`` as is. No Python
    comparison on the frame count: the crop stays dynamic in a traced ONNX graph.
    """
    if wrap <= 0:
        return fn(kspace, mask, sens)
    t0 = kspace.shape[1]
    pre = kspace[:, -wrap:]
    kspace = torch.cat([pre, kspace, kspace[:, :wrap]], dim=1)
    mask = torch.cat([mask[:, -wrap:], mask, mask[:, :wrap]], dim=1)
    start = pre.shape[1]
    return fn(kspace, mask, sens)[:, start : start + t0]
