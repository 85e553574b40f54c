/**
 * `deno task models`: what can reconstruct, and which cases each model serves.
 *
 * @module
 */

import { type Device, parseDevice } from "../src/engine/providers.ts";
import { OnnxReconstructor } from "../src/models/onnx_model.ts";
import { PROBE_TOLERANCE, probeProvider } from "../src/pipeline/provider_probe.ts";
import { UsageError } from "../src/errors.ts";
import { listModels, servedMasks, SHIPPED_MODELS } from "../src/models/registry.ts";
import { parityCheck } from "../src/pipeline/parity.ts";
import { defaultMethodFor, getMethod, methodNames } from "../src/recon/registry.ts";
import type { Command } from "./command.ts";
import { choice, intFlag, parseFlags, yearFlag } from "./flags.ts";
import { formatBytes } from "./print.ts";

/** `deno task models`: the ONNX models and classical methods, and what each serves. */
export const models: Command = {
  name: "models",
  summary: "list the ONNX models and classical methods, and the cases each serves",
  help: `Usage: deno task models [--models DIR]
       deno task models --probe DEVICE [--probe-size XxY[xC]] [--ignore-known-bugs] [--models DIR]
       deno task models check MODEL --data DIR [--out DIR] [--format npy|mat] [--cases N]
                              [--slices N] [--split SPLIT] [--year|--edition YEAR] [--models DIR]

Lists the ONNX models (a manifest JSON beside each .onnx file; shipped ones in models/, or
those in --models DIR) with the tasks, views and accelerations each serves, its feeder and
parameters, then the classical methods. 'deno task submit' picks, per case, the first model
(by name) that serves it, else the default classical method; --model NAME|PATH overrides.

'check' is the parity harness: it runs MODEL (a name, or a manifest .json/.onnx path) on a
few real slices of the dataset DIR (default: the 2 central slices of the first case it
serves), exactly as submit feeds it, and writes to --out (default parity-NAME) the inputs it
fed and the outputs the graph returned per graph run (.npy, or one MAT v7.3 file per run),
runs.json, manifest.json and check_parity.py, which feeds the same inputs to your own
PyTorch module and prints the largest difference.

--probe DEVICE (webgpu, cuda, auto) runs the parity probe submit runs before it trusts a GPU
provider: every model once on a small synthetic slice (--probe-size, default 32x24x4:
readout x phase encode x coils) on DEVICE and on the CPU, and prints the largest difference
relative to the CPU image's maximum against the tolerance (1e-4), with both times. Exit
status 1 when a model fails it. A graph with a Conv that onnxruntime-web's WebGPU provider is
known to compute wrongly runs on the CPU (and is not probed) unless --ignore-known-bugs.`,
  async run(args) {
    if (args[0] === "check") return await check(args.slice(1));
    const { values } = parseFlags("models", args, {
      models: { type: "string" },
      probe: { type: "string" },
      "probe-size": { type: "string" },
      "ignore-known-bugs": { type: "boolean" },
    });
    const dir = values.models ?? SHIPPED_MODELS;
    if (values.probe !== undefined) {
      return await probe(
        dir,
        parseDevice(values.probe),
        values["probe-size"],
        !!values["ignore-known-bugs"],
      );
    }
    const list = await listModels(dir);
    console.log(`ONNX models in ${dir}: ${list.length}`);
    for (const { manifest: m, onnxPath } of list) {
      const what = m.process
        ? `process ${m.process.command.join(" ")}`
        : formatBytes((await Deno.stat(onnxPath)).size);
      const s = m.serves;
      console.log(
        `  ${m.name}  (${what}${
          m.parameters ? `, ${m.parameters.toLocaleString("en")} parameters` : ""
        })`,
      );
      console.log(`    ${m.description}`);
      if (m.architecture) console.log(`    architecture: ${m.architecture}`);
      if (m.trainedOn) console.log(`    trained on: ${m.trainedOn}`);
      console.log(
        `    serves: ${s.tasks.join("/")} ${s.views.join("/")} R ${
          s.accelerations.join("/") || "any"
        } ${(s.coils ?? []).join("/")}, ${servedMasks(m).join("/")} masks; feeder ${m.feeder.kind}${
          m.feeder.frames ? ` (${m.feeder.frames} frames)` : ""
        }; inputs ${m.inputs.map((i) => `${i.role} ${i.layout}`).join(", ")}`,
      );
      if (m.auto === false) {
        console.log("    used only with --model (auto: false; submit does not pick it by itself)");
      }
    }
    console.log(`\nclassical methods (--model NAME):`);
    for (const name of methodNames()) {
      const r = getMethod(name);
      console.log(
        `  ${name.padEnd(9)} ${r.description}${
          r.singleCoil || /multi-coil only/.test(r.description) ? "" : " (multi-coil only)"
        }`,
      );
    }
    console.log(
      `\ndefault when no ONNX model serves a case: ${defaultMethodFor("MultiCoil")} (MultiCoil), ${
        defaultMethodFor("SingleCoil")
      } (SingleCoil), ${defaultMethodFor("MultiCoil", "ktGaussian")} (k-t masks)`,
    );
    return 0;
  },
};

/** `deno task models check MODEL --data DIR`: the parity harness (src/pipeline/parity.ts). */
async function check(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags("models check", args, {
    data: { type: "string" },
    out: { type: "string" },
    format: { type: "string" },
    cases: { type: "string" },
    slices: { type: "string" },
    split: { type: "string" },
    year: { type: "string" },
    models: { type: "string" },
    device: { type: "string" },
  }, true);
  if (positionals.length !== 1 || !values.data) {
    throw new UsageError("models check: give one MODEL and --data DIR", {
      hint: "deno task models check MODEL --data DIR (MODEL: a name from 'deno task models', " +
        "or a manifest .json path)",
    });
  }
  const model = positionals[0];
  const format = choice("models check", "format", values.format ?? "npy", ["npy", "mat"]);
  const split = values.split
    ? choice("models check", "split", values.split, ["training", "validation", "test"])
    : undefined;
  const models = await listModels(values.models ?? SHIPPED_MODELS);
  const name = model.replace(/^.*\//, "").replace(/\.(json|onnx)$/, "");
  const r = await parityCheck({
    model,
    models,
    data: values.data,
    out: values.out ?? `parity-${name}`,
    format,
    cases: intFlag("models check", "cases", values.cases, 1),
    slices: intFlag("models check", "slices", values.slices, 2),
    split,
    year: values.year ? yearFlag("models check", values.year) : undefined,
    engine: values.device ? { device: parseDevice(values.device) } : { device: "cpu" },
    onSlice: ({ file, slice, done, total }) =>
      console.log(`[${done + 1}/${total}] ${file} slice ${slice + 1}`),
  });
  console.log(
    `model ${r.model.manifest.name}: ${r.runs.length} ${
      r.model.manifest.process ? "process call" : "graph run"
    }(s) written to ${r.out} ` +
      `(${r.files.length} files: runs.json, manifest.json, check_parity.py, ${format} data)`,
  );
  console.log(`\ncompare with your own PyTorch module (a factory that returns it, its weights):`);
  console.log(`  ${r.command}`);
  console.log(
    `  (--function NAME for a plain function, --keyword to pass inputs by name, ` +
      `--numpy for numpy arrays; exit 0 when within --tolerance, 1e-5 of max |output|)`,
  );
  return 0;
}

/** `XxY` or `XxYxC` of `--probe-size`. */
function probeSize(text: string | undefined): { nx: number; ny: number; nc?: number } {
  if (text === undefined) return { nx: 32, ny: 24 };
  const m = /^(\d+)x(\d+)(?:x(\d+))?$/.exec(text.trim());
  if (!m || Number(m[1]) < 4 || Number(m[2]) < 8) {
    throw new UsageError(`--probe-size ${text}: expected XxY or XxYxC, e.g. 32x24 or 16x16x2`, {
      hint: "readout x phase encode (at least 4 x 8, the calibration lines) x coils",
    });
  }
  return { nx: Number(m[1]), ny: Number(m[2]), ...(m[3] ? { nc: Number(m[3]) } : {}) };
}

/** `deno task models --probe DEVICE`: the parity probe of every model on DEVICE. */
async function probe(
  dir: string,
  device: Device,
  sizeText: string | undefined,
  ignoreKnownBugs: boolean,
): Promise<number> {
  const small = probeSize(sizeText);
  const list = (await listModels(dir)).filter((e) => !e.manifest.process);
  console.log(
    `parity probe on ${device} against the CPU, ${list.length} model(s) in ${dir}, tolerance ${
      PROBE_TOLERANCE.toExponential(0)
    } of the output's maximum`,
  );
  let failed = 0;
  for (const entry of list) {
    const model = new OnnxReconstructor(entry, {
      device,
      webgpuHazards: ignoreKnownBugs ? "ignore" : "refuse",
    });
    try {
      const engine = await model.engine();
      if (engine.notice) console.log(`  ${entry.manifest.name}: ${engine.notice}`);
      const p = await probeProvider(entry, model, { small });
      if (!p) {
        console.log(`  ${entry.manifest.name}: runs on the CPU here; nothing to compare`);
        continue;
      }
      if (!p.ok) failed++;
      console.log(
        `  ${p.model.padEnd(14)} ${p.provider} vs cpu on ${p.size}: max rel ${
          p.maxRel.toExponential(2)
        } ${p.ok ? "ok" : "FAIL"}; ${p.provider} ${p.deviceSeconds.toFixed(2)} s, cpu ${
          p.cpuSeconds.toFixed(2)
        } s`,
      );
    } finally {
      await model.release();
    }
  }
  return failed ? 1 : 0;
}
