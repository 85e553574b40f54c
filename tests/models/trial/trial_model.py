"""A team's own small PyTorch model, written for cmrxkit's trial test (issue 19).

One tiny unrolled network (a residual CNN on the coil-combined image, then noiseless data
consistency), in every input layout cmrxkit's manifests support, each exported to ONNX with a
hand-written manifest exactly as a team would do it, and each also servable as an external
process through cmrxkit's Python reference client (clients/python/cmrxkit_model.py).

    python3 trial_model.py export OUTDIR        every layout: NAME.onnx, NAME.json and
                                                NAME-process.json (the same model, served)
    python3 trial_model.py serve NAME           the external-process model (stdin/stdout)

``build_model(NAME)`` returns the module of one layout (seeded weights, no training): the
parity harness's check script imports it (``--module trial_model.py --factory
build_model``). Needs torch and numpy; the train/ package (PYTHONPATH=train) for the FFTs.
"""

import json
import os
import sys

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "train"))
sys.path.insert(0, os.path.join(ROOT, "clients", "python"))

from cmrxtrain import fftc  # noqa: E402
from cmrxtrain.ops import hard_dc, sens_reduce  # noqa: E402

FRAMES = 12  # the synthetic cine's frame count (the 2T-channel export is fixed to it)
WINDOW = 5


def _seeded(module: nn.Module, seed: int) -> nn.Module:
    torch.manual_seed(seed)
    for p in module.parameters():
        nn.init.normal_(p, std=0.1)
    return module.eval()


class Refine(nn.Module):
    """Residual CNN on a complex image ``[N, Y, X, 2]`` (re, im as two channels)."""

    def __init__(self, channels: int = 2, width: int = 8):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(channels, width, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(width, channels, 3, padding=1),
        )

    def forward(self, x):  # [N, C, Y, X]
        return x + 0.5 * self.net(x)


def refine_complex(net: Refine, x: torch.Tensor) -> torch.Tensor:
    """``[B, T, Y, X, 2]`` frame by frame through ``net``."""
    b, t, y, xx, _ = x.shape
    z = x.reshape(b * t, y, xx, 2).permute(0, 3, 1, 2)
    return net(z).permute(0, 2, 3, 1).reshape(b, t, y, xx, 2)


class KspaceModel(nn.Module):
    """k-space + mask + coil maps -> complex image ``[B, T, Y, X, 2]``."""

    def __init__(self):
        super().__init__()
        self.refine = Refine()

    def forward(self, kspace, mask, sens):
        x = sens_reduce(kspace, sens)
        x = refine_complex(self.refine, x)
        return hard_dc(x, kspace, mask, sens)


class WindowCentreModel(nn.Module):
    """5-frame window of k-space -> the centre frame only, ``[B, Y, X, 2]``."""

    def __init__(self):
        super().__init__()
        self.inner = KspaceModel()

    def forward(self, kspace, mask, sens):
        x = self.inner(kspace, mask, sens)
        return x[:, WINDOW // 2] + 0.1 * x.mean(dim=1)


class ImageModel(nn.Module):
    """Zero-filled complex image ``[B, T, Y, X, 2]`` -> the same layout."""

    def __init__(self):
        super().__init__()
        self.refine = Refine()

    def forward(self, zf):
        return refine_complex(self.refine, zf)


class MagnitudeModel(nn.Module):
    """Zero-filled RSS magnitude ``[B, T, Y, X]`` -> refined magnitude, the same layout."""

    def __init__(self):
        super().__init__()
        self.refine = Refine(channels=1)

    def forward(self, rss):
        b, t, y, x = rss.shape
        return self.refine(rss.reshape(b * t, 1, y, x)).reshape(b, t, y, x)


class ChannelModel(nn.Module):
    """2T-channel U-Net style: ``[B, T*2, Y, X]`` (channel 2t+k = part k of frame t) -> same."""

    def __init__(self):
        super().__init__()
        self.refine = Refine(channels=2 * FRAMES, width=16)

    def forward(self, x):
        return self.refine(x)


SERVES = {"tasks": ["cine"], "views": ["sax", "lax"], "accelerations": [], "coils": ["MultiCoil"]}
K_INPUTS = [
    {"name": "kspace", "role": "kspace", "layout": "B,T,C,Y,X,2"},
    {"name": "mask", "role": "mask", "layout": "B,T,Y,X"},
    {"name": "sens", "role": "sensitivity", "layout": "B,C,Y,X,2"},
]

# name: (module class, manifest inputs, output layout, feeder, export FFT)
LAYOUTS = {
    "trial-kspace": (KspaceModel, K_INPUTS, "B,T,Y,X,2", {"kind": "sequence"}, "matmul"),
    "trial-image": (
        ImageModel,
        [{"name": "zf", "role": "zerofilled", "layout": "B,T,Y,X,2"}],
        "B,T,Y,X,2",
        {"kind": "sequence"},
        "matmul",
    ),
    "trial-magnitude": (
        MagnitudeModel,
        [{"name": "rss", "role": "rss", "layout": "B,T,Y,X"}],
        "B,T,Y,X",
        {"kind": "sequence"},
        "matmul",
    ),
    "trial-2tchannel": (
        ChannelModel,
        [{"name": "x", "role": "zerofilled", "layout": "B,T*2,Y,X"}],
        "B,T*2,Y,X",
        {"kind": "sequence", "frames": FRAMES},
        "matmul",
    ),
    "trial-window": (
        WindowCentreModel,
        K_INPUTS,
        "B,Y,X,2",
        {"kind": "window", "frames": WINDOW, "output": "centre"},
        "matmul",
    ),
    "trial-dft": (KspaceModel, K_INPUTS, "B,T,Y,X,2", {"kind": "sequence"}, "dft"),
}


def build_model(name: str) -> nn.Module:
    """The module of one layout, with its seeded weights (the same in every process)."""
    cls = LAYOUTS[name][0]
    return _seeded(cls(), seed=sorted(LAYOUTS).index(name) + 1)


def manifest(name: str) -> dict:
    _, inputs, out_layout, feeder, _ = LAYOUTS[name]
    return {
        "format": 1,
        "name": name,
        "file": f"{name}.onnx",
        "description": f"trial model ({name.split('-', 1)[1]} layout), seeded weights",
        "inputs": inputs,
        "output": {"name": "image", "role": "image", "layout": out_layout},
        "feeder": feeder,
        "normalization": {"kind": "max"},
        "serves": SERVES,
        "opset": 17,
    }


def example_inputs(name: str, ny: int = 16, nx: int = 20, coils: int = 3):
    """Random inputs of the layout's shapes (for the export trace)."""
    g = torch.Generator().manual_seed(0)
    _, inputs, _, feeder, _ = LAYOUTS[name]
    t = feeder.get("frames", 4) if feeder["kind"] != "sequence" else feeder.get("frames", 4)
    shapes = {
        "B,T,C,Y,X,2": (1, t, coils, ny, nx, 2),
        "B,T,Y,X": (1, t, ny, nx),
        "B,C,Y,X,2": (1, coils, ny, nx, 2),
        "B,T,Y,X,2": (1, t, ny, nx, 2),
        "B,T*2,Y,X": (1, 2 * t, ny, nx),
    }
    out = []
    for spec in inputs:
        x = torch.randn(shapes[spec["layout"]], generator=g)
        if spec["role"] == "mask":
            x = (x > 0).float()
        out.append(x)
    return tuple(out)


def dynamic_axes(name: str) -> dict:
    _, inputs, out_layout, feeder, _ = LAYOUTS[name]
    fixed_t = feeder["kind"] != "sequence" or "frames" in feeder
    dyn = {}
    for spec in inputs + [{"name": "image", "layout": out_layout}]:
        axes = {}
        for i, letter in enumerate(spec["layout"].split(",")):
            if letter in ("B", "C", "Y", "X") or (letter == "T" and not fixed_t):
                axes[i] = f"{letter}_{spec['name']}" if letter in ("B",) else letter
        dyn[spec["name"]] = axes
    return dyn


def export(out_dir: str) -> None:
    os.makedirs(out_dir, exist_ok=True)
    for name in LAYOUTS:
        mode = LAYOUTS[name][4]
        prev = fftc.set_export_fft(mode)
        try:
            model = build_model(name)
            inputs = example_inputs(name)
            with torch.no_grad():
                torch.onnx.export(
                    model,
                    inputs,
                    os.path.join(out_dir, f"{name}.onnx"),
                    input_names=[s["name"] for s in LAYOUTS[name][1]],
                    output_names=["image"],
                    dynamic_axes=dynamic_axes(name),
                    opset_version=17,
                )
        finally:
            fftc.set_export_fft(prev)
        m = manifest(name)
        with open(os.path.join(out_dir, f"{name}.json"), "w") as f:
            json.dump(m, f, indent=2)
        # the same model as an external process: no ONNX file, a command instead
        p = dict(m)
        del p["file"]
        p["name"] = f"{name}-process"
        p["process"] = {
            "command": [sys.executable, os.path.abspath(__file__), "serve", name],
            "startupSeconds": 120,
        }
        with open(os.path.join(out_dir, f"{name}-process.json"), "w") as f:
            json.dump(p, f, indent=2)


def serve_model(name: str) -> None:
    from cmrxkit_model import serve

    model = build_model(name)
    order = [s["name"] for s in LAYOUTS[name][1]]

    def run(inputs, info):
        with torch.no_grad():
            y = model(*[torch.from_numpy(inputs[n].copy()) for n in order])
        return y.numpy()

    serve(run, name=name)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "export":
        export(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "serve":
        serve_model(sys.argv[2])
    else:
        sys.exit(__doc__)
