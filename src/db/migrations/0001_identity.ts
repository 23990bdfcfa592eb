import { type Kysely, sql } from "kysely";
import { v7 as uuidv7 } from "uuid";
import { dialectOf } from "../dialect-of.js";
import { columnTypes, oneOf } from "./column-types.js";
import { createIndexIfMissing, createTableIfMissing } from "./if-missing.js";

// Frozen: a migration describes the schema as it was when it shipped. Later changes get new files.

export async function up(db: Kysely<unknown>): Promise<void> {
  const dialect = dialectOf(db);
  const t = columnTypes(dialect);

  await createTableIfMissing(db, dialect, "users")
    .addColumn("id", t.id, (c) => c.notNull().primaryKey())
    .addColumn("email", sql`varchar(320)`, (c) => c.notNull())
    .addColumn("password_hash", sql`varchar(255)`)
    .addColumn("status", sql`varchar(16)`, (c) => c.notNull().defaultTo("active"))
    .addColumn("created_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addColumn("updated_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addUniqueConstraint("users_email_key", ["email"])
    .addCheckConstraint("users_status_check", oneOf("status", ["active", "disabled"]))
    .execute();

  await createTableIfMissing(db, dialect, "profiles")
    .addColumn("user_id", t.id, (c) => c.notNull().primaryKey().references("users.id").onDelete("cascade"))
    .addColumn("display_name", sql`varchar(200)`)
    .addColumn("created_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addColumn("updated_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .execute();

  await createTableIfMissing(db, dialect, "roles")
    .addColumn("id", t.id, (c) => c.notNull().primaryKey())
    .addColumn("name", sql`varchar(64)`, (c) => c.notNull())
    .addColumn("description", sql`varchar(500)`)
    .addColumn("is_builtin", t.bool, (c) => c.notNull().defaultTo(sql.lit(false)))
    .addColumn("created_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addUniqueConstraint("roles_name_key", ["name"])
    .execute();

  await createTableIfMissing(db, dialect, "user_roles")
    .addColumn("user_id", t.id, (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("role_id", t.id, (c) => c.notNull().references("roles.id").onDelete("cascade"))
    .addColumn("created_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addPrimaryKeyConstraint("user_roles_pkey", ["user_id", "role_id"])
    .execute();
  await createIndexIfMissing(
    db,
    db.schema.createIndex("user_roles_role_id_idx").on("user_roles").column("role_id"),
  );

  // Each role once: a run cut short after the first insert seeds only the other one when resumed.
  const seeded = (await sql<{ name: string }>`select name from roles`.execute(db)).rows.map((r) => r.name);
  for (const [name, description] of [
    ["admin", "Manages users, system connections and settings"],
    ["user", "Uses the gateway and manages their own connections"],
  ] as const) {
    if (seeded.includes(name)) continue;
    await sql`insert into roles (id, name, description, is_builtin) values (${uuidv7()}, ${name}, ${description}, ${sql.lit(true)})`.execute(
      db,
    );
  }

  // Refresh-token sessions: only a hash of the token is kept. A family is one login's chain of
  // rotated tokens, so reuse of a rotated token can revoke the whole chain.
  await createTableIfMissing(db, dialect, "sessions")
    .addColumn("id", t.id, (c) => c.notNull().primaryKey())
    .addColumn("user_id", t.id, (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("family_id", t.id, (c) => c.notNull())
    .addColumn("refresh_token_hash", sql`varchar(128)`, (c) => c.notNull())
    .addColumn("expires_at", t.timestamp, (c) => c.notNull())
    .addColumn("revoked_at", t.timestamp)
    .addColumn("rotated_at", t.timestamp)
    .addColumn("ip", sql`varchar(64)`)
    .addColumn("user_agent", sql`varchar(500)`)
    .addColumn("created_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addUniqueConstraint("sessions_refresh_token_hash_key", ["refresh_token_hash"])
    .execute();
  await createIndexIfMissing(
    db,
    db.schema.createIndex("sessions_user_id_idx").on("sessions").column("user_id"),
  );
  await createIndexIfMissing(
    db,
    db.schema.createIndex("sessions_family_id_idx").on("sessions").column("family_id"),
  );

  await createTableIfMissing(db, dialect, "api_keys")
    .addColumn("id", t.id, (c) => c.notNull().primaryKey())
    .addColumn("user_id", t.id, (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("name", sql`varchar(200)`, (c) => c.notNull())
    .addColumn("key_hash", sql`varchar(128)`, (c) => c.notNull())
    .addColumn("prefix", sql`varchar(32)`, (c) => c.notNull())
    .addColumn("scopes", t.json)
    .addColumn("rate_limit_rpm", sql`integer`, (c) =>
      c.check(sql`rate_limit_rpm is null or rate_limit_rpm > 0`),
    )
    .addColumn("rate_limit_tpm", sql`integer`, (c) =>
      c.check(sql`rate_limit_tpm is null or rate_limit_tpm > 0`),
    )
    .addColumn("expires_at", t.timestamp)
    .addColumn("last_used_at", t.timestamp)
    .addColumn("revoked_at", t.timestamp)
    .addColumn("created_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addUniqueConstraint("api_keys_key_hash_key", ["key_hash"])
    .execute();
  await createIndexIfMissing(
    db,
    db.schema.createIndex("api_keys_user_id_idx").on("api_keys").column("user_id"),
  );

  await createTableIfMissing(db, dialect, "organizations")
    .addColumn("id", t.id, (c) => c.notNull().primaryKey())
    .addColumn("name", sql`varchar(200)`, (c) => c.notNull())
    .addColumn("slug", sql`varchar(100)`, (c) => c.notNull())
    .addColumn("created_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addColumn("updated_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addUniqueConstraint("organizations_slug_key", ["slug"])
    .execute();

  await createTableIfMissing(db, dialect, "memberships")
    .addColumn("org_id", t.id, (c) => c.notNull().references("organizations.id").onDelete("cascade"))
    .addColumn("user_id", t.id, (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("role", sql`varchar(16)`, (c) => c.notNull())
    .addColumn("created_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addPrimaryKeyConstraint("memberships_pkey", ["org_id", "user_id"])
    .addCheckConstraint("memberships_role_check", oneOf("role", ["owner", "admin", "member"]))
    .execute();
  await createIndexIfMissing(
    db,
    db.schema.createIndex("memberships_user_id_idx").on("memberships").column("user_id"),
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    "memberships",
    "organizations",
    "api_keys",
    "sessions",
    "user_roles",
    "roles",
    "profiles",
    "users",
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
