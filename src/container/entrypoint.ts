/**
 * What the evaluation image does when it starts: look at `/input`, decide the split (a
 * TestSet is reconstructed at full size with no reduction; a ValidationSet alone gets the
 * run4Ranking reduction, for dry runs), check `/output` is writable, say what it found and
 * how it is running (user, network, read-only input, GPU), and settle the typed options of
 * the library's `submit()` ({@link submitDefaultsFor}); `cli/container/entrypoint.ts` runs it.
 *
 * The pure parts ({@link detectSplit}, {@link submitDefaultsFor}, {@link mountOptions},
 * {@link describeCases}) are unit-tested; the rest runs inside the image.
 *
 * @module
 */

import { discover } from "../challenge/layout.ts";
import type { Case, DiscoveryProblem } from "../challenge/case.ts";
import type { SplitFolder } from "../challenge/paths.ts";
import { formatProblem } from "../challenge/problem_text.ts";
import { CmrxError, errorMessage, LayoutError, UsageError } from "../errors.ts";

/** Where the organisers mount the data and collect the results. */
export const CONTAINER_INPUT = "/input";
/** See {@link CONTAINER_INPUT}. */
export const CONTAINER_OUTPUT = "/output";

/**
 * The split folder an input entry that cannot be read lies in (from its submission path, else
 * from its path below `root`), or undefined when it lies above the split folders.
 */
export function problemSplit(
  p: Pick<DiscoveryProblem, "path" | "submissionPath">,
  root = CONTAINER_INPUT,
): SplitFolder | undefined {
  const base = root.replace(/\/+$/, "");
  const rel = p.submissionPath ??
    (p.path.startsWith(`${base}/`) ? p.path.slice(base.length + 1) : p.path);
  const parts = rel.split("/");
  return (["TestSet", "ValidationSet", "TrainingSet"] as const).find((s) => parts.includes(s));
}

/**
 * The split the image reconstructs: `test` when any TestSet case is present, or a TestSet
 * entry that cannot be read (the challenge run; the broken entries are errors), else
 * `validation` (a dry run on the validation data).
 * @throws {LayoutError} no TestSet or ValidationSet k-space files found
 */
export function detectSplit(
  cases: Pick<Case, "split">[],
  root = CONTAINER_INPUT,
  problems: readonly Pick<DiscoveryProblem, "path" | "submissionPath">[] = [],
): "test" | "validation" {
  const broken = problems.map((p) => problemSplit(p, root));
  if (cases.some((c) => c.split === "TestSet") || broken.includes("TestSet")) return "test";
  if (cases.some((c) => c.split === "ValidationSet") || broken.includes("ValidationSet")) {
    return "validation";
  }
  throw new LayoutError("no TestSet or ValidationSet k-space files found", {
    file: root,
    hint: "mount the folder that holds MultiCoil/ (or SingleCoil/) with " +
      "{Cine,Mapping}/TestSet/AccFactorNN/Pxxx/*.mat at /input",
  });
}

/**
 * The input entries that cannot be read (see {@link DiscoveryProblem}) which matter for a run
 * of `split`: those in its split folder and those above the split folders.
 */
export function problemsOfSplit(
  problems: readonly DiscoveryProblem[],
  split: "test" | "validation",
  root = CONTAINER_INPUT,
): DiscoveryProblem[] {
  const folder = split === "test" ? "TestSet" : "ValidationSet";
  return problems.filter((p) => {
    const s = problemSplit(p, root);
    return s === undefined || s === folder;
  });
}

/** One line per input entry that cannot be read: what it is, the case it hides, the fix. */
export function describeProblems(problems: readonly DiscoveryProblem[]): string[] {
  return problems.map((p) =>
    formatProblem(p, {
      entry: "input entry",
      consequence: "cannot be reconstructed",
      oneLine: true,
    })
  );
}

/** The value of `--name V` / `--name=V` in an argument list, if present. */
export function flagValue(args: readonly string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === `--${name}`) return args[i + 1];
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
  }
  return undefined;
}

/** Where and what a submit run reconstructs. */
export interface SubmitTarget {
  /** Dataset root to reconstruct (in the image: {@link CONTAINER_INPUT}). */
  input: string;
  /** Where `Submission/` is written (in the image: {@link CONTAINER_OUTPUT}). */
  output: string;
  /** The task(s) reconstructed. */
  task: "cine" | "mapping" | "both";
  /** `test`: full size, no reduction; `validation`: the run4Ranking reduction. */
  split: "validation" | "test";
}

/**
 * Where and what a container run reconstructs: what the user gave, else `/input`, `/output`,
 * both tasks and the detected `split`. The model is chosen per case by the Selector
 * (manifests' `serves`, else the classical default), so nothing about tasks, views or
 * accelerations is fixed here.
 */
export function submitDefaultsFor(
  user: Partial<SubmitTarget>,
  split: "test" | "validation",
): SubmitTarget {
  return {
    input: user.input ?? CONTAINER_INPUT,
    output: user.output ?? CONTAINER_OUTPUT,
    task: user.task ?? "both",
    split: user.split ?? split,
  };
}

/**
 * The mount options (`ro`, `rw`, ...) of the mount at `path`, from `/proc/self/mountinfo`
 * text (field 5 is the mount point, field 6 the per-mount options); the last matching line
 * wins, as later mounts shadow earlier ones.
 */
export function mountOptions(mountinfo: string, path: string): string[] | undefined {
  let found: string[] | undefined;
  for (const line of mountinfo.split("\n")) {
    const f = line.split(" ");
    if (f.length > 6 && f[4].replace(/\\040/g, " ") === path) found = f[5].split(",");
  }
  return found;
}

/** One line per task: views and accelerations found, e.g. `Cine: 6 file(s), lax sax, R 4 8 10`. */
export function describeCases(cases: Pick<Case, "task" | "view" | "acc" | "coil">[]): string[] {
  const lines: string[] = [];
  for (const task of ["cine", "mapping"] as const) {
    const cs = cases.filter((c) => c.task === task);
    if (!cs.length) continue;
    const views = [...new Set(cs.map((c) => c.view))].sort();
    const accs = [...new Set(cs.map((c) => c.acc ?? 1))].sort((a, b) => a - b);
    const coils = [...new Set(cs.map((c) => c.coil))].sort();
    lines.push(
      `${task === "cine" ? "Cine" : "Mapping"}: ${cs.length} file(s), views ${
        views.join(" ")
      }, accelerations ${accs.join(" ")}, ${coils.join(" ")}`,
    );
  }
  return lines;
}

/** What the entrypoint checked before starting. */
export interface Preflight {
  /** The split to reconstruct: as given, else detected ({@link detectSplit}). */
  split: "test" | "validation";
  /** The cases of that split found in the input. */
  cases: Case[];
  /** Lines to print (what was found, how the container runs). */
  lines: string[];
  /** Things that differ from the challenge's run (printed as warnings, not errors). */
  warnings: string[];
  /**
   * Input entries of the split that cannot be read: each is an error, its case is missing
   * from the output, and the run must not end in success ({@link entrypointExitCode}).
   */
  problems: DiscoveryProblem[];
  /** {@link describeProblems} of {@link problems} (printed as errors). */
  errors: string[];
}

/**
 * The exit code of the image: the submit run's, and never 0 while an input entry could not be
 * read (its case is missing from the output).
 */
export function entrypointExitCode(submitCode: number, pf: Pick<Preflight, "problems">): number {
  return submitCode === 0 && pf.problems.length ? 1 : submitCode;
}

function readText(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}

/** Network interfaces other than loopback (empty with `--network none`). */
function networkInterfaces(): string[] | undefined {
  try {
    return [...Deno.readDirSync("/sys/class/net")].map((e) => e.name).filter((n) => n !== "lo");
  } catch {
    return undefined;
  }
}

/**
 * Checks input and output and decides the split. Errors are typed and say what to mount.
 * @throws {LayoutError} nothing to reconstruct
 * @throws {CmrxError} the output folder is not writable by this user
 */
export async function preflight(
  input: string,
  output: string,
  split?: "test" | "validation",
): Promise<Preflight> {
  const found = await discover(input);
  const chosen = split ?? detectSplit(found.cases, input, found.problems);
  const folder = chosen === "test" ? "TestSet" : "ValidationSet";
  const cases = found.cases.filter((c) => c.split === folder);
  const problems = problemsOfSplit(found.problems, chosen, input);
  const lines: string[] = [], warnings: string[] = [];
  lines.push(
    `input ${input}: ${cases.length} ${folder} file(s)${
      problems.length
        ? ` and ${problems.length} entr${problems.length === 1 ? "y" : "ies"} ` +
          "that cannot be read"
        : ""
    } -> ${
      chosen === "test" ? "test split, full size, no reduction" : "validation split, run4Ranking"
    }`,
  );
  for (const l of describeCases(cases)) lines.push(`  ${l}`);
  try {
    await Deno.mkdir(output, { recursive: true });
    const probe = `${output}/.cmrxkit-write-test-${crypto.randomUUID().slice(0, 8)}`;
    await Deno.writeTextFile(probe, "");
    await Deno.remove(probe);
  } catch (e) {
    const uid = Deno.uid();
    throw new CmrxError(
      `the output folder is not writable by uid ${uid} (${errorMessage(e)})`,
      {
        file: output,
        hint: `make the host folder writable for uid ${uid} (chown ${uid} DIR), or run with ` +
          "--user matching its owner ('deno task container run' does this for you)",
      },
    );
  }
  const uid = Deno.uid(), gid = Deno.gid();
  lines.push(`user: uid ${uid}, gid ${gid}${uid === 0 ? " (root)" : ""}`);
  const opts = mountOptions(readText("/proc/self/mountinfo") ?? "", input);
  if (opts) {
    lines.push(`input mount: ${opts.includes("ro") ? "read-only" : "writable"}`);
    if (!opts.includes("ro")) {
      warnings.push(
        `${input} is writable; the organisers mount it read-only (cmrxkit never ` +
          "writes there)",
      );
    }
  }
  const nets = networkInterfaces();
  if (nets) {
    lines.push(`network: ${nets.length ? nets.join(", ") : "none (loopback only)"}`);
    if (nets.length) warnings.push("the container has a network; the challenge runs with none");
  }
  if (uid === 0) warnings.push("running as root; the image works as any user");
  return { split: chosen, cases, lines, warnings, problems, errors: describeProblems(problems) };
}

/** Reads `build-info.json` beside the code (inside the image), if present. */
export function buildInfoLine(path: string): string | undefined {
  const t = readText(path);
  if (!t) return undefined;
  try {
    const b = JSON.parse(t);
    return `cmrxkit ${b.cmrxkit} (${b.commit ? b.commit.slice(0, 10) : "no commit"}${
      b.dirty ? ", modified" : ""
    }), built ${b.built}, base ${b.base}, onnxruntime provider ${
      b.ort === "cuda12" ? "CUDA 12 + CPU" : "CPU"
    }, models: ${b.models?.length ? b.models.join(", ") : "none (classical methods)"}`;
  } catch {
    return undefined;
  }
}

/** Rejects flags the image decides itself when they contradict the mounted layout. */
export function checkUserArgs(args: readonly string[]): void {
  const split = flagValue(args, "split");
  if (split !== undefined && split !== "test" && split !== "validation") {
    throw new UsageError(`--split must be test or validation, got '${split}'`);
  }
}
