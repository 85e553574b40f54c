"""Train a registered model on CMRxRecon-layout data.

Usage (from the repository root)::

    PYTHONPATH=train /usr/bin/python3 -m cmrxtrain.train --config train/configs/crnn-mri.json \\
        --data .cache/train-data --out runs/crnn [--resume] [--steps N] [--device cpu|cuda] \\
        [--seed S] [--threads N]

Writes to ``--out``: ``config.json`` (the merged config), ``last.pt`` (every
``checkpoint_every`` steps and at the end), ``best.pt`` (best ``val.select`` metric),
``log.jsonl`` (one JSON object per training step, and per validation). Checkpoints hold the
model, optimiser and scheduler state, the step, the best score and the torch RNG state;
the data randomness of step s is drawn from ``numpy.random.default_rng([seed, s])``, so a
resumed run continues exactly as an uninterrupted one (bit-identical on CPU).

Config (JSON)::

    {
      "model": "crnn",                       registered name (cmrxtrain.models.REGISTRY)
      "model_args": {"nf": 32, "nc": 5},     constructor arguments (paper defaults otherwise)
      "data": {"tasks": ["cine"], "views": null, "accs": [4, 8, 10], "crop_x": 48,
               "crop_center": 64, "flip": true, "conj": false, "patients": null,
               "coil": "MultiCoil"},             or "SingleCoil" (the 2023 single-coil track)
      "init": {"from": "models/crnn-mri.onnx", "into": "crnn.", "skip": [],
               "as_base": true},             start from trained weights (cmrxtrain.warmstart)
      "val": {"split": "ValidationSet", "max_items": 12, "every": 100, "at_start": false,
              "select": "val_loss"},             best.pt: the best value of this metric
      "loss": {"ssim": 1.0, "l1": 1.0},      see cmrxtrain.losses
      "optim": {"lr": 1e-3, "lr_min": 1e-4, "warmup": 20, "weight_decay": 0.0, "clip": 5.0},
      "steps": 1000, "checkpoint_every": 25, "log_every": 1, "seed": 1,
      "stages": null,                        or a list, see below
      "export": {...},                       manifest defaults for cmrxtrain.export
      "variants": {"smoke": {...}}           named overrides: --config FILE.json#smoke
    }

``stages`` (for multi-stage schedules, e.g. pretraining a sub-network, then freezing it)::

    [{"name": "pretrain", "steps": 500, "trainable": ["mapnet."], "loss": {...}, "lr": 1e-3},
     {"name": "recon",    "steps": 1000, "trainable": ["recon."]}]

Each stage trains only the parameters whose names start with one of ``trainable`` (all when
absent), with its own optimiser and schedule; ``loss``, ``lr`` and ``lr_min`` override the
top-level ones, and ``accs`` the accelerations of ``data``. A model's ``set_stage(name)`` is called at each stage start; a model's
``loss(batch, out, stage)`` replaces the config loss; ``forward_batch(batch)`` replaces
``forward(kspace, mask, sens)``.
"""

import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch

from . import losses as L
from .data import DataError, SliceDataset, batch_of
from .models import build, count_parameters
from .warmstart import warm_start

DEFAULTS = {
    "model": "crnn",
    "model_args": {},
    "data": {
        "tasks": ["cine"],
        "views": None,
        "accs": [4, 8, 10],
        "crop_x": None,
        "crop_center": None,
        "flip": False,
        "conj": False,
        "patients": None,
        "coil": "MultiCoil",
    },
    "val": {"split": "ValidationSet", "max_items": 12, "every": 100, "at_start": False,
            "select": "val_loss"},
    "loss": {"ssim": 1.0, "l1": 1.0},
    "optim": {"lr": 1e-3, "lr_min": 1e-4, "warmup": 0, "weight_decay": 0.0, "clip": 5.0},
    "steps": 1000,
    "checkpoint_every": 25,
    "log_every": 1,
    "seed": 1,
    "stages": None,
}


def merge(base: dict, over: dict) -> dict:
    """Recursive dict merge (``over`` wins); returns a new dict."""
    out = dict(base)
    for k, v in (over or {}).items():
        out[k] = merge(base[k], v) if isinstance(v, dict) and isinstance(base.get(k), dict) else v
    return out


def load_config(path: str) -> dict:
    """A config file merged over :data:`DEFAULTS`. A ``"variants"`` key holds named
    overrides: ``path.json#smoke`` applies ``variants["smoke"]``.

    :raises DataError: when the file is missing or not JSON
    """
    name = None
    if "#" in path:
        path, name = path.split("#", 1)
    try:
        with open(path) as f:
            cfg = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise DataError(f"cannot read the config: {e}", path, "give a JSON file") from e
    variants = cfg.pop("variants", {})
    if name:
        if name not in variants:
            raise DataError(f"no variant {name!r}; variants: {sorted(variants)}", path)
        cfg = merge(cfg, variants[name])
    return merge(DEFAULTS, cfg)


def stages_of(cfg: dict) -> list:
    """The stages: the config's list, or one stage of ``steps`` training everything."""
    if cfg.get("stages"):
        return cfg["stages"]
    return [{"name": "main", "steps": int(cfg["steps"])}]


def stage_at(stages: list, step: int) -> tuple:
    """(index, first step) of the stage that global step ``step`` (0-based) belongs to;
    (len(stages), total) when past the end."""
    start = 0
    for i, s in enumerate(stages):
        if step < start + int(s["steps"]):
            return i, start
        start += int(s["steps"])
    return len(stages), start


def trainable(model, stage: dict) -> list:
    """Parameters trained in ``stage`` (names starting with one of ``trainable``)."""
    prefixes = stage.get("trainable")
    params = []
    for name, p in model.named_parameters():
        on = prefixes is None or any(name.startswith(pf) for pf in prefixes)
        p.requires_grad_(on)
        if on:
            params.append(p)
    if not params:
        raise ValueError(f"stage {stage.get('name')}: no parameter matches {prefixes}")
    return params


def make_optimizer(params, optim: dict, stage: dict, steps: int):
    """Adam (AdamW when ``weight_decay`` > 0) with linear warm-up and cosine decay from the
    stage's ``lr`` (else ``optim.lr``) to its ``lr_min`` (else ``optim.lr_min``)."""
    lr = float(stage.get("lr", optim["lr"]))
    wd = float(optim.get("weight_decay", 0.0))
    opt = (torch.optim.AdamW if wd > 0 else torch.optim.Adam)(params, lr=lr, weight_decay=wd)
    warm = int(optim.get("warmup", 0))
    floor = float(stage.get("lr_min", optim.get("lr_min", lr))) / lr

    def factor(s):
        if s < warm:
            return (s + 1) / warm
        p = (s - warm) / max(1, steps - warm)
        return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * min(1.0, p)))

    return opt, torch.optim.lr_scheduler.LambdaLR(opt, factor)


def run_model(model, batch):
    """The model's output for a batch (``forward_batch`` when the model has one)."""
    if hasattr(model, "forward_batch"):
        return model.forward_batch(batch)
    return model(batch["kspace"], batch["mask"], batch["sens"])


def compute_loss(model, loss_fn, batch, out, stage_name):
    """(total, parts): the model's own ``loss`` when it has one, else the config's."""
    if hasattr(model, "loss"):
        return model.loss(batch, out, stage_name)
    return loss_fn(out, batch)


def psnr(x: torch.Tensor, y: torch.Tensor) -> float:
    """PSNR (dB) of magnitude frames ``[..., Y, X]``, each pair scaled by the target frame's
    max (data range 1), averaged over frames."""
    yy = y.reshape(-1, y.shape[-2] * y.shape[-1])
    xx = x.reshape(yy.shape)
    mx = yy.amax(dim=1, keepdim=True).clamp_min(1e-12)
    mse = (((xx - yy) / mx) ** 2).mean(dim=1).clamp_min(1e-20)
    return float((10 * torch.log10(1 / mse)).mean())


@torch.no_grad()
def validate(model, ds, loss_fn, device, max_items: int, stage_name: str) -> dict:
    """Over ``max_items`` validation items (spread evenly over slices and accelerations):
    mean loss; SSIM and PSNR of the magnitude against the target on whole frames
    (``val_ssim``, ``val_psnr``) and on the region the 2023 leaderboard scores, each image
    max-normalised (``val_ssim_rank``, ``val_psnr_rank``; all weightings for mapping)."""
    model.eval()
    n = len(ds) if not max_items else min(max_items, len(ds))
    idx = np.linspace(0, len(ds) - 1, n).round().astype(int) if n < len(ds) else range(n)
    sums = {"val_loss": 0.0, "val_ssim": 0.0, "val_psnr": 0.0, "val_ssim_rank": 0.0,
            "val_psnr_rank": 0.0}
    for i in idx:
        item = ds.item(int(i))
        b = batch_of(item, device)
        out = run_model(model, b)
        loss, _ = compute_loss(model, loss_fn, b, out, stage_name)
        mag = out.norm(dim=-1)
        frames = 3 if item["meta"]["task"] == "cine" else mag.shape[1]
        rs, rp = L.ranking_metrics(mag, b["target"], frames)
        sums["val_loss"] += float(loss)
        sums["val_ssim"] += float(L.ssim(mag, b["target"]))
        sums["val_psnr"] += psnr(mag, b["target"])
        sums["val_ssim_rank"] += rs
        sums["val_psnr_rank"] += rp
    model.train()
    return {**{k: v / n for k, v in sums.items()}, "val_items": n}


def better(metric: str, new: float, old: float) -> bool:
    """Whether ``new`` improves on ``old`` for ``metric`` (SSIM and PSNR: higher is better;
    anything else, e.g. a loss: lower)."""
    if old is None or not math.isfinite(old):
        return True
    return new > old if ("ssim" in metric or "psnr" in metric) else new < old


def save_atomic(obj, path: str):
    """torch.save to ``path + '.tmp'`` then rename (never a half-written checkpoint)."""
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


class Progress:
    """One line per report on stderr: step, loss, rate and ETA."""

    def __init__(self, total: int, start: int):
        self.total, self.start, self.t0 = total, start, time.time()

    def line(self, step: int, loss: float, extra: str = "") -> str:
        done = step - self.start
        el = time.time() - self.t0
        rate = el / done if done else float("nan")
        eta = rate * (self.total - step) if done else float("nan")
        fmt = lambda s: "?" if math.isnan(s) else f"{int(s // 60)}m{int(s % 60):02d}s"  # noqa: E731
        return (
            f"step {step}/{self.total} loss {loss:.5f} {rate:.2f} s/step "
            f"elapsed {fmt(el)} ETA {fmt(eta)} {extra}"
        )


def train(cfg: dict, data: str, out: str, resume: bool = False, device: str = "cpu",
          log=sys.stderr, stop_at: int = None) -> dict:
    """Runs (or resumes) a training; returns the final state summary
    ``{step, best, last_loss}``. ``stop_at`` ends the run after that global step with a
    checkpoint, as an interruption would (the schedule is still that of the whole run)."""
    stages = stages_of(cfg)
    for i, st in enumerate(stages):  # before anything is written, not when the stage starts
        if "accs" in st and not st["accs"]:
            raise DataError(f"stage {st.get('name', i)!r} has no accelerations", "",
                            'give the stage "accs" (e.g. [8, 10]) or leave the key out')
    os.makedirs(out, exist_ok=True)
    seed = int(cfg["seed"])
    torch.manual_seed(seed)
    np.random.seed(seed)
    dcfg = cfg["data"]
    loss_spec = cfg["loss"]
    with_full = L.needs_full_kspace(loss_spec) or any(
        L.needs_full_kspace(s.get("loss", {})) for s in (cfg.get("stages") or [])
    )
    ds = SliceDataset(
        data,
        tasks=tuple(dcfg["tasks"]),
        views=dcfg.get("views"),
        accs=dcfg["accs"],
        patients=dcfg.get("patients"),
        train=True,
        crop_x=dcfg.get("crop_x"),
        crop_center=dcfg.get("crop_center"),
        flip=bool(dcfg.get("flip")),
        conj=bool(dcfg.get("conj")),
        with_full=with_full,
        coil=dcfg.get("coil", "MultiCoil"),
    )
    vcfg = cfg["val"]
    val_ds = None
    if vcfg.get("split"):
        try:
            val_ds = SliceDataset(
                data, tasks=tuple(dcfg["tasks"]), split=vcfg["split"], views=dcfg.get("views"),
                accs=dcfg["accs"], train=False, with_full=with_full,
                coil=dcfg.get("coil", "MultiCoil"),
            )
        except DataError as e:
            print(f"note: no validation data ({e}); best.pt follows the training loss", file=log)
    model = build(cfg["model"], **cfg["model_args"]).to(device)
    total = sum(int(s["steps"]) for s in stages)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)

    step, best = 0, None
    si, s0 = stage_at(stages, 0)
    ckpt_path = os.path.join(out, "last.pt")
    state = None
    if resume:
        if not os.path.isfile(ckpt_path):
            raise DataError("nothing to resume", ckpt_path, "run without --resume first")
        state = torch.load(ckpt_path, map_location=device)
        model.load_state_dict(state["model"])
        step, best = int(state["step"]), state["best"]
        torch.set_rng_state(state["torch_rng"])
        si, s0 = stage_at(stages, step)
    elif cfg.get("init"):
        started = warm_start(model, cfg["init"])
        print(
            f"started from {cfg['init']['from']}: {started['loaded']} tensors copied, "
            f"{started['kept']} new{' (set to compute the base exactly)' if started['as_base'] else ''}",
            file=log,
        )
    print(
        f"model {cfg['model']} {count_parameters(model)} parameters; {len(ds)} training slices"
        f"{'' if val_ds is None else f', {len(val_ds)} validation items'}; "
        f"steps {step}..{total}",
        file=log,
    )
    prog = Progress(total, step)
    logf = open(os.path.join(out, "log.jsonl"), "a")
    perm_epoch, perm = -1, None
    last_loss = float("nan")

    def checkpoint(path):
        save_atomic(
            {
                "model": model.state_dict(),
                "optimizer": opt.state_dict(),
                "scheduler": sched.state_dict(),
                "step": step,
                "stage": si,
                "best": best,
                "torch_rng": torch.get_rng_state(),
                "config": cfg,
                "model_name": cfg["model"],
                "model_args": cfg["model_args"],
                "parameters": count_parameters(model),
            },
            path,
        )

    def do_validate():
        nonlocal best
        if val_ds is not None:
            v = validate(model, val_ds, loss_fn, device, int(vcfg.get("max_items") or 0),
                         stage["name"])
        else:
            v = {"val_loss": last_loss}
        v["step"] = step
        logf.write(json.dumps(v) + "\n")
        logf.flush()
        print(f"validation at step {step}: " + " ".join(
            f"{k} {v[k]:.5f}" for k in ("val_loss", "val_ssim_rank", "val_psnr_rank") if k in v),
            file=log)
        select = vcfg.get("select", "val_loss")
        if select not in v:
            select = "val_loss"
        if better(select, v[select], best):
            best = v[select]
            checkpoint(os.path.join(out, "best.pt"))

    while si < len(stages):
        stage = stages[si]
        steps_here = int(stage["steps"])
        # a stage may train on its own accelerations (e.g. a last stage on R 8 and 10 only)
        ds.accs = tuple(int(a) for a in stage.get("accs", dcfg["accs"]))
        params = trainable(model, stage)
        opt, sched = make_optimizer(params, cfg["optim"], stage, steps_here)
        if hasattr(model, "set_stage"):
            model.set_stage(stage.get("name", "main"))
        loss_fn = L.build(stage.get("loss", loss_spec))
        if state is not None and state.get("stage") == si:
            opt.load_state_dict(state["optimizer"])
            sched.load_state_dict(state["scheduler"])
        state = None
        if step == 0 and vcfg.get("at_start"):
            do_validate()
        model.train()
        while step < s0 + steps_here:
            epoch = step // len(ds)
            if epoch != perm_epoch:
                perm = np.random.default_rng([seed, epoch, 7]).permutation(len(ds))
                perm_epoch = epoch
            rng = np.random.default_rng([seed, step])
            item = ds.item(int(perm[step % len(ds)]), rng)
            b = batch_of(item, device)
            out_img = run_model(model, b)
            loss, parts = compute_loss(model, loss_fn, b, out_img, stage["name"])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            clip = cfg["optim"].get("clip")
            if clip:
                torch.nn.utils.clip_grad_value_(params, float(clip))
            opt.step()
            sched.step()
            step += 1
            last_loss = float(loss.detach())
            if not math.isfinite(last_loss):
                raise FloatingPointError(f"loss is {last_loss} at step {step}")
            rec = {"step": step, "loss": last_loss, **parts, "lr": sched.get_last_lr()[0],
                   "acc": item["meta"]["acc"], "view": item["meta"]["view"], "stage": si}
            logf.write(json.dumps(rec) + "\n")
            logf.flush()
            if step % int(cfg.get("log_every", 1)) == 0 or step == total:
                print(prog.line(step, last_loss, f"R{item['meta']['acc']} {item['meta']['view']}"),
                      file=log, flush=True)
            vevery = int(vcfg.get("every") or 0)
            end = step == s0 + steps_here
            if (vevery and step % vevery == 0) or end:
                do_validate()
            if step % int(cfg["checkpoint_every"]) == 0 or end or step == stop_at:
                checkpoint(ckpt_path)
            if step == stop_at:
                logf.close()
                print(f"stopped at step {step} (--stop-at); continue with --resume", file=log)
                return {"step": step, "best": best, "last_loss": last_loss}
        si += 1
        s0 += steps_here
    logf.close()
    return {"step": step, "best": best, "last_loss": last_loss}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m cmrxtrain.train", description=__doc__.split("\n")[0])
    p.add_argument("--config", required=True, help="config JSON (path.json#variant for a variant)")
    p.add_argument("--data", required=True, help="dataset root (holds MultiCoil/)")
    p.add_argument("--out", required=True, help="run folder (checkpoints, log.jsonl)")
    p.add_argument("--resume", action="store_true", help="continue from OUT/last.pt")
    p.add_argument("--steps", type=int, help="override the total steps (single-stage configs)")
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    p.add_argument("--seed", type=int, help="override the config's seed")
    p.add_argument("--threads", type=int, help="torch CPU threads (default: torch's)")
    p.add_argument("--stop-at", type=int, help="stop after this global step (resume later)")
    a = p.parse_args(argv)
    try:
        cfg = load_config(a.config)
        if a.steps is not None:
            if cfg.get("stages"):
                raise DataError("--steps applies to single-stage configs", a.config,
                                "edit the stages' steps instead")
            cfg["steps"] = a.steps
        if a.seed is not None:
            cfg["seed"] = a.seed
        if a.threads:
            torch.set_num_threads(a.threads)
        if a.device.startswith("cuda") and not torch.cuda.is_available():
            raise DataError("--device cuda asked for, but torch sees no CUDA device", "",
                            "use --device cpu")
        r = train(cfg, a.data, a.out, a.resume, a.device, stop_at=a.stop_at)
    except (DataError, ValueError, KeyError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
