/**
 * `deno task container build|run|save|evaluate|merge`: the evaluation image, built, run and
 * evaluated the way the organisers do; `container entrypoint` is what runs inside it. This
 * file is the help text and the dispatcher; each subcommand has its own file here.
 *
 * @module
 */

import { DEFAULT_BASE_IMAGE } from "../../src/container/context.ts";
import { UsageError } from "../../src/errors.ts";
import type { Command } from "../command.ts";
import { containerBuild } from "./build.ts";
import { containerEntrypoint } from "./entrypoint.ts";
import { containerEvaluate } from "./evaluate.ts";
import { containerMerge } from "./merge.ts";
import { containerRun } from "./run.ts";
import { containerSave } from "./save.ts";
import { selfTest } from "./self_test.ts";

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

  evaluate  --image IMG --input DIR --truth DIR [--gpu N] [--time-limit T]
            [--vram-limit S] [--shm-size 32g] [--interval 5s] [--name NAME]
            [--work DIR] [--split test|validation] [--year|--edition 2023] [--memory 64g]
            [--user U:G] [--quiet] [--no-record] [--db FILE] [--engine E]
      the organisers' harness: runs the image once, samples GPU memory/utilisation
      (nvidia-smi), CPU and RAM every --interval, stops it at --time-limit, validates and
      scores /output against --truth and records the score on the leaderboard.
      --time-limit and --vram-limit default to the edition's limits per task (--year,
      default 2023: 4 h, 24 GiB; 2024: 12 h, 32 GiB, its FAQ says 4 h; 2025: 40 h,
      48 GiB); a verdict line names the edition, its source and any flag that
      replaced its figures. The limit is not scaled to the test set: it holds for the
      input given.
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
        return await containerBuild(rest);
      case "run":
        return await containerRun(rest);
      case "save":
        return await containerSave(rest);
      case "evaluate":
        return await containerEvaluate(rest);
      case "merge":
        return await containerMerge(rest);
      case "entrypoint":
        return rest[0] === "--self-test" ? await selfTest() : await containerEntrypoint(rest);
      default:
        throw new UsageError(
          sub ? `container: unknown subcommand '${sub}'` : "container: give a subcommand",
          { hint: "one of build, run, save, evaluate, merge (deno task container --help)" },
        );
    }
  },
};
