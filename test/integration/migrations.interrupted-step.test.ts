import {
  type Kysely,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryId,
  type QueryResult,
  RawNode,
  type RootOperationNode,
  SelectQueryNode,
  sql,
  type UnknownRow,
} from "kysely";
import { expect, it } from "vitest";
import type { Dialect } from "../../src/db/database-url.js";
import { createMigrator, type SwitchyardMigrator } from "../../src/db/migrator.js";
import { migrations } from "../../src/db/migrations/index.js";
import type { Database } from "../../src/db/schema.js";
import { describeEachDialect, useEmptyDatabasePerTest } from "../support/databases.js";
import { MIGRATION_NAMES } from "../support/migration-names.js";
import { type SchemaSnapshot, snapshotSchema } from "../support/schema-snapshot.js";

/*
 * A process killed inside a migration step: MySQL and MariaDB commit each DDL statement as it runs
 * and Kysely runs no SQLite step in a transaction, so whatever the step did before it died stays,
 * and the step is not recorded. Here a step runs by hand (outside the migrator, so it is never
 * recorded, and outside a transaction on PostgreSQL too, which checks the steps there as well) and
 * is cut off after its k-th statement that changes the database, for every k; a plain `migrate up`
 * must then finish it, leaving the schema and rows a run that was never interrupted leaves.
 */

const MIGRATIONS: string[] = [...MIGRATION_NAMES];

/** Stands in for the process dying: thrown once the statement before it has run. */
class SimulatedCrash extends Error {}

/** Reads (SELECTs, the steps' catalog checks) are not where a crash leaves anything behind. */
function changesDatabase(node: RootOperationNode): boolean {
  if (SelectQueryNode.is(node)) return false;
  if (RawNode.is(node)) return !/^\s*select\b/i.test(node.sqlFragments[0] ?? "");
  return true;
}

/** Lets `limit` statements that change the database run, then throws before the step goes on. */
class CrashAfterWrites implements KyselyPlugin {
  readonly #writes = new WeakMap<QueryId, boolean>();
  #count = 0;

  constructor(readonly limit: number) {}

  transformQuery({ node, queryId }: PluginTransformQueryArgs): RootOperationNode {
    this.#writes.set(queryId, changesDatabase(node));
    return node;
  }

  async transformResult({ result, queryId }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    if (this.#writes.get(queryId) === true && ++this.#count >= this.limit) {
      throw new SimulatedCrash(`killed after ${this.#count} statement(s)`);
    }
    return result;
  }
}

/** Rows for the back-fills to copy (0006 families, 0007 acceptances), in the tables 0001 creates. */
async function seedRows(db: Kysely<Database>): Promise<void> {
  const at = new Date("2026-01-02T03:04:05.678Z");
  await db
    .insertInto("users")
    .values({ id: "u1", email: "u1@example.test", created_at: at, updated_at: at })
    .execute();
  await db
    .insertInto("organizations")
    .values({ id: "o1", name: "O", slug: "o", created_at: at, updated_at: at })
    .execute();
  await db
    .insertInto("memberships")
    .values({ org_id: "o1", user_id: "u1", role: "owner", created_at: at })
    .execute();
  const token = (id: string, family: string, revoked: boolean) => ({
    id,
    user_id: "u1",
    family_id: family,
    refresh_token_hash: `hash-${id}`,
    expires_at: new Date("2036-01-01T00:00:00.000Z"),
    revoked_at: revoked ? at : null,
    created_at: at,
  });
  await db
    .insertInto("sessions")
    .values([token("s1", "live", false), token("s2", "live", false), token("s3", "ended", true)])
    .execute();
}

interface DatabaseState {
  schema: SchemaSnapshot;
  /** Every table's rows, sorted; a role's id and creation time left out, since 0001 draws them anew. */
  rows: Record<string, string[]>;
}

async function stateOf(db: Kysely<Database>, dialect: Dialect): Promise<DatabaseState> {
  const schema = await snapshotSchema(db, dialect);
  const rows: Record<string, string[]> = {};
  for (const table of schema.tables.filter((t) => !t.isView)) {
    const { rows: found } = await sql<UnknownRow>`select * from ${sql.table(table.name)}`.execute(db);
    rows[table.name] = found
      .map((row) =>
        JSON.stringify(table.name === "roles" ? { ...row, id: undefined, created_at: undefined } : row),
      )
      .sort();
  }
  return { schema, rows };
}

/** `migrate up` asked to stop after one step: applies exactly the next pending one. */
async function upOneStep(migrator: SwitchyardMigrator, name: string): Promise<void> {
  let asked = 0;
  await expect(migrator.up({ stopRequested: () => asked++ >= 1 })).rejects.toThrow(
    `stopped on request after 1 step(s) (${name})`,
  );
}

describeEachDialect("migrations interrupted inside a step", (dialect) => {
  const db = useEmptyDatabasePerTest(dialect);

  for (const [index, name] of MIGRATIONS.entries()) {
    it(`${name}, killed after any of its statements, is finished by the next migrate up`, async () => {
      const migrator = createMigrator(db());
      const step = migrations[name];
      if (!step) throw new Error(`no migration ${name}`);
      for (const earlier of MIGRATIONS.slice(0, index)) {
        await upOneStep(migrator, earlier);
        if (earlier === MIGRATIONS[0]) await seedRows(db());
      }

      await upOneStep(migrator, name);
      const clean = await stateOf(db(), dialect);
      expect((await migrator.down()).names).toEqual([name]);
      const before = await stateOf(db(), dialect);

      let crashes = 0;
      for (let limit = 1; ; limit++) {
        const crash = new CrashAfterWrites(limit);
        const crashed = await step.up(db().withPlugin(crash)).then(
          () => false,
          (error: unknown) => {
            if (error instanceof SimulatedCrash) return true;
            throw error;
          },
        );
        // When the step ran to its end, the crash came between its last statement and its record.
        if (crashed) crashes++;
        expect((await migrator.status()).find((s) => s.name === name)?.applied).toBe(false);

        await upOneStep(migrator, name);
        expect(await stateOf(db(), dialect), `after a crash at statement ${limit}`).toEqual(clean);

        expect((await migrator.down()).names).toEqual([name]);
        expect(await stateOf(db(), dialect)).toEqual(before);
        if (!crashed) break;
      }
      expect(crashes).toBeGreaterThan(0);

      expect((await migrator.up()).names).toEqual(MIGRATIONS.slice(index));
    }, 180_000);
  }
});
