import { sql } from "kysely";
import type { DatabaseHandle } from "./create-database.js";
import { redactDatabaseUrl } from "./database-url.js";

/**
 * The database could not be opened or reached: the server is down or is not the database the URL
 * names, TLS or credentials do not match, a driver option in the URL is wrong, the SQLite file is
 * not a database. Always the environment, never a bug, so it is told in one line that names the
 * database (its password redacted) and the driver's reason; the driver's error is the cause.
 */
export class DatabaseUnreachableError extends Error {
  constructor(databaseUrl: string, cause: unknown) {
    super(`cannot open the database ${redactDatabaseUrl(databaseUrl)}: ${driverReason(cause, databaseUrl)}`, {
      cause,
    });
    this.name = "DatabaseUnreachableError";
  }
}

/**
 * The first contact with the database, before anything else uses it. Whatever fails here fails
 * for a reason outside the code, whichever driver error (with a code or not) says so.
 */
export async function connectDatabase(
  handle: Pick<DatabaseHandle, "db">,
  databaseUrl: string,
): Promise<void> {
  try {
    await sql`select 1`.execute(handle.db);
  } catch (error) {
    throw new DatabaseUnreachableError(databaseUrl, error);
  }
}

/**
 * A driver's error as the end of a one-line message: its message and code, never the URL's password
 * (see withoutPassword).
 */
export function driverReason(cause: unknown, databaseUrl: string): string {
  const message = cause instanceof Error ? cause.message : String(cause);
  const code = cause instanceof Error ? (cause as NodeJS.ErrnoException).code : undefined;
  const reason = message.trim() === "" ? "no reason given" : message;
  return withoutPassword(typeof code === "string" ? `${reason} (${code})` : reason, databaseUrl);
}

/** A driver may quote what it was given; the password in the URL must not travel with it. */
function withoutPassword(text: string, databaseUrl: string): string {
  if (databaseUrl.startsWith("sqlite:")) return text;
  let password: string;
  try {
    password = new URL(databaseUrl).password;
  } catch {
    return text;
  }
  if (password === "") return text;
  let decoded = password;
  try {
    decoded = decodeURIComponent(password);
  } catch {
    // not percent-encoded validly: the raw form is the only one a driver could have seen
  }
  return text.split(password).join("***").split(decoded).join("***");
}
