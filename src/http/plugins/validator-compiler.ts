import type { FastifySchemaCompiler } from "fastify";
import type { TSchema } from "typebox";
import { Value } from "typebox/value";
import { compiledValidator, fieldTooDeep, NESTING_MESSAGE, unstorableText } from "../../domain/validate.js";

/**
 * Request validation with TypeBox, the same schemas the services check. Bodies are taken exactly as
 * sent: no coercion ("" stays "", not null), no defaults filled into a partial update, unknown fields
 * refused. Query strings and path parameters arrive as text, so they are converted first, but only
 * where the conversion is exact: "1.5" is not quietly the integer 1, it is a 422. Text no dialect
 * stores as sent (U+0000, a lone surrogate) is refused too (see unstorableText). The gateway's /v1
 * routes validate in the gateway instead.
 */
export const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const check = compiledValidator(schema);
  return (value: unknown) => {
    const input = httpPart === "body" ? value : convertText(schema, value);
    const deep = fieldTooDeep(input);
    if (deep !== undefined) {
      return {
        error: [{ instancePath: deep === "/" ? "" : deep, message: NESTING_MESSAGE, params: {} }] as never,
      };
    }
    if (check.Check(input)) {
      const issue = unstorableText(input);
      if (issue === undefined) return { value: input };
      return {
        error: [
          { instancePath: issue.field === "/" ? "" : issue.field, message: issue.message, params: {} },
        ] as never,
      };
    }
    return { error: [...check.Errors(input)] as never };
  };
};

function convertText(schema: TSchema, value: unknown): unknown {
  // Convert may change the object it is given, so the text as sent is copied first.
  const sent = isRecord(value) ? { ...value } : value;
  const converted = Value.Convert(schema, value);
  if (!isRecord(sent) || !isRecord(converted)) return converted;
  for (const [key, original] of Object.entries(sent)) {
    const now = converted[key];
    // A number that does not print back as the text sent was rounded or reinterpreted: keep the text,
    // so validation refuses it and names the field.
    if (typeof original === "string" && typeof now === "number" && String(now) !== original.trim()) {
      converted[key] = original;
    }
  }
  return converted;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
