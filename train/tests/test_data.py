"""cmrxtrain.data: masks, ACS maps, items and the official-layout reader."""

import os
import tempfile
import unittest

import numpy as np
import torch

from cmrxtrain import data as D
from tinydata import write_dataset

torch.set_num_threads(1)


class MaskTest(unittest.TestCase):
    def test_uniform_lines_follow_the_organisers_rule(self):
        lines = D.uniform_lines(72, 8, 24)
        want = np.zeros(72)
        want[::8] = 1
        want[24:48] = 1
        np.testing.assert_array_equal(lines, want)
        self.assertEqual(D.acs_range(lines), (24, 49))  # line 48 = 6 x 8 joins the band
        odd = D.uniform_lines(33, 4, 8)
        self.assertEqual(D.acs_range(odd), (12, 21))  # 12..19 ACS, 20 is a 4k line

    def test_acs_range_empty_when_centre_unsampled(self):
        lines = np.zeros(10)
        lines[0] = 1
        self.assertEqual(D.acs_range(lines), (5, 5))

    def test_tukey(self):
        np.testing.assert_array_equal(D.tukey(5, 0), np.ones(5))
        w = D.tukey(8, 1.0)
        self.assertTrue(np.all(w > 0) and np.all(w <= 1))
        np.testing.assert_allclose(w, w[::-1])


class MapsTest(unittest.TestCase):
    def test_maps_are_unit_norm_inside_and_phase_normalised(self):
        item = D.synthetic_slice(nt=4, nc=4, ny=32, nx=24, acc=4, seed=2)
        s = item["sens"].numpy()
        r = np.sqrt((s**2).sum(-1).sum(0))
        t = item["target"].numpy().mean(0)
        inside = t > 0.3 * t.max()
        self.assertGreater(r[inside].min(), 0.99)
        self.assertLessEqual(r.max(), 1.0 + 1e-5)
        # phase normalisation: the projection on the virtual coil is real and positive,
        # so the coil-combined image has a smooth (not random) phase inside
        tc = item["target_complex"].numpy()
        mag = np.hypot(tc[..., 0], tc[..., 1])
        ratio = mag[:, inside].mean() / item["target"].numpy()[:, inside].mean()
        self.assertGreater(ratio, 0.98)

    def test_time_average_counts_sampled_frames(self):
        k = np.ones((3, 2, 4, 5), np.complex64)
        k[1] *= 4
        mask = np.zeros((3, 4, 5))
        mask[:, 1] = 1
        mask[0, 2] = 1
        avg = D.time_averaged_kspace(k * mask[:, None], mask)
        self.assertAlmostEqual(avg[0, 1, 0].real, 2.0)  # (1 + 4 + 1) / 3
        self.assertAlmostEqual(avg[0, 2, 0].real, 1.0)  # only frame 0
        self.assertEqual(avg[0, 0, 0], 0)

    def test_no_acs_band_is_a_data_error(self):
        k = np.ones((2, 2, 16, 8), np.complex64)
        lines = np.zeros(16)
        lines[8] = 1
        mask = np.broadcast_to(lines[:, None], (16, 8))
        with self.assertRaises(D.DataError):
            D.sensitivity_maps(k, mask, "x.mat")


class ItemTest(unittest.TestCase):
    def test_item_is_normalised_and_masked(self):
        item = D.synthetic_slice(nt=3, nc=4, ny=32, nx=24, acc=4, seed=3)
        k = item["kspace"].numpy()
        kc = k[..., 0] + 1j * k[..., 1]
        zf = np.sqrt((np.abs(D.ifft2c_np(kc)) ** 2).sum(1))
        self.assertAlmostEqual(float(zf.max()), 1.0, places=5)  # scale = max zero-filled RSS
        m = item["mask"].numpy()
        self.assertEqual(float(np.abs(kc * (1 - m[:, None])).max()), 0.0)
        self.assertEqual(tuple(item["sens"].shape), (4, 32, 24, 2))
        self.assertEqual(tuple(item["target"].shape), (3, 32, 24))

    def test_readout_crop_keeps_the_problem_consistent(self):
        rng = np.random.default_rng(0)
        full = rng.standard_normal((2, 3, 32, 24)) + 1j * rng.standard_normal((2, 3, 32, 24))
        lines = D.uniform_lines(32, 4, 12)
        whole = D.make_item(full, lines)
        part = D.make_item(full, lines, crop_x=10, crop_at=5)
        # maps and target are the whole slice's, cut
        np.testing.assert_allclose(part["sens"].numpy(), whole["sens"].numpy()[:, :, 5:15], atol=1e-6)
        np.testing.assert_allclose(part["target"].numpy(), whole["target"].numpy()[..., 5:15], rtol=1e-4, atol=1e-6)
        self.assertEqual(float(part["scale"]), float(whole["scale"]))


class ReaderTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        write_dataset(cls.tmp.name, patients=2, tasks=("cine", "mapping"), accs=(4, 8))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_discover_lists_files_with_shapes(self):
        files = D.discover(self.tmp.name, ("cine", "mapping"))
        self.assertEqual(len(files), 8)
        sax = [f for f in files if f["view"] == "sax"][0]
        self.assertEqual((sax["frames"], sax["slices"], sax["coils"], sax["ny"], sax["nx"]), (4, 2, 4, 32, 24))

    def test_missing_root_names_the_folder(self):
        with self.assertRaises(D.DataError) as cm:
            D.discover(os.path.join(self.tmp.name, "nope"))
        self.assertIn("nope", str(cm.exception))

    def test_training_items(self):
        ds = D.SliceDataset(self.tmp.name, ("cine",), accs=(4, 8), crop_x=16, flip=True)
        self.assertEqual(len(ds), 2 * 2 * 2)  # patients x views x slices
        item = ds.item(0, np.random.default_rng(0))
        self.assertIn(item["meta"]["acc"], (4, 8))
        self.assertEqual(tuple(item["kspace"].shape), (4, 4, 32, 16, 2))
        # mask lines come from the AccFactor file
        acc = item["meta"]["acc"]
        np.testing.assert_array_equal(item["mask"][0, :, 0].numpy(), D.uniform_lines(32, acc, 12))
        # same rng, same item
        again = ds.item(0, np.random.default_rng(0))
        self.assertTrue(torch.equal(item["kspace"], again["kspace"]))

    def test_conjugation_augments_with_the_conjugate_image(self):
        kw = dict(views=["sax"], accs=(4, 8), with_full=True)
        plain = D.SliceDataset(self.tmp.name, ("cine",), **kw)
        conj = D.SliceDataset(self.tmp.name, ("cine",), conj=True, **kw)

        def coils(item):  # unscaled coil images of the fully sampled k-space
            k = item["kspace_full"].numpy()
            return D.ifft2c_np((k[..., 0] + 1j * k[..., 1]) * float(item["scale"]))

        seen = set()
        for seed in range(12):
            a = plain.item(1, np.random.default_rng(seed))
            b = conj.item(1, np.random.default_rng(seed))
            self.assertEqual(a["meta"]["acc"], b["meta"]["acc"])
            ca, cb = coils(a), coils(b)
            tol = 1e-5 * np.abs(ca).max()
            flipped = not np.allclose(cb, ca, atol=tol)
            if flipped:
                np.testing.assert_allclose(cb, ca.conj(), atol=tol)
            seen.add(flipped)
            # the mask stays put (conjugation reverses k-space, not the sampling)
            self.assertTrue(torch.equal(a["mask"], b["mask"]))
        self.assertEqual(seen, {True, False})

    def test_validation_items_cover_every_acceleration(self):
        ds = D.SliceDataset(self.tmp.name, ("cine",), views=["sax"], accs=(4, 8), train=False)
        self.assertEqual(len(ds), 2 * 2 * 2)
        self.assertEqual([ds.item(i)["meta"]["acc"] for i in range(2)], [4, 8])

    def test_mask_rule_when_no_mask_file(self):
        ds = D.SliceDataset(self.tmp.name, ("cine",), accs=(10,), train=False)
        item = ds.item(0)
        np.testing.assert_array_equal(item["mask"][0, :, 0].numpy(), D.uniform_lines(32, 10))

    def test_mapping_times(self):
        ds = D.SliceDataset(self.tmp.name, ("mapping",), views=["T1"], accs=(4,), train=False)
        it = ds.item(1)  # P001 slice 1
        self.assertEqual(it["meta"]["slice"], 1)
        np.testing.assert_array_equal(it["times"].numpy(), [100 * (w + 1) + 1 for w in range(9)])
        t2 = D.SliceDataset(self.tmp.name, ("mapping",), views=["T2"], accs=(4,), train=False)
        np.testing.assert_array_equal(t2.item(0)["times"].numpy(), [0, 35, 55])

    def test_reads_the_official_kspace(self):
        files = D.discover(self.tmp.name, ("cine",))
        k = D.read_kspace_slice(files[0]["file"], 1)
        self.assertEqual(k.shape, (4, 4, 32, 24))
        self.assertEqual(k.dtype, np.complex64)


if __name__ == "__main__":
    unittest.main()
