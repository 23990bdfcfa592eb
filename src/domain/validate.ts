import type { Static, TSchema } from "typebox";
import { Compile, type Validator } from "typebox/compile";
import { AppError, type FieldIssue } from "./errors.js";

/**
 * Each schema compiled once, on first use, and shared by the services and the HTTP routes (which
 * check the same schemas): checking with compiled code is several times faster than interpreting
 * the schema, which counts on the gateway (a chat body per call).
 */
const compiled = new WeakMap<TSchema, Validator>();
export function compiledValidator(schema: TSchema): Validator {
  let validator = compiled.get(schema);
  if (!validator) {
    validator = Compile(schema);
    compiled.set(schema, validator);
  }
  return validator;
}

/**
 * Services validate their own input with the same TypeBox schema the HTTP route uses, so the library
 * (no HTTP in front) gets the same 422s with the same field pointers.
 */
export function parseInput<S extends TSchema>(schema: S, input: unknown): Static<S> {
  const validator = compiledValidator(schema);
  if (validator.Check(input)) return input as Static<S>;
  const issues: FieldIssue[] = [];
  for (const error of validator.Errors(input)) {
    // "schema is false" restates an additionalProperties failure that is reported with its name.
    if (error.keyword === "boolean") continue;
    const params = error.params as Record<string, unknown>;
    const missing = Array.isArray(params.requiredProperties)
      ? `/${String(params.requiredProperties[0])}`
      : "";
    const extra = Array.isArray(params.additionalProperties)
      ? `/${String(params.additionalProperties[0])}`
      : "";
    const field = `${error.instancePath}${missing}${extra}` || "/";
    if (!issues.some((i) => i.field === field)) issues.push({ field, message: error.message });
  }
  const first = issues[0];
  throw new AppError(
    "validation_failed",
    first ? `${first.field} ${first.message}` : "The input is invalid",
    {
      issues,
    },
  );
}

/** A TypeBox (or Ajv) validation error, as far as field pointers need it. */
export interface SchemaError {
  keyword: string;
  instancePath: string;
  params: unknown;
  message?: string;
}

/**
 * Field-level issues from schema errors, one per field, pointing at the property itself (a missing
 * or unexpected property is reported on its parent object by both TypeBox and Ajv).
 */
export function fieldIssues(errors: Iterable<SchemaError>, prefix = ""): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const error of errors) {
    // "schema is false" restates an additionalProperties failure that is reported with its name.
    if (error.keyword === "boolean") continue;
    const params = (error.params ?? {}) as Record<string, unknown>;
    const first = (v: unknown) =>
      Array.isArray(v) ? `/${String(v[0])}` : typeof v === "string" ? `/${v}` : "";
    const missing = first(params.requiredProperties ?? params.missingProperty);
    const extra = first(params.additionalProperties ?? params.additionalProperty);
    const field = `${prefix}${error.instancePath}${missing}${extra}` || `${prefix}/`;
    if (!issues.some((i) => i.field === field))
      issues.push({ field, message: error.message ?? "is invalid" });
  }
  return issues;
}
