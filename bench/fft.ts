/**
 * Centred 2-D FFT speed: cmrxkit's TypeScript `ifft2c` against numpy (Debian python3-numpy,
 * pocketfft) on the same complex64 data, in one run, plus the agreement of the results.
 *
 * Usage: deno task bench fft [--reps 20]
 * Sizes: 512 x 246 (cine SAX readout x phase), 448 x 204 (LAX), 448 x 162 (mapping);
 * 10 images per call (the 10 coils of one frame), median of the repeats.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { ifft2c } from "../src/kspace/fft.ts";
import { Rng } from "../src/synth/random.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { reps: { type: "string", default: "20" } },
});
const reps = Number(values.reps);
const count = 10;
const dir = await Deno.makeTempDir({ prefix: "cmrxkit-fft-" });
console.log(
  `ifft2c per image (median of ${reps} calls of ${count} images), cmrxkit vs numpy ${await numpyVersion()}`,
);
console.log(
  `  ${"size".padEnd(10)} ${"cmrxkit".padStart(9)} ${"numpy ifft2c".padStart(13)} ${
    "numpy ifft2".padStart(12)
  }  ratio (numpy ifft2c / cmrxkit)  max rel err`,
);
for (const [nx, ny] of [[512, 246], [448, 204], [448, 162]]) {
  const rng = new Rng(nx * ny);
  const x = new Float32Array(2 * nx * ny * count).map(() => rng.gaussian());
  const file = `${dir}/x.bin`;
  await Deno.writeFile(file, new Uint8Array(x.buffer));
  const out = new Float32Array(x.length);
  for (let i = 0; i < 3; i++) ifft2c(x, nx, ny, count, out);
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    ifft2c(x, nx, ny, count, out);
    times.push((performance.now() - t0) / 1000 / count);
  }
  const ours = times.sort((a, b) => a - b)[Math.floor(reps / 2)];
  const py = await new Deno.Command("/usr/bin/python3", {
    args: [
      new URL("./fft_numpy.py", import.meta.url).pathname,
      file,
      String(nx),
      String(ny),
      String(count),
      String(reps),
    ],
  }).output();
  if (!py.success) throw new Error(new TextDecoder().decode(py.stderr));
  const ref = JSON.parse(new TextDecoder().decode(py.stdout));
  const np = new Float32Array((await Deno.readFile(`${file}.numpy`)).buffer);
  let err = 0, norm = 0;
  for (let i = 0; i < np.length; i++) {
    err = Math.max(err, Math.abs(np[i] - out[i]));
    norm = Math.max(norm, Math.abs(np[i]));
  }
  const ms = (s: number) => `${(s * 1000).toFixed(2)} ms`;
  console.log(
    `  ${`${nx}x${ny}`.padEnd(10)} ${ms(ours).padStart(9)} ${ms(ref.ifft2c).padStart(13)} ${
      ms(ref.ifft2).padStart(12)
    }  ${(ref.ifft2c / ours).toFixed(2)}x (${
      ours <= ref.ifft2c ? "cmrxkit faster" : `cmrxkit ${(ours / ref.ifft2c).toFixed(2)}x slower`
    })`.padEnd(62) +
      ` ${(err / norm).toExponential(1)}`,
  );
}
await Deno.remove(dir, { recursive: true });

async function numpyVersion(): Promise<string> {
  const o = await new Deno.Command("/usr/bin/python3", {
    args: ["-c", "import numpy; print(numpy.__version__)"],
  }).output();
  return new TextDecoder().decode(o.stdout).trim();
}
