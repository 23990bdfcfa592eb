import { type Static, Type } from "typebox";

export const UsageQuery = Type.Object(
  {
    group_by: Type.Optional(
      Type.Union([Type.Literal("day"), Type.Literal("model"), Type.Literal("connection")], {
        default: "day",
      }),
    ),
    from: Type.Optional(Type.String({ format: "date-time", description: "Inclusive" })),
    to: Type.Optional(Type.String({ format: "date-time", description: "Exclusive" })),
    user_id: Type.Optional(Type.String({ format: "uuid", description: "Admin view only: one user" })),
  },
  { additionalProperties: false },
);
export type UsageQuery = Static<typeof UsageQuery>;

export const UsageReport = Type.Object({
  group_by: Type.String(),
  items: Type.Array(
    Type.Object({
      key: Type.Union([Type.String(), Type.Null()], {
        description: "The day (YYYY-MM-DD, UTC), model or connection id",
      }),
      requests: Type.Integer(),
      errors: Type.Integer({ description: "Calls answered with a status of 400 or more" }),
      input_tokens: Type.Integer(),
      output_tokens: Type.Integer(),
      avg_latency_ms: Type.Integer(),
    }),
  ),
});
export type UsageReport = Static<typeof UsageReport>;
