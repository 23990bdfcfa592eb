import { ConfigError } from "../config.js";
import { DatabaseUnreachableError } from "../db/connect-database.js";
import { DatabaseLostError, isDatabaseLost } from "../db/database-lost.js";
import { MigrationError } from "../db/migrator.js";

export interface FailureReport {
  /** What goes to stderr, ending in a newline. */
  text: string;
  exitCode: number;
}

/**
 * What a command that failed prints. Something the user can fix from outside (a setting, a flag,
 * the database, a file, a port) is one line that says it: a stack trace buries that line and
 * reads like a crash. Anything else is unexpected, and its stack is what a bug report needs.
 */
export function reportFailure(error: unknown): FailureReport {
  if (error instanceof ConfigError) {
    return { text: `switchyard: invalid configuration: ${error.message}\n`, exitCode: 2 };
  }
  if (
    error instanceof MigrationError ||
    error instanceof DatabaseUnreachableError ||
    error instanceof DatabaseLostError
  ) {
    return { text: `switchyard: ${error.message}\n`, exitCode: 1 };
  }
  if (isDatabaseLost(error)) {
    // A command that did not say which database it was using (namingLostDatabase): still the
    // environment, and most of these driver errors have no code to go by below.
    const code = (error as NodeJS.ErrnoException).code;
    return {
      text: `switchyard: lost the database: ${error.message}${typeof code === "string" ? ` (${code})` : ""}\n`,
      exitCode: 1,
    };
  }
  if (error instanceof Error && typeof (error as NodeJS.ErrnoException).code === "string") {
    // An error with a code is the system or a driver speaking (EADDRINUSE, ECONNREFUSED,
    // SQLITE_CANTOPEN, ER_ACCESS_DENIED_ERROR): one line says it; a stack says nothing more.
    return { text: `switchyard: ${error.message} (${(error as NodeJS.ErrnoException).code})\n`, exitCode: 1 };
  }
  return {
    text: `switchyard: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    exitCode: 1,
  };
}
