/** Normalizers for the few values each dialect returns in its own shape (see schema.ts). */

export function toDate(value: Date | string): Date {
  return value instanceof Date ? value : new Date(value);
}

export function toDateOrNull(value: Date | string | null): Date | null {
  return value === null ? null : toDate(value);
}

export function toBool(value: boolean | number): boolean {
  return value === true || value === 1;
}

export function parseJson<T = unknown>(value: unknown): T | null {
  if (value === null || value === undefined) return null;
  return (typeof value === "string" ? JSON.parse(value) : value) as T;
}
