"""Helper of bench/dft_export.ts and tests/models/dft_test.ts: exports the bare centred
orthonormal 2-D transforms of cmrxtrain.fftc to ONNX both ways (DFT-matrix products and
ONNX's DFT operator), writes a random complex input and torch.fft's result for it, and
optionally times torch.fft on it.

Usage: python3 bench/dft_export.py OUT_DIR T,C,Y,X [REPS] [THREADS]

Writes OUT_DIR/{matmul,dft}_{fwd,inv}.onnx (input "x", output "y", [T, C, Y, X, 2], every
axis dynamic but the last), OUT_DIR/input.f32 (the input, raw little-endian float32),
OUT_DIR/fwd.f32 / inv.f32 (torch.fft's centred fft2c / ifft2c of it) and prints one JSON
line: shape, torch version, and with REPS > 0 the best and median seconds of torch.fft's
ifft2c (the transform the benchmark times) over REPS runs after one warm-up.
"""

import json
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "train"))

from cmrxtrain import fftc  # noqa: E402


class Centred(torch.nn.Module):
    """``fft2c`` (inverse False) or ``ifft2c`` of ``x`` ``[T, C, Y, X, 2]``."""

    def __init__(self, inverse: bool):
        super().__init__()
        self.inverse = inverse

    def forward(self, x):
        return fftc.ifft2c(x) if self.inverse else fftc.fft2c(x)


def export(out_dir: str) -> None:
    x = torch.randn(2, 3, 9, 8, 2)
    dyn = {"x": {0: "T", 1: "C", 2: "Y", 3: "X"}, "y": {0: "T", 1: "C", 2: "Y", 3: "X"}}
    for mode in fftc.EXPORT_FFT_MODES:
        prev = fftc.set_export_fft(mode)
        try:
            for inverse, tag in ((False, "fwd"), (True, "inv")):
                path = os.path.join(out_dir, f"{mode}_{tag}.onnx")
                torch.onnx.export(Centred(inverse), (x,), path, input_names=["x"],
                                  output_names=["y"], dynamic_axes=dyn, opset_version=17)
        finally:
            fftc.set_export_fft(prev)


def main() -> None:
    out_dir = sys.argv[1]
    t, c, ny, nx = (int(v) for v in sys.argv[2].split(","))
    reps = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    threads = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    torch.set_num_threads(threads)
    os.makedirs(out_dir, exist_ok=True)
    export(out_dir)
    x = torch.randn(t, c, ny, nx, 2, generator=torch.Generator().manual_seed(7))
    x.numpy().astype("<f4").tofile(os.path.join(out_dir, "input.f32"))
    with torch.no_grad():
        fftc.fft2c(x).numpy().astype("<f4").tofile(os.path.join(out_dir, "fwd.f32"))
        fftc.ifft2c(x).numpy().astype("<f4").tofile(os.path.join(out_dir, "inv.f32"))
        times = []
        for r in range(reps + 1 if reps > 0 else 0):
            t0 = time.perf_counter()
            fftc.ifft2c(x)
            if r > 0:  # the first run warms up
                times.append(time.perf_counter() - t0)
    info = {"shape": [t, c, ny, nx, 2], "torch_version": torch.__version__, "threads": threads}
    if times:
        info["torch_best"] = min(times)
        info["torch_median"] = statistics.median(times)
    print(json.dumps(info))


if __name__ == "__main__":
    main()
