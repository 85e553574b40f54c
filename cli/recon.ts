/**
 * `deno task recon --input FILE.mat --method NAME --out FILE.mat`: reconstruct one k-space
 * file with a classical method or an ONNX model, outside the submission pipeline.
 *
 * @module
 */

import type { Case } from "../src/challenge/case.ts";
import { parseDevice } from "../src/engine/providers.ts";
import { CmrxError, errorMessage, UsageError } from "../src/errors.ts";
import { assertRegularFile } from "../src/fsutil.ts";
import { openMat } from "../src/mat/read.ts";
import { writeMatV5 } from "../src/mat/v5/write.ts";
import { writeMatV73 } from "../src/mat/v73/write.ts";
import { OnnxReconstructor } from "../src/models/onnx_model.ts";
import { listModels, serves, SHIPPED_MODELS } from "../src/models/registry.ts";
import { createSelector } from "../src/pipeline/select.ts";
import { Progress } from "../src/progress.ts";
import { methodNames } from "../src/recon/registry.ts";
import { defaultWorkers, SlicePool } from "../src/recon/pool.ts";
import { checkOutputFile } from "../src/output.ts";
import { type MaskInput, planReconstruction, reconstructFile } from "../src/recon/run.ts";
import type { Command } from "./command.ts";
import { choice, intFlag, parseFlags } from "./flags.ts";
import { formatDuration } from "./print.ts";

/** `deno task recon`: reconstructs one k-space file. */
export const recon: Command = {
  name: "recon",
  summary: "reconstruct one k-space file with a classical method or a shipped ONNX model",
  help: `Usage: deno task recon --input FILE.mat --out FILE.mat [--method NAME | --model NAME|PATH]
                        [--mask FILE.mat] [--format v5|v73] [--var NAME] [--mask-var NAME]
                        [--kind cine|mapping] [--coil multi|single] [--workers N]
                        [--models DIR] [--device auto|cpu|webgpu|cuda[:N]]

Reconstructs every slice and frame of a k-space file (complex, MATLAB dims kx, ky, coil,
slice, frame) and writes the coil-combined magnitude, full size, class single, MATLAB dims
(x, y, slice, frame), as variable 'img'.

  --method NAME   a classical method: ${methodNames().join(", ")} (default zerofill),
                  or an ONNX model (deno task models lists them; shipped: crnn-mri,
                  crunet-mr, relax-vn-t1, relax-vn-t2)
  --model NAME    the same as --method; also takes a model manifest path (.json)
  --models DIR    where ONNX models and manifests are (default: the shipped models/)
  --device D      for ONNX models: auto (default: CUDA when present, else a hardware
                  WebGPU adapter, else CPU), cpu, webgpu, cuda[:N]
  --mask FILE     the mask file (e.g. cine_sax_mask.mat); default: the sampled lines are
                  read off the k-space itself (non-zero lines)
  --out FILE      the .mat file to write; its folder is created when missing; it may not
                  be the input file
  --format        v5 (default; what scipy.io.loadmat reads) or v73 (HDF5)
  --var NAME      the k-space variable (default: kspace_* / kus*, or the only complex one)
  --kind          cine (default; frames of a cycle) or mapping (weightings); default from
                  the file name (T1map / T2map are mapping)
  --workers N     slices reconstructed in parallel by classical methods (default: the
                  number of cores)

Examples:
  deno task recon --input data/MultiCoil/Cine/ValidationSet/AccFactor08/P001/cine_sax.mat \\
    --mask data/MultiCoil/Cine/ValidationSet/AccFactor08/P001/cine_sax_mask.mat \\
    --method zerofill --out sax_zf.mat
  deno task recon --input data/MultiCoil/Cine/ValidationSet/AccFactor08/P001/cine_sax.mat \\
    --mask data/MultiCoil/Cine/ValidationSet/AccFactor08/P001/cine_sax_mask.mat \\
    --method crnn-mri --out sax_crnn.mat`,
  async run(args) {
    const { values } = parseFlags("recon", args, {
      input: { type: "string" },
      mask: { type: "string" },
      method: { type: "string" },
      model: { type: "string" },
      models: { type: "string" },
      device: { type: "string", default: "auto" },
      out: { type: "string" },
      format: { type: "string", default: "v5" },
      var: { type: "string" },
      "mask-var": { type: "string" },
      kind: { type: "string" },
      coil: { type: "string" },
      workers: { type: "string" },
    });
    if (!values.input || !values.out) {
      throw new UsageError("recon: --input FILE.mat and --out FILE.mat are required", {
        hint: "deno task recon --help",
      });
    }
    if (values.method && values.model && values.method !== values.model) {
      throw new UsageError("recon: give --method or --model, not both", {
        hint: "--method and --model both name what reconstructs (a method or a model)",
      });
    }
    const format = choice("recon", "format", values.format!, ["v5", "v73"]);
    const kindFlag = values.kind === undefined
      ? undefined
      : choice("recon", "kind", values.kind, ["cine", "mapping"]);
    const coil = values.coil === undefined
      ? undefined
      : choice("recon", "coil", values.coil, ["multi", "single"]);
    const workers = values.workers
      ? intFlag("recon", "workers", values.workers, 1)
      : defaultWorkers();
    const device = parseDevice(values.device!);
    const input = values.input, out = values.out;
    await assertRegularFile(input, "k-space file");
    if (values.mask) await assertRegularFile(values.mask, "mask file");
    const kind = kindFlag ?? (/T[12]map/i.test(input) ? "mapping" : "cine");
    const singleCoil = coil ? coil === "single" : undefined;
    const target = caseOf(input, kind, singleCoil);

    // The method or model: an unknown name is refused here, before any work.
    const selector = createSelector({
      override: values.model ?? values.method ?? "zerofill",
      models: await listModels(values.models ?? SHIPPED_MODELS),
      engine: { device },
      onNotice: (notice) => console.error(notice),
    });
    try {
      const method = await selector.select(target);
      if (method instanceof OnnxReconstructor && !serves(method.manifest, target)) {
        const s = method.manifest.serves;
        console.error(
          `note: ${method.name} was trained for ${s.tasks.join("/")} ${
            s.views.join("/")
          }; ${input} looks like ${target.task} ${target.view}: the result may be poor`,
        );
      }
      using mat = await openMat(input);
      const mask = values.mask ? await readMask(values.mask, values["mask-var"]) : undefined;
      const { info } = planReconstruction(mat, method, {
        variable: values.var,
        mask,
        singleCoil,
      });
      const { createdFolder } = await checkOutputFile(out, {
        inputs: values.mask ? [input, values.mask] : [input],
      });
      if (createdFolder) console.log(`created folder ${createdFolder}`);

      const t0 = performance.now();
      let progress: Progress | null = null;
      using pool = new SlicePool(workers);
      const { image, dims } = await reconstructFile(mat, method, {
        pool,
        variable: info.name,
        mask,
        task: kind,
        singleCoil,
        onSlice: (done, total) => {
          progress ??= new Progress(`recon ${method.name}`, total, "slices");
          progress.update(done);
        },
      });
      await writeImage(out, format, image, dims);
      console.log(
        `${out}: img [${dims.join(" x ")}] (x, y, slice, frame), ${method.name}, ${
          formatDuration(performance.now() - t0)
        }`,
      );
    } finally {
      await selector.release();
    }
    return 0;
  },
};

/** Reads the mask variable of a mask file (named, the only one, or `mask*`). */
async function readMask(file: string, name?: string): Promise<MaskInput> {
  using mm = await openMat(file);
  const vars = mm.variables();
  const variable = name ??
    (vars.length === 1 ? vars[0].name : vars.find((v) => /^mask/.test(v.name))?.name);
  if (!variable) {
    throw new CmrxError(
      `cannot tell which variable is the mask (found: ${
        vars.map((v) => v.name).join(", ") || "none"
      })`,
      { file, hint: "name it with --mask-var" },
    );
  }
  const m = mm.read(variable);
  return { data: m.data, dims: m.dims, complex: m.complex, file, variable };
}

/** Writes the image atomically; a failed write names the file and the fix. */
async function writeImage(
  out: string,
  format: string | undefined,
  image: Float32Array,
  dims: number[],
): Promise<void> {
  const array = { dims, matClass: "single" as const, complex: false, data: image };
  try {
    if (format === "v73") await writeMatV73(out, [{ name: "img", array }]);
    else await writeMatV5(out, [{ name: "img", array }]);
  } catch (e) {
    if (e instanceof CmrxError) throw e;
    throw new CmrxError(`cannot write the result (${errorMessage(e)})`, {
      file: out,
      hint: "check the free space and the permissions of its folder",
    });
  }
}

/**
 * The case a file is, as far as its path tells (the official layout's folders and file
 * names): what the model selector and the `serves` check need.
 */
export function caseOf(file: string, kind: "cine" | "mapping", singleCoil?: boolean): Case {
  const parts = file.split("/");
  const name = (parts.at(-1) ?? file).replace(/\.mat$/i, "");
  const view = /^cine_(\w+)$/.exec(name)?.[1] ?? /^(T[12])map$/i.exec(name)?.[1] ?? name;
  const accFolder = parts.find((p) => /^AccFactor\d+$/.test(p)) ?? "";
  const split = parts.find((p) => /^(Training|Validation|Test)Set$/.test(p)) ?? "ValidationSet";
  const single = singleCoil ?? parts.includes("SingleCoil");
  return {
    year: 2023,
    root: parts.slice(0, -1).join("/") || ".",
    coil: single ? "SingleCoil" : "MultiCoil",
    modality: kind === "mapping" ? "Mapping" : "Cine",
    task: kind,
    split: split as Case["split"],
    accFolder,
    acc: accFolder ? Number(accFolder.slice("AccFactor".length)) : null,
    pattern: "Uniform",
    patient: parts.at(-2) ?? "",
    name,
    view,
    file,
    variable: "",
    submissionPath: "",
  };
}
