"""Start training from weights that already exist: a checkpoint or a shipped ONNX graph.

The papers' extensions are additions to a base network (CRNN-MRI + a refinement module,
CRUNet-MR + a feature bank). Their training can start from the base's trained weights: the
base's parameters are copied into the extended model (under a name prefix, e.g. ``crnn.``
for :class:`~cmrxtrain.models.crnn_refine.CRNNRefine`), and the added layers keep their own
initialisation. Config key::

    "init": {"from": "models/crnn-mri.onnx", "into": "crnn.", "skip": [], "as_base": true}

``from`` is an ONNX file written by :mod:`cmrxtrain.export` (its initializers carry the
PyTorch parameter names, under ``model.`` when the export wraps the network in its
self-ensemble) or a ``.pt`` checkpoint of :mod:`cmrxtrain.train`. Every parameter and buffer
of the target (the model's entries under ``into``) must be found with the same shape, or
the start is refused: a silent partial copy would train from a half-random network; the
added layers are named in ``skip`` (name prefixes under ``into``, e.g. ``fusers.``). With
``as_base`` (the default) a model that defines ``start_as_base()`` then sets its added
layers so that the extended network computes exactly what the base computes (the
refinement adds zero, the feature bank passes on the previous cascade's features): training
starts from the base's quality instead of a perturbed copy of it.
"""

from __future__ import annotations

import os

import numpy as np
import torch

from .data import DataError


def source_weights(path: str) -> dict:
    """Named tensors of an ONNX export or a training checkpoint (``{name: tensor}``), with
    the self-ensemble wrapper's ``model.`` prefix removed."""
    if not os.path.isfile(path):
        raise DataError("no such weights file", path, "give init.from an .onnx or .pt file")
    if path.endswith(".onnx"):
        import onnx
        from onnx import numpy_helper

        graph = onnx.load(path).graph
        out = {}
        for t in graph.initializer:
            out[t.name] = torch.from_numpy(np.array(numpy_helper.to_array(t)))
        out.update(_folded_biases(graph, out))
    else:
        state = torch.load(path, map_location="cpu")
        out = dict(state["model"] if "model" in state else state)
    if out and all(k.startswith("model.") for k in out if not k.startswith("onnx::")):
        out = {k[len("model."):]: v for k, v in out.items() if k.startswith("model.")}
    return out


def _folded_biases(graph, tensors: dict) -> dict:
    """Parameters the exporter folded into unnamed constants: a bias ``P.bias`` of shape
    ``[D, H]`` used as ``bias[d].view(1, H, 1, 1)`` (CRUNet-MR's CRNN-TI units) becomes D
    initializers ``onnx::Add_N`` of shape ``[1, H, 1, 1]`` consumed by ``Add`` nodes named
    ``/model/P/Add...``, numbered in the order the forward pass makes them (d = 0 first).
    Returns ``{"P.bias": tensor [D, H]}`` (with the ``model.`` prefix the other names have)."""
    users = {}
    for node in graph.node:
        for name in node.input:
            users.setdefault(name, []).append(node)
    groups = {}
    for name, t in tensors.items():
        if not name.startswith("onnx::Add_") or t.dim() != 4 or t.shape[0] != 1:
            continue
        if t.shape[2] != 1 or t.shape[3] != 1:
            continue
        paths = {n.name.rsplit("/", 1)[0] for n in users.get(name, []) if n.op_type == "Add"}
        if len(paths) != 1:
            continue
        path = paths.pop().lstrip("/").replace("/", ".")
        groups.setdefault(path, []).append((int(name.rsplit("_", 1)[1]), t.reshape(1, -1)))
    return {
        f"{path}.bias": torch.cat([t for _, t in sorted(rows, key=lambda r: r[0])], dim=0)
        for path, rows in groups.items()
    }


def warm_start(model: torch.nn.Module, spec: dict) -> dict:
    """Copy the weights named by ``spec`` (``{"from": FILE, "into": PREFIX, "skip":
    [PREFIX...], "as_base": bool}``) into ``model``; returns ``{"loaded": n, "kept": m,
    "as_base": bool}`` (entries copied, entries left as initialised, whether
    ``start_as_base`` ran).

    :raises DataError: when a target entry is missing from the file or has another shape
    """
    path = spec["from"]
    into = spec.get("into", "")
    src = source_weights(path)
    state = model.state_dict()
    skip = tuple(into + p for p in spec.get("skip", []))
    targets = [k for k in state if k.startswith(into) and not (skip and k.startswith(skip))]
    if not targets:
        raise DataError(f"the model has no parameters under {into!r}", path,
                        "set init.into to the base network's attribute name plus a dot")
    missing, wrong = [], []
    for k in targets:
        name = k[len(into):]
        if name not in src:
            missing.append(name)
        elif tuple(src[name].shape) != tuple(state[k].shape):
            wrong.append(f"{name} {tuple(src[name].shape)} vs {tuple(state[k].shape)}")
    if missing or wrong:
        raise DataError(
            f"cannot start from these weights: {len(missing)} missing "
            f"({', '.join(missing[:4])}{'...' if len(missing) > 4 else ''}), "
            f"{len(wrong)} of another shape ({', '.join(wrong[:3])})",
            path,
            "the base network's model_args must match the weights' (width, cascades, ...)",
        )
    with torch.no_grad():
        for k in targets:
            state[k].copy_(src[k[len(into):]].to(state[k].dtype))
    as_base = bool(spec.get("as_base", True)) and hasattr(model, "start_as_base")
    if as_base:
        model.start_as_base()
    return {"loaded": len(targets), "kept": len(state) - len(targets), "as_base": as_base}
