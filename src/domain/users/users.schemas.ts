import { type Static, Type } from "typebox";

export const Email = Type.String({ format: "email", maxLength: 320, examples: ["ada@example.com"] });
export const Password = Type.String({ minLength: 8, maxLength: 256, description: "At least 8 characters" });
export const DisplayName = Type.String({ minLength: 1, maxLength: 200, examples: ["Ada Lovelace"] });
export const Uuid = Type.String({ format: "uuid" });

export const UserView = Type.Object(
  {
    id: Uuid,
    email: Type.String(),
    status: Type.Union([Type.Literal("active"), Type.Literal("disabled")]),
    roles: Type.Array(Type.String(), { examples: [["admin", "user"]] }),
    display_name: Type.Union([Type.String(), Type.Null()]),
    created_at: Type.String({ format: "date-time" }),
    updated_at: Type.String({ format: "date-time" }),
  },
  { $id: "User", title: "User" },
);
export type UserView = Static<typeof UserView>;

export const UserList = Type.Object({
  items: Type.Array(Type.Ref("User")),
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
});

export const ListUsersQuery = Type.Object(
  {
    search: Type.Optional(Type.String({ maxLength: 320, description: "Part of an email address" })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  },
  { additionalProperties: false },
);
export type ListUsersQuery = Static<typeof ListUsersQuery>;

export const CreateUserBody = Type.Object(
  {
    email: Email,
    password: Password,
    display_name: Type.Optional(DisplayName),
    admin: Type.Optional(Type.Boolean({ default: false, description: "Grant the admin role" })),
  },
  {
    additionalProperties: false,
    examples: [{ email: "grace@example.com", password: "correct horse battery", admin: false }],
  },
);
export type CreateUserBody = Static<typeof CreateUserBody>;

export const UpdateUserBody = Type.Object(
  {
    status: Type.Optional(Type.Union([Type.Literal("active"), Type.Literal("disabled")])),
    admin: Type.Optional(Type.Boolean({ description: "Grant (true) or revoke (false) the admin role" })),
    display_name: Type.Optional(Type.Union([DisplayName, Type.Null()])),
  },
  { additionalProperties: false, examples: [{ status: "disabled" }, { admin: true }] },
);
export type UpdateUserBody = Static<typeof UpdateUserBody>;

export const UpdateMeBody = Type.Object(
  { display_name: Type.Union([DisplayName, Type.Null()]) },
  { additionalProperties: false },
);
export type UpdateMeBody = Static<typeof UpdateMeBody>;
