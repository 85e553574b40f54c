"""cmrxtrain.fftc against numpy's centred orthonormal FFT, odd and even sizes."""

import io
import unittest

import numpy as np
import torch

from cmrxtrain.fftc import (
    complex_abs,
    complex_mul,
    complex_mul_conj,
    export_fft,
    fft2c,
    ifft2c,
    set_export_fft,
    use_torch_fft,
)

try:
    import onnx
except ImportError:  # pragma: no cover
    onnx = None

torch.set_num_threads(1)


def c2r(z):
    return torch.from_numpy(np.stack((z.real, z.imag), -1).astype(np.float32))


def r2c(t):
    a = t.detach().numpy().astype(np.float64)
    return a[..., 0] + 1j * a[..., 1]


def np_fft2c(x, inverse=False):
    ax = (-2, -1)
    f = np.fft.ifft2 if inverse else np.fft.fft2
    return np.fft.fftshift(f(np.fft.ifftshift(x, axes=ax), norm="ortho"), axes=ax)


class FftcTest(unittest.TestCase):
    def test_matches_numpy_for_odd_and_even_sizes(self):
        # both paths: torch.fft (training) and the DFT matrix products (what exports)
        rng = np.random.default_rng(0)
        for matmul in (False, True):
            prev = use_torch_fft(not matmul)
            try:
                for ny, nx in ((8, 6), (5, 7), (9, 10), (1, 4), (12, 13)):
                    shape = (2, 3, ny, nx)
                    z = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
                    for inverse in (False, True):
                        want = np_fft2c(z, inverse)
                        got = r2c((ifft2c if inverse else fft2c)(c2r(z)))
                        err = np.abs(got - want).max() / np.abs(want).max()
                        self.assertLess(err, 1e-5, f"{ny}x{nx} inv={inverse} mm={matmul}: {err}")
            finally:
                use_torch_fft(prev)

    def test_round_trip_and_norm(self):
        x = torch.randn(2, 11, 6, 2)
        y = fft2c(x)
        self.assertLess(float((ifft2c(y) - x).abs().max()), 1e-5)
        # orthonormal: energy preserved
        self.assertAlmostEqual(float((y**2).sum()), float((x**2).sum()), places=2)

    def test_dft_operator_path_matches_the_matrix_products(self):
        # the Function behind --fft dft: value and gradient against the matrix products
        from cmrxtrain.fftc import _CentredDft

        prev = use_torch_fft(False)
        try:
            for ny, nx in ((8, 6), (5, 7), (1, 4), (12, 13)):
                x = torch.randn(2, 3, ny, nx, 2, dtype=torch.float32, requires_grad=True)
                w = torch.randn(2, 3, ny, nx, 2)
                for inverse in (False, True):
                    want = (ifft2c if inverse else fft2c)(x)
                    got = _CentredDft.apply(x, inverse)
                    err = float((got - want).abs().max() / want.abs().max())
                    self.assertLess(err, 1e-5, f"{ny}x{nx} inv={inverse}: {err}")
                    (gw,) = torch.autograd.grad((want * w).sum(), x)
                    (gg,) = torch.autograd.grad((got * w).sum(), x)
                    gerr = float((gg - gw).abs().max() / gw.abs().max())
                    self.assertLess(gerr, 1e-5, f"grad {ny}x{nx} inv={inverse}: {gerr}")
        finally:
            use_torch_fft(prev)

    @unittest.skipIf(onnx is None, "onnx is not installed")
    def test_export_modes(self):
        # "dft": DFT nodes (axis Y and X, onesided 0) and no MatMul; "matmul": the reverse
        class M(torch.nn.Module):
            def forward(self, x):
                return ifft2c(fft2c(x) * 2.0)

        self.assertEqual(export_fft(), "matmul")  # the measured default (fftc.py)
        for mode in ("dft", "matmul"):
            prev = set_export_fft(mode)
            try:
                buf = io.BytesIO()
                torch.onnx.export(M(), (torch.randn(1, 2, 5, 4, 2),), buf, opset_version=17,
                                  input_names=["x"], output_names=["y"],
                                  dynamic_axes={"x": {2: "Y", 3: "X"}})
            finally:
                set_export_fft(prev)
            g = onnx.load_from_string(buf.getvalue()).graph
            ops = [n.op_type for n in g.node]
            if mode == "dft":
                self.assertEqual(ops.count("DFT"), 4)
                self.assertNotIn("MatMul", ops)
                for n in g.node:
                    if n.op_type == "DFT":
                        a = {x.name: x.i for x in n.attribute}
                        self.assertIn(a["axis"], (2, 3))
                        self.assertEqual(a["onesided"], 0)
            else:
                self.assertNotIn("DFT", ops)
                self.assertIn("MatMul", ops)
        with self.assertRaises(ValueError):
            set_export_fft("fftw")

    def test_complex_products(self):
        rng = np.random.default_rng(1)
        a = rng.standard_normal((4, 3)) + 1j * rng.standard_normal((4, 3))
        b = rng.standard_normal((4, 3)) + 1j * rng.standard_normal((4, 3))
        np.testing.assert_allclose(r2c(complex_mul(c2r(a), c2r(b))), a * b, atol=1e-5)
        np.testing.assert_allclose(r2c(complex_mul_conj(c2r(a), c2r(b))), a * b.conj(), atol=1e-5)
        np.testing.assert_allclose(complex_abs(c2r(a)).numpy(), np.abs(a), atol=1e-6)


if __name__ == "__main__":
    unittest.main()
