/**
 * Pipeline overhead per full-size cine_sax file, the model excluded: read + FFT + RSS +
 * reduction + write through `submit` with the zero-filled method, against a
 * numpy/h5py/scipy script doing the same work (bench/pipeline_python.py), in one run.
 *
 * Usage: deno task bench pipeline [--repeats 3]
 * Two variants, each side doing identical work: validation (the two ranking slices, all
 * frames, run4Ranking, img4ranking) and test (every slice, full-size image).
 * Data: .cache/bench/score-p1 (made by `deno task bench score`; made here when missing).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { discover } from "../src/challenge/layout.ts";
import { submit } from "../src/pipeline/submit.ts";
import { getMethod } from "../src/recon/registry.ts";
import { synthesize } from "../src/synth/dataset.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { repeats: { type: "string", default: "3" } },
});
const repeats = Number(values.repeats);
const data = ".cache/bench/score-p1/data";
try {
  await Deno.stat(`${data}/MultiCoil`);
} catch {
  console.error(`making the full-size validation dataset in ${data} (once) ...`);
  await Deno.remove(".cache/bench/score-p1", { recursive: true }).catch(() => {});
  await synthesize({ out: data, size: "full", patients: 1, seed: 21, splits: ["validation"] });
}
const { cases } = await discover(data, { split: "validation", task: "cine", acc: [4] });
const sax = cases.find((c) => c.view === "sax")!;
const work = await Deno.makeTempDir({ prefix: "cmrxkit-pipe-" });
// A one-file dataset so that submit processes exactly this file.
const one = `${work}/in/MultiCoil/Cine/ValidationSet/AccFactor04/P001`;
await Deno.mkdir(one, { recursive: true });
await Deno.symlink(Deno.realPathSync(sax.file), `${one}/cine_sax.mat`);
await Deno.symlink(Deno.realPathSync(sax.maskFile!), `${one}/cine_sax_mask.mat`);
const testIn = `${work}/in-test/MultiCoil/Cine/TestSet/AccFactor04/P001`;
await Deno.mkdir(testIn, { recursive: true });
await Deno.symlink(Deno.realPathSync(sax.file), `${testIn}/cine_sax.mat`);
await Deno.symlink(Deno.realPathSync(sax.maskFile!), `${testIn}/cine_sax_mask.mat`);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `one full-size cine_sax file (512 x 246 x 10 coils x 10 slices x 12 frames), zero-filled, median of ${repeats}`,
);
for (const split of ["validation", "test"] as const) {
  const ours: number[] = [], ref: number[] = [];
  for (let r = 0; r < repeats + 1; r++) {
    const out = `${work}/out-${split}-${r}`;
    const t0 = performance.now();
    await submit({
      input: `${work}/${split === "validation" ? "in" : "in-test"}`,
      output: out,
      task: "cine",
      split,
      select: () => getMethod("zerofill"),
    });
    const secs = (performance.now() - t0) / 1000;
    const py = await new Deno.Command("/usr/bin/python3", {
      args: [
        new URL("./pipeline_python.py", import.meta.url).pathname,
        sax.file,
        `${work}/py-${split}.mat`,
        split,
      ],
    }).output();
    if (!py.success) throw new Error(new TextDecoder().decode(py.stderr));
    if (r === 0) continue; // warm-up (page cache, JIT)
    ours.push(secs);
    ref.push(JSON.parse(new TextDecoder().decode(py.stdout)).seconds);
  }
  const o = median(ours), p = median(ref);
  console.log(
    `  ${split.padEnd(10)} cmrxkit submit ${o.toFixed(2)} s   numpy/h5py/scipy ${
      p.toFixed(2)
    } s   ratio ${(p / o).toFixed(2)}x (> 1: cmrxkit faster)`,
  );
}
console.log(
  "  (cmrxkit's time includes discovery, resume checks, the run log and validating its output)",
);
await Deno.remove(work, { recursive: true });
