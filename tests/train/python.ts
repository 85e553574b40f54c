/**
 * Helpers of the train/ tests: run Debian's python3 (with torch) on the `cmrxtrain`
 * package, and read the raw float32 files it writes.
 *
 * @module
 */

/** Debian's Python, which has python3-torch, onnx, h5py (the first python3 on PATH may not). */
export const PYTHON = "/usr/bin/python3";

/** The repository root. */
export const ROOT = new URL("../../", import.meta.url).pathname;

/** Whether /usr/bin/python3 can import `modules` (a comma-separated list, as `import` takes). */
export function pythonHas(modules: string): boolean {
  try {
    return new Deno.Command(PYTHON, {
      args: ["-c", `import ${modules}`],
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
  } catch {
    return false;
  }
}

/** True when /usr/bin/python3 can import torch, onnx, h5py and numpy. */
export const hasTorch = pythonHas("torch, onnx, h5py, numpy");

if (!hasTorch) {
  console.warn(
    `notice: ${PYTHON} lacks torch/onnx/h5py; the train/ tests are skipped ` +
      "(apt-get install python3-torch python3-onnx python3-h5py)",
  );
}

/** Output of a Python run. */
export interface PyResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `python3 args...` from the repository root with `PYTHONPATH=train` and one torch
 * thread (the CI machine is small and shared).
 */
export async function python(args: string[], opts: { check?: boolean } = {}): Promise<PyResult> {
  const out = await new Deno.Command(PYTHON, {
    args,
    cwd: ROOT,
    env: { PYTHONPATH: `${ROOT}train`, OMP_NUM_THREADS: "1", PYTHONWARNINGS: "ignore" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const r = {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
  if ((opts.check ?? true) && out.code !== 0) {
    throw new Error(`python3 ${args.join(" ")} exited ${out.code}:\n${r.stderr}\n${r.stdout}`);
  }
  return r;
}

/** The last line of stdout parsed as JSON (the commands print a summary line). */
export function lastJson(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]);
}

/** A raw little-endian float32 file. */
export async function readF32(path: string): Promise<Float32Array> {
  const b = await Deno.readFile(path);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}

/** `max |a - b| / max |b|`. */
export function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let err = 0, ref = 0;
  for (let i = 0; i < a.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    ref = Math.max(ref, Math.abs(b[i]));
  }
  return err / (ref || 1);
}
