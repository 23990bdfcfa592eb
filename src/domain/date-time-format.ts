import { Format } from "typebox/format";

/**
 * RFC 3339 admits a leap second (`23:59:60`), which Date cannot read: such a value passed the
 * schema and then failed as a 500 where it was used (usage's `from`/`to`, an API key's `expires_at`).
 * The date-time format is narrowed here, once, for every schema TypeBox checks (compiled or through
 * Value): a date-time is one this server can read. TypeBox keeps its formats in one registry of its
 * own, so this module sets it there when it is imported; every module that checks dates imports it.
 */
Format.Set("date-time", (value) => Format.IsDateTime(value) && !Number.isNaN(Date.parse(value)));
