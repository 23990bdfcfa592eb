import { Format } from "typebox/format";

/**
 * The instants every dialect stores and compares alike: years 1 to 9999 in UTC. MariaDB's DATETIME
 * ends at 9999, and SQLite keeps dates as ISO text, which orders by year only while the year has
 * four digits; PostgreSQL takes far more. `9999-12-31T23:59:59-14:00` is in year 10000 in UTC: an
 * API key expiring then was stored on SQLite and PostgreSQL and then failed every listing (its date
 * came back as `+010000-…`), MariaDB refused it with a 500, and as a usage or audit filter it meant
 * opposite things on different dialects.
 */
const EARLIEST = Date.parse("0001-01-01T00:00:00.000Z");
const LATEST = Date.parse("9999-12-31T23:59:59.999Z");

/** Whether every dialect stores and compares this instant (ms since the epoch) alike; NaN is not. */
export function isStorableInstant(time: number): boolean {
  return time >= EARLIEST && time <= LATEST;
}

/**
 * RFC 3339 admits a leap second (`23:59:60`), which Date cannot read: such a value passed the
 * schema and then failed as a 500 where it was used (usage's `from`/`to`, an API key's `expires_at`).
 * The date-time format is narrowed here, once, for every schema TypeBox checks (compiled or through
 * Value): a date-time is one this server can read and every dialect can store. TypeBox keeps its
 * formats in one registry of its own, so this module sets it there when it is imported; every
 * module that checks dates imports it.
 */
Format.Set("date-time", (value) => Format.IsDateTime(value) && isStorableInstant(Date.parse(value)));
