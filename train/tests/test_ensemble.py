"""cmrxtrain.ensemble: exact mirrored problems and the flip self-ensemble."""

import unittest

import torch

from cmrxtrain.data import synthetic_slice
from cmrxtrain.ensemble import MEMBERS, FlipEnsemble, mirror_kspace, mirror_mask, transform_image
from cmrxtrain.models.crnn_mri import CRNN
from cmrxtrain.models.crunet_mr import CRUNetMR
from cmrxtrain.ops import sens_expand

torch.set_num_threads(1)


def problem(ny, nx, seed=0):
    """A noiseless multi-coil problem: image, maps, mask and the measured k-space."""
    g = torch.Generator().manual_seed(seed)
    img = torch.randn(1, 3, ny, nx, 2, generator=g)
    sens = torch.randn(1, 4, ny, nx, 2, generator=g)
    lines = (torch.rand(ny, generator=g) < 0.4).float()
    lines[ny // 2 - 2 : ny // 2 + 2] = 1
    mask = lines.view(1, 1, ny, 1).expand(1, 3, ny, nx).contiguous()
    k = sens_expand(img, sens) * mask.unsqueeze(2).unsqueeze(-1)
    return img, sens, mask, k


class MirrorTest(unittest.TestCase):
    def test_mirrored_data_is_the_mirrored_problem(self):
        # odd and even sizes: the mirrored data equals acquiring the mirrored image with the
        # mirrored maps and the derived mask
        for ny, nx in ((16, 12), (15, 11), (16, 11)):
            img, sens, mask, k = problem(ny, nx)
            for dims, c in MEMBERS[8][1:]:
                m2 = mirror_mask(mask, dims, c)
                self.assertEqual(float(m2.sum()), float(mask.sum()), (ny, nx, dims))
                k2 = mirror_kspace(k, dims, c)
                want = sens_expand(transform_image(img, dims, c), transform_image(sens, dims, c))
                want = want * m2.unsqueeze(2).unsqueeze(-1)
                err = float((k2 - want).abs().max() / want.abs().max())
                self.assertLess(err, 1e-5, (ny, nx, dims))
                # and nothing outside the derived mask
                outside = k2 * (1 - m2).unsqueeze(2).unsqueeze(-1)
                self.assertLess(float(outside.abs().max()), 1e-5)

    def test_even_size_mask_is_not_a_plain_flip(self):
        _, _, mask, _ = problem(16, 12, seed=3)
        m2 = mirror_mask(mask, (-3,))
        self.assertFalse(torch.equal(m2, mask.flip([-2])))
        self.assertTrue(torch.equal(m2, torch.roll(mask.flip([-2]), 1, dims=-2)))


class FlipEnsembleTest(unittest.TestCase):
    def test_identity_model_returns_the_zero_filled_image(self):
        # a model that returns its own zero-filled input: every pass gives the same image
        class ZeroFilled(torch.nn.Module):
            def forward(self, k, m, s):
                from cmrxtrain.ops import zero_filled
                return zero_filled(k, s)

        _, sens, mask, k = problem(15, 12)
        ens = FlipEnsemble(ZeroFilled())
        from cmrxtrain.ops import zero_filled
        want = zero_filled(k, sens)
        self.assertLess(float((ens(k, mask, sens) - want).abs().max() / want.abs().max()), 1e-5)

    def test_averages_the_passes_and_keeps_parameters(self):
        item = synthetic_slice(nt=4, nc=3, ny=18, nx=14, seed=1)
        k, m, s = item["kspace"][None], item["mask"][None], item["sens"][None]
        torch.manual_seed(0)
        model = CRNN(nf=6, nc=2, nd=4)
        with torch.no_grad():
            for p in model.parameters():
                p.add_(0.05 * torch.randn_like(p))
            ens = FlipEnsemble(model)
            out = ens(k, m, s)
            one = FlipEnsemble(model, members=(((), False),))(k, m, s)
            out8 = FlipEnsemble(model, members=8)(k, m, s)
            plain = model(k, m, s)
        self.assertEqual(tuple(out.shape), tuple(plain.shape))
        self.assertTrue(torch.equal(one, plain))
        self.assertGreater(float((out - plain).abs().max()), 1e-6)
        self.assertEqual(sum(p.numel() for p in ens.parameters()),
                         sum(p.numel() for p in model.parameters()))
        self.assertGreater(float((out8 - out).abs().max()), 1e-6)
        self.assertIn("self-ensemble over 4 image flips", ens.describe())
        self.assertIn("8 image flips (y, x) and complex conjugation",
                      FlipEnsemble(model, members=8).describe())
        with self.assertRaises(ValueError):
            FlipEnsemble(model, members=3)

    def test_one_batched_run_equals_the_members_run_one_by_one(self):
        # the members share one model call on the batch axis; that must be the mean of
        # separate calls, also for a batch of two slices (items must not mix)
        a = synthetic_slice(nt=4, nc=3, ny=17, nx=14, seed=2)
        b = synthetic_slice(nt=4, nc=3, ny=17, nx=14, seed=3)
        k = torch.stack((a["kspace"], b["kspace"]))
        m = torch.stack((a["mask"], b["mask"]))
        s = torch.stack((a["sens"], b["sens"]))
        for name, model in (("crnn", CRNN(nf=6, nc=2, nd=4, temporal_wrap=1)),
                            ("crunet", CRUNetMR(chans=4, cascades=2, temporal_wrap=1))):
            with self.subTest(model=name), torch.no_grad():
                torch.manual_seed(0)
                for p in model.parameters():
                    p.add_(0.05 * torch.randn_like(p))
                got = FlipEnsemble(model, members=8)(k, m, s)
                want = torch.zeros_like(got)
                for dims, c in MEMBERS[8]:
                    for i in range(2):
                        one = FlipEnsemble(model, members=((dims, c),))
                        want[i] += one(k[i:i + 1], m[i:i + 1], s[i:i + 1])[0] / 8
                self.assertLess(float((got - want).abs().max() / want.abs().max()), 1e-5)


if __name__ == "__main__":
    unittest.main()
