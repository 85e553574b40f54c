"""Centred orthonormal 2-D DFT as real matrix products, exportable to ONNX.

Complex tensors are real tensors with a trailing axis of 2 (re, im). The transforms act on
the two axes before it, ``[..., Y, X, 2]``, and match cmrxkit's ``fft2c`` / ``ifft2c`` (and
MATLAB's ``fftshift(fft2(ifftshift(x)))/sqrt(N)``) for even and odd sizes.

The centred DFT matrix of size N is F[k, n] = exp(-2*pi*i*(k - h)*(n - h)/N) / sqrt(N) with
h = floor(N/2): the shifts before and after the transform become a re-indexing of the
matrix. The matrices are built inside the graph from the input's shape (Range, Mul, Mod,
Cos, Sin), so one exported graph serves every image size; the product (k - h)*(n - h) is
reduced modulo N in integers before the conversion to float, which keeps the phase exact to
float32 rounding for any N.

``torch.fft`` does not export to ONNX, and onnxruntime's CUDA provider has no DFT kernel:
these matrix products run on every provider. Outside an ONNX export (training, evaluation
in PyTorch) ``fft2c``/``ifft2c`` use ``torch.fft`` instead, which gives the same result to
float32 rounding and is several times faster on CPU (the DFT products dominated the cost of
a CRNN training step at width 16); ``use_torch_fft(False)`` forces the matrix products
everywhere (tests compare the two paths).
"""

import math

import torch


def dft_matrix(n, inverse: bool, like: torch.Tensor):
    """Real and imaginary parts of the centred orthonormal DFT matrix of size ``n``.

    ``n`` may be a Python int or a traced size; ``like`` gives dtype and device.
    Returns two ``[n, n]`` tensors (re, im).
    """
    idx = torch.arange(n, device=like.device)
    c = idx - n // 2
    prod = torch.remainder(c.unsqueeze(1) * c.unsqueeze(0), n)
    nf = torch.ones((), dtype=like.dtype, device=like.device) * n
    ang = prod.to(like.dtype) * (2.0 * math.pi) / nf
    scale = torch.rsqrt(nf)
    re = torch.cos(ang) * scale
    im = torch.sin(ang) * scale
    return re, (im if inverse else -im)


def _apply(x: torch.Tensor, inverse: bool) -> torch.Tensor:
    """Y-axis then X-axis centred DFT of ``x`` ``[..., Y, X, 2]``."""
    ny, nx = x.shape[-3], x.shape[-2]
    xr, xi = x[..., 0], x[..., 1]
    fyr, fyi = dft_matrix(ny, inverse, x)
    fxr, fxi = dft_matrix(nx, inverse, x)
    # along Y: F_Y @ x   ([Y,Y] @ [..., Y, X])
    ar = torch.matmul(fyr, xr) - torch.matmul(fyi, xi)
    ai = torch.matmul(fyr, xi) + torch.matmul(fyi, xr)
    # along X: a @ F_X^T (F_X is symmetric)
    br = torch.matmul(ar, fxr) - torch.matmul(ai, fxi)
    bi = torch.matmul(ar, fxi) + torch.matmul(ai, fxr)
    return torch.stack((br, bi), dim=-1)


_TORCH_FFT = [True]


def use_torch_fft(flag: bool) -> bool:
    """Whether ``fft2c``/``ifft2c`` use ``torch.fft`` outside an ONNX export (default True)
    or the matrix products everywhere; returns the previous setting."""
    prev = _TORCH_FFT[0]
    _TORCH_FFT[0] = bool(flag)
    return prev


def _matmul_path() -> bool:
    return torch.onnx.is_in_onnx_export() or not _TORCH_FFT[0]


def _torch_fft(x: torch.Tensor, inverse: bool) -> torch.Tensor:
    """The centred orthonormal transform with ``torch.fft`` (never traced into a graph)."""
    c = torch.view_as_complex(x.contiguous())
    c = torch.fft.ifftshift(c, dim=(-2, -1))
    c = torch.fft.ifft2(c, norm="ortho") if inverse else torch.fft.fft2(c, norm="ortho")
    return torch.view_as_real(torch.fft.fftshift(c, dim=(-2, -1)))


def fft2c(x: torch.Tensor) -> torch.Tensor:
    """Centred orthonormal 2-D FFT of ``x`` ``[..., Y, X, 2]`` (image -> k-space)."""
    return _apply(x, inverse=False) if _matmul_path() else _torch_fft(x, False)


def ifft2c(x: torch.Tensor) -> torch.Tensor:
    """Centred orthonormal 2-D inverse FFT of ``x`` ``[..., Y, X, 2]`` (k-space -> image)."""
    return _apply(x, inverse=True) if _matmul_path() else _torch_fft(x, True)


def complex_mul(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Elementwise a*b of ``[..., 2]`` complex tensors (broadcasting)."""
    ar, ai = a[..., 0], a[..., 1]
    br, bi = b[..., 0], b[..., 1]
    return torch.stack((ar * br - ai * bi, ar * bi + ai * br), dim=-1)


def complex_mul_conj(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Elementwise a*conj(b) of ``[..., 2]`` complex tensors (broadcasting)."""
    ar, ai = a[..., 0], a[..., 1]
    br, bi = b[..., 0], b[..., 1]
    return torch.stack((ar * br + ai * bi, ai * br - ar * bi), dim=-1)


def complex_abs(x: torch.Tensor, eps: float = 0.0) -> torch.Tensor:
    """Magnitude of ``[..., 2]`` (drops the last axis); ``eps`` keeps the gradient finite at 0."""
    return torch.sqrt(x[..., 0] ** 2 + x[..., 1] ** 2 + eps)
