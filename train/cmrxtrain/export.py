"""Export a trained (or randomly initialised) model to ONNX plus the cmrxkit manifest.

Usage (from the repository root, ``PYTHONPATH=train``)::

    python3 -m cmrxtrain.export --checkpoint RUN/best.pt --out models/NAME.onnx
    python3 -m cmrxtrain.export --config train/configs/crnn-mri.json --random-init --out X.onnx
    python3 -m cmrxtrain.export --model crnn --random-init --test-width --out X.onnx \\
        --dump-io DIR
    python3 -m cmrxtrain.export --list

The graph takes ``kspace [B,T,C,Y,X,2]``, ``mask [B,T,Y,X]``, ``sens [B,C,Y,X,2]`` and
returns ``image [B,T,Y,X,2]`` (opset 17); B, C, Y and X are dynamic, T is the frame count the
recurrences were unrolled for (``--frames``, default the model's ``FRAMES``). The manifest
``NAME.json`` beside it follows ``src/models/manifest.ts``: layouts, feeder (``sequence`` for
cine, ``weightings`` for mapping, with the frame count), ``max`` normalisation, what it serves,
the parameter count, the architecture and what it was trained on.

``--self-ensemble [4|8]`` exports the model inside :class:`cmrxtrain.ensemble.FlipEnsemble`
(passes on the data as acquired, mirrored and, with 8, conjugated; averaged);
``--set KEY=VALUE`` overrides a constructor argument that leaves the weights alone (e.g.
CRNN's ``temporal_wrap``); ``--fft matmul|dft`` chooses how the centred FFTs export
(DFT-matrix products, the default, or ONNX's ``DFT`` operator; :mod:`cmrxtrain.fftc`).

``--dump-io DIR`` also writes a random input at another size (``--io-size``, default odd
19 x 17, 3 coils) and PyTorch's output for it as raw little-endian float32 row-major files
(``kspace.bin``, ``mask.bin``, ``sens.bin``, ``image.bin``) with ``io.json`` giving the
shapes: what the Deno parity test runs through onnxruntime-node.
"""

import argparse
import json
import os
import sys

import torch

from .data import DataError, uniform_lines
from .ensemble import FlipEnsemble
from .fftc import EXPORT_FFT_MODES, export_fft, set_export_fft
from .models import REGISTRY, count_parameters, get
from .ops import mask_to_kspace, sens_expand

OPSET = 17
CINE_SERVES = {
    "tasks": ["cine"],
    "views": ["sax", "lax"],
    "accelerations": [4, 8, 10],
    "coils": ["MultiCoil"],
}


def random_inputs(frames: int, coils: int, ny: int, nx: int, seed: int = 0, acc: int = 4):
    """A plausible random input: sampled lines of a uniform mask (acc, 8 central lines),
    smooth-ish unit-RSS coil maps, k-space of a random image through those maps, /max.
    Returns (kspace, mask, sens) tensors with a batch of 1."""
    g = torch.Generator().manual_seed(seed)
    lines = torch.from_numpy(uniform_lines(ny, acc, min(8, ny)))
    mask = lines.view(1, 1, ny, 1).expand(1, frames, ny, nx).contiguous()
    sens = torch.randn(1, coils, ny, nx, 2, generator=g)
    sens = sens / sens.pow(2).sum(dim=(1, 4), keepdim=True).sqrt()
    img = torch.randn(1, frames, ny, nx, 2, generator=g)
    k = sens_expand(img, sens) * mask_to_kspace(mask)
    k = k / k.abs().max()
    return k, mask, sens


def overrides(args) -> dict:
    """Constructor arguments from ``--set KEY=VALUE`` (VALUE parsed as JSON, else a string):
    inference-time options that leave the weights alone, e.g. CRNN's ``temporal_wrap``."""
    out = {}
    for item in getattr(args, "set", None) or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise DataError(f"--set {item!r} is not KEY=VALUE", "", "e.g. --set temporal_wrap=3")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def model_from(args):
    """(model, name, info) from --checkpoint, or --config / --model with --random-init."""
    if args.checkpoint:
        if not os.path.isfile(args.checkpoint):
            raise DataError("checkpoint not found", args.checkpoint, "give RUN/best.pt or RUN/last.pt")
        ck = torch.load(args.checkpoint, map_location="cpu")
        cls = get(ck["model_name"])
        model = cls(**{**ck["model_args"], **overrides(args)})
        model.load_state_dict(ck["model"])
        cfg = ck.get("config", {})
        return model, ck["model_name"], cfg.get("export", {}), ck.get("step")
    if not args.random_init:
        raise DataError("give --checkpoint, or --random-init with --config or --model")
    if args.config:
        from .train import load_config

        cfg = load_config(args.config)
        name = cfg["model"]
        kwargs = dict(cfg["model_args"])
        export = cfg.get("export", {})
    elif args.model:
        name, kwargs, export = args.model, {}, {}
    else:
        raise DataError("--random-init needs --config or --model")
    cls = get(name)
    if args.test_width:
        kwargs = cls.test_config()
    kwargs = {**kwargs, **overrides(args)}
    torch.manual_seed(args.seed)
    model = cls(**kwargs)
    # a random-init model must not be trivial: perturb parameters initialised to zero
    with torch.no_grad():
        for p in model.parameters():
            if p.abs().max() == 0:
                p.normal_(0, 0.05, generator=torch.Generator().manual_seed(args.seed))
    return model, name, export, None


def graph_module(model):
    """What is exported and counted: ``model.export_module()`` when the model defines it (a
    training-only sub-network, e.g. the relaxometry VN's mapping net, stays out), else the
    model itself."""
    return model.export_module() if hasattr(model, "export_module") else model


def manifest_for(model, name: str, onnx_file: str, export: dict, frames: int, args,
                 graph=None) -> dict:
    """The manifest dict (src/models/manifest.ts, format 1). ``graph`` is what was exported
    when it is not ``graph_module(model)`` (e.g. a :class:`FlipEnsemble` around it)."""
    cls = type(model)
    serves = export.get("serves") or getattr(cls, "SERVES", None) or CINE_SERVES
    kind = "weightings" if serves.get("tasks") == ["mapping"] else "sequence"
    described = graph if graph is not None and hasattr(graph, "describe") else model
    describe = described.describe() if hasattr(described, "describe") else cls.__name__
    extra = {k: export[k] for k in ("outputMagnitude", "auto") if k in export}
    return {
        "format": 1,
        "name": args.name or export.get("name") or name,
        "file": os.path.basename(onnx_file),
        "description": args.description or export.get("description") or describe,
        "architecture": describe,
        "trainedOn": args.trained_on or export.get("trainedOn")
        or ("nothing (random initialisation)" if args.random_init else "unspecified"),
        "parameters": count_parameters(graph_module(model)),
        "inputs": [
            {"name": "kspace", "role": "kspace", "layout": "B,T,C,Y,X,2"},
            {"name": "mask", "role": "mask", "layout": "B,T,Y,X"},
            {"name": "sens", "role": "sensitivity", "layout": "B,C,Y,X,2"},
        ],
        "output": {"name": "image", "role": "image", "layout": "B,T,Y,X,2"},
        "feeder": {"kind": kind, "frames": frames},
        "normalization": {"kind": "max"},
        "serves": serves,
        "opset": OPSET,
        **extra,
    }


def export_onnx(model, path: str, frames: int, coils: int = 4, size=(24, 20)) -> None:
    """torch.onnx.export at opset 17 with B, C, Y, X dynamic, written atomically; Convs that
    onnxruntime-web's WebGPU provider computes wrongly get their input channels zero-padded
    (:mod:`cmrxtrain.webgpu_safe`, same result on every provider)."""
    model.eval()
    k, m, s = random_inputs(frames, coils, size[0], size[1], seed=1)
    tmp = path + ".tmp"
    dyn = {
        "kspace": {0: "B", 2: "C", 3: "Y", 4: "X"},
        "mask": {0: "B", 2: "Y", 3: "X"},
        "sens": {0: "B", 1: "C", 2: "Y", 3: "X"},
        "image": {0: "B", 2: "Y", 3: "X"},
    }
    with torch.no_grad():
        torch.onnx.export(
            model,
            (k, m, s),
            tmp,
            input_names=["kspace", "mask", "sens"],
            output_names=["image"],
            dynamic_axes=dyn,
            opset_version=OPSET,
            do_constant_folding=True,
        )
    try:
        import onnx

        onnx.checker.check_model(onnx.load(tmp))
    except ImportError:
        print("warning: onnx is not installed: the WebGPU Conv padding (cmrxtrain.webgpu_safe) "
              "was not applied", file=sys.stderr)
    else:
        # onnxruntime-web 1.30's WebGPU provider computes some Convs wrongly; pad them
        from .webgpu_safe import patch_file

        patch_file(tmp)
    os.replace(tmp, path)


def write_json(obj, path: str) -> None:
    """JSON, written to a temporary file then renamed."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def dump_io(model, out_dir: str, frames: int, coils: int, ny: int, nx: int, seed: int) -> dict:
    """Random input + PyTorch output as raw float32 files and ``io.json`` (see module doc)."""
    os.makedirs(out_dir, exist_ok=True)
    k, m, s = random_inputs(frames, coils, ny, nx, seed=seed + 100)
    model.eval()
    with torch.no_grad():
        y = model(k, m, s)
    shapes = {}
    for name, t in (("kspace", k), ("mask", m), ("sens", s), ("image", y)):
        t.detach().numpy().astype("<f4").tofile(os.path.join(out_dir, name + ".bin"))
        shapes[name] = list(t.shape)
    info = {
        "inputs": {n: shapes[n] for n in ("kspace", "mask", "sens")},
        "output": {"image": shapes["image"]},
        "max_abs_output": float(y.abs().max()),
    }
    write_json(info, os.path.join(out_dir, "io.json"))
    return info


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m cmrxtrain.export", description=__doc__.split("\n")[0])
    p.add_argument("--list", action="store_true", help="print the registered model names")
    p.add_argument("--checkpoint", help="a train.py checkpoint (RUN/best.pt)")
    p.add_argument("--config", help="config JSON (with --random-init)")
    p.add_argument("--model", help="registered model name (with --random-init)")
    p.add_argument("--random-init", action="store_true", help="export untrained weights")
    p.add_argument("--test-width", action="store_true", help="the class's small test_config()")
    p.add_argument("--out", help="the .onnx file; the manifest goes beside it as .json")
    p.add_argument("--name", help="manifest name (default: the config's export.name)")
    p.add_argument("--description", help="manifest description")
    p.add_argument("--trained-on", help="manifest trainedOn")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a constructor argument of the model (repeatable), e.g. "
                        "temporal_wrap=3; weights must still fit")
    p.add_argument("--self-ensemble", type=int, nargs="?", const=4, choices=(4, 8),
                   help="export the model inside a self-ensemble (cmrxtrain.ensemble): 4 = "
                        "image flips, 8 = flips and complex conjugates; passes averaged")
    p.add_argument("--frames", type=int, help="frames to unroll (default: the model's FRAMES)")
    p.add_argument("--no-manifest", action="store_true", help="write only the .onnx")
    p.add_argument("--dump-io", help="also write a random input and PyTorch's output here")
    p.add_argument("--io-size", default="19,17", help="Y,X of the --dump-io input")
    p.add_argument("--io-coils", type=int, default=3, help="coils of the --dump-io input")
    p.add_argument("--fft", choices=EXPORT_FFT_MODES, default=export_fft(),
                   help="how the centred 2-D FFTs export: matmul = DFT-matrix products (every "
                        "provider), dft = ONNX DFT operator (opset 17); default: the one "
                        "measured faster on onnxruntime's CPU provider (cmrxtrain/fftc.py)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    if a.list:
        for name in sorted(REGISTRY):
            print(name)
        return 0
    try:
        if not a.out:
            raise DataError("--out is required", "", "e.g. --out models/my-model.onnx")
        model, name, export, step = model_from(a)
        frames = a.frames or getattr(type(model), "FRAMES", 12)
        graph = graph_module(model)
        if a.self_ensemble:
            graph = FlipEnsemble(graph, members=a.self_ensemble)
        os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
        prev_fft = set_export_fft(a.fft)
        try:
            export_onnx(graph, a.out, frames)
        finally:
            set_export_fft(prev_fft)
        summary = {"onnx": a.out, "model": name,
                   "parameters": count_parameters(graph),
                   "frames": frames, "bytes": os.path.getsize(a.out), "fft": a.fft}
        if step is not None:
            summary["step"] = step
        if not a.no_manifest:
            man = manifest_for(model, name, a.out, export, frames, a, graph)
            mpath = os.path.splitext(a.out)[0] + ".json"
            write_json(man, mpath)
            summary["manifest"] = mpath
        if a.dump_io:
            ny, nx = (int(v) for v in a.io_size.split(","))
            summary["io"] = dump_io(graph, a.dump_io, frames, a.io_coils, ny, nx, a.seed)
    except (DataError, KeyError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except TypeError as e:  # a --set key the model does not take
        print(f"error: {e} (check the --set keys against the model's constructor)",
              file=sys.stderr)
        return 2
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
