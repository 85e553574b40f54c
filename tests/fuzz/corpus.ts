/**
 * The fuzz corpus: malformed inputs made at run time from a small valid synthetic dataset,
 * and the command lines that must reject them clearly (or, for the `control` and
 * `concurrent` classes, succeed).
 *
 * Everything is written under one temporary folder:
 *
 * ```
 * ROOT/base/cine   synthetic dataset: cine, ValidationSet AccFactor04 P001, 4 coils (+ GroundTruth)
 * ROOT/base/map    the same for mapping (T1map / T2map), for the label bomb
 * ROOT/base/sub    a valid submission of base/cine (Submission/...), base/msub for base/map
 * ROOT/cases/ID/   what case ID needs: a damaged file, or a hard-linked copy of a dataset with
 *                  one entry replaced (a damaged entry is removed and written anew, so the
 *                  base files never change)
 * ```
 *
 * Damage is checked where the generator makes it (sizes of truncations, flipped bytes, the
 * HDF5 structures it patches), and {@link verifyCorpus} checks with independent tools
 * (node:zlib; h5py when `/usr/bin/python3` has it) that each damaged file is what its case
 * claims.
 *
 * @module
 */

import zlib from "node:zlib";
import { synthesize } from "../../src/synth/dataset.ts";
import { encodeMatV5, writeMatV5 } from "../../src/mat/v5/write.ts";
import { writeMatV73 } from "../../src/mat/v73/write.ts";
import { expectedFiles, writeImg4Ranking } from "../../src/challenge/submission.ts";

/**
 * What a case must do: fail clearly (`error`), succeed (`ok`), either of the two (`either`:
 * e.g. a resume that must recompute or refuse), or, for two runs on one folder, one runs and
 * the other is refused or waits (`one-locked`).
 */
export type Expect = "error" | "ok" | "either" | "one-locked";

/** One fuzz case: command line(s) run as `deno run -A cli/main.ts ARGV...` from the repo root. */
export interface FuzzCase {
  id: string;
  /** Class of damage (the rows of the table). */
  class: string;
  description: string;
  /** The command line after `cli/main.ts`. */
  argv: string[];
  /** More command lines started at the same moment (concurrency cases). */
  alongside?: string[][];
  expect: Expect;
  /**
   * Files the error message must name: the basename is checked, or for a file in a patient
   * folder of the official layout its last three parts (tests/fuzz/run.ts `nameKey`).
   */
  names: string[];
  /**
   * Regular expressions (case-insensitive) the error message must match, file paths left
   * out: what was found.
   */
  mentions?: string[];
  /** Regular expressions the error message must not match: wrong advice. */
  forbids?: string[];
  /** Paths that must still exist afterwards (no data lost). */
  mustExist?: string[];
  /** Paths that must be gone afterwards (e.g. stale temporary files). */
  mustNotExist?: string[];
  /** Command lines run one after the other before the case; each must succeed. */
  setup?: string[][];
  /** Text the output (stdout + stderr) of a success must hold. */
  outputIncludes?: string[];
  /** Text the output of a success must not hold. */
  outputExcludes?: string[];
  /** Paths a success must have written. */
  produces?: string[];
  /** A command run after an expected success, whose stdout must hold each string. */
  after?: { argv: string[]; includes: string[] };
  /** Peak resident memory allowed (MiB); the process is killed above it. */
  maxRssMiB?: number;
  /** What verifyCorpus checks about the damaged file. */
  verify?: Verify[];
}

/** A claim about a generated file, checked by {@link verifyCorpus}. */
export type Verify =
  | { kind: "h5-unreadable"; file: string; dataset: string }
  | { kind: "h5-shape"; file: string; dataset: string; shape: (number | string)[] }
  | { kind: "h5-dtype"; file: string; dataset: string; dtype: string }
  | { kind: "h5-filter"; file: string; dataset: string; filter: string }
  | { kind: "h5-nonfinite"; file: string; dataset: string }
  | { kind: "zlib-bad"; file: string; at: number }
  | { kind: "zlib-inflates-to"; file: string; at: number; atLeast: number }
  | { kind: "gzip-inflates-to"; file: string; atLeast: number }
  | { kind: "size"; file: string; size: number }
  | { kind: "kind"; file: string; is: "fifo" | "dir" | "dangling" | "loop" | "devzero" };

/** The corpus as built. */
export interface Corpus {
  root: string;
  cases: FuzzCase[];
  /** Cases that could not be made here, with the reason. */
  skipped: { id: string; reason: string }[];
}

/** Options of {@link buildCorpus}. */
export interface BuildOptions {
  /** Only these classes (default all). */
  classes?: string[];
  /** Progress lines. */
  log?: (line: string) => void;
}

/** Every class, in table order. */
export const CLASSES = [
  "control",
  "truncation",
  "flip",
  "class",
  "dims",
  "nonfinite",
  "huge",
  "nonregular",
  "bomb",
  "checksum",
  "output",
  "empty",
  "concurrent",
  "resume",
] as const;

const PYTHON = "/usr/bin/python3";

// Paths inside a dataset / submission.
const CINE = "MultiCoil/Cine/ValidationSet/AccFactor04/P001";
const KSPACE = `${CINE}/cine_sax.mat`;
const MASK = `${CINE}/cine_sax_mask.mat`;
const GT = "GroundTruth/MultiCoil/Cine/ValidationSet/FullSample/P001/cine_sax.mat";
const SUB = `Submission/${CINE}/cine_sax.mat`;
/** HDF5 dims (reversed MATLAB dims) of the synthetic cine_sax k-space with 4 coils. */
const SAX_H5 = [12, 3, 4, 72, 96];
/** HDF5 dims of its mask (MATLAB 96 x 72). */
const MASK_H5 = [72, 96];

// MAT v5 data types and classes.
const miINT8 = 1, miUINT32 = 6, miINT32 = 5, miSINGLE = 7, miDOUBLE = 9, miMATRIX = 14;
const miCOMPRESSED = 15, miUTF16 = 17;
const mxCELL = 1, mxCHAR = 4, mxDOUBLE = 6, mxSINGLE = 7;

// ------------------------------------------------------------------------------ helpers

/** Hard-links every file of `src` into `dst` (a cheap copy: damage replaces entries). */
export async function cloneTree(src: string, dst: string): Promise<void> {
  await Deno.mkdir(dst, { recursive: true });
  for await (const e of Deno.readDir(src)) {
    const s = `${src}/${e.name}`, d = `${dst}/${e.name}`;
    if (e.isDirectory) await cloneTree(s, d);
    else if (e.isFile) {
      try {
        await Deno.link(s, d);
      } catch {
        await Deno.copyFile(s, d);
      }
    }
  }
}

/** Replaces an entry with new bytes (never writes into a hard-linked file). */
async function replaceFile(path: string, bytes: Uint8Array): Promise<void> {
  await removeEntry(path);
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  await Deno.writeFile(path, bytes);
}

async function removeEntry(path: string): Promise<void> {
  try {
    await Deno.lstat(path);
  } catch {
    return;
  }
  await Deno.remove(path, { recursive: true });
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`fuzz corpus generator: ${what}`);
}

function u64(bytes: Uint8Array, at: number): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(at, true);
}

/**
 * Where the dataspace of the dataset with HDF5 dims `h5dims` is in a v7.3 file written by
 * cmrxkit (superblock v0, v1 object headers): the offsets of its dims, of its max dims, of
 * its rank byte and of the dataset's object header. Checked field by field.
 */
export function findDataspace(
  bytes: Uint8Array,
  h5dims: number[],
): { dims: number; maxDims: number; rank: number; ohdr: number } {
  const pat = new Uint8Array(8 * h5dims.length);
  const dv = new DataView(pat.buffer);
  h5dims.forEach((d, i) => dv.setBigUint64(8 * i, BigInt(d), true));
  outer: for (let i = 512; i + pat.length <= bytes.length; i++) {
    for (let j = 0; j < pat.length; j++) if (bytes[i + j] !== pat[j]) continue outer;
    // v1 dataspace message: version 1, rank, flags, 5 reserved bytes, then the dims.
    if (bytes[i - 8] !== 1 || bytes[i - 7] !== h5dims.length) continue;
    const flags = bytes[i - 6];
    // The message header: type 0x0001 (dataspace), size, flags, 3 reserved bytes.
    if (bytes[i - 16] !== 1 || bytes[i - 15] !== 0) continue;
    // The v1 object header prefix (16 bytes with padding): version 1, reserved 0.
    const ohdr = i - 32;
    check(bytes[ohdr] === 1 && bytes[ohdr + 1] === 0, "no v1 object header before the dataspace");
    return {
      dims: i,
      maxDims: flags & 1 ? i + pat.length : -1,
      rank: i - 7,
      ohdr,
    };
  }
  throw new Error(`fuzz corpus generator: no dataspace [${h5dims}] found`);
}

/** Sets HDF5 dim `k` (dims and max dims) of the dataspace to `value`. */
function patchH5Dim(bytes: Uint8Array, h5dims: number[], k: number, value: bigint): Uint8Array {
  const out = bytes.slice();
  const ds = findDataspace(out, h5dims);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(ds.dims + 8 * k, value, true);
  if (ds.maxDims >= 0) dv.setBigUint64(ds.maxDims + 8 * k, value, true);
  check(u64(out, ds.dims + 8 * k) === value, "dim patch did not take");
  return out;
}

/** An 8-byte-padded MAT v5 element: tag + payload (small-element form never used). */
function v5Element(type: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + Math.ceil(payload.length / 8) * 8);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, type, true);
  dv.setUint32(4, payload.length, true);
  out.set(payload, 8);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The sub-elements of a v5 miMATRIX before its data: flags, dims, name. */
function v5MatrixHead(cls: number, dims: number[], name: string, flags = 0): Uint8Array {
  const f = new Uint8Array(8);
  new DataView(f.buffer).setUint32(0, cls | flags, true);
  const d = new Uint8Array(4 * dims.length);
  dims.forEach((x, i) => new DataView(d.buffer).setInt32(4 * i, x, true));
  return concat([
    v5Element(miUINT32, f),
    v5Element(miINT32, d),
    v5Element(miINT8, new TextEncoder().encode(name)),
  ]);
}

function v5Matrix(cls: number, dims: number[], name: string, body: Uint8Array[]): Uint8Array {
  return v5Element(miMATRIX, concat([v5MatrixHead(cls, dims, name), ...body]));
}

/** A MAT v5 file holding these (already encoded) top-level elements. */
function v5File(elements: Uint8Array[]): Uint8Array {
  return concat([encodeMatV5([], { date: new Date(0) }), ...elements]);
}

/** The advice recon gave for any k-space it could not use, whatever the cause (issue 17). */
const WRONG_VAR_FIX = "name it with --var";

/** Per class case: what the message must say was found. */
const CLASS_WORD: Record<string, string> = {
  "real": "real",
  "int16": "int16",
  "uint8": "uint8",
  "logical": "logical",
  "cell-v5": "cell",
  "char-v5": "char",
  "float16": "float16|half",
  "compound3": "compound",
  "lzf": "lzf",
  "cell-v73": "cell",
};

/** Offsets in an uncompressed cmrxkit v5 file with one variable (see src/mat/v5/write.ts). */
const V5 = { endian: 126, version: 124, tagType: 128, classByte: 144, dimsTag: 152, dims: 160 };

/** Deterministic pseudo-random numbers. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A small complex k-space, MATLAB dims (kx, ky, coil, slice, frame), interleaved. */
function smallKspace(dims = [32, 24, 2, 2, 3], seed = 5): Float32Array {
  const r = rng(seed);
  const n = dims.reduce((a, d) => a * d, 1);
  const out = new Float32Array(2 * n);
  for (let i = 0; i < out.length; i++) out[i] = (r() - 0.5) * 1e-3;
  return out;
}

/** Streams `header`, then `zeros` zero bytes, through zlib (or gzip); returns the stream. */
async function deflateZeros(header: Uint8Array, zeros: number, gzip = false): Promise<Uint8Array> {
  const d = gzip ? zlib.createGzip({ level: 9 }) : zlib.createDeflate({ level: 9 });
  const out: Uint8Array[] = [];
  d.on("data", (b: Uint8Array) => out.push(new Uint8Array(b)));
  const done = new Promise((resolve, reject) => {
    d.on("end", resolve);
    d.on("error", reject);
  });
  const write = async (b: Uint8Array) => {
    if (!d.write(b)) await new Promise((r) => d.once("drain", r));
  };
  await write(header);
  const chunk = new Uint8Array(1 << 20);
  for (let left = zeros; left > 0; left -= chunk.length) {
    await write(left >= chunk.length ? chunk : chunk.subarray(0, left));
  }
  d.end();
  await done;
  return concat(out);
}

async function mkfifo(path: string): Promise<void> {
  const { code, stderr } = await new Deno.Command("mkfifo", { args: [path], stderr: "piped" })
    .output();
  check(code === 0, `mkfifo ${path}: ${new TextDecoder().decode(stderr)}`);
}

async function hasH5py(): Promise<boolean> {
  try {
    const { code } = await new Deno.Command(PYTHON, {
      args: ["-c", "import h5py, numpy"],
      stdout: "null",
      stderr: "null",
    }).output();
    return code === 0;
  } catch {
    return false;
  }
}

/** Runs a python script with JSON on stdin; throws with its stderr on failure. */
async function python(script: string, input: unknown): Promise<string> {
  const p = new Deno.Command(PYTHON, {
    args: ["-c", script],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = p.stdin.getWriter();
  await w.write(new TextEncoder().encode(JSON.stringify(input)));
  await w.close();
  const { code, stdout, stderr } = await p.output();
  const err = new TextDecoder().decode(stderr);
  if (code !== 0) throw new Error(`python failed: ${err}`);
  return new TextDecoder().decode(stdout);
}

// Makes MATLAB v7.3 files h5py can write but cmrxkit's writer cannot (float16, 3-member
// compound, LZF, char, cell); each gets the 512-byte MATLAB header given as hex.
const PY_MAKE = `
import sys, json, h5py, numpy as np
spec = json.load(sys.stdin)
hdr = bytes.fromhex(spec["header"])
rs = np.random.default_rng(3)
for f in spec["files"]:
    shape = tuple(f["shape"])
    with h5py.File(f["path"], "w", userblock_size=512, libver="earliest") as h:
        k = f["kind"]
        if k == "float16":
            d = h.create_dataset(f["name"], data=rs.standard_normal(shape).astype(np.float16))
            d.attrs["MATLAB_class"] = np.bytes_("single")
        elif k == "compound3":
            t = np.dtype([("real", "<f4"), ("imag", "<f4"), ("extra", "<f4")])
            a = np.zeros(shape, t)
            a["real"] = rs.standard_normal(shape)
            d = h.create_dataset(f["name"], data=a)
            d.attrs["MATLAB_class"] = np.bytes_("single")
        elif k == "lzf":
            t = np.dtype([("real", "<f4"), ("imag", "<f4")])
            a = np.zeros(shape, t)
            a["real"] = rs.standard_normal(shape)
            a["imag"] = rs.standard_normal(shape)
            d = h.create_dataset(f["name"], data=a, chunks=True, compression="lzf")
            d.attrs["MATLAB_class"] = np.bytes_("single")
        elif k == "char":
            d = h.create_dataset(f["name"], data=np.frombuffer("kspace".encode("utf-16-le"), "<u2").reshape(6, 1))
            d.attrs["MATLAB_class"] = np.bytes_("char")
            d.attrs["MATLAB_int_decode"] = np.int32(2)
        elif k == "cell":
            g = h.create_group("#refs#")
            e = g.create_dataset("a", data=np.ones((2, 2)))
            e.attrs["MATLAB_class"] = np.bytes_("double")
            d = h.create_dataset(f["name"], data=np.array([[e.ref]], dtype=h5py.ref_dtype))
            d.attrs["MATLAB_class"] = np.bytes_("cell")
    with open(f["path"], "r+b") as fh:
        fh.write(hdr)
print("ok")
`;

// Checks claims about generated HDF5 files; prints one JSON line per claim.
const PY_VERIFY = `
import sys, json, h5py, numpy as np
out = []
for c in json.load(sys.stdin):
    ok, why = False, ""
    try:
        if c["kind"] == "h5-unreadable":
            try:
                with h5py.File(c["file"], "r") as h:
                    d = h[c["dataset"]]
                    d[(0,) * d.ndim]
                    d[(-1,) * d.ndim]
                    d[...]
                why = "h5py read it"
            except Exception as e:
                ok, why = True, type(e).__name__ + ": " + str(e)[:120]
        else:
            with h5py.File(c["file"], "r") as h:
                d = h[c["dataset"]]
                if c["kind"] == "h5-shape":
                    want = [int(x) for x in c["shape"]]
                    ok, why = list(d.shape) == want, str(d.shape)
                elif c["kind"] == "h5-dtype":
                    ok, why = str(d.dtype) == c["dtype"], str(d.dtype)
                elif c["kind"] == "h5-filter":
                    ok, why = d.compression == c["filter"], str(d.compression)
                elif c["kind"] == "h5-nonfinite":
                    a = d[...]
                    v = np.concatenate([a[n].ravel() for n in a.dtype.names]) if a.dtype.names else a.ravel()
                    ok, why = bool(np.any(~np.isfinite(v))), "non-finite values: %d" % int(np.sum(~np.isfinite(v)))
    except Exception as e:
        why = type(e).__name__ + ": " + str(e)[:120]
    out.append({"ok": ok, "why": why})
print(json.dumps(out))
`;

// ------------------------------------------------------------------------------ builder

interface Ctx {
  root: string;
  cases: FuzzCase[];
  skipped: { id: string; reason: string }[];
  h5py: boolean;
  /** The cine base dataset, its submission and the img4ranking dims of cine_sax. */
  base: () => Promise<{ cine: string; sub: string; saxDims: number[] }>;
  baseMap: () => Promise<{ map: string; sub: string }>;
  v73Header: Uint8Array;
}

function memo<T>(f: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= f());
}

/** A positive, smooth image for a submission file. */
function image(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = 1e-3 * (1.5 + Math.sin(i / 97));
  return a;
}

/** Writes a valid submission for a base dataset; returns the dims of each file by name. */
async function writeSubmission(
  dataset: string,
  out: string,
  task: "cine" | "mapping",
): Promise<Record<string, number[]>> {
  const files = await expectedFiles(dataset, { task, split: "validation", acc: [4] });
  check(files.length === 2, `expected 2 submission files for ${task}, got ${files.length}`);
  const dims: Record<string, number[]> = {};
  for (const f of files) {
    await writeImg4Ranking(`${out}/Submission`, f.relPath, image(numel(f.dims)), f.dims);
    dims[f.case.name] = f.dims;
  }
  return dims;
}

function numel(d: number[]): number {
  return d.reduce((a, x) => a * x, 1);
}

/** A valid img4ranking of `dims` as one compressed MAT v5 variable. */
function img4ranking5z(dims: number[]): Uint8Array {
  return encodeMatV5([{
    name: "img4ranking",
    array: { dims, matClass: "single", complex: false, data: image(numel(dims)) },
  }], { compress: true });
}

/** The small complex single k-space ({@link smallKspace}) as a MAT v5 file. */
function smallKspaceV5(compress = false): Uint8Array {
  return encodeMatV5([{
    name: "kspace",
    array: { dims: [32, 24, 2, 2, 3], matClass: "single", complex: true, data: smallKspace() },
  }], { compress });
}

/** Builds the corpus under `root` (created if absent). */
export async function buildCorpus(root: string, opts: BuildOptions = {}): Promise<Corpus> {
  const log = opts.log ?? (() => {});
  await Deno.mkdir(`${root}/cases`, { recursive: true });
  const { matV73Header } = await import("../../src/mat/header.ts");
  const ctx: Ctx = {
    root,
    cases: [],
    skipped: [],
    h5py: await hasH5py(),
    v73Header: matV73Header(new Date(0)),
    base: memo(async () => {
      const cine = `${root}/base/cine`, sub = `${root}/base/sub`;
      log("synthesising the cine base dataset");
      await synthesize({
        out: cine,
        size: "small",
        patients: 1,
        tasks: ["cine"],
        splits: ["validation"],
        accs: [4],
        coils: 4,
        seed: 1,
      });
      const dims = await writeSubmission(cine, sub, "cine");
      check(dims.cine_sax?.length === 4, `cine_sax img4ranking dims [${dims.cine_sax}]`);
      return { cine, sub, saxDims: dims.cine_sax };
    }),
    baseMap: memo(async () => {
      const map = `${root}/base/map`, sub = `${root}/base/msub`;
      log("synthesising the mapping base dataset");
      await synthesize({
        out: map,
        size: "small",
        patients: 1,
        tasks: ["mapping"],
        splits: ["validation"],
        accs: [4],
        coils: 4,
        seed: 2,
      });
      await writeSubmission(map, sub, "mapping");
      return { map, sub };
    }),
  };
  const want = opts.classes?.length ? opts.classes : [...CLASSES];
  for (const cls of want) {
    const make = BUILDERS[cls];
    if (!make) throw new Error(`unknown fuzz class '${cls}' (classes: ${CLASSES.join(", ")})`);
    log(`building class ${cls}`);
    await make(ctx);
  }
  return { root, cases: ctx.cases, skipped: ctx.skipped };
}

/** A fresh folder for a case. */
async function caseDir(ctx: Ctx, id: string): Promise<string> {
  const d = `${ctx.root}/cases/${id}`;
  await Deno.mkdir(d, { recursive: true });
  return d;
}

/** A hard-linked copy of the cine base dataset in the case folder. */
async function cineCopy(ctx: Ctx, id: string): Promise<string> {
  const d = `${await caseDir(ctx, id)}/data`;
  await cloneTree((await ctx.base()).cine, d);
  return d;
}

/** A hard-linked copy of the base submission in the case folder. */
async function subCopy(ctx: Ctx, id: string): Promise<string> {
  const d = `${await caseDir(ctx, id)}/sub`;
  await cloneTree((await ctx.base()).sub, d);
  return d;
}

// Command lines.
const inspect = (f: string, stats = true) => ["inspect", f, ...(stats ? ["--stats"] : [])];
const recon = (input: string, out: string, mask?: string) => [
  "recon",
  "--input",
  input,
  "--method",
  "zerofill",
  "--out",
  out,
  "--workers",
  "1",
  ...(mask ? ["--mask", mask] : []),
];
const submit = (input: string, output: string, model = "zerofill") => [
  "submit",
  "--task",
  "cine",
  "--split",
  "validation",
  "--input",
  input,
  "--output",
  output,
  "--model",
  model,
  "--acc",
  "4",
  "--workers",
  "1",
];
const validate = (dir: string, input?: string) => [
  "validate",
  dir,
  "--task",
  "cine",
  "--split",
  "validation",
  ...(input ? ["--input", input] : []),
];
/** Options of {@link score}: a leaderboard name (else `--no-record`), the task, label folder. */
interface ScoreOpts {
  name?: string;
  task?: "cine" | "mapping";
  labels?: string;
}
const score = (sub: string, truth: string, { name, task = "cine", labels }: ScoreOpts = {}) => [
  "score",
  "--submission",
  sub,
  "--truth",
  truth,
  "--task",
  task,
  "--split",
  "validation",
  "--acc",
  "4",
  ...(labels ? ["--labels", labels] : []),
  ...(name ? ["--name", name] : ["--no-record"]),
];
/** Reads submission folder `s` of the cine base: validate (against `input`), or score. */
const readSub = (cmd: string, s: string, cine: string, input?: string) =>
  cmd === "validate" ? validate(s, input) : score(s, `${cine}/GroundTruth`);
const pack = (dir: string, out: string) => ["pack", dir, "--team", "Fuzz", "--out", out];
/** The output folder of a submit case: `out` beside the case's copy of the dataset. */
const caseOut = (ctx: Ctx, id: string) => `${ctx.root}/cases/${id}/out`;

function add(ctx: Ctx, c: FuzzCase): void {
  check(!ctx.cases.some((x) => x.id === c.id), `duplicate case id ${c.id}`);
  ctx.cases.push(c);
}

/**
 * Adds `${id}-submit`: the k-space `bytes` of case `base` put at its dataset position, submit.
 */
async function addSubmitVariant(
  ctx: Ctx,
  base: Omit<FuzzCase, "id" | "argv">,
  id: string,
  bytes: Uint8Array,
): Promise<void> {
  const data = await cineCopy(ctx, `${id}-submit`);
  await replaceFile(`${data}/${KSPACE}`, bytes);
  add(ctx, {
    ...base,
    id: `${id}-submit`,
    description: `${base.description}, at its dataset position, submit`,
    argv: submit(data, caseOut(ctx, `${id}-submit`)),
    names: [`${data}/${KSPACE}`],
    verify: [],
  });
}

/** Adds one error case per command line, ids `${id}-${suffix}`. */
function addEach(
  ctx: Ctx,
  base: Omit<FuzzCase, "id" | "argv">,
  id: string,
  runs: [string, string[]][],
): void {
  for (const [suffix, argv] of runs) add(ctx, { ...base, id: `${id}-${suffix}`, argv });
}

// ------------------------------------------------------------------------------ classes

const BUILDERS: Record<string, (ctx: Ctx) => Promise<void>> = {
  async control(ctx) {
    const { cine, sub } = await ctx.base();
    const d = await caseDir(ctx, "control");
    add(ctx, {
      id: "control-inspect",
      class: "control",
      description: "inspect --stats of a valid k-space file",
      argv: inspect(`${cine}/${KSPACE}`),
      expect: "ok",
      names: [],
    });
    add(ctx, {
      id: "control-recon",
      class: "control",
      description: "recon of a valid k-space file with its mask",
      argv: recon(`${cine}/${KSPACE}`, `${d}/recon.mat`, `${cine}/${MASK}`),
      expect: "ok",
      names: [],
    });
    add(ctx, {
      id: "control-submit",
      class: "control",
      description: "submit of the valid dataset",
      argv: submit(cine, `${d}/out`),
      expect: "ok",
      names: [],
    });
    add(ctx, {
      id: "control-validate",
      class: "control",
      description: "validate of the valid submission against its input",
      argv: validate(sub, cine),
      expect: "ok",
      names: [],
    });
    add(ctx, {
      id: "control-score",
      class: "control",
      description: "score of the valid submission",
      argv: score(sub, `${cine}/GroundTruth`, { name: "control" }),
      expect: "ok",
      names: [],
      after: { argv: ["leaderboard"], includes: ["control"] },
    });
    const m = await ctx.baseMap();
    add(ctx, {
      id: "control-score-maps",
      class: "control",
      description: "score of a valid mapping submission with map accuracy (labels)",
      argv: score(m.sub, `${m.map}/GroundTruth`, { task: "mapping", labels: `${m.map}/Labels` }),
      expect: "ok",
      names: [],
    });
  },

  async truncation(ctx) {
    const { cine, sub, saxDims } = await ctx.base();
    const full = await Deno.readFile(`${cine}/${KSPACE}`);
    const ds = findDataspace(full, SAX_H5);
    const cuts: [string, number, string][] = [
      ["100", 100, "inside the 512-byte MATLAB header"],
      ["530", 530, "inside the HDF5 superblock"],
      ["ohdr", ds.ohdr + 40, "inside the k-space dataset's object header"],
      ["half", Math.floor(full.length / 2), "half way through the chunked data"],
      ["end-1", full.length - 1, "one byte short"],
    ];
    for (const [tag, at, where] of cuts) {
      const id = `trunc-v73-${tag}`;
      const f = `${await caseDir(ctx, id)}/cine_sax_trunc${tag}.mat`;
      await replaceFile(f, full.slice(0, at));
      check((await Deno.stat(f)).size === at && at < full.length, `${id} not truncated`);
      const verify: Verify[] = [{ kind: "size", file: f, size: at }];
      if (at > 1024) verify.push({ kind: "h5-unreadable", file: f, dataset: "kspace_sub04" });
      const base = {
        class: "truncation",
        description: `v7.3 k-space cut at byte ${at} (${where})`,
        expect: "error" as const,
        names: [f],
        verify,
      };
      addEach(ctx, base, id, [
        tag === "half" || tag === "end-1"
          ? ["recon", recon(f, `${ctx.root}/cases/${id}/out.mat`)]
          : ["inspect", inspect(f)],
      ]);
    }
    // At a dataset position (submit) and a ground-truth position (score).
    {
      const id = "trunc-v73-dataset";
      const data = await cineCopy(ctx, id);
      await replaceFile(`${data}/${KSPACE}`, full.slice(0, full.length >> 1));
      add(ctx, {
        id,
        class: "truncation",
        description: "truncated v7.3 k-space at its dataset position, submit",
        argv: submit(data, caseOut(ctx, id)),
        expect: "error",
        names: [`${data}/${KSPACE}`],
      });
    }
    {
      const id = "trunc-v73-gt";
      const data = await cineCopy(ctx, id);
      const gt = await Deno.readFile(`${cine}/${GT}`);
      await replaceFile(`${data}/${GT}`, gt.slice(0, gt.length >> 1));
      add(ctx, {
        id,
        class: "truncation",
        description: "truncated v7.3 ground truth, score",
        argv: score(sub, `${data}/GroundTruth`),
        expect: "error",
        names: [`${data}/${GT}`],
      });
    }
    {
      const id = "trunc-v73-mask";
      const d = await caseDir(ctx, id);
      const m = await Deno.readFile(`${cine}/${MASK}`);
      const f = `${d}/cine_sax_mask_trunc.mat`;
      await replaceFile(f, m.slice(0, m.length >> 1));
      add(ctx, {
        id,
        class: "truncation",
        description: "truncated v7.3 mask, recon --mask",
        argv: recon(`${cine}/${KSPACE}`, `${d}/out.mat`, f),
        expect: "error",
        names: [f],
        verify: [{ kind: "h5-unreadable", file: f, dataset: "mask04" }],
      });
    }
    // MAT v5: the submission file, plain and compressed.
    const v5 = await Deno.readFile(`${sub}/${SUB}`);
    for (
      const [tag, at, cmd] of [["64", 64, "validate"], ["130", 130, "inspect"], [
        "half",
        v5.length >> 1,
        "score",
      ]] as [string, number, string][]
    ) {
      const id = `trunc-v5-${tag}`;
      const s = await subCopy(ctx, id);
      const f = `${s}/${SUB}`;
      await replaceFile(f, v5.slice(0, at));
      check((await Deno.stat(f)).size === at, `${id} not truncated`);
      add(ctx, {
        id,
        class: "truncation",
        description: `v5 img4ranking cut at byte ${at} (${cmd})`,
        argv: cmd === "inspect" ? inspect(f) : readSub(cmd, s, cine),
        expect: "error",
        names: [f],
        verify: [{ kind: "size", file: f, size: at }],
      });
    }
    {
      const id = "trunc-v5z";
      const s = await subCopy(ctx, id);
      const f = `${s}/${SUB}`;
      const z = img4ranking5z(saxDims);
      check(new DataView(z.buffer).getUint32(128, true) === miCOMPRESSED, "v5z not compressed");
      const at = 128 + 8 + ((z.length - 136) >> 1);
      await replaceFile(f, z.slice(0, at));
      add(ctx, {
        id,
        class: "truncation",
        description: "compressed v5 img4ranking cut in the middle of its zlib stream, validate",
        argv: validate(s),
        expect: "error",
        names: [f],
        verify: [{ kind: "zlib-bad", file: f, at: 136 }],
      });
    }
    {
      const id = "trunc-v5-kspace";
      const d = await caseDir(ctx, id);
      const f = `${d}/cine_sax_v5trunc.mat`;
      const bytes = smallKspaceV5();
      await replaceFile(f, bytes.slice(0, bytes.length - 1000));
      add(ctx, {
        id,
        class: "truncation",
        description: "v5 complex k-space missing its last 1000 bytes, recon",
        argv: recon(f, `${d}/out.mat`),
        expect: "error",
        names: [f],
      });
    }
  },

  async flip(ctx) {
    const { cine, sub, saxDims } = await ctx.base();
    const v5 = await Deno.readFile(`${sub}/${SUB}`);
    check(v5[V5.endian] === 0x49 && v5[V5.endian + 1] === 0x4d, "v5 endian mark not at 126");
    check(v5[V5.tagType] === miMATRIX && v5[V5.classByte] === mxSINGLE, "v5 layout unexpected");
    const v5flips: [string, string, (b: Uint8Array) => void, string][] = [
      ["endian", "endian mark 'IM' -> 'XX'", (b) => b.set([0x58, 0x58], V5.endian), "inspect"],
      ["tagtype", "element type 14 -> 0xee", (b) => (b[V5.tagType] = 0xee), "validate"],
      ["class", "array class single (7) -> 42", (b) => (b[V5.classByte] = 42), "score"],
      [
        "dimstag",
        "dims tag length -> 0x7fff0000",
        (b) => b.set([0, 0, 0xff, 0x7f], V5.dimsTag + 4),
        "validate",
      ],
    ];
    for (const [tag, what, patch, cmd] of v5flips) {
      const id = `flip-v5-${tag}`;
      const s = await subCopy(ctx, id);
      const f = `${s}/${SUB}`;
      const b = v5.slice();
      patch(b);
      check(b.some((x, i) => x !== v5[i]), `${id} changed nothing`);
      await replaceFile(f, b);
      add(ctx, {
        id,
        class: "flip",
        description: `v5 img4ranking header: ${what} (${cmd})`,
        argv: cmd === "inspect" ? inspect(f) : readSub(cmd, s, cine),
        expect: "error",
        names: [f],
      });
    }
    {
      // Undetectable damage: the lowest mantissa byte of one value. Must still validate.
      const id = "flip-v5-mantissa";
      const s = await subCopy(ctx, id);
      const b = v5.slice();
      const at = b.length - 4 * 100; // a value in the data part, little-endian low byte
      b[at] ^= 0x01;
      await replaceFile(`${s}/${SUB}`, b);
      add(ctx, {
        id,
        class: "flip",
        description: "v5 img4ranking: lowest mantissa bit of one value flipped (valid data)",
        argv: validate(s, cine),
        expect: "ok",
        names: [],
      });
    }
    {
      const id = "flip-v5z-data";
      const s = await subCopy(ctx, id);
      const f = `${s}/${SUB}`;
      const z = img4ranking5z(saxDims);
      const b = z.slice();
      const mid = 136 + ((z.length - 136) >> 1);
      for (let i = 0; i < 8; i++) b[mid + i] ^= 0xa5;
      await replaceFile(f, b);
      add(ctx, {
        id,
        class: "flip",
        description: "compressed v5 img4ranking: 8 bytes flipped in the zlib stream, validate",
        argv: validate(s),
        expect: "error",
        names: [f],
        verify: [{ kind: "zlib-bad", file: f, at: 136 }],
      });
    }
    // v7.3 k-space: superblock signature, object header version, dataspace rank.
    const full = await Deno.readFile(`${cine}/${KSPACE}`);
    const ds = findDataspace(full, SAX_H5);
    const h5flips: [string, string, (b: Uint8Array) => void, boolean][] = [
      ["sig", "HDF5 signature byte 512 flipped", (b) => (b[512] ^= 0xff), false],
      ["ohdr", "object header version 1 -> 7", (b) => (b[ds.ohdr] = 7), true],
      ["rank", "dataspace rank 5 -> 37", (b) => (b[ds.rank] = 37), true],
    ];
    for (const [tag, what, patch, h5check] of h5flips) {
      const id = `flip-v73-${tag}`;
      const d = await caseDir(ctx, id);
      const f = `${d}/cine_sax_flip${tag}.mat`;
      const b = full.slice();
      patch(b);
      await replaceFile(f, b);
      const base = {
        class: "flip",
        description: `v7.3 k-space: ${what}`,
        expect: "error" as const,
        names: [f],
        forbids: [WRONG_VAR_FIX],
        verify: h5check
          ? [{ kind: "h5-unreadable" as const, file: f, dataset: "kspace_sub04" }]
          : [],
      };
      addEach(ctx, base, id, [["inspect", inspect(f)]]);
      if (tag === "ohdr") {
        addEach(ctx, base, id, [
          ["inspect-list", inspect(f, false)],
          ["recon", recon(f, `${d}/out.mat`)],
        ]);
        await addSubmitVariant(ctx, base, id, b);
      }
    }
    {
      const id = "flip-v73-deflate-data";
      const d = await caseDir(ctx, id);
      const f = `${d}/cine_sax_deflate.mat`;
      await writeMatV73(f, [{
        name: "kspace",
        array: {
          dims: [32, 24, 2, 2, 3],
          matClass: "single",
          complex: true,
          data: smallKspace(),
        },
      }], { deflate: 6 });
      const b = await Deno.readFile(f);
      const mid = b.length - ((b.length - 4096) >> 1);
      for (let i = 0; i < 16; i++) b[mid + i] ^= 0x5a;
      await replaceFile(f, b);
      add(ctx, {
        id,
        class: "flip",
        description: "deflated v7.3 k-space: 16 bytes flipped inside a compressed chunk, recon",
        argv: recon(f, `${d}/out.mat`),
        expect: "error",
        names: [f],
        verify: [{ kind: "h5-unreadable", file: f, dataset: "kspace" }],
      });
    }
    {
      const id = "flip-v73-mask";
      const d = await caseDir(ctx, id);
      const f = `${d}/cine_sax_mask_flip.mat`;
      const m = await Deno.readFile(`${cine}/${MASK}`);
      const b = m.slice();
      b[findDataspace(b, MASK_H5).ohdr] = 9;
      await replaceFile(f, b);
      add(ctx, {
        id,
        class: "flip",
        description: "v7.3 mask: object header version 1 -> 9, recon --mask",
        argv: recon(`${cine}/${KSPACE}`, `${d}/out.mat`, f),
        expect: "error",
        names: [f],
        verify: [{ kind: "h5-unreadable", file: f, dataset: "mask04" }],
      });
    }
  },

  async class(ctx) {
    /** Case `class-${tag}`: recon of `f` (in case folder `d`), a k-space variable of `what`. */
    const addClassRecon = (
      tag: string,
      what: string,
      d: string,
      f: string,
      verify?: Verify[],
    ) =>
      add(ctx, {
        id: `class-${tag}`,
        class: "class",
        description: `k-space variable is ${what}, recon`,
        argv: recon(f, `${d}/out.mat`),
        expect: "error",
        names: [f],
        mentions: [CLASS_WORD[tag]],
        forbids: [WRONG_VAR_FIX],
        ...(verify ? { verify } : {}),
      });
    const { cine, saxDims } = await ctx.base();
    const dims = [32, 24, 2, 2, 3];
    const n = numel(dims);
    const real = smallKspace(dims).subarray(0, n);
    const ints = (lo: number, hi: number) => {
      const r = rng(9);
      return Float64Array.from({ length: n }, () => lo + Math.floor(r() * (hi - lo + 1)));
    };
    const kinds: [string, string, () => Promise<void>][] = [];
    const recCase = (tag: string, what: string, write: (f: string) => Promise<void>) => {
      kinds.push([tag, what, async () => {
        const id = `class-${tag}`;
        const d = await caseDir(ctx, id);
        const f = `${d}/cine_sax_${tag}.mat`;
        await write(f);
        addClassRecon(tag, what, d, f);
      }]);
    };
    recCase("real", "real single (v7.3)", (f) =>
      writeMatV73(f, [{
        name: "kspace",
        array: { dims, matClass: "single", complex: false, data: Float32Array.from(real) },
      }]));
    recCase("int16", "int16 (v5)", (f) =>
      writeMatV5(f, [{
        name: "kspace",
        array: { dims, matClass: "int16", complex: false, data: ints(-300, 300) },
      }]));
    recCase(
      "uint8",
      "uint8 (v7.3)",
      (f) =>
        writeMatV73(f, [{ name: "kspace", array: { dims, data: Uint8Array.from(ints(0, 255)) } }]),
    );
    recCase("logical", "logical (v7.3)", (f) =>
      writeMatV73(f, [{
        name: "kspace",
        array: { dims, matClass: "logical", complex: false, data: ints(0, 1) },
      }]));
    recCase("cell-v5", "a cell (v5)", (f) => {
      const inner = v5Matrix(mxDOUBLE, [1, 1], "", [
        v5Element(miDOUBLE, new Uint8Array(new Float64Array([1]).buffer)),
      ]);
      return Deno.writeFile(f, v5File([v5Matrix(mxCELL, [1, 1], "kspace", [inner])]));
    });
    recCase("char-v5", "a char array (v5)", (f) => {
      const text = "kspace";
      const u16 = new Uint16Array([...text].map((c) => c.charCodeAt(0)));
      return Deno.writeFile(
        f,
        v5File([
          v5Matrix(mxCHAR, [1, text.length], "kspace", [
            v5Element(miUTF16, new Uint8Array(u16.buffer)),
          ]),
        ]),
      );
    });
    for (const [, , make] of kinds) await make();

    // h5py-made classes.
    const pyKinds: [string, string][] = [
      ["float16", "float16 (v7.3, h5py)"],
      ["compound3", "a 3-member compound {real, imag, extra} (v7.3, h5py)"],
      ["lzf", "complex single behind the LZF filter (v7.3, h5py)"],
      ["cell-v73", "a cell (v7.3, h5py)"],
    ];
    if (!ctx.h5py) {
      for (const [tag] of pyKinds) {
        ctx.skipped.push({ id: `class-${tag}`, reason: `${PYTHON} with h5py is not available` });
      }
    } else {
      const files = [];
      for (const [tag, what] of pyKinds) {
        const id = `class-${tag}`;
        const d = await caseDir(ctx, id);
        const f = `${d}/cine_sax_${tag}.mat`;
        files.push({
          path: f,
          kind: tag.replace("-v73", ""),
          name: "kspace",
          shape: [3, 2, 2, 24, 32],
        });
        const verify: Verify[] = tag === "float16"
          ? [{ kind: "h5-dtype", file: f, dataset: "kspace", dtype: "float16" }]
          : tag === "lzf"
          ? [{ kind: "h5-filter", file: f, dataset: "kspace", filter: "lzf" }]
          : [];
        addClassRecon(tag, what, d, f, verify);
        if (tag === "float16") {
          add(ctx, {
            id: `${id}-inspect`,
            class: "class",
            description: `k-space variable is ${what}, inspect --stats lists it with the reason`,
            argv: inspect(f),
            expect: "ok",
            names: [],
            outputIncludes: ["float16"],
          });
        }
      }
      await python(PY_MAKE, { header: toHex(ctx.v73Header), files });
    }

    // Real k-space at a dataset position.
    {
      const id = "class-real-submit";
      const data = await cineCopy(ctx, id);
      await removeEntry(`${data}/${KSPACE}`);
      await writeMatV73(`${data}/${KSPACE}`, [{
        name: "kspace_sub04",
        array: {
          dims: [96, 72, 4, 3, 12],
          matClass: "single",
          complex: false,
          data: new Float32Array(96 * 72 * 4 * 3 * 12).fill(1e-4),
        },
      }]);
      add(ctx, {
        id,
        class: "class",
        description: "real (not complex) k-space at its dataset position, submit",
        argv: submit(data, caseOut(ctx, id)),
        expect: "error",
        names: [`${data}/${KSPACE}`],
      });
    }
    // Submission files of the wrong class or container.
    const subDims = saxDims;
    const img = image(numel(subDims));
    const subCases: [string, string, (f: string) => Promise<void>, "validate" | "score"][] = [
      ["double", "class double", (f) =>
        writeMatV5(f, [{
          name: "img4ranking",
          array: {
            dims: subDims,
            matClass: "double",
            complex: false,
            data: Float64Array.from(img),
          },
        }]), "validate"],
      ["complex", "complex single", (f) => {
        const c = new Float32Array(2 * img.length);
        for (let i = 0; i < img.length; i++) c[2 * i] = img[i];
        return writeMatV5(f, [{
          name: "img4ranking",
          array: { dims: subDims, matClass: "single", complex: true, data: c },
        }]);
      }, "validate"],
      ["int16", "class int16", (f) =>
        writeMatV5(f, [{
          name: "img4ranking",
          array: {
            dims: subDims,
            matClass: "int16",
            complex: false,
            data: Float64Array.from(img, (x) => Math.round(x * 1e4)),
          },
        }]), "validate"],
      ["v73", "MAT v7.3 (HDF5) instead of v5", (f) =>
        writeMatV73(f, [{
          name: "img4ranking",
          array: { dims: subDims, matClass: "single", complex: false, data: img },
        }]), "validate"],
    ];
    for (const [tag, what, write, cmd] of subCases) {
      const id = `class-sub-${tag}`;
      const s = await subCopy(ctx, id);
      const f = `${s}/${SUB}`;
      await removeEntry(f);
      await write(f);
      add(ctx, {
        id,
        class: "class",
        description: `img4ranking of ${what}, ${cmd}`,
        argv: readSub(cmd, s, cine, cine),
        expect: "error",
        names: [f],
      });
    }
  },

  async dims(ctx) {
    const { cine, saxDims } = await ctx.base();
    {
      const id = "dims-rank3-submit";
      const data = await cineCopy(ctx, id);
      await removeEntry(`${data}/${KSPACE}`);
      await writeMatV73(`${data}/${KSPACE}`, [{
        name: "kspace_sub04",
        array: {
          dims: [96, 72, 36],
          matClass: "single",
          complex: true,
          data: smallKspace([96, 72, 36]),
        },
      }]);
      add(ctx, {
        id,
        class: "dims",
        description:
          "k-space of rank 3 (96 x 72 x 36: one slice, one frame) at a cine position, submit",
        argv: submit(data, caseOut(ctx, id)),
        expect: "error",
        names: [`${data}/${KSPACE}`],
      });
    }
    {
      const id = "dims-rank6";
      const d = await caseDir(ctx, id);
      const f = `${d}/cine_sax_rank6.mat`;
      const dims = [16, 12, 2, 2, 3, 2];
      await writeMatV73(f, [{
        name: "kspace",
        array: { dims, matClass: "single", complex: true, data: smallKspace(dims) },
      }]);
      add(ctx, {
        id,
        class: "dims",
        description: "k-space of rank 6, recon",
        argv: recon(f, `${d}/out.mat`),
        expect: "error",
        names: [f],
      });
    }
    {
      const id = "dims-zero";
      const d = await caseDir(ctx, id);
      const f = `${d}/cine_sax_zero.mat`;
      await writeMatV5(f, [{
        name: "kspace",
        array: {
          dims: [96, 0, 4, 3, 12],
          matClass: "single",
          complex: true,
          data: new Float32Array(0),
        },
      }]);
      add(ctx, {
        id,
        class: "dims",
        description: "k-space with a zero dim (96 x 0 x 4 x 3 x 12, v5), recon",
        argv: recon(f, `${d}/out.mat`),
        expect: "error",
        names: [f],
      });
    }
    const maskOf = (dims: number[]) => {
      const m = new Float64Array(numel(dims));
      for (let i = 0; i < m.length; i += 3) m[i] = 1;
      return { dims, matClass: "double" as const, complex: false, data: m };
    };
    for (const [tag, dims] of [["2d", [96, 50]], ["3d", [96, 72, 5]]] as [string, number[]][]) {
      const id = `dims-mask-${tag}`;
      const d = await caseDir(ctx, id);
      const f = `${d}/cine_sax_mask_${tag}.mat`;
      await writeMatV73(f, [{ name: "mask04", array: maskOf(dims) }]);
      add(ctx, {
        id,
        class: "dims",
        description: `mask of dims [${dims}] for 96 x 72 k-space, recon --mask`,
        argv: recon(`${cine}/${KSPACE}`, `${d}/out.mat`, f),
        expect: "error",
        names: [f],
      });
    }
    {
      const id = "dims-mask-submit";
      const data = await cineCopy(ctx, id);
      await removeEntry(`${data}/${MASK}`);
      await writeMatV73(`${data}/${MASK}`, [{ name: "mask04", array: maskOf([96, 50]) }]);
      add(ctx, {
        id,
        class: "dims",
        description: "mask of dims [96, 50] at its dataset position, submit",
        argv: submit(data, caseOut(ctx, id)),
        expect: "error",
        names: [`${data}/${MASK}`],
      });
    }
    for (const cmd of ["validate", "score"]) {
      const id = `dims-sub-${cmd}`;
      const s = await subCopy(ctx, id);
      const f = `${s}/${SUB}`;
      await removeEntry(f);
      await writeMatV5(f, [{
        name: "img4ranking",
        array: { dims: [96, 72], matClass: "single", complex: false, data: image(96 * 72) },
      }]);
      add(ctx, {
        id,
        class: "dims",
        description: `img4ranking of dims [96, 72] where [${saxDims}] is expected, ${cmd}`,
        argv: readSub(cmd, s, cine, cine),
        expect: "error",
        names: [f],
      });
    }
  },

  async nonfinite(ctx) {
    const { cine, sub, saxDims } = await ctx.base();
    // A cine_sax-sized k-space (every slice and frame, so the scored ones too) with every
    // 997th value set to NaN or Inf, written as the synthetic data is (v7.3, single complex).
    const poisoned = async (path: string, variable: string, value: number) => {
      const dims = [96, 72, 4, 3, 12];
      const data = smallKspace(dims, 11);
      for (let i = 0; i < data.length; i += 997) data[i] = value;
      await removeEntry(path);
      await writeMatV73(path, [{
        name: variable,
        array: { dims, matClass: "single", complex: true, data },
      }]);
    };
    {
      const id = "nan-kspace-recon";
      const d = await caseDir(ctx, id);
      const f = `${d}/cine_sax_nan.mat`;
      await poisoned(f, "kspace_sub04", NaN);
      add(ctx, {
        id,
        class: "nonfinite",
        description: "NaN in the k-space data, recon",
        argv: recon(f, `${d}/out.mat`),
        expect: "error",
        names: [f],
        verify: [{ kind: "h5-nonfinite", file: f, dataset: "kspace_sub04" }],
      });
      add(ctx, {
        id: "nan-kspace-inspect",
        class: "nonfinite",
        description: "NaN in the k-space data, inspect --stats must say so (and succeed)",
        argv: inspect(f),
        expect: "ok",
        names: [],
        outputIncludes: ["NaN"],
      });
    }
    {
      const id = "inf-kspace-submit";
      const data = await cineCopy(ctx, id);
      await poisoned(`${data}/${KSPACE}`, "kspace_sub04", Infinity);
      add(ctx, {
        id,
        class: "nonfinite",
        description: "Inf in the k-space data at its dataset position, submit",
        argv: submit(data, caseOut(ctx, id)),
        expect: "error",
        names: [`${data}/${KSPACE}`],
        verify: [{ kind: "h5-nonfinite", file: `${data}/${KSPACE}`, dataset: "kspace_sub04" }],
      });
    }
    {
      const id = "nan-gt-score";
      const data = await cineCopy(ctx, id);
      await poisoned(`${data}/${GT}`, "kspace_full", NaN);
      add(ctx, {
        id,
        class: "nonfinite",
        description: "NaN in the ground-truth k-space, score",
        argv: score(sub, `${data}/GroundTruth`),
        expect: "error",
        names: [`${data}/${GT}`],
        verify: [{ kind: "h5-nonfinite", file: `${data}/${GT}`, dataset: "kspace_full" }],
      });
    }
    for (
      const [tag, value, cmd] of [["nan", NaN, "validate"], ["inf", Infinity, "score"]] as [
        string,
        number,
        string,
      ][]
    ) {
      const id = `${tag}-sub-${cmd}`;
      const s = await subCopy(ctx, id);
      const f = `${s}/${SUB}`;
      const data = image(numel(saxDims));
      data[1234] = value;
      await removeEntry(f);
      await writeImg4Ranking(`${s}/Submission`, `${CINE}/cine_sax.mat`, data, saxDims, {
        allowNonFinite: true,
      });
      add(ctx, {
        id,
        class: "nonfinite",
        description: `${tag === "nan" ? "NaN" : "Inf"} in an img4ranking file, ${cmd}`,
        argv: readSub(cmd, s, cine),
        expect: "error",
        names: [f],
      });
    }
  },

  async huge(ctx) {
    const { cine, sub } = await ctx.base();
    const full = await Deno.readFile(`${cine}/${KSPACE}`);
    const patches: [string, number, bigint, string, string][] = [
      ["kx-5e7", 4, 50_000_000n, "kx = 5e7", "recon"],
      ["coils-1e5", 2, 100_000n, "coils = 1e5", "recon"],
      ["frames-1e5", 0, 100_000n, "frames = 1e5", "inspect"],
      ["frames-2p61", 0, 2n ** 61n, "frames = 2^61", "inspect"],
    ];
    for (const [tag, k, value, what, cmd] of patches) {
      const id = `huge-v73-${tag}`;
      const d = await caseDir(ctx, id);
      const f = `${d}/cine_sax_${tag}.mat`;
      const b = patchH5Dim(full, SAX_H5, k, value);
      await replaceFile(f, b);
      const shape: string[] = SAX_H5.map(String);
      shape[k] = value.toString();
      const base = {
        class: "huge",
        description: `v7.3 k-space declaring ${what} with no data behind it`,
        expect: "error" as const,
        names: [f],
        forbids: [WRONG_VAR_FIX],
        maxRssMiB: 2048,
        verify: [{ kind: "h5-shape" as const, file: f, dataset: "kspace_sub04", shape }],
      };
      addEach(ctx, base, id, [[cmd, cmd === "recon" ? recon(f, `${d}/out.mat`) : inspect(f)]]);
      if (tag === "frames-2p61") addEach(ctx, base, id, [["recon", recon(f, `${d}/out.mat`)]]);
      if (tag === "frames-1e5") {
        await addSubmitVariant(ctx, base, id, b);
        const gtData = await cineCopy(ctx, `${id}-gt`);
        const gt = patchH5Dim(await Deno.readFile(`${cine}/${GT}`), SAX_H5, 0, value);
        await replaceFile(`${gtData}/${GT}`, gt);
        add(ctx, {
          ...base,
          id: `${id}-gt`,
          description: `v7.3 ground truth declaring ${what}, score`,
          argv: score(sub, `${gtData}/GroundTruth`),
          names: [`${gtData}/${GT}`],
          verify: [],
        });
      }
    }
    // MAT v5: dims fields patched to 5e7.
    const v5 = await Deno.readFile(`${sub}/${SUB}`);
    check(new DataView(v5.buffer).getUint32(V5.dimsTag + 4, true) === 16, "v5 sub not 4-D");
    for (const cmd of ["validate", "score"]) {
      const id = `huge-v5-sub-${cmd}`;
      const s = await subCopy(ctx, id);
      const f = `${s}/${SUB}`;
      const b = v5.slice();
      new DataView(b.buffer).setInt32(V5.dims, 50_000_000, true);
      await replaceFile(f, b);
      add(ctx, {
        id,
        class: "huge",
        description: `v5 img4ranking declaring x = 5e7 (dims field patched), ${cmd}`,
        argv: readSub(cmd, s, cine),
        expect: "error",
        names: [f],
        maxRssMiB: 2048,
      });
    }
    {
      const id = "huge-v5-kspace";
      const d = await caseDir(ctx, id);
      const f = `${d}/cine_sax_v5huge.mat`;
      const b = smallKspaceV5();
      new DataView(b.buffer).setInt32(V5.dims + 16, 50_000_000, true); // slices
      await replaceFile(f, b);
      add(ctx, {
        id,
        class: "huge",
        description: "v5 complex k-space declaring 5e7 slices, recon",
        argv: recon(f, `${d}/out.mat`),
        expect: "error",
        names: [f],
        maxRssMiB: 2048,
      });
    }
  },

  async nonregular(ctx) {
    const { cine, sub } = await ctx.base();
    type K = "fifo" | "dir" | "dangling" | "loop" | "devzero";
    const make = async (path: string, kind: K) => {
      await removeEntry(path);
      if (kind === "fifo") await mkfifo(path);
      else if (kind === "dir") await Deno.mkdir(path);
      else if (kind === "dangling") await Deno.symlink(`${path}.missing`, path);
      else if (kind === "loop") await Deno.symlink(path, path);
      else await Deno.symlink("/dev/zero", path);
    };
    const kindWord: Record<K, string> = {
      fifo: "pipe|fifo",
      dir: "directory|folder",
      dangling: "link",
      loop: "loop|link",
      devzero: "device|/dev/zero|not a regular",
    };
    const kinds: [K, string][] = [
      ["fifo", "a named pipe (FIFO)"],
      ["dir", "a directory"],
      ["dangling", "a dangling symlink"],
      ["loop", "a symlink loop"],
      ["devzero", "a symlink to /dev/zero"],
    ];
    for (const [kind, what] of kinds) {
      {
        const id = `nonreg-kspace-${kind}`;
        const data = await cineCopy(ctx, id);
        await make(`${data}/${KSPACE}`, kind);
        add(ctx, {
          id,
          class: "nonregular",
          description: `${what} at a k-space position, submit`,
          argv: submit(data, caseOut(ctx, id)),
          expect: "error",
          names: [`${data}/${KSPACE}`],
          mentions: [kindWord[kind]],
          maxRssMiB: 2048,
          verify: [{ kind: "kind", file: `${data}/${KSPACE}`, is: kind }],
        });
      }
      {
        const id = `nonreg-gt-${kind}`;
        const data = await cineCopy(ctx, id);
        await make(`${data}/${GT}`, kind);
        add(ctx, {
          id,
          class: "nonregular",
          description: `${what} at a ground-truth position, score`,
          argv: score(sub, `${data}/GroundTruth`, { name: id }),
          expect: "error",
          names: [`${data}/${GT}`],
          mentions: [kindWord[kind]],
          maxRssMiB: 2048,
          verify: [{ kind: "kind", file: `${data}/${GT}`, is: kind }],
        });
      }
    }
    {
      const id = "nonreg-direct-fifo";
      const d = await caseDir(ctx, id);
      const f = `${d}/cine_sax_fifo.mat`;
      const m = `${d}/cine_sax_mask_fifo.mat`;
      await mkfifo(f);
      await mkfifo(m);
      const base = {
        class: "nonregular",
        expect: "error" as const,
        verify: [{ kind: "kind" as const, file: f, is: "fifo" as const }],
      };
      add(ctx, {
        ...base,
        id: `${id}-inspect`,
        description: "FIFO given to inspect",
        argv: inspect(f),
        names: [f],
      });
      add(ctx, {
        ...base,
        id: `${id}-recon`,
        description: "FIFO given to recon --input",
        argv: recon(f, `${d}/out.mat`),
        names: [f],
      });
      add(ctx, {
        ...base,
        id: `${id}-mask`,
        description: "FIFO given to recon --mask",
        argv: recon(`${cine}/${KSPACE}`, `${d}/out2.mat`, m),
        names: [m],
      });
    }
    {
      const id = "nonreg-mask-fifo-submit";
      const data = await cineCopy(ctx, id);
      await make(`${data}/${MASK}`, "fifo");
      add(ctx, {
        id,
        class: "nonregular",
        description: "FIFO at a mask position, submit",
        argv: submit(data, caseOut(ctx, id)),
        expect: "error",
        names: [`${data}/${MASK}`],
      });
    }
    for (const cmd of ["validate", "score"]) {
      const id = `nonreg-sub-fifo-${cmd}`;
      const s = await subCopy(ctx, id);
      await make(`${s}/${SUB}`, "fifo");
      add(ctx, {
        id,
        class: "nonregular",
        description: `FIFO at a submission file position, ${cmd}`,
        argv: readSub(cmd, s, cine),
        expect: "error",
        names: [`${s}/${SUB}`],
      });
    }
  },

  async bomb(ctx) {
    const { cine } = await ctx.base();
    // v5 miCOMPRESSED img4ranking: single 16384 x 16384 zeros (1 GiB) in about 1 MB.
    const n = 16384 * 16384;
    const head = v5MatrixHead(mxSINGLE, [16384, 16384], "img4ranking");
    const dataTag = new Uint8Array(8);
    new DataView(dataTag.buffer).setUint32(0, miSINGLE, true);
    new DataView(dataTag.buffer).setUint32(4, 4 * n, true);
    const matTag = new Uint8Array(8);
    new DataView(matTag.buffer).setUint32(0, miMATRIX, true);
    new DataView(matTag.buffer).setUint32(4, head.length + 8 + 4 * n, true);
    const z = await deflateZeros(concat([matTag, head, dataTag]), 4 * n);
    const ztag = new Uint8Array(8);
    new DataView(ztag.buffer).setUint32(0, miCOMPRESSED, true);
    new DataView(ztag.buffer).setUint32(4, z.length, true);
    const bomb = v5File([concat([ztag, z])]);
    check(bomb.length < 2 * 1024 * 1024, `v5 bomb is ${bomb.length} bytes`);
    const s = await subCopy(ctx, "bomb-v5");
    const f = `${s}/${SUB}`;
    await replaceFile(f, bomb);
    const base = {
      class: "bomb",
      expect: "error" as const,
      names: [f],
      maxRssMiB: 1024,
      verify: [{ kind: "zlib-inflates-to" as const, file: f, at: 136, atLeast: 2 ** 30 }],
    };
    add(ctx, {
      ...base,
      id: "bomb-v5-inspect",
      description: `${bomb.length} B v5 img4ranking inflating to 1 GiB (a valid file), inspect ` +
        "lists it in bounded memory",
      argv: inspect(f, false),
      expect: "ok",
      names: [],
      outputIncludes: ["16384"],
    });
    add(ctx, {
      ...base,
      id: "bomb-v5-validate",
      description: `${bomb.length} B v5 img4ranking inflating to 1 GiB, validate`,
      argv: validate(s),
      verify: [],
    });
    add(ctx, {
      ...base,
      id: "bomb-v5-score",
      description: `${bomb.length} B v5 img4ranking inflating to 1 GiB, score`,
      argv: score(s, `${cine}/GroundTruth`),
      verify: [],
    });
    // .nii.gz label: NIfTI-1 uint8 1024^3 (1 GiB) of zeros.
    const m = await ctx.baseMap();
    const d = await caseDir(ctx, "bomb-nii");
    const labels = `${d}/labels`;
    const nii = new Uint8Array(352);
    const v = new DataView(nii.buffer);
    v.setInt32(0, 348, true);
    [3, 1024, 1024, 1024, 1, 1, 1, 1].forEach((x, i) => v.setInt16(40 + 2 * i, x, true));
    v.setInt16(70, 2, true); // uint8
    v.setInt16(72, 8, true); // bitpix
    for (let i = 0; i < 4; i++) v.setFloat32(76 + 4 * i, 1, true); // pixdim
    v.setFloat32(108, 352, true); // vox_offset
    nii.set([0x6e, 0x2b, 0x31, 0], 344); // "n+1\0"
    const gz = await deflateZeros(nii, 1024 ** 3, true);
    const lf = `${labels}/MultiCoil/Mapping/ValidationSet/SegmentROI/P001/T1map_label.nii.gz`;
    await replaceFile(lf, gz);
    // A good T2 label beside it, so that only the bomb is wrong.
    const t2 = `${labels}/MultiCoil/Mapping/ValidationSet/P001/T2map_label.mat`;
    await Deno.mkdir(t2.slice(0, t2.lastIndexOf("/")), { recursive: true });
    await Deno.copyFile(`${m.map}/Labels/MultiCoil/Mapping/ValidationSet/P001/T2map_label.mat`, t2);
    add(ctx, {
      id: "bomb-nii-label",
      class: "bomb",
      description: `${gz.length} B .nii.gz T1 label inflating to 1 GiB, score --labels`,
      argv: score(m.sub, `${m.map}/GroundTruth`, { task: "mapping", labels: labels }),
      expect: "error",
      names: [lf],
      maxRssMiB: 1024,
      verify: [{ kind: "gzip-inflates-to", file: lf, atLeast: 1024 ** 3 }],
    });
  },

  async checksum(ctx) {
    const { cine, saxDims } = await ctx.base();
    const img = img4ranking5z(saxDims);
    const bad = img.slice();
    for (let i = bad.length - 4; i < bad.length; i++) bad[i] ^= 0xff; // the adler32 trailer
    for (const cmd of ["validate", "score"]) {
      const id = `adler-sub-${cmd}`;
      const s = await subCopy(ctx, id);
      const f = `${s}/${SUB}`;
      await replaceFile(f, bad);
      add(ctx, {
        id,
        class: "checksum",
        description: `compressed v5 img4ranking with a wrong adler32, ${cmd}`,
        mentions: ["adler|checksum"],
        argv: readSub(cmd, s, cine),
        expect: "error",
        names: [f],
        verify: [{ kind: "zlib-bad", file: f, at: 136 }],
      });
    }
    {
      const id = "adler-kspace";
      const d = await caseDir(ctx, id);
      const f = `${d}/cine_sax_adler.mat`;
      const k = smallKspaceV5(true);
      k[k.length - 1] ^= 0x01;
      await replaceFile(f, k);
      add(ctx, {
        id,
        class: "checksum",
        description: "compressed v5 k-space with a wrong adler32, recon",
        mentions: ["adler|checksum"],
        argv: recon(f, `${d}/out.mat`),
        expect: "error",
        names: [f],
        verify: [{ kind: "zlib-bad", file: f, at: 136 }],
      });
    }
  },

  async output(ctx) {
    const { cine, sub } = await ctx.base();
    const d = await caseDir(ctx, "output");
    const file = `${d}/a-file.txt`;
    await Deno.writeTextFile(file, "not a folder\n");
    const dir = `${d}/a-folder.mat`;
    await Deno.mkdir(dir);
    const runs: [string, string, string[], string][] = [
      ["submit-file", "submit --output naming a regular file", submit(cine, file), file],
      [
        "submit-under-file",
        "submit --output under a regular file",
        submit(cine, `${file}/out`),
        file,
      ],
      ["recon-dir", "recon --out naming a directory", recon(`${cine}/${KSPACE}`, dir), dir],
      [
        "recon-under-file",
        "recon --out under a regular file",
        recon(`${cine}/${KSPACE}`, `${file}/out.mat`),
        file,
      ],
      [
        "pack-dir",
        "pack --out naming a directory",
        pack(sub, dir),
        dir,
      ],
    ];
    for (const [tag, description, argv, name] of runs) {
      add(ctx, {
        id: `out-${tag}`,
        class: "output",
        description,
        argv,
        expect: "error",
        names: [name],
        mustExist: [file],
      });
    }
    // An output under a missing folder: refusing it and making the folder are both fine (the
    // issue asks that it be checked before any work); what must not happen is a stack trace
    // after the work, or success without the file.
    for (
      const [tag, description, argv, out] of [
        [
          "recon-missing",
          "recon --out under a missing folder",
          recon(`${cine}/${KSPACE}`, `${d}/missing-r/sub/out.mat`),
          `${d}/missing-r/sub/out.mat`,
        ],
        [
          "score-json-missing",
          "score --json under a missing folder",
          [...score(sub, `${cine}/GroundTruth`), "--json", `${d}/missing-j/scores.json`],
          `${d}/missing-j/scores.json`,
        ],
      ] as [string, string, string[], string][]
    ) {
      add(ctx, {
        id: `out-${tag}`,
        class: "output",
        description,
        argv,
        expect: "either",
        names: [out],
        produces: [out],
      });
    }
    if (Deno.uid() === 0) {
      ctx.skipped.push({
        id: "out-submit-readonly",
        reason: "running as root: a read-only folder is writable",
      });
    } else {
      const ro = `${d}/read-only`;
      await Deno.mkdir(ro);
      await Deno.chmod(ro, 0o555);
      add(ctx, {
        id: "out-submit-readonly",
        class: "output",
        description: "submit --output naming a read-only folder",
        argv: submit(cine, ro),
        expect: "error",
        names: [ro],
      });
    }
    for (const cmd of ["demo", "synth"]) {
      const id = `out-${cmd}-nonempty`;
      const c = await caseDir(ctx, id);
      const keep = `${c}/mine/precious.txt`;
      await Deno.mkdir(`${c}/mine`);
      await Deno.writeTextFile(keep, "a user's file\n");
      add(ctx, {
        id,
        class: "output",
        description: `${cmd} --out naming a folder that holds a user's file`,
        argv: cmd === "demo"
          ? ["demo", "--out", `${c}/mine`, "--method", "zerofill", "--db", `${c}/lb.sqlite`]
          : ["synth", "--out", `${c}/mine`, "--patients", "1", "--task", "cine"],
        expect: "error",
        names: [`${c}/mine`],
        mustExist: [keep],
      });
    }
  },

  async empty(ctx) {
    const { cine } = await ctx.base();
    const d = await caseDir(ctx, "empty");
    const e = `${d}/empty`;
    await Deno.mkdir(e);
    const zero = `${d}/zero-bytes.mat`;
    await Deno.writeFile(zero, new Uint8Array(0));
    const runs: [string, string, string[], string][] = [
      ["validate", "validate of an empty folder", ["validate", e], e],
      ["validate-input", "validate of an empty folder against an input", validate(e, cine), e],
      [
        "score",
        "score of an empty submission folder",
        score(e, `${cine}/GroundTruth`),
        e,
      ],
      ["pack", "pack of an empty folder", pack(e, `${d}/x.zip`), e],
      ["submit", "submit with an empty input folder", submit(e, `${d}/out`), e],
      ["score-truth", "score against an empty truth folder", score((await ctx.base()).sub, e), e],
      ["inspect-zero", "inspect of a 0-byte .mat file", inspect(zero, false), zero],
    ];
    for (const [tag, description, argv, name] of runs) {
      add(ctx, {
        id: `empty-${tag}`,
        class: "empty",
        description,
        argv,
        expect: "error",
        names: [name],
      });
    }
  },

  async concurrent(ctx) {
    const { cine, sub } = await ctx.base();
    // Four submission folders: rescoring one folder replaces its record, by design.
    const names = ["conc-a", "conc-b", "conc-c", "conc-d"];
    const runs: string[][] = [];
    for (const n of names) {
      const s = `${await caseDir(ctx, "conc-score-4")}/${n}`;
      await cloneTree(sub, s);
      runs.push(score(s, `${cine}/GroundTruth`, { name: n }));
    }
    const [first, ...rest] = runs;
    add(ctx, {
      id: "conc-score-4",
      class: "concurrent",
      description: "four scores at once recording to one leaderboard (CMRXKIT_HOME)",
      argv: first,
      alongside: rest,
      expect: "ok",
      names: [],
      after: { argv: ["leaderboard"], includes: names },
    });
    const d = await caseDir(ctx, "conc-submit-2");
    add(ctx, {
      id: "conc-submit-2",
      class: "concurrent",
      description: "two submits at once on one --output (lps, seconds of work each)",
      argv: submit(cine, `${d}/out`, "lps"),
      alongside: [submit(cine, `${d}/out`, "lps")],
      expect: "one-locked",
      names: [`${d}/out`],
    });
  },

  async resume(ctx) {
    const { cine } = await ctx.base();
    {
      // A killed run left temporary files of cmrxkit's own naming (src/tempname.ts): one
      // with a pid that is not alive, one of the older form without a pid.
      const id = "resume-stale-tmp";
      const out = `${await caseDir(ctx, id)}/out`;
      // The pid of a process that has exited: a real pid, no longer alive.
      const child = new Deno.Command("true").spawn();
      await child.status;
      const dead = child.pid;
      const stale = [`${out}/${SUB}.tmp-${dead}-0123abcd`, `${out}/${SUB}.tmp-0123456789ab`];
      await Deno.mkdir(stale[0].slice(0, stale[0].lastIndexOf("/")), { recursive: true });
      for (const f of stale) await Deno.writeFile(f, new Uint8Array(1000));
      const old = new Date(Date.now() - 3600_000);
      for (const f of stale) await Deno.utime(f, old, old);
      add(ctx, {
        id,
        class: "resume",
        description: "submit into a folder holding stale temporary files of a killed run",
        argv: submit(cine, out),
        expect: "ok",
        names: [],
        mustNotExist: stale,
        produces: [`${out}/${SUB}`],
      });
    }
    {
      // Resume must not keep results another model made: recompute or refuse naming --force.
      const id = "resume-other-model";
      const out = `${await caseDir(ctx, id)}/out`;
      add(ctx, {
        id,
        class: "resume",
        description: "submit --model grappa on a folder written by submit --model zerofill",
        setup: [submit(cine, out, "zerofill")],
        argv: submit(cine, out, "grappa"),
        expect: "either",
        names: ["--force"],
        outputExcludes: ["2 already done"],
      });
    }
  },
};

function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

// ------------------------------------------------------------------------------ verification

/** One failed claim of {@link verifyCorpus}. */
export interface VerifyFailure {
  id: string;
  claim: Verify;
  why: string;
}

/**
 * Checks that each damaged file is what its case claims, with tools independent of cmrxkit
 * (node:zlib, the file system, h5py when available). Returns the failed claims and the
 * number of claims that could not be checked here (h5py missing).
 */
export async function verifyCorpus(
  corpus: Corpus,
): Promise<{ failures: VerifyFailure[]; checked: number; unchecked: number }> {
  const failures: VerifyFailure[] = [];
  const h5: { id: string; claim: Verify }[] = [];
  let checked = 0;
  for (const c of corpus.cases) {
    for (const claim of c.verify ?? []) {
      if (claim.kind.startsWith("h5-")) {
        h5.push({ id: c.id, claim });
        continue;
      }
      const why = await verifyLocal(claim);
      checked++;
      if (why) failures.push({ id: c.id, claim, why });
    }
  }
  let unchecked = 0;
  if (h5.length && await hasH5py()) {
    const res = JSON.parse(await python(PY_VERIFY, h5.map((x) => x.claim))) as {
      ok: boolean;
      why: string;
    }[];
    res.forEach((r, i) => {
      checked++;
      if (!r.ok) failures.push({ ...h5[i], why: r.why });
    });
  } else unchecked = h5.length;
  return { failures, checked, unchecked };
}

async function verifyLocal(claim: Verify): Promise<string | null> {
  switch (claim.kind) {
    case "size": {
      const size = (await Deno.stat(claim.file)).size;
      return size === claim.size ? null : `size ${size}, not ${claim.size}`;
    }
    case "kind": {
      let st: Deno.FileInfo;
      try {
        st = await Deno.lstat(claim.file);
      } catch (e) {
        return `lstat: ${e}`;
      }
      if (claim.is === "fifo") return st.isFifo ? null : "not a FIFO";
      if (claim.is === "dir") return st.isDirectory ? null : "not a directory";
      if (!st.isSymlink) return "not a symlink";
      const target = await Deno.readLink(claim.file);
      if (claim.is === "devzero") return target === "/dev/zero" ? null : `points to ${target}`;
      try {
        await Deno.stat(claim.file);
        return "the link resolves";
      } catch (e) {
        const loop = String(e).includes("symbolic links") || String(e).includes("ELOOP");
        if (claim.is === "loop") return loop ? null : `not a loop: ${e}`;
        return e instanceof Deno.errors.NotFound ? null : `not dangling: ${e}`;
      }
    }
    case "zlib-bad": {
      const b = await Deno.readFile(claim.file);
      try {
        zlib.inflateSync(b.subarray(claim.at));
        return "node:zlib inflated it without error";
      } catch {
        return null;
      }
    }
    case "zlib-inflates-to":
    case "gzip-inflates-to": {
      const b = await Deno.readFile(claim.file);
      const z = claim.kind === "gzip-inflates-to" ? zlib.createGunzip() : zlib.createInflate();
      let total = 0;
      z.on("data", (c: Uint8Array) => (total += c.length));
      const done = new Promise<string | null>((resolve) => {
        z.on("end", () => resolve(null));
        z.on("error", (e: Error) => resolve(`inflate error: ${e.message}`));
      });
      z.end(claim.kind === "gzip-inflates-to" ? b : b.subarray(claim.at));
      const err = await done;
      if (err) return err;
      return total >= claim.atLeast ? null : `inflates to ${total} bytes only`;
    }
    default:
      return `unknown claim ${claim.kind}`;
  }
}
