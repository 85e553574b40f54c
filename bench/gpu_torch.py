"""For bench/gpu.ts: the PyTorch column of the papers' parameter / time table. Every model of
train/'s registry at the papers' default widths (``build(name)``, random weights: time and
memory do not depend on training), one slice (all frames or weightings) at a time, on CUDA
(or the CPU in a dry run): median seconds per slice after a warm-up, the peak of
``torch.cuda.max_memory_allocated`` over the timed runs, trainable parameters.

Usage: python3 bench/gpu_torch.py [--device cuda|cpu] [--cine NXxNY] [--mapping NXxNY]
                                  [--coils 10] [--reps 3] [--models crnn,...] [--budget S]
Prints one JSON object (the last line of stdout): {"device", "torch", "gpu", "rows": [...]}.
A model that fails (out of memory, say) gets a row with "error"; models not reached within
--budget seconds get "skipped"."""

import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "train"))

import torch  # noqa: E402

from cmrxtrain.export import graph_module, random_inputs  # noqa: E402
from cmrxtrain.models import REGISTRY, build, count_parameters, get  # noqa: E402


def size(text: str):
    nx, ny = (int(v) for v in text.lower().split("x"))
    return nx, ny


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--cine", default="512x246", help="cine slice, readout x phase encode")
    ap.add_argument("--mapping", default="448x162", help="mapping slice, readout x phase encode")
    ap.add_argument("--coils", type=int, default=10)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--models", default="")
    ap.add_argument("--budget", type=float, default=150.0, help="seconds for all models")
    a = ap.parse_args()
    t_start = time.perf_counter()
    dev = torch.device(a.device)
    cuda = dev.type == "cuda"
    if cuda and not torch.cuda.is_available():
        print(json.dumps({"device": a.device, "error": "torch.cuda.is_available() is False"}))
        sys.exit(1)
    names = [n for n in a.models.split(",") if n] or list(REGISTRY)
    rows = []
    for name in names:
        frames = getattr(get(name), "FRAMES", 12)
        mapping = name.startswith("relax")
        nx, ny = size(a.mapping if mapping else a.cine)
        row = {"name": name, "frames": frames, "nx": nx, "ny": ny, "coils": a.coils}
        if time.perf_counter() - t_start > a.budget:
            row["skipped"] = f"over the {a.budget:.0f} s budget"
            rows.append(row)
            continue
        try:
            torch.manual_seed(0)
            model = graph_module(build(name)).eval().to(dev)
            row["parameters"] = count_parameters(model)
            k, m, s = (t.to(dev) for t in random_inputs(frames, a.coils, ny, nx, seed=3))
            times = []
            with torch.no_grad():
                model(k, m, s)  # warm-up (cuDNN autotuning, allocator)
                if cuda:
                    torch.cuda.synchronize()
                    torch.cuda.reset_peak_memory_stats()
                for _ in range(a.reps):
                    t0 = time.perf_counter()
                    model(k, m, s)
                    if cuda:
                        torch.cuda.synchronize()
                    times.append(time.perf_counter() - t0)
            row["seconds"] = statistics.median(times)
            row["reps"] = len(times)
            if cuda:
                row["max_memory_allocated"] = torch.cuda.max_memory_allocated()
        except Exception as e:  # noqa: BLE001 - one model's failure is a row, not the end
            row["error"] = f"{type(e).__name__}: {str(e).splitlines()[0][:300] if str(e) else ''}"
        finally:
            model = k = m = s = None
            if cuda:
                torch.cuda.empty_cache()
        rows.append(row)
        print(f"{name}: {row}", file=sys.stderr, flush=True)
    print(json.dumps({
        "device": a.device,
        "torch": torch.__version__,
        "gpu": torch.cuda.get_device_name(0) if cuda else None,
        "rows": rows,
    }))


if __name__ == "__main__":
    main()
