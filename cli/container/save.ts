/**
 * `deno task container save`: `docker save | gzip` of the image, the `teamname.tar.gz` the
 * challenge asks for, with a progress line.
 *
 * @module
 */

import { DEFAULT_TAG } from "../../src/container/context.ts";
import { detectRuntime, inspectImage, saveImage } from "../../src/container/runtime.ts";
import { Progress } from "../../src/progress.ts";
import { parseFlags } from "../flags.ts";
import { formatBytes, formatDuration } from "../print.ts";

/** `container save`: the gzipped image tarball to hand in. */
export async function containerSave(args: string[]): Promise<number> {
  const { values } = parseFlags("container", args, {
    image: { type: "string", default: DEFAULT_TAG },
    out: { type: "string" },
    engine: { type: "string" },
  });
  const runtime = await detectRuntime(values.engine);
  const info = await inspectImage(runtime, values.image!);
  const out = values.out ??
    `${values.image!.split("/").pop()!.split(":")[0].replace(/[^\w.-]/g, "_")}.tar.gz`;
  const progress = new Progress("save", info.size, "bytes");
  const t0 = performance.now();
  const size = await saveImage(
    runtime,
    values.image!,
    out,
    (n) => progress.update(Math.min(n, info.size)),
  );
  progress.update(info.size);
  console.log(
    `saved ${values.image} to ${out}: ${formatBytes(size)} (image ${formatBytes(info.size)}) in ${
      formatDuration(performance.now() - t0)
    }; load it with '${runtime.kind} load -i ${out}'`,
  );
  return 0;
}
