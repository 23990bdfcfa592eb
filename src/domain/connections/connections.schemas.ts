import { type Static, Type } from "typebox";
import {
  HEADER_NAME_PATTERN,
  MAX_HEADER_VALUE_LENGTH,
  MAX_HEADERS,
  MAX_HEADERS_TOTAL_LENGTH,
} from "./custom-headers.js";
import { PROVIDER_TYPES } from "./provider-types.js";

export const ProviderTypeSchema = Type.Enum([...PROVIDER_TYPES], {
  description: `One of ${PROVIDER_TYPES.join(", ")}`,
});

// Names outside the pattern are not checked by the schema at all (patternProperties): the service
// refuses them with a message that says why (custom-headers.ts), as it does unsendable values.
const HeaderName = Type.String({ pattern: HEADER_NAME_PATTERN });

/**
 * Per-connection settings (seed 001's config, seed 003's api_config). Not secrets, but for the values
 * of credential-like custom headers, which are stored encrypted apart from it (secret-header-values.ts).
 */
export const ConnectionConfig = Type.Object(
  {
    organization: Type.Optional(Type.String({ maxLength: 200, description: "OpenAI organization id" })),
    headers: Type.Optional(
      Type.Record(HeaderName, Type.String({ maxLength: MAX_HEADER_VALUE_LENGTH }), {
        maxProperties: MAX_HEADERS,
        description:
          "Extra headers sent upstream: never Authorization or key headers (use api_key), nor hop-by-hop " +
          "or framing headers (host, content-length, connection, keep-alive, te, trailer, " +
          "transfer-encoding, upgrade, expect). Values are Latin-1 text without control characters " +
          `(tab is fine); names and values together at most ${MAX_HEADERS_TOTAL_LENGTH} characters. ` +
          "The values of names that look like credentials (auth, key, token, secret, cookie, session, " +
          "password, credential) are stored encrypted and shown as `[hidden]`; sending `[hidden]` back keeps the stored value.",
      }),
    ),
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2, description: "Default temperature" })),
    max_tokens: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1_000_000, description: "Default max_tokens" }),
    ),
    api_version: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 40,
        description: "azure-openai: the api-version, e.g. 2024-10-21",
      }),
    ),
    deployment: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: "azure-openai: the deployment name" }),
    ),
  },
  { additionalProperties: false },
);
export type ConnectionConfig = Static<typeof ConnectionConfig>;

const BaseUrl = Type.String({
  maxLength: 500,
  pattern: "^https?://[^\\s/?#]+[^\\s]*$",
  description: "http(s) URL of the API; defaults per provider type",
  examples: ["https://api.openai.com/v1"],
});
const Name = Type.String({
  minLength: 1,
  maxLength: 200,
  pattern: "^\\S(.*\\S)?$",
  examples: ["work-openai"],
});
const ApiKey = Type.String({
  minLength: 1,
  maxLength: 4000,
  description: "Stored encrypted; never returned",
});
const ApiKeyRef = Type.String({
  pattern: "^env:[A-Z_][A-Z0-9_]{0,127}$",
  description:
    "`env:NAME`: read the key from the server's environment at call time (names on the allowlist setting only)",
  examples: ["env:OPENAI_API_KEY"],
});
const Model = Type.String({ minLength: 1, maxLength: 200, examples: ["gpt-4o-mini"] });
const TimeoutSeconds = Type.Integer({ minimum: 1, maximum: 600, default: 60 });
const ContextWindow = Type.Integer({ minimum: 1, maximum: 100_000_000 });

export const CreateConnectionBody = Type.Object(
  {
    name: Name,
    provider_type: ProviderTypeSchema,
    scope: Type.Optional(
      Type.Union([Type.Literal("user"), Type.Literal("org"), Type.Literal("system")], { default: "user" }),
    ),
    org_id: Type.Optional(Type.String({ format: "uuid", description: "Required for scope org" })),
    base_url: Type.Optional(BaseUrl),
    model: Type.Optional(Model),
    api_key: Type.Optional(ApiKey),
    api_key_ref: Type.Optional(ApiKeyRef),
    config: Type.Optional(ConnectionConfig),
    timeout_seconds: Type.Optional(TimeoutSeconds),
    context_window: Type.Optional(ContextWindow),
    is_default: Type.Optional(Type.Boolean()),
    is_enabled: Type.Optional(Type.Boolean()),
  },
  {
    additionalProperties: false,
    examples: [
      { name: "work-openai", provider_type: "openai", model: "gpt-4o-mini", api_key: "sk-..." },
      { name: "claude", provider_type: "anthropic", model: "claude-sonnet-4-5", api_key: "sk-ant-..." },
      { name: "gemini", provider_type: "google", model: "gemini-2.0-flash", api_key: "AIza..." },
      { name: "local", provider_type: "ollama", base_url: "http://localhost:11434", model: "llama3" },
      { name: "deepseek", provider_type: "deepseek", model: "deepseek-chat", api_key: "sk-..." },
      { name: "proxy", provider_type: "litellm", base_url: "http://litellm:4000/v1", model: "gpt-4o" },
      { name: "vllm", provider_type: "openai-compatible", base_url: "http://vllm:8000/v1", model: "qwen2.5" },
      {
        name: "azure",
        provider_type: "azure-openai",
        base_url: "https://my-resource.openai.azure.com",
        model: "gpt-4o",
        api_key: "...",
        config: { api_version: "2024-10-21", deployment: "gpt-4o-prod" },
      },
      {
        name: "team-openai",
        provider_type: "openai",
        api_key_ref: "env:OPENAI_API_KEY",
        scope: "system",
        is_default: true,
      },
    ],
  },
);
export type CreateConnectionBody = Static<typeof CreateConnectionBody>;

export const UpdateConnectionBody = Type.Object(
  {
    name: Type.Optional(Name),
    provider_type: Type.Optional(ProviderTypeSchema),
    base_url: Type.Optional(Type.Union([BaseUrl, Type.Null()])),
    model: Type.Optional(Type.Union([Model, Type.Null()])),
    api_key: Type.Optional(
      Type.Union([ApiKey, Type.Null()], { description: "A new key, or null to remove it" }),
    ),
    api_key_ref: Type.Optional(Type.Union([ApiKeyRef, Type.Null()])),
    config: Type.Optional(Type.Union([ConnectionConfig, Type.Null()])),
    timeout_seconds: Type.Optional(TimeoutSeconds),
    context_window: Type.Optional(Type.Union([ContextWindow, Type.Null()])),
    is_default: Type.Optional(Type.Boolean()),
    is_enabled: Type.Optional(Type.Boolean()),
  },
  {
    additionalProperties: false,
    examples: [{ model: "gpt-4o" }, { api_key: "sk-new..." }, { is_enabled: false }],
  },
);
export type UpdateConnectionBody = Static<typeof UpdateConnectionBody>;

const NullableString = Type.Union([Type.String(), Type.Null()]);

const USAGE_VIEW_NULL = "Null for a caller who may use the connection but not change it (can_manage false)";

export const ConnectionView = Type.Object(
  {
    id: Type.String({ format: "uuid" }),
    scope: Type.Union([Type.Literal("user"), Type.Literal("org"), Type.Literal("system")]),
    user_id: NullableString,
    org_id: NullableString,
    name: Type.String(),
    provider_type: ProviderTypeSchema,
    base_url: Type.Union([Type.String(), Type.Null()], { description: USAGE_VIEW_NULL }),
    model: NullableString,
    has_api_key: Type.Boolean(),
    api_key_hint: Type.Union([Type.String({ description: "The key's last 4 characters" }), Type.Null()], {
      description: USAGE_VIEW_NULL,
    }),
    api_key_ref: Type.Union([Type.String(), Type.Null()], { description: USAGE_VIEW_NULL }),
    config: Type.Union([ConnectionConfig, Type.Null()], { description: USAGE_VIEW_NULL }),
    timeout_seconds: Type.Integer(),
    context_window: Type.Union([Type.Integer(), Type.Null()]),
    is_default: Type.Boolean(),
    is_enabled: Type.Boolean(),
    health_status: Type.Union([Type.Literal("unknown"), Type.Literal("ok"), Type.Literal("failed")]),
    last_tested_at: NullableString,
    last_error: Type.Union([Type.String(), Type.Null()], { description: USAGE_VIEW_NULL }),
    can_manage: Type.Boolean({
      description:
        "Whether the caller may change (and delete, test for everyone, see the whole of) this connection: " +
        "an admin for system connections, the org's owners and admins for org ones, the owner for user ones",
    }),
    created_at: Type.String({ format: "date-time" }),
    updated_at: Type.String({ format: "date-time" }),
  },
  { $id: "Connection", title: "Connection" },
);
export type ConnectionView = Static<typeof ConnectionView>;

export const ConnectionList = Type.Object({ items: Type.Array(Type.Ref("Connection")) });
