import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";
import { parseDatabaseTarget } from "../../src/db/database-url.js";
import { resolveMasterKey } from "../../src/secrets/master-key.js";
import { masterKeyLocation } from "../../src/secrets/master-key-location.js";
import { recordingLogger } from "../support/recording-logger.js";

describe("masterKeyLocation", () => {
  it("keeps the default install as it was: ./data/switchyard.db beside ./data/master.key", () => {
    const config = loadConfig({});
    const { file } = parseDatabaseTarget(config.databaseUrl) as { file: string };
    expect(masterKeyLocation(config, file)).toEqual({
      file: path.resolve("data", "master.key"),
      legacyFile: undefined,
    });
  });

  it("puts the key beside a SQLite file named by the URL, whatever the working directory", () => {
    const config = loadConfig({ SWITCHYARD_DATABASE_URL: "sqlite:/srv/sy/app.db" });
    expect(config.dataDirGiven).toBe(false);
    expect(masterKeyLocation(config, "/srv/sy/app.db")).toEqual({
      file: "/srv/sy/master.key",
      // Where earlier releases put it: the default data folder under the working directory.
      legacyFile: path.resolve("data", "master.key"),
    });
  });

  it("keeps a data folder given explicitly, with no other place to look", () => {
    for (const config of [
      loadConfig({ SWITCHYARD_DATA_DIR: "/var/lib/sy", SWITCHYARD_DATABASE_URL: "sqlite:/srv/sy/app.db" }),
      loadConfig({}, { dataDir: "/var/lib/sy", databaseUrl: "sqlite:/srv/sy/app.db" }),
    ]) {
      expect(config.dataDirGiven).toBe(true);
      expect(masterKeyLocation(config, "/srv/sy/app.db")).toEqual({
        file: "/var/lib/sy/master.key",
        legacyFile: undefined,
      });
    }
  });
});

describe("resolveMasterKey on a SQLite file", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A database folder and, apart from it, a data folder that stands for the old `./data`. */
  function layout() {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "sy-master-key-"));
    dirs.push(root);
    const dbDir = path.join(root, "db");
    const legacyDir = path.join(root, "cwd", "data");
    return {
      config: { masterKey: undefined, dataDir: legacyDir, dataDirGiven: false },
      target: parseDatabaseTarget(`sqlite:${path.join(dbDir, "switchyard.db")}`),
      keyFile: path.join(dbDir, "master.key"),
      legacyFile: path.join(legacyDir, "master.key"),
    };
  }

  const writeKey = (file: string, key: Buffer) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${key.toString("base64")}\n`, { mode: 0o600 });
  };

  it("generates a key beside the database, mode 0600, and reads the same one back", async () => {
    const { config, target, keyFile, legacyFile } = layout();
    const { logger, lines } = recordingLogger("warn");
    const deps = { logger, holdsEncryptedSecrets: () => Promise.resolve(false) };
    const key = await resolveMasterKey(config, target, deps);
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(fs.existsSync(legacyFile)).toBe(false);
    expect((await resolveMasterKey(config, target, deps)).equals(key)).toBe(true);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.line.file).toBe(keyFile);
  });

  it("uses a key left in the old data folder, and says where to move it without printing it", async () => {
    const { config, target, keyFile, legacyFile } = layout();
    const old = randomBytes(32);
    writeKey(legacyFile, old);
    const { logger, lines } = recordingLogger("warn");
    const key = await resolveMasterKey(config, target, {
      logger,
      holdsEncryptedSecrets: () => Promise.resolve(true),
    });
    expect(key.equals(old)).toBe(true);
    expect(fs.existsSync(keyFile)).toBe(false);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.msg).toContain(legacyFile);
    expect(lines[0]!.msg).toContain(`move it to ${keyFile}`);
    expect(JSON.stringify(lines)).not.toContain(old.toString("base64"));
  });

  it("prefers the key beside the database to one in the old data folder", async () => {
    const { config, target, keyFile, legacyFile } = layout();
    const current = randomBytes(32);
    writeKey(keyFile, current);
    writeKey(legacyFile, randomBytes(32));
    const { logger, lines } = recordingLogger("warn");
    const key = await resolveMasterKey(config, target, {
      logger,
      holdsEncryptedSecrets: () => Promise.resolve(true),
    });
    expect(key.equals(current)).toBe(true);
    expect(lines).toEqual([]);
  });

  it("refuses to generate a key for a database that already holds encrypted keys", async () => {
    const { config, target, keyFile, legacyFile } = layout();
    const { logger } = recordingLogger("warn");
    const attempt = resolveMasterKey(config, target, {
      logger,
      holdsEncryptedSecrets: () => Promise.resolve(true),
    });
    await expect(attempt).rejects.toThrow(ConfigError);
    await expect(attempt).rejects.toThrow(/^SWITCHYARD_MASTER_KEY: expected .*could never read them/);
    await expect(attempt).rejects.toThrow(keyFile);
    await expect(attempt).rejects.toThrow(legacyFile);
    expect(fs.existsSync(keyFile)).toBe(false);
  });

  it("asks the database nothing when the key is given", async () => {
    const { target } = layout();
    const given = randomBytes(32);
    const key = await resolveMasterKey(
      { masterKey: given, dataDir: "/nonexistent", dataDirGiven: true },
      target,
      {
        logger: recordingLogger("warn").logger,
        holdsEncryptedSecrets: () => Promise.reject(new Error("not asked")),
      },
    );
    expect(key.equals(given)).toBe(true);
  });
});
