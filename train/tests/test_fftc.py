"""cmrxtrain.fftc against numpy's centred orthonormal FFT, odd and even sizes."""

import unittest

import numpy as np
import torch

from cmrxtrain.fftc import (
    complex_abs,
    complex_mul,
    complex_mul_conj,
    fft2c,
    ifft2c,
    use_torch_fft,
)

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

    def test_complex_products(self):
        rng = np.random.default_rng(1)
        a = rng.standard_normal((4, 3)) + 1j * rng.standard_normal((4, 3))
        b = rng.standard_normal((4, 3)) + 1j * rng.standard_normal((4, 3))
        np.testing.assert_allclose(r2c(complex_mul(c2r(a), c2r(b))), a * b, atol=1e-5)
        np.testing.assert_allclose(r2c(complex_mul_conj(c2r(a), c2r(b))), a * b.conj(), atol=1e-5)
        np.testing.assert_allclose(complex_abs(c2r(a)).numpy(), np.abs(a), atol=1e-6)


if __name__ == "__main__":
    unittest.main()
