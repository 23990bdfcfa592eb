import { driverReason } from "./connect-database.js";
import { redactDatabaseUrl } from "./database-url.js";

/**
 * The database went away after the first contact (connectDatabase covers that one): the server
 * stopped or restarted, a proxy or the network dropped the connection, the SQLite file's disk
 * failed. Always the environment, never a bug, so it is told in one line that names the database
 * (its password redacted) and the driver's reason; the driver's error is the cause.
 */
export class DatabaseLostError extends Error {
  constructor(databaseUrl: string, cause: unknown) {
    super(`lost the database ${redactDatabaseUrl(databaseUrl)}: ${driverReason(cause, databaseUrl)}`, {
      cause,
    });
    this.name = "DatabaseLostError";
  }
}

/**
 * node-postgres says a connection died in plain Errors without a code (pg/lib/client.js,
 * pg-pool/index.js); their messages are all there is to know them by.
 */
const PG_CONNECTION_GONE = new Set([
  // The server or something on the way closed the socket mid-command.
  "Connection terminated unexpectedly",
  // A query sent on a client whose connection had already failed.
  "Client has encountered a connection error and is not queryable",
  // The pool's replacement connection did not come up in time.
  "Connection terminated due to connection timeout",
  "timeout exceeded when trying to connect",
]);

/**
 * PostgreSQL's own word that it is dropping the session: SQLSTATE class 08 (connection exception)
 * and 57P01-57P03 (shut down by an administrator, after a crash, not accepting connections yet).
 */
const PG_SESSION_ENDED = /^(08[0-9A-Z]{3}|57P0[123])$/;

/**
 * better-sqlite3's SqliteError codes for a file that stopped working under the process: the disk
 * failed or filled, the file was replaced, removed or damaged. Other codes (a constraint, SQL the
 * schema does not match) are about what was asked, not about the database being there.
 */
const SQLITE_FILE_GONE = /^SQLITE_(IOERR|CORRUPT|NOTADB|FULL|CANTOPEN|READONLY_DBMOVED)(_|$)/;

/**
 * Whether a driver's error says the database connection (or file) is gone rather than that the
 * query was wrong. mysql2 marks every error after which a connection is unusable `fatal` (a lost
 * connection is PROTOCOL_CONNECTION_LOST; a command on a closed one has no code at all); pg and
 * better-sqlite3 are known by the messages and codes above.
 */
export function isDatabaseLost(error: unknown): error is Error {
  if (!(error instanceof Error)) return false;
  if ((error as Error & { fatal?: unknown }).fatal === true) return true;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === undefined) return PG_CONNECTION_GONE.has(error.message);
  if (error.name === "SqliteError") return SQLITE_FILE_GONE.test(code);
  // pg's DatabaseError carries the server's severity; only PostgreSQL sends these codes.
  return "severity" in error && PG_SESSION_ENDED.test(code);
}

/** `error` as a DatabaseLostError naming the database when it says the database is gone; else itself. */
export function namingLostDatabase(error: unknown, databaseUrl: string): unknown {
  return isDatabaseLost(error) ? new DatabaseLostError(databaseUrl, error) : error;
}

/** Socket failures of a connection being opened: the database server is down or out of reach. */
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
]);

/**
 * Whether a request failed because the database is down or went away, the environment rather than
 * a bug: a lost connection (isDatabaseLost), or a new one the pool could not open. A request's other
 * dependencies report their own errors (upstreams as ProviderError; Redis falls back to memory), so
 * a bare socket error reaching the HTTP error handler comes from the database driver.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (isDatabaseLost(error)) return true;
  const code = error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined;
  return code !== undefined && UNREACHABLE_CODES.has(code);
}
