import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { type Config, ConfigError } from "../config.js";
import type { Dialect } from "../db/database-url.js";
import type { Logger } from "../logger.js";

const KEY_FILE = "master.key";

/**
 * The key every other secret key is derived from. Given in config, it is used as is. The embedded
 * default (SQLite) with none given gets one generated into the data folder (mode 0600) so a desktop
 * app works out of the box; PostgreSQL and MySQL serve several instances that must share one key,
 * so there it is required.
 */
export function resolveMasterKey(
  config: Pick<Config, "masterKey" | "dataDir">,
  dialect: Dialect,
  sqliteFile: string | undefined,
  logger: Pick<Logger, "warn">,
): Buffer {
  if (config.masterKey) return config.masterKey;
  if (dialect !== "sqlite") {
    throw new ConfigError(
      "SWITCHYARD_MASTER_KEY",
      "a key when the database is PostgreSQL or MySQL, since every instance must share it " +
        "(32 random bytes in base64: `openssl rand -base64 32`)",
    );
  }
  if (sqliteFile === ":memory:") {
    logger.warn("no SWITCHYARD_MASTER_KEY: using a random key for this in-memory database only");
    return randomBytes(32);
  }

  const file = path.resolve(config.dataDir, KEY_FILE);
  const existing = readKeyFile(file);
  if (existing) return existing;

  fs.mkdirSync(path.dirname(file), { recursive: true });
  const key = randomBytes(32);
  try {
    // 'wx': if another process created it meanwhile, keep theirs rather than overwrite it.
    fs.writeFileSync(file, `${key.toString("base64")}\n`, { mode: 0o600, flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") {
      const theirs = readKeyFile(file);
      if (theirs) return theirs;
    }
    throw error;
  }
  logger.warn(
    { file },
    "no SWITCHYARD_MASTER_KEY: generated one into the data folder; back it up, since stored keys cannot be read without it",
  );
  return key;
}

function readKeyFile(file: string): Buffer | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8").trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const key = Buffer.from(text, "base64");
  if (key.length !== 32) throw new ConfigError("SWITCHYARD_MASTER_KEY", `${file} to hold 32 bytes in base64`);
  return key;
}
