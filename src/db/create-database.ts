import fs from "node:fs";
import path from "node:path";
import { CompiledQuery, Kysely, MysqlDialect, PostgresDialect, SqliteDialect } from "kysely";
import { type DatabaseTarget, type Dialect, parseDatabaseTarget } from "./database-url.js";
import type { Database } from "./schema.js";
import { keepPreparedStatements } from "./sqlite-statement-cache.js";
import { SqliteValuesPlugin } from "./sqlite-values-plugin.js";

export interface DatabaseOptions {
  databaseUrl: string;
  poolSize: number;
  /**
   * Told when an idle pooled connection dies (the server restarted, the network dropped). The pool
   * replaces it on next use; without a listener node-postgres would crash the process instead.
   */
  onIdleConnectionError?: (error: Error) => void;
}

export interface DatabaseHandle {
  db: Kysely<Database>;
  dialect: Dialect;
  target: DatabaseTarget;
  /** Closes the pool (or the SQLite file); safe to call more than once. */
  close(): Promise<void>;
}

const PG_INT8_OID = 20;

export function createDatabase(options: DatabaseOptions): DatabaseHandle {
  const target = parseDatabaseTarget(options.databaseUrl);
  const db = new Kysely<Database>({
    dialect: createDialect(target, options),
    plugins: target.dialect === "sqlite" ? [new SqliteValuesPlugin()] : [],
  });
  let closing: Promise<void> | undefined;
  return {
    db,
    dialect: target.dialect,
    target,
    close: () => {
      closing ??= db.destroy();
      return closing;
    },
  };
}

/**
 * Each driver is loaded when its dialect first connects (Kysely takes the pool as an async
 * factory): an embedded SQLite instance never loads the PostgreSQL and MySQL drivers, which would
 * cost it tens of megabytes of memory for nothing.
 */
function createDialect(target: DatabaseTarget, { poolSize, onIdleConnectionError }: DatabaseOptions) {
  switch (target.dialect) {
    case "sqlite":
      return createSqliteDialect(target.file);
    case "postgres":
      return new PostgresDialect({
        pool: () => createPgPool(target.url, poolSize, onIdleConnectionError),
      });
    case "mysql":
      return new MysqlDialect({
        pool: async () =>
          (await import("mysql2")).createPool({
            uri: target.url,
            connectionLimit: poolSize,
            connectTimeout: 5_000,
            // Dates are written and read as UTC, whatever the server's own time zone.
            timezone: "Z",
            charset: "utf8mb4",
            supportBigNumbers: true,
            decimalNumbers: true,
          }),
        onCreateConnection: async (connection) => {
          await connection.executeQuery(CompiledQuery.raw("SET time_zone = '+00:00'"));
        },
      });
  }
}

async function createPgPool(
  url: string,
  poolSize: number,
  onIdleError: ((error: Error) => void) | undefined,
) {
  const { default: pg } = await import("pg");
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: 5_000,
    // count(*) and other bigints come back as numbers; every count we keep fits in 2^53.
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === PG_INT8_OID
          ? (v: string) => Number(v)
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  const report = (error: Error) => onIdleError?.(error);
  pool.on("error", report);
  // A checked-out client whose socket dies between queries emits 'error' on itself, not the pool;
  // unheard, that would crash the process. The next query on it fails and the pool replaces it.
  pool.on("connect", (client) => client.on("error", report));
  return pool;
}

function createSqliteDialect(file: string) {
  if (file !== ":memory:") fs.mkdirSync(path.dirname(file), { recursive: true });
  return new SqliteDialect({
    database: async () => {
      const { default: SQLite } = await import("better-sqlite3");
      const sqlite = new SQLite(file);
      // WAL lets readers run beside the writer; the busy timeout waits out another process's write
      // lock instead of failing at once; foreign keys are off in SQLite unless asked for.
      if (file !== ":memory:") sqlite.pragma("journal_mode = WAL");
      sqlite.pragma("synchronous = NORMAL");
      sqlite.pragma("foreign_keys = ON");
      sqlite.pragma("busy_timeout = 5000");
      return keepPreparedStatements(sqlite);
    },
  });
}
