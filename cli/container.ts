/**
 * `deno task container build|run|save|evaluate|merge`: the evaluation image, built, run and
 * evaluated the way the organisers do; `container entrypoint` is what runs inside it.
 *
 * @module
 */

import { defaultLeaderboardPath, Leaderboard } from "../src/challenge/leaderboard.ts";
import { formatReport, summaryLine, validateSubmission } from "../src/challenge/validate.ts";
import {
  buildArgs,
  DEFAULT_BASE_IMAGE,
  DEFAULT_TAG,
  hostCaFile,
  type OrtInstall,
  planContext,
  REPO_ROOT,
  writeContext,
} from "../src/container/context.ts";
import { detectEngine, inspectImage, saveImage } from "../src/container/engine.ts";
import {
  buildInfoLine,
  checkUserArgs,
  CONTAINER_INPUT,
  CONTAINER_OUTPUT,
  describeProblems,
  entrypointExitCode,
  flagValue,
  preflight,
  submitArgsFor,
} from "../src/container/entrypoint.ts";
import { evaluateImage, evaluationOk } from "../src/container/evaluate.ts";
import { mergeShards } from "../src/container/merge.ts";
import {
  containerName,
  DEFAULT_SHM_SIZE,
  defaultUser,
  parseTimeLimit,
  prepareOutput,
  runArgs,
} from "../src/container/run.ts";
import { GraphBuilder } from "../src/engine/onnx.ts";
import { cudaAvailable, Engine as OnnxEngine, parseBytes } from "../src/engine/session.ts";
import { CmrxError, UsageError } from "../src/errors.ts";
import { listModels, SHIPPED_MODELS } from "../src/models/registry.ts";
import { checkOutputDir } from "../src/output.ts";
import { parseDuration } from "../src/pipeline/submit.ts";
import { Progress } from "../src/progress.ts";
import { synthesize } from "../src/synth/dataset.ts";
import { listForMessage } from "../src/written_files.ts";
import { type Command, formatBytes, formatDuration, parseFlags } from "./command.ts";
import { printReport, yearFlag } from "./score.ts";
import { submitCommand } from "./submit.ts";

const HELP = `Usage: deno task container <build|run|save|evaluate|merge> [flags]

Build, run and evaluate the Docker evaluation image the way the organisers do: one run,
offline (--network none), /input read-only, /output writable, --shm-size 32g, one GPU, a
non-root user. Needs docker (or podman: --engine podman). See docs/container.md.

  build     [--tag cmrxkit:latest] [--base IMAGE] [--models NAMES|none] [--ort cuda12|skip]
            [--cpu] [--network MODE] [--registry URL] [--ca-file PEM|none]
            [--context DIR] [--context-only] [--deno PATH] [--engine E]
      --base      base image (default ${DEFAULT_BASE_IMAGE})
      --models    comma-separated model names from models/ (default: every model there)
      --ort       cuda12 (default): install onnxruntime's CUDA 12 provider at build time
                  (needs NuGet); skip, or --cpu: CPU provider only
      --network   network of the build's RUN steps (host where dockerd has --bridge=none)
      --ca-file   CA certificates 'deno install' trusts in the build (default: $DENO_CERT,
                  $NODE_EXTRA_CA_CERTS or $SSL_CERT_FILE; for TLS-intercepting proxies);
                  only the dependency stage sees it, the image does not keep it
      --context   assemble the build context in DIR (kept); --context-only: do not build

  run       --input DIR --output DIR [--image TAG] [--gpu [N]] [--shard i/n] [--user U:G]
            [--shm-size 32g] [--memory 64g] [--strict] [--engine E] [-- ENTRYPOINT ARGS]
      runs the image like the challenge; --strict adds a read-only root file system;
      the user defaults to yours (root: the image's uid 1000, the output folder is given
      to it). Arguments after -- go to the entrypoint (submit flags, e.g. --model NAME)

  save      [--image TAG] [--out FILE.tar.gz] [--engine E]
      'docker save | gzip': the tarball to hand in (teamname.tar.gz)

  evaluate  --image IMG --input DIR --truth DIR [--gpu N] [--time-limit 4h]
            [--vram-limit 24GiB] [--shm-size 32g] [--interval 5s] [--name NAME]
            [--work DIR] [--split test|validation] [--year 2023] [--memory 64g]
            [--user U:G] [--quiet] [--no-record] [--db FILE] [--engine E]
      the organisers' harness: runs the image once, samples GPU memory/utilisation
      (nvidia-smi), CPU and RAM every --interval, stops it at --time-limit, validates and
      scores /output against --truth and records the score on the leaderboard.
      WORK (default $CMRXKIT_HOME/evaluations/NAME-DATE) gets output/, container.log,
      samples.csv and evaluation.json. Exit 0 only for a valid, in-time run.

  merge     --out DIR [--input ROOT] [--split test|validation] [SHARD_DIR ...]
      merges the outputs of 'submit --shard i/n' runs (each SHARD_DIR holds Submission/
      and its run-log; none when the shards shared DIR), checks every shard finished
      and, with --input, validates the merged submission. Exit 0 when complete and valid.

  entrypoint [SUBMIT FLAGS] | --self-test | cmrxkit COMMAND ...
      what the image runs (docker/entrypoint.sh): checks /input and /output, picks the
      split (TestSet: full size; else ValidationSet: run4Ranking) and runs submit

Examples:
  deno task container build --tag team:v1
  deno task container run --image team:v1 --input data --output out --gpu
  deno task container evaluate --image team:v1 --input data --truth data/GroundTruth --gpu 0
  deno task container save --image team:v1 --out team.tar.gz`;

/** `deno task container`: build, run, save, evaluate, merge, entrypoint. */
export const container: Command = {
  name: "container",
  summary: "build, run, save and evaluate the Docker evaluation image like the organisers",
  help: HELP,
  async run(args) {
    const [sub, ...rest] = args;
    switch (sub) {
      case "build":
        return await build(rest);
      case "run":
        return await run(rest);
      case "save":
        return await save(rest);
      case "evaluate":
        return await evaluate(rest);
      case "merge":
        return await merge(rest);
      case "entrypoint":
        return await entrypoint(rest);
      default:
        throw new UsageError(
          sub ? `container: unknown subcommand '${sub}'` : "container: give a subcommand",
          { hint: "one of build, run, save, evaluate, merge (deno task container --help)" },
        );
    }
  },
};

function ortFlag(value: string | undefined, cpu: boolean): OrtInstall {
  if (cpu) return "skip";
  const v = value ?? "cuda12";
  if (v !== "cuda12" && v !== "skip") {
    throw new UsageError(`container build: --ort must be cuda12 or skip, got '${v}'`);
  }
  return v;
}

async function build(args: string[]): Promise<number> {
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
  const engine = values["context-only"] ? null : await detectEngine(values.engine);
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
  if (!engine) {
    console.log(`context only; build it with:\n  docker ${bargs.join(" ")}`);
    return 0;
  }
  console.log(`$ ${engine.command} ${bargs.join(" ")}`);
  const t0 = performance.now();
  try {
    const status = await new Deno.Command(engine.command, {
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
    const info = await inspectImage(engine, values.tag!);
    console.log(
      `built ${values.tag} (${info.id.slice(0, 19)}) in ${formatDuration(seconds * 1000)}; ` +
        `image size ${formatBytes(info.size)} (${info.size} bytes)`,
    );
    return 0;
  } finally {
    if (!values.context) await Deno.remove(ctx, { recursive: true }).catch(() => {});
  }
}

/** `--gpu` alone means GPU 0: insert the index parseArgs needs. */
export function normalizeGpuFlag(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--") {
      out.push(...args.slice(i));
      break;
    }
    out.push(args[i]);
    if (args[i] === "--gpu" && !/^\d+$/.test(args[i + 1] ?? "")) out.push("0");
  }
  return out;
}

function gpuIndex(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    throw new UsageError(`--gpu takes a GPU index (0, 1, ...), got '${v}'`);
  }
  return n;
}

async function inputDir(flag: string, p: string | undefined, cmd: string): Promise<string> {
  if (!p) throw new UsageError(`container ${cmd}: --${flag} DIR is required`);
  try {
    const abs = await Deno.realPath(p);
    if (!(await Deno.stat(abs)).isDirectory) throw new Error("not a folder");
    return abs;
  } catch {
    throw new UsageError(`container ${cmd}: --${flag} ${p} is not a folder`, {
      hint: "give the dataset root (the folder that holds MultiCoil/)",
    });
  }
}

function uid(): number | null {
  try {
    return Deno.uid();
  } catch {
    return null;
  }
}

function gid(): number | null {
  try {
    return Deno.gid();
  } catch {
    return null;
  }
}

async function run(args: string[]): Promise<number> {
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
  const engine = await detectEngine(values.engine);
  await inspectImage(engine, values.image!);
  const user = values.user ?? defaultUser(uid(), gid());
  const output = await prepareOutput(values.output, user);
  const extra = [...positionals];
  if (values.shard) extra.push("--shard", values.shard);
  const rargs = runArgs({
    engine: engine.kind,
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
  console.log(`$ ${engine.command} ${rargs.join(" ")}`);
  const t0 = performance.now();
  const status = await new Deno.Command(engine.command, {
    args: rargs,
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  const ms = performance.now() - t0;
  console.log(`container exited with code ${status.code} after ${formatDuration(ms)}`);
  return status.code === 0 ? 0 : 1;
}

async function save(args: string[]): Promise<number> {
  const { values } = parseFlags("container", args, {
    image: { type: "string", default: DEFAULT_TAG },
    out: { type: "string" },
    engine: { type: "string" },
  });
  const engine = await detectEngine(values.engine);
  const info = await inspectImage(engine, values.image!);
  const out = values.out ??
    `${values.image!.split("/").pop()!.split(":")[0].replace(/[^\w.-]/g, "_")}.tar.gz`;
  const progress = new Progress("save", info.size, "bytes");
  const t0 = performance.now();
  const size = await saveImage(
    engine,
    values.image!,
    out,
    (n) => progress.update(Math.min(n, info.size)),
  );
  progress.update(info.size);
  console.log(
    `saved ${values.image} to ${out}: ${formatBytes(size)} (image ${formatBytes(info.size)}) in ${
      formatDuration(performance.now() - t0)
    }; load it with '${engine.kind} load -i ${out}'`,
  );
  return 0;
}

/** cmrxkit's data folder: where the leaderboard lives ($CMRXKIT_HOME, else the cache). */
function defaultHome(): string {
  return defaultLeaderboardPath().replace(/\/[^/]*$/, "");
}

async function evaluate(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags("container", normalizeGpuFlag(args), {
    image: { type: "string" },
    input: { type: "string" },
    truth: { type: "string" },
    gpu: { type: "string" },
    "time-limit": { type: "string", default: "4h" },
    "vram-limit": { type: "string", default: "24GiB" },
    "shm-size": { type: "string", default: DEFAULT_SHM_SIZE },
    interval: { type: "string", default: "5s" },
    name: { type: "string" },
    work: { type: "string" },
    split: { type: "string" },
    year: { type: "string" },
    memory: { type: "string" },
    user: { type: "string" },
    quiet: { type: "boolean", default: false },
    "no-record": { type: "boolean", default: false },
    db: { type: "string" },
    engine: { type: "string" },
  }, true);
  if (!values.image) throw new UsageError("container evaluate: --image IMG is required");
  const input = await inputDir("input", values.input, "evaluate");
  const truth = await inputDir("truth", values.truth, "evaluate");
  if (values.split && values.split !== "test" && values.split !== "validation") {
    throw new UsageError("container evaluate: --split must be test or validation");
  }
  const timeLimit = parseTimeLimit(values["time-limit"]!);
  const vramLimit = parseBytes(values["vram-limit"]!);
  const interval = parseDuration(values.interval!);
  if (!(interval > 0)) throw new UsageError("container evaluate: --interval must be positive");
  const engine = await detectEngine(values.engine);
  const name = values.name ?? values.image.split("/").pop()!.replace(/[^\w.:-]/g, "_");
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*$/, "");
  const work = values.work ??
    `${defaultHome()}/evaluations/${name.replace(/[^\w.-]/g, "_")}-${stamp}`;
  const gpu = gpuIndex(values.gpu);
  console.log(
    `evaluating ${values.image} on ${input} (${
      gpu === undefined ? "no GPU" : `GPU ${gpu}`
    }, time limit ${hours(timeLimit)}, VRAM limit ${formatBytes(vramLimit)}); work folder ${work}`,
  );
  let lastSample = 0;
  let scoreProgress: Progress | undefined;
  const r = await evaluateImage({
    engine,
    image: values.image,
    input,
    truth,
    work,
    gpu,
    timeLimit,
    vramLimit,
    shmSize: values["shm-size"],
    user: values.user ?? defaultUser(uid(), gid()),
    interval,
    split: values.split as "test" | "validation" | undefined,
    year: yearFlag("container evaluate", values.year),
    memory: values.memory,
    args: positionals,
    onOutput: values.quiet ? undefined : (l) => console.log(`  | ${l}`),
    onSample: (s) => {
      if (!values.quiet || s.t - lastSample < 60) return;
      lastSample = s.t;
      console.log(
        `  t=${formatDuration(s.t * 1000)} cpu ${s.cpuPercent?.toFixed(0) ?? "?"}% ram ${
          s.memoryUsed === undefined ? "?" : formatBytes(s.memoryUsed)
        }${s.gpuMemoryUsed === undefined ? "" : ` gpu ${formatBytes(s.gpuMemoryUsed)}`}`,
      );
    },
    onScoreFile: (_d, total) => {
      scoreProgress ??= new Progress("score", total, "files");
      scoreProgress.tick();
    },
  });
  printEvaluation(r, gpu);
  if (r.score) {
    printReport(r.score);
    if (!values["no-record"]) {
      using lb = new Leaderboard(values.db);
      lb.record(r.score, { name, model: `${values.image} ${r.imageId.slice(7, 19)}` });
      console.log(`\nrecorded as '${name}' on the leaderboard (${lb.path})`);
    }
  }
  const ok = evaluationOk(r);
  console.log(`\n${ok ? "PASS" : "FAIL"}: ${r.work}/evaluation.json`);
  return ok ? 0 : 1;
}

const pct = (x: number | undefined) => (x === undefined ? "n/a" : `${x.toFixed(0)}%`);

/** Durations of hours as hours (`4 h`, `1.5 h`), shorter ones as formatDuration does. */
function hours(seconds: number): string {
  return seconds >= 3600 ? `${+(seconds / 3600).toFixed(2)} h` : formatDuration(seconds * 1000);
}

function printEvaluation(r: Awaited<ReturnType<typeof evaluateImage>>, gpu?: number): void {
  const u = r.usage;
  console.log(
    `\ncontainer exit code ${r.exitCode}${r.timedOut ? " (STOPPED at the time limit)" : ""}, ` +
      `run time ${formatDuration(r.seconds * 1000)} of ${hours(r.timeLimit)} ` +
      `(${((100 * r.seconds) / r.timeLimit).toFixed(1)}%)`,
  );
  console.log(
    `resources (${u.samples} samples): peak RAM ${
      u.peakMemory === undefined ? "n/a" : formatBytes(u.peakMemory)
    }, CPU mean ${pct(u.meanCpuPercent)} peak ${pct(u.peakCpuPercent)}`,
  );
  if (gpu === undefined) console.log("GPU: none given to the container");
  else if (u.peakGpuMemory === undefined) {
    console.log(`GPU ${gpu}: not sampled (nvidia-smi missing or failing)`);
  } else {
    console.log(
      `GPU ${gpu}: peak memory ${formatBytes(u.peakGpuMemory)} of the ${
        formatBytes(r.vramLimit)
      } limit${r.vramExceeded ? " (EXCEEDED)" : ""}, mean utilisation ${pct(u.meanGpuUtilization)}`,
    );
  }
  if (r.exitCode === 125 || r.exitCode === 126 || r.exitCode === 127) {
    console.log(
      `the engine could not start the container (exit ${r.exitCode}; see ${r.work}/container.log)` +
        (gpu === undefined ? "" : ": GPUs in containers need the NVIDIA container toolkit"),
    );
  }
  for (const e of describeProblems(r.inputProblems)) console.log(`error: ${e}`);
  if (r.inputProblems.length) {
    console.log(
      `the input has ${r.inputProblems.length} entr${
        r.inputProblems.length === 1 ? "y" : "ies"
      } that cannot be read: the run is incomplete and does not pass`,
    );
  }
  if (r.validation) console.log(summaryLine(r.validation));
  if (r.validationError) console.log(`validation could not run: ${r.validationError}`);
  if (r.scoreError) console.log(`scoring failed: ${r.scoreError}`);
}

async function merge(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags("container", args, {
    out: { type: "string" },
    input: { type: "string" },
    split: { type: "string" },
  }, true);
  if (!values.out) {
    throw new UsageError("container merge: --out DIR is required", {
      hint: "deno task container merge --out merged --input data shard1 shard2",
    });
  }
  if (values.split && values.split !== "test" && values.split !== "validation") {
    throw new UsageError("container merge: --split must be test or validation");
  }
  await checkOutputDir(values.out, "--out");
  await Deno.mkdir(values.out, { recursive: true });
  const r = await mergeShards(values.out, positionals);
  console.log(
    `merged into ${r.root}: ${r.copied} file(s) copied, ${r.same} already there with the same ` +
      `content; run logs: ${r.shards.length}`,
  );
  if (r.manifest) {
    console.log(
      `  run manifest: ${r.manifest.copied ? "copied from" : "the same as"} ${r.manifest.from}`,
    );
  }
  for (const s of r.shards) {
    console.log(
      `  ${(s.shard ?? "unsharded").padEnd(9)} ${s.file}: ${s.cases} case(s), ${s.written} ` +
        `written, ${s.skipped} already done, ${s.failed} failed${s.ended ? "" : ", NOT FINISHED"}`,
    );
  }
  for (const p of r.problems) console.log(`problem: ${p}`);
  let valid = true;
  if (values.input) {
    const report = await validateSubmission(values.out, {
      input: values.input,
      split: values.split as "test" | "validation" | undefined,
    });
    console.log(formatReport(report, { limit: 20 }));
    valid = report.ok;
  } else {
    console.log("(no --input: the merged files were not checked against the dataset)");
  }
  return r.problems.length === 0 && valid ? 0 : 1;
}

/** In-image: loads onnxruntime and runs a one-node graph on the CPU provider. */
async function ortSmokeTest(dir: string): Promise<string> {
  const model = new GraphBuilder("smoke")
    .input("x", "float32", [2, 3])
    .output("y", "float32", [2, 3])
    .node("Identity", ["x"], ["y"])
    .toModel({ opset: 17 });
  const path = `${dir}/smoke.onnx`;
  await Deno.writeFile(path, model);
  const eng = await OnnxEngine.load(path, { device: "cpu", warmup: false });
  try {
    const x = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const out = await eng.run({ x: { data: x, dims: [2, 3] } });
    if (out.y.data.join() !== x.join()) throw new CmrxError("onnxruntime returned wrong values");
    return `onnxruntime ${eng.provider} provider runs`;
  } finally {
    await eng.release();
  }
}

/**
 * In-image self-test (the image build runs it): onnxruntime loads and runs, every shipped
 * model loads on the CPU provider, and the whole pipeline (read, models chosen per case,
 * reconstruct, write, validate) runs on a tiny synthetic test split. It also warms Deno's
 * module cache so that the real run is offline.
 */
async function selfTest(): Promise<number> {
  const tmp = await Deno.makeTempDir({ prefix: "cmrxkit-selftest-" });
  try {
    console.log(`self-test: ${await ortSmokeTest(tmp)}`);
    const cuda = cudaAvailable();
    console.log(
      `self-test: CUDA ${
        cuda.available ? "available" : `not used here: ${cuda.reason?.split(" (")[0]}`
      }`,
    );
    for (const m of await listModels(SHIPPED_MODELS)) {
      const eng = await OnnxEngine.load(m.onnxPath, { device: "cpu", warmup: false });
      console.log(`self-test: model ${m.manifest.name} loads (${eng.inputNames.join(", ")})`);
      await eng.release();
    }
    await synthesize({
      out: `${tmp}/data`,
      size: "small",
      seed: 1,
      patients: 1,
      splits: ["test"],
      accs: [4],
    });
    const code = await submitCommand.run([
      "--input",
      `${tmp}/data`,
      "--output",
      `${tmp}/out`,
      "--split",
      "test",
      "--workers",
      "1",
    ]);
    console.log(`self-test: ${code === 0 ? "passed" : "FAILED"}`);
    return code;
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/** The checkout (or the image's app folder) this file belongs to, as a file path. */

/**
 * The Deno arguments of `entrypoint cmrxkit COMMAND ...`: main.ts run offline with the
 * project's configuration named (its import map, lock file and node_modules), so the child
 * works whatever folder it starts in; it starts in the caller's, where relative paths of the
 * command line point. Paths are file paths (a folder with spaces is not URL-encoded).
 */
export function childArgs(command: readonly string[], root = REPO_ROOT): string[] {
  return [
    "run",
    "--cached-only",
    "-A",
    "--config",
    `${root}/deno.json`,
    `${root}/cli/main.ts`,
    ...command,
  ];
}

async function entrypoint(args: string[]): Promise<number> {
  if (args[0] === "cmrxkit") {
    // Another command in a child Deno (importing main.ts here would be a cycle: main.ts is
    // still evaluating its top-level await); offline like the parent.
    const status = await new Deno.Command(Deno.execPath(), {
      args: childArgs(args.slice(1)),
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn().status;
    return status.code;
  }
  if (args[0] === "--self-test") return await selfTest();
  checkUserArgs(args);
  const input = flagValue(args, "input") ?? CONTAINER_INPUT;
  const output = flagValue(args, "output") ?? CONTAINER_OUTPUT;
  const t0 = performance.now();
  const info = buildInfoLine(`${REPO_ROOT}/build-info.json`);
  if (info) console.log(info);
  const pf = await preflight(
    input,
    output,
    flagValue(args, "split") as "test" | "validation" | undefined,
  );
  for (const l of pf.lines) console.log(l);
  for (const w of pf.warnings) console.log(`warning: ${w}`);
  for (const e of pf.errors) console.error(`error: ${e}`);
  const cuda = cudaAvailable();
  console.log(
    `GPU: ${cuda.available ? "CUDA available" : `CPU only (${cuda.reason?.split(" (")[0]})`}`,
  );
  const code = entrypointExitCode(await submitCommand.run(submitArgsFor(args, pf.split)), pf);
  if (pf.problems.length) {
    console.error(
      `error: ${pf.problems.length} input entr${pf.problems.length === 1 ? "y" : "ies"} could ` +
        `not be read (listed above): the output is incomplete`,
    );
  }
  console.log(`cmrxkit container: exit ${code} after ${formatDuration(performance.now() - t0)}`);
  return code;
}
