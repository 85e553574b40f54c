"""Relaxometry for the relaxometry-guided VN (Zhao, Zhang, Tao 2023): signal models, the
unsupervised mapping loss ``l_relax`` (eq. 10), the joint loss (eq. 13) and the two-stage
schedule.

Signal models (times ``t`` in ms, parameters in the same time unit):

* MOLLI T1 (eq. 11): ``s = |A - B exp(-t / T1*)|``, and ``T1 = T1* (B/A - 1)``;
* T2-prep (eq. 12): ``s = A exp(-t / T2)``.

cmrxkit's synthetic phantoms follow exactly these (``src/synth/phantom/contrast.ts`` molliSignal with
B/A = 2.2, t2PrepSignal), times are read from T1map.csv / T2map.csv.

Joint loss (eq. 9, 13), on magnitudes ``x_hat = |recon|`` and ``x`` = the fully sampled RSS
target, both divided by the slice's scale:

    l = g1 * ||x_hat - x||_1 + g2 * (1 - SSIM(x_hat, x))
        + g3 * l_relax(x_hat) + g4 * ||M(x_hat) - M(x)||_1

with the paper's g1 = 0.2, g2 = 0.8, g3 = 0.01, g4 = 0.1. ``l_relax`` and the map term are
averaged over tissue pixels: as in the authors' code, air (pixels whose largest weighting is
below ``air_fraction`` = 5 % of the slice's maximum) has no relaxometry to fit. The map term
compares the parameters in the mapping network's scaled units (A, B as image intensities,
T1*/T2 in units of ``TIME_SCALE`` ms), so that all are O(1).

Two stages (``set_stage``): ``mapping`` trains ``M`` alone on the fully sampled images with
``l_relax`` (the reconstruction is not run); ``recon`` freezes ``M`` and trains the
reconstruction with the joint loss.

Shapes: magnitudes ``[B, T, Y, X]``, times ``[B, T]`` ms, parameter maps ``[B, P, Y, X]``.
"""

import torch

from . import losses
from .fftc import complex_abs
from .models.relax_vn import TIME_SCALE

STAGES = ("mapping", "recon")


def molli_signal(a: torch.Tensor, b: torch.Tensor, t1s: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """MOLLI magnitude ``|A - B exp(-t / T1*)|`` (broadcasting; t and T1* in the same unit)."""
    return torch.abs(a - b * torch.exp(-t / t1s))


def t2_signal(a: torch.Tensor, t2: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """T2-prep signal ``A exp(-t / T2)`` (broadcasting; t and T2 in the same unit)."""
    return a * torch.exp(-t / t2)


def t1_from_molli(a: torch.Tensor, b: torch.Tensor, t1s: torch.Tensor) -> torch.Tensor:
    """Look-Locker correction ``T1 = T1* (B/A - 1)``."""
    return t1s * (b / a - 1.0)


def model_signal(view: str, params: torch.Tensor, times: torch.Tensor) -> torch.Tensor:
    """Signal of parameter maps ``[B, P, Y, X]`` (scaled units, see ``MappingNet``) at ``times``
    ``[B, T]`` (ms) -> ``[B, T, Y, X]``."""
    t = (times / TIME_SCALE[view])[:, :, None, None]
    if view == "T1":
        return molli_signal(params[:, 0:1], params[:, 1:2], params[:, 2:3], t)
    return t2_signal(params[:, 0:1], params[:, 1:2], t)


def physical_maps(view: str, params: torch.Tensor) -> torch.Tensor:
    """T1 or T2 in ms from the mapping network's output ``[B, P, Y, X]`` -> ``[B, Y, X]``."""
    if view == "T1":
        return t1_from_molli(params[:, 0], params[:, 1], params[:, 2]) * TIME_SCALE[view]
    return params[:, 1] * TIME_SCALE[view]


def tissue_mask(mag: torch.Tensor, fraction: float) -> torch.Tensor:
    """1 where the largest weighting of a pixel reaches ``fraction`` of the slice maximum.

    ``mag [B, T, Y, X] -> [B, 1, Y, X]`` float (no gradient)."""
    with torch.no_grad():
        peak = mag.amax(dim=1, keepdim=True)
        top = peak.amax(dim=(2, 3), keepdim=True)
        return (peak >= fraction * top).to(mag.dtype)


def masked_l1(a: torch.Tensor, b: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean |a - b| over the pixels where ``mask`` [B, 1, Y, X] is 1 (all channels)."""
    w = mask.expand_as(a)
    return (torch.abs(a - b) * w).sum() / w.sum().clamp_min(1.0)


def relax_loss(mapping, mag: torch.Tensor, times: torch.Tensor, mask: torch.Tensor = None,
               params: torch.Tensor = None) -> torch.Tensor:
    """``l_relax`` (eq. 10): L1 between the signal model of ``M(mag, times)`` and ``mag``.

    ``mapping`` is a ``MappingNet``; ``params`` may pass ``M(mag, times)`` already computed;
    ``mask`` [B, 1, Y, X] restricts the mean to tissue (None: every pixel)."""
    if params is None:
        params = mapping(mag, times)
    fit = model_signal(mapping.view, params, times)
    if mask is None:
        return torch.mean(torch.abs(fit - mag))
    return masked_l1(fit, mag, mask)


def joint_loss(model, image: torch.Tensor, batch: dict) -> dict:
    """Joint loss (eq. 13) of a reconstruction ``image [B, T, Y, X, 2]`` against ``batch``'s
    ``target [B, T, Y, X]`` with ``times [B, T]``. ``model`` is a ``RelaxVN`` (its frozen
    ``mapping`` and ``gammas``). Returns the total and its parts (tensors); SSIM is
    ``cmrxtrain.losses.ssim`` (scikit-image's definition, per weighting)."""
    g1, g2, g3, g4 = model.gammas
    target = batch["target"]
    times = batch["times"]
    mag = complex_abs(image, eps=1e-12)
    parts = {
        "l1": torch.mean(torch.abs(mag - target)),
        "ssim": 1.0 - losses.ssim(mag, target),
    }
    total = g1 * parts["l1"] + g2 * parts["ssim"]
    if g3 > 0 or g4 > 0:
        mask = tissue_mask(target, model.air_fraction)
        p_hat = model.mapping(mag, times)
        parts["relax"] = relax_loss(model.mapping, mag, times, mask, params=p_hat)
        with torch.no_grad():
            p_ref = model.mapping(target, times)
        parts["map"] = masked_l1(p_hat, p_ref, mask)
        total = total + g3 * parts["relax"] + g4 * parts["map"]
    parts["total"] = total
    return parts


def mapping_loss(model, batch: dict) -> dict:
    """Stage 1: ``l_relax`` of ``M`` on the fully sampled magnitudes ``batch["target"]``."""
    target = batch["target"]
    mask = tissue_mask(target, model.air_fraction)
    loss = relax_loss(model.mapping, target, batch["times"], mask)
    return {"relax": loss, "total": loss}


def set_stage(model, stage: str) -> None:
    """Selects the stage of a ``RelaxVN``: ``mapping`` trains only ``M``; ``recon`` freezes ``M``
    (no gradient, eval mode) and trains the reconstruction."""
    if stage not in STAGES:
        raise ValueError(f"relax: stage must be one of {STAGES}, got {stage!r}")
    model.stage = stage
    for p in model.mapping.parameters():
        p.requires_grad_(stage == "mapping")
    for p in model.recon.parameters():
        p.requires_grad_(stage == "recon")
    if stage == "recon":
        model.mapping.eval()


def stage_loss(model, batch: dict, out: torch.Tensor = None):
    """The loss of the model's current stage for one batch: ``(total, {part: float})``.

    ``out`` is the reconstruction when the trainer already ran it (recomputed when None;
    unused in the mapping stage)."""
    if model.stage == "mapping":
        parts = mapping_loss(model, batch)
    else:
        if out is None:
            out = model(batch["kspace"], batch["mask"], batch["sens"])
        parts = joint_loss(model, out, batch)
    return parts["total"], {k: float(v.detach()) for k, v in parts.items() if k != "total"}
