import {
  type DatabaseIntrospector,
  type DialectAdapter,
  DummyDriver,
  Kysely,
  type KyselyPlugin,
  MysqlAdapter,
  MysqlIntrospector,
  MysqlQueryCompiler,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryCompiler,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from "kysely";
import { describe, expect, it } from "vitest";
import type { Database } from "../../src/db/schema.js";
import { SqliteValuesPlugin } from "../../src/db/sqlite-values-plugin.js";
import { createUsageInsertCompiler } from "../../src/gateway/usage-insert.js";
import type { UsageRow } from "../../src/gateway/write-usage-rows.js";

// Compile-only Kysely instances (no database): the statement must be exactly what Kysely, with the
// app's plugins, makes of the same rows.
const compileOnly = (
  adapter: DialectAdapter,
  createQueryCompiler: () => QueryCompiler,
  createIntrospector: (db: Kysely<unknown>) => DatabaseIntrospector,
  plugins: KyselyPlugin[] = [],
) =>
  new Kysely<Database>({
    dialect: {
      createAdapter: () => adapter,
      createDriver: () => new DummyDriver(),
      createIntrospector,
      createQueryCompiler,
    },
    plugins,
  });

const compilers = {
  sqlite: () =>
    compileOnly(
      new SqliteAdapter(),
      () => new SqliteQueryCompiler(),
      (db) => new SqliteIntrospector(db),
      [new SqliteValuesPlugin()],
    ),
  postgres: () =>
    compileOnly(
      new PostgresAdapter(),
      () => new PostgresQueryCompiler(),
      (db) => new PostgresIntrospector(db),
    ),
  mysql: () =>
    compileOnly(
      new MysqlAdapter(),
      () => new MysqlQueryCompiler(),
      (db) => new MysqlIntrospector(db),
    ),
};

const row = (n: number): UsageRow => ({
  id: `0190-${n}`,
  user_id: "user-1",
  api_key_id: n % 2 === 0 ? "key-1" : null,
  connection_id: "conn-1",
  endpoint: "chat.completions",
  provider_type: "openai-compatible",
  model: `model-${n}`,
  input_tokens: 12 + n,
  output_tokens: 5,
  latency_ms: 3,
  status_code: n % 3 === 0 ? 502 : 200,
  error_code: n % 3 === 0 ? "upstream_error" : null,
  created_at: new Date(Date.UTC(2026, 11, 2, 23, 0, n)),
});
const rows = (count: number) => Array.from({ length: count }, (_, i) => row(i));

describe.each(Object.entries(compilers))("usage insert (%s)", (_dialect, makeDb) => {
  it("makes the statement Kysely makes: the same SQL and the same parameters, values converted", () => {
    const db = makeDb();
    const compile = createUsageInsertCompiler(db);
    for (const count of [1, 3, 500, 3, 1]) {
      const batch = rows(count);
      const expected = db.insertInto("usage_records").values(batch).compile();
      const actual = compile(batch);
      expect(actual.sql).toBe(expected.sql);
      expect(actual.parameters).toEqual(expected.parameters);
    }
  });

  it("a row that leaves a column out (its default applies) gets Kysely's own statement", () => {
    const db = makeDb();
    const compile = createUsageInsertCompiler(db);
    const partial: UsageRow = { ...row(1) };
    delete partial.input_tokens;
    const batch = [row(0), partial];
    const expected = db.insertInto("usage_records").values(batch).compile();
    const actual = compile(batch);
    expect(actual.sql).toBe(expected.sql);
    // DEFAULT, or null where the dialect has no DEFAULT in a multi-row VALUES (SQLite): not the template's.
    expect(actual.sql).not.toBe(compile(rows(2)).sql);
    expect(actual.parameters).toEqual(expected.parameters);
  });
});

it("usage insert on SQLite binds no Date (better-sqlite3 refuses them): created_at is ISO-8601 text", () => {
  const compile = createUsageInsertCompiler(compilers.sqlite());
  const { parameters } = compile(rows(2));
  expect(parameters.some((value) => value instanceof Date)).toBe(false);
  expect(parameters).toContain("2026-12-02T23:00:01.000Z");
});
