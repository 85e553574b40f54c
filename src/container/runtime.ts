/**
 * The container runtime on the host (docker or podman; users and messages call it the
 * container engine, as `--engine` does): which one, whether it can be used, and running its
 * commands. Every failure a user can cause (no runtime, a daemon that is not running, a
 * missing image) is a {@link ContainerError} that says what to do. (Not to be confused with
 * src/engine/, onnxruntime.)
 *
 * @module
 */

import { CmrxError, errorMessage } from "../errors.ts";
import { tempPathFor } from "../tempname.ts";

/** A container runtime cmrxkit knows how to drive. */
export type RuntimeKind = "docker" | "podman";

/** A usable container runtime. */
export interface ContainerRuntime {
  /** Which runtime it is. */
  kind: RuntimeKind;
  /** The command to run (a name on PATH or a path). */
  command: string;
  /** Server (daemon) version for docker, the podman version for podman. */
  version: string;
}

/** An error about the container runtime or an image (missing, not running, failed). */
export class ContainerError extends CmrxError {}

/** Output of one runtime command. */
export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

const dec = new TextDecoder();

/** Runs a command to completion, capturing its output (never throws for a non-zero exit). */
export async function exec(
  command: string,
  args: string[],
  opts: { env?: Record<string, string>; stdin?: "null" | "inherit" } = {},
): Promise<ExecResult> {
  const out = await new Deno.Command(command, {
    args,
    env: opts.env,
    stdin: opts.stdin ?? "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Whether a command exists on PATH (or as a path). */
export async function onPath(command: string): Promise<boolean> {
  try {
    // Spawning is the test: a missing command throws NotFound.
    await new Deno.Command(command, {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
      stdin: "null",
    }).output();
    return true;
  } catch {
    return false;
  }
}

/** How to install or start a runtime, for the messages below. */
export const RUNTIME_HINT: string =
  "install one: Debian/Ubuntu 'apt-get install docker.io' (then start it: 'systemctl start " +
  "docker', or as root 'dockerd &'), Docker Engine from docs.docker.com, or 'apt-get install " +
  "podman'; choose one with --engine docker|podman or CMRXKIT_ENGINE";

/**
 * Finds a usable runtime: `preferred` (or `$CMRXKIT_ENGINE`), else docker, else podman.
 * For docker the daemon must answer (`docker version`); `DOCKER_HOST` is honoured.
 * @throws {ContainerError} none installed, or the daemon is not reachable (with the fix)
 */
export async function detectRuntime(preferred?: string): Promise<ContainerRuntime> {
  const wanted = preferred ?? Deno.env.get("CMRXKIT_ENGINE") ?? undefined;
  const candidates = wanted ? [wanted] : ["docker", "podman"];
  const problems: string[] = [];
  for (const command of candidates) {
    const kind = runtimeKind(command);
    if (!kind) {
      throw new ContainerError(`unknown container engine '${command}'`, {
        hint: "use --engine docker or --engine podman (or a path ending in docker or podman)",
      });
    }
    if (!(await onPath(command))) {
      problems.push(`${command}: not installed`);
      continue;
    }
    const r = await exec(command, [
      "version",
      "--format",
      kind === "docker" ? "{{.Server.Version}}" : "{{.Client.Version}}",
    ]);
    if (r.code === 0 && r.stdout.trim()) {
      return { kind, command, version: r.stdout.trim() };
    }
    const why = firstLine(r.stderr) || `exit code ${r.code}`;
    problems.push(`${command}: ${why}`);
    if (kind === "docker" && /daemon|connect|socket|permission denied/i.test(r.stderr)) {
      if (wanted || !(await onPath("podman"))) {
        throw new ContainerError(`the docker daemon is not reachable (${why})`, {
          hint: /permission denied/i.test(r.stderr)
            ? "add yourself to the 'docker' group (then log in again), or run as root"
            : "start it ('systemctl start docker', or as root 'dockerd &'), or point DOCKER_HOST " +
              "at a running daemon",
        });
      }
    }
  }
  throw new ContainerError(`no usable container engine (${problems.join("; ")})`, {
    hint: RUNTIME_HINT,
  });
}

/** The runtime kind of a command name or path (`/usr/bin/podman` -> podman). */
export function runtimeKind(command: string): RuntimeKind | undefined {
  const base = command.split("/").pop() ?? "";
  if (/^docker(\.exe)?$/.test(base)) return "docker";
  if (/^podman(\.exe)?$/.test(base)) return "podman";
  return undefined;
}

/** Facts about a local image. */
export interface ImageInfo {
  /** The image id (`sha256:...`). */
  id: string;
  /** Uncompressed size in bytes, as the runtime reports it. */
  size: number;
  /** The image's default user (`Config.User`), "" for root. */
  user: string;
  /** When the image was created, as the runtime reports it ("" when it does not). */
  created: string;
}

/**
 * Looks an image up locally.
 * @throws {ContainerError} when the runtime does not have it
 */
export async function inspectImage(
  runtime: ContainerRuntime,
  image: string,
): Promise<ImageInfo> {
  const r = await exec(runtime.command, [
    "image",
    "inspect",
    "--format",
    "{{.Id}}|{{.Size}}|{{.Config.User}}|{{.Created}}",
    image,
  ]);
  if (r.code !== 0) {
    throw new ContainerError(`no image '${image}' in ${runtime.kind} (${firstLine(r.stderr)})`, {
      hint: `build it ('deno task container build --tag ${image}'), load a saved one ` +
        `('${runtime.kind} load -i team.tar.gz'), or check the name with '${runtime.kind} images'`,
    });
  }
  const [id, size, user, created] = r.stdout.trim().split("|");
  return { id, size: Number(size), user: user ?? "", created: created ?? "" };
}

/** The first non-empty line of a text (for one-line error messages). */
export function firstLine(s: string): string {
  return s.split("\n").map((l) => l.trim()).find((l) => l.length > 0) ?? "";
}

/**
 * Writes `docker save IMAGE` (or podman's), gzip-compressed, to `out` (temporary file + rename): the
 * `teamname.tar.gz` the challenge asks for; `docker load -i` reads it back.
 * @returns bytes written
 * @throws {ContainerError} the runtime failed (no such image, disk full); nothing is left
 */
export async function saveImage(
  runtime: ContainerRuntime,
  image: string,
  out: string,
  onBytes?: (tarBytes: number) => void,
): Promise<number> {
  const tmp = tempPathFor(out);
  let file: Deno.FsFile;
  try {
    file = await Deno.open(tmp, { write: true, createNew: true });
  } catch (e) {
    throw new CmrxError(`cannot write the image file (${errorMessage(e)})`, {
      file: out,
      hint: "check that its folder exists and is writable, or choose another --out",
    });
  }
  let tarBytes = 0;
  const count = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, ctl) {
      tarBytes += chunk.length;
      onBytes?.(tarBytes);
      ctl.enqueue(chunk);
    },
  });
  try {
    const child = new Deno.Command(runtime.command, {
      args: ["save", image],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stderr = new Response(child.stderr).text();
    const gzip = new CompressionStream("gzip") as unknown as TransformStream<
      Uint8Array,
      Uint8Array
    >;
    await child.stdout.pipeThrough(count).pipeThrough(gzip).pipeTo(file.writable);
    const status = await child.status;
    if (!status.success) {
      throw new ContainerError(`${runtime.kind} save ${image} failed: ${firstLine(await stderr)}`, {
        hint: `check the image name with '${runtime.kind} images'`,
      });
    }
    await Deno.rename(tmp, out);
    return (await Deno.stat(out)).size;
  } catch (e) {
    try {
      file.close();
    } catch { /* closed by the stream */ }
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}
