import { Redis } from "ioredis";
import mysql from "mysql2/promise";
import pg from "pg";
import type { Dialect } from "../../src/db/database-url.js";
import { testEnv } from "./test-env.js";

/** Connections to the test servers' maintenance databases, for creating and dropping test ones. */

export async function withPgAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testEnv.pgUrl, connectionTimeoutMillis: 3_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function withMysqlAdmin<T>(fn: (conn: mysql.Connection) => Promise<T>): Promise<T> {
  const conn = await mysql.createConnection({ uri: testEnv.mysqlUrl, connectTimeout: 3_000 });
  try {
    return await fn(conn);
  } finally {
    await conn.end();
  }
}

/** Whether the dialect's server answers; SQLite always does. */
export async function probeDialect(dialect: Dialect): Promise<string | undefined> {
  try {
    if (dialect === "postgres") await withPgAdmin((c) => c.query("select 1"));
    if (dialect === "mysql") await withMysqlAdmin((c) => c.query("select 1"));
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Whether the test Redis answers a PING. */
export async function probeRedis(): Promise<string | undefined> {
  const redis = new Redis(testEnv.redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 2_000,
  });
  try {
    await redis.connect();
    await redis.ping();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    redis.disconnect();
  }
}
