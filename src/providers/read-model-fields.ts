/** Lenient readers for the optional fields of a listed model: a wrong type is ignored, not fatal. */

export function optionalString(value: unknown): string | undefined {
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

export function positiveInteger(...values: unknown[]): number | undefined {
  for (const value of values) {
    if (typeof value === "number" && Number.isSafeInteger(value) && value > 0) return value;
  }
  return undefined;
}

/** Listings that page stop after this many pages, returning what they have. */
export const MAX_LISTING_PAGES = 50;
