/** A run manifest as `deno task submit` writes it, for the tests of the commands that read it. */

import type { RunManifest } from "../../src/pipeline/run_manifest.ts";

/** A complete manifest (cine, validation, 2023, zerofill) with `over` applied. */
export function runManifest(over: Partial<RunManifest> = {}): RunManifest {
  return {
    tool: "cmrxkit",
    version: 1,
    task: "cine",
    split: "validation",
    year: 2023,
    coil: null,
    acc: null,
    model: "zerofill",
    input: { path: "/nowhere", files: 0, fingerprint: "0" },
    options: {},
    ...over,
  };
}
