import type { Kysely } from "kysely";
import type { InvalidationBus } from "./cache/interface.js";
import { createLru } from "./cache/lru.js";
import { createCachedMap, createMemoryBus } from "./cache/memory.js";
import { type Config, type ConfigOverrides, loadConfig } from "./config.js";
import { connectDatabase } from "./db/connect-database.js";
import { namingLostDatabase } from "./db/database-lost.js";
import { createDatabase, type DatabaseHandle } from "./db/create-database.js";
import { redactDatabaseUrl } from "./db/database-url.js";
import { createMigrator, MigrationError, type SwitchyardMigrator } from "./db/migrator.js";
import { pingDatabase } from "./db/ping.js";
import type { Database } from "./db/schema.js";
import type { ApiKeyRecord } from "./domain/api-keys/api-keys.repo.js";
import { createApiKeysRepo } from "./domain/api-keys/api-keys.repo.js";
import { type ApiKeysService, createApiKeysService } from "./domain/api-keys/api-keys.service.js";
import { createLastUsedBuffer } from "./domain/api-keys/last-used-buffer.js";
import { createAuditRepo } from "./domain/audit/audit.repo.js";
import { type AuditService, createAuditService } from "./domain/audit/audit.service.js";
import { createAccessTokens } from "./domain/auth/access-token.js";
import { type AuthService, createAuthService } from "./domain/auth/auth.service.js";
import { type Authenticator, createAuthenticator } from "./domain/auth/authenticator.js";
import { createPasswordHasher } from "./domain/auth/password-hasher.js";
import { createBootstrapClaimsRepo } from "./domain/auth/bootstrap-claims.repo.js";
import { createSessionsRepo } from "./domain/auth/sessions.repo.js";
import {
  type ConnectionRecord,
  type ConnectionsRepo,
  createConnectionsRepo,
} from "./domain/connections/connections.repo.js";
import {
  type ConnectionSecrets,
  type ConnectionsService,
  createConnectionsService,
} from "./domain/connections/connections.service.js";
import { createProfileService, type ProfileService } from "./domain/connections/profile.service.js";
import { sealPlainHeaderValues } from "./domain/connections/seal-plain-header-values.js";
import { joinSecretHeaderValues } from "./domain/connections/secret-header-values.js";
import {
  type ConnectionResolver,
  createConnectionResolver,
  type ResolutionCandidates,
} from "./domain/connections/resolve-connection.js";
import { createOrgsRepo } from "./domain/orgs/orgs.repo.js";
import { createOrgsService, type OrgsService } from "./domain/orgs/orgs.service.js";
import { createSettingsRepo } from "./domain/settings/settings.repo.js";
import { createSettingsService, type SettingsService } from "./domain/settings/settings.service.js";
import { createIdentityLookup } from "./domain/users/identity.js";
import { createUsersRepo } from "./domain/users/users.repo.js";
import { createUsageRepo } from "./domain/usage/usage.repo.js";
import { createUsageService, type UsageService } from "./domain/usage/usage.service.js";
import { createUsersService, type UsersService } from "./domain/users/users.service.js";
import { createLogger, type Logger } from "./logger.js";
import { createMetrics, type Metrics } from "./metrics.js";
import type { RateLimitStore } from "./ratelimit/interface.js";
import { createMemoryRateLimitStore } from "./ratelimit/memory.js";
import { createConnectionCheckLimit } from "./domain/connections/connection-check-limit.js";
import {
  createConnectionHealth,
  type ConnectionHealth,
} from "./domain/connections/connection-health.service.js";
import { createGateway, type Gateway } from "./gateway/gateway.service.js";
import { createGatewayLimits } from "./gateway/rate-limits.js";
import { createUsageRecorder } from "./gateway/usage-recorder.js";
import { createProviderDispatchers } from "./providers/dispatchers.js";
import { ProviderError } from "./providers/errors.js";
import { adapterFor } from "./providers/registry.js";
import { checkBaseUrl } from "./providers/ssrf.js";
import {
  holdsEncryptedConnectionSecrets,
  secretsUnderUnknownKeys,
} from "./secrets/connection-secret-store.js";
import { deriveKey } from "./secrets/derive-key.js";
import { connectionAad, decryptSecret, encryptSecret } from "./secrets/envelope.js";
import { decryptHeaderValues, headerValueCipher } from "./secrets/header-values.js";
import { keyHint } from "./secrets/key-hint.js";
import { createKeyring, type Keyring } from "./secrets/keyring.js";
import { resolveMasterKey } from "./secrets/master-key.js";

export interface SwitchyardServices {
  settings: SettingsService;
  audit: AuditService;
  auth: AuthService;
  users: UsersService;
  apiKeys: ApiKeysService;
  orgs: OrgsService;
  connections: ConnectionsService;
  profile: ProfileService;
  health: ConnectionHealth;
  usage: UsageService;
}

export interface Switchyard {
  config: Config;
  logger: Logger;
  db: Kysely<Database>;
  dialect: DatabaseHandle["dialect"];
  migrator: SwitchyardMigrator;
  services: SwitchyardServices;
  /** Turns a request's credentials into the acting user; the per-request path. */
  authenticator: Authenticator;
  metrics: Metrics;
  /** The OpenAI-compatible gateway: resolve, call the upstream, answer in OpenAI's shape. */
  gateway: Gateway;
  /** Which connection serves a user; cached, and dropped on any change that could alter it. */
  resolver: ConnectionResolver;
  /** The keys that encrypt stored provider keys: the current one and any not yet rotated away. */
  keyring: Keyring;
  connectionsRepo: ConnectionsRepo;
  /** The plaintext key of a connection, for a caller that may use it (health checks, the gateway). */
  connectionKey(connection: ConnectionRecord): Promise<string | undefined>;
  /** The custom headers a connection sends, credential-like values decrypted; for the same callers. */
  connectionHeaders(connection: ConnectionRecord): Record<string, string> | undefined;
  /** Resolves when the database answers within two seconds. */
  checkDatabase(): Promise<void>;
  /** Writes the queued usage records now (they are otherwise written every couple of seconds). */
  flushUsage(): Promise<void>;
  /** Flushes buffered writes and closes the database pool and Redis; safe to call more than once. */
  close(): Promise<void>;
}

export interface ComposeOptions {
  logger?: Logger;
  /** Apply pending migrations before returning (default true). */
  migrate?: boolean;
  /** Asked between migration steps: true stops migrating (see SwitchyardMigrator.up). */
  stopRequested?: () => boolean;
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
  const { db, dialect } = handle;
  const migrator = createMigrator(db);
  const connectionsRepo = createConnectionsRepo({ db, dialect });

  let masterKey: Buffer;
  let keyring: Keyring;
  let connectionSecrets: ConnectionSecrets;
  try {
    await connectDatabase(handle, config.databaseUrl);
    masterKey = await resolveMasterKey(config, handle.target, {
      logger,
      holdsEncryptedSecrets: () => holdsEncryptedConnectionSecrets(db),
    });
    if (options.migrate ?? true) {
      const { names } = await migrator.up({ stopRequested: options.stopRequested });
      if (names.length > 0) logger.info({ migrations: names }, "applied migrations");
    } else {
      // Without its schema every request would fail (a 500 per call behind a ready /readyz): an
      // instance told not to migrate refuses to start until someone has.
      const pending = (await migrator.status()).filter((m) => !m.applied).map((m) => m.name);
      if (pending.length > 0) {
        throw new MigrationError(
          undefined,
          new Error(
            `${pending.length} migration(s) pending (${pending.join(", ")}): run \`switchyard migrate up\` first, or start without --no-migrate`,
          ),
        );
      }
    }
    keyring = createKeyring({ current: masterKey, previous: config.previousMasterKeys });
    connectionSecrets = {
      encrypt: (plaintext, id, ownerKey) => encryptSecret(keyring, plaintext, connectionAad(id, ownerKey)),
      hint: (plaintext) => keyHint(plaintext) || null,
      ...headerValueCipher(keyring),
    };
    // Here rather than in a migration, which has no master key; every instance may run it at once.
    const sealed = await sealPlainHeaderValues({
      db,
      repo: connectionsRepo,
      secrets: connectionSecrets,
    });
    if (sealed.sealed > 0) {
      logger.info(
        { connections: sealed.sealed },
        "moved the plain values of credential-like custom headers into encrypted storage",
      );
    }
    for (const failure of sealed.failed) {
      logger.warn(
        { connection: failure.id, reason: failure.reason },
        "a connection's plain custom header values were left as they are: its encrypted ones cannot be read (is its master key missing from the keyring?)",
      );
    }
    // A master key replaced without rotating (or a key file from another directory) would otherwise
    // show only as failing connections, one call at a time.
    for (const { kid, count } of await secretsUnderUnknownKeys(db, keyring.kids)) {
      logger.warn(
        { kid, secrets: count },
        `${count} stored connection secret(s) are encrypted under master key ${kid}, which this instance does not have: those connections fail until SWITCHYARD_MASTER_KEY or SWITCHYARD_PREVIOUS_MASTER_KEYS holds it`,
      );
    }
  } catch (error) {
    await handle.close();
    // Past connectDatabase the database can still go away (a restart, a dropped connection) while
    // the master key is looked up or header values are sealed: said as such, naming the database,
    // as connectDatabase does for the first contact. A migration's failure is its own MigrationError.
    throw namingLostDatabase(error, config.databaseUrl);
  }
  logger.debug({ database: redactDatabaseUrl(config.databaseUrl) }, "database ready");

  // The Redis client is loaded only when Redis is configured: the embedded default never needs it.
  const bus: InvalidationBus = config.redisUrl
    ? (await import("./cache/redis.js")).createRedisBus(config.redisUrl, logger)
    : createMemoryBus();
  const rateLimits: RateLimitStore = config.redisUrl
    ? (await import("./ratelimit/redis.js")).createRedisRateLimitStore(config.redisUrl, logger)
    : createMemoryRateLimitStore();

  const auditService = createAuditService({ repo: createAuditRepo({ db }), logger });
  const orgsRepo = createOrgsRepo({ db, dialect });
  // Resolution answers are dropped wholesale on any relevant change: such changes are rare, reads
  // happen on every gateway call.
  // Declared before the resolver it calls (which needs settings): it runs only after start-up.
  const resolutionChanged = () => resolver.invalidateAll();
  const settings = createSettingsService({
    repo: createSettingsRepo({ db, dialect }),
    audit: auditService,
    onChange: resolutionChanged,
    cache: createCachedMap<{ value: unknown }>({ name: "settings", max: 1_000, ttlMs: 60_000, bus }),
  });
  const resolver: ConnectionResolver = createConnectionResolver({
    repo: connectionsRepo,
    orgs: orgsRepo,
    settings,
    cache: createCachedMap<ResolutionCandidates>({ name: "resolution", max: 50_000, ttlMs: 60_000, bus }),
  });
  const usersRepo = createUsersRepo(db, dialect);
  const sessionsRepo = createSessionsRepo(db);
  const apiKeysRepo = createApiKeysRepo(db);
  const identities = createIdentityLookup({ repo: usersRepo, bus });
  const passwords = createPasswordHasher();
  const accessTokens = createAccessTokens(deriveKey(masterKey, "access-token-signing"));
  const lastUsed = createLastUsedBuffer({ repo: apiKeysRepo, logger });
  const authenticator = createAuthenticator({
    accessTokens,
    identities,
    apiKeys: apiKeysRepo,
    apiKeyCache: createCachedMap<ApiKeyRecord>({ name: "api-key", max: 50_000, ttlMs: 60_000, bus }),
    lastUsed,
  });

  const connections = createConnectionsService({
    db,
    repo: connectionsRepo,
    orgs: orgsRepo,
    settings,
    secrets: connectionSecrets,
    checkBaseUrl: async (url, options) => {
      try {
        await checkBaseUrl(url, options);
      } catch (error) {
        // A name that does not resolve now is saved anyway: DNS may be down or split-horizon, and
        // the connect-time guard checks the address the name resolves to on every call.
        if (!(error instanceof ProviderError && error.kind === "unreachable")) throw error;
      }
    },
    audit: auditService,
    onChange: resolutionChanged,
  });

  // Decrypting on every gateway call is repeated work: plaintexts are kept per (row, ciphertext), so a
  // new key (a new ciphertext) is decrypted afresh and a stale entry is never served.
  const decrypted = createLru<string, string>({ max: 10_000 });
  const connectionKey = async (c: ConnectionRecord): Promise<string | undefined> => {
    if (c.apiKeyEncrypted) {
      const cacheKey = `${c.id}\n${c.ownerKey}\n${c.apiKeyEncrypted}`;
      let key = decrypted.get(cacheKey);
      if (key === undefined) {
        key = decryptSecret(keyring, c.apiKeyEncrypted, connectionAad(c.id, c.ownerKey));
        decrypted.set(cacheKey, key);
      }
      return key;
    }
    if (c.apiKeyRef && c.scope === "system") {
      // Checked again at call time: the allowlist may have shrunk since the connection was saved.
      const name = c.apiKeyRef.slice("env:".length);
      if ((await settings.get("connections.env_key_allowlist")).includes(name))
        return config.secretFromEnv(name);
    }
    return undefined;
  };

  // The same for custom headers: values decrypted per (row, ciphertext), and the headers as sent kept
  // per stored set, so a cached row answers one object (connectionTarget checks each set once).
  const decryptedHeaders = createLru<string, Record<string, string>>({ max: 10_000 });
  const sentHeaders = new WeakMap<object, Record<string, string>>();
  const connectionHeaders = (c: ConnectionRecord): Record<string, string> | undefined => {
    const stored = c.config?.headers;
    if (stored === undefined || c.secretHeadersEncrypted === null) return stored;
    let sent = sentHeaders.get(stored);
    if (sent === undefined) {
      const cacheKey = `${c.id}\n${c.ownerKey}\n${c.secretHeadersEncrypted}`;
      let values = decryptedHeaders.get(cacheKey);
      if (values === undefined) {
        values = decryptHeaderValues(keyring, c.secretHeadersEncrypted, c.id, c.ownerKey);
        decryptedHeaders.set(cacheKey, values);
      }
      sent = joinSecretHeaderValues(stored, values);
      sentHeaders.set(stored, sent);
    }
    return sent;
  };

  const dispatchers = createProviderDispatchers();
  const services: SwitchyardServices = {
    settings,
    audit: auditService,
    auth: createAuthService({
      db,
      users: usersRepo,
      claims: createBootstrapClaimsRepo(db),
      sessions: sessionsRepo,
      identities,
      passwords,
      accessTokens,
      settings,
      throttle: rateLimits,
      audit: auditService,
    }),
    users: createUsersService({
      db,
      users: usersRepo,
      sessions: sessionsRepo,
      apiKeys: apiKeysRepo,
      forgetApiKey: authenticator.forgetApiKey,
      identities,
      orgs: orgsRepo,
      passwords,
      audit: auditService,
    }),
    apiKeys: createApiKeysService({
      repo: apiKeysRepo,
      forgetApiKey: authenticator.forgetApiKey,
      audit: auditService,
    }),
    orgs: createOrgsService({
      db,
      repo: orgsRepo,
      audit: auditService,
      onMembershipChange: resolutionChanged,
    }),
    connections,
    profile: createProfileService({ repo: connectionsRepo, connections, onChange: resolutionChanged }),
    health: createConnectionHealth({
      connections,
      repo: connectionsRepo,
      connectionKey,
      connectionHeaders,
      adapterFor,
      dispatchers,
      settings,
      limit: createConnectionCheckLimit({ store: rateLimits, settings }),
      onChange: resolutionChanged,
    }),
    usage: createUsageService({ repo: createUsageRepo({ db, dialect }) }),
  };

  const metrics = createMetrics();
  const usage = createUsageRecorder({ db, logger });
  const gateway = createGateway({
    resolver,
    connectionKey,
    connectionHeaders,
    dispatchers,
    settings,
    adapterFor,
    usage,
    limits: createGatewayLimits({ store: rateLimits, settings }),
    metrics,
  });

  let closing: Promise<void> | undefined;
  return {
    config,
    logger,
    db,
    dialect,
    migrator,
    services,
    authenticator,
    gateway,
    metrics,
    resolver,
    keyring,
    connectionsRepo,
    connectionKey,
    connectionHeaders,
    checkDatabase: () => pingDatabase(db, 2_000),
    flushUsage: () => usage.flush(),
    close: () => {
      closing ??= (async () => {
        await Promise.all([lastUsed.close(), usage.close()]);
        await Promise.all([bus.close(), rateLimits.close(), dispatchers.close()]);
        await handle.close();
      })();
      return closing;
    },
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
