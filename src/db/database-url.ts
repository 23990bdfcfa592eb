import path from "node:path";

export type Dialect = "sqlite" | "postgres" | "mysql";

export type DatabaseTarget =
  | { dialect: "sqlite"; file: string }
  | { dialect: "postgres"; url: string; database: string }
  | { dialect: "mysql"; url: string; database: string };

/** Reads the dialect and target out of a database URL that config.ts has already validated. */
export function parseDatabaseTarget(databaseUrl: string): DatabaseTarget {
  if (databaseUrl.startsWith("sqlite:")) {
    const rest = databaseUrl.slice("sqlite:".length).replace(/^\/\//, "");
    return { dialect: "sqlite", file: rest === ":memory:" ? ":memory:" : path.resolve(rest) };
  }
  const url = new URL(databaseUrl);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ""));
  if (url.protocol === "postgres:" || url.protocol === "postgresql:") {
    return { dialect: "postgres", url: databaseUrl, database };
  }
  return { dialect: "mysql", url: databaseUrl, database };
}

/** The URL with its password replaced, for log lines and error messages. */
export function redactDatabaseUrl(databaseUrl: string): string {
  if (databaseUrl.startsWith("sqlite:")) return databaseUrl;
  try {
    const url = new URL(databaseUrl);
    if (url.password) url.password = "***";
    return url.toString();
  } catch {
    return "<unparseable database url>";
  }
}
