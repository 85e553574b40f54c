"""cmrxtrain.warmstart: training from a shipped ONNX export or a checkpoint."""

import contextlib
import io
import os
import tempfile
import unittest

import torch

from cmrxtrain import export as E
from cmrxtrain.data import DataError, synthetic_slice
from cmrxtrain.fftc import complex_abs
from cmrxtrain.models import REGISTRY, build
from cmrxtrain.warmstart import source_weights, warm_start

torch.set_num_threads(1)

try:
    import onnx
except ImportError:  # pragma: no cover
    onnx = None


def randomised(name, **extra):
    """A test-width model whose every parameter (zero-initialised biases too) is random."""
    torch.manual_seed(3)
    args = {**REGISTRY[name].test_config(), **extra}
    model = build(name, **args)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn_like(p) * 0.1)
    return model, args


def export_checkpoint(model, name, args, d, extra_argv=()):
    """Writes a train.py-style checkpoint of ``model`` and exports it; returns the .onnx."""
    ck = os.path.join(d, "m.pt")
    torch.save({"model": model.state_dict(), "model_name": name, "model_args": args,
                "config": {}, "step": 1}, ck)
    out = os.path.join(d, "m.onnx")
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = E.main(["--checkpoint", ck, "--out", out, "--no-manifest", *extra_argv])
    assert code == 0
    return out


def inputs(nt=4):
    it = synthetic_slice(nt=nt, nc=3, ny=16, nx=12)
    return [it[k].unsqueeze(0) for k in ("kspace", "mask", "sens")]


@unittest.skipIf(onnx is None, "onnx is not installed")
class WarmStartTest(unittest.TestCase):
    def test_crunet_weights_come_back_from_its_ensemble_export_exactly(self):
        # the exporter folds the CRNN-TI biases ([2, H] in the bidirectional bottleneck) into
        # unnamed constants; every tensor must come back, in the right row order
        model, args = randomised("crunet")
        with tempfile.TemporaryDirectory() as d:
            path = export_checkpoint(model, "crunet", args, d,
                                     ["--self-ensemble", "8", "--set", "temporal_wrap=1",
                                      "--frames", "4"])
            fresh = build("crunet", **args)
            got = warm_start(fresh, {"from": path})
        self.assertEqual(got["kept"], 0)
        for k, v in model.state_dict().items():
            self.assertTrue(torch.equal(v, fresh.state_dict()[k]), k)

    def test_checkpoint_source(self):
        model, args = randomised("crnn")
        with tempfile.TemporaryDirectory() as d:
            ck = os.path.join(d, "last.pt")
            torch.save({"model": model.state_dict()}, ck)
            self.assertEqual(set(source_weights(ck)), set(model.state_dict()))

    def test_feature_bank_starts_as_crunet(self):
        base, args = randomised("crunet")
        with tempfile.TemporaryDirectory() as d:
            path = export_checkpoint(base, "crunet", args, d, ["--frames", "4"])
            fb = build("crunet_fb", **args)
            with self.assertRaises(DataError) as e:  # the bank's layers are not in the file
                warm_start(fb, {"from": path})
            self.assertIn("fusers.", str(e.exception))
            got = warm_start(fb, {"from": path, "skip": ["fusers."]})
        self.assertTrue(got["as_base"])
        self.assertGreater(got["kept"], 0)
        x = inputs()
        with torch.no_grad():
            diff = (fb(*x) - base(*x)).abs().max().item()
        self.assertLess(diff, 1e-5)
        # and the bank can move away from the identity: gradients reach its layers
        fb(*x).square().sum().backward()
        grads = [p.grad for n, p in fb.named_parameters() if n.startswith("fusers.")]
        self.assertTrue(any(g is not None and g.abs().max() > 0 for g in grads))

    def test_refinement_starts_as_crnn_magnitude(self):
        base, args = randomised("crnn")
        with tempfile.TemporaryDirectory() as d:
            path = export_checkpoint(base, "crnn", args, d, ["--frames", "4"])
            ref = build("crnn_refine", **{**args, "refine_chans": 4})
            got = warm_start(ref, {"from": path, "into": "crnn."})
            self.assertTrue(got["as_base"])
            x = inputs()
            with torch.no_grad():
                diff = (ref(*x)[..., 0] - complex_abs(base(*x))).abs().max().item()
            self.assertLess(diff, 1e-6)
            # without as_base the refinement adds its random residual
            ref2 = build("crnn_refine", **{**args, "refine_chans": 4})
            warm_start(ref2, {"from": path, "into": "crnn.", "as_base": False})
            with torch.no_grad():
                self.assertGreater((ref2(*x)[..., 0] - complex_abs(base(*x))).abs().max().item(), 1e-4)

    def test_refuses_another_width(self):
        base, args = randomised("crnn")
        with tempfile.TemporaryDirectory() as d:
            path = export_checkpoint(base, "crnn", args, d, ["--frames", "4"])
            wider = build("crnn", **{**args, "nf": args["nf"] * 2})
            with self.assertRaises(DataError) as e:
                warm_start(wider, {"from": path})
            self.assertIn("of another shape", str(e.exception))
            with self.assertRaises(DataError):
                warm_start(wider, {"from": os.path.join(d, "absent.onnx")})


if __name__ == "__main__":
    unittest.main()
