/**
 * `deno task models`: what can reconstruct, and which cases each model serves.
 *
 * @module
 */

import { parseDevice } from "../src/engine/providers.ts";
import { UsageError } from "../src/errors.ts";
import { listModels, SHIPPED_MODELS } from "../src/models/registry.ts";
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
       deno task models check MODEL --data DIR [--out DIR] [--format npy|mat] [--cases N]
                              [--slices N] [--split SPLIT] [--year YEAR] [--models DIR]

Lists the ONNX models (a manifest JSON beside each .onnx file; shipped ones in models/, or
those in --models DIR) with the tasks, views and accelerations each serves, its feeder and
parameters, then the classical methods. 'deno task submit' picks, per case, the first model
(by name) that serves it, else the default classical method; --model NAME|PATH overrides.

'check' is the parity harness: it runs MODEL (a name, or a manifest .json/.onnx path) on a
few real slices of the dataset DIR (default: the 2 central slices of the first case it
serves), exactly as submit feeds it, and writes to --out (default parity-NAME) the inputs it
fed and the outputs the graph returned per graph run (.npy, or one MAT v7.3 file per run),
runs.json, manifest.json and check_parity.py, which feeds the same inputs to your own
PyTorch module and prints the largest difference.`,
  async run(args) {
    if (args[0] === "check") return await check(args.slice(1));
    const { values } = parseFlags("models", args, { models: { type: "string" } });
    const dir = values.models ?? SHIPPED_MODELS;
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
        } ${(s.coils ?? []).join("/")}; feeder ${m.feeder.kind}${
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
      } (SingleCoil)`,
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
