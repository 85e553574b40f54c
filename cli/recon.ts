/**
 * `deno task recon --input FILE.mat --method NAME --out FILE.mat`: reconstruct one k-space
 * file with a classical method, outside the submission pipeline.
 *
 * @module
 */

import { CmrxError, UsageError } from "../src/errors.ts";
import { openMat } from "../src/mat/read.ts";
import { writeMatV5 } from "../src/mat/v5.ts";
import { writeMatV73 } from "../src/mat/v73.ts";
import { Progress } from "../src/progress.ts";
import { getMethod, methodNames } from "../src/recon/registry.ts";
import { defaultWorkers, SlicePool } from "../src/recon/pool.ts";
import { findKspaceVariable, reconstructFile } from "../src/recon/run.ts";
import { type Command, formatDuration, intFlag, parseFlags } from "./command.ts";

export const recon: Command = {
  name: "recon",
  summary: "reconstruct one k-space file with a classical method (zerofill, sense, grappa, lps)",
  help: `Usage: deno task recon --input FILE.mat --method NAME --out FILE.mat [--mask FILE.mat]
                        [--format v5|v73] [--var NAME] [--mask-var NAME] [--kind cine|mapping]
                        [--coil multi|single]

Reconstructs every slice and frame of a k-space file (MATLAB dims kx, ky, coil, slice,
frame) and writes the coil-combined magnitude, full size, class single, MATLAB dims
(x, y, slice, frame), as variable 'img'.

  --method NAME   ${methodNames().join(", ")}
  --mask FILE     the mask file (e.g. cine_sax_mask.mat); default: the sampled lines are
                  read off the k-space itself (non-zero lines)
  --format        v5 (default; what scipy.io.loadmat reads) or v73 (HDF5)
  --kind          cine (default; frames of a cycle) or mapping (weightings); default from
                  the file name (T1map / T2map are mapping)
  --workers N     slices reconstructed in parallel (default: the number of cores)

Example:
  deno task recon --input data/MultiCoil/Cine/ValidationSet/AccFactor08/P001/cine_sax.mat \\
    --mask data/MultiCoil/Cine/ValidationSet/AccFactor08/P001/cine_sax_mask.mat \\
    --method zerofill --out sax_zf.mat`,
  async run(args) {
    const { values } = parseFlags("recon", args, {
      input: { type: "string" },
      mask: { type: "string" },
      method: { type: "string", default: "zerofill" },
      out: { type: "string" },
      format: { type: "string", default: "v5" },
      var: { type: "string" },
      "mask-var": { type: "string" },
      kind: { type: "string" },
      coil: { type: "string" },
      workers: { type: "string" },
    });
    if (!values.input || !values.out) {
      throw new UsageError("recon: --input FILE.mat and --out FILE.mat are required", {
        hint: "deno task recon --help",
      });
    }
    if (values.format !== "v5" && values.format !== "v73") {
      throw new UsageError("recon: --format must be v5 or v73");
    }
    if (values.kind && values.kind !== "cine" && values.kind !== "mapping") {
      throw new UsageError("recon: --kind must be cine or mapping");
    }
    if (values.coil && values.coil !== "multi" && values.coil !== "single") {
      throw new UsageError("recon: --coil must be multi or single");
    }
    const method = getMethod(values.method!);
    using mat = await openMat(values.input);
    const info = findKspaceVariable(mat, values.var);
    let mask: { data: Float32Array | Float64Array; dims: number[] } | undefined;
    if (values.mask) {
      using mm = await openMat(values.mask);
      const vars = mm.variables();
      const mv = values["mask-var"] ??
        (vars.length === 1 ? vars[0].name : vars.find((v) => /^mask/.test(v.name))?.name);
      if (!mv) {
        throw new CmrxError(
          `cannot tell which variable is the mask (found: ${vars.map((v) => v.name).join(", ")})`,
          {
            file: values.mask,
            hint: "name it with --mask-var",
          },
        );
      }
      const m = mm.read(mv);
      mask = { data: m.data, dims: m.dims };
    }
    const kind = (values.kind as "cine" | "mapping" | undefined) ??
      (/T[12]map/i.test(values.input) ? "mapping" : "cine");
    const t0 = performance.now();
    let progress: Progress | null = null;
    using pool = new SlicePool(
      values.workers ? intFlag("recon", "workers", values.workers, 1) : defaultWorkers(),
    );
    const { image, dims } = await reconstructFile(mat, method, {
      pool,
      variable: info.name,
      mask,
      kind,
      singleCoil: values.coil ? values.coil === "single" : undefined,
      onSlice: (done, total) => {
        progress ??= new Progress(`recon ${method.name}`, total, "slices");
        progress.update(done);
      },
    });
    const array = { dims, matClass: "single" as const, complex: false, data: image };
    if (values.format === "v5") await writeMatV5(values.out, [{ name: "img", array }]);
    else await writeMatV73(values.out, [{ name: "img", array }]);
    console.log(
      `${values.out}: img [${dims.join(" x ")}] (x, y, slice, frame), ${method.name}, ${
        formatDuration(performance.now() - t0)
      }`,
    );
    return 0;
  },
};
