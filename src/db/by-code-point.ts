import { type Expression, type RawBuilder, sql } from "kysely";
import type { Dialect } from "./database-url.js";

/**
 * Text to order by, compared by code point on every dialect. SQLite (BINARY) and MariaDB
 * (utf8mb4_bin) already compare code points; PostgreSQL follows the database's collation, and an
 * ICU or glibc `en_US` database orders "alpha" before "Alpha" and "_x" before "Alpha", so the same
 * list came back in another order there. "C" compares the UTF-8 bytes, which is code point order.
 */
export function byCodePoint<T extends string | null>(dialect: Dialect, text: Expression<T>): RawBuilder<T> {
  return dialect === "postgres" ? sql<T>`${text} collate "C"` : sql<T>`${text}`;
}

/**
 * Nulls last on every dialect: PostgreSQL puts them last in ascending order, SQLite and MariaDB
 * first. Order by this, then by the value.
 */
export function nullsLast(value: Expression<unknown>): RawBuilder<boolean> {
  return sql<boolean>`(${value} is null)`;
}
