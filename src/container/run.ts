/**
 * Running the evaluation image the way the organisers do: no network, the input mounted
 * read-only at `/input`, a writable `/output`, a large shared-memory segment, one GPU, a
 * non-root user. {@link runArgs} builds the runtime's argument list (pure, unit-tested);
 * {@link prepareOutput} makes the output folder usable by the container's user.
 *
 * Harness facts (docs/challenge-rules.md, limits): 2023 `network_mode: none`, GPU 0,
 * `shm_size: 32G`, `/input` read-only; 2024 `shm_size='32g'`, one GPU by id.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { parseDuration } from "../pipeline/budget.ts";
import type { RuntimeKind } from "./runtime.ts";

/** The organisers' shared-memory size (2023 and 2024 harnesses). */
export const DEFAULT_SHM_SIZE = "32g";

/** The image's default user (the Dockerfile's APP_UID:APP_GID). */
export const IMAGE_USER = "1000:1000";

/** What to run. */
export interface RunSpec {
  /** The runtime whose arguments are built (docker and podman differ for GPUs). */
  runtime: RuntimeKind;
  /** The image to run (tag or id). */
  image: string;
  /** Absolute host path mounted read-only at /input. */
  input: string;
  /** Absolute host path mounted read-write at /output. */
  output: string;
  /** GPU index to pass through (docker `--gpus device=N`, podman CDI), or none. */
  gpu?: number;
  /** `--shm-size` (default {@link DEFAULT_SHM_SIZE}). */
  shmSize?: string;
  /** `uid:gid` to run as. */
  user?: string;
  /** Container name (so that it can be watched and stopped). */
  name?: string;
  /** Memory limit (`--memory`), e.g. `64g`. */
  memory?: string;
  /** Read-only root file system with a tmpfs /tmp: proves nothing is written elsewhere. */
  readOnlyRoot?: boolean;
  /** Keep the container after it exits (default: removed, `--rm`). */
  keep?: boolean;
  /** Arguments after the image (the entrypoint's flags). */
  args?: string[];
}

function checkMountPath(flag: string, p: string): void {
  if (!p.startsWith("/")) {
    throw new UsageError(`${flag} must be an absolute path, got '${p}'`);
  }
  if (p.includes(":") || p.includes(",")) {
    throw new UsageError(
      `${flag} path '${p}' contains ':' or ',', which a volume spec cannot hold`,
      {
        hint: "use a path without ':' and ',' (a symbolic link to it works)",
      },
    );
  }
}

/**
 * The runtime arguments of one run (`docker run ...`), in the organisers' configuration:
 * `--network none`, `-v INPUT:/input:ro`, `-v OUTPUT:/output`, `--shm-size 32g`,
 * `--gpus device=N` (podman: `--device nvidia.com/gpu=N`, CDI), `--user uid:gid`.
 * @throws {UsageError} relative paths or paths a volume spec cannot hold
 */
export function runArgs(spec: RunSpec): string[] {
  checkMountPath("--input", spec.input);
  checkMountPath("--output", spec.output);
  const args = ["run"];
  if (!spec.keep) args.push("--rm");
  if (spec.name) args.push("--name", spec.name);
  args.push("--network", "none");
  args.push("-v", `${spec.input}:/input:ro`);
  args.push("-v", `${spec.output}:/output`);
  args.push("--shm-size", spec.shmSize ?? DEFAULT_SHM_SIZE);
  if (spec.user) {
    if (!/^\d+(:\d+)?$/.test(spec.user)) {
      throw new UsageError(`--user must be uid or uid:gid (numbers), got '${spec.user}'`);
    }
    args.push("--user", spec.user);
  }
  if (spec.gpu !== undefined) {
    if (!Number.isInteger(spec.gpu) || spec.gpu < 0) {
      throw new UsageError(`--gpu must be a GPU index (0, 1, ...), got '${spec.gpu}'`);
    }
    if (spec.runtime === "docker") args.push("--gpus", `device=${spec.gpu}`);
    else args.push("--device", `nvidia.com/gpu=${spec.gpu}`);
  }
  if (spec.memory) args.push("--memory", spec.memory);
  if (spec.readOnlyRoot) args.push("--read-only", "--tmpfs", "/tmp:rw,exec,size=1g");
  args.push(spec.image, ...(spec.args ?? []));
  return args;
}

/**
 * The user a run uses: the caller's `uid:gid` (the output stays theirs), or, for root, the
 * image's non-root user ({@link IMAGE_USER}): the challenge runs images as whoever it likes,
 * and an image must not need root.
 */
export function defaultUser(uid: number | null, gid: number | null): string {
  if (uid === null || uid === 0) return IMAGE_USER;
  return `${uid}:${gid ?? uid}`;
}

/**
 * Parses a time limit (`4h`, `90m`, `1h30m`, `3600`): seconds, positive.
 * @throws {UsageError} not a duration, or zero
 */
export function parseTimeLimit(s: string): number {
  const t = parseDuration(s);
  if (!(t > 0)) {
    throw new UsageError(`the time limit must be positive, got '${s}'`, {
      hint: "e.g. --time-limit 4h (2023 rules), 12h (2024) or 40h (2025)",
    });
  }
  return t;
}

/**
 * Creates the output folder and, when the caller is root and the container runs as another
 * user, hands the (top) folder to that user so that it can write there.
 * @returns the absolute path
 */
export async function prepareOutput(dir: string, user: string): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const abs = await Deno.realPath(dir);
  const [uid, gid] = user.split(":").map(Number);
  if (Deno.uid() === 0 && uid !== 0) {
    await Deno.chown(abs, uid, Number.isFinite(gid) ? gid : uid);
  }
  return abs;
}

/** A container name unique enough for one host: `cmrxkit-<what>-<time>-<random>`. */
export function containerName(what: string): string {
  const t = new Date().toISOString().replace(/[-:T]/g, "").slice(0, 14);
  return `cmrxkit-${what}-${t}-${crypto.randomUUID().slice(0, 6)}`;
}
