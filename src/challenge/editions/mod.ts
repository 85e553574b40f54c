/**
 * The editions cmrxkit knows, by year. Ask {@link editionOf} for the rules of a year; the
 * machinery never branches on a year itself.
 *
 * ```ts
 * const e = editionOf(2023);
 * e.limits.gpuMemoryBytes;        // 24 GiB
 * e.frameRule("cine_sax", false); // "first3"
 * ```
 *
 * @module
 */

import { UsageError } from "../../errors.ts";
import type { Edition, Year } from "../edition.ts";
import { EDITION_2023 } from "./2023.ts";
import { EDITION_2024 } from "./2024.ts";
import { EDITION_2025 } from "./2025.ts";

export { EDITION_2023, EDITION_2024, EDITION_2025 };

/**
 * The edition assumed when none is given and none can be told from the files: the one cmrxkit
 * supports end to end today.
 */
export const DEFAULT_YEAR: Year = 2023;

/** Every edition, oldest first. */
export const EDITIONS: readonly Edition[] = [EDITION_2023, EDITION_2024, EDITION_2025];

/** The years of {@link EDITIONS}. */
export const YEARS: readonly Year[] = EDITIONS.map((e) => e.year);

/** The rules of a year. */
export function editionOf(year: Year): Edition {
  const e = EDITIONS.find((x) => x.year === year);
  if (!e) {
    throw new UsageError(`no CMRxRecon edition ${year}`, {
      hint: `use one of ${YEARS.join(", ")}`,
    });
  }
  return e;
}

/** What a command needs of an edition. */
export type EditionCapability = keyof Edition["supports"];

/**
 * The edition of a year, refused with a clear error when cmrxkit cannot yet do `what` with
 * it (every edition supports every capability today).
 */
export function editionFor(year: Year, what: EditionCapability): Edition {
  const e = editionOf(year);
  if (!e.supports[what]) {
    throw new UsageError(`${what} does not support the ${e.title} rules yet`, {
      hint: `${e.unsupported}; use --year ${
        EDITIONS.filter((x) => x.supports[what]).map((x) => x.year).join(" or ")
      }`,
    });
  }
  return e;
}
