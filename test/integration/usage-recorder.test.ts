import type { KyselyPlugin } from "kysely";
import { expect, it } from "vitest";
import { createDatabase } from "../../src/db/create-database.js";
import { createUsageRecorder, type UsageEvent } from "../../src/gateway/usage-recorder.js";
import { createLogger } from "../../src/logger.js";
import { createTestDatabase, describeEachDialect } from "../support/databases.js";
import { type TestUser, useTestApp } from "../support/http-harness.js";

interface LogLine {
  level: number;
  msg: string;
  rows?: number;
  written?: number;
  detached?: number;
  of_deleted_users?: number;
  lost?: number;
  err?: { message: string };
}
const WARN = 40;

/** The real logger, writing to memory, so a test can read what an operator would see. */
function capturedLogger() {
  const lines: string[] = [];
  const logger = createLogger({
    level: "info",
    destination: { write: (line: string) => void lines.push(line) },
  });
  return { logger, text: () => lines.join(""), parsed: () => lines.map((l) => JSON.parse(l) as LogLine) };
}

// The timer never fires within a test: each case decides when the batch is written.
const HOUR = 3_600_000;

const event = (over: Partial<UsageEvent> & Pick<UsageEvent, "userId">): UsageEvent => ({
  apiKeyId: null,
  connectionId: null,
  endpoint: "chat.completions",
  providerType: "openai-compatible",
  model: "m",
  inputTokens: 1,
  outputTokens: 1,
  latencyMs: 1,
  statusCode: 200,
  errorCode: null,
  ...over,
});

describeEachDialect("usage recorder: a batch outlives the deletion of one row's owner", (dialect) => {
  const t = useTestApp(dialect);

  /** A user with an API key and a connection, made the way a client would (over HTTP). */
  async function caller(name: string) {
    const { user, connectionId } = await t().userWithConnection({
      baseUrl: "https://llm.example.test/v1",
      apiKey: `sk-upstream-${name}-0000000000`,
      name,
    });
    const created = await t().apiKey(user, { name });
    return { user, connectionId, apiKeyId: created.api_key.id, apiKey: created.key };
  }

  const rowsOf = (...users: TestUser[]) => {
    const ids = users.map((u) => u.id);
    return t()
      .sy.db.selectFrom("usage_records")
      .selectAll()
      .where("user_id", "in", ids)
      .orderBy("model")
      .execute();
  };

  it("a deleted API key and connection: every row is written, theirs with those references null and the rest intact", async () => {
    const a = await caller("doomed");
    const b = await caller("kept");
    const log = capturedLogger();
    const recorder = createUsageRecorder({ db: t().sy.db, logger: log.logger, intervalMs: HOUR });
    const common = { userId: a.user.id, connectionId: a.connectionId };
    recorder.record(
      event({
        ...common,
        apiKeyId: a.apiKeyId,
        model: "a-1",
        inputTokens: 11,
        outputTokens: 12,
        latencyMs: 13.4,
      }),
    );
    recorder.record(event({ ...common, model: "a-2", statusCode: 502, errorCode: "upstream_error" }));
    recorder.record(
      event({ userId: b.user.id, apiKeyId: b.apiKeyId, connectionId: b.connectionId, model: "b-1" }),
    );
    recorder.record(event({ userId: b.user.id, apiKeyId: b.apiKeyId, model: "b-2", statusCode: 503 }));

    // Between the calls and the flush: the connection deleted by its owner, the key by an operator
    // (the API only revokes keys; a purge or hand-written SQL deletes them).
    const deleted = await t().app.inject({
      method: "DELETE",
      url: `/api/llm-providers/${a.connectionId}`,
      headers: a.user.headers,
    });
    expect(deleted.statusCode, deleted.body).toBe(204);
    await t().sy.db.deleteFrom("api_keys").where("id", "=", a.apiKeyId).execute();

    await recorder.flush();

    const rows = await rowsOf(a.user, b.user);
    expect(
      rows.map((r) => ({
        user_id: r.user_id,
        api_key_id: r.api_key_id,
        connection_id: r.connection_id,
        model: r.model,
        input_tokens: Number(r.input_tokens),
        output_tokens: Number(r.output_tokens),
        latency_ms: Number(r.latency_ms),
        status_code: Number(r.status_code),
        error_code: r.error_code,
      })),
    ).toEqual([
      {
        user_id: a.user.id,
        api_key_id: null,
        connection_id: null,
        model: "a-1",
        input_tokens: 11,
        output_tokens: 12,
        latency_ms: 13,
        status_code: 200,
        error_code: null,
      },
      {
        user_id: a.user.id,
        api_key_id: null,
        connection_id: null,
        model: "a-2",
        input_tokens: 1,
        output_tokens: 1,
        latency_ms: 1,
        status_code: 502,
        error_code: "upstream_error",
      },
      {
        user_id: b.user.id,
        api_key_id: b.apiKeyId,
        connection_id: b.connectionId,
        model: "b-1",
        input_tokens: 1,
        output_tokens: 1,
        latency_ms: 1,
        status_code: 200,
        error_code: null,
      },
      {
        user_id: b.user.id,
        api_key_id: b.apiKeyId,
        connection_id: null,
        model: "b-2",
        input_tokens: 1,
        output_tokens: 1,
        latency_ms: 1,
        status_code: 503,
        error_code: null,
      },
    ]);
    expect(log.parsed()).toEqual([
      expect.objectContaining({ rows: 4, written: 4, detached: 2, of_deleted_users: 0, lost: 0 }),
    ]);
    expect(log.text()).not.toContain(a.apiKey);
    await recorder.close();
  });

  it("a deleted user: that user's rows go with them (as the cascade would), everyone else's are written", async () => {
    const gone = await caller("leaving");
    const stays = await caller("staying");
    const log = capturedLogger();
    const recorder = createUsageRecorder({ db: t().sy.db, logger: log.logger, intervalMs: HOUR });
    for (const [who, model] of [
      [gone, "g-1"],
      [stays, "s-1"],
      [gone, "g-2"],
      [stays, "s-2"],
    ] as const) {
      recorder.record(
        event({
          userId: who.user.id,
          apiKeyId: who.apiKeyId,
          connectionId: who.connectionId,
          model,
          inputTokens: 7,
        }),
      );
    }

    const res = await t().app.inject({
      method: "DELETE",
      url: `/api/admin/users/${gone.user.id}`,
      headers: t().admin.headers,
    });
    expect(res.statusCode, res.body).toBe(204);

    await recorder.flush();

    expect(await rowsOf(gone.user)).toEqual([]);
    const kept = await rowsOf(stays.user);
    expect(kept.map((r) => [r.model, r.api_key_id, r.connection_id, Number(r.input_tokens)])).toEqual([
      ["s-1", stays.apiKeyId, stays.connectionId, 7],
      ["s-2", stays.apiKeyId, stays.connectionId, 7],
    ]);
    expect(log.parsed()).toEqual([
      expect.objectContaining({ rows: 4, written: 2, detached: 0, of_deleted_users: 2, lost: 0 }),
    ]);
    expect(log.text()).not.toContain(gone.apiKey);
    await recorder.close();
  });

  it("a row the database rejects for its own reasons is the only row lost, and a warning counts it", async () => {
    const a = await caller("solid");
    const log = capturedLogger();
    const recorder = createUsageRecorder({ db: t().sy.db, logger: log.logger, intervalMs: HOUR });
    recorder.record(event({ userId: a.user.id, apiKeyId: a.apiKeyId, model: "r-1" }));
    // The gateway's types rule this out; the recorder must still not let it sink its neighbours.
    recorder.record(event({ userId: a.user.id, model: "r-2", statusCode: null as unknown as number }));
    recorder.record(event({ userId: a.user.id, connectionId: a.connectionId, model: "r-3" }));
    await recorder.flush();

    expect((await rowsOf(a.user)).map((r) => r.model)).toEqual(["r-1", "r-3"]);
    const [line] = log.parsed();
    expect(line).toMatchObject({ level: WARN, rows: 3, written: 2, lost: 1 });
    expect(line?.err?.message).toBeTruthy();
    await recorder.close();
  });

  it("a database refusing every row is not asked again row by row for the whole batch", async () => {
    const a = await caller("refused");
    let statements = 0;
    const counting: KyselyPlugin = {
      transformQuery: (args) => {
        statements++;
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    const log = capturedLogger();
    const recorder = createUsageRecorder({
      db: t().sy.db.withPlugin(counting),
      logger: log.logger,
      intervalMs: HOUR,
    });
    // Rows the database refuses even alone, as a read-only or full database would refuse them all.
    for (let i = 0; i < 50; i++) {
      recorder.record(event({ userId: a.user.id, statusCode: null as unknown as number }));
    }
    await recorder.flush();

    expect(await rowsOf(a.user)).toEqual([]);
    expect(log.parsed()).toEqual([expect.objectContaining({ level: WARN, rows: 50, written: 0, lost: 50 })]);
    expect(statements).toBeLessThan(20);
    await recorder.close();
  });

  it("a database failure that is not about the rows is logged with a count, never thrown, and not retried forever", async () => {
    const a = await caller("unlucky");
    // A reachable database without the table (the server answers with an error), then a pool that
    // is closed (nothing answers at all).
    const bare = await createTestDatabase(dialect);
    const handle = createDatabase({ databaseUrl: bare.url, poolSize: 2 });
    try {
      const log = capturedLogger();
      const recorder = createUsageRecorder({ db: handle.db, logger: log.logger, intervalMs: HOUR });
      recorder.record(event({ userId: a.user.id, apiKeyId: a.apiKeyId, connectionId: a.connectionId }));
      recorder.record(event({ userId: a.user.id }));
      await expect(recorder.flush()).resolves.toBeUndefined();
      expect(log.parsed()).toEqual([
        expect.objectContaining({ level: WARN, rows: 2, written: 0, lost: 2, err: expect.anything() }),
      ]);

      await handle.close();
      recorder.record(event({ userId: a.user.id }));
      await expect(recorder.close()).resolves.toBeUndefined();
      expect(log.parsed()).toHaveLength(2);
      expect(log.parsed()[1]).toMatchObject({ level: WARN, rows: 1, lost: 1 });
      expect(log.text()).not.toContain(a.apiKey);
    } finally {
      await handle.close();
      await bare.drop();
    }
  });
});
