import { isIP } from "node:net";
import path from "node:path";

/**
 * The one reader of the environment. Everything Switchyard can be told from outside is parsed and
 * validated here once, then passed down as a plain object; no other module looks at process.env.
 */

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

export interface Config {
  port: number;
  host: string;
  databaseUrl: string;
  redisUrl: string | undefined;
  /** 32 raw bytes, decoded from base64; undefined when none was given. */
  masterKey: Buffer | undefined;
  dataDir: string;
  /**
   * Whether dataDir was given (SWITCHYARD_DATA_DIR, --data-dir, the library's option) rather than
   * defaulted: a generated master key lives there only then, and otherwise beside the SQLite file.
   */
  dataDirGiven: boolean;
  logLevel: LogLevel;
  /** Upper bound of pooled connections for PostgreSQL and MySQL (SQLite has one). */
  dbPoolSize: number;
  /** How long SIGTERM waits for in-flight requests before closing anyway. */
  shutdownTimeoutMs: number;
  /**
   * Reads a variable that a system connection names as its key (`api_key_ref: env:NAME`). The
   * callers check the name against the allowlist setting first; this is only the reading.
   */
  secretFromEnv(name: string): string | undefined;
  /** Master keys that were replaced, still readable until `switchyard keys rotate` finishes. */
  previousMasterKeys: Buffer[];
  /** Whether `serve` trades CPU for a smaller heap (see cli/tune-heap.ts); off unless turned on. */
  heapTuning: boolean;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly expected: string,
  ) {
    super(`${variable}: expected ${expected}`);
    this.name = "ConfigError";
  }
}

type Env = Readonly<Record<string, string | undefined>>;

const LOG_LEVELS: readonly LogLevel[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/** Values a caller sets in code (CLI flags, the library's options) win over the environment. */
export type ConfigOverrides = Partial<{
  port: number | string;
  host: string;
  databaseUrl: string;
  redisUrl: string;
  masterKey: string;
  dataDir: string;
  logLevel: string;
}>;

export function loadConfig(env: Env = process.env, overrides: ConfigOverrides = {}): Config {
  const raw = (name: string, override: string | number | undefined): string | undefined => {
    if (override !== undefined) return String(override);
    const value = env[name];
    return value === undefined || value.trim() === "" ? undefined : value.trim();
  };

  const givenDataDir = raw("SWITCHYARD_DATA_DIR", overrides.dataDir);
  const dataDir = givenDataDir ?? "./data";
  const databaseUrl =
    raw("SWITCHYARD_DATABASE_URL", overrides.databaseUrl) ?? `sqlite:${path.join(dataDir, "switchyard.db")}`;

  return {
    port: parseInteger("SWITCHYARD_PORT", raw("SWITCHYARD_PORT", overrides.port), 8080, 0, 65535),
    host: parseHost(raw("SWITCHYARD_HOST", overrides.host) ?? "127.0.0.1"),
    databaseUrl: parseDatabaseUrl(databaseUrl),
    redisUrl: parseRedisUrl(raw("SWITCHYARD_REDIS_URL", overrides.redisUrl)),
    masterKey: parseMasterKey(raw("SWITCHYARD_MASTER_KEY", overrides.masterKey)),
    dataDir,
    dataDirGiven: givenDataDir !== undefined,
    logLevel: parseLogLevel(raw("SWITCHYARD_LOG_LEVEL", overrides.logLevel)),
    dbPoolSize: parseInteger(
      "SWITCHYARD_DB_POOL_SIZE",
      raw("SWITCHYARD_DB_POOL_SIZE", undefined),
      10,
      1,
      1000,
    ),
    secretFromEnv: (name) => {
      const value = env[name];
      return value === undefined || value === "" ? undefined : value;
    },
    previousMasterKeys: parsePreviousMasterKeys(raw("SWITCHYARD_PREVIOUS_MASTER_KEYS", undefined)),
    shutdownTimeoutMs: parseInteger(
      "SWITCHYARD_SHUTDOWN_TIMEOUT_MS",
      raw("SWITCHYARD_SHUTDOWN_TIMEOUT_MS", undefined),
      10_000,
      0,
      600_000,
    ),
    heapTuning: parseBoolean("SWITCHYARD_HEAP_TUNING", raw("SWITCHYARD_HEAP_TUNING", undefined), false),
  };
}

function parseBoolean(name: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === "") return fallback;
  const v = value.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(v)) return true;
  if (["0", "false", "no", "off"].includes(v)) return false;
  throw new ConfigError(name, "true or false");
}

function parseInteger(name: string, value: string | undefined, fallback: number, min: number, max: number) {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new ConfigError(name, `a whole number from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

/** Dot-separated labels of letters, digits and inner hyphens (and underscores, which /etc/hosts allows). */
const HOST_NAME =
  /^(?=.{1,253}\.?$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

/**
 * The interface to listen on: a host name, an IPv4 address or an IPv6 address (brackets, as in a
 * URL, are taken off). A port, a scheme or a path here used to pass and then fail at listen, far
 * from the setting that caused it.
 */
function parseHost(value: string): string {
  const unbracketed = /^\[(.*)\]$/.exec(value)?.[1];
  if (unbracketed !== undefined && isIP(unbracketed) === 6) return unbracketed;
  if (isIP(value) !== 0) return value;
  // Digits and dots that are not an IPv4 address (`1.2.3`, `300.0.0.1`) would go to DNS as a name.
  if (HOST_NAME.test(value) && !/^[\d.]+$/.test(value)) return value;
  throw new ConfigError(
    "SWITCHYARD_HOST",
    `a host name or IP address to listen on, such as 127.0.0.1, 0.0.0.0, localhost, ::1 or [::1]; ` +
      `no scheme or path, and no port (the port goes in SWITCHYARD_PORT); got "${value}"`,
  );
}

const DATABASE_URL_EXPECTED =
  "sqlite:<path> (or sqlite::memory:), postgres://user@host:port/db or mysql://user@host:port/db";

function parseDatabaseUrl(value: string): string {
  if (value.startsWith("sqlite:")) {
    if (value.length === "sqlite:".length)
      throw new ConfigError("SWITCHYARD_DATABASE_URL", DATABASE_URL_EXPECTED);
    return value;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError("SWITCHYARD_DATABASE_URL", `${DATABASE_URL_EXPECTED}; the value is not a URL`);
  }
  const okProtocols = ["postgres:", "postgresql:", "mysql:", "mariadb:"];
  if (!okProtocols.includes(url.protocol)) {
    throw new ConfigError(
      "SWITCHYARD_DATABASE_URL",
      `${DATABASE_URL_EXPECTED}; got scheme "${url.protocol}"`,
    );
  }
  if (url.pathname.replace(/^\//, "") === "") {
    throw new ConfigError("SWITCHYARD_DATABASE_URL", `${DATABASE_URL_EXPECTED}; the URL names no database`);
  }
  return value;
}

function parseRedisUrl(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  // The value may carry a password: never echo it.
  const expected = "a redis:// or rediss:// URL with a host, and a database number (0-15) as its path if any";
  if (!url || (url.protocol !== "redis:" && url.protocol !== "rediss:") || url.hostname === "") {
    throw new ConfigError("SWITCHYARD_REDIS_URL", expected);
  }
  // ioredis reads the path as the database to SELECT: `/abc` became SELECT NaN, which Redis refused
  // by closing the connection, and the process died. Redis has 16 databases unless configured.
  const db = url.pathname.replace(/^\//, "");
  if (db !== "" && !/^(?:[0-9]|1[0-5])$/.test(db)) throw new ConfigError("SWITCHYARD_REDIS_URL", expected);
  return value;
}

function parseMasterKey(value: string | undefined): Buffer | undefined {
  if (value === undefined) return undefined;
  const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(value) ? Buffer.from(value, "base64") : undefined;
  if (bytes?.length !== 32) {
    // Never echo the value: it is a secret even when malformed.
    throw new ConfigError(
      "SWITCHYARD_MASTER_KEY",
      "32 random bytes in base64 (44 characters; make one with `openssl rand -base64 32`)",
    );
  }
  return bytes;
}

function parsePreviousMasterKeys(value: string | undefined): Buffer[] {
  if (value === undefined) return [];
  return value.split(",").map((part) => {
    const trimmed = part.trim();
    const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) ? Buffer.from(trimmed, "base64") : undefined;
    if (bytes?.length !== 32) {
      throw new ConfigError(
        "SWITCHYARD_PREVIOUS_MASTER_KEYS",
        "a comma-separated list of 32-byte base64 keys",
      );
    }
    return bytes;
  });
}

function parseLogLevel(value: string | undefined): LogLevel {
  if (value === undefined) return "info";
  const level = LOG_LEVELS.find((l) => l === value.toLowerCase());
  if (!level)
    throw new ConfigError("SWITCHYARD_LOG_LEVEL", `one of ${LOG_LEVELS.join(", ")}, got "${value}"`);
  return level;
}
