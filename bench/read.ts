/**
 * Read throughput of a full-size cine_sax k-space file (MAT v7.3, 512 x 246 x 10 coils x
 * 10 slices x 12 frames, ~1.2 GB), slice by slice, cmrxkit (h5wasm hyperslabs) against
 * h5py (Debian python3-h5py) on the same file, in one run.
 *
 * Usage: deno task bench read [--repeats 3] [--file PATH] [--deflate N]
 * The file is synthesised once into .cache/bench/ (or taken from --file).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type MatReader, openMat } from "../src/mat/read.ts";
import { synthesizeKspaceFile } from "../src/synth/dataset.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    repeats: { type: "string", default: "3" },
    file: { type: "string" },
  },
});
const repeats = Number(values.repeats);
const file = values.file ?? ".cache/bench/cine_sax_full.mat";
const variable = "kspace_full";

try {
  await Deno.stat(file);
} catch {
  await Deno.mkdir(file.slice(0, file.lastIndexOf("/")), { recursive: true });
  console.error(`synthesising ${file} (full-size cine_sax, once) ...`);
  const t = performance.now();
  await synthesizeKspaceFile(file, "cine_sax", "full", 11);
  console.error(`  done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const size = (await Deno.stat(file)).size;

/** One pass over all slices of an opened file; only the reads are timed. */
function readOurs(mat: MatReader, reuse: boolean): { secs: number; bytes: number } {
  const [nx, ny, nc, nz, nt] = mat.info(variable).dims;
  const out = reuse ? new Float32Array(2 * nx * ny * nc * nt) : undefined;
  const t0 = performance.now();
  let bytes = 0;
  for (let z = 0; z < nz; z++) {
    const slab = mat.readSlab(variable, [undefined, undefined, undefined, z], { out });
    bytes += slab.data.byteLength;
  }
  return { secs: (performance.now() - t0) / 1000, bytes };
}

async function runH5py(n: number): Promise<{ raw: number[]; complex: number[]; bytes: number }> {
  const out = await new Deno.Command("/usr/bin/python3", {
    args: [new URL("./read_h5py.py", import.meta.url).pathname, file, variable, String(n)],
  }).output();
  if (!out.success) {
    throw new Error(`h5py reference failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

// Warm the page cache so both readers see the same conditions.
await runH5py(1);
const reuse: number[] = [];
const fresh: number[] = [];
let bytes = 0;
let rssReuse = 0;
for (let r = 0; r < repeats + 1; r++) {
  using mat = await openMat(file);
  const res = readOurs(mat, true);
  if (r > 0) reuse.push(res.secs); // the first pass warms h5wasm
  bytes = res.bytes;
  rssReuse = Math.max(rssReuse, Deno.memoryUsage().rss);
}
for (let r = 0; r < repeats; r++) {
  using mat = await openMat(file);
  fresh.push(readOurs(mat, false).secs);
}
const ref = await runH5py(repeats);
const mib = bytes / 1024 ** 2;
const o = median(reuse), f = median(fresh), h = median(ref.raw), hc = median(ref.complex);
const row = (label: string, secs: number) =>
  console.log(
    `  ${label.padEnd(58)} ${secs.toFixed(3)} s  ${(mib / secs).toFixed(0).padStart(5)} MiB/s`,
  );
console.log(
  `file: ${file} (${(size / 1024 ** 3).toFixed(2)} GiB, dims 512x246x10x10x12), ` +
    `read slice by slice (all coils and frames of one slice per read), ${repeats} repeats, medians`,
);
row("cmrxkit readSlab, reused output buffer ({ out })", o);
row("cmrxkit readSlab, new array per slice", f);
row("h5py ds[:, z] (raw {real, imag} records)", h);
row("h5py ds[:, z] + complex64 conversion (official loaders)", hc);
console.log(
  `  ratio h5py raw / cmrxkit (reused buffer):   ${(h / o).toFixed(2)}x  (> 1: cmrxkit faster)`,
);
console.log(`  ratio h5py raw / cmrxkit (new array):       ${(h / f).toFixed(2)}x`);
console.log(`  ratio h5py complex64 / cmrxkit (reused):    ${(hc / o).toFixed(2)}x`);
console.log(
  `  cmrxkit peak RSS while streaming with a reused buffer: ${
    (rssReuse / 1024 ** 2).toFixed(0)
  } MiB ` +
    `(file ${(size / 1024 ** 2).toFixed(0)} MiB, one slab ${(mib / 10).toFixed(0)} MiB)`,
);
