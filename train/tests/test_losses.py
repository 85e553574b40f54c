"""cmrxtrain.losses: SSIM equals scikit-image's, the named losses behave."""

import unittest

import numpy as np
import torch

from cmrxtrain import losses as L
from cmrxtrain.data import synthetic_slice
from cmrxtrain.ops import sens_expand

torch.set_num_threads(1)

try:
    from skimage.metrics import structural_similarity
except ImportError:  # pragma: no cover
    structural_similarity = None


def batch():
    item = synthetic_slice(nt=2, nc=3, ny=20, nx=18, seed=4)
    return {k: v.unsqueeze(0) for k, v in item.items() if isinstance(v, torch.Tensor)}


class SsimTest(unittest.TestCase):
    @unittest.skipIf(structural_similarity is None, "scikit-image is not installed")
    def test_matches_scikit_image(self):
        rng = np.random.default_rng(0)
        for shape in ((20, 17), (9, 9), (32, 24)):
            y = rng.random(shape)
            x = y + 0.2 * rng.standard_normal(shape)
            dr = float(y.max())
            want = structural_similarity(x, y, data_range=dr, win_size=7)
            got = float(L.ssim(torch.from_numpy(x), torch.from_numpy(y), dr))
            self.assertAlmostEqual(got, want, places=6, msg=str(shape))

    def test_identical_images(self):
        y = torch.rand(3, 12, 10)
        self.assertAlmostEqual(float(L.ssim(y, y)), 1.0, places=5)
        per = L.ssim(y, torch.rand(3, 12, 10), reduce=False)
        self.assertEqual(tuple(per.shape), (3,))


class RankingTest(unittest.TestCase):
    def test_region_follows_run4ranking(self):
        x = torch.arange(12 * 72 * 96, dtype=torch.float32).reshape(12, 72, 96)
        r = L.ranking_region(x)
        self.assertEqual(tuple(r.shape), (3, 36, 32))
        self.assertEqual(float(r[0, 0, 0]), float(x[0, 18, 32]))
        # odd sizes: MATLAB round(33/2) = 17 rows from floor(33/2) - floor(17/2) = 8
        y = torch.zeros(4, 33, 20)
        self.assertEqual(tuple(L.ranking_region(y, frames=4).shape), (4, 17, 7))

    def test_metrics(self):
        t = torch.rand(1, 12, 40, 30) + 0.1
        s, p = L.ranking_metrics(t, t)
        self.assertAlmostEqual(s, 1.0, places=5)
        self.assertGreater(p, 100)
        s2, p2 = L.ranking_metrics(3 * t, t)  # max normalisation: scale does not matter
        self.assertAlmostEqual(s2, 1.0, places=5)
        s3, p3 = L.ranking_metrics(t + 0.1 * torch.rand_like(t), t)
        self.assertLess(s3, 1.0)
        self.assertLess(p3, 40)


class LossTest(unittest.TestCase):
    def test_zero_at_the_target_and_positive_elsewhere(self):
        b = batch()
        perfect = b["target_complex"]
        fn = L.build({name: 1.0 for name in L.LOSSES})
        total, parts = fn(perfect, b)
        self.assertEqual(set(parts), set(L.LOSSES))
        # magnitude losses compare |S^H x| with the RSS target: equal only where the maps
        # have unit norm, so not exactly 0; the complex ones are exactly 0
        for name in ("complex_l1", "complex_mse", "kspace_mse"):
            self.assertLess(parts[name], 1e-10, name)
        self.assertLess(parts["complex_ssim"], 1e-5)
        worse = perfect + 0.1 * torch.randn_like(perfect)
        total2, parts2 = fn(worse, b)
        self.assertGreater(float(total2), float(total))
        for name in L.LOSSES:
            self.assertGreater(parts2[name], parts[name], name)

    def test_kspace_mse_uses_full_coil_kspace_when_given(self):
        b = batch()
        x = torch.randn_like(b["target_complex"])
        b2 = dict(b, kspace_full=sens_expand(b["target_complex"], b["sens"]))
        want = ((sens_expand(x, b["sens"]) - b2["kspace_full"]) ** 2).mean()
        self.assertAlmostEqual(float(L.kspace_mse(x, b2)), float(want), places=6)
        # without it: coil-combined (Parseval: the complex image MSE)
        self.assertAlmostEqual(float(L.kspace_mse(x, b)), float(L.complex_mse(x, b)), places=5)

    def test_high_pass_removes_constants(self):
        x = torch.full((2, 15, 13), 3.0)
        self.assertLess(float(L.high_pass(x).abs().max()), 1e-5)
        b = batch()
        x = b["target_complex"] * 1.1
        self.assertGreater(float(L.l1_split(x, b)), float(L.l1(x, b)))

    def test_center_losses_see_only_the_central_rows(self):
        b = batch()
        ny = b["target"].shape[-2]
        rows = L.center_rows(torch.arange(ny).view(ny, 1).float())
        cy = int(ny / 2 + 0.5)
        self.assertEqual(rows.shape[0], cy)
        self.assertEqual(int(rows[0, 0]), ny // 2 - cy // 2)
        x = b["target_complex"] + 0.1 * torch.randn_like(b["target_complex"])
        y = x.clone()
        y[..., 0, :, :] += 5.0  # the first row lies outside the central half
        self.assertAlmostEqual(float(L.l1_center(y, b)), float(L.l1_center(x, b)), places=6)
        self.assertAlmostEqual(float(L.ssim_center(y, b)), float(L.ssim_center(x, b)), places=6)
        self.assertAlmostEqual(float(L.mse_center(y, b)), float(L.mse_center(x, b)), places=6)
        self.assertGreater(float(L.l1(y, b)), float(L.l1(x, b)))
        z = x.clone()
        z[..., ny // 2, :, :] += 5.0
        self.assertGreater(float(L.l1_center(z, b)), float(L.l1_center(x, b)))
        self.assertGreater(float(L.mse_center(z, b)), float(L.mse_center(x, b)))

    def test_mse_rank_scores_each_frame_divided_by_its_own_max(self):
        b = batch()
        x = b["target_complex"] + 0.05 * torch.randn_like(b["target_complex"])
        ref = float(L.mse_rank(x, b))
        # invariant to a global scale of the output, unlike mse_center
        self.assertAlmostEqual(float(L.mse_rank(3.0 * x, b)), ref, places=6)
        self.assertGreater(float(L.mse_center(3.0 * x, b)), float(L.mse_center(x, b)))
        # the formula, by hand, on the central rows
        a = L.center_rows(x.norm(dim=-1))
        t = L.center_rows(b["target"])
        a = a / a.amax(dim=(-2, -1), keepdim=True)
        t = t / t.amax(dim=(-2, -1), keepdim=True)
        self.assertAlmostEqual(ref, float(((a - t) ** 2).mean()), places=6)
        # the target itself scores 0; the target with each frame's peak cut by 5 % does not
        exact = torch.stack([b["target"], torch.zeros_like(b["target"])], dim=-1)
        self.assertLess(float(L.mse_rank(exact, b)), 1e-12)
        cut = exact.clone()
        rows = L.center_rows(cut[..., 0])  # a view into cut: [B, T, rows, X]
        for i, t_ in np.ndindex(*rows.shape[:2]):
            yy, xx = divmod(int(rows[i, t_].argmax()), rows.shape[-1])
            rows[i, t_, yy, xx] *= 0.95
        self.assertGreater(float(L.mse_rank(cut, b)), 1e-6)

    def test_unknown_name(self):
        with self.assertRaises(ValueError) as cm:
            L.build({"nope": 1})
        self.assertIn("ssim", str(cm.exception))
        self.assertTrue(L.needs_full_kspace({"kspace_mse": 0.25, "l1": 1}))
        self.assertFalse(L.needs_full_kspace("l1"))


if __name__ == "__main__":
    unittest.main()
