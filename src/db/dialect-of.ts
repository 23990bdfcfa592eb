import { type Kysely, MysqlAdapter, PostgresAdapter, SqliteAdapter } from "kysely";
import type { Dialect } from "./database-url.js";

/** Which SQL dialect a Kysely instance speaks, read off its adapter (migrations need this). */
export function dialectOf<DB>(db: Kysely<DB>): Dialect {
  const adapter = db.getExecutor().adapter;
  if (adapter instanceof PostgresAdapter) return "postgres";
  if (adapter instanceof MysqlAdapter) return "mysql";
  if (adapter instanceof SqliteAdapter) return "sqlite";
  throw new Error(`unsupported Kysely adapter: ${adapter.constructor.name}`);
}
