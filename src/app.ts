import type { Kysely } from "kysely";
import { type Config, type ConfigOverrides, loadConfig } from "./config.js";
import { createDatabase, type DatabaseHandle } from "./db/create-database.js";
import { redactDatabaseUrl } from "./db/database-url.js";
import { createMigrator, type SwitchyardMigrator } from "./db/migrator.js";
import { pingDatabase } from "./db/ping.js";
import type { Database } from "./db/schema.js";
import { createSettingsRepo } from "./domain/settings/settings.repo.js";
import { createSettingsService, type SettingsService } from "./domain/settings/settings.service.js";
import { createLogger, type Logger } from "./logger.js";

export interface Switchyard {
  config: Config;
  logger: Logger;
  db: Kysely<Database>;
  dialect: DatabaseHandle["dialect"];
  migrator: SwitchyardMigrator;
  services: {
    settings: SettingsService;
  };
  /** Resolves when the database answers within two seconds. */
  checkDatabase(): Promise<void>;
  /** Closes the database pool; safe to call more than once. */
  close(): Promise<void>;
}

export interface ComposeOptions {
  logger?: Logger;
  /** Apply pending migrations before returning (default true). */
  migrate?: boolean;
}

/**
 * The composition root: builds every dependency once from the config and hands them down. Nothing
 * else constructs a pool, a cache or a service, so a test can compose the real thing around a real
 * database with a fake upstream.
 */
export async function composeSwitchyard(config: Config, options: ComposeOptions = {}): Promise<Switchyard> {
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const handle = createDatabase({
    databaseUrl: config.databaseUrl,
    poolSize: config.dbPoolSize,
    onIdleConnectionError: (error) => logger.warn({ err: error }, "an idle database connection failed"),
  });
  const migrator = createMigrator(handle.db);

  try {
    if (options.migrate ?? true) {
      const { names } = await migrator.up();
      if (names.length > 0) logger.info({ migrations: names }, "applied migrations");
    }
  } catch (error) {
    await handle.close();
    throw error;
  }
  logger.debug({ database: redactDatabaseUrl(config.databaseUrl) }, "database ready");

  return {
    config,
    logger,
    db: handle.db,
    dialect: handle.dialect,
    migrator,
    services: {
      settings: createSettingsService({
        repo: createSettingsRepo({ db: handle.db, dialect: handle.dialect }),
      }),
    },
    checkDatabase: () => pingDatabase(handle.db, 2_000),
    close: () => handle.close(),
  };
}

export interface SwitchyardOptions extends ConfigOverrides, ComposeOptions {}

/**
 * Library entry: Switchyard in-process, no HTTP server. Options are taken as given and the
 * environment is not read, so an embedding app decides its own configuration.
 */
export function createSwitchyard(options: SwitchyardOptions = {}): Promise<Switchyard> {
  const { logger, migrate, ...overrides } = options;
  return composeSwitchyard(loadConfig({}, overrides), { logger, migrate });
}
