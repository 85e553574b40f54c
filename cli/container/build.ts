/**
 * `deno task container build`: assembles the image's build context (the code, the chosen
 * models, a pinned Deno, onnxruntime's provider) and builds it with docker or podman.
 *
 * @module
 */

import {
  buildArgs,
  DEFAULT_BASE_IMAGE,
  DEFAULT_TAG,
  hostCaFile,
  type OrtInstall,
  planContext,
  writeContext,
} from "../../src/container/context.ts";
import { detectRuntime, inspectImage } from "../../src/container/runtime.ts";
import { UsageError } from "../../src/errors.ts";
import { listForMessage } from "../../src/written_files.ts";
import { parseFlags } from "../flags.ts";
import { formatBytes, formatDuration } from "../print.ts";

/** `--ort` (or `--cpu`): how onnxruntime is installed in the image. */
function ortFlag(value: string | undefined, cpu: boolean): OrtInstall {
  if (cpu) return "skip";
  const v = value ?? "cuda12";
  if (v !== "cuda12" && v !== "skip") {
    throw new UsageError(`container build: --ort must be cuda12 or skip, got '${v}'`);
  }
  return v;
}

/** `container build`: assembles the build context and builds the image. */
export async function containerBuild(args: string[]): Promise<number> {
  const { values } = parseFlags("container", args, {
    tag: { type: "string", default: DEFAULT_TAG },
    base: { type: "string", default: DEFAULT_BASE_IMAGE },
    models: { type: "string" },
    "models-dir": { type: "string" },
    ort: { type: "string" },
    cpu: { type: "boolean", default: false },
    network: { type: "string" },
    registry: { type: "string" },
    context: { type: "string" },
    "context-only": { type: "boolean", default: false },
    deno: { type: "string" },
    "ca-file": { type: "string" },
    engine: { type: "string" },
  });
  const ort = ortFlag(values.ort, values.cpu!);
  if (values["context-only"] && !values.context) {
    throw new UsageError("container build: --context-only needs --context DIR");
  }
  const runtime = values["context-only"] ? null : await detectRuntime(values.engine);
  const models = values.models === undefined
    ? undefined
    : values.models === "none" || values.models === ""
    ? []
    : values.models.split(",").map((s) => s.trim()).filter(Boolean);
  const plan = await planContext({
    models,
    modelsDir: values["models-dir"],
    deno: values.deno,
    base: values.base,
    ort,
    caFile: values["ca-file"] === "none"
      ? undefined
      : values["ca-file"] ?? hostCaFile((k) => Deno.env.get(k)),
  });
  const ctx = values.context ?? await Deno.makeTempDir({ prefix: "cmrxkit-context-" });
  const written = await writeContext(ctx, plan);
  console.log(
    `build context ${ctx}: ${plan.entries.length} files, ${formatBytes(plan.bytes)}; models: ${
      plan.info.models.join(", ") || "none (classical methods)"
    }; onnxruntime provider: ${ort === "cuda12" ? "CUDA 12 + CPU" : "CPU only"}`,
  );
  if (written.removed.length) {
    console.log(
      `  removed ${written.removed.length} file(s) of the earlier context not needed now`,
    );
  }
  if (written.kept.length) {
    console.log(
      `  note: left ${written.kept.length} entr${written.kept.length === 1 ? "y" : "ies"} ` +
        `cmrxkit did not write (${listForMessage(written.kept)}); they are part of the build ` +
        "context, remove them if the image should not see them",
    );
  }
  const registry = values.registry ?? Deno.env.get("NPM_CONFIG_REGISTRY") ??
    Deno.env.get("npm_config_registry");
  const bargs = buildArgs({
    context: ctx,
    tag: values.tag!,
    base: values.base!,
    ort,
    network: values.network,
    registry,
  });
  if (!runtime) {
    console.log(`context only; build it with:\n  docker ${bargs.join(" ")}`);
    return 0;
  }
  console.log(`$ ${runtime.command} ${bargs.join(" ")}`);
  const t0 = performance.now();
  try {
    const status = await new Deno.Command(runtime.command, {
      args: bargs,
      stdin: "null",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn().status;
    const seconds = (performance.now() - t0) / 1000;
    if (!status.success) {
      console.error(
        `error: the image build failed (exit ${status.code}) after ${
          formatDuration(seconds * 1000)
        }`,
      );
      if (!values.network) {
        console.error(
          "  hint: RUN steps need the npm registry (and NuGet for --ort cuda12); where the " +
            "daemon has no bridge network, add --network host",
        );
      }
      return 1;
    }
    const info = await inspectImage(runtime, values.tag!);
    console.log(
      `built ${values.tag} (${info.id.slice(0, 19)}) in ${formatDuration(seconds * 1000)}; ` +
        `image size ${formatBytes(info.size)} (${info.size} bytes)`,
    );
    return 0;
  } finally {
    if (!values.context) await Deno.remove(ctx, { recursive: true }).catch(() => {});
  }
}
