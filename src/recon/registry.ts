/**
 * The classical reconstruction methods by name, as `--method` selects them.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import type { KtPattern } from "../kspace/masks_kt.ts";
import type { Reconstructor } from "../kspace/slice.ts";
import { createGrappa } from "./grappa.ts";
import { createLps } from "./lps.ts";
import { createSense } from "./sense.ts";
import { createZeroFilled } from "./zerofill.ts";

/**
 * Method name -> a fresh reconstructor with default parameters. Every method module exports
 * one factory, `createX(options?)`.
 */
const METHODS: Record<string, () => Reconstructor> = {
  zerofill: () => createZeroFilled(),
  grappa: () => createGrappa(),
  sense: () => createSense(),
  lps: () => createLps(),
};

/**
 * The method used when none is named: for multi-coil data with the 2023 line mask (the same
 * lines in every frame, `uniform`), the best classical method measured on synthetic
 * full-size data (GRAPPA, see docs/benchmarks.md); for k-t masks (`ktUniform`,
 * `ktGaussian`, `ktRadial`: the samples change from frame to frame), L+S, which gains most
 * from them and has the best PSNR in every k-t row of `deno task bench kt` but ktRadial at
 * R 8, where SENSE is level (docs/editions.md); GRAPPA also refuses ktRadial, which is not a
 * line pattern. For single-coil data, L+S, which
 * needs no coil redundancy.
 *
 * @param coil the coil configuration
 * @param mask the kind of the sampling mask (default `uniform`)
 */
export function defaultMethodFor(
  coil: "MultiCoil" | "SingleCoil",
  mask: KtPattern = "uniform",
): string {
  return coil === "MultiCoil" && mask === "uniform" ? "grappa" : "lps";
}

/** Names of the available classical methods. */
export function methodNames(): string[] {
  return Object.keys(METHODS);
}

/** The method called `name`, or a {@link UsageError} listing the available ones. */
export function getMethod(name: string): Reconstructor {
  const make = METHODS[name];
  if (!make) {
    throw new UsageError(`unknown method '${name}'`, {
      hint: `choose one of: ${methodNames().join(", ")}`,
    });
  }
  const r = make();
  return {
    name: r.name,
    description: r.description,
    singleCoil: r.singleCoil,
    spec: name,
    reconstruct: (input) => r.reconstruct(input),
  };
}
