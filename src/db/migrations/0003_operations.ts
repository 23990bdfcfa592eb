import { type Kysely, sql } from "kysely";
import { dialectOf } from "../dialect-of.js";
import { columnTypes, oneOf } from "./column-types.js";
import { createIndexIfMissing, createTableIfMissing } from "./if-missing.js";

// Frozen: a migration describes the schema as it was when it shipped. Later changes get new files.

export async function up(db: Kysely<unknown>): Promise<void> {
  const dialect = dialectOf(db);
  const t = columnTypes(dialect);

  // Values are JSON text, validated against the settings registry by the service.
  await createTableIfMissing(db, dialect, "settings")
    .addColumn("id", t.id, (c) => c.notNull().primaryKey())
    .addColumn("key", sql`varchar(128)`, (c) => c.notNull())
    .addColumn("value", sql`text`, (c) => c.notNull())
    .addColumn("description", sql`varchar(1000)`)
    .addColumn("updated_by", t.id, (c) => c.references("users.id").onDelete("set null"))
    .addColumn("updated_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addUniqueConstraint("settings_key_key", ["key"])
    .execute();

  await createTableIfMissing(db, dialect, "plugins")
    .addColumn("id", t.id, (c) => c.notNull().primaryKey())
    .addColumn("name", sql`varchar(200)`, (c) => c.notNull())
    .addColumn("slug", sql`varchar(100)`, (c) => c.notNull())
    .addColumn("version", sql`varchar(64)`, (c) => c.notNull())
    .addColumn("enabled", t.bool, (c) => c.notNull().defaultTo(sql.lit(false)))
    .addColumn("config_json", t.json)
    .addColumn("installed_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addColumn("updated_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addUniqueConstraint("plugins_slug_key", ["slug"])
    .execute();

  // A queue row: workers claim it by taking a lease (lease_owner + lease_expires_at) so a crashed
  // worker's job becomes claimable again once its lease runs out.
  await createTableIfMissing(db, dialect, "generation_jobs")
    .addColumn("id", t.id, (c) => c.notNull().primaryKey())
    .addColumn("user_id", t.id, (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("kind", sql`varchar(64)`, (c) => c.notNull())
    .addColumn("status", sql`varchar(16)`, (c) => c.notNull().defaultTo("queued"))
    .addColumn("progress", sql`integer`, (c) => c.notNull().defaultTo(0))
    .addColumn("input", t.json)
    .addColumn("result", t.json)
    .addColumn("error_msg", sql`varchar(2000)`)
    .addColumn("attempts", sql`integer`, (c) => c.notNull().defaultTo(0))
    .addColumn("lease_owner", sql`varchar(100)`)
    .addColumn("lease_expires_at", t.timestamp)
    .addColumn("run_after", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addColumn("started_at", t.timestamp)
    .addColumn("finished_at", t.timestamp)
    .addColumn("created_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addColumn("updated_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addCheckConstraint(
      "generation_jobs_status_check",
      oneOf("status", ["queued", "running", "completed", "failed", "cancelled"]),
    )
    .addCheckConstraint("generation_jobs_progress_check", sql`progress >= 0 and progress <= 100`)
    .execute();
  await createIndexIfMissing(
    db,
    db.schema.createIndex("generation_jobs_user_id_idx").on("generation_jobs").column("user_id"),
  );
  await createIndexIfMissing(
    db,
    db.schema.createIndex("generation_jobs_claim_idx").on("generation_jobs").columns(["status", "run_after"]),
  );

  await createTableIfMissing(db, dialect, "system_logs")
    .addColumn("id", t.id, (c) => c.notNull().primaryKey())
    .addColumn("level", sql`varchar(8)`, (c) => c.notNull())
    .addColumn("message", sql`varchar(4000)`, (c) => c.notNull())
    .addColumn("context", t.json)
    .addColumn("created_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addCheckConstraint("system_logs_level_check", oneOf("level", ["DEBUG", "INFO", "WARN", "ERROR"]))
    .execute();
  await createIndexIfMissing(
    db,
    db.schema.createIndex("system_logs_level_idx").on("system_logs").column("level"),
  );
  await createIndexIfMissing(
    db,
    db.schema.createIndex("system_logs_created_at_idx").on("system_logs").column("created_at"),
  );

  // The audit trail outlives the people in it: deleting a user keeps their entries (actor_id set
  // null, actor_label kept) rather than erasing what they did.
  await createTableIfMissing(db, dialect, "audit_logs")
    .addColumn("id", t.id, (c) => c.notNull().primaryKey())
    .addColumn("actor_id", t.id, (c) => c.references("users.id").onDelete("set null"))
    .addColumn("actor_label", sql`varchar(320)`)
    .addColumn("action", sql`varchar(100)`, (c) => c.notNull())
    .addColumn("resource_type", sql`varchar(64)`, (c) => c.notNull())
    .addColumn("resource_id", sql`varchar(64)`)
    .addColumn("details", t.json)
    .addColumn("ip", sql`varchar(64)`)
    .addColumn("user_agent", sql`varchar(500)`)
    .addColumn("request_id", sql`varchar(128)`)
    .addColumn("created_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .execute();
  await createIndexIfMissing(
    db,
    db.schema.createIndex("audit_logs_created_at_idx").on("audit_logs").columns(["created_at", "id"]),
  );
  await createIndexIfMissing(
    db,
    db.schema.createIndex("audit_logs_actor_idx").on("audit_logs").columns(["actor_id", "created_at"]),
  );
  await createIndexIfMissing(
    db,
    db.schema.createIndex("audit_logs_action_idx").on("audit_logs").columns(["action", "created_at"]),
  );
  await createIndexIfMissing(
    db,
    db.schema
      .createIndex("audit_logs_resource_idx")
      .on("audit_logs")
      .columns(["resource_type", "resource_id"]),
  );

  // One row per gateway call. The key and connection may be deleted later; the usage stays.
  await createTableIfMissing(db, dialect, "usage_records")
    .addColumn("id", t.id, (c) => c.notNull().primaryKey())
    .addColumn("user_id", t.id, (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("api_key_id", t.id, (c) => c.references("api_keys.id").onDelete("set null"))
    .addColumn("connection_id", t.id, (c) => c.references("llm_providers.id").onDelete("set null"))
    .addColumn("endpoint", sql`varchar(32)`, (c) => c.notNull())
    .addColumn("provider_type", sql`varchar(32)`)
    .addColumn("model", sql`varchar(200)`)
    .addColumn("input_tokens", sql`integer`, (c) => c.notNull().defaultTo(0))
    .addColumn("output_tokens", sql`integer`, (c) => c.notNull().defaultTo(0))
    .addColumn("latency_ms", sql`integer`, (c) => c.notNull().defaultTo(0))
    .addColumn("status_code", sql`integer`, (c) => c.notNull())
    .addColumn("error_code", sql`varchar(64)`)
    .addColumn("created_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .execute();
  await createIndexIfMissing(
    db,
    db.schema.createIndex("usage_records_user_idx").on("usage_records").columns(["user_id", "created_at"]),
  );
  await createIndexIfMissing(
    db,
    db.schema
      .createIndex("usage_records_connection_idx")
      .on("usage_records")
      .columns(["connection_id", "created_at"]),
  );
  await createIndexIfMissing(
    db,
    db.schema
      .createIndex("usage_records_api_key_idx")
      .on("usage_records")
      .columns(["api_key_id", "created_at"]),
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    "usage_records",
    "audit_logs",
    "system_logs",
    "generation_jobs",
    "plugins",
    "settings",
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
