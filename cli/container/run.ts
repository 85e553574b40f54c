/**
 * `deno task container run`: runs the evaluation image once the way the organisers do
 * (offline, /input read-only, /output writable, shared memory, one GPU, a non-root user).
 *
 * @module
 */

import { DEFAULT_TAG } from "../../src/container/context.ts";
import {
  containerName,
  DEFAULT_SHM_SIZE,
  prepareOutput,
  runArgs,
} from "../../src/container/run.ts";
import { detectRuntime, inspectImage } from "../../src/container/runtime.ts";
import { UsageError } from "../../src/errors.ts";
import { parseFlags } from "../flags.ts";
import { formatDuration } from "../print.ts";
import { gpuIndex, hostUser, inputDir, normalizeGpuFlag } from "./flags.ts";

/** `container run`: runs the image once, configured like the challenge. */
export async function containerRun(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags("container", normalizeGpuFlag(args), {
    image: { type: "string", default: DEFAULT_TAG },
    input: { type: "string" },
    output: { type: "string" },
    gpu: { type: "string" },
    shard: { type: "string" },
    user: { type: "string" },
    "shm-size": { type: "string", default: DEFAULT_SHM_SIZE },
    memory: { type: "string" },
    strict: { type: "boolean", default: false },
    engine: { type: "string" },
  }, true);
  const input = await inputDir("input", values.input, "run");
  if (!values.output) throw new UsageError("container run: --output DIR is required");
  const runtime = await detectRuntime(values.engine);
  await inspectImage(runtime, values.image!);
  const user = values.user ?? hostUser();
  const output = await prepareOutput(values.output, user);
  const extra = [...positionals];
  if (values.shard) extra.push("--shard", values.shard);
  const rargs = runArgs({
    runtime: runtime.kind,
    image: values.image!,
    input,
    output,
    gpu: gpuIndex(values.gpu),
    shmSize: values["shm-size"],
    user,
    name: containerName("run"),
    memory: values.memory,
    readOnlyRoot: values.strict,
    args: extra,
  });
  console.log(`$ ${runtime.command} ${rargs.join(" ")}`);
  const t0 = performance.now();
  const status = await new Deno.Command(runtime.command, {
    args: rargs,
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  const ms = performance.now() - t0;
  console.log(`container exited with code ${status.code} after ${formatDuration(ms)}`);
  return status.code === 0 ? 0 : 1;
}
