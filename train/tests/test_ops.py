"""cmrxtrain.ops: the multi-coil operators are adjoint, DC keeps consistent data fixed."""

import unittest

import numpy as np
import torch

from cmrxtrain import ops
from cmrxtrain.fftc import fft2c, ifft2c

torch.set_num_threads(1)


def unit_maps(b, c, y, x, seed=0):
    g = torch.Generator().manual_seed(seed)
    s = torch.randn(b, c, y, x, 2, generator=g)
    return s / s.pow(2).sum(dim=(1, 4), keepdim=True).sqrt()


class OpsTest(unittest.TestCase):
    def setUp(self):
        torch.manual_seed(0)
        self.b, self.t, self.c, self.y, self.x = 1, 3, 4, 10, 7
        self.sens = unit_maps(self.b, self.c, self.y, self.x)
        self.mask = (torch.rand(self.b, self.t, self.y, 1) < 0.4).float().expand(
            self.b, self.t, self.y, self.x).contiguous()

    def test_expand_and_reduce_are_adjoint(self):
        img = torch.randn(self.b, self.t, self.y, self.x, 2)
        k = torch.randn(self.b, self.t, self.c, self.y, self.x, 2)
        lhs = (ops.sens_expand(img, self.sens) * k).sum()
        rhs = (img * ops.sens_reduce(k, self.sens)).sum()
        self.assertAlmostEqual(float(lhs), float(rhs), places=3)

    def test_reduce_after_expand_is_identity_for_unit_maps(self):
        img = torch.randn(self.b, self.t, self.y, self.x, 2)
        back = ops.sens_reduce(ops.sens_expand(img, self.sens), self.sens)
        self.assertLess(float((back - img).abs().max()), 1e-5)

    def test_hard_dc_replaces_sampled_kspace(self):
        truth = torch.randn(self.b, self.t, self.y, self.x, 2)
        k0 = ops.sens_expand(truth, self.sens) * ops.mask_to_kspace(self.mask)
        # consistent data is a fixed point
        self.assertLess(float((ops.hard_dc(truth, k0, self.mask, self.sens) - truth).abs().max()), 1e-5)
        # single coil with all-ones maps: sampled k-space becomes the measured one exactly,
        # unsampled k-space is that of the estimate
        one = torch.zeros(1, 1, self.y, self.x, 2)
        one[..., 0] = 1
        est = torch.randn(1, self.t, self.y, self.x, 2)
        k1 = fft2c(truth).unsqueeze(2) * ops.mask_to_kspace(self.mask)
        out = ops.hard_dc(est, k1, self.mask, one)
        m = self.mask.unsqueeze(-1)
        kout = fft2c(out)
        self.assertLess(float(((kout - k1[:, :, 0]) * m).abs().max()), 1e-5)
        self.assertLess(float(((kout - fft2c(est)) * (1 - m)).abs().max()), 1e-5)

    def test_soft_dc_interpolates(self):
        truth = torch.randn(self.b, self.t, self.y, self.x, 2)
        est = torch.randn(self.b, self.t, self.y, self.x, 2)
        k0 = ops.sens_expand(truth, self.sens) * ops.mask_to_kspace(self.mask)
        hard = ops.hard_dc(est, k0, self.mask, self.sens)
        big = ops.soft_dc(est, k0, self.mask, self.sens, torch.tensor(1e7))
        none = ops.soft_dc(est, k0, self.mask, self.sens, torch.tensor(0.0))
        self.assertLess(float((big - hard).abs().max()), 1e-4)
        self.assertLess(float((none - est).abs().max()), 1e-5)

    def test_rss_matches_numpy(self):
        k = torch.randn(1, 2, 3, 6, 5, 2)
        coil = ifft2c(k).numpy()
        want = np.sqrt((coil**2).sum(-1).sum(2))
        np.testing.assert_allclose(ops.rss_kspace(k).numpy(), want, rtol=1e-5)


if __name__ == "__main__":
    unittest.main()
