"""Make an ONNX graph safe for onnxruntime-web's WebGPU provider (Conv channel padding).

onnxruntime-web 1.30's WebGPU provider (the C++ WebGPU execution provider,
``onnxruntime/core/providers/webgpu/nn/conv2d_mm.cc``, channels-last path) computes a 2-D
``Conv`` wrongly when its input-channel count is a multiple of 3 but not of 4: it then reads
the input in groups of 3 channels and addresses them as if they were groups of 4, so
channel ``c`` is read from the wrong place (for 6 input channels, channels 3..5 are read as
channels 0..2). Measured on lavapipe with single-Conv graphs: every Conv with

* group 1, a 2-D kernel larger than 1x1 (a 1x1 kernel goes through a MatMul instead),
* input channels ``Cin`` with ``Cin % 3 == 0``, ``Cin % 4 != 0`` and ``Cin > 3``
  (6, 9, 18 wrong; 2, 3, 4, 5, 8, 12, 16 right),
* output channels ``Cout % 4 == 0`` (6 -> 8, 12, 16 wrong; 6 -> 6 right),

differed from the CPU by 0.8 to 1.3 of the output's maximum; all others agreed to ~5e-7.

:func:`make_webgpu_safe` zero-pads such a Conv's input channels to the next multiple of 4:
a ``Pad`` (constant 0) on the Conv's input and the same ``Pad`` on its weight (zero input
channels), both along axis 1. The result is mathematically the same Conv (the extra
channels are zero and meet zero weights); onnxruntime folds the weight's ``Pad`` into a
constant when the session is created, and the file grows by two small nodes per Conv, not
by the zeros. The TypeScript side checks the same rule (``src/engine/webgpu_hazards.ts``).

Usage (from the repository root, ``PYTHONPATH=train``)::

    python3 -m cmrxtrain.webgpu_safe IN.onnx            # patched in place (atomically)
    python3 -m cmrxtrain.webgpu_safe IN.onnx OUT.onnx   # patched copy

prints how many Conv nodes were padded; ``cmrxtrain.export`` applies it to every export.
"""

import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

PREFIX = "webgpu_safe"


def _attr(node, name, default):
    for a in node.attribute:
        if a.name == name:
            return helper.get_attribute_value(a)
    return default


def _opset(model) -> int:
    for o in model.opset_import:
        if o.domain in ("", "ai.onnx"):
            return o.version
    return 1


def constant_shapes(graph) -> dict:
    """Shapes of the graph's constant values: initializers, ``Constant`` nodes (with a
    ``value`` tensor) and ``Pad`` nodes of a constant whose pads are constant (so that a
    Conv this module already patched is seen with its padded weight)."""
    shapes = {i.name: list(i.dims) for i in graph.initializer}
    values = {i.name: i for i in graph.initializer}
    for n in graph.node:
        if n.op_type == "Constant" and n.domain in ("", "ai.onnx"):
            t = _attr(n, "value", None)
            if t is not None and hasattr(t, "dims"):
                shapes[n.output[0]] = list(t.dims)
                values[n.output[0]] = t
        elif n.op_type == "Pad" and n.domain in ("", "ai.onnx") and n.input[0] in shapes:
            if _attr(n, "mode", b"constant") not in (b"constant", "constant"):
                continue
            pads = _attr(n, "pads", None)
            if pads is None and len(n.input) > 1 and n.input[1] in values:
                pads = numpy_helper.to_array(values[n.input[1]]).tolist()
            d = shapes[n.input[0]]
            if pads is None or len(pads) != 2 * len(d) or (len(n.input) > 3 and n.input[3]):
                continue
            shapes[n.output[0]] = [d[i] + pads[i] + pads[i + len(d)] for i in range(len(d))]
    return shapes


def is_hazard(weight_dims, group: int) -> bool:
    """The rule: a 2-D Conv (weight ``[Cout, Cin/group, kH, kW]``) that onnxruntime-web
    1.30's WebGPU provider computes wrongly (see the module doc)."""
    if len(weight_dims) != 4 or group != 1:
        return False
    cout, cin = weight_dims[0], weight_dims[1] * group
    if weight_dims[2] * weight_dims[3] <= 1:
        return False
    return cin > 3 and cin % 3 == 0 and cin % 4 != 0 and cout % 4 == 0


def webgpu_hazards(model) -> list:
    """The affected Conv nodes of the main graph: a list of ``(node name, Cin, Cout)``."""
    shapes = constant_shapes(model.graph)
    out = []
    for n in model.graph.node:
        if n.op_type != "Conv" or n.domain not in ("", "ai.onnx") or len(n.input) < 2:
            continue
        w = shapes.get(n.input[1])
        group = int(_attr(n, "group", 1))
        if w is not None and is_hazard(w, group):
            out.append((n.name or n.output[0], w[1] * group, w[0]))
    return out


def make_webgpu_safe(model):
    """Return ``(model, padded)``: the model (changed in place) with the input channels of
    every affected Conv (:func:`is_hazard`) zero-padded to the next multiple of 4, and the
    number of Conv nodes padded. Node names stay readable: ``NAME/webgpu_safe_pad_x`` and
    ``NAME/webgpu_safe_pad_w``. Runs ``onnx.checker`` on the result."""
    g = model.graph
    shapes = constant_shapes(g)
    attr_pads = _opset(model) < 11  # Pad's pads became an input in opset 11
    taken = {i.name for i in g.initializer} | {o for n in g.node for o in n.output}
    taken |= {i.name for i in g.input}

    def fresh(name):
        base, k = name, 1
        while name in taken:
            k += 1
            name = f"{base}_{k}"
        taken.add(name)
        return name

    pads_init = {}  # extra -> pads initializer name
    padded_out = {}  # (value, extra) -> padded value name (shared between Convs)
    nodes, padded = [], 0

    def pad_node(value, extra, label):
        if (value, extra) in padded_out:
            return padded_out[(value, extra)], None
        pads = [0, 0, 0, 0, 0, extra, 0, 0]
        out = fresh(f"{value}_{PREFIX}_cpad{extra}")
        if attr_pads:
            node = helper.make_node("Pad", [value], [out], name=label, mode="constant",
                                    pads=pads)
        else:
            if extra not in pads_init:
                pname = fresh(f"{PREFIX}_channel_pads_{extra}")
                g.initializer.append(numpy_helper.from_array(np.array(pads, np.int64), pname))
                if model.ir_version < 4:
                    g.input.append(helper.make_tensor_value_info(pname, onnx.TensorProto.INT64,
                                                                 [8]))
                pads_init[extra] = pname
            node = helper.make_node("Pad", [value, pads_init[extra]], [out], name=label,
                                    mode="constant")
        padded_out[(value, extra)] = out
        return out, node

    for n in g.node:
        if n.op_type == "Conv" and n.domain in ("", "ai.onnx") and len(n.input) >= 2:
            w = shapes.get(n.input[1])
            group = int(_attr(n, "group", 1))
            if w is not None and is_hazard(w, group):
                cin = w[1]
                extra = (-cin) % 4
                label = n.name or n.output[0]
                xo, xn = pad_node(n.input[0], extra, fresh(f"{label}/{PREFIX}_pad_x"))
                wo, wn = pad_node(n.input[1], extra, fresh(f"{label}/{PREFIX}_pad_w"))
                nodes.extend(x for x in (xn, wn) if x is not None)
                n.input[0], n.input[1] = xo, wo
                padded += 1
        nodes.append(n)
    if padded:
        del g.node[:]
        g.node.extend(nodes)
    onnx.checker.check_model(model)
    return model, padded


def patch_file(src: str, dst: str = None) -> int:
    """Patch ``src`` into ``dst`` (default: ``src`` itself), written to a temporary file
    then renamed; returns the number of Conv nodes padded. An unaffected model is
    rewritten unchanged only when ``dst`` differs from ``src``."""
    dst = dst or src
    model, padded = make_webgpu_safe(onnx.load(src))
    if padded or os.path.abspath(dst) != os.path.abspath(src):
        tmp = dst + ".webgpu_safe.tmp"
        try:
            onnx.save(model, tmp)
            os.replace(tmp, dst)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    return padded


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) not in (1, 2) or argv[0].startswith("-"):
        print("usage: python3 -m cmrxtrain.webgpu_safe IN.onnx [OUT.onnx]\n" + __doc__.split("\n")[0],
              file=sys.stderr)
        return 2
    src, dst = argv[0], argv[1] if len(argv) == 2 else argv[0]
    if not os.path.isfile(src):
        print(f"error: {src}: no such file (give the path of a .onnx model)", file=sys.stderr)
        return 2
    try:
        n = patch_file(src, dst)
    except (onnx.checker.ValidationError, OSError, ValueError) as e:  # pragma: no cover
        print(f"error: {src}: {e}", file=sys.stderr)
        return 2
    print(f"{dst}: {n} Conv node(s) padded for onnxruntime-web's WebGPU provider")
    return 0


if __name__ == "__main__":
    sys.exit(main())
