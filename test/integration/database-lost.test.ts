import { type RawBuilder, sql } from "kysely";
import { afterEach, expect, it } from "vitest";
import { reportFailure } from "../../src/cli/report-failure.js";
import { connectDatabase } from "../../src/db/connect-database.js";
import { createDatabase, type DatabaseHandle } from "../../src/db/create-database.js";
import { redactDatabaseUrl } from "../../src/db/database-url.js";
import { isDatabaseLost, namingLostDatabase } from "../../src/db/database-lost.js";
import { createTestDatabase, describeEachDialect, type TestDatabase } from "../support/databases.js";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.js";

// Real driver errors from a database that goes away after the first contact, and the one line the
// CLI makes of each. The servers themselves are shared, so "going away" is a TCP proxy cut in the
// middle of a query, or the server ending this one session; SQLite, in-process, runs out of room.

const PASSWORD = "sy-lost-secret";

describeEachDialect("a database lost after the first contact", (dialect) => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function testDatabase(): Promise<TestDatabase> {
    const testDb = await createTestDatabase(dialect);
    cleanup.push(() => testDb.drop());
    return testDb;
  }

  async function open(databaseUrl: string): Promise<DatabaseHandle> {
    const handle = createDatabase({ databaseUrl, poolSize: 1, onIdleConnectionError: () => {} });
    cleanup.push(() => handle.close());
    await connectDatabase(handle, databaseUrl);
    return handle;
  }

  /** Through a proxy; PostgreSQL's test server trusts local users, so the password is only carried. */
  async function openViaProxy(
    testDb: TestDatabase,
  ): Promise<{ handle: DatabaseHandle; proxy: TcpProxy; url: string }> {
    const real = new URL(testDb.url);
    const proxy = await startTcpProxy(real.hostname, Number(real.port));
    cleanup.push(() => proxy.close());
    const viaProxy = new URL(testDb.url);
    viaProxy.port = String(proxy.port);
    if (dialect === "postgres") viaProxy.password = PASSWORD;
    const url = viaProxy.toString();
    return { handle: await open(url), proxy, url };
  }

  async function failureOf(query: Promise<unknown>): Promise<unknown> {
    return query.then(
      () => expect.fail("the query should have failed"),
      (error: unknown) => error,
    );
  }

  /** What the CLI prints for `error`: one line naming the database, no stack, no password. */
  function expectOneLine(error: unknown, url: string, reason: RegExp): void {
    expect(isDatabaseLost(error)).toBe(true);
    const { text, exitCode } = reportFailure(namingLostDatabase(error, url));
    expect(exitCode).toBe(1);
    const prefix = `switchyard: lost the database ${redactDatabaseUrl(url)}: `;
    expect(text.startsWith(prefix)).toBe(true);
    expect(text.slice(prefix.length)).toMatch(reason);
    expect(text.indexOf("\n")).toBe(text.length - 1);
    expect(text).not.toContain(PASSWORD);
  }

  if (dialect === "sqlite") {
    it("a SQLite file with no room left: one line naming the file", async () => {
      const testDb = await testDatabase();
      const handle = await open(testDb.url);
      await sql`create table filler (v text)`.execute(handle.db);
      // The disk "fills" at a few pages, as a full volume would refuse the next page.
      await sql`pragma max_page_count = 4`.execute(handle.db);
      const insertMany = async () => {
        for (let i = 0; i < 50; i++)
          await sql`insert into filler values (${"x".repeat(2_000)})`.execute(handle.db);
      };
      const error = await failureOf(insertMany());
      expect(error).toMatchObject({ name: "SqliteError", code: "SQLITE_FULL" });
      expectOneLine(error, testDb.url, /^database or disk is full \(SQLITE_FULL\)\n$/);
    });
    return;
  }

  const sleep: RawBuilder<unknown> = dialect === "postgres" ? sql`select pg_sleep(5)` : sql`select sleep(5)`;

  it("the connection cut in the middle of a query: one line naming the database", async () => {
    const { handle, proxy, url } = await openViaProxy(await testDatabase());
    const running = failureOf(sleep.execute(handle.db));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await proxy.cut();
    const error = await running;
    if (dialect === "postgres") {
      // No code: the old report printed its stack.
      expect(error).toMatchObject({ message: "Connection terminated unexpectedly" });
      expect((error as NodeJS.ErrnoException).code).toBeUndefined();
      expectOneLine(error, url, /^Connection terminated unexpectedly\n$/);
    } else {
      expect(error).toMatchObject({ code: "PROTOCOL_CONNECTION_LOST", fatal: true });
      expectOneLine(
        error,
        url,
        /^Connection lost: The server closed the connection\. \(PROTOCOL_CONNECTION_LOST\)\n$/,
      );
    }
  });

  it("the server ending the session mid-query: one line naming the database", async () => {
    const testDb = await testDatabase();
    const { handle, url } = await openViaProxy(testDb);
    const admin = await open(testDb.url);
    const running = failureOf(sleep.execute(handle.db));
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The session of the query running through the proxy: the only other one on this database.
    if (dialect === "postgres") {
      await sql`select pg_terminate_backend(pid) from pg_stat_activity
                where datname = current_database() and pid <> pg_backend_pid()`.execute(admin.db);
    } else {
      const { rows } = await sql<{ id: number }>`select id from information_schema.processlist
                where db = database() and id <> connection_id()`.execute(admin.db);
      expect(rows).toHaveLength(1);
      await sql.raw(`kill ${Number(rows[0]!.id)}`).execute(admin.db);
    }
    const error = await running;
    expectOneLine(
      error,
      url,
      dialect === "postgres"
        ? /^terminating connection due to administrator command \(57P01\)\n$/
        : /^Connection lost: The server closed the connection\. \(PROTOCOL_CONNECTION_LOST\)\n$/,
    );
  });
});
