import { type Static, type TSchema, Type } from "typebox";
import { Value } from "typebox/value";

/**
 * Every setting Switchyard reads, with the schema that is both its TypeScript type and its runtime
 * validator. A key that is not here cannot be stored, and a stored value is trusted only after it
 * validates against the schema here, since the registry may have changed since it was written.
 */
export interface SettingDefinition<S extends TSchema = TSchema> {
  schema: S;
  default: Static<S>;
  /** Shown to admins beside the value, and copied into the row so the table reads on its own in SQL. */
  description: string;
}

/** Ties a default to its own schema's type, which a plain object literal would not check. */
function defineSetting<S extends TSchema>(definition: SettingDefinition<S>): SettingDefinition<S> {
  return definition;
}

export const SETTINGS = {
  "auth.registration": defineSetting({
    schema: Type.Enum(["open", "closed"]),
    default: "closed",
    description:
      "Whether anyone may register after the first user (who becomes admin): open, or closed so only admins create users.",
  }),
  "auth.access_token_ttl_seconds": defineSetting({
    schema: Type.Integer({ minimum: 60, maximum: 86_400 }),
    default: 900,
    description: "Lifetime of an access token in seconds (60 to 86400); refresh tokens renew it.",
  }),
  "gateway.fallback_to_system_default": defineSetting({
    schema: Type.Boolean(),
    default: true,
    description:
      "Whether a user with no connection of their own and no organization default is served by the system default connection.",
  }),
  "gateway.fallback_on_failure": defineSetting({
    schema: Type.Boolean(),
    default: false,
    description:
      "When a call fails before its first byte (after retries), whether the gateway tries the next default in the resolution order (org, then system) instead of answering the error.",
  }),
  "connections.allow_private_base_urls": defineSetting({
    schema: Type.Boolean(),
    default: false,
    description:
      "Whether user- and org-scope connections may point at private, loopback or link-local addresses (refused by default: SSRF).",
  }),
  "connections.env_key_allowlist": defineSetting({
    schema: Type.Array(Type.String({ pattern: "^[A-Z_][A-Z0-9_]{0,127}$" }), {
      maxItems: 100,
      uniqueItems: true,
    }),
    default: [],
    description:
      "Environment variable names that system connections may use as their key (api_key_ref: env:NAME); any other name is refused.",
  }),
  "health.periodic_checks": defineSetting({
    schema: Type.Boolean(),
    default: false,
    description:
      "Whether enabled connections are checked against their upstream on a schedule (model list only, never a paid call).",
  }),
  "health.check_interval_seconds": defineSetting({
    schema: Type.Integer({ minimum: 30, maximum: 86_400 }),
    default: 300,
    description: "How often each connection is checked when periodic checks are on (30 to 86400 seconds).",
  }),
  "health.failure_threshold": defineSetting({
    schema: Type.Integer({ minimum: 1, maximum: 20 }),
    default: 3,
    description:
      "Periodic checks mark a connection failed only after this many failures in a row; one success marks it ok.",
  }),
  "ratelimit.user_requests_per_minute": defineSetting({
    schema: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
    default: 0,
    description: "Gateway requests per minute per user, across all their keys and tokens (0: no limit).",
  }),
  "ratelimit.user_tokens_per_minute": defineSetting({
    schema: Type.Integer({ minimum: 0, maximum: 1_000_000_000 }),
    default: 0,
    description: "Gateway tokens (prompt + completion) per minute per user (0: no limit).",
  }),
  "ratelimit.key_requests_per_minute": defineSetting({
    schema: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
    default: 0,
    description: "Gateway requests per minute per API key, unless the key sets its own (0: no limit).",
  }),
  "ratelimit.key_tokens_per_minute": defineSetting({
    schema: Type.Integer({ minimum: 0, maximum: 1_000_000_000 }),
    default: 0,
    description: "Gateway tokens per minute per API key, unless the key sets its own (0: no limit).",
  }),
  "ratelimit.user_connection_checks_per_minute": defineSetting({
    schema: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
    default: 10,
    description:
      "Connection tests and model listings per minute per user, admins included: each is an upstream call on the connection's key (0: no limit).",
  }),
} as const;

export type SettingKey = keyof typeof SETTINGS;
export type SettingValue<K extends SettingKey> = Static<(typeof SETTINGS)[K]["schema"]>;
export type SettingValues = { [K in SettingKey]: SettingValue<K> };

/** In registry order, which is also the order the admin list shows. */
export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];

export function isSettingKey(key: string): key is SettingKey {
  return Object.hasOwn(SETTINGS, key);
}

export function settingDefinition<K extends SettingKey>(
  key: K,
): SettingDefinition<(typeof SETTINGS)[K]["schema"]> {
  return SETTINGS[key];
}

export function defaultSettingValue<K extends SettingKey>(key: K): SettingValue<K> {
  // A clone, so a caller that mutates an object-valued default cannot change it for everyone else.
  return Value.Clone(SETTINGS[key].default) as SettingValue<K>;
}

export function isValidSettingValue<K extends SettingKey>(key: K, value: unknown): value is SettingValue<K> {
  return Value.Check(SETTINGS[key].schema, value);
}

/** One way a value fails its key's schema: a JSON pointer inside the value ("" for the value itself). */
export interface SettingValueError {
  path: string;
  message: string;
}

/**
 * Why a value does not fit the key's schema, or [] when it fits. Enum failures list the allowed
 * values, since TypeBox's own message does not name them.
 */
export function settingValueErrors(key: SettingKey, value: unknown): SettingValueError[] {
  const seen = new Set<string>();
  const errors: SettingValueError[] = [];
  for (const error of Value.Errors(SETTINGS[key].schema, value)) {
    let message = error.message;
    if (error.keyword === "enum" && "allowedValues" in error.params) {
      const allowed = (error.params.allowedValues as readonly unknown[]).map((v) => JSON.stringify(v));
      message = `must be one of ${allowed.join(", ")}`;
    }
    const id = JSON.stringify([error.instancePath, message]);
    if (seen.has(id)) continue;
    seen.add(id);
    errors.push({ path: error.instancePath, message });
  }
  return errors;
}
