#!/usr/bin/python3
"""PyTorch side of bench/ort_torch.ts: a CRNN-MRI-style unrolled network (cascades of a
5-layer CNN with a residual, each followed by k-space data consistency written as matrix
products with centred DFT matrices, so that it exports to ONNX), run on CPU with fixed
seeded weights, exported to ONNX with the same weights.

Usage: /usr/bin/python3 bench/ort_torch.py OUTDIR NY NX FRAMES CASCADES WIDTH REPS THREADS
Writes OUTDIR/model.onnx, OUTDIR/input_*.f32, OUTDIR/output.f32 and prints JSON timings.
"""
import json
import sys
import time

import numpy as np
import torch
import torch.nn as nn


def centred_dft(n, inverse):
    k = np.arange(n)
    sign = 1 if inverse else -1
    m = np.exp(sign * 2j * np.pi * np.outer(k, k) / n) / np.sqrt(n)
    # centred: fftshift . DFT . ifftshift
    p = np.fft.ifftshift(np.eye(n), axes=0)
    q = np.fft.fftshift(np.eye(n), axes=0)
    return q @ m @ p


class DC(nn.Module):
    """Hard data consistency on a coil-combined image: k = F x; k[m] = k0[m]; x = F^-1 k."""

    def __init__(self, ny, nx):
        super().__init__()
        fy, fx = centred_dft(ny, False), centred_dft(nx, False)
        iy, ix = centred_dft(ny, True), centred_dft(nx, True)
        for name, a in (("fy", fy), ("fxt", fx.T), ("iy", iy), ("ixt", ix.T)):
            self.register_buffer(name + "_r", torch.tensor(a.real, dtype=torch.float32))
            self.register_buffer(name + "_i", torch.tensor(a.imag, dtype=torch.float32))

    def cmul(self, ar, ai, br, bi, left):
        if left:  # B @ A
            return br @ ar - bi @ ai, br @ ai + bi @ ar
        return ar @ br - ai @ bi, ar @ bi + ai @ br

    def forward(self, x, k0, mask):
        xr, xi = x[:, 0], x[:, 1]
        kr, ki = self.cmul(xr, xi, self.fy_r, self.fy_i, True)
        kr, ki = self.cmul(kr, ki, self.fxt_r, self.fxt_i, False)
        kr = kr * (1 - mask) + k0[:, 0] * mask
        ki = ki * (1 - mask) + k0[:, 1] * mask
        yr, yi = self.cmul(kr, ki, self.iy_r, self.iy_i, True)
        yr, yi = self.cmul(yr, yi, self.ixt_r, self.ixt_i, False)
        return torch.stack([yr, yi], 1)


class Cascade(nn.Module):
    def __init__(self, ny, nx, cascades, width):
        super().__init__()
        def cnn():
            return nn.Sequential(
                nn.Conv2d(2, width, 3, padding=1), nn.ReLU(),
                nn.Conv2d(width, width, 3, padding=1), nn.ReLU(),
                nn.Conv2d(width, width, 3, padding=1), nn.ReLU(),
                nn.Conv2d(width, width, 3, padding=1), nn.ReLU(),
                nn.Conv2d(width, 2, 3, padding=1))
        self.cnns = nn.ModuleList([cnn() for _ in range(cascades)])
        self.dc = DC(ny, nx)

    def forward(self, x, k0, mask):
        for c in self.cnns:
            x = self.dc(x + c(x), k0, mask)
        return x


def main():
    out, ny, nx, t, cascades, width, reps, threads = sys.argv[1], *map(int, sys.argv[2:9])
    torch.manual_seed(0)
    torch.set_num_threads(threads)
    model = Cascade(ny, nx, cascades, width).eval()
    rng = np.random.default_rng(1)
    mask = (rng.random((1, ny, 1)) < 0.3).astype(np.float32) * np.ones((1, ny, nx), np.float32)
    k0 = (rng.standard_normal((t, 2, ny, nx)) * mask[:, None]).astype(np.float32)
    x0 = rng.standard_normal((t, 2, ny, nx)).astype(np.float32)
    inputs = {"image": x0, "kspace": k0, "mask": mask[0]}
    for k, v in inputs.items():
        v.tofile(f"{out}/input_{k}.f32")
    args = tuple(torch.from_numpy(inputs[k]) for k in ("image", "kspace", "mask"))
    with torch.no_grad():
        model(*args)  # warm up
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            y = model(*args)
            times.append(time.perf_counter() - t0)
        y.numpy().astype(np.float32).tofile(f"{out}/output.f32")
        torch.onnx.export(model, args, f"{out}/model.onnx", input_names=["image", "kspace", "mask"],
                          output_names=["out"], opset_version=17)
    params = sum(p.numel() for p in model.parameters())
    print(json.dumps({"torch": sorted(times)[len(times) // 2], "params": params, "torch_version": torch.__version__}))


if __name__ == "__main__":
    main()
