/**
 * The trial of issue 19, repeated: a team's own small PyTorch model
 * (`tests/models/trial/trial_model.py`: a residual CNN with data consistency) exported in
 * every layout cmrxkit supports, each with a hand-written manifest, goes through `submit`
 * (checks before the run, every case, validation), and
 *
 * - the parity harness (`models check` + its `check_parity.py`) shows the graph cmrxkit ran
 *   gives what the PyTorch module gives on exactly the inputs cmrxkit fed, within 1e-5 of
 *   the output's maximum;
 * - the same PyTorch module served as an external process (clients/python/cmrxkit_model.py)
 *   writes the same submission as the ONNX graph, within 1e-5 of its maximum.
 *
 * Needs Debian's python3-torch (and numpy): skipped with a notice where it is absent.
 */
import assert from "node:assert/strict";
import { readMatVar } from "../../src/mat/read.ts";
import { parityCheck } from "../../src/pipeline/parity.ts";
import { submitWithModels } from "../../src/pipeline/run.ts";
import { synthesize } from "../../src/synth/dataset.ts";
import { hasTorch, PYTHON, ROOT } from "../train/python.ts";
import { maxRel } from "./fixtures.ts";

const TRIAL = `${ROOT}tests/models/trial/trial_model.py`;
const LAYOUTS = [
  "trial-kspace", // k-space + mask + coil maps, B,T,C,Y,X,2
  "trial-image", // zero-filled image, B,T,Y,X,2
  "trial-magnitude", // zero-filled RSS magnitude in and out, B,T,Y,X
  "trial-2tchannel", // frames and (re, im) on one channel axis, B,T*2,Y,X
  "trial-window", // 5-frame window, only the centre frame returned
  "trial-dft", // the k-space model exported with ONNX DFT nodes
];

let ready: Promise<{ root: string; data: string; models: string }> | null = null;

/** Synthetic data and the exported models, made once for every test of the file. */
function setup() {
  ready ??= (async () => {
    const root = await Deno.makeTempDir({ prefix: "cmrxkit-trial-" });
    globalThis.addEventListener("unload", () => {
      try {
        Deno.removeSync(root, { recursive: true });
      } catch { /* gone */ }
    });
    const data = `${root}/data`;
    await synthesize({ out: data, size: "small", seed: 21, patients: 1, splits: ["validation"] });
    const models = `${root}/models`;
    const out = await new Deno.Command(PYTHON, { args: [TRIAL, "export", models] }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    return { root, data, models };
  })();
  return ready;
}

function submitTo(data: string, model: string, output: string, notices: string[]) {
  return submitWithModels({
    input: data,
    output,
    task: "cine",
    split: "validation",
    acc: [4],
    model,
    workers: 1,
    engine: { device: "cpu" },
    onNotice: (m) => notices.push(m),
    onEngineNotice: (m) => notices.push(m),
  });
}

async function matFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, rel: string) => {
    for await (const e of Deno.readDir(d)) {
      if (e.isDirectory) await walk(`${d}/${e.name}`, `${rel}${e.name}/`);
      else if (e.name.endsWith(".mat")) out.push(`${rel}${e.name}`);
    }
  };
  await walk(dir, "");
  return out.sort();
}

for (const name of LAYOUTS) {
  Deno.test({
    name: `trial ${name}: submit, PyTorch parity on the fed inputs, and the external process`,
    ignore: !hasTorch,
    async fn() {
      const { root, data, models } = await setup();
      // 1. the ONNX export through submit: checks before the run, every case, validation
      const notices: string[] = [];
      const graphOut = `${root}/out-${name}`;
      const s = await submitTo(data, `${models}/${name}.json`, graphOut, notices);
      assert.deepEqual(s.failed, []);
      assert.equal(s.written, 2, "cine sax and lax");
      assert.ok(s.validation?.ok, JSON.stringify(s.validation));
      assert.ok(
        notices.some((n) => n.includes(`model ${name}: graph matches`)),
        notices.join("\n"),
      );

      // 2. parity: what cmrxkit fed and got, against the PyTorch module on the same inputs
      const parity = `${root}/parity-${name}`;
      const r = await parityCheck({
        model: `${models}/${name}.json`,
        models: [],
        data,
        out: parity,
        split: "validation",
        slices: 1,
      });
      assert.ok(r.runs.length >= 1);
      const check = await new Deno.Command(PYTHON, {
        args: [
          `${parity}/check_parity.py`,
          "--module",
          TRIAL,
          "--factory",
          "build_model",
          "--kwargs",
          JSON.stringify({ name }),
          "--tolerance",
          "1e-5",
        ],
      }).output();
      const text = new TextDecoder().decode(check.stdout) + new TextDecoder().decode(check.stderr);
      assert.equal(check.code, 0, text);
      const rel = Number(/largest relative difference ([\d.e+-]+)/.exec(text)?.[1]);
      assert.ok(rel <= 1e-5, text);
      console.log(`  ${name}: ONNX vs PyTorch on the fed inputs, max rel ${rel.toExponential(2)}`);

      // 3. the same PyTorch module as an external process: the same submission
      const procNotices: string[] = [];
      const procOut = `${root}/out-${name}-process`;
      const p = await submitTo(data, `${models}/${name}-process.json`, procOut, procNotices);
      assert.deepEqual(p.failed, []);
      assert.equal(p.written, 2);
      assert.ok(p.validation?.ok);
      assert.ok(
        procNotices.some((n) => /external process of .* started/.test(n)),
        procNotices.join("\n"),
      );
      assert.ok(
        procNotices.some((n) => /\(external process, pid \d+\): \d+ call\(s\).*GPU memory/.test(n)),
        procNotices.join("\n"),
      );
      const files = await matFiles(graphOut);
      assert.deepEqual(await matFiles(procOut), files);
      let worst = 0;
      for (const f of files) {
        const a = await readMatVar(`${procOut}/${f}`, "img4ranking");
        const b = await readMatVar(`${graphOut}/${f}`, "img4ranking");
        assert.deepEqual(a.dims, b.dims);
        worst = Math.max(worst, maxRel(Float32Array.from(a.data), Float32Array.from(b.data)));
      }
      assert.ok(worst <= 1e-5, `process vs ONNX submission: max rel ${worst}`);
      console.log(
        `  ${name}: external process vs ONNX submission, max rel ${worst.toExponential(2)}`,
      );
    },
  });
}
