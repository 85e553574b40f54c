/**
 * The reconstruction worker of {@link SlicePool}: rebuilds a method by name from the
 * registry and reconstructs the slices it is sent.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { errorMessage } from "../errors.ts";
import { getMethod } from "./registry.ts";
import type { Reconstructor, SliceInput } from "../kspace/slice.ts";

const cache = new Map<string, Reconstructor>();

self.onmessage = async (e: MessageEvent<{ spec: string; input: SliceInput }>) => {
  const { spec, input } = e.data;
  try {
    let m = cache.get(spec);
    if (!m) {
      m = getMethod(spec);
      cache.set(spec, m);
    }
    const out = await m.reconstruct(input);
    const image = out.image;
    self.postMessage(
      { image, info: out.info, kspace: input.kspace },
      [image.buffer as ArrayBuffer, input.kspace.buffer as ArrayBuffer],
    );
  } catch (err) {
    self.postMessage({
      error: errorMessage(err),
      name: err instanceof Error ? err.name : "Error",
    });
  }
};
