"""cmrxtrain.export: ONNX at opset 17 with dynamic sizes, the manifest, --dump-io."""

import contextlib
import io
import json
import os
import tempfile
import unittest

import numpy as np
import torch

from cmrxtrain import export as E
from cmrxtrain.models import REGISTRY

torch.set_num_threads(1)

try:
    import onnx
except ImportError:  # pragma: no cover
    onnx = None


def read_json(path):
    with open(path) as f:
        return json.load(f)


def quiet(argv):
    """E.main with its stdout/stderr captured: (code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = E.main(argv)
    return code, out.getvalue(), err.getvalue()


@unittest.skipIf(onnx is None, "onnx is not installed")
class ExportTest(unittest.TestCase):
    def test_crnn_export_manifest_and_io(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "m.onnx")
            io_dir = os.path.join(d, "io")
            code, _, _ = quiet(["--model", "crnn", "--random-init", "--test-width", "--out", out,
                                "--dump-io", io_dir, "--frames", "5", "--name", "tiny"])
            self.assertEqual(code, 0)
            g = onnx.load(out).graph
            self.assertEqual([i.name for i in g.input], ["kspace", "mask", "sens"])
            self.assertEqual([o.name for o in g.output], ["image"])
            dims = [d.dim_param or d.dim_value for d in g.input[0].type.tensor_type.shape.dim]
            self.assertEqual(dims, ["B", 5, "C", "Y", "X", 2])
            opset = [o.version for o in onnx.load(out).opset_import if o.domain in ("", "ai.onnx")]
            self.assertEqual(opset, [17])
            man = read_json(os.path.join(d, "m.json"))
            self.assertEqual(man["name"], "tiny")
            self.assertEqual(man["file"], "m.onnx")
            self.assertEqual(man["feeder"], {"kind": "sequence", "frames": 5})
            self.assertEqual(man["normalization"], {"kind": "max"})
            self.assertEqual(man["parameters"], 3802)
            self.assertIn("random", man["trainedOn"])
            info = read_json(os.path.join(io_dir, "io.json"))
            self.assertEqual(info["inputs"]["kspace"], [1, 5, 3, 19, 17, 2])
            img = np.fromfile(os.path.join(io_dir, "image.bin"), "<f4")
            self.assertEqual(img.size, 5 * 19 * 17 * 2)
            self.assertTrue(np.isfinite(img).all() and np.abs(img).max() > 0)
            self.assertFalse(os.path.exists(out + ".tmp"))

    def test_fft_flag_chooses_dft_operator_or_matrix_products(self):
        with tempfile.TemporaryDirectory() as d:
            ops = {}
            for fft in ("dft", "matmul", None):
                out = os.path.join(d, f"{fft}.onnx")
                extra = ["--fft", fft] if fft else []
                code, stdout, _ = quiet(["--model", "crnn", "--random-init", "--test-width",
                                         "--out", out, "--no-manifest", "--frames", "3", *extra])
                self.assertEqual(code, 0)
                self.assertEqual(json.loads(stdout)["fft"], fft or "matmul")
                ops[fft] = [n.op_type for n in onnx.load(out).graph.node]
            self.assertIn("DFT", ops["dft"])
            self.assertNotIn("MatMul", ops["dft"])
            self.assertNotIn("DFT", ops["matmul"])
            self.assertIn("MatMul", ops["matmul"])
            self.assertEqual(ops[None], ops["matmul"])  # the default
            # the flag is restored after the export
            from cmrxtrain.fftc import export_fft

            self.assertEqual(export_fft(), "matmul")
            with self.assertRaises(SystemExit):  # argparse: invalid choice
                quiet(["--model", "crnn", "--random-init", "--out", os.path.join(d, "x.onnx"),
                       "--fft", "fftw"])

    def test_set_overrides_a_constructor_argument(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "w.onnx")
            code, _, err = quiet(["--model", "crnn", "--random-init", "--test-width", "--out", out,
                                  "--frames", "5", "--set", "temporal_wrap=2"])
            self.assertEqual(code, 0, err)
            man = read_json(os.path.join(d, "w.json"))
            self.assertIn("circular temporal context of 2 frames", man["architecture"])
            self.assertEqual(man["feeder"], {"kind": "sequence", "frames": 5})
            dims = [d_.dim_param or d_.dim_value
                    for d_ in onnx.load(out).graph.input[0].type.tensor_type.shape.dim]
            self.assertEqual(dims[1], 5)
            code, _, err = quiet(["--model", "crnn", "--random-init", "--test-width", "--out", out,
                                  "--frames", "4", "--self-ensemble"])
            self.assertEqual(code, 0, err)
            man = read_json(os.path.join(d, "w.json"))
            self.assertIn("self-ensemble over 4 image flips", man["architecture"])
            self.assertEqual(man["parameters"], 3802)
            code, _, err = quiet(["--model", "crnn", "--random-init", "--test-width", "--out", out,
                                  "--set", "no_such_arg=1"])
            self.assertEqual(code, 2)
            self.assertIn("no_such_arg", err)
            code, _, err = quiet(["--model", "crnn", "--random-init", "--out", out,
                                  "--set", "temporal_wrap"])
            self.assertEqual(code, 2)
            self.assertIn("KEY=VALUE", err)

    def test_list_names_every_registered_model(self):
        code, out, _ = quiet(["--list"])
        self.assertEqual(code, 0)
        self.assertEqual(out.split(), sorted(REGISTRY))

    def test_errors(self):
        with tempfile.TemporaryDirectory() as d:
            code, _, err = quiet(["--checkpoint", os.path.join(d, "no.pt"), "--out",
                                  os.path.join(d, "x.onnx")])
            self.assertEqual(code, 2)
            self.assertIn("no.pt", err)
            code, _, err = quiet(["--model", "nope", "--random-init", "--out",
                                  os.path.join(d, "x.onnx")])
            self.assertEqual(code, 2)
            self.assertIn("registered", err)


if __name__ == "__main__":
    unittest.main()
