import { type Static, Type } from "typebox";
import { PROVIDER_TYPES } from "./provider-types.js";

/** Seed 000's frozen profile contract, as a view of the user's default user-scope connection. */
export const ProfileProvider = Type.Enum(["disabled", ...PROVIDER_TYPES], {
  description: "`disabled`, or the provider type of the user's default connection",
});

export const LlmProfileView = Type.Object(
  {
    id: Type.String({ format: "uuid", description: "The connection behind the profile" }),
    user_id: Type.String({ format: "uuid" }),
    provider: ProfileProvider,
    base_url: Type.Union([Type.String(), Type.Null()]),
    model: Type.Union([Type.String(), Type.Null()]),
    has_api_key: Type.Boolean(),
    api_key_hint: Type.Union([Type.String(), Type.Null()]),
    timeout_seconds: Type.Integer(),
    context_window: Type.Union([Type.Integer(), Type.Null()]),
    health_status: Type.Union([Type.Literal("unknown"), Type.Literal("ok"), Type.Literal("failed")]),
    last_tested_at: Type.Union([Type.String({ format: "date-time" }), Type.Null()]),
    created_at: Type.String({ format: "date-time" }),
    updated_at: Type.String({ format: "date-time" }),
  },
  { $id: "LlmProfile", title: "LlmProfile" },
);
export type LlmProfileView = Static<typeof LlmProfileView>;

export const PutLlmProfileBody = Type.Object(
  {
    provider: ProfileProvider,
    base_url: Type.Optional(
      Type.Union([Type.String({ maxLength: 500, pattern: "^https?://[^\\s/?#]+[^\\s]*$" }), Type.Null()]),
    ),
    model: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()])),
    api_key: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 4000 }), Type.Null()])),
    timeout_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 600 })),
    context_window: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
  },
  {
    additionalProperties: false,
    examples: [
      {
        provider: "openai-compatible",
        base_url: "https://api.example.com/v1",
        model: "my-model",
        api_key: "sk-...",
      },
      { provider: "disabled" },
    ],
  },
);
export type PutLlmProfileBody = Static<typeof PutLlmProfileBody>;
