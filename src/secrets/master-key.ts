import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { type Config, ConfigError } from "../config.js";
import type { DatabaseTarget } from "../db/database-url.js";
import type { Logger } from "../logger.js";
import { masterKeyLocation } from "./master-key-location.js";

export interface MasterKeyDeps {
  logger: Pick<Logger, "warn">;
  /**
   * Whether the database already holds secrets encrypted under some master key. Asked only before
   * generating one: a new key could never read them.
   */
  holdsEncryptedSecrets: () => Promise<boolean>;
}

/**
 * The key every other secret key is derived from. Given in config, it is used as is. The embedded
 * default (SQLite) with none given gets one generated beside the database file (see
 * master-key-location.ts; mode 0600) so a desktop app works out of the box; PostgreSQL and MySQL
 * serve several instances that must share one key, so there it is required.
 */
export async function resolveMasterKey(
  config: Pick<Config, "masterKey" | "dataDir" | "dataDirGiven">,
  target: DatabaseTarget,
  deps: MasterKeyDeps,
): Promise<Buffer> {
  const { logger } = deps;
  if (config.masterKey) return config.masterKey;
  if (target.dialect !== "sqlite") {
    throw new ConfigError(
      "SWITCHYARD_MASTER_KEY",
      "a key when the database is PostgreSQL or MySQL, since every instance must share it " +
        "(32 random bytes in base64: `openssl rand -base64 32`)",
    );
  }
  if (target.file === ":memory:") {
    logger.warn("no SWITCHYARD_MASTER_KEY: using a random key for this in-memory database only");
    return randomBytes(32);
  }

  const { file, legacyFile } = masterKeyLocation(config, target.file);
  const existing = readKeyFile(file);
  if (existing) return existing;
  const legacy = legacyFile === undefined ? undefined : readKeyFile(legacyFile);
  if (legacy) {
    // Used where it is rather than copied: moving a secret is the operator's call, and a copy left
    // behind is one more place the key can leak from.
    logger.warn(
      { file: legacyFile, move_to: file },
      `master key read from ${legacyFile}, under the working directory, where earlier releases put it; move it to ${file} beside the database, or a server started from another directory will not find it`,
    );
    return legacy;
  }

  if (await deps.holdsEncryptedSecrets()) {
    const looked = legacyFile === undefined ? file : `${file} or ${legacyFile}`;
    throw new ConfigError(
      "SWITCHYARD_MASTER_KEY",
      `the master key this database's stored provider keys are encrypted under; there is no key file at ${looked}, and a newly generated key could never read them (put the original master.key there, or set SWITCHYARD_MASTER_KEY)`,
    );
  }

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
    `no SWITCHYARD_MASTER_KEY: generated one into ${file}; back it up, since stored keys cannot be read without it`,
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
