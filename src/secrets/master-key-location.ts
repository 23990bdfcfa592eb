import path from "node:path";
import type { Config } from "../config.js";

const KEY_FILE = "master.key";

export interface MasterKeyLocation {
  /** Where the generated key is read from, and written to when there is none yet. */
  file: string;
  /**
   * Where earlier releases put it when that is elsewhere: the data folder, which by default is
   * `./data` under whatever directory the process started in.
   */
  legacyFile: string | undefined;
}

/**
 * Where the generated master key of a SQLite database lives. The key belongs to the database it
 * encrypts, so it sits beside the database file: a key under the working directory made a server
 * started from another directory generate a second key, which cannot read the first one's secrets.
 * A data folder given explicitly is a deliberate choice and is kept. The default
 * (`./data/switchyard.db`, `./data/master.key`) is the same either way.
 */
export function masterKeyLocation(
  config: Pick<Config, "dataDir" | "dataDirGiven">,
  sqliteFile: string,
): MasterKeyLocation {
  const inDataDir = path.resolve(config.dataDir, KEY_FILE);
  if (config.dataDirGiven) return { file: inDataDir, legacyFile: undefined };
  const file = path.join(path.dirname(path.resolve(sqliteFile)), KEY_FILE);
  return { file, legacyFile: file === inDataDir ? undefined : inDataDir };
}
