/**
 * Where the test servers are. Tests may read the environment for this (src/ may not: only
 * src/config.ts does); defaults are the local services CI starts.
 */
export const testEnv = {
  pgUrl: process.env.SWITCHYARD_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
  mysqlUrl: process.env.SWITCHYARD_TEST_MYSQL_URL ?? "mysql://root@127.0.0.1:3306/mysql",
  redisUrl: process.env.SWITCHYARD_TEST_REDIS_URL ?? "redis://127.0.0.1:6379",
  /** With CI=true a missing database server fails the run instead of skipping its cases. */
  ci: process.env.CI === "true" || process.env.CI === "1",
};
