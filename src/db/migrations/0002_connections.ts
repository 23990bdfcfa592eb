import { type Kysely, sql } from "kysely";
import { dialectOf } from "../dialect-of.js";
import { columnTypes, oneOf } from "./column-types.js";
import {
  createIndexIfMissing,
  createTableIfMissing,
  createViewIfMissing,
  indexExists,
} from "./if-missing.js";

// Frozen: a migration describes the schema as it was when it shipped. Later changes get new files.

const PROVIDER_TYPES = [
  "openai",
  "openai-compatible",
  "anthropic",
  "google",
  "ollama",
  "deepseek",
  "litellm",
  "azure-openai",
];

export async function up(db: Kysely<unknown>): Promise<void> {
  const dialect = dialectOf(db);
  const t = columnTypes(dialect);

  // owner_key is derived by the database from the foreign keys, so it can never disagree with them,
  // and per-owner uniqueness becomes one index in every dialect (a unique index treats NULLs as
  // distinct, so user_id alone would let the system scope hold two defaults).
  // A row naming both a user and an org gets a key no scope accepts, so the CHECK below refuses it.
  const ownerKey = sql`case when user_id is not null and org_id is not null then 'conflict' when user_id is not null then ${t.concat(sql.lit("user:"), sql.ref("user_id"))} when org_id is not null then ${t.concat(sql.lit("org:"), sql.ref("org_id"))} else 'system' end`;

  let table = createTableIfMissing(db, dialect, "llm_providers")
    .addColumn("id", t.id, (c) => c.notNull().primaryKey())
    .addColumn("scope", sql`varchar(8)`, (c) => c.notNull())
    .addColumn("user_id", t.id, (c) => c.references("users.id").onDelete("cascade"))
    .addColumn("org_id", t.id, (c) => c.references("organizations.id").onDelete("cascade"))
    // PostgreSQL only has stored generated columns; MySQL refuses ON DELETE CASCADE on the base
    // column of a stored one, so it gets a virtual (indexed) column; SQLite indexes either.
    .addColumn("owner_key", sql`varchar(64)`, (c) =>
      dialect === "postgres" ? c.generatedAlwaysAs(ownerKey).stored() : c.generatedAlwaysAs(ownerKey),
    )
    .addColumn("name", sql`varchar(200)`, (c) => c.notNull())
    .addColumn("provider_type", sql`varchar(32)`, (c) => c.notNull())
    .addColumn("base_url", sql`varchar(500)`)
    .addColumn("model", sql`varchar(200)`)
    .addColumn("api_key_encrypted", sql`text`)
    .addColumn("api_key_ref", sql`varchar(200)`)
    .addColumn("api_key_hint", sql`varchar(8)`)
    .addColumn("config", t.json)
    .addColumn("timeout_seconds", sql`integer`, (c) => c.notNull().defaultTo(60))
    .addColumn("context_window", sql`integer`)
    .addColumn("is_default", t.bool, (c) => c.notNull().defaultTo(sql.lit(false)))
    .addColumn("is_enabled", t.bool, (c) => c.notNull().defaultTo(sql.lit(true)))
    .addColumn("health_status", sql`varchar(16)`, (c) => c.notNull().defaultTo("unknown"))
    .addColumn("last_tested_at", t.timestamp)
    .addColumn("last_error", sql`varchar(1000)`)
    .addColumn("created_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addColumn("updated_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addCheckConstraint("llm_providers_scope_check", oneOf("scope", ["system", "org", "user"]))
    // Stated over owner_key rather than user_id/org_id: MySQL 8 refuses a CHECK on a column that an
    // ON DELETE CASCADE foreign key acts on.
    .addCheckConstraint(
      "llm_providers_owner_check",
      sql`(scope = 'system' and owner_key = 'system')
        or (scope = 'org' and owner_key like 'org:%')
        or (scope = 'user' and owner_key like 'user:%')`,
    )
    .addCheckConstraint("llm_providers_provider_type_check", oneOf("provider_type", PROVIDER_TYPES))
    .addCheckConstraint(
      "llm_providers_health_status_check",
      oneOf("health_status", ["unknown", "ok", "failed"]),
    )
    .addCheckConstraint("llm_providers_timeout_check", sql`timeout_seconds > 0`)
    .addCheckConstraint(
      "llm_providers_context_window_check",
      sql`context_window is null or context_window > 0`,
    )
    .addCheckConstraint(
      "llm_providers_key_source_check",
      sql`api_key_encrypted is null or api_key_ref is null`,
    )
    .addUniqueConstraint("llm_providers_owner_name_key", ["owner_key", "name"]);

  if (dialect === "mysql") {
    // MySQL has no partial index: a column that holds owner_key only on the default row, NULL
    // elsewhere, under a unique index gives "at most one default per owner" all the same.
    table = table
      .addColumn("default_owner_key", sql`varchar(64)`, (c) =>
        c.generatedAlwaysAs(sql`case when is_default then owner_key end`),
      )
      .addUniqueConstraint("llm_providers_one_default_key", ["default_owner_key"]);
  }
  await table.execute();

  if (dialect !== "mysql" && !(await indexExists(db, "llm_providers", "llm_providers_one_default_key"))) {
    await sql`create unique index llm_providers_one_default_key on llm_providers (owner_key) where ${t.isTrue("is_default")}`.execute(
      db,
    );
  }
  await createIndexIfMissing(
    db,
    db.schema.createIndex("llm_providers_user_id_idx").on("llm_providers").column("user_id"),
  );
  await createIndexIfMissing(
    db,
    db.schema.createIndex("llm_providers_org_id_idx").on("llm_providers").column("org_id"),
  );
  await createIndexIfMissing(
    db,
    db.schema.createIndex("llm_providers_provider_type_idx").on("llm_providers").column("provider_type"),
  );
  await createIndexIfMissing(
    db,
    db.schema.createIndex("llm_providers_is_default_idx").on("llm_providers").column("is_default"),
  );
  await createIndexIfMissing(
    db,
    db.schema.createIndex("llm_providers_is_enabled_idx").on("llm_providers").column("is_enabled"),
  );

  // Seed 000's frozen contract, readable in SQL, as a view over the one copy of the data: a user's
  // profile is their default user-scope connection; disabled reads as provider 'disabled'.
  await createViewIfMissing(
    db,
    db.schema.createView("user_llm_profiles").as(
      sql`select id, user_id,
        case when ${t.isTrue("is_enabled")} then provider_type else 'disabled' end as provider,
        base_url, model, api_key_encrypted, timeout_seconds, context_window, health_status,
        last_tested_at, created_at, updated_at
      from llm_providers
      where scope = 'user' and ${t.isTrue("is_default")}`,
    ),
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropView("user_llm_profiles").execute();
  await db.schema.dropTable("llm_providers").execute();
}
