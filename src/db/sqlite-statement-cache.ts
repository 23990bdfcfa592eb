import type { Database as SqliteFile, Statement } from "better-sqlite3";
import type { SqliteDatabase } from "kysely";
import { LRUCache } from "lru-cache";

/**
 * The SQL text of the statements kept, in characters. A prepared statement's memory grows with its
 * text (a 500-row INSERT of usage rows, about 20,000 characters, holds about 0.6 MB), so the bound is
 * on text, not on a count: the gateway's full usage batch and a few hundred ordinary queries fit,
 * and a burst of one-off large statements cannot pile up.
 */
const KEPT_SQL_CHARS = 64 * 1024;

/**
 * better-sqlite3 as Kysely's SQLite driver sees it, with prepared statements kept by their SQL: the
 * driver prepares every query it runs, and for the gateway's usage inserts preparing cost a third to
 * a half of running (1.1-2.1 of 3.3-4 µs a row, measured). A statement is free again once its query
 * has run, and Kysely runs one query at a time on its one connection, so handing the same statement
 * out again is safe; SQLite prepares it anew by itself should a migration change the schema.
 */
export function keepPreparedStatements(sqlite: SqliteFile): SqliteDatabase {
  const statements = new LRUCache<string, Statement>({
    maxSize: KEPT_SQL_CHARS,
    sizeCalculation: (_statement, sql) => Math.max(1, sql.length),
  });
  return {
    prepare(sql) {
      let statement = statements.get(sql);
      if (statement === undefined) {
        statement = sqlite.prepare(sql);
        statements.set(sql, statement);
      }
      return statement;
    },
    close() {
      statements.clear();
      sqlite.close();
    },
  };
}
