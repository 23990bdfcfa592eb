import { type Static, Type } from "typebox";

export const ConnectionTestResult = Type.Object(
  {
    health_status: Type.Union([Type.Literal("ok"), Type.Literal("failed")]),
    latency_ms: Type.Integer({ description: "Time the upstream took to answer the model list" }),
    models: Type.Optional(
      Type.Array(Type.String(), { description: "Model ids the upstream lists, when ok" }),
    ),
    error: Type.Optional(Type.String({ description: "Why it failed; never contains the key" })),
    tested_at: Type.String({ format: "date-time" }),
  },
  {
    $id: "ConnectionTestResult",
    title: "ConnectionTestResult",
    examples: [
      {
        health_status: "ok",
        latency_ms: 182,
        models: ["gpt-4o", "gpt-4o-mini"],
        tested_at: "2026-11-23T15:00:00.000Z",
      },
      {
        health_status: "failed",
        latency_ms: 95,
        error: "the upstream refused the API key (401)",
        tested_at: "2026-11-23T15:00:00.000Z",
      },
    ],
  },
);
export type ConnectionTestResult = Static<typeof ConnectionTestResult>;

export const ModelList = Type.Object({
  items: Type.Array(
    Type.Object({
      id: Type.String(),
      owned_by: Type.Optional(Type.String()),
      context_window: Type.Optional(Type.Integer()),
    }),
  ),
});
export type ModelList = Static<typeof ModelList>;
