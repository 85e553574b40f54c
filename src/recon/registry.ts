/**
 * The classical reconstruction methods by name, as `--method` selects them.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
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
 * The method used when none is named: the best classical method measured on synthetic
 * full-size data (see docs/benchmarks.md) for multi-coil, and one that needs no coil
 * redundancy for single-coil.
 */
export function defaultMethodFor(coil: "MultiCoil" | "SingleCoil"): string {
  return coil === "MultiCoil" ? "grappa" : "lps";
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
