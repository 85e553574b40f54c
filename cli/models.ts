/**
 * `deno task models`: what can reconstruct, and which cases each model serves.
 *
 * @module
 */

import { listModels, SHIPPED_MODELS } from "../src/models/registry.ts";
import { defaultMethodFor, getMethod, methodNames } from "../src/recon/registry.ts";
import type { Command } from "./command.ts";
import { parseFlags } from "./flags.ts";
import { formatBytes } from "./print.ts";

/** `deno task models`: the ONNX models and classical methods, and what each serves. */
export const models: Command = {
  name: "models",
  summary: "list the ONNX models and classical methods, and the cases each serves",
  help: `Usage: deno task models [--models DIR]

Lists the ONNX models (a manifest JSON beside each .onnx file; shipped ones in models/, or
those in --models DIR) with the tasks, views and accelerations each serves, its feeder and
parameters, then the classical methods. 'deno task submit' picks, per case, the first model
(by name) that serves it, else the default classical method; --model NAME|PATH overrides.`,
  async run(args) {
    const { values } = parseFlags("models", args, { models: { type: "string" } });
    const dir = values.models ?? SHIPPED_MODELS;
    const list = await listModels(dir);
    console.log(`ONNX models in ${dir}: ${list.length}`);
    for (const { manifest: m, onnxPath } of list) {
      const size = (await Deno.stat(onnxPath)).size;
      const s = m.serves;
      console.log(
        `  ${m.name}  (${formatBytes(size)}${
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
