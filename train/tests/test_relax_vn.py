"""Tests of the relaxometry-guided VN (cmrxtrain.models.relax_vn, cmrxtrain.relax).

Run: ``PYTHONPATH=train /usr/bin/python3 -m unittest discover -s train/tests -p 'test_relax*'``.
"""

import io
import math
import unittest

try:
    import torch

    HAVE_TORCH = True
except ImportError:  # pragma: no cover
    HAVE_TORCH = False

if HAVE_TORCH:
    torch.set_num_threads(1)
    from cmrxtrain import relax
    from cmrxtrain.models import REGISTRY, build
    from cmrxtrain.models.relax_vn import (
        MappingNet,
        RelaxVNT1,
        RelaxVNT2,
        adjoint_op,
        forward_op,
    )
    from cmrxtrain.fftc import use_torch_fft

# MOLLI inversion times of one synthetic slice (src/synth/phantom/contrast.ts molliTimes: 3 inversions
# TI0, TI0 + 80, TI0 + 160 read out on 4, 3, 2 beats, RR ~ 1000 ms), and T2-prep TEs.
MOLLI_TI = [115.0, 195.0, 275.0, 1115.0, 1195.0, 2115.0, 2195.0, 3115.0, 4115.0]
T2_TE = [0.0, 35.0, 55.0]


def _random_problem(nt=3, nc=4, ny=10, nx=7, dtype=None, seed=0):
    """Random image, coil maps, a line mask and measured k-space of one slice."""
    g = torch.Generator().manual_seed(seed)
    dtype = dtype or torch.float32
    x = torch.randn(1, nt, ny, nx, 2, generator=g, dtype=dtype)
    sens = 0.5 * torch.randn(1, nc, ny, nx, 2, generator=g, dtype=dtype)
    lines = (torch.rand(ny, generator=g) < 0.5).to(dtype)
    lines[ny // 2] = 1
    mask = lines[None, None, :, None].expand(1, nt, ny, nx).contiguous()
    y = forward_op(torch.randn(1, nt, ny, nx, 2, generator=g, dtype=dtype), mask, sens)
    return x, sens, mask, y


def _phantom_curves(view, ny=16, nx=16, seed=0):
    """Magnitude images [1, T, Y, X] of blocky tissue with known T1 (or T2) following the
    synthetic phantoms' signal models (B/A = 2.2 for MOLLI), and the true map [Y, X] (ms)."""
    g = torch.Generator().manual_seed(seed)
    pd = torch.zeros(ny, nx)
    tmap = torch.zeros(ny, nx)
    values = [(0.9, 1200.0, 45.0), (0.6, 1500.0, 60.0), (1.0, 800.0, 35.0), (0.4, 1900.0, 80.0)]
    for i, (a, t1, t2) in enumerate(values):
        y0, x0 = (i // 2) * (ny // 2), (i % 2) * (nx // 2)
        pd[y0 + 1 : y0 + ny // 2 - 1, x0 + 1 : x0 + nx // 2 - 1] = a
        tmap[y0 + 1 : y0 + ny // 2 - 1, x0 + 1 : x0 + nx // 2 - 1] = t1 if view == "T1" else t2
    pd = pd * (1 + 0.05 * torch.rand(ny, nx, generator=g))
    times = torch.tensor([MOLLI_TI if view == "T1" else T2_TE])
    t = times[0][:, None, None]
    safe = tmap.clamp_min(1.0)
    if view == "T1":
        img = relax.molli_signal(pd, 2.2 * pd, safe / 1.2, t)
    else:
        img = relax.t2_signal(pd, safe, t)
    return img[None] * (tmap > 0), times, tmap


@unittest.skipUnless(HAVE_TORCH, "torch is not installed for this python")
class SignalModelTest(unittest.TestCase):
    def test_molli_values_and_null(self):
        a, b, t1s = torch.tensor(1.0), torch.tensor(2.2), torch.tensor(1000.0)
        t = torch.tensor([0.0, 1000.0 * math.log(2.2), 3000.0])
        s = relax.molli_signal(a, b, t1s, t)
        # |1 - 2.2| at TI 0, exactly 0 at the inversion null, 1 - 2.2 e^-3 late
        self.assertAlmostEqual(float(s[0]), 1.2, places=6)
        self.assertAlmostEqual(float(s[1]), 0.0, places=6)
        self.assertAlmostEqual(float(s[2]), 1 - 2.2 * math.exp(-3), places=6)

    def test_look_locker_correction_inverts_the_phantom(self):
        # the synthetic phantom uses T1* = T1 / (B/A - 1) with B/A = 2.2
        t1 = torch.tensor([800.0, 1200.0, 1500.0])
        a = torch.tensor([0.5, 1.0, 2.0])
        t1s = t1 / 1.2
        got = relax.t1_from_molli(a, 2.2 * a, t1s)
        self.assertTrue(torch.allclose(got, t1, rtol=1e-6))

    def test_t2_signal(self):
        s = relax.t2_signal(torch.tensor(2.0), torch.tensor(50.0), torch.tensor(T2_TE))
        expect = [2.0 * math.exp(-te / 50.0) for te in T2_TE]
        self.assertTrue(torch.allclose(s, torch.tensor(expect), rtol=1e-6))

    def test_model_signal_uses_scaled_units(self):
        # parameters in the mapping net's units: T1* / 1000 ms, T2 / 100 ms
        p1 = torch.tensor([1.0, 2.2, 1.0]).view(1, 3, 1, 1)
        times = torch.tensor([MOLLI_TI])
        s = relax.model_signal("T1", p1, times)[0, :, 0, 0]
        expect = [abs(1 - 2.2 * math.exp(-t / 1000.0)) for t in MOLLI_TI]
        self.assertTrue(torch.allclose(s, torch.tensor(expect), atol=1e-6))
        p2 = torch.tensor([1.5, 0.5]).view(1, 2, 1, 1)
        s2 = relax.model_signal("T2", p2, torch.tensor([T2_TE]))[0, :, 0, 0]
        self.assertTrue(
            torch.allclose(s2, torch.tensor([1.5 * math.exp(-t / 50.0) for t in T2_TE]), atol=1e-6)
        )
        self.assertAlmostEqual(float(relax.physical_maps("T1", p1)[0, 0, 0]), 1200.0, places=3)
        self.assertAlmostEqual(float(relax.physical_maps("T2", p2)[0, 0, 0]), 50.0, places=4)

    def test_tissue_mask(self):
        mag = torch.zeros(1, 2, 4, 4)
        mag[0, 1, 1, 1] = 1.0
        mag[0, 0, 2, 2] = 0.04
        mag[0, 0, 3, 3] = 0.06
        m = relax.tissue_mask(mag, 0.05)
        self.assertEqual(m.shape, (1, 1, 4, 4))
        self.assertEqual(float(m.sum()), 2.0)
        self.assertEqual(float(m[0, 0, 2, 2]), 0.0)


@unittest.skipUnless(HAVE_TORCH, "torch is not installed for this python")
class MappingNetTest(unittest.TestCase):
    def _fit(self, view, steps):
        torch.manual_seed(0)
        img, times, tmap = _phantom_curves(view)
        net = MappingNet(view, img.shape[1], chans=16, pools=1)
        mask = relax.tissue_mask(img, 0.05)
        tissue = tmap > 0

        def map_error():
            with torch.no_grad():
                est = relax.physical_maps(view, net(img, times))[0]
            return float(((est - tmap).abs() / tmap.clamp_min(1))[tissue].median())

        loss0 = float(relax.relax_loss(net, img, times, mask))
        err0 = map_error()
        opt = torch.optim.Adam(net.parameters(), lr=3e-3)
        for _ in range(steps):
            loss = relax.relax_loss(net, img, times, mask)
            opt.zero_grad()
            loss.backward()
            opt.step()
        return loss0, float(relax.relax_loss(net, img, times, mask)), err0, map_error()

    def test_t1_fit_unsupervised_beats_init(self):
        loss0, loss1, err0, err1 = self._fit("T1", 150)
        self.assertLess(loss1, 0.3 * loss0)
        self.assertLess(err1, 0.5 * err0)

    def test_t2_fit_unsupervised_beats_init(self):
        loss0, loss1, err0, err1 = self._fit("T2", 150)
        self.assertLess(loss1, 0.3 * loss0)
        self.assertLess(err1, 0.5 * err0)

    def test_t1_outputs_are_physical(self):
        net = MappingNet("T1", 9, chans=8, pools=1)
        p = net(torch.rand(2, 9, 12, 10), torch.tensor([MOLLI_TI, MOLLI_TI]))
        self.assertEqual(p.shape, (2, 3, 12, 10))
        self.assertTrue(bool((p > 0).all()))
        self.assertTrue(bool((p[:, 1] > p[:, 0]).all()), "B > A so that T1 > 0")


@unittest.skipUnless(HAVE_TORCH, "torch is not installed for this python")
class DataConsistencyTest(unittest.TestCase):
    def test_adjoint(self):
        x, sens, mask, y = _random_problem(dtype=torch.float64)
        lhs = (forward_op(x, mask, sens) * y).sum()
        rhs = (x * adjoint_op(y, mask, sens)).sum()
        self.assertAlmostEqual(float(lhs), float(rhs), places=9)

    def test_dc_gradient_matches_finite_differences(self):
        # d/dx of f(x) = 1/2 ||A x - y||^2 over the real and imaginary parts is A^H (A x - y)
        x, sens, mask, y = _random_problem(dtype=torch.float64, seed=3)

        def f(z):
            return 0.5 * ((forward_op(z, mask, sens) - y) ** 2).sum()

        grad = adjoint_op(forward_op(x, mask, sens) - y, mask, sens)
        g = torch.Generator().manual_seed(5)
        h = 1e-6
        for _ in range(5):
            d = torch.randn(x.shape, generator=g, dtype=torch.float64)
            fd = (f(x + h * d) - f(x - h * d)) / (2 * h)
            self.assertAlmostEqual(float(fd), float((grad * d).sum()), delta=1e-6 * abs(float(fd)) + 1e-8)
        # and single entries, real and imaginary
        for idx in [(0, 0, 3, 2, 0), (0, 2, 7, 6, 1)]:
            e = torch.zeros_like(x)
            e[idx] = 1.0
            fd = (f(x + h * e) - f(x - h * e)) / (2 * h)
            self.assertAlmostEqual(float(fd), float(grad[idx]), places=5)

    def test_torch_fft_path_equals_exported_matmul_path(self):
        model = RelaxVNT2(**RelaxVNT2.test_config())
        torch.manual_seed(1)
        for p in model.recon.parameters():  # non-zero output convs, so the U-Nets act
            p.data.normal_(0, 0.1)
        _, sens, mask, y = _random_problem(nt=3, nc=4, ny=11, nx=9)
        with torch.no_grad():
            a = model(y, mask, sens)
            prev = use_torch_fft(False)
            try:
                b = model(y, mask, sens)
            finally:
                use_torch_fft(prev)
        self.assertLess(float((a - b).abs().max() / b.abs().max()), 1e-5)

    def test_zero_init_is_gradient_descent(self):
        # regularisers start at zero: the VN is Landweber iteration from A^H y
        model = RelaxVNT2(num_layers=3, chans=4, pools=1, map_chans=4)
        _, sens, mask, y = _random_problem(nt=3)
        with torch.no_grad():
            out = model(y, mask, sens)
            x = adjoint_op(y, mask, sens)
            for _ in range(3):
                x = x - adjoint_op(forward_op(x, mask, sens) - y, mask, sens)
        self.assertTrue(torch.allclose(out, x, atol=1e-5))


@unittest.skipUnless(HAVE_TORCH, "torch is not installed for this python")
class RelaxVNTest(unittest.TestCase):
    def test_registered(self):
        self.assertIs(REGISTRY["relax_vn_t1"], RelaxVNT1)
        self.assertIs(REGISTRY["relax_vn_t2"], RelaxVNT2)
        self.assertEqual(RelaxVNT1.FRAMES, 9)
        self.assertEqual(RelaxVNT2.FRAMES, 3)
        self.assertEqual(RelaxVNT1.SERVES["views"], ["T1"])

    def test_paper_defaults(self):
        m = RelaxVNT1()
        self.assertEqual(len(m.recon.regularisers), 10)
        self.assertEqual(m.mapping.unet.down[0].layers[0].out_channels, 256)
        self.assertEqual(m.mapping.unet.pools, 1)
        self.assertEqual(m.gammas, (0.2, 0.8, 0.01, 0.1))

    def test_any_size(self):
        model = build("relax_vn_t1", **RelaxVNT1.test_config())
        for ny, nx in [(16, 12), (15, 13), (9, 22)]:
            _, sens, mask, y = _random_problem(nt=9, nc=3, ny=ny, nx=nx)
            self.assertEqual(model(y, mask, sens).shape, (1, 9, ny, nx, 2))

    def test_stages_freeze_and_train_the_right_parts(self):
        model = RelaxVNT2(**RelaxVNT2.test_config())
        img, times, _ = _phantom_curves("T2", ny=12, nx=10)
        _, sens, mask, _ = _random_problem(nt=3, nc=3, ny=12, nx=10)
        kspace = forward_op(torch.stack((img, torch.zeros_like(img)), dim=-1), mask, sens)
        batch = dict(kspace=kspace, mask=mask, sens=sens, target=img, times=times)
        model.set_stage("mapping")
        model.train()
        self.assertIsNone(model.forward_batch(batch))
        loss, parts = model.loss(batch, None, "mapping")
        loss.backward()
        self.assertEqual(set(parts), {"relax"})
        self.assertTrue(all(p.grad is not None for p in model.mapping.parameters()))
        self.assertTrue(all(p.grad is None for p in model.recon.parameters()))
        model.zero_grad(set_to_none=True)
        model.set_stage("recon")
        out = model.forward_batch(batch)
        loss, parts = model.loss(batch, out, "recon")
        self.assertEqual(set(parts), {"l1", "ssim", "relax", "map"})
        g1, g2, g3, g4 = model.gammas
        expect = g1 * parts["l1"] + g2 * parts["ssim"] + g3 * parts["relax"] + g4 * parts["map"]
        self.assertAlmostEqual(float(loss), expect, places=5)
        loss.backward()
        self.assertTrue(all(p.grad is None for p in model.mapping.parameters()))
        self.assertTrue(any(p.grad is not None and p.grad.abs().sum() > 0
                            for p in model.recon.parameters()))

    def test_export_opset17_dynamic_yx(self):
        import onnx

        model = RelaxVNT1(**RelaxVNT1.test_config()).eval()
        _, sens, mask, y = _random_problem(nt=9, nc=3, ny=12, nx=10)
        buf = io.BytesIO()
        torch.onnx.export(
            model.export_module(), (y, mask, sens), buf,
            input_names=["kspace", "mask", "sens"], output_names=["image"], opset_version=17,
            dynamic_axes={"kspace": {3: "Y", 4: "X"}, "mask": {2: "Y", 3: "X"},
                          "sens": {2: "Y", 3: "X"}, "image": {2: "Y", 3: "X"}},
        )
        g = onnx.load_from_string(buf.getvalue())
        onnx.checker.check_model(g)
        self.assertEqual(g.opset_import[0].version, 17)
        dims = {i.name: [d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim]
                for i in g.graph.input}
        self.assertEqual(dims["kspace"], [1, 9, 3, "Y", "X", 2])
        self.assertEqual(dims["sens"], [1, 3, "Y", "X", 2])
        ops = {n.op_type for n in g.graph.node}
        self.assertFalse(ops & {"DFT", "STFT"}, "no DFT op (the CUDA provider has none)")
        self.assertIn("MatMul", ops)
        # the mapping network is a training aid: none of its weights is in the graph (the
        # exporter may fold small parameters such as the steps eta into Constant nodes)
        n_graph = sum(math.prod(t.dims) for t in g.graph.initializer)
        n_recon = sum(p.numel() for p in model.recon.parameters())
        self.assertLessEqual(n_graph, n_recon)
        self.assertGreater(n_graph, 0.95 * n_recon)
        map_first = tuple(model.mapping.unet.down[0].layers[0].weight.shape)
        self.assertNotIn(map_first, [tuple(t.dims) for t in g.graph.initializer])


if __name__ == "__main__":
    unittest.main()
