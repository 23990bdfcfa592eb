import { type Static, Type } from "typebox";

export const ApiKeyView = Type.Object(
  {
    id: Type.String({ format: "uuid" }),
    name: Type.String(),
    prefix: Type.String({
      description: "The first characters of the key, to tell keys apart",
      examples: ["sy-Xk2p9QaZ"],
    }),
    scopes: Type.Array(Type.String()),
    rate_limit_rpm: Type.Union([Type.Integer(), Type.Null()], { description: "null: the settings apply" }),
    rate_limit_tpm: Type.Union([Type.Integer(), Type.Null()], { description: "null: the settings apply" }),
    expires_at: Type.Union([Type.String({ format: "date-time" }), Type.Null()]),
    last_used_at: Type.Union([Type.String({ format: "date-time" }), Type.Null()]),
    created_at: Type.String({ format: "date-time" }),
  },
  { $id: "ApiKey", title: "ApiKey" },
);
export type ApiKeyView = Static<typeof ApiKeyView>;

export const CreatedApiKey = Type.Object(
  {
    key: Type.String({ description: "The key itself. Shown this once: only a hash is stored." }),
    api_key: Type.Ref("ApiKey"),
  },
  { $id: "CreatedApiKey", title: "CreatedApiKey" },
);

export const CreateApiKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200, examples: ["ci pipeline"] }),
    expires_at: Type.Optional(
      Type.String({ format: "date-time", description: "When the key stops working" }),
    ),
    rate_limit_rpm: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1_000_000,
        description: "This key's own gateway requests per minute",
      }),
    ),
    rate_limit_tpm: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1_000_000_000,
        description: "This key's own gateway tokens per minute",
      }),
    ),
    scopes: Type.Optional(
      Type.Array(Type.Literal("act_as_user"), {
        uniqueItems: true,
        description:
          "`act_as_user` (admins only) makes a service key that may act for any user via X-Switchyard-User",
      }),
    ),
  },
  {
    additionalProperties: false,
    examples: [{ name: "laptop" }, { name: "app backend", scopes: ["act_as_user"] }],
  },
);
export type CreateApiKeyBody = Static<typeof CreateApiKeyBody>;
