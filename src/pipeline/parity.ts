/**
 * The parity harness (`deno task models check MODEL --data DIR`): runs an ONNX model on a
 * few real slices of a dataset exactly as `submit` does (discovery, the case plan, the
 * mask, the feeders) and writes, per graph run, the inputs it fed and the outputs the graph
 * returned, with `runs.json`, a copy of the manifest and `check_parity.py`, a script that
 * feeds the same inputs to a team's own PyTorch module and prints the largest difference.
 *
 * ```
 * discover(data, split) -> cases the model serves (serves / unservedReason)
 *   -> openCase: plan, slices (central ones) -> mask file
 *   -> reconstructFile(slice) with OnnxReconstructor({ onRun })   one slice at a time
 *   -> every run: inputs + outputs (.npy, or one .mat v7.3 per run)
 * staged in a temporary folder beside --out, moved in at the end (.cmrxkit-parity lists them)
 * ```
 *
 * @module
 */

import type { Case } from "../challenge/case.ts";
import type { Split, Year } from "../challenge/edition.ts";
import { DEFAULT_YEAR, editionFor } from "../challenge/editions/mod.ts";
import { discover } from "../challenge/layout.ts";
import { openCase } from "../challenge/plan.ts";
import type { OnnxSessionOptions } from "../engine/session.ts";
import { CmrxError, errorMessage, UsageError } from "../errors.ts";
import { writeNpy } from "../mat/npy.ts";
import { openMat } from "../mat/read.ts";
import { writeMatV73 } from "../mat/v73/write.ts";
import type { LaidOut } from "../models/layout.ts";
import { type ModelRun, OnnxReconstructor } from "../models/onnx_model.ts";
import { findModel, type ModelEntry, serves, unservedReason } from "../models/registry.ts";
import { type MaskInput, reconstructFile } from "../recon/run.ts";
import { tempPathFor } from "../tempname.ts";
import {
  checkNoForeignFiles,
  checkOwnedFolder,
  readWrittenList,
  removeWritten,
  writeMarker,
} from "../written_files.ts";
import { modelKey } from "./select.ts";

/** The file that marks a folder as the output of `models check` (a re-run may replace it). */
export const PARITY_MARKER = ".cmrxkit-parity";

const ABOUT = "written by cmrxkit's parity check (deno task models check)\n" +
  "a later check into this folder replaces or removes only the files listed below;\n" +
  "anything else here stays";

/** Options of {@link parityCheck}. */
export interface ParityOptions {
  /** A model name (among `models`) or a manifest path (`.json`, or the `.onnx` beside it). */
  model: string;
  /** The models a name is looked up in (`listModels(--models DIR)`). */
  models: ModelEntry[];
  /** Dataset root (holds `MultiCoil/` and/or `SingleCoil/`). */
  data: string;
  /** Output folder: new, empty, or an earlier check's output. */
  out: string;
  /** Served cases to take (default 1). */
  cases?: number;
  /** Slices per case, the central ones of those the plan keeps (default 2). */
  slices?: number;
  /** `npy` (default: one file per input and output) or `mat` (one v7.3 file per run). */
  format?: "npy" | "mat";
  /** The split to read (default: every split; each case read as its own). */
  split?: Split;
  /** The edition (default 2023). */
  year?: Year;
  /** onnxruntime options (device, threads). */
  engine?: OnnxSessionOptions;
  /** Called before each slice runs. */
  onSlice?: (s: { file: string; slice: number; done: number; total: number }) => void;
}

/** One file of an input or output of a run, as `runs.json` lists it. */
export interface ParityTensor {
  /** The graph's input or output name. */
  name: string;
  /** Dims, outermost first (row-major, the manifest's layout). */
  dims: number[];
  /** File, relative to the output folder. */
  file: string;
  /** The variable in a `.mat` file (absent for `.npy`). */
  variable?: string;
}

/** One graph run as `runs.json` lists it. */
export interface ParityRun {
  /** 0-based run number. */
  run: number;
  /** The k-space file. */
  file: string;
  /** The case, as its submission path. */
  case: string;
  /** The 0-based slice. */
  slice: number;
  /** The frames of each call of the run. */
  frames: number[][];
  /** The slice's normalisation divisor. */
  scale: number;
  /** Inputs in the manifest's order. */
  inputs: ParityTensor[];
  /** Outputs: the manifest's output first, then any others the graph returns. */
  outputs: ParityTensor[];
}

/** What {@link parityCheck} wrote. */
export interface ParityResult {
  /** The output folder. */
  out: string;
  /** The model's manifest entry. */
  model: ModelEntry;
  /** Every run. */
  runs: ParityRun[];
  /** Files written, relative to `out`. */
  files: string[];
  /** The command to run next (a template: the module, factory and weights are the team's). */
  command: string;
}

const SPLIT_OF: Record<string, Split> = {
  TrainingSet: "training",
  ValidationSet: "validation",
  TestSet: "test",
};

/** A file-name part of a tensor name (letters, digits, `_`, `-`). */
function fileSafe(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, "_") || "_";
}

/** A MATLAB variable name for a tensor (`in_` / `out_` + a valid identifier, <= 63). */
function matName(prefix: string, name: string, taken: Set<string>): string {
  const base = `${prefix}_${name.replace(/[^A-Za-z0-9_]/g, "_")}`.slice(0, 58);
  let v = base;
  for (let k = 2; taken.has(v); k++) v = `${base}_${k}`;
  taken.add(v);
  return v;
}

/** A copy of a run's tensor (the engine may reuse its buffers). */
function copy(t: LaidOut): LaidOut {
  return { data: Float32Array.from(t.data), dims: [...t.dims] };
}

/**
 * Runs the model on a few real slices and writes what it fed and got, with `runs.json`,
 * `manifest.json` and `check_parity.py` (see the module docs).
 *
 * @throws {UsageError} unknown model, or an `--out` that holds files cmrxkit did not write
 * @throws {CmrxError} no case of the dataset is served by the model (the reasons named), the
 *   data cannot be read, or the model fails (the file named)
 */
export async function parityCheck(opts: ParityOptions): Promise<ParityResult> {
  const format = opts.format ?? "npy";
  const nCases = opts.cases ?? 1;
  const nSlices = opts.slices ?? 2;
  if (!(nCases >= 1) || !(nSlices >= 1)) {
    throw new UsageError("--cases and --slices must be at least 1");
  }
  const entry = await findModel(opts.model, opts.models);
  if (!entry) {
    throw new UsageError(`unknown model '${opts.model}'`, {
      hint: `choose one of: ${
        opts.models.map((m) => m.manifest.name).join(", ") || "(no models in the folder)"
      }, or a path to a manifest .json`,
    });
  }
  const m = entry.manifest;
  // Refuse a foreign --out before any work.
  const owner = { marker: PARITY_MARKER, what: "parity check", flag: "--out" };
  const state = await checkOwnedFolder(opts.out, owner);
  const old = state === "owned" ? (await readWrittenList(`${opts.out}/${PARITY_MARKER}`)) : [];

  const edition = editionFor(opts.year ?? DEFAULT_YEAR, "submit");
  const found = await discover(opts.data, { split: opts.split });
  const served = found.cases.filter((c) => serves(m, modelKey(c)));
  if (served.length === 0) {
    const why = [...new Set(found.cases.map((c) => unservedReason(m, modelKey(c))!))];
    throw new CmrxError(
      `model ${m.name} serves none of the ${found.cases.length} case(s) in ${opts.data}: ${
        why.slice(0, 4).join("; ")
      }`,
      {
        file: entry.manifestPath,
        hint: "point --data at a dataset with cases the manifest's 'serves' lists" +
          (opts.split ? ` (or another --split than ${opts.split})` : "") +
          ", or widen 'serves' if the model can run them",
      },
    );
  }
  const cases = served.slice(0, nCases);

  const runs: ParityRun[] = [];
  const staged: LaidOutRun[] = [];
  let current: { c: Case; slice: number } | null = null;
  const model = new OnnxReconstructor(entry, {
    ...opts.engine,
    onRun: (r: ModelRun) => {
      staged.push({
        at: current!,
        frames: r.frames.map((f) => [...f]),
        scale: r.scale,
        feeds: Object.fromEntries(Object.entries(r.feeds).map(([k, v]) => [k, copy(v)])),
        outputs: Object.fromEntries(Object.entries(r.outputs).map(([k, v]) => [k, copy(v)])),
      });
    },
  });
  const tmp = tempPathFor(opts.out.replace(/\/+$/, ""));
  const files: string[] = [];
  try {
    // what to run: the central planned slices of each case
    const todo: { c: Case; slices: number[] }[] = [];
    for (const c of cases) {
      const split = opts.split ?? SPLIT_OF[c.split];
      const plan = (await openCaseNamed(c, split, edition)).plan;
      const pick = Math.min(nSlices, plan.slices.length);
      const start = Math.floor((plan.slices.length - pick) / 2);
      todo.push({ c, slices: plan.slices.slice(start, start + pick) });
    }
    const total = todo.reduce((a, t) => a + t.slices.length, 0);
    let done = 0;
    for (const { c, slices } of todo) {
      const split = opts.split ?? SPLIT_OF[c.split];
      using opened = await openCaseNamed(c, split, edition);
      const mask = await readMask(c);
      for (const z of slices) {
        opts.onSlice?.({ file: c.file, slice: z, done: done++, total });
        current = { c, slice: z };
        await reconstructFile(opened.mat, model, {
          variable: opened.plan.variable,
          mask,
          task: c.task,
          singleCoil: c.coil === "SingleCoil",
          slices: [z],
        });
      }
    }
    // write everything into the temporary folder
    await Deno.mkdir(tmp, { recursive: true });
    for (const [k, s] of staged.entries()) {
      const tag = `run${String(k).padStart(3, "0")}`;
      const outNames = [m.output.name, ...Object.keys(s.outputs).filter((n) => n !== m.output.name)]
        .filter((n) => s.outputs[n]);
      const run: ParityRun = {
        run: k,
        file: s.at.c.file,
        case: s.at.c.submissionPath,
        slice: s.at.slice,
        frames: s.frames,
        scale: s.scale,
        inputs: [],
        outputs: [],
      };
      const taken = new Set<string>();
      const vars: {
        name: string;
        array: { dims: number[]; data: Float32Array; matClass: "single"; complex: false };
      }[] = [];
      const add = (list: ParityTensor[], kind: "in" | "out", name: string, t: LaidOut) => {
        if (format === "npy") {
          let file = `${tag}.${kind}.${fileSafe(name)}.npy`;
          for (let j = 2; files.includes(file); j++) {
            file = `${tag}.${kind}.${fileSafe(name)}_${j}.npy`;
          }
          files.push(file);
          list.push({ name, dims: t.dims, file });
        } else {
          const variable = matName(kind, name, taken);
          // MATLAB dims are the row-major dims reversed: the bytes stay as they are, and
          // h5py / numpy see the row-major dims again
          const md = [...t.dims].reverse();
          while (md.length < 2) md.push(1);
          vars.push({
            name: variable,
            array: { dims: md, data: t.data, matClass: "single", complex: false },
          });
          list.push({ name, dims: t.dims, file: `${tag}.mat`, variable });
        }
      };
      for (const spec of m.inputs) add(run.inputs, "in", spec.name, s.feeds[spec.name]);
      for (const n of outNames) add(run.outputs, "out", n, s.outputs[n]);
      if (format === "npy") {
        for (const [i, spec] of m.inputs.entries()) {
          const t = s.feeds[spec.name];
          await writeNpy(`${tmp}/${run.inputs[i].file}`, t.data, t.dims);
        }
        for (const [i, n] of outNames.entries()) {
          await writeNpy(`${tmp}/${run.outputs[i].file}`, s.outputs[n].data, s.outputs[n].dims);
        }
      } else {
        await writeMatV73(`${tmp}/${tag}.mat`, vars);
        files.push(`${tag}.mat`);
      }
      runs.push(run);
    }
    const runsJson = {
      format: 1,
      tool: "cmrxkit models check",
      model: m.name,
      manifest: "manifest.json",
      onnx: entry.onnxPath,
      data: opts.data,
      fileFormat: format,
      inputs: m.inputs.map((i) => ({ name: i.name, role: i.role, layout: i.layout })),
      output: { name: m.output.name, layout: m.output.layout },
      note: "inputs are what cmrxkit fed the graph (k-space divided by 'scale'); outputs are " +
        "what the graph returned, before cmrxkit multiplies them back by 'scale'",
      runs,
    };
    await Deno.writeTextFile(`${tmp}/runs.json`, JSON.stringify(runsJson, null, 2) + "\n");
    await Deno.copyFile(entry.manifestPath, `${tmp}/manifest.json`);
    await Deno.writeTextFile(`${tmp}/check_parity.py`, CHECK_PARITY_PY);
    files.push("runs.json", "manifest.json", "check_parity.py");
    await moveInto(tmp, opts.out, files, old ?? null);
  } catch (e) {
    if (e instanceof CmrxError) throw e;
    throw new CmrxError(`models check stopped: ${errorMessage(e)}`, {
      file: entry.manifestPath,
      hint: `nothing was written to ${opts.out}; fix the cause above and run it again`,
      cause: e,
    });
  } finally {
    await model.release();
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
  const command = `python3 ${opts.out}/check_parity.py --module MY_MODEL.py --factory ` +
    `BUILD_MODEL --weights WEIGHTS.pt`;
  return { out: opts.out, model: entry, runs, files, command };
}

interface LaidOutRun {
  at: { c: Case; slice: number };
  frames: number[][];
  scale: number;
  feeds: Record<string, LaidOut>;
  outputs: Record<string, LaidOut>;
}

/** {@link openCase}, its errors naming the file. */
async function openCaseNamed(c: Case, split: Split, edition: ReturnType<typeof editionFor>) {
  return await openCase(c, split, edition);
}

/** The case's mask file, read as `submit` reads it (none: the mask comes from k-space). */
async function readMask(c: Case): Promise<MaskInput | undefined> {
  if (!c.maskFile || !c.maskVariable) return undefined;
  try {
    using mm = await openMat(c.maskFile);
    const a = mm.read(c.maskVariable);
    return {
      data: a.data,
      dims: a.dims,
      complex: a.complex,
      file: c.maskFile,
      variable: c.maskVariable,
    };
  } catch (e) {
    if (e instanceof CmrxError) throw e;
    throw new CmrxError(`cannot read the mask: ${errorMessage(e)}`, {
      file: c.maskFile,
      hint: "check that the mask file is a complete MATLAB file",
    });
  }
}

/**
 * Moves the staged files into `out` (created when missing): the marker first (listing the
 * old and new files, so a stop half-way leaves a folder whose files are all known), then
 * each file, then the old files not written again are removed and the marker rewritten.
 */
async function moveInto(
  tmp: string,
  out: string,
  rels: string[],
  old: string[] | null,
): Promise<void> {
  await checkNoForeignFiles(out, rels, old, "--out");
  await Deno.mkdir(out, { recursive: true });
  const marker = `${out}/${PARITY_MARKER}`;
  await writeMarker(marker, ABOUT, [...(old ?? []), ...rels]);
  for (const rel of rels) {
    try {
      await Deno.rename(`${tmp}/${rel}`, `${out}/${rel}`);
    } catch (e) {
      throw new CmrxError(`cannot put ${rel} in place (${errorMessage(e)})`, {
        file: `${out}/${rel}`,
        hint: "move what is there out of the folder, or choose another --out",
      });
    }
  }
  const fresh = new Set(rels);
  await removeWritten(out, (old ?? []).filter((r) => !fresh.has(r)));
  await writeMarker(marker, ABOUT, rels);
}

/** `check_parity.py`, written beside the runs (see its docstring for the flags). */
export const CHECK_PARITY_PY: string = String.raw`#!/usr/bin/env python3
"""Parity check written by cmrxkit's 'deno task models check'.

Feeds the inputs cmrxkit fed its ONNX graph (files beside this script, listed in
runs.json) to your own model, and compares what it returns with what the ONNX graph
returned on the same inputs.

  python3 check_parity.py --module my_model.py --factory build_model --weights w.pt
  python3 check_parity.py --module my_model.py --function forward --numpy

--module    a .py file, or an importable module name (e.g. mypkg.models.unet)
--factory   a callable of the module that returns the model (called with --kwargs)
--function  or: a callable of the module that is the model itself
--weights   a state dict (torch.save) loaded into the model (a {'state_dict': ...} too)
--keyword   pass the inputs by name (model(kspace=..., mask=...)), not by position
--numpy     pass numpy arrays instead of torch tensors (no torch needed)
--tolerance largest allowed difference relative to max |ONNX output| (default 1e-5)

Inputs are passed in the manifest's input order, as float32 tensors in the manifest's
layouts (the dims in runs.json). The model may return a tensor, a tuple or list (the
first element is compared with the manifest's output), or a dict (by output name); a
complex tensor is compared as (re, im) in a last axis of 2.

Prints, per run, the largest absolute difference and that difference relative to the
largest absolute value of the ONNX output (slices counted from 1 there; runs.json
counts from 0). Exit status: 0 when every run is within the
tolerance, 1 when one is not (or shapes differ), 2 for a usage error.
"""
import argparse
import importlib
import importlib.util
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def load_array(entry):
    path = os.path.join(HERE, entry["file"])
    if "variable" in entry:
        import h5py
        with h5py.File(path, "r") as f:
            a = np.asarray(f[entry["variable"]][()], dtype="<f4")
    else:
        a = np.load(path)
    # the bytes are row-major in the manifest's layout: the dims of runs.json
    return np.ascontiguousarray(a).reshape(entry["dims"])


def die(message):
    print("error: " + message, file=sys.stderr)
    sys.exit(2)


def import_module(name):
    if name.endswith(".py") or os.path.sep in name:
        path = os.path.abspath(name)
        if not os.path.isfile(path):
            die("no module file " + path)
        sys.path.insert(0, os.path.dirname(path))
        spec = importlib.util.spec_from_file_location(
            os.path.splitext(os.path.basename(path))[0], path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod
    return importlib.import_module(name)


def to_numpy(x):
    if isinstance(x, np.ndarray):
        a = x
    else:
        import torch
        t = x.detach().cpu()
        if t.is_complex():
            t = torch.view_as_real(t)
        a = t.numpy()
    if np.iscomplexobj(a):
        a = np.stack([a.real, a.imag], axis=-1)
    return np.asarray(a, dtype=np.float64)


def pick(result, name, index):
    if isinstance(result, dict):
        if name not in result:
            die("the model returned a dict without the output '%s' (keys: %s)"
                % (name, ", ".join(map(str, result))))
        return result[name]
    if isinstance(result, (tuple, list)):
        if index >= len(result):
            return None
        return result[index]
    return result if index == 0 else None


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--module", required=True)
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--factory")
    g.add_argument("--function")
    p.add_argument("--kwargs", default="{}", help="JSON keyword arguments of --factory")
    p.add_argument("--weights")
    p.add_argument("--keyword", action="store_true")
    p.add_argument("--numpy", action="store_true")
    p.add_argument("--tolerance", type=float, default=1e-5)
    p.add_argument("--all-outputs", action="store_true",
                   help="also compare the graph's other outputs (by position or name)")
    args = p.parse_args()

    with open(os.path.join(HERE, "runs.json")) as f:
        runs = json.load(f)
    mod = import_module(args.module)
    name = args.factory or args.function
    if not hasattr(mod, name):
        p.error("module %s has no callable '%s'" % (args.module, name))
    fn = getattr(mod, name)
    model = fn(**json.loads(args.kwargs)) if args.factory else fn
    torch = None
    if not args.numpy:
        import torch
    if args.weights:
        sd = torch.load(args.weights, map_location="cpu")
        if isinstance(sd, dict) and "state_dict" in sd:
            sd = sd["state_dict"]
        model.load_state_dict(sd)
    if hasattr(model, "eval"):
        model.eval()

    worst = 0.0
    failed = False
    print("model %s: %d run(s), tolerance %g relative to max |ONNX output|"
          % (runs["model"], len(runs["runs"]), args.tolerance))
    for run in runs["runs"]:
        feeds = [(e["name"], load_array(e)) for e in run["inputs"]]
        if not args.numpy:
            feeds = [(n, torch.from_numpy(a)) for n, a in feeds]
        if torch is not None:
            with torch.no_grad():
                result = model(**dict(feeds)) if args.keyword else model(*[a for _, a in feeds])
        else:
            result = model(**dict(feeds)) if args.keyword else model(*[a for _, a in feeds])
        outs = run["outputs"] if args.all_outputs else run["outputs"][:1]
        for i, e in enumerate(outs):
            ref = load_array(e).astype(np.float64)
            got = pick(result, e["name"], i)
            where = "run %d (%s slice %d, frames %s) output %s" % (
                run["run"], run["case"], run["slice"] + 1,
                run["frames"][0] if len(run["frames"]) == 1 else "%d calls" % len(run["frames"]),
                e["name"])
            if got is None:
                print("%s: the model returned nothing for it  FAIL" % where)
                failed = True
                continue
            got = to_numpy(got)
            if got.shape != ref.shape:
                print("%s: shape %s, ONNX gave %s  FAIL" % (where, list(got.shape), list(ref.shape)))
                failed = True
                continue
            diff = np.abs(got - ref)
            big = float(np.max(np.abs(ref))) if ref.size else 0.0
            dmax = float(np.max(diff)) if diff.size else 0.0
            if not np.all(np.isfinite(got)):
                dmax = float("inf")
            rel = dmax / big if big > 0 else (0.0 if dmax == 0 else float("inf"))
            ok = rel <= args.tolerance
            failed = failed or not ok
            worst = max(worst, rel)
            print("%s: max |diff| %.3e, relative %.3e (max |ONNX| %.3e)  %s"
                  % (where, dmax, rel, big, "ok" if ok else "FAIL"))
    print("largest relative difference %.3e: %s" % (worst, "FAIL" if failed else "ok"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
`;
