/**
 * Which variable of a MATLAB file holds k-space, and its geometry: what the case plan,
 * scoring and the report need before any reconstruction. Errors say what each variable is
 * and why it cannot be k-space.
 *
 * @module
 */

import { CmrxError, MatFormatError, ShapeError } from "../errors.ts";
import type { MatReader } from "../mat/read.ts";
import type { MatVarInfo } from "../mat/types.ts";

/** What cmrxkit reconstructs, for messages. */
export const KSPACE_EXPECTED: string =
  "complex single or double k-space with MATLAB dims (kx, ky, coil, slice, frame), or " +
  "(kx, ky, slice, frame) for single-coil data";

/** Names that say a variable holds k-space. */
const KSPACE_NAME = /^(kspace|kus)/;

/** What a variable stores, in words: `complex single`, `int16`, `float16`, `cell`. */
function storedAs(v: MatVarInfo): string {
  return v.stored ?? `${v.complex ? "complex " : ""}${v.matClass}`;
}

/** `'name' int16 [16 x 12 x 2]`. */
function describeVar(v: MatVarInfo): string {
  return `'${v.name}' ${storedAs(v)}${v.dims.length ? ` [${v.dims.join(" x ")}]` : ""}`;
}

/**
 * Why a variable cannot hold k-space (unreadable, or not complex), or undefined when its
 * class can. Dims are checked by {@link kspaceGeometry}.
 */
export function whyNotKspace(v: MatVarInfo): string | undefined {
  if (v.unusable) return v.unusable;
  if (!v.complex) {
    const real = v.matClass === "single" || v.matClass === "double" ? " (real)" : "";
    return `class ${v.matClass}${real} found; complex k-space is expected`;
  }
  return undefined;
}

/** The fix for a file none of whose variables can be k-space. */
function notKspaceHint(vars: MatVarInfo[]): string {
  if (vars.some((v) => v.damaged)) return "the file is damaged; download or copy it again";
  return `cmrxkit reconstructs ${KSPACE_EXPECTED}; pass the original CMRxRecon file, or ` +
    "convert the data to complex k-space (e.g. complex(re, im) in MATLAB)";
}

/**
 * The k-space variable of a file: the one named with `name`, else `kspace_*` / `kus*`, else
 * the only complex variable. Errors say what each variable is and why it cannot be
 * k-space (real or integer class, float16, cell, string, compound, damaged).
 */
export function findKspaceVariable(mat: MatReader, name?: string): MatVarInfo {
  if (name) {
    const info = mat.info(name);
    const why = whyNotKspace(info);
    if (why) {
      throw new ShapeError(`${describeVar(info)} cannot be k-space: ${why}`, {
        file: mat.file,
        hint: notKspaceHint([info]),
      });
    }
    return info;
  }
  const vars = mat.variables();
  const usable = vars.filter((v) => !whyNotKspace(v));
  const named = usable.filter((v) => KSPACE_NAME.test(v.name));
  refuseUnusableKspace(mat.file, vars, usable, named);
  const pick = named.length === 1 ? named[0] : usable.length === 1 ? usable[0] : undefined;
  if (pick) return pick;
  if (usable.length > 1) {
    const among = named.length > 1 ? named : usable;
    throw new CmrxError(
      `cannot tell which variable holds k-space: ${among.map(describeVar).join(", ")} all could`,
      { file: mat.file, hint: `name it with --var (e.g. --var ${among[0].name})` },
    );
  }
  if (vars.length === 0) {
    throw new ShapeError(`holds no variables; ${KSPACE_EXPECTED} is expected`, {
      file: mat.file,
      hint: "pass a CMRxRecon k-space file (e.g. cine_sax.mat); if it is one, it is damaged: " +
        "download or copy it again",
    });
  }
  const found = vars.map((v) => `\n  ${describeVar(v)}: ${whyNotKspace(v)}`).join("");
  throw new ShapeError(
    `no variable can be k-space; found:${found}`,
    { file: mat.file, hint: notKspaceHint(vars) },
  );
}

/**
 * Refuses to pick another variable when the k-space cannot be read: a k-space-named
 * variable that is unusable (damaged, or of a type cmrxkit does not read), or, when the
 * pick would be the only complex variable, any damaged variable (it may be the k-space).
 */
function refuseUnusableKspace(
  file: string,
  vars: MatVarInfo[],
  usable: MatVarInfo[],
  named: MatVarInfo[],
): void {
  const namedBad = vars.filter((v) => v.unusable && KSPACE_NAME.test(v.name));
  const bad = namedBad.length
    ? namedBad
    : named.length === 0 && usable.length === 1
    ? vars.filter((v) => v.damaged)
    : [];
  // with nothing usable, the caller's error lists every variable and why
  if (bad.length === 0 || usable.length === 0) return;
  const list = bad.map((v) => `${describeVar(v)}: ${v.unusable}`).join("; ");
  const others = usable.filter((v) => !bad.includes(v));
  const instead = others.length
    ? `; no other variable is reconstructed in its place (name one with --var ${
      others[0].name
    } if that is what you mean)`
    : "";
  if (bad.some((v) => v.damaged)) {
    throw new MatFormatError(
      `${namedBad.length ? "the k-space" : "a variable that may be the k-space"} cannot be ` +
        `read: ${list}${instead}`,
      { file, hint: "the file is damaged; download or copy it again" },
    );
  }
  throw new ShapeError(`the k-space cannot be read: ${list}${instead}`, {
    file,
    hint: `cmrxkit reads ${KSPACE_EXPECTED}` +
      (others.length
        ? `; to reconstruct another variable, name it with --var ${others[0].name}`
        : ""),
  });
}

/** Sizes of a k-space variable; `single` when it has no coil dim. */
export interface KspaceGeometry {
  /** Readout size, MATLAB dim 1 (kx). */
  nx: number;
  /** Phase-encode size, MATLAB dim 2 (ky). */
  ny: number;
  /** Coils: MATLAB dim 3 for multi-coil data, 1 for single-coil data. */
  nc: number;
  /** Slices (1 when the dim is absent). */
  nz: number;
  /** Frames (cine) or weightings (mapping); 1 when the dim is absent. */
  nt: number;
  /** True for single-coil data, MATLAB dims `(kx, ky, slice, frame)` without a coil dim. */
  single: boolean;
}

/**
 * Refuses dims that cannot be real: zero (empty) or not safe integers. Dims with more data
 * than the file holds never get here: the readers list such variables as damaged (MAT
 * v7.3 against the file's size, MAT v5 against the bytes its data elements hold).
 */
function checkDims(info: MatVarInfo, file: string): void {
  const d = info.dims;
  if (!d.every((n) => Number.isSafeInteger(n) && n >= 1)) {
    const why = d.some((n) => n === 0) ? "it is empty" : "the dims are corrupt";
    throw new ShapeError(`'${info.name}' has dims [${d.join(" x ")}]: ${why}`, {
      file,
      hint: "the file is damaged or not k-space; download or copy it again",
    });
  }
}

/**
 * K-space geometry from MATLAB dims: multi-coil
 * `(kx, ky, coil, slice, frame)`, single-coil `(kx, ky, slice, frame)` — single-coil when
 * `singleCoil` says so, else when the variable (`kspace_single_*`) or the path
 * (`/SingleCoil/`) says so. Empty or corrupt (not safe integer) dims are refused.
 */
export function kspaceGeometry(
  info: MatVarInfo,
  file: string,
  singleCoil?: boolean,
): KspaceGeometry {
  const d = info.dims;
  checkDims(info, file);
  const single = singleCoil ?? (/single/.test(info.name) || /(^|\/)SingleCoil\//.test(file));
  if (single) {
    if (d.length < 2 || d.length > 4) {
      throw new ShapeError(
        `'${info.name}' has dims [${
          d.join(", ")
        }]; expected (kx, ky, slice, frame) for single-coil k-space`,
        { file, hint: "pass a CMRxRecon single-coil k-space file, or --coil multi" },
      );
    }
    return { nx: d[0], ny: d[1], nc: 1, nz: d[2] ?? 1, nt: d[3] ?? 1, single };
  }
  if (d.length < 3 || d.length > 5) {
    throw new ShapeError(
      `'${info.name}' has dims [${d.join(", ")}]; expected (kx, ky, coil, slice, frame)`,
      { file, hint: "pass a CMRxRecon k-space file" },
    );
  }
  return { nx: d[0], ny: d[1], nc: d[2], nz: d[3] ?? 1, nt: d[4] ?? 1, single };
}
