"""CRNN + refinement module: shapes, the refinement's structure, ONNX export, gradients.

Run: ``PYTHONPATH=train /usr/bin/python3 -m unittest discover -s train/tests``.
"""

import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import torch  # noqa: E402

from cmrxtrain.export import export_onnx  # noqa: E402
from cmrxtrain.fftc import complex_abs  # noqa: E402
from cmrxtrain.models import REGISTRY  # noqa: E402
from cmrxtrain.models.crnn_refine import CRNNRefine, Refinement  # noqa: E402

torch.set_num_threads(1)


def random_inputs(t=4, c=3, y=11, x=14, seed=0):
    """Masked random k-space ``[1,T,C,Y,X,2]``, line mask ``[1,T,Y,X]``, maps ``[1,C,Y,X,2]``."""
    g = torch.Generator().manual_seed(seed)
    lines = (torch.rand(y, generator=g) < 0.4).float()
    lines[y // 2] = 1.0
    mask = lines.view(1, 1, y, 1).expand(1, t, y, x).contiguous()
    k = torch.randn(1, t, c, y, x, 2, generator=g) * mask[:, :, None, :, :, None]
    sens = torch.randn(1, c, y, x, 2, generator=g) * 0.5
    return k, mask, sens


class TestRefinement(unittest.TestCase):
    def test_shapes_odd_even(self):
        ref = Refinement(chans=4)
        for y, x in ((8, 10), (9, 7), (1, 1)):
            out = ref(torch.rand(3, 1, y, x))
            self.assertEqual(tuple(out.shape), (3, 1, y, x))

    def test_zero_residual_is_identity(self):
        ref = Refinement(chans=4)
        with torch.no_grad():
            ref.to_sub.weight.zero_()
        mag = torch.rand(2, 1, 9, 12)
        self.assertLess((ref(mag) - mag).abs().max().item(), 1e-7)

    def test_works_at_half_resolution(self):
        # the body runs at half size: the stride-2 entry conv and a x2 pixel shuffle
        ref = Refinement(chans=4)
        self.assertEqual(ref.down.stride, (2, 2))
        self.assertEqual(ref.shuffle.upscale_factor, 2)
        self.assertEqual(ref.to_sub.out_channels, 4)

    def test_frames_are_independent(self):
        ref = Refinement(chans=4)
        a, b = torch.rand(1, 1, 8, 8), torch.rand(1, 1, 8, 8)
        both = ref(torch.cat((a, b)))
        self.assertLess((both[:1] - ref(a)).abs().max().item(), 1e-6)


class TestCRNNRefine(unittest.TestCase):
    def test_registered_and_described(self):
        self.assertIs(REGISTRY["crnn_refine"], CRNNRefine)
        model = CRNNRefine(**CRNNRefine.test_config())
        self.assertIn("refinement", model.describe())
        self.assertEqual(CRNNRefine.FRAMES, 12)
        paper = CRNNRefine()
        self.assertEqual((paper.crnn.nc, paper.crnn.nf, paper.refine_chans), (6, 64, 64))

    def test_output_is_refined_backbone_magnitude(self):
        torch.manual_seed(0)
        model = CRNNRefine(**CRNNRefine.test_config())
        k, m, s = random_inputs()
        with torch.no_grad():
            out = model(k, m, s)
            back = complex_abs(model.crnn(k, m, s), 1e-12)
            refined = model.refine(back.flatten(0, 1).unsqueeze(1)).reshape(back.shape)
        self.assertEqual(tuple(out.shape), (1, 4, 11, 14, 2))
        self.assertEqual(out[..., 1].abs().max().item(), 0.0)
        self.assertLess((out[..., 0] - refined).abs().max().item(), 1e-6)
        self.assertGreater((out[..., 0] - back).abs().max().item(), 1e-6)  # the module acts

    def test_gradients_reach_both_parts(self):
        torch.manual_seed(1)
        model = CRNNRefine(**CRNNRefine.test_config())
        k, m, s = random_inputs(seed=2)
        target = torch.rand(1, 4, 11, 14)
        loss = (complex_abs(model(k, m, s)) - target).abs().mean()
        loss.backward()
        for name, p in model.named_parameters():
            if name == "crnn.dc_raw":
                continue
            self.assertIsNotNone(p.grad, name)
            self.assertGreater(p.grad.abs().sum().item(), 0.0, name)

    def test_onnx_export_opset17_dynamic_yx(self):
        import onnx

        torch.manual_seed(0)
        model = CRNNRefine(**CRNNRefine.test_config()).eval()
        k, m, s = random_inputs(t=3, c=2, y=9, x=10)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "m.onnx")
            export_onnx(model, path, frames=k.shape[1], coils=k.shape[2], size=(9, 10))
            proto = onnx.load(path)
            onnx.checker.check_model(proto)
            dims = [d.dim_param or d.dim_value for d in proto.graph.output[0].type.tensor_type.shape.dim]
            self.assertEqual(dims[2:], ["Y", "X", 2])


if __name__ == "__main__":
    unittest.main()
