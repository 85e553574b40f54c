"""cmrxtrain.webgpu_safe: the WebGPU Conv rule, the channel padding (same outputs), the
command, and its use at the end of cmrxtrain.export."""

import contextlib
import io
import os
import tempfile
import unittest

import numpy as np
import torch

try:
    import onnx
    from onnx import helper, numpy_helper, TensorProto

    from cmrxtrain import webgpu_safe as S
except ImportError:  # pragma: no cover
    onnx = None

from cmrxtrain import export as E

torch.set_num_threads(1)


def conv_model(cin, cout, k=3, bias=False, group=1, opset=17, seed=0):
    """Relu -> Conv (pads k//2) -> Relu -> Conv 1x1 (cout -> 2), x [1, cin, 7, 9]."""
    rng = np.random.default_rng(seed)
    w = (rng.standard_normal((cout, cin // group, k, k)) * 0.2).astype(np.float32)
    w2 = (rng.standard_normal((2, cout, 1, 1)) * 0.2).astype(np.float32)
    inits = [numpy_helper.from_array(w, "w"), numpy_helper.from_array(w2, "w2")]
    ins = ["xr", "w"]
    if bias:
        inits.append(numpy_helper.from_array(rng.standard_normal(cout).astype(np.float32), "b"))
        ins.append("b")
    p = k // 2
    nodes = [
        helper.make_node("Relu", ["x"], ["xr"], name="/in/Relu"),
        helper.make_node("Conv", ins, ["h"], name="/enc/first/Conv", kernel_shape=[k, k],
                         pads=[p] * 4, group=group),
        helper.make_node("Relu", ["h"], ["hr"], name="/enc/Relu"),
        helper.make_node("Conv", ["hr", "w2"], ["y"], name="/out/Conv", kernel_shape=[1, 1]),
    ]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                                     [1, cin, 7, 9])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 7, 9])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def evaluate(model, x):
    """A small evaluator (Relu, Conv, Pad in constant mode) in PyTorch: onnx.reference is
    not in Debian's onnx 1.12."""
    env = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in
           model.graph.initializer}
    env[model.graph.input[0].name] = torch.from_numpy(x)
    for n in model.graph.node:
        a = {at.name: helper.get_attribute_value(at) for at in n.attribute}
        ins = [env[i] if i else None for i in n.input]
        if n.op_type == "Relu":
            out = torch.relu(ins[0])
        elif n.op_type == "Pad":
            pads = a["pads"] if "pads" in a else ins[1].tolist()
            r = len(pads) // 2
            tp = []
            for d in reversed(range(r)):
                tp += [pads[d], pads[d + r]]
            out = torch.nn.functional.pad(ins[0], tp, value=0.0)
        elif n.op_type == "Conv":
            p = a.get("pads", [0, 0, 0, 0])
            out = torch.nn.functional.conv2d(ins[0], ins[1], ins[2] if len(ins) > 2 else None,
                                             padding=(p[0], p[1]), groups=a.get("group", 1))
        else:  # pragma: no cover
            raise NotImplementedError(n.op_type)
        env[n.output[0]] = out
    return env[model.graph.output[0].name].numpy()


@unittest.skipIf(onnx is None, "onnx is not installed")
class RuleTest(unittest.TestCase):
    def test_rule(self):
        for dims in ([16, 6, 3, 3], [24, 18, 3, 3], [16, 9, 3, 3], [8, 6, 3, 3], [4, 6, 3, 3],
                     [8, 6, 1, 3]):
            self.assertTrue(S.is_hazard(dims, 1), dims)
        for dims, group in (([16, 8, 3, 3], 1), ([16, 12, 3, 3], 1), ([16, 3, 3, 3], 1),
                            ([16, 5, 3, 3], 1), ([6, 6, 3, 3], 1), ([16, 6, 1, 1], 1),
                            ([16, 3, 3, 3], 2), ([16, 6, 3], 1)):
            self.assertFalse(S.is_hazard(dims, group), (dims, group))

    def test_detection_in_graphs(self):
        self.assertEqual(S.webgpu_hazards(conv_model(6, 16)), [("/enc/first/Conv", 6, 16)])
        self.assertEqual(S.webgpu_hazards(conv_model(8, 16)), [])
        self.assertEqual(S.webgpu_hazards(conv_model(6, 6)), [])
        self.assertEqual(S.webgpu_hazards(conv_model(6, 16, k=1)), [])
        self.assertEqual(S.webgpu_hazards(conv_model(6, 12, group=2)), [])


@unittest.skipIf(onnx is None, "onnx is not installed")
class PatchTest(unittest.TestCase):
    def check_same(self, cin, cout, expected, **kw):
        m = conv_model(cin, cout, **kw)
        x = np.random.default_rng(1).standard_normal((1, cin, 7, 9)).astype(np.float32)
        before = evaluate(m, x)
        patched, n = S.make_webgpu_safe(m)
        self.assertEqual(n, expected)
        self.assertEqual(S.webgpu_hazards(patched), [])
        after = evaluate(patched, x)
        np.testing.assert_allclose(after, before, rtol=0, atol=1e-6 * np.abs(before).max())
        return patched

    def test_affected_conv_padded_same_output(self):
        p = self.check_same(6, 16, 1)
        names = [n.name for n in p.graph.node]
        self.assertEqual(names, ["/in/Relu", "/enc/first/Conv/webgpu_safe_pad_x",
                                 "/enc/first/Conv/webgpu_safe_pad_w", "/enc/first/Conv",
                                 "/enc/Relu", "/out/Conv"])
        conv = p.graph.node[3]
        # the bias is kept; the original weight is still the one stored
        self.check_same(18, 24, 1, bias=True)
        self.assertEqual([i.name for i in p.graph.initializer][:2], ["w", "w2"])
        self.assertTrue(conv.input[0].endswith("_cpad2") and conv.input[1].endswith("_cpad2"))

    def test_old_opset_uses_pads_attribute(self):
        p = self.check_same(9, 16, 1, opset=10)
        pad = p.graph.node[1]
        self.assertEqual(pad.op_type, "Pad")
        self.assertEqual(list(pad.input), ["xr"])

    def test_unaffected_left_alone(self):
        for cin, cout in ((8, 16), (6, 6), (3, 16), (12, 16)):
            m = conv_model(cin, cout)
            ref = m.SerializeToString()
            p, n = S.make_webgpu_safe(m)
            self.assertEqual(n, 0)
            self.assertEqual(p.SerializeToString(), ref)

    def test_idempotent(self):
        p, n = S.make_webgpu_safe(conv_model(6, 16))
        self.assertEqual(n, 1)
        p2, n2 = S.make_webgpu_safe(p)
        self.assertEqual(n2, 0)

    def test_command(self):
        with tempfile.TemporaryDirectory() as d:
            src, dst = os.path.join(d, "a.onnx"), os.path.join(d, "b.onnx")
            onnx.save(conv_model(6, 16), src)
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                self.assertEqual(S.main([src, dst]), 0)
            self.assertIn("1 Conv node(s) padded", out.getvalue())
            self.assertEqual(S.webgpu_hazards(onnx.load(src)), [("/enc/first/Conv", 6, 16)])
            self.assertEqual(S.webgpu_hazards(onnx.load(dst)), [])
            with contextlib.redirect_stdout(io.StringIO()):
                self.assertEqual(S.main([src]), 0)  # in place
            self.assertEqual(S.webgpu_hazards(onnx.load(src)), [])
            self.assertEqual(sorted(os.listdir(d)), ["a.onnx", "b.onnx"])
            with contextlib.redirect_stderr(io.StringIO()):
                self.assertEqual(S.main([os.path.join(d, "missing.onnx")]), 2)


@unittest.skipIf(onnx is None, "onnx is not installed")
class ExportAppliesTest(unittest.TestCase):
    def test_relax_vn_export_is_webgpu_safe(self):
        # the test-width T2 VN's first conv is 6 -> 4 channels, 3x3: affected before the pass
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "vn.onnx")
            with contextlib.redirect_stdout(io.StringIO()), \
                    contextlib.redirect_stderr(io.StringIO()):
                code = E.main(["--model", "relax_vn_t2", "--random-init", "--test-width",
                               "--out", out, "--no-manifest", "--frames", "3"])
            self.assertEqual(code, 0)
            m = onnx.load(out)
            self.assertEqual(S.webgpu_hazards(m), [])
            self.assertTrue(any("webgpu_safe_pad" in n.name for n in m.graph.node))


if __name__ == "__main__":
    unittest.main()
