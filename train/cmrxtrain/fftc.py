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

``torch.fft`` does not export to ONNX with torch 1.13, and onnxruntime's CUDA provider has
no kernel for the ONNX ``DFT`` operator: onnxruntime's operator list (docs/OperatorKernels.md
in microsoft/onnxruntime, generated from the registered kernels; read at commit 001d12d2,
which lists opset-25 kernels) has ``DFT`` (opsets 17-19 and 20+, float and double) under
CPUExecutionProvider and none under CUDAExecutionProvider (whose FFT kernels are
``com.microsoft`` contrib ops such as ``Rfft``/``Irfft``, which the exporters do not emit).
These matrix products run on every provider.
Outside an ONNX export (training, evaluation in PyTorch) ``fft2c``/``ifft2c`` use
``torch.fft`` instead, which gives the same result to float32 rounding and is several times
faster on CPU (the DFT products dominated the cost of a CRNN training step at width 16);
``use_torch_fft(False)`` forces the matrix products everywhere (tests compare the two paths).

``set_export_fft("dft")`` (the exporter's ``--fft dft``) exports the transforms as ONNX
``DFT`` nodes instead (opset 17, centring as Slice + Concat, orthonormal scale from the
input's shape; see ``_CentredDft``); eager PyTorch still uses ``torch.fft``. The DFT nodes
run in float64 (Cast around them): onnxruntime's float32 DFT kernel was off by 7.7e-5 of the
maximum from ``torch.fft`` on a 12 x 10 x 246 x 512 ``ifft2c`` (float64: 1.7e-7). The default
stays ``"matmul"``: on onnxruntime-node 1.30's CPU provider the DFT-operator graph was slower
(the matrix products took 0.34x its time in float64, 0.65-0.99x in float32);
bench/dft_export.ts, docs/benchmarks.md (2026-12-07). On the CUDA provider a DFT node would
fall back to the CPU provider.
"""

import math
import warnings

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


# How ``fft2c``/``ifft2c`` export to ONNX: "matmul" (the DFT-matrix products above, every
# provider) or "dft" (ONNX's DFT operator, opset 17, see _CentredDft). The default is the one
# measured faster on onnxruntime's CPU provider: bench/dft_export.ts, docs/benchmarks.md
# ("Centred 2-D FFT in exported graphs: DFT-matrix products vs ONNX DFT", 2026-12-07).
EXPORT_FFT_MODES = ("matmul", "dft")
_EXPORT_FFT = ["matmul"]


def set_export_fft(mode: str) -> str:
    """How ``fft2c``/``ifft2c`` export to ONNX: ``"matmul"`` or ``"dft"``; returns the
    previous setting. Eager PyTorch is unaffected (``torch.fft``, or the matrix products
    with ``use_torch_fft(False)``)."""
    if mode not in EXPORT_FFT_MODES:
        raise ValueError(f"export FFT mode {mode!r}: use one of {', '.join(EXPORT_FFT_MODES)}")
    prev = _EXPORT_FFT[0]
    _EXPORT_FFT[0] = mode
    return prev


def export_fft() -> str:
    """The current export mode of ``fft2c``/``ifft2c`` (``"matmul"`` or ``"dft"``)."""
    return _EXPORT_FFT[0]


def _onnx_int(g, v: int):
    return g.op("Constant", value_t=torch.tensor([v], dtype=torch.int64))


def _onnx_centre_shift(g, x, axis: int, inverse_shift: bool):
    """``ifftshift`` (``inverse_shift``) or ``fftshift`` of ``x`` along ``axis`` as
    Slice + Concat with the split point from the input's shape: both are
    ``concat(x[p:], x[:p])`` with p = floor(n/2) (ifftshift) or ceil(n/2) (fftshift)."""
    n = g.op("Gather", g.op("Shape", x), _onnx_int(g, axis), axis_i=0)
    if not inverse_shift:
        n = g.op("Add", n, _onnx_int(g, 1))
    p = g.op("Div", n, _onnx_int(g, 2))  # integer division of non-negative int64
    ax = _onnx_int(g, axis)
    tail = g.op("Slice", x, p, _onnx_int(g, 2**62), ax)
    head = g.op("Slice", x, _onnx_int(g, 0), p, ax)
    return g.op("Concat", tail, head, axis_i=axis)


class _CentredDft(torch.autograd.Function):
    """The centred orthonormal 2-D transform: ``torch.fft`` when run, ONNX ``DFT`` nodes
    (opset 17: ``axis``, ``inverse``, ``onesided=0``; complex as a trailing axis of 2, ONNX
    DFT's own convention) when exported, with the centring shifts as Slice + Concat and the
    orthonormal scale from the input's shape."""

    @staticmethod
    def forward(ctx, x, inverse: bool):  # pylint: disable=arguments-differ
        ctx.inverse = inverse
        return _torch_fft(x, inverse)

    @staticmethod
    def backward(ctx, grad):  # pylint: disable=arguments-differ
        # the transform is unitary: its adjoint is the opposite transform
        return _torch_fft(grad, not ctx.inverse), None

    @staticmethod
    def symbolic(g, x, inverse: bool):
        with warnings.catch_warnings():  # torch 1.13 warns on every g.op of a Function
            warnings.simplefilter("ignore", FutureWarning)
            return _CentredDft.graph(g, x, inverse)

    @staticmethod
    def graph(g, x, inverse: bool):
        """The ONNX nodes of :meth:`symbolic`."""
        rank = x.type().dim()
        if rank is None or rank < 4:
            raise ValueError("--fft dft exports tensors [batch, ..., Y, X, 2] of known rank >= 4")
        ay, axx = rank - 3, rank - 2
        y = _onnx_centre_shift(g, _onnx_centre_shift(g, x, ay, True), axx, True)
        inv = 1 if inverse else 0
        # in double: onnxruntime's float DFT kernel is off by up to ~2e-5 of the maximum
        # on sizes that are not powers of two (measured: tests/models/trial_test.ts)
        y = g.op("Cast", y, to_i=11)  # DOUBLE
        y = g.op("DFT", y, axis_i=ay, inverse_i=inv, onesided_i=0)
        y = g.op("DFT", y, axis_i=axx, inverse_i=inv, onesided_i=0)
        y = g.op("Cast", y, to_i=1)  # FLOAT
        y = _onnx_centre_shift(g, _onnx_centre_shift(g, y, ay, False), axx, False)
        # ONNX DFT is unscaled forward and 1/n inverse; orthonormal is 1/sqrt(n) both ways
        shape = g.op("Shape", x)
        ny = g.op("Gather", shape, _onnx_int(g, ay), axis_i=0)
        nx = g.op("Gather", shape, _onnx_int(g, axx), axis_i=0)
        n = g.op("Cast", g.op("Mul", ny, nx), to_i=1)  # FLOAT
        root = g.op("Sqrt", n)
        return g.op("Mul", y, root) if inverse else g.op("Div", y, root)


def _dft_path() -> bool:
    return torch.onnx.is_in_onnx_export() and _EXPORT_FFT[0] == "dft"


def fft2c(x: torch.Tensor) -> torch.Tensor:
    """Centred orthonormal 2-D FFT of ``x`` ``[..., Y, X, 2]`` (image -> k-space)."""
    if _dft_path():
        return _CentredDft.apply(x, False)
    return _apply(x, inverse=False) if _matmul_path() else _torch_fft(x, False)


def ifft2c(x: torch.Tensor) -> torch.Tensor:
    """Centred orthonormal 2-D inverse FFT of ``x`` ``[..., Y, X, 2]`` (k-space -> image)."""
    if _dft_path():
        return _CentredDft.apply(x, True)
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
