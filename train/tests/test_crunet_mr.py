"""CRUNet-MR, its feature-bank variants and 3D UNet-MR: shapes, data consistency, circular
temporal padding, recurrence direction, normalisation, ONNX export, gradients.

Run: ``PYTHONPATH=train /usr/bin/python3 -m unittest discover -s train/tests``.
"""

import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from cmrxtrain.export import export_onnx  # noqa: E402
from cmrxtrain.fftc import fft2c, ifft2c  # noqa: E402
from cmrxtrain.models import REGISTRY  # noqa: E402
from cmrxtrain.models.crunet_mr import (  # noqa: E402
    CRNNTI,
    CRUNetMR,
    TemporalConv,
    circular_pad_time,
    pad_to_multiple,
    zscore,
)
from cmrxtrain.models.crunet_fb import CRUNetFB  # noqa: E402
from cmrxtrain.models.unet3d_mr import UNet3DMR  # noqa: E402
from wrapcheck import check_circular_context  # noqa: E402

torch.set_num_threads(1)

SMALL = {
    "crunet": lambda **kw: CRUNetMR(chans=4, cascades=2, **kw),
    "crunet_fb_ca": lambda **kw: CRUNetFB(chans=4, cascades=3, fusion="ca", **kw),
    "crunet_fb_conv": lambda **kw: CRUNetFB(chans=4, cascades=3, fusion="conv", **kw),
    "unet3d": lambda **kw: UNet3DMR(chans=4, cascades=2, **kw),
}
"""Small instances of each variant; keyword arguments are added to the constructor's."""


def random_inputs(t=4, c=3, y=11, x=14, seed=0, coils_unit=False):
    """Random masked k-space ``[1,T,C,Y,X,2]``, a line mask ``[1,T,Y,X]`` and maps."""
    g = torch.Generator().manual_seed(seed)
    lines = (torch.rand(y, generator=g) < 0.4).float()
    lines[y // 2] = 1.0
    mask = lines.view(1, 1, y, 1).expand(1, t, y, x).contiguous()
    k = torch.randn(1, t, c, y, x, 2, generator=g) * mask[:, :, None, :, :, None]
    if coils_unit:
        sens = torch.zeros(1, c, y, x, 2)
        sens[..., 0] = 1.0
    else:
        sens = torch.randn(1, c, y, x, 2, generator=g) * 0.5
    return k, mask, sens


class TestShapes(unittest.TestCase):
    def test_output_shape_odd_and_even_sizes(self):
        for name, make in SMALL.items():
            torch.manual_seed(0)
            model = make()
            for (y, x) in ((11, 14), (8, 9)):
                k, m, s = random_inputs(y=y, x=x)
                with self.subTest(model=name, y=y, x=x):
                    out = model(k, m, s)
                    self.assertEqual(tuple(out.shape), (1, 4, y, x, 2))
                    self.assertTrue(torch.isfinite(out).all())

    def test_registry_entries(self):
        for name, cls in (("crunet", CRUNetMR), ("crunet_fb", CRUNetFB), ("unet3d", UNet3DMR)):
            self.assertIs(REGISTRY[name], cls)
            self.assertEqual(cls.FRAMES, 12)
            model = cls(**cls.test_config())
            self.assertIn("cascades", model.describe())

    def test_paper_defaults(self):
        model = CRUNetMR()
        self.assertEqual((model.chans, model.cascades, model.dilations), (64, 5, (1, 2, 4)))
        self.assertEqual(model.temporal_padding, "circular")
        # The public model (4,537,930 without its unused maps) minus the first cascade's
        # dead iteration convs (5 units x 64*64*9) and two of every CRNN cell's three
        # biases (4 units x 128 + the bottleneck's 64 per block): see crunet_mr.py.
        expected = 4_537_930 - 5 * 64 * 64 * 9 - 5 * (4 * 2 * 64 + 64)
        self.assertEqual(sum(p.numel() for p in model.parameters()), expected)

    def test_bad_arguments(self):
        with self.assertRaises(ValueError):
            CRUNetMR(chans=4, cascades=1, temporal_padding="reflect")
        with self.assertRaises(ValueError):
            CRUNetMR(chans=4, cascades=1, dilations=(1, 2))
        with self.assertRaises(ValueError):
            CRUNetFB(chans=4, cascades=2, fusion="sum")


class TestDataConsistency(unittest.TestCase):
    def test_single_coil_output_keeps_measured_kspace(self):
        # With one coil of unit sensitivity, F(output) must equal the measured k-space on
        # every sampled location, whatever the network did (hard DC is the last step).
        for name, make in SMALL.items():
            torch.manual_seed(1)
            model = make()
            k, m, s = random_inputs(c=1, coils_unit=True, seed=3)
            with torch.no_grad():
                out = model(k, m, s)
            kout = fft2c(out)  # [1, T, Y, X, 2]
            sampled = m.bool()
            with self.subTest(model=name):
                err = (kout[sampled] - k[:, :, 0][sampled]).abs().max().item()
                self.assertLess(err, 1e-5)
                # and the unsampled part is the network's, not zeros
                self.assertGreater(kout[~sampled].abs().max().item(), 1e-3)

    def test_rss_output_is_rss_of_dc_coil_images(self):
        # output="rss": same weights; the last DC's coil k-space is combined by RSS
        torch.manual_seed(11)
        sens_model = CRUNetMR(chans=4, cascades=2)
        rss_model = CRUNetMR(chans=4, cascades=2, output="rss")
        rss_model.load_state_dict(sens_model.state_dict())
        k, m, s = random_inputs(seed=12)
        full_mask = torch.ones_like(m)
        with torch.no_grad():
            out = rss_model(k, full_mask, s)
        # with every sample measured, DC returns the input k-space: RSS of its coil images
        ref = torch.sqrt((ifft2c(k) ** 2).sum(dim=(2, 5)))
        self.assertLess((out[..., 0] - ref).abs().max().item(), 1e-4)
        self.assertEqual(out[..., 1].abs().max().item(), 0.0)
        with torch.no_grad():
            a, b = sens_model(k, m, s), rss_model(k, m, s)
        self.assertGreater((a.norm(dim=-1) - b[..., 0]).abs().max().item(), 1e-4)
        with self.assertRaises(ValueError):
            CRUNetMR(chans=4, cascades=1, output="magnitude")

    def test_fully_sampled_input_is_returned(self):
        # mask of ones: DC replaces everything by the measurement, so with unit single-coil
        # maps the output is the inverse FFT of the input k-space.
        model = CRUNetMR(chans=4, cascades=2)
        k, m, s = random_inputs(c=1, coils_unit=True, seed=4)
        m = torch.ones_like(m)
        k = torch.randn_like(k)
        with torch.no_grad():
            out = model(k, m, s)
        self.assertLess((fft2c(out) - k[:, :, 0]).abs().max().item(), 1e-5)


class TestTemporal(unittest.TestCase):
    def test_circular_pad_wraps_frames(self):
        v = torch.arange(5.0).view(1, 1, 5, 1, 1)
        got = circular_pad_time(v, 1).flatten().tolist()
        self.assertEqual(got, [4.0, 0.0, 1.0, 2.0, 3.0, 4.0, 0.0])
        self.assertEqual(circular_pad_time(v, 2).flatten().tolist(), [3, 4, 0, 1, 2, 3, 4, 0, 1])

    def test_circular_temporal_conv_matches_roll_formula(self):
        torch.manual_seed(2)
        t, cin, cout, y, x = 6, 3, 2, 5, 4
        conv = TemporalConv(cin, cout, 3, circular=True)
        feats = torch.randn(t, cin, y, x)  # [B*T, C, Y, X] with B = 1
        out = conv(feats, t)
        w = conv.conv.weight[:, :, :, 0, 0]  # [cout, cin, 3]
        ref = torch.zeros(t, cout, y, x)
        for i in range(t):
            for j in range(3):
                src = feats[(i + j - 1) % t]  # circular neighbour
                ref[i] += torch.einsum("oc,cyx->oyx", w[:, :, j], src)
            ref[i] += conv.conv.bias.view(-1, 1, 1)
        self.assertLess((out - ref).abs().max().item(), 1e-5)

    def test_zero_padding_differs_only_at_the_ends(self):
        torch.manual_seed(3)
        t = 6
        circ = TemporalConv(2, 2, 3, circular=True)
        zero = TemporalConv(2, 2, 3, circular=False)
        zero.load_state_dict(circ.state_dict())
        feats = torch.randn(t, 2, 3, 3)
        a, b = circ(feats, t), zero(feats, t)
        self.assertLess((a[1:-1] - b[1:-1]).abs().max().item(), 1e-6)
        self.assertGreater((a[0] - b[0]).abs().max().item(), 1e-4)
        self.assertGreater((a[-1] - b[-1]).abs().max().item(), 1e-4)

    def test_batch_items_do_not_mix(self):
        # frames of two batch items sit in one axis: the circular wrap must stay per item
        torch.manual_seed(4)
        t = 4
        conv = TemporalConv(2, 2, 3, circular=True)
        a, b = torch.randn(t, 2, 3, 3), torch.randn(t, 2, 3, 3)
        both = conv(torch.cat((a, b)), t)
        self.assertLess((both[:t] - conv(a, t)).abs().max().item(), 1e-6)
        self.assertLess((both[t:] - conv(b, t)).abs().max().item(), 1e-6)

    def test_recurrence_direction(self):
        torch.manual_seed(5)
        t = 5
        x = torch.randn(t, 2, 6, 6)
        x2 = x.clone()
        x2[-1] += 1.0  # change the last frame only
        fwd = CRNNTI(2, 3, direction="forward")
        y1, y2 = fwd(x, None, t), fwd(x2, None, t)
        self.assertLess((y1[:-1] - y2[:-1]).abs().max().item(), 1e-7)  # causal
        self.assertGreater((y1[-1] - y2[-1]).abs().max().item(), 1e-4)
        bwd = CRNNTI(2, 3, direction="backward")
        x3 = x.clone()
        x3[0] += 1.0  # change the first frame only
        z1, z3 = bwd(x, None, t), bwd(x3, None, t)
        self.assertLess((z1[1:] - z3[1:]).abs().max().item(), 1e-7)  # anti-causal
        both = CRNNTI(2, 3, direction="both")
        with torch.no_grad():
            both.i2h.weight.copy_(fwd.i2h.weight)
            both.h2h.weight.copy_(fwd.h2h.weight)
            both.ih2ih.weight.copy_(fwd.ih2ih.weight)
            both.bias.zero_()
            fwd.bias.zero_()
            bwd.load_state_dict(fwd.state_dict())
        s = torch.randn(t, 3, 6, 6)
        ref = fwd(x, s, t) + bwd(x, s, t)
        self.assertLess((both(x, s, t) - ref).abs().max().item(), 1e-5)

    def test_temporal_wrap_is_circular_context(self):
        # every variant: the wrapped model = the plain one on the circularly extended
        # sequence, cropped back; same weights (an inference-time option)
        k, m, s = random_inputs(t=5)
        for name, make in SMALL.items():
            with self.subTest(model=name):
                torch.manual_seed(0)
                plain = make()
                wrapped = make(temporal_wrap=2)
                wrapped.load_state_dict(plain.state_dict())
                check_circular_context(self, plain, wrapped, k, m, s)
        with self.assertRaises(ValueError):
            CRUNetMR(chans=4, cascades=2, temporal_wrap=-1)

    def test_first_cascade_has_no_iteration_weights(self):
        model = CRUNetMR(chans=4, cascades=2)
        self.assertIsNone(model.blocks[0].enc0.ih2ih)
        self.assertIsNotNone(model.blocks[1].enc0.ih2ih)
        with self.assertRaises(ValueError):
            model.blocks[0].enc0(torch.zeros(2, 4, 4, 4), torch.zeros(2, 4, 4, 4), 2)


class TestHelpers(unittest.TestCase):
    def test_pad_to_multiple(self):
        x = torch.randn(2, 3, 7, 10)
        p = pad_to_multiple(x, 4)
        self.assertEqual(tuple(p.shape), (2, 3, 8, 12))
        self.assertTrue(torch.equal(p[:, :, :7, :10], x))
        self.assertEqual(p[:, :, 7:].abs().sum().item(), 0.0)
        self.assertEqual(p[:, :, :, 10:].abs().sum().item(), 0.0)
        self.assertTrue(torch.equal(pad_to_multiple(torch.ones(1, 1, 8, 6), 2), torch.ones(1, 1, 8, 6)))

    def test_zscore_matches_torch_std(self):
        x = torch.randn(2, 3, 5, 4, 2) * 3 + 1
        n, mean, std = zscore(x)
        for b in range(2):
            self.assertAlmostEqual(mean[b].item(), x[b].mean().item(), places=5)
            self.assertAlmostEqual(std[b].item(), x[b].std().item(), places=4)
            self.assertAlmostEqual(n[b].std().item(), 1.0, places=4)
        self.assertLess((n * std + mean - x).abs().max().item(), 1e-5)


class TestFeatureBank(unittest.TestCase):
    def test_fusion_layers_grow_with_cascade(self):
        model = CRUNetFB(chans=4, cascades=4, fusion="ca")
        for i, fusers in enumerate(model.fusers, start=1):
            for f in fusers:
                self.assertEqual(f.conv.in_channels, 4 * i)
                self.assertEqual(f.conv.out_channels, 4)
        conv = CRUNetFB(chans=4, cascades=4, fusion="conv")
        self.assertIsInstance(conv.fusers[0][0].attention, torch.nn.Identity)

    def test_bank_uses_every_earlier_cascade(self):
        # cascade 2's states must depend on cascade 0's features (not only cascade 1's)
        torch.manual_seed(6)
        model = CRUNetFB(chans=4, cascades=3, fusion="ca")
        bank = [tuple(torch.randn(4, 4, 6, 6) for _ in range(3)) for _ in range(2)]
        s1 = model._states_for(2, bank)
        bank2 = [tuple(v + 1.0 for v in bank[0]), bank[1]]
        s2 = model._states_for(2, bank2)
        for a, b in zip(s1, s2):
            self.assertGreater((a - b).abs().max().item(), 1e-4)
        self.assertEqual(model._states_for(0, []), (None, None, None))


class TestExportAndGradients(unittest.TestCase):
    def test_onnx_export_opset17_dynamic_yx(self):
        import onnx

        for name, make in SMALL.items():
            torch.manual_seed(0)
            model = make().eval()
            k, m, s = random_inputs(t=3, c=2, y=9, x=10)
            with tempfile.TemporaryDirectory() as d, self.subTest(model=name):
                path = os.path.join(d, "m.onnx")
                export_onnx(model, path, frames=k.shape[1], coils=k.shape[2], size=(9, 10))
                proto = onnx.load(path)
                onnx.checker.check_model(proto)
                self.assertEqual(proto.opset_import[0].version, 17)
                dims = [d.dim_param or d.dim_value for d in proto.graph.output[0].type.tensor_type.shape.dim]
                self.assertEqual(dims[2:], ["Y", "X", 2])
                ops = {n.op_type for n in proto.graph.node}
                self.assertNotIn("DFT", ops)
                self.assertIn("Conv", ops)

    def test_gradients_reach_every_parameter(self):
        for name, make in SMALL.items():
            torch.manual_seed(7)
            model = make()
            k, m, s = random_inputs(seed=8)
            target = torch.randn(1, 4, 11, 14, 2)
            loss = ((model(k, m, s) - target) ** 2).mean()
            loss.backward()
            with self.subTest(model=name):
                for pname, p in model.named_parameters():
                    self.assertIsNotNone(p.grad, pname)
                    self.assertTrue(torch.isfinite(p.grad).all(), pname)
                    self.assertGreater(p.grad.abs().sum().item(), 0.0, pname)

    def test_training_step_reduces_loss(self):
        # a few Adam steps on one fixed slice must fit it better (not a convergence claim)
        torch.manual_seed(9)
        model = CRUNetMR(chans=4, cascades=2)
        k, m, s = random_inputs(c=2, seed=10)
        target = torch.randn(1, 4, 11, 14, 2)
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        losses = []
        for _ in range(8):
            opt.zero_grad()
            loss = ((model(k, m, s) - target) ** 2).mean()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        self.assertLess(losses[-1], losses[0])


if __name__ == "__main__":
    np.random.seed(0)
    unittest.main()
