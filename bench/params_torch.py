"""For bench/params.ts: builds one registered cmrxtrain model (paper widths, random init),
exports it to ONNX (the graph cmrxkit runs) and times its PyTorch forward per slice on CPU.

Usage: /usr/bin/python3 bench/params_torch.py NAME OUT.onnx NY NX COILS REPS THREADS
Prints one JSON line: name, parameters, frames, the inputs' shapes, torch_s (median)."""

import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "train"))

import torch  # noqa: E402

from cmrxtrain.export import export_onnx, graph_module, random_inputs  # noqa: E402
from cmrxtrain.models import build, count_parameters, get  # noqa: E402


def main() -> None:
    name, out = sys.argv[1], sys.argv[2]
    ny, nx, coils, reps, threads = (int(v) for v in sys.argv[3:8])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = graph_module(build(name)).eval()
    frames = getattr(get(name), "FRAMES", 12)
    export_onnx(model, out, frames, size=(ny, nx))
    k, m, s = random_inputs(frames, coils, ny, nx, seed=3)
    times = []
    with torch.no_grad():
        model(k, m, s)  # warm-up
        for _ in range(reps):
            t0 = time.perf_counter()
            model(k, m, s)
            times.append(time.perf_counter() - t0)
    for arr, fname in ((k, "kspace"), (m, "mask"), (s, "sens")):
        arr.contiguous().numpy().astype("float32").tofile(out + "." + fname + ".bin")
    print(json.dumps({
        "name": name,
        "parameters": count_parameters(model),
        "frames": frames,
        "shapes": {"kspace": list(k.shape), "mask": list(m.shape), "sens": list(s.shape)},
        "torch_s": statistics.median(times),
    }))


if __name__ == "__main__":
    main()
