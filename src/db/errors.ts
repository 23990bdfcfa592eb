/**
 * Recognizes constraint violations across the three drivers, so services can turn a race the
 * database settled (a duplicate name, a second default) into the right error code.
 *   PostgreSQL (pg): SQLSTATE in `code`: 23505 unique, 23503 foreign key, 23514 check.
 *   MySQL/MariaDB (mysql2): `errno` 1062 duplicate, 1451/1452 foreign key, 3819/4025 check.
 *   SQLite (better-sqlite3): `code` SQLITE_CONSTRAINT_UNIQUE / _PRIMARYKEY / _FOREIGNKEY / _CHECK.
 */
export type ConstraintKind = "unique" | "foreign_key" | "check" | "not_null";

interface DriverError {
  code?: unknown;
  errno?: unknown;
  constraint?: unknown;
  message?: unknown;
}

export function constraintViolation(error: unknown): ConstraintKind | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { code, errno } = error as DriverError;
  switch (code) {
    case "23505":
    case "SQLITE_CONSTRAINT_UNIQUE":
    case "SQLITE_CONSTRAINT_PRIMARYKEY":
      return "unique";
    case "23503":
    case "SQLITE_CONSTRAINT_FOREIGNKEY":
      return "foreign_key";
    case "23514":
    case "SQLITE_CONSTRAINT_CHECK":
      return "check";
    case "23502":
    case "SQLITE_CONSTRAINT_NOTNULL":
      return "not_null";
  }
  switch (errno) {
    case 1062:
      return "unique";
    case 1451:
    case 1452:
      return "foreign_key";
    case 3819:
    case 4025:
      return "check";
    case 1048:
    case 1364:
      return "not_null";
  }
  return undefined;
}

export function isUniqueViolation(error: unknown): boolean {
  return constraintViolation(error) === "unique";
}

/**
 * A write that refers to a row which is gone: the user or org a new row belongs to was deleted
 * while it was being written. Every foreign key in the schema cascades or sets null on delete, so
 * a deletion never violates one; a violation is always this race, which callers answer not_found.
 */
export function isMissingReference(error: unknown): boolean {
  return constraintViolation(error) === "foreign_key";
}

/** The violated constraint or index name where the driver tells it (for telling two uniques apart). */
export function violatedConstraintName(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { constraint, message } = error as DriverError;
  if (typeof constraint === "string") return constraint;
  if (typeof message !== "string") return undefined;
  // MySQL: "Duplicate entry 'x' for key 'table.name'" / "for key 'name'"; SQLite names columns instead.
  const mysql = /for key '(?:[^.']+\.)?([^']+)'/.exec(message);
  if (mysql) return mysql[1];
  const check = /CONSTRAINT `([^`]+)` failed/.exec(message) ?? /CHECK constraint failed: (\S+)/.exec(message);
  return check?.[1];
}
