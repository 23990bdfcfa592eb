import { type Kysely, sql } from "kysely";
import type { Dialect } from "../../src/db/database-url.js";

/**
 * A comparable description of a database's schema: every table and view with its columns (name, data
 * type, nullability, default or generation expression), every index with its uniqueness and columns,
 * and the dialect's own text for constraints and view definitions. Kysely's introspection gives the
 * tables and columns; the rest comes from each dialect's catalog. Kysely's own migration tables are
 * left out, so a database with every migration reverted snapshots as empty.
 */

export interface ColumnSnapshot {
  name: string;
  dataType: string;
  isNullable: boolean;
  /** The column default (or generation expression) as the catalog prints it; null when none. */
  default: string | null;
}

export interface TableSnapshot {
  name: string;
  isView: boolean;
  columns: ColumnSnapshot[];
}

export interface IndexSnapshot {
  table: string;
  name: string;
  unique: boolean;
  columns: string[];
}

export interface SchemaSnapshot {
  tables: TableSnapshot[];
  indexes: IndexSnapshot[];
  /** Dialect-specific one-line descriptions of constraints and view bodies, sorted. */
  definitions: string[];
}

const KYSELY_TABLES = new Set(["kysely_migration", "kysely_migration_lock"]);

const isKyselyTable = (name: string): boolean => KYSELY_TABLES.has(name);

export async function snapshotSchema<DB>(db: Kysely<DB>, dialect: Dialect): Promise<SchemaSnapshot> {
  const introspected = await db.introspection.getTables({ withInternalKyselyTables: false });
  const details = await columnDetails(db, dialect);

  const tables: TableSnapshot[] = introspected
    .filter((t) => !isKyselyTable(t.name))
    .map((t) => {
      const extra = details.get(t.name) ?? new Map<string, ColumnDetail>();
      const columns: ColumnSnapshot[] = t.columns.map((c) => ({
        name: c.name,
        dataType: extra.get(c.name)?.fullType ?? c.dataType,
        isNullable: c.isNullable,
        default: extra.get(c.name)?.default ?? null,
      }));
      // SQLite's table_info (which Kysely reads) hides generated columns; table_xinfo shows them.
      for (const [name, detail] of extra) {
        if (!columns.some((c) => c.name === name)) {
          columns.push({
            name,
            dataType: detail.fullType ?? "",
            isNullable: detail.isNullable ?? true,
            default: detail.default,
          });
        }
      }
      columns.sort((a, b) => a.name.localeCompare(b.name));
      return { name: t.name, isView: t.isView, columns };
    })
    .sort((a, b) => a.name.localeCompare(b.name));

  const indexes = (await listIndexes(db, dialect))
    .filter((i) => !isKyselyTable(i.table))
    .sort((a, b) => a.table.localeCompare(b.table) || a.name.localeCompare(b.name));

  const definitions = (await listDefinitions(db, dialect)).sort();
  return { tables, indexes, definitions };
}

interface ColumnDetail {
  fullType: string | null;
  default: string | null;
  isNullable?: boolean;
}

async function columnDetails<DB>(
  db: Kysely<DB>,
  dialect: Dialect,
): Promise<Map<string, Map<string, ColumnDetail>>> {
  const byTable = new Map<string, Map<string, ColumnDetail>>();
  const put = (table: string, column: string, detail: ColumnDetail) => {
    if (isKyselyTable(table)) return;
    let columns = byTable.get(table);
    if (!columns) {
      columns = new Map();
      byTable.set(table, columns);
    }
    columns.set(column, detail);
  };

  switch (dialect) {
    case "postgres": {
      const { rows } = await sql<{
        table_name: string;
        column_name: string;
        data_type: string;
        column_default: string | null;
        generation_expression: string | null;
      }>`select table_name, column_name,
            data_type || coalesce('(' || character_maximum_length || ')', '') as data_type,
            column_default, generation_expression
          from information_schema.columns
          where table_schema = current_schema()`.execute(db);
      for (const r of rows) {
        put(r.table_name, r.column_name, {
          fullType: r.data_type,
          default:
            r.column_default ?? (r.generation_expression ? `generated: ${r.generation_expression}` : null),
        });
      }
      break;
    }
    case "mysql": {
      const { rows } = await sql<{
        table_name: string;
        column_name: string;
        column_type: string;
        column_default: string | null;
        extra: string;
        generation_expression: string | null;
      }>`select TABLE_NAME as table_name, COLUMN_NAME as column_name, COLUMN_TYPE as column_type,
            COLUMN_DEFAULT as column_default, EXTRA as extra, GENERATION_EXPRESSION as generation_expression
          from information_schema.columns
          where table_schema = database()`.execute(db);
      for (const r of rows) {
        const generated = r.generation_expression
          ? `generated(${r.extra}): ${r.generation_expression}`
          : null;
        put(r.table_name, r.column_name, { fullType: r.column_type, default: generated ?? r.column_default });
      }
      break;
    }
    case "sqlite": {
      const { rows } = await sql<{
        table_name: string;
        name: string;
        type: string;
        notnull: number;
        dflt_value: string | null;
        hidden: number;
      }>`select m.name as table_name, x.name, x.type, x."notnull", x.dflt_value, x.hidden
          from sqlite_master m, pragma_table_xinfo(m.name) x
          where m.type in ('table', 'view') and m.name not like 'sqlite_%'`.execute(db);
      for (const r of rows) {
        put(r.table_name, r.name, {
          fullType: r.type,
          // hidden: 2 = virtual generated column, 3 = stored; the expression lives in the table's SQL.
          default: r.hidden >= 2 ? `generated(${r.hidden})` : r.dflt_value,
          isNullable: r.notnull === 0,
        });
      }
      break;
    }
  }
  return byTable;
}

/** Every index in the database (primary keys and unique constraints included), with its columns. */
export async function listIndexes<DB>(db: Kysely<DB>, dialect: Dialect): Promise<IndexSnapshot[]> {
  switch (dialect) {
    case "postgres": {
      const { rows } = await sql<{
        tablename: string;
        indexname: string;
        indexdef: string;
        columns: string[];
      }>`select pi.tablename, pi.indexname, pi.indexdef,
            array(
              select a.attname::text
              from unnest(ix.indkey) with ordinality as k(attnum, ord)
              join pg_attribute a on a.attrelid = ix.indrelid and a.attnum = k.attnum
              order by k.ord
            ) as columns
          from pg_indexes pi
          join pg_class ic on ic.relname = pi.indexname
          join pg_namespace n on n.oid = ic.relnamespace and n.nspname = pi.schemaname
          join pg_index ix on ix.indexrelid = ic.oid
          where pi.schemaname = current_schema()`.execute(db);
      return rows.map((r) => ({
        table: r.tablename,
        name: r.indexname,
        unique: /^CREATE UNIQUE INDEX/i.test(r.indexdef),
        columns: r.columns,
      }));
    }
    case "mysql": {
      const { rows } = await sql<{
        table_name: string;
        index_name: string;
        non_unique: number | string;
        column_name: string;
      }>`select TABLE_NAME as table_name, INDEX_NAME as index_name, NON_UNIQUE as non_unique,
            COLUMN_NAME as column_name
          from information_schema.statistics
          where table_schema = database()
          order by TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`.execute(db);
      const indexes = new Map<string, IndexSnapshot>();
      for (const r of rows) {
        const key = `${r.table_name}.${r.index_name}`;
        const index = indexes.get(key) ?? {
          table: r.table_name,
          name: r.index_name,
          unique: Number(r.non_unique) === 0,
          columns: [],
        };
        index.columns.push(r.column_name);
        indexes.set(key, index);
      }
      return [...indexes.values()];
    }
    case "sqlite": {
      const { rows: named } = await sql<{
        name: string;
        tbl_name: string;
      }>`select name, tbl_name from sqlite_master where type = 'index'`.execute(db);
      const { rows } = await sql<{
        table_name: string;
        index_name: string;
        unique: number;
        columns: string;
      }>`select m.name as table_name, il.name as index_name, il."unique" as "unique",
            (select group_concat(ii.name, ',') from (
              select name from pragma_index_info(il.name) order by seqno
            ) ii) as columns
          from sqlite_master m, pragma_index_list(m.name) il
          where m.type = 'table'`.execute(db);
      const indexes = rows.map((r) => ({
        table: r.table_name,
        name: r.index_name,
        unique: r.unique === 1,
        columns: r.columns ? r.columns.split(",") : [],
      }));
      // Every index sqlite_master knows must also be in a table's index list, and the other way round
      // except for the primary key of a rowid table, which has no index of its own.
      for (const n of named) {
        if (!indexes.some((i) => i.name === n.name && i.table === n.tbl_name)) {
          throw new Error(`sqlite index ${n.name} on ${n.tbl_name} missing from pragma index_list`);
        }
      }
      return indexes;
    }
  }
}

/** Constraints and view bodies as the dialect prints them, one line each. */
async function listDefinitions<DB>(db: Kysely<DB>, dialect: Dialect): Promise<string[]> {
  switch (dialect) {
    case "postgres": {
      const { rows: constraints } = await sql<{ line: string }>`
        select c.relname || ' ' || con.conname || ' ' || con.contype::text || ' ' || pg_get_constraintdef(con.oid) as line
        from pg_constraint con
        join pg_class c on c.oid = con.conrelid
        join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = current_schema()`.execute(db);
      const { rows: views } = await sql<{ line: string }>`
        select 'view ' || viewname || ': ' || definition as line
        from pg_views where schemaname = current_schema()`.execute(db);
      return [...constraints, ...views].map((r) => r.line).filter((l) => !/^kysely_migration/.test(l));
    }
    case "mysql": {
      const { rows: constraints } = await sql<{ line: string }>`
        select concat_ws(' ', tc.TABLE_NAME, tc.CONSTRAINT_NAME, tc.CONSTRAINT_TYPE,
            cc.CHECK_CLAUSE, rc.UPDATE_RULE, rc.DELETE_RULE, rc.REFERENCED_TABLE_NAME) as line
        from information_schema.table_constraints tc
        left join information_schema.check_constraints cc
          on cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA and cc.TABLE_NAME = tc.TABLE_NAME
          and cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME and tc.CONSTRAINT_TYPE = 'CHECK'
        left join information_schema.referential_constraints rc
          on rc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA and rc.TABLE_NAME = tc.TABLE_NAME
          and rc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME and tc.CONSTRAINT_TYPE = 'FOREIGN KEY'
        where tc.CONSTRAINT_SCHEMA = database()`.execute(db);
      const { rows: views } = await sql<{ line: string }>`
        select concat('view ', TABLE_NAME, ': ', VIEW_DEFINITION) as line
        from information_schema.views where TABLE_SCHEMA = database()`.execute(db);
      return [...constraints, ...views].map((r) => r.line).filter((l) => !/^kysely_migration/.test(l));
    }
    case "sqlite": {
      // SQLite keeps each object's CREATE statement verbatim: it carries every constraint.
      const { rows } = await sql<{ line: string }>`
        select type || ' ' || name || ': ' || sql as line
        from sqlite_master
        where sql is not null and name not like 'sqlite_%' and tbl_name not like 'kysely_migration%'`.execute(
        db,
      );
      const { rows: foreignKeys } = await sql<{ line: string }>`
        select m.name || ' fk ' || fk."from" || ' -> ' || fk."table" || '.' || fk."to"
            || ' on delete ' || fk.on_delete as line
        from sqlite_master m, pragma_foreign_key_list(m.name) fk
        where m.type = 'table'`.execute(db);
      return [...rows, ...foreignKeys].map((r) => r.line);
    }
  }
}
