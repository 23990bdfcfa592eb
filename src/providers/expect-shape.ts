import { ProviderError } from "./errors.js";

/** What expectShape needs of a compiled TypeBox schema (typebox/compile's Validator). */
export interface ShapeValidator<T> {
  Check(value: unknown): value is T;
  Errors(value: unknown): readonly { instancePath: string; message: string }[];
}

/**
 * A 2xx body checked against the wire format's schema. A mismatch is bad_response naming the first
 * offending path (`/data must be array`), never a value from the body.
 */
export function expectShape<T>(validator: ShapeValidator<T>, body: unknown, where: string): T {
  if (validator.Check(body)) return body;
  const first = validator.Errors(body)[0];
  const detail = first ? `${first.instancePath || "/"} ${first.message}` : "unexpected shape";
  throw new ProviderError("bad_response", `${where} answered with an unexpected shape: ${detail}`);
}
