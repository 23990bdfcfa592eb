import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Kysely } from "kysely";
import { afterAll, afterEach, beforeAll, beforeEach, describe, inject } from "vitest";
import { createDatabase, type DatabaseHandle } from "../../src/db/create-database.js";
import type { Dialect } from "../../src/db/database-url.js";
import { createMigrator } from "../../src/db/migrator.js";
import type { Database } from "../../src/db/schema.js";
import { withMysqlAdmin, withPgAdmin } from "./admin-connections.js";
import { testEnv } from "./test-env.js";

export const DIALECTS: readonly Dialect[] = ["sqlite", "postgres", "mysql"];

export interface TestDatabase {
  dialect: Dialect;
  /** A SWITCHYARD_DATABASE_URL for the fresh database. */
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A name no other run can have, so a test never touches a database it did not create. */
function randomName(): string {
  return `sy_test_${Date.now().toString(36)}_${randomBytes(5).toString("hex")}`;
}

function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Creates an empty database with a random name on the dialect's test server (or a temp file). */
export async function createTestDatabase(dialect: Dialect): Promise<TestDatabase> {
  const name = randomName();
  switch (dialect) {
    case "sqlite": {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-`));
      return {
        dialect,
        name,
        url: `sqlite:${path.join(dir, "switchyard.db")}`,
        drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
      };
    }
    case "postgres": {
      // A natural-language collation, as most PostgreSQL installs have (ICU or glibc en_US), not the
      // code point order SQLite and MariaDB compare in: a query that orders text without saying how
      // then shows up as a difference between dialects.
      await withPgAdmin((c) =>
        c.query(`create database "${name}" template template0 locale_provider icu icu_locale 'en-US'`),
      );
      return {
        dialect,
        name,
        url: withDatabase(testEnv.pgUrl, name),
        drop: () =>
          withPgAdmin((c) => c.query(`drop database if exists "${name}" with (force)`)).then(() => {}),
      };
    }
    case "mysql": {
      await withMysqlAdmin((c) => c.query(`create database \`${name}\``));
      return {
        dialect,
        name,
        url: withDatabase(testEnv.mysqlUrl, name),
        drop: () => withMysqlAdmin((c) => c.query(`drop database if exists \`${name}\``)).then(() => {}),
      };
    }
  }
}

/**
 * Runs the suite once per dialect, the way kysely's own tests do. A dialect whose server is down
 * is skipped, and global-setup has already said so loudly (or failed the run under CI=true).
 */
export function describeEachDialect(title: string, suite: (dialect: Dialect) => void): void {
  const available = inject("availableDialects");
  for (const dialect of DIALECTS) {
    describe.skipIf(!available.includes(dialect))(`${title} [${dialect}]`, () => suite(dialect));
  }
}

declare module "vitest" {
  export interface ProvidedContext {
    availableDialects: Dialect[];
    redisAvailable: boolean;
  }
}

export interface MigratedDatabase {
  test: TestDatabase;
  handle: DatabaseHandle;
  db: Kysely<Database>;
}

/**
 * Inside a describe: a fresh database migrated to the latest schema before the suite, closed and
 * dropped after it. Returns a getter, since the database exists only once beforeAll has run.
 */
export function useMigratedDatabase(dialect: Dialect): () => MigratedDatabase {
  let current: MigratedDatabase | undefined;
  beforeAll(async () => {
    const test = await createTestDatabase(dialect);
    const handle = createDatabase({ databaseUrl: test.url, poolSize: 5 });
    await createMigrator(handle.db).up();
    current = { test, handle, db: handle.db };
  });
  afterAll(async () => {
    await current?.handle.close();
    await current?.test.drop();
  });
  return () => {
    if (!current) throw new Error("useMigratedDatabase: the database is ready only inside tests");
    return current;
  };
}

/**
 * Inside a describe: an empty database (nothing migrated) of its own for every test, closed and
 * dropped after it, for tests of the migrations themselves. Returns a getter of its Kysely instance.
 */
export function useEmptyDatabasePerTest(dialect: Dialect): () => Kysely<Database> {
  let current: { test: TestDatabase; handle: DatabaseHandle } | undefined;
  beforeEach(async () => {
    const test = await createTestDatabase(dialect);
    current = { test, handle: createDatabase({ databaseUrl: test.url, poolSize: 2 }) };
  });
  afterEach(async () => {
    await current?.handle.close();
    await current?.test.drop();
    current = undefined;
  });
  return () => {
    if (!current) throw new Error("useEmptyDatabasePerTest: the database exists only inside tests");
    return current.handle.db;
  };
}
