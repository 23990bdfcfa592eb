import type { Kysely } from "kysely";
import { newId } from "../new-id.js";
import { constraintViolation, isMissingReference, violatedConstraintName } from "../../db/errors.js";
import type { ConnectionScope, Database, MembershipRole } from "../../db/schema.js";
import { SecretDecryptionError } from "../../secrets/envelope.js";
import { type Actor, isAdmin } from "../actor.js";
import { managesOrg } from "../orgs/manages-org.js";
import type { AuditRecorder } from "../audit/audit.types.js";
import { AppError, type FieldIssue, isAppError } from "../errors.js";
import type { OrgsRepo } from "../orgs/orgs.repo.js";
import type { SettingsService } from "../settings/settings.service.js";
import { parseInput } from "../validate.js";
import { hasUserinfo } from "./base-url-userinfo.js";
import { toConnectionView } from "./connection-view.js";
import { HIDDEN_HEADER_VALUE, restoreHiddenHeaderValues } from "./hidden-header-values.js";
import { joinSecretHeaderValues, splitSecretHeaderValues } from "./secret-header-values.js";
import {
  type ConnectionPatch,
  type ConnectionRecord,
  type ConnectionsRepo,
  ownerKeyOf,
  type Visibility,
} from "./connections.repo.js";
import {
  type ConnectionConfig,
  CreateConnectionBody,
  type ConnectionView,
  UpdateConnectionBody,
} from "./connections.schemas.js";
import { customHeaderIssues } from "./custom-headers.js";
import { effectiveBaseUrl, PROVIDER_TYPE_RULES, type ProviderType } from "./provider-types.js";

/** Encrypts a key for one row: the AAD binds the ciphertext to the row's id and owner. */
export interface ConnectionSecrets {
  encrypt(plaintext: string, connectionId: string, ownerKey: string): string;
  hint(plaintext: string): string | null;
  /** The values of credential-like custom headers, by name, as one envelope bound to the row. */
  encryptHeaders(values: Readonly<Record<string, string>>, connectionId: string, ownerKey: string): string;
  decryptHeaders(blob: string, connectionId: string, ownerKey: string): Record<string, string>;
}

export interface ConnectionsServiceDeps {
  db: Kysely<Database>;
  repo: ConnectionsRepo;
  orgs: Pick<OrgsRepo, "membershipsOfUser" | "findRole">;
  settings: Pick<SettingsService, "get">;
  secrets: ConnectionSecrets;
  /** Refuses a base URL that resolves to a private address (SSRF); resolves when it is fine. */
  checkBaseUrl(url: string, options: { allowPrivate: boolean }): Promise<void>;
  audit: Pick<AuditRecorder, "record">;
  /** Told after any change that could change which connection serves someone. */
  onChange(): Promise<void>;
}

const DEFAULT_INDEX = "llm_providers_one_default_key";

const connectionNotFound = () => new AppError("not_found", "No connection with that id");

/** A row read back inside the transaction that wrote it; gone only if a concurrent delete won. */
function stillThere(found: ConnectionRecord | undefined): ConnectionRecord {
  if (!found) throw connectionNotFound();
  return found;
}

function invalid(field: string, message: string): AppError {
  return new AppError("validation_failed", `${field} ${message}`, { issues: [{ field, message }] });
}

/** Retries a transaction that lost a race the database settled (a deadlock, a second first-default). */
async function withRetry<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      const code = (error as { code?: unknown; errno?: unknown }).code;
      const errno = (error as { errno?: unknown }).errno;
      const deadlock = code === "40P01" || code === "40001" || errno === 1213 || code === "SQLITE_BUSY";
      const secondDefault =
        constraintViolation(error) === "unique" && violatedConstraintName(error) === DEFAULT_INDEX;
      if (attempt >= 4 || !(deadlock || secondDefault)) throw error;
    }
  }
}

export function createConnectionsService(deps: ConnectionsServiceDeps) {
  /** A config as stored: credential-like header values taken out of it and encrypted for the row. */
  function forStorage(
    config: ConnectionConfig | null,
    id: string,
    ownerKey: string,
  ): { config: ConnectionConfig | null; secretHeadersEncrypted: string | null } {
    if (!config?.headers) return { config, secretHeadersEncrypted: null };
    const { stored, secret } = splitSecretHeaderValues(config.headers);
    return {
      config: { ...config, headers: stored },
      secretHeadersEncrypted: secret ? deps.secrets.encryptHeaders(secret, id, ownerKey) : null,
    };
  }

  /** The stored headers with their secret values decrypted, for restoring the ones sent back hidden. */
  function storedHeaderValues(c: ConnectionRecord): Record<string, string> | undefined {
    const headers = c.config?.headers;
    if (headers === undefined || c.secretHeadersEncrypted === null) return headers;
    try {
      return joinSecretHeaderValues(
        headers,
        deps.secrets.decryptHeaders(c.secretHeadersEncrypted, c.id, c.ownerKey),
      );
    } catch (error) {
      if (!(error instanceof SecretDecryptionError)) throw error;
      throw invalid(
        "/config/headers",
        "keeps values that cannot be decrypted (was the master key replaced without rotating?): send every value again",
      );
    }
  }

  async function visibility(actor: Actor): Promise<Visibility | undefined> {
    if (actor.kind !== "user") return undefined;
    const memberships = await deps.orgs.membershipsOfUser(actor.userId);
    return { userId: actor.userId, orgIds: memberships.map((m) => m.orgId) };
  }

  /** A connection the actor may see, or 404 (someone else's looks the same as none). */
  async function findReadable(actor: Actor, id: string): Promise<ConnectionRecord> {
    const v = await visibility(actor);
    const found = v ? await deps.repo.findVisible(id, v) : await deps.repo.findById(id);
    if (!found) throw connectionNotFound();
    return found;
  }

  async function assertCanWrite(
    actor: Actor,
    scope: ConnectionScope,
    userId: string | null,
    orgId: string | null,
  ) {
    if (scope === "system") {
      if (!isAdmin(actor)) throw new AppError("forbidden", "Only an admin may change system connections");
      return;
    }
    if (actor.kind === "system") return;
    if (scope === "user") {
      if (userId !== actor.userId) throw connectionNotFound();
      return;
    }
    const role = orgId ? await deps.orgs.findRole(orgId, actor.userId) : undefined;
    if (!role) throw new AppError("not_found", "No organization with that id");
    if (!managesOrg(role)) {
      throw new AppError("forbidden", "Only the organization's owners and admins may change its connections");
    }
  }

  /** Whether the actor may change a connection: assertCanWrite's rule, told the actor's org roles. */
  function changesGiven(actor: Actor, orgRoles: ReadonlyMap<string, MembershipRole>) {
    return (c: ConnectionRecord): boolean => {
      if (actor.kind === "system") return true;
      if (c.scope === "system") return isAdmin(actor);
      if (c.scope === "user") return c.userId === actor.userId;
      return c.orgId !== null && managesOrg(orgRoles.get(c.orgId));
    };
  }

  async function mayChange(actor: Actor, c: ConnectionRecord): Promise<boolean> {
    try {
      await assertCanWrite(actor, c.scope, c.userId, c.orgId);
      return true;
    } catch (error) {
      if (isAppError(error)) return false;
      throw error;
    }
  }

  /**
   * The rules that depend on the provider type and scope, checked on the connection as it would be.
   * A disabled connection may be incomplete (a draft, or a profile switched off); what it needs to be
   * called is checked when it is enabled. `written` is what this request sets: the base URL's
   * credentials and the custom headers are checked there only, so a row stored before those rules
   * can still be changed (disabled, above all) without fixing them first.
   */
  async function validateShape(
    c: {
      enabled: boolean;
      scope: ConnectionScope;
      providerType: ProviderType;
      baseUrl: string | null;
      hasKey: boolean;
      apiKey: string | null | undefined;
      apiKeyRef: string | null;
      config: ConnectionConfig | null;
    },
    written: { base_url?: string | null; config?: ConnectionConfig | null },
  ): Promise<void> {
    const rules = PROVIDER_TYPE_RULES[c.providerType];
    const issues: FieldIssue[] = [];
    // The message never quotes the URL: its userinfo is a password.
    if (written.base_url && hasUserinfo(written.base_url)) {
      issues.push({
        field: "/base_url",
        message:
          "must not carry credentials (user:password@), which are never sent: put the key in api_key or a header in config.headers",
      });
    }
    if (c.apiKey !== undefined && c.apiKey !== null && c.apiKey.trim() === "") {
      issues.push({ field: "/api_key", message: "must not be blank" });
    }
    if (c.apiKey && c.apiKeyRef)
      issues.push({ field: "/api_key_ref", message: "give either api_key or api_key_ref, not both" });
    if (c.enabled && rules.requiresKey && !c.hasKey) {
      issues.push({ field: "/api_key", message: `is required for ${c.providerType} (or api_key_ref)` });
    }
    if (c.enabled && !effectiveBaseUrl(c.providerType, c.baseUrl)) {
      issues.push({ field: "/base_url", message: `is required for ${c.providerType}` });
    }
    if (c.enabled && c.providerType === "azure-openai" && !c.config?.api_version) {
      issues.push({ field: "/config/api_version", message: "is required for azure-openai" });
    }
    // The config schema is one shape for every type; these fields mean something to one family only.
    if (c.providerType !== "azure-openai") {
      for (const field of ["api_version", "deployment"] as const) {
        if (c.config?.[field] !== undefined)
          issues.push({ field: `/config/${field}`, message: "is only for azure-openai" });
      }
    }
    if (
      c.config?.organization !== undefined &&
      !["openai", "openai-compatible", "azure-openai"].includes(c.providerType)
    ) {
      issues.push({
        field: "/config/organization",
        message: `is an OpenAI setting; ${c.providerType} has none`,
      });
    }
    if (written.config?.headers) issues.push(...customHeaderIssues(written.config.headers));
    if (c.apiKeyRef) {
      const name = c.apiKeyRef.slice("env:".length);
      if (c.scope !== "system") {
        issues.push({
          field: "/api_key_ref",
          message: "only system connections may use a key from the server environment",
        });
      } else if (!(await deps.settings.get("connections.env_key_allowlist")).includes(name)) {
        issues.push({
          field: "/api_key_ref",
          message: `${name} is not on the connections.env_key_allowlist setting`,
        });
      }
    }
    if (issues.length > 0) {
      throw new AppError("validation_failed", `${issues[0]!.field} ${issues[0]!.message}`, { issues });
    }
    // A private target is refused for user and org connections unless an admin allowed it; system
    // connections are an admin's own decision (a local Ollama is the usual case).
    const url = effectiveBaseUrl(c.providerType, c.baseUrl);
    if (c.scope !== "system" && url && (c.enabled || c.baseUrl !== null)) {
      const allowPrivate = await deps.settings.get("connections.allow_private_base_urls");
      try {
        await deps.checkBaseUrl(url, { allowPrivate });
      } catch (error) {
        throw invalid("/base_url", error instanceof Error ? error.message : "is not allowed");
      }
    }
  }

  /** What the database settled in a race, in our codes: a name taken, or the owner deleted meanwhile. */
  const fromDatabase = (error: unknown, scope: ConnectionScope): unknown => {
    if (constraintViolation(error) === "unique" && violatedConstraintName(error) !== DEFAULT_INDEX) {
      return new AppError("conflict", "This owner already has a connection with that name", { cause: error });
    }
    if (isMissingReference(error)) {
      const owner = scope === "org" ? "organization" : "user";
      return new AppError("not_found", `No ${owner} with that id`, { cause: error });
    }
    return error;
  };

  const record = async (
    actor: Actor,
    action: string,
    c: { id: string; scope: string; name: string },
    details = {},
  ) => {
    await deps.onChange();
    await deps.audit.record(actor, {
      action,
      resourceType: "connection",
      resourceId: c.id,
      details: { scope: c.scope, name: c.name, ...details },
    });
  };

  return {
    /**
     * Connections the caller can use: own, their orgs', the system's. Defaults first, newest first.
     * Each is the full view or the usage view by whether the caller may change it, decided from the
     * memberships already read for visibility, not by a query per connection.
     */
    async list(actor: Actor): Promise<{ items: ConnectionView[] }> {
      if (actor.kind !== "user") throw new AppError("unauthorized", "No user is signed in");
      const memberships = await deps.orgs.membershipsOfUser(actor.userId);
      const rows = await deps.repo.listVisible({
        userId: actor.userId,
        orgIds: memberships.map((m) => m.orgId),
      });
      const changes = changesGiven(actor, new Map(memberships.map((m) => [m.orgId, m.role])));
      return { items: rows.map((c) => toConnectionView(c, changes(c))) };
    },

    async get(actor: Actor, id: string): Promise<ConnectionView> {
      const found = await findReadable(actor, id);
      return toConnectionView(found, await mayChange(actor, found));
    },

    async create(actor: Actor, input: unknown): Promise<ConnectionView> {
      const body = parseInput(CreateConnectionBody, input);
      const scope = body.scope ?? "user";
      if (scope === "user" && actor.kind !== "user")
        throw new AppError("bad_request", "A user connection needs a user");
      if (scope === "org" && !body.org_id) throw invalid("/org_id", "is required for scope org");
      if (scope !== "org" && body.org_id) throw invalid("/org_id", "is only for scope org");
      const userId = scope === "user" && actor.kind === "user" ? actor.userId : null;
      const orgId = scope === "org" ? (body.org_id ?? null) : null;
      await assertCanWrite(actor, scope, userId, orgId);
      await validateShape(
        {
          enabled: body.is_enabled ?? true,
          scope,
          providerType: body.provider_type,
          baseUrl: body.base_url ?? null,
          hasKey: !!body.api_key || !!body.api_key_ref,
          apiKey: body.api_key,
          apiKeyRef: body.api_key_ref ?? null,
          config: body.config ?? null,
        },
        body,
      );

      const id = newId();
      const ownerKey = ownerKeyOf(scope, userId, orgId);
      const stored = forStorage(body.config ?? null, id, ownerKey);
      let created: ConnectionRecord;
      try {
        created = await withRetry(() =>
          deps.db.transaction().execute(async (trx) => {
            await deps.repo.lockOwner(ownerKey, trx);
            await deps.repo.insert(
              {
                id,
                scope,
                userId,
                orgId,
                name: body.name,
                providerType: body.provider_type,
                baseUrl: body.base_url ?? null,
                model: body.model ?? null,
                apiKeyEncrypted: body.api_key ? deps.secrets.encrypt(body.api_key, id, ownerKey) : null,
                apiKeyRef: body.api_key_ref ?? null,
                apiKeyHint: body.api_key ? deps.secrets.hint(body.api_key) : null,
                config: stored.config,
                secretHeadersEncrypted: stored.secretHeadersEncrypted,
                timeoutSeconds: body.timeout_seconds ?? 60,
                contextWindow: body.context_window ?? null,
                isDefault: false,
                isEnabled: body.is_enabled ?? true,
              },
              trx,
            );
            // An owner without a default (a first connection) gets this one, whatever was asked. Two
            // concurrent firsts both see none; the one-default index refuses the second, which is
            // retried and then sees the first's default.
            if (body.is_default === true || !(await deps.repo.defaultOf(ownerKey, trx))) {
              if (!(await deps.repo.makeDefault(ownerKey, id, trx))) throw connectionNotFound();
            }
            // Read back before the commit: after it, deleting the owner may cascade to the new row.
            return stillThere(await deps.repo.findById(id, trx));
          }),
        );
      } catch (error) {
        throw fromDatabase(error, scope);
      }
      await record(actor, "connection.create", created, { provider_type: created.providerType });
      return toConnectionView(created, true);
    },

    async update(actor: Actor, id: string, input: unknown): Promise<ConnectionView> {
      const body = parseInput(UpdateConnectionBody, input);
      const current = await findReadable(actor, id);
      await assertCanWrite(actor, current.scope, current.userId, current.orgId);

      // A hidden header value sent back as it was shown keeps the stored credential (decrypted only
      // when one was sent back).
      const sentHeaders = body.config?.headers;
      if (body.config && sentHeaders !== undefined) {
        const keeps = Object.values(sentHeaders).includes(HIDDEN_HEADER_VALUE);
        body.config = {
          ...body.config,
          headers: restoreHiddenHeaderValues(sentHeaders, keeps ? storedHeaderValues(current) : undefined),
        };
      }
      const providerType = body.provider_type ?? current.providerType;
      const apiKeyRef = body.api_key_ref !== undefined ? body.api_key_ref : current.apiKeyRef;
      const keyAfter = body.api_key !== undefined ? body.api_key !== null : current.apiKeyEncrypted !== null;
      await validateShape(
        {
          enabled: body.is_enabled ?? current.isEnabled,
          scope: current.scope,
          providerType,
          baseUrl: body.base_url !== undefined ? body.base_url : current.baseUrl,
          hasKey: keyAfter || apiKeyRef !== null,
          apiKey: body.api_key,
          apiKeyRef: body.api_key_ref !== undefined ? body.api_key_ref : null,
          config: body.config !== undefined ? body.config : current.config,
        },
        body,
      );
      if (body.is_default === false && current.isDefault) {
        throw new AppError(
          "bad_request",
          "A connection cannot stop being the default by itself: set another connection as the default instead",
        );
      }

      const patch: ConnectionPatch = {
        name: body.name,
        providerType: body.provider_type,
        baseUrl: body.base_url,
        model: body.model,
        apiKeyRef: body.api_key_ref,
        config: body.config,
        timeoutSeconds: body.timeout_seconds,
        contextWindow: body.context_window,
        isEnabled: body.is_enabled,
      };
      if (body.config !== undefined) {
        const stored = forStorage(body.config, id, current.ownerKey);
        patch.config = stored.config;
        patch.secretHeadersEncrypted = stored.secretHeadersEncrypted;
      }
      if (body.api_key !== undefined) {
        patch.apiKeyEncrypted =
          body.api_key === null ? null : deps.secrets.encrypt(body.api_key, id, current.ownerKey);
        patch.apiKeyHint = body.api_key === null ? null : deps.secrets.hint(body.api_key);
      }
      // Setting a literal key replaces an env reference and the other way round.
      if (body.api_key) patch.apiKeyRef = null;
      if (body.api_key_ref) {
        patch.apiKeyEncrypted = null;
        patch.apiKeyHint = null;
      }
      let updated: ConnectionRecord;
      try {
        updated = await withRetry(() =>
          deps.db.transaction().execute(async (trx) => {
            await deps.repo.lockOwner(current.ownerKey, trx);
            // Deleted since it was read above: there is nothing left to change.
            if (!(await deps.repo.update(id, current.ownerKey, patch, trx))) throw connectionNotFound();
            if (body.is_default === true && !(await deps.repo.makeDefault(current.ownerKey, id, trx))) {
              throw connectionNotFound();
            }
            return stillThere(await deps.repo.findById(id, trx));
          }),
        );
      } catch (error) {
        throw fromDatabase(error, current.scope);
      }
      const changed = Object.keys(body).filter((k) => k !== "api_key");
      await record(actor, "connection.update", updated, {
        fields: body.api_key !== undefined ? [...changed, "api_key"] : changed,
      });
      return toConnectionView(updated, true);
    },

    /** Makes this connection its owner's default; the previous default is cleared in the same transaction. */
    async setDefault(actor: Actor, id: string): Promise<ConnectionView> {
      const current = await findReadable(actor, id);
      await assertCanWrite(actor, current.scope, current.userId, current.orgId);
      const updated = await withRetry(() =>
        deps.db.transaction().execute(async (trx) => {
          await deps.repo.lockOwner(current.ownerKey, trx);
          // Deleted since it was read above: the old default must stay, or the owner would have none.
          if (!(await deps.repo.makeDefault(current.ownerKey, id, trx))) throw connectionNotFound();
          return stillThere(await deps.repo.findById(id, trx));
        }),
      );
      await record(actor, "connection.set_default", updated);
      return toConnectionView(updated, true);
    },

    async delete(actor: Actor, id: string): Promise<void> {
      const current = await findReadable(actor, id);
      await assertCanWrite(actor, current.scope, current.userId, current.orgId);
      await withRetry(() =>
        deps.db.transaction().execute(async (trx) => {
          const siblings = await deps.repo.lockOwner(current.ownerKey, trx);
          const target = siblings.find((c) => c.id === id);
          // A concurrent delete took it first: that one answered 204, this one has nothing to delete.
          if (!target) throw connectionNotFound();
          const stillDefault = target.isDefault;
          if (stillDefault && current.scope === "system") {
            throw new AppError(
              "bad_request",
              "The system default connection cannot be deleted: set another default first",
            );
          }
          if (stillDefault && siblings.length > 1) {
            throw new AppError(
              "bad_request",
              "This is the default connection: set another connection as the default first",
            );
          }
          await deps.repo.delete(id, trx);
        }),
      );
      await record(actor, "connection.delete", current);
    },

    /** For the health check and the gateway: a connection the actor may use, as stored. */
    findUsable: findReadable,
    /**
     * Whether the actor may change this connection (and so the state every user of it sees), and
     * see all of it: where it points, how it authenticates, upstream errors naming its host.
     */
    mayChange,
  };
}

export type ConnectionsService = ReturnType<typeof createConnectionsService>;
