import { type Kysely, sql } from "kysely";
import type { Dialect } from "../../db/database-url.js";
import { byCodePoint, nullsLast } from "../../db/by-code-point.js";
import type { Database } from "../../db/schema.js";

export interface UsageFilter {
  userId?: string;
  from?: Date;
  to?: Date;
}

export type UsageGrouping = "day" | "model" | "connection";

/** Usage totals grouped in the database (one query), per user or for everyone (admin). */
export function createUsageRepo({ db, dialect }: { db: Kysely<Database>; dialect: Dialect }) {
  // The UTC day of created_at, as text, in each dialect's own words.
  const day =
    dialect === "postgres"
      ? sql<string>`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD')`
      : dialect === "mysql"
        ? sql<string>`date_format(created_at, '%Y-%m-%d')`
        : sql<string>`substr(created_at, 1, 10)`;

  return {
    async totals(filter: UsageFilter, groupBy: UsageGrouping) {
      const key =
        groupBy === "day" ? day : groupBy === "model" ? sql<string>`model` : sql<string>`connection_id`;
      let query = db
        .selectFrom("usage_records")
        .select([
          key.as("key"),
          sql<number>`count(*)`.as("requests"),
          sql<number>`sum(case when status_code >= 400 then 1 else 0 end)`.as("errors"),
          sql<number>`sum(input_tokens)`.as("input_tokens"),
          sql<number>`sum(output_tokens)`.as("output_tokens"),
          sql<number>`avg(latency_ms)`.as("avg_latency_ms"),
        ])
        .groupBy(key)
        // The same order on every dialect: a deleted connection's (null) group last, then by code point.
        .orderBy(nullsLast(key))
        .orderBy(byCodePoint(dialect, key));
      if (filter.userId) query = query.where("user_id", "=", filter.userId);
      if (filter.from) query = query.where("created_at", ">=", filter.from);
      if (filter.to) query = query.where("created_at", "<", filter.to);
      const rows = await query.execute();
      return rows.map((r) => ({
        key: r.key ?? null,
        requests: Number(r.requests),
        errors: Number(r.errors),
        input_tokens: Number(r.input_tokens),
        output_tokens: Number(r.output_tokens),
        avg_latency_ms: Math.round(Number(r.avg_latency_ms)),
      }));
    },
  };
}

export type UsageRepo = ReturnType<typeof createUsageRepo>;
