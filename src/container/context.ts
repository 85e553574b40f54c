/**
 * The Docker build context of the evaluation image, assembled in a folder so that it holds
 * only what the image needs (no tests, benchmarks, caches, datasets or node_modules):
 *
 * ```
 * Dockerfile                       docker/Dockerfile
 * bin/deno                         the Deno binary (linux x86_64; default: the running one)
 * deps/deno.json, deps/deno.lock   the npm imports and the lock file (node_modules layer)
 * certs/extra-ca.pem               CA certificates the build host needs (TLS-intercepting
 *                                  proxies); used by the dependency stage only
 * app/deno.json, app/deno.lock     the project configuration
 * app/cli/, app/src/               the code
 * app/models/NAME.json + .onnx     the chosen models
 * app/docker/entrypoint.sh
 * build-info.json                  version, commit, models, base image, provider, date
 * ```
 *
 * @module
 */

import { CmrxError, errorMessage, UsageError } from "../errors.ts";
import { REPO_ROOT } from "../repo_root.ts";
import { listModels, type ModelEntry } from "../models/registry.ts";
import { exec } from "./runtime.ts";
import {
  checkNoForeignFiles,
  checkOwnedFolder,
  readWrittenList,
  removeWritten,
  unrecorded,
  writeMarker,
} from "../written_files.ts";

export { REPO_ROOT };

/** The default base image: CUDA 12 + cuDNN 9 runtime, as onnxruntime-node 1.30's CUDA
 * provider needs (CUDA 12.4 runs on drivers >= 525; the 2025 challenge machine has 550). */
export const DEFAULT_BASE_IMAGE = "nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04";

/** The default image tag. */
export const DEFAULT_TAG = "cmrxkit:latest";

/** How onnxruntime-node's install script runs at build time. */
export type OrtInstall = "cuda12" | "skip";

/** One file of the context. */
export interface ContextEntry {
  /** Source path on the host (absent for generated files). */
  from?: string;
  /** Generated content (for files that do not exist on the host). */
  text?: string;
  /** Path inside the context. */
  to: string;
  /** File mode (0o644 data, 0o755 programs). */
  mode: number;
}

/** What goes into the image, for the record (build-info.json). */
export interface BuildInfo {
  /** The cmrxkit version (deno.json `version`). */
  cmrxkit: string;
  /** The git commit of the repository, null when it is not a git checkout. */
  commit: string | null;
  /** True when the working tree had uncommitted changes. */
  dirty: boolean;
  /** ISO date and time the context was planned. */
  built: string;
  /** The base image. */
  base: string;
  /** How onnxruntime-node's install script runs in the build. */
  ort: OrtInstall;
  /** Version of the Deno that planned the context. */
  deno: string;
  /** Names of the models in the image. */
  models: string[];
}

/** A planned context. */
export interface ContextPlan {
  /** Every file of the context. */
  entries: ContextEntry[];
  /** What goes into `build-info.json`. */
  info: BuildInfo;
  /** Total bytes of the files copied from the host. */
  bytes: number;
}

/** Options of {@link planContext}. */
export interface PlanOptions {
  /** Repository root (default {@link REPO_ROOT}). */
  repo?: string;
  /** Model names to include; `undefined` = every model in `modelsDir`; `[]` = none. */
  models?: string[];
  /** Where the models are (default `<repo>/models`). */
  modelsDir?: string;
  /** The Deno binary to ship (default: the running one). */
  deno?: string;
  /** The base image (default {@link DEFAULT_BASE_IMAGE}). */
  base?: string;
  /** How onnxruntime-node's install script runs in the build (default `cuda12`). */
  ort?: OrtInstall;
  /** PEM file of extra CA certificates for `deno install` in the build (none: undefined). */
  caFile?: string;
}

/**
 * The CA file the build should trust, from the environment the host's own Deno and npm use
 * (`DENO_CERT`, `NODE_EXTRA_CA_CERTS`, `SSL_CERT_FILE`), when one is set and readable.
 */
export function hostCaFile(env: (k: string) => string | undefined): string | undefined {
  for (const k of ["DENO_CERT", "NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE"]) {
    const v = env(k);
    if (!v) continue;
    try {
      if (Deno.statSync(v).isFile) return v;
    } catch { /* unreadable: try the next */ }
  }
  return undefined;
}

/** Code folders the image needs (everything else of the repository stays out). */
export const APP_DIRS = ["cli", "src"];

/**
 * Whether the first bytes of a file are an ELF header of a 64-bit little-endian x86-64
 * executable (what the image's `bin/deno` must be).
 */
export function isLinuxX64Elf(head: Uint8Array): boolean {
  if (head.length < 20) return false;
  const magic = head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46;
  const class64 = head[4] === 2, little = head[5] === 1;
  const machine = head[18] | (head[19] << 8);
  return magic && class64 && little && machine === 0x3e;
}

/** The `deno.json` of the dependency layer: only what `deno install` needs. */
export function depsConfig(denoJson: { imports?: Record<string, string> }): string {
  return JSON.stringify({ nodeModulesDir: "auto", imports: denoJson.imports ?? {} }, null, 2) +
    "\n";
}

/** Picks models by name from those found; errors name the unknown ones and the choices. */
export function pickModels(found: ModelEntry[], names: string[] | undefined): ModelEntry[] {
  if (names === undefined) return found;
  const out: ModelEntry[] = [];
  for (const n of names) {
    const m = found.find((e) => e.manifest.name === n);
    if (!m) {
      throw new UsageError(`no model named '${n}'`, {
        hint: found.length
          ? `choose from: ${found.map((e) => e.manifest.name).join(", ")} (or --models none)`
          : "no models are installed in models/ (build without --models, or add one: " +
            "docs/models.md)",
      });
    }
    if (!out.includes(m)) out.push(m);
  }
  return out;
}

async function walk(dir: string, rel: string, out: { path: string; rel: string }[]) {
  const names: Deno.DirEntry[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e);
  names.sort((a, b) => a.name.localeCompare(b.name));
  for (const e of names) {
    const path = `${dir}/${e.name}`, r = `${rel}/${e.name}`;
    if (e.isDirectory) await walk(path, r, out);
    else if (e.isFile && !/\.tmp-/.test(e.name)) out.push({ path, rel: r });
  }
}

async function fileSize(path: string): Promise<number> {
  return (await Deno.stat(path)).size;
}

async function gitState(repo: string): Promise<{ commit: string | null; dirty: boolean }> {
  try {
    const head = await exec("git", ["-C", repo, "rev-parse", "HEAD"]);
    if (head.code !== 0) return { commit: null, dirty: false };
    const st = await exec("git", ["-C", repo, "status", "--porcelain", "--", ...APP_DIRS]);
    return { commit: head.stdout.trim(), dirty: st.stdout.trim().length > 0 };
  } catch {
    return { commit: null, dirty: false };
  }
}

/**
 * Plans the context: which host files go where, the generated files, and the build info.
 * @throws {UsageError} unknown model names, a Deno binary that is not linux x86_64
 */
export async function planContext(opts: PlanOptions = {}): Promise<ContextPlan> {
  const repo = opts.repo ?? REPO_ROOT;
  const deno = opts.deno ?? Deno.execPath();
  const head = new Uint8Array(20);
  try {
    using f = await Deno.open(deno);
    await f.read(head);
  } catch {
    throw new UsageError(`cannot read the Deno binary ${deno}`, {
      hint: "pass --deno PATH to a Deno 2 binary for linux x86_64",
    });
  }
  if (!isLinuxX64Elf(head)) {
    throw new UsageError(`${deno} is not a linux x86_64 executable`, {
      file: deno,
      hint: "the image is linux/amd64: pass --deno PATH to a linux x86_64 Deno binary " +
        "(npm: @deno/linux-x64-glibc, file 'deno')",
    });
  }
  const entries: ContextEntry[] = [];
  const add = (from: string, to: string, mode = 0o644) => entries.push({ from, to, mode });
  add(`${repo}/docker/Dockerfile`, "Dockerfile");
  add(deno, "bin/deno", 0o755);
  let denoJson: { version?: string; imports?: Record<string, string> };
  try {
    denoJson = JSON.parse(await Deno.readTextFile(`${repo}/deno.json`));
  } catch (e) {
    throw new CmrxError(`cannot read deno.json (${errorMessage(e)})`, {
      file: `${repo}/deno.json`,
      hint: "run from a cmrxkit checkout",
    });
  }
  entries.push({ text: depsConfig(denoJson), to: "deps/deno.json", mode: 0o644 });
  entries.push({
    text: "extra-ca.pem here (when present) is trusted by the dependency stage only\n",
    to: "certs/README",
    mode: 0o644,
  });
  if (opts.caFile) add(opts.caFile, "certs/extra-ca.pem");
  add(`${repo}/deno.lock`, "deps/deno.lock");
  add(`${repo}/deno.json`, "app/deno.json");
  add(`${repo}/deno.lock`, "app/deno.lock");
  for (const d of APP_DIRS) {
    const files: { path: string; rel: string }[] = [];
    await walk(`${repo}/${d}`, d, files);
    for (const f of files) add(f.path, `app/${f.rel}`);
  }
  add(`${repo}/docker/entrypoint.sh`, "app/docker/entrypoint.sh", 0o755);
  const found = await listModels(opts.modelsDir ?? `${repo}/models`);
  const models = pickModels(found, opts.models);
  for (const m of models) {
    if (m.manifest.process) {
      throw new UsageError(
        `model ${m.manifest.name} is an external-process model (${
          m.manifest.process.command.join(" ")
        }); the evaluation image holds ONNX graphs only`,
        {
          file: m.manifestPath,
          hint: "leave it out with --models NAME,..., or build your own image around your " +
            "program with cmrxkit as its entrypoint (clients/python/README.md)",
        },
      );
    }
    const onnx = m.onnxPath.split("/").pop()!;
    const manifest = { ...m.manifest, file: onnx };
    entries.push({
      text: JSON.stringify(manifest, null, 2) + "\n",
      to: `app/models/${m.manifest.name}.json`,
      mode: 0o644,
    });
    add(m.onnxPath, `app/models/${onnx}`);
    try {
      await Deno.stat(`${m.onnxPath}.data`); // ONNX external weights, when the model has them
      add(`${m.onnxPath}.data`, `app/models/${onnx}.data`);
    } catch { /* none */ }
  }
  const git = await gitState(repo);
  const info: BuildInfo = {
    cmrxkit: denoJson.version ?? "0.0.0",
    commit: git.commit,
    dirty: git.dirty,
    built: new Date().toISOString(),
    base: opts.base ?? DEFAULT_BASE_IMAGE,
    ort: opts.ort ?? "cuda12",
    deno: Deno.version.deno,
    models: models.map((m) => m.manifest.name),
  };
  entries.push({
    text: JSON.stringify(info, null, 2) + "\n",
    to: "build-info.json",
    mode: 0o644,
  });
  let bytes = 0;
  for (const e of entries) bytes += e.from ? await fileSize(e.from) : e.text!.length;
  return { entries, info, bytes };
}

/** The file that marks a folder as a build context cmrxkit assembled (and lists its files). */
export const CONTEXT_MARKER = ".cmrxkit-context";

const CONTEXT_ABOUT = "build context assembled by cmrxkit (deno task container build)\n" +
  "a later build into this folder replaces or removes only the files listed below;\n" +
  "anything else here stays (and is part of the build context)";

/** What {@link writeContext} did. */
export interface WriteContextResult {
  /** True when an earlier context in the folder was updated. */
  reused: boolean;
  /** Files of the earlier context that this plan does not have, removed (relative paths). */
  removed: string[];
  /**
   * What is in the folder that cmrxkit did not write (relative paths; folders end in `/`):
   * left as it is, and part of the build context.
   */
  kept: string[];
}

/**
 * Writes a planned context into `dir`: a new or empty folder, or one holding an earlier
 * context (its marker lists the files cmrxkit wrote). Of an earlier context only the files
 * cmrxkit wrote are replaced or removed; anything a user added stays and is reported in
 * {@link WriteContextResult.kept}. A folder holding anything else is refused, and so is a
 * file at a planned path that cmrxkit did not write. Files are copied (not linked: the
 * planned modes are set on the copies, never on the repository's files).
 */
export async function writeContext(
  dir: string,
  plan: ContextPlan,
  onFile?: (to: string) => void,
): Promise<WriteContextResult> {
  const state = await checkOwnedFolder(dir, {
    marker: CONTEXT_MARKER,
    what: "container build context",
    flag: "--context",
  });
  const marker = `${dir}/${CONTEXT_MARKER}`;
  const planned = plan.entries.map((e) => e.to);
  const plannedSet = new Set(planned);
  const written = state === "owned" ? await readWrittenList(marker) : [];
  await checkNoForeignFiles(dir, planned, written, "--context");
  await Deno.mkdir(dir, { recursive: true });
  // Recorded first: a build stopped half-way leaves a marker naming all it may have written.
  await writeMarker(marker, CONTEXT_ABOUT, [...(written ?? []), ...planned]);
  const removed = await removeWritten(dir, (written ?? []).filter((r) => !plannedSet.has(r)));
  for (const e of plan.entries) {
    const to = `${dir}/${e.to}`;
    // A link left at the path (cmrxkit's file, replaced) is removed, never written through.
    await removeWritten(dir, [e.to]);
    await Deno.mkdir(to.slice(0, to.lastIndexOf("/")), { recursive: true });
    if (e.text !== undefined) await Deno.writeTextFile(to, e.text, { createNew: true });
    else await Deno.copyFile(e.from!, to);
    await Deno.chmod(to, e.mode);
    onFile?.(e.to);
  }
  await writeMarker(marker, CONTEXT_ABOUT, planned);
  const kept = await unrecorded(dir, planned, CONTEXT_MARKER);
  return { reused: state === "owned", removed, kept };
}

/** Options of {@link buildArgs}. */
export interface BuildArgsOptions {
  /** The build context folder (it holds the Dockerfile). */
  context: string;
  /** The image tag, e.g. {@link DEFAULT_TAG}. */
  tag: string;
  /** The base image (build argument `BASE_IMAGE`). */
  base: string;
  /** Build argument `ORT_INSTALL`: how onnxruntime-node's install script runs. */
  ort: OrtInstall;
  /** `docker build --network` (host where the daemon has no bridge). */
  network?: string;
  /** npm registry for `deno install` inside the build. */
  registry?: string;
  /** User id the image runs as (build argument `APP_UID`; the Dockerfile's default 1000). */
  uid?: number;
  /** Group id the image runs as (build argument `APP_GID`; the Dockerfile's default 1000). */
  gid?: number;
}

/** The runtime arguments of the image build (`docker build ...` / `podman build ...`). */
export function buildArgs(o: BuildArgsOptions): string[] {
  const args = ["build", "--tag", o.tag, "--build-arg", `BASE_IMAGE=${o.base}`];
  args.push("--build-arg", `ORT_INSTALL=${o.ort}`);
  if (o.registry) args.push("--build-arg", `NPM_CONFIG_REGISTRY=${o.registry}`);
  if (o.uid !== undefined) args.push("--build-arg", `APP_UID=${o.uid}`);
  if (o.gid !== undefined) args.push("--build-arg", `APP_GID=${o.gid}`);
  if (o.network) args.push("--network", o.network);
  args.push("--file", `${o.context}/Dockerfile`, o.context);
  return args;
}
