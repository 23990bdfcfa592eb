import SQLite from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { keepPreparedStatements } from "../../src/db/sqlite-statement-cache.js";

describe("keepPreparedStatements", () => {
  it("hands out the same statement for the same SQL, and it runs again with new parameters", () => {
    const sqlite = new SQLite(":memory:");
    const db = keepPreparedStatements(sqlite);
    db.prepare("create table t (a integer)").run([]);
    const insert = db.prepare("insert into t (a) values (?)");
    expect(db.prepare("insert into t (a) values (?)")).toBe(insert);
    insert.run([1]);
    db.prepare("insert into t (a) values (?)").run([2]);
    expect(db.prepare("select a from t order by a").all([])).toEqual([{ a: 1 }, { a: 2 }]);
    db.close();
    expect(sqlite.open).toBe(false);
  });

  it("a statement that failed can run again", () => {
    const db = keepPreparedStatements(new SQLite(":memory:"));
    db.prepare("create table t (a integer primary key)").run([]);
    const insert = db.prepare("insert into t (a) values (?)");
    insert.run([1]);
    expect(() => insert.run([1])).toThrow(/UNIQUE/);
    insert.run([2]);
    expect(db.prepare("select count(*) as n from t").all([])).toEqual([{ n: 2 }]);
    db.close();
  });

  it("keeps no statement whose SQL alone is over the bound, and evicts the oldest past it", () => {
    const db = keepPreparedStatements(new SQLite(":memory:"));
    const huge = `select '${"x".repeat(70_000)}' as s`;
    expect(huge.length).toBeGreaterThan(64 * 1024);
    expect(db.prepare(huge)).not.toBe(db.prepare(huge));
    const first = db.prepare("select 1 as n");
    const large = (k: number) => `select ${k} as k, '${"x".repeat(24_000)}' as s`;
    for (let k = 0; k < 4; k++) db.prepare(large(k)); // 4 x ~24,000 characters: more than the bound
    expect(db.prepare("select 1 as n")).not.toBe(first);
    db.close();
  });
});
