import { type CreateTableBuilder, type Kysely, type RawBuilder, sql } from "kysely";
import type { Dialect } from "../database-url.js";

/**
 * The few column types that differ between the three dialects, so a migration reads the same for all.
 * Timestamps are UTC everywhere: timestamptz on PostgreSQL, DATETIME(3) on MySQL written with the
 * session time zone pinned to +00:00, ISO-8601 text with a trailing Z on SQLite (sorts as it reads).
 */
export interface ColumnTypes {
  id: RawBuilder<unknown>;
  timestamp: RawBuilder<unknown>;
  json: RawBuilder<unknown>;
  bool: RawBuilder<unknown>;
  now: RawBuilder<unknown>;
  /** A boolean column's value as SQL, for CHECK expressions and partial indexes. */
  isTrue(column: string): RawBuilder<unknown>;
  /** String concatenation, since MySQL reads `||` as OR. */
  concat(...parts: RawBuilder<unknown>[]): RawBuilder<unknown>;
}

export function columnTypes(dialect: Dialect): ColumnTypes {
  switch (dialect) {
    case "postgres":
      return {
        id: sql`varchar(36)`,
        timestamp: sql`timestamptz`,
        json: sql`jsonb`,
        bool: sql`boolean`,
        now: sql`now()`,
        isTrue: (column) => sql`${sql.ref(column)} = true`,
        concat: (...parts) => sql.join(parts, sql` || `),
      };
    case "mysql":
      return {
        id: sql`varchar(36)`,
        timestamp: sql`datetime(3)`,
        json: sql`json`,
        bool: sql`boolean`,
        now: sql`CURRENT_TIMESTAMP(3)`,
        isTrue: (column) => sql`${sql.ref(column)} = 1`,
        concat: (...parts) => sql`concat(${sql.join(parts)})`,
      };
    case "sqlite":
      return {
        id: sql`text`,
        timestamp: sql`text`,
        json: sql`text`,
        bool: sql`integer`,
        now: sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`,
        isTrue: (column) => sql`${sql.ref(column)} = 1`,
        concat: (...parts) => sql.join(parts, sql` || `),
      };
  }
}

/**
 * `db.schema.createTable` with the table options a dialect needs. MySQL/MariaDB get a binary
 * collation: their default collations compare case-insensitively, which would let 'OpenAI' pass a
 * CHECK that lists 'openai' and make names that differ only in case collide, unlike the other two.
 */
export function createTable(
  db: Kysely<unknown>,
  dialect: Dialect,
  name: string,
): CreateTableBuilder<string, never> {
  const builder = db.schema.createTable(name);
  return dialect === "mysql"
    ? builder.modifyEnd(sql`default character set utf8mb4 collate utf8mb4_bin`)
    : builder;
}

/** `col IN ('a', 'b')` for CHECK constraints over a closed set. */
export function oneOf(column: string, values: readonly string[]): RawBuilder<unknown> {
  return sql`${sql.ref(column)} in (${sql.join(values.map((v) => sql.lit(v)))})`;
}
