import {
  type ColumnDefinitionBuilderCallback,
  type CreateIndexBuilder,
  type CreateTableBuilder,
  type CreateViewBuilder,
  type Expression,
  type Kysely,
  type RawBuilder,
  sql,
} from "kysely";
import type { Dialect } from "../database-url.js";
import { dialectOf } from "../dialect-of.js";
import { createTable } from "./column-types.js";

/**
 * Schema statements a migration step can run a second time. MySQL and MariaDB commit each DDL
 * statement as it runs, and Kysely wraps no SQLite step in a transaction, so a process killed inside
 * a step leaves part of it applied and the step unrecorded; the next run starts that step over, and
 * each statement then skips what is already there. The statement that runs is the one the step always
 * ran, so a fresh database gets the schema it always got. PostgreSQL runs a step in a transaction,
 * where these checks find nothing.
 *
 * The checks look at the current database (schema on PostgreSQL) only, and go by name: a step whose
 * object exists is taken to have created it. A new step uses these for its DDL too, and writes its
 * data changes so that running them twice changes nothing.
 */

/** `createTable` with IF NOT EXISTS, which every dialect has and SQLite leaves out of the stored SQL. */
export function createTableIfMissing(
  db: Kysely<unknown>,
  dialect: Dialect,
  name: string,
): CreateTableBuilder<string, never> {
  return createTable(db, dialect, name).ifNotExists();
}

/** Runs the CREATE INDEX unless its table has an index of that name (MySQL has no IF NOT EXISTS). */
export async function createIndexIfMissing<C extends string>(
  db: Kysely<unknown>,
  index: CreateIndexBuilder<C>,
): Promise<void> {
  const node = index.toOperationNode();
  const table = node.table?.table.identifier.name;
  if (table === undefined) throw new Error(`index ${node.name.name} names no table`);
  if (!(await indexExists(db, table, node.name.name))) await index.execute();
}

/** Runs the CREATE VIEW unless a table or view of that name exists (PostgreSQL and MySQL have no IF NOT EXISTS). */
export async function createViewIfMissing(db: Kysely<unknown>, view: CreateViewBuilder): Promise<void> {
  if (!(await tableExists(db, view.toOperationNode().name.identifier.name))) await view.execute();
}

/** ALTER TABLE ... ADD COLUMN unless the table has the column (SQLite and MySQL have no IF NOT EXISTS). */
export async function addColumnIfMissing(
  db: Kysely<unknown>,
  table: string,
  column: string,
  type: Expression<unknown>,
  build?: ColumnDefinitionBuilderCallback,
): Promise<void> {
  if (await columnExists(db, table, column)) return;
  await db.schema.alterTable(table).addColumn(column, type, build).execute();
}

/** Whether a table or view of this name exists. */
export async function tableExists(db: Kysely<unknown>, name: string): Promise<boolean> {
  switch (dialectOf(db)) {
    case "postgres":
      return found(
        db,
        sql`select 1 from information_schema.tables where table_schema = current_schema() and table_name = ${name}`,
      );
    case "mysql":
      return found(
        db,
        sql`select 1 from information_schema.tables where table_schema = database() and table_name = ${name}`,
      );
    case "sqlite":
      return found(db, sql`select 1 from sqlite_master where type in ('table', 'view') and name = ${name}`);
  }
}

export async function columnExists(db: Kysely<unknown>, table: string, column: string): Promise<boolean> {
  switch (dialectOf(db)) {
    case "postgres":
      return found(
        db,
        sql`select 1 from information_schema.columns
          where table_schema = current_schema() and table_name = ${table} and column_name = ${column}`,
      );
    case "mysql":
      return found(
        db,
        sql`select 1 from information_schema.columns
          where table_schema = database() and table_name = ${table} and column_name = ${column}`,
      );
    case "sqlite":
      return found(db, sql`select 1 from pragma_table_xinfo(${table}) where name = ${column}`);
  }
}

export async function indexExists(db: Kysely<unknown>, table: string, name: string): Promise<boolean> {
  switch (dialectOf(db)) {
    case "postgres":
      return found(
        db,
        sql`select 1 from pg_indexes
          where schemaname = current_schema() and tablename = ${table} and indexname = ${name}`,
      );
    case "mysql":
      return found(
        db,
        sql`select 1 from information_schema.statistics
          where table_schema = database() and table_name = ${table} and index_name = ${name}`,
      );
    case "sqlite":
      return found(
        db,
        sql`select 1 from sqlite_master where type = 'index' and tbl_name = ${table} and name = ${name}`,
      );
  }
}

async function found(db: Kysely<unknown>, query: RawBuilder<unknown>): Promise<boolean> {
  return (await query.execute(db)).rows.length > 0;
}
