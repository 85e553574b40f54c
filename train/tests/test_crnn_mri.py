"""CRNN-MRI: the paper's parameter count, weight sharing, bidirectionality, DC."""

import unittest

import torch

from cmrxtrain.data import synthetic_slice
from cmrxtrain.models import REGISTRY, build, count_parameters
from cmrxtrain.models.crnn_mri import CRNN
from cmrxtrain.ops import hard_dc, zero_filled
from wrapcheck import check_circular_context

torch.set_num_threads(1)


def inputs(nt=4, seed=0):
    item = synthetic_slice(nt=nt, nc=3, ny=20, nx=16, seed=seed)
    return item["kspace"][None], item["mask"][None], item["sens"][None]


class CrnnTest(unittest.TestCase):
    def test_registered(self):
        self.assertIs(REGISTRY["crnn"], CRNN)

    def test_paper_parameter_count(self):
        # nf 64, 5 layers: measured on the public implementation (js3611/Deep-MRI-Reconstruction,
        # cascadenet_pytorch, instantiated on the CPU)
        self.assertEqual(count_parameters(build("crnn")), 297794)

    def test_weights_shared_over_iterations(self):
        self.assertEqual(count_parameters(CRNN(nf=8, nc=2)), count_parameters(CRNN(nf=8, nc=7)))

    def test_untrained_network_is_data_consistent_zero_filling(self):
        k, m, s = inputs()
        model = CRNN(nf=8, nc=3, out_init="zero")
        with torch.no_grad():
            out = model(k, m, s)
            want = zero_filled(k, s)
            for _ in range(3):
                want = hard_dc(want, k, m, s)
        self.assertLess(float((out - want).abs().max()), 1e-5)

    def test_bidirectional_in_time(self):
        # shared weights in both directions + summed outputs: reversing the frames
        # reverses the output
        k, m, s = inputs(nt=5)
        torch.manual_seed(0)
        model = CRNN(nf=6, nc=2, nd=4)
        with torch.no_grad():
            for p in model.parameters():
                p.add_(0.05 * torch.randn_like(p))
            out = model(k, m, s)
            rev = model(k.flip(1), m.flip(1), s)
        self.assertLess(float((rev.flip(1) - out).abs().max()), 1e-5)
        # and the frames interact (not a per-frame network)
        k2 = k.clone()
        k2[:, 0] *= 2
        with torch.no_grad():
            out2 = model(k2, m, s)
        self.assertGreater(float((out2[:, 3] - out[:, 3]).abs().max()), 1e-6)

    def test_temporal_wrap_is_circular_context(self):
        k, m, s = inputs(nt=5)
        torch.manual_seed(0)
        plain = CRNN(nf=6, nc=2, nd=4)
        wrapped = CRNN(nf=6, nc=2, nd=4, temporal_wrap=2)
        wrapped.load_state_dict(plain.state_dict())  # same parameters
        with torch.no_grad():
            for p in plain.parameters():
                p.add_(0.05 * torch.randn_like(p))
            wrapped.load_state_dict(plain.state_dict())
        check_circular_context(self, plain, wrapped, k, m, s)
        with self.assertRaises(ValueError):
            CRNN(nf=6, temporal_wrap=-1)

    def test_gradients_reach_every_parameter(self):
        k, m, s = inputs()
        model = CRNN(**CRNN.test_config())
        model(k, m, s).abs().mean().backward()
        for name, p in model.named_parameters():
            self.assertIsNotNone(p.grad, name)
            self.assertGreater(float(p.grad.abs().sum()), 0, name)

    def test_soft_dc_variant(self):
        k, m, s = inputs()
        model = CRNN(nf=4, nc=2, nd=3, dc="soft")
        self.assertIn("dc_raw", dict(model.named_parameters()))
        self.assertEqual(tuple(model(k, m, s).shape), (1, 4, 20, 16, 2))
        with self.assertRaises(ValueError):
            CRNN(dc="nope")
        with self.assertRaises(ValueError):
            CRNN(out_init="he")


if __name__ == "__main__":
    unittest.main()
