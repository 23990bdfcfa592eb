import { Type } from "typebox";

/** RFC 9457 problem details, as every /api error is answered (application/problem+json). */
export const ProblemSchema = Type.Object(
  {
    type: Type.String({
      description: "A URI naming the kind of problem",
      examples: ["urn:switchyard:error:not_found"],
    }),
    title: Type.String({ examples: ["Not found"] }),
    status: Type.Integer({ examples: [404] }),
    detail: Type.String({ examples: ["No connection with that id"] }),
    code: Type.String({ description: "Stable machine-readable error code", examples: ["not_found"] }),
    request_id: Type.String({ examples: ["01936f3e-7b2a-7c4e-9f1a-2b3c4d5e6f70"] }),
    errors: Type.Optional(
      Type.Array(Type.Object({ field: Type.String(), message: Type.String() }), {
        description: "Field-level problems, for validation_failed",
      }),
    ),
  },
  { $id: "Problem", title: "Problem" },
);

/** OpenAI's error envelope, as every /v1 error is answered, because OpenAI clients parse this shape. */
export const OpenAIErrorSchema = Type.Object(
  {
    error: Type.Object({
      message: Type.String(),
      type: Type.String(),
      param: Type.Union([Type.String(), Type.Null()]),
      code: Type.Union([Type.String(), Type.Null()]),
    }),
  },
  { $id: "OpenAIError", title: "OpenAIError" },
);

/** `response` entries for a route's OpenAPI error codes, all pointing at the shared Problem schema. */
export function problemResponses(
  ...statuses: number[]
): Record<number, { $ref: string; description?: string }> {
  return Object.fromEntries(statuses.map((s) => [s, { $ref: "Problem#" }]));
}
