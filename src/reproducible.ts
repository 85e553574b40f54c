/**
 * Reproducible outputs: the dates cmrxkit writes into files (the MAT header's "Created on",
 * zip entry times) do not come from the clock, so two runs on the same input give the same
 * bytes. `SOURCE_DATE_EPOCH` (whole seconds since 1970, the reproducible-builds convention)
 * overrides the fixed epoch.
 *
 * @module
 */

/** The fixed date written when `SOURCE_DATE_EPOCH` is not set: 1980-01-01 00:00:00 UTC, the
 * earliest time a zip entry can hold. */
export const FIXED_EPOCH = new Date(Date.UTC(1980, 0, 1, 0, 0, 0));

/** `SOURCE_DATE_EPOCH` as a date, when set to whole seconds and readable; else `null`. */
export function sourceDateEpoch(): Date | null {
  let v: string | undefined;
  try {
    v = typeof Deno !== "undefined" ? Deno.env.get("SOURCE_DATE_EPOCH") : undefined;
  } catch {
    return null; // no --allow-env
  }
  return v && /^\d+$/.test(v.trim()) ? new Date(Number(v.trim()) * 1000) : null;
}

/** The date to write into an output file: `SOURCE_DATE_EPOCH`, else {@link FIXED_EPOCH}. */
export function outputDate(): Date {
  return sourceDateEpoch() ?? FIXED_EPOCH;
}
