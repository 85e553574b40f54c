/**
 * `deno task synth --out DIR`: a synthetic CMRxRecon dataset in the official layout.
 *
 * @module
 */

import type { Split } from "../src/challenge/edition.ts";
import { UsageError } from "../src/errors.ts";
import { Progress } from "../src/progress.ts";
import { GEOMETRY, synthesize, type SynthSize } from "../src/synth/dataset.ts";
import { EXTRA_MODALITIES, synthesizeEdition } from "../src/synth/editions.ts";
import type { Command } from "./command.ts";
import { choice, intFlag, parseFlags } from "./flags.ts";
import { formatBytes, formatDuration } from "./print.ts";

/** `deno task synth`: a synthetic dataset in the official layout. */
export const synth: Command = {
  name: "synth",
  summary: "write a synthetic CMRxRecon dataset (beating heart, 10 coils, masks, T1/T2)",
  help: `Usage: deno task synth --out DIR [--edition 2023|2024|2025] [--size small|full]
                        [--seed N] [--patients N] [--task cine|mapping|both]
                        [--coil multi|single|both] [--test] [--acc 4,8,10] [--noise 0.01]
                        [--modalities LIST|all]

Writes a synthetic dataset in exactly the CMRxRecon 2023 layout (multi-coil by default):
  DIR/MultiCoil/{Cine,Mapping}/TrainingSet/{FullSample,AccFactor04,AccFactor08,AccFactor10}/Pxxx/
  DIR/MultiCoil/{Cine,Mapping}/ValidationSet/{AccFactor04,AccFactor08,AccFactor10}/Pxxx/
  DIR/GroundTruth/MultiCoil/{Cine,Mapping}/ValidationSet/FullSample/Pxxx/   (kspace_full)
  DIR/Labels/MultiCoil/{Cine,Mapping}/{TrainingSet,ValidationSet}/Pxxx/*_label.mat
with cine_lax/cine_sax (12 frames) and T1map (MOLLI, 9 TIs) / T2map (T2-prep, 3 TEs) k-space
(MAT v7.3, single complex, dims kx, ky, coil, slice, frame), masks (mask04/08/10: every R-th
line plus 24 central lines) and T1map.csv / T2map.csv.

--coil single (or both) writes the same tree under SingleCoil/ (GroundTruth/SingleCoil/,
Labels/SingleCoil/ too) with kspace_single_full / kspace_single_subNN, dims kx, ky, slice,
frame (no coil dim), the same masks and csv files. Single-coil k-space is emulated: the coil
images combined with the coil maps, sum_c conj(S_c) x_c / sqrt(sum_c |S_c|^2), i.e. the
phantom image times the root-sum-of-squares of the maps (its magnitude is the noiseless
multi-coil RSS image, its phase the phantom's), to k-space with the centred FFT, plus complex
noise of the same sd as one coil (own seed stream: the multi-coil files are the same bytes
with or without --coil both).

--acc 24 (any factor 2..99) uses the same mask rule, every 24th line plus the 24 central
lines, in AccFactor24 with kspace_sub24 and mask24 (papers 000/002's R = 24).

--edition 2024 writes the CMRxRecon2024 tree (multi-coil only; masks of src/kspace/masks_kt.ts,
stored as uint8):
  DIR/MultiCoil/{Cine,Mapping}/TrainingSet/{FullSample,Mask_Task1,Mask_Task2}/Pxxx/
  DIR/MultiCoil/{Cine,Mapping}/ValidationSet/{UnderSample_Task1,UnderSample_Task2,
                                               Mask_Task1,Mask_Task2}/Pxxx/
  DIR/GroundTruth/MultiCoil/{Cine,Mapping}/ValidationSet/FullSample/Pxxx/   (kspace_full)
fully sampled {stem}.mat (kspace_full), {stem}_kus_{Pattern}{R}.mat (kus, dims kx, ky, coil,
slice, frame) and {stem}_mask_{Pattern}{R}.mat (mask): Task1 Uniform R 4/8/10, 2-D (kx, ky);
Task2 ktUniform/ktGaussian/ktRadial, 3-D (kx, ky, t), R 4..24 (training masks: every R;
validation: one R per pattern and file, drawn from the seed); 16 ACS lines (16x16 radial).

--edition 2025 writes the CMRxRecon2025 tree: the shared training set
  DIR/MultiCoil/{Cine,Mapping}/TrainingSet/{FullSample,Mask_TaskAll}/CenterNNN/Vendor/Pxxx/
and per task TaskR1, TaskR2, TaskS1, TaskS2
  DIR/TaskR1/MultiCoil/{Cine,Mapping}/ValidationSet/{UnderSample_TaskR1,Mask_TaskR1}/
      CenterNNN/Vendor/Pxxx/
  DIR/GroundTruth/TaskR1/MultiCoil/{Cine,Mapping}/ValidationSet/FullSample/CenterNNN/Vendor/Pxxx/
fully sampled variable kspace, {stem}_info.csv beside every k-space file (cmrxkit's minimal
columns: name, center, vendor, nx, ny, ncoil, nslice, nframe), Uniform/ktGaussian/ktRadial
masks (kx, ky, t) at R 8/16/24 with 20 ACS lines (20x20 radial). With --edition 2024|2025,
--acc LIST writes every pattern at every listed R instead.

--modalities LIST (2024, 2025) also writes the edition's other modalities, beside the Cine
and Mapping folders of --task, in the same tree, masks and variables (all: every one):
  2024  Aorta (aorta_sag, aorta_tra), Tagging (tagging), LVOT (cine_lvot, in Cine/),
        Flow2d (flow2d), BlackBlood (blackblood, 4-D: kx, ky, coil, slice)
  2025  BlackBlood (blackblood), T1w (T1w), T2w (T2w) (all three 4-D), Flow2d (flow2d),
        LGE (lge), Perfusion (perfusion), T1rho (T1rho), T2smap and T1mappost (in Mapping/)
Their images are the cine phantom's (T2smap, T1mappost: T2map's, T1map's): the pipeline
does not depend on what the images show. Frames: 6 (aorta, tagging, LVOT, flow2d), 3 (LGE),
8 (perfusion), 5 (T1rho), 3 (T2smap), 9 (T1mappost), none (4-D files).

  --out DIR        output folder (must be empty or absent)
  --edition Y      2023 (default), 2024 or 2025: the tree to write
  --size S         small (default; ${desc("small")})
                   full  (real sizes; ${desc("full")}; ~1.2 GB per cine_sax file)
  --seed N         random seed (default 1); the same seed gives the same bytes of data
  --patients N     patients per split (default 2)
  --task T         cine, mapping or both (default both)
  --coil C         multi, single or both (default multi): the MultiCoil and/or SingleCoil tree
  --test           also write a TestSet (+ its GroundTruth)
  --no-validation  skip the ValidationSet
  --acc LIST       acceleration factors (default 4,8,10)
  --noise SD       complex noise sd relative to tissue intensity (default 0.01)
  --modalities L   2024/2025: other modalities to write too, comma-separated, or all

Example:
  deno task synth --out data --size small --patients 3`,
  async run(args) {
    const { values } = parseFlags("synth", args, {
      out: { type: "string" },
      size: { type: "string", default: "small" },
      seed: { type: "string" },
      patients: { type: "string" },
      task: { type: "string", default: "both" },
      coil: { type: "string", default: "multi" },
      test: { type: "boolean", default: false },
      "no-validation": { type: "boolean", default: false },
      acc: { type: "string" },
      noise: { type: "string" },
      edition: { type: "string", default: "2023" },
      modalities: { type: "string" },
    });
    if (!values.out) {
      throw new UsageError("synth: --out DIR is required", { hint: "deno task synth --out data" });
    }
    const size = choice("synth", "size", values.size!, ["small", "full"]);
    const task = choice("synth", "task", values.task!, ["cine", "mapping", "both"]);
    const accs = values.acc ? values.acc.split(",").map(Number) : [4, 8, 10];
    if (accs.some((a) => !Number.isInteger(a) || a < 2 || a > 99)) {
      throw new UsageError(`synth: --acc takes factors between 2 and 99, got '${values.acc}'`, {
        hint: "write the factors separated by commas, e.g. --acc 4,8,10",
      });
    }
    const noise = values.noise === undefined ? 0.01 : Number(values.noise);
    if (!(noise >= 0)) {
      throw new UsageError(`synth: --noise must be a number >= 0, got '${values.noise}'`, {
        hint: "e.g. --noise 0.01 (the default)",
      });
    }
    const patients = intFlag("synth", "patients", values.patients, 2);
    const tasks: ("cine" | "mapping")[] = task === "both" ? ["cine", "mapping"] : [task];
    const coil = choice("synth", "coil", values.coil!, ["multi", "single", "both"]);
    const tracks: ("MultiCoil" | "SingleCoil")[] = coil === "both"
      ? ["MultiCoil", "SingleCoil"]
      : [coil === "multi" ? "MultiCoil" : "SingleCoil"];
    const splits: Split[] = ["training"];
    if (!values["no-validation"]) splits.push("validation");
    if (values.test) splits.push("test");
    const edition = Number(choice("synth", "edition", values.edition!, ["2023", "2024", "2025"]));
    if (values.modalities !== undefined && edition === 2023) {
      throw new UsageError("synth: --modalities is for --edition 2024 or 2025", {
        hint: "the 2023 data have Cine and Mapping only: use --task",
      });
    }
    if (edition === 2024 || edition === 2025) {
      if (coil !== "multi") {
        throw new UsageError(`synth: the ${edition} data are multi-coil only (--coil ${coil})`, {
          hint: "leave out --coil, or use --edition 2023 for single-coil data",
        });
      }
      const extra = Object.keys(EXTRA_MODALITIES[edition]);
      const modalities = values.modalities === "all" ? extra : (values.modalities ?? "")
        .split(",").map((m) => m.trim()).filter(Boolean)
        .map((m) => choice("synth", "modalities", m, extra));
      const t0 = performance.now();
      console.log(`writing the CMRxRecon ${edition} tree to ${values.out}`);
      const report = await synthesizeEdition({
        edition,
        out: values.out,
        size,
        seed: intFlag("synth", "seed", values.seed, 1),
        patients,
        tasks,
        splits,
        accs: values.acc ? accs : undefined,
        noise,
        modalities,
      });
      console.log(
        `wrote ${report.files} files (${formatBytes(report.bytes)}) to ${report.root} in ${
          formatDuration(performance.now() - t0)
        }`,
      );
      console.log(`next: deno task cases --input ${report.root} --split validation`);
      return 0;
    }
    // Files per patient and task: kspace (1 + accs) + masks accs + labels 1 (+ csv for mapping).
    const perKind = (mapping: boolean) => (1 + accs.length) * (mapping ? 2 : 1) + accs.length + 1;
    const total = tracks.length * splits.length * patients *
      tasks.reduce((s, t) => s + 2 * perKind(t === "mapping"), 0);
    const geom = GEOMETRY[size];
    // Complex single values per file: 10 coils multi-coil, 1 single-coil.
    const coilsWritten = (tracks.includes("MultiCoil") ? 10 : 0) +
      (tracks.includes("SingleCoil") ? 1 : 0);
    const kspaceBytes = (k: keyof typeof geom) =>
      8 * coilsWritten * geom[k].nx * geom[k].ny * geom[k].nslices * geom[k].nframes;
    const perPatient =
      (tasks.includes("cine") ? kspaceBytes("cine_sax") + kspaceBytes("cine_lax") : 0) +
      (tasks.includes("mapping") ? kspaceBytes("T1map") + kspaceBytes("T2map") : 0);
    console.log(
      `writing about ${formatBytes(perPatient * (1 + accs.length) * patients * splits.length)} ` +
        `(${patients} patient(s) x ${splits.length} split(s)) to ${values.out}`,
    );
    const progress = new Progress("synth", total, "files");
    const t0 = performance.now();
    const report = await synthesize({
      out: values.out,
      size,
      seed: intFlag("synth", "seed", values.seed, 1),
      patients,
      tasks,
      tracks,
      splits,
      accs,
      noise,
      onFile: (path) => progress.tick(1, path.split("/").slice(-3).join("/")),
    });
    console.log(
      `wrote ${report.files} files (${formatBytes(report.bytes)}) to ${report.root} in ${
        formatDuration(performance.now() - t0)
      }`,
    );
    console.log(`next: deno task cases --input ${report.root} --split validation`);
    return 0;
  },
};

function desc(size: SynthSize): string {
  const g = GEOMETRY[size];
  return `sax ${g.cine_sax.nx}x${g.cine_sax.ny}x${g.cine_sax.nslices} slices, lax ${g.cine_lax.nx}x${g.cine_lax.ny}x3 views, T1/T2 ${g.T1map.nx}x${g.T1map.ny}x${g.T1map.nslices}`;
}
