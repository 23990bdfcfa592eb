import { type Static, Type } from "typebox";
import { DisplayName, Email, Password } from "../users/users.schemas.js";

export const RegisterBody = Type.Object(
  { email: Email, password: Password, display_name: Type.Optional(DisplayName) },
  {
    additionalProperties: false,
    examples: [{ email: "ada@example.com", password: "correct horse battery", display_name: "Ada" }],
  },
);
export type RegisterBody = Static<typeof RegisterBody>;

export const LoginBody = Type.Object(
  // No format check on login: a malformed email is simply a failed login, not a hint.
  {
    email: Type.String({ minLength: 1, maxLength: 320 }),
    password: Type.String({ minLength: 1, maxLength: 256 }),
  },
  {
    additionalProperties: false,
    examples: [{ email: "ada@example.com", password: "correct horse battery" }],
  },
);
export type LoginBody = Static<typeof LoginBody>;

export const RefreshBody = Type.Object(
  { refresh_token: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);
export type RefreshBody = Static<typeof RefreshBody>;

export const TokenPair = Type.Object(
  {
    user: Type.Ref("User"),
    access_token: Type.String({ description: "Short-lived bearer token (JWT)" }),
    refresh_token: Type.String({ description: "Opaque; exchange at /api/auth/refresh, once" }),
    token_type: Type.Literal("Bearer"),
    expires_in: Type.Integer({ description: "Seconds until the access token expires" }),
  },
  { $id: "TokenPair", title: "TokenPair" },
);
