import { Settings } from "typebox/system";

/**
 * How many schema errors TypeBox gathers for a value that failed (only failures pay for it). Its
 * default, 8, is used up by the first two branches of a union: a chat message is a union of five
 * (one per role), so a bad `user` message never got to the user branch's errors, and the caller was
 * told about the system branch's `role` instead (see prune-union-errors.ts, which needs every
 * branch's errors to tell which branch was meant). Still a bound, so a huge invalid body costs
 * little. TypeBox keeps its settings process-wide; this module sets them when imported, as
 * date-time-format.ts does the format, and validate.ts imports it.
 */
export const MAX_VALIDATION_ERRORS = 128;

Settings.Set({ maxErrors: MAX_VALIDATION_ERRORS });
