import type { Static, TSchema } from "typebox";
import { Compile, type Validator } from "typebox/compile";
import "./date-time-format.js";
import "./validation-error-limit.js";
import { AppError, type FieldIssue } from "./errors.js";
import { pruneUnionErrors } from "./prune-union-errors.js";

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

/** How deep input may nest; far beyond any request's own shape (a tool's JSON schema is a few levels). */
export const MAX_NESTING = 64;
export const NESTING_MESSAGE = `must not nest more than ${MAX_NESTING} levels deep`;

/**
 * The pointer to the first value nested deeper than MAX_NESTING, or undefined. Walked with a stack
 * of its own, not recursion: thousands of levels of `[[[...]]]` fit in a small body, and every
 * recursive walk after this one (validation, the NUL check, JSON.stringify on the way upstream) ran
 * out of call stack on them, a 500 instead of a 422. It runs on every gateway call, so only objects
 * and arrays are stacked, each with its key and parent, and a pointer is spelled out only for the
 * one value refused.
 */
export function fieldTooDeep(value: unknown): string | undefined {
  type Entry = { value: object; key: string; parent: Entry | undefined; depth: number };
  if (typeof value !== "object" || value === null) return undefined;
  const stack: Entry[] = [{ value, key: "", parent: undefined, depth: 0 }];
  for (let entry = stack.pop(); entry !== undefined; entry = stack.pop()) {
    if (entry.depth >= MAX_NESTING) return pointerTo(entry);
    const container = entry.value as Record<string, unknown>;
    for (const key in container) {
      const child = container[key];
      if (typeof child === "object" && child !== null) {
        stack.push({ value: child, key, parent: entry, depth: entry.depth + 1 });
      }
    }
  }
  return undefined;
}

function pointerTo(entry: { key: string; parent: typeof entry | undefined }): string {
  let pointer = "";
  for (let at: typeof entry | undefined = entry; at?.parent !== undefined; at = at.parent) {
    pointer = `/${at.key}${pointer}`;
  }
  return pointer === "" ? "/" : pointer;
}

export const NUL_MESSAGE = "must not contain the NUL character (U+0000)";
export const SURROGATE_MESSAGE =
  "must be well-formed Unicode: it holds a lone surrogate (half of a UTF-16 pair)";

/** A lone surrogate: with the `u` flag, a well-formed pair reads as one code point, not as Cs. */
const LONE_SURROGATE = /\p{Cs}/u;

/** Why a string cannot be stored alike on every dialect, or undefined. */
function unstorable(text: string): string | undefined {
  if (text.includes("\u0000")) return NUL_MESSAGE;
  if (LONE_SURROGATE.test(text)) return SURROGATE_MESSAGE;
  return undefined;
}

/**
 * The first string in `value` (a key or a value) that no dialect stores as sent, with why, or
 * undefined. PostgreSQL refuses U+0000 in text, failing the whole statement, where SQLite and
 * MySQL store it. A lone surrogate cannot be encoded as UTF-8: PostgreSQL refused it in JSON and
 * MariaDB in a JSON check (500s), while SQLite and the text columns stored U+FFFD in its place (one
 * on PostgreSQL and MariaDB, three on SQLite), so two different names became the same name on some
 * dialects only. Input is refused for either on every dialect alike, naming the field.
 */
export function unstorableText(value: unknown, at = ""): FieldIssue | undefined {
  if (typeof value === "string") {
    const message = unstorable(value);
    return message === undefined ? undefined : { field: at || "/", message };
  }
  if (typeof value !== "object" || value === null) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = unstorableText(value[i], `${at}/${i}`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const key in value) {
    const message = unstorable(key);
    if (message !== undefined) return { field: `${at}/${key}`, message };
    const found = unstorableText((value as Record<string, unknown>)[key], `${at}/${key}`);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Services validate their own input with the same TypeBox schema the HTTP route uses, so the library
 * (no HTTP in front) gets the same 422s with the same field pointers. `anyText` lets U+0000 through,
 * for input that is passed on and never stored (a chat request's messages).
 */
export function parseInput<S extends TSchema>(
  schema: S,
  input: unknown,
  options?: { anyText?: boolean },
): Static<S> {
  const deep = fieldTooDeep(input);
  if (deep !== undefined) {
    throw new AppError("validation_failed", `${deep} ${NESTING_MESSAGE}`, {
      issues: [{ field: deep, message: NESTING_MESSAGE }],
    });
  }
  const validator = compiledValidator(schema);
  if (validator.Check(input)) {
    const issue = options?.anyText === true ? undefined : unstorableText(input);
    if (issue !== undefined) {
      throw new AppError("validation_failed", `${issue.field} ${issue.message}`, { issues: [issue] });
    }
    return input as Static<S>;
  }
  const issues = fieldIssues(validator.Errors(input));
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
  /** Where in the schema it failed (`#/properties/messages/items/anyOf/1/...`), when the validator says. */
  schemaPath?: string;
  params: unknown;
  message?: string;
}

/**
 * Field-level issues from schema errors, one per field, pointing at the property itself (a missing
 * or unexpected property is reported on its parent object by both TypeBox and Ajv).
 */
export function fieldIssues(errors: Iterable<SchemaError>, prefix = ""): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const error of pruneUnionErrors(errors)) {
    // "schema is false" restates an additionalProperties failure that is reported with its name.
    if (error.keyword === "boolean") continue;
    const params = (error.params ?? {}) as Record<string, unknown>;
    const first = (v: unknown) =>
      Array.isArray(v) ? `/${String(v[0])}` : typeof v === "string" ? `/${v}` : "";
    const missing = first(params.requiredProperties ?? params.missingProperty);
    const extra = first(params.additionalProperties ?? params.additionalProperty);
    const field = `${prefix}${error.instancePath}${missing}${extra}` || `${prefix}/`;
    // TypeBox's "must be equal to constant" does not say which constant.
    const message =
      error.keyword === "const" && params.allowedValue !== undefined
        ? `must be ${JSON.stringify(params.allowedValue)}`
        : (error.message ?? "is invalid");
    if (!issues.some((i) => i.field === field)) issues.push({ field, message });
  }
  return issues;
}
