"""cmrxtrain.train: configs, stages, a tiny run, and exact resumption."""

import contextlib
import io
import json
import os
import tempfile
import unittest

import torch

from cmrxtrain import train as T
from tinydata import write_dataset

torch.set_num_threads(1)

TINY = {
    "model": "crnn",
    "model_args": {"nf": 4, "nc": 2, "nd": 3},
    "data": {"tasks": ["cine"], "views": ["sax"], "accs": [4], "crop_x": 16, "flip": True},
    "val": {"split": "TrainingSet", "max_items": 1, "every": 0, "at_start": True},
    "loss": {"l1": 1.0, "ssim": 0.5},
    "optim": {"lr": 0.01, "lr_min": 0.001, "warmup": 1},
    "steps": 5,
    "checkpoint_every": 2,
    "seed": 3,
}


def log_rows(run_dir):
    with open(os.path.join(run_dir, "log.jsonl")) as f:
        return [json.loads(line) for line in f]


class ConfigTest(unittest.TestCase):
    def test_merge_and_variants(self):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "c.json")
            with open(p, "w") as f:
                json.dump({"steps": 9, "optim": {"lr": 0.5},
                           "variants": {"small": {"model_args": {"nf": 2}}}}, f)
            cfg = T.load_config(p)
            self.assertEqual(cfg["steps"], 9)
            self.assertEqual(cfg["optim"]["lr"], 0.5)
            self.assertEqual(cfg["optim"]["clip"], T.DEFAULTS["optim"]["clip"])
            self.assertEqual(T.load_config(p + "#small")["model_args"], {"nf": 2})
            with self.assertRaises(T.DataError):
                T.load_config(p + "#nope")
        with self.assertRaises(T.DataError):
            T.load_config("/nonexistent/c.json")

    def test_stages(self):
        st = [{"name": "a", "steps": 3}, {"name": "b", "steps": 2}]
        self.assertEqual(T.stage_at(st, 0), (0, 0))
        self.assertEqual(T.stage_at(st, 3), (1, 3))
        self.assertEqual(T.stage_at(st, 5), (2, 5))
        self.assertEqual(T.stages_of({"steps": 7, "stages": None}), [{"name": "main", "steps": 7}])

    def test_stage_learning_rate_floor(self):
        w = torch.nn.Parameter(torch.zeros(1))
        optim = {"lr": 1.0, "lr_min": 0.5, "warmup": 0}
        lrs = {}
        for name, stage in (("optim", {}), ("stage", {"lr": 0.2, "lr_min": 0.02})):
            opt, sched = T.make_optimizer([w], optim, stage, 4)
            seen = []
            for _ in range(5):
                seen.append(opt.param_groups[0]["lr"])
                opt.step()
                sched.step()
            lrs[name] = seen
        self.assertAlmostEqual(lrs["optim"][0], 1.0)
        self.assertAlmostEqual(lrs["optim"][4], 0.5)
        self.assertAlmostEqual(lrs["stage"][0], 0.2)
        self.assertAlmostEqual(lrs["stage"][4], 0.02)

    def test_best_metric_direction(self):
        self.assertTrue(T.better("val_loss", 0.1, 0.2))
        self.assertFalse(T.better("val_loss", 0.3, 0.2))
        self.assertTrue(T.better("val_ssim_rank", 0.9, 0.8))
        self.assertTrue(T.better("val_psnr_rank", 30, None))

    def test_trainable_prefixes(self):
        from cmrxtrain.models import build

        m = build("crnn", nf=4, nc=1, nd=3)
        params = T.trainable(m, {"trainable": ["conv_out."]})
        self.assertEqual(len(params), 2)
        self.assertFalse(m.i2h.weight.requires_grad)
        with self.assertRaises(ValueError):
            T.trainable(m, {"name": "x", "trainable": ["nothing."]})


class RunTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.data = write_dataset(os.path.join(cls.tmp.name, "data"), patients=1, accs=(4,))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def run_train(self, out, **kw):
        cfg = T.merge(T.DEFAULTS, TINY)
        return T.train(cfg, self.data, out, log=io.StringIO(), **kw)

    def test_resume_continues_exactly(self):
        a = os.path.join(self.tmp.name, "a")
        b = os.path.join(self.tmp.name, "b")
        ra = self.run_train(a)
        self.assertEqual(ra["step"], 5)
        rb = self.run_train(b, stop_at=3)
        self.assertEqual(rb["step"], 3)
        self.run_train(b, resume=True)
        sa = torch.load(os.path.join(a, "last.pt"))
        sb = torch.load(os.path.join(b, "last.pt"))
        self.assertEqual(sb["step"], 5)
        for k in sa["model"]:
            self.assertTrue(torch.equal(sa["model"][k], sb["model"][k]), k)

        def losses(d):
            return {r["step"]: r["loss"] for r in log_rows(d) if "loss" in r}

        self.assertEqual(losses(a), losses(b))
        self.assertTrue(os.path.isfile(os.path.join(a, "best.pt")))
        rows = log_rows(a)
        vals = [r for r in rows if "val_loss" in r]
        self.assertEqual([v["step"] for v in vals], [0, 5])

    def test_stage_accelerations(self):
        cfg = T.merge(T.DEFAULTS, TINY)
        cfg["stages"] = [
            {"name": "main", "steps": 2},
            {"name": "late", "steps": 3, "accs": [8], "lr": 0.004, "lr_min": 0.004},
        ]
        out = os.path.join(self.tmp.name, "stage-accs")
        T.train(cfg, self.data, out, log=io.StringIO())
        rows = [r for r in log_rows(out) if "loss" in r]
        self.assertEqual([(r["stage"], r["acc"]) for r in rows],
                         [(0, 4), (0, 4), (1, 8), (1, 8), (1, 8)])
        self.assertAlmostEqual(rows[-1]["lr"], 0.004, places=9)
        cfg["stages"][1]["accs"] = []
        no_accs = os.path.join(self.tmp.name, "no-accs")
        with self.assertRaises(T.DataError):
            T.train(cfg, self.data, no_accs, log=io.StringIO())
        self.assertFalse(os.path.exists(no_accs))  # refused before anything is written

    def test_init_starts_from_given_weights_and_resume_ignores_it(self):
        src = os.path.join(self.tmp.name, "init-src")
        self.run_train(src)
        cfg = T.merge(T.DEFAULTS, TINY)
        cfg["init"] = {"from": os.path.join(src, "last.pt")}
        cfg["steps"] = 2
        cfg["optim"] = {**cfg["optim"], "lr": 1e-12, "lr_min": 1e-12, "warmup": 0}
        out = os.path.join(self.tmp.name, "init-run")
        log = io.StringIO()
        T.train(cfg, self.data, out, log=log, stop_at=1)
        self.assertIn("started from", log.getvalue())
        # with a learning rate of 1e-12 the step-1 weights are the start: the checkpoint's, not
        # random (a random start differs by ~0.1)
        a = torch.load(os.path.join(src, "last.pt"))["model"]
        b = torch.load(os.path.join(out, "last.pt"))["model"]
        for k in a:
            self.assertTrue(torch.allclose(a[k], b[k], rtol=0, atol=1e-9), k)
        cfg["init"] = {"from": os.path.join(self.tmp.name, "absent.pt")}
        T.train(cfg, self.data, out, log=io.StringIO(), resume=True)  # resume: init not read
        with self.assertRaises(T.DataError):
            T.train(cfg, self.data, os.path.join(self.tmp.name, "init-bad"), log=io.StringIO())

    def test_resume_without_checkpoint_is_an_error(self):
        with self.assertRaises(T.DataError):
            self.run_train(os.path.join(self.tmp.name, "empty"), resume=True)

    def test_cli_reports_bad_data_without_traceback(self):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "c.json")
            with open(p, "w") as f:
                json.dump(TINY, f)
            with contextlib.redirect_stderr(io.StringIO()) as err:
                code = T.main(["--config", p, "--data", os.path.join(d, "none"), "--out",
                               os.path.join(d, "run")])
            self.assertEqual(code, 2)
            self.assertIn("no fully sampled k-space files found", err.getvalue())
            self.assertNotIn("Traceback", err.getvalue())


if __name__ == "__main__":
    unittest.main()
