import type { Kysely } from "kysely";
import { newId } from "../domain/new-id.js";
import type { Database } from "../db/schema.js";
import type { Logger } from "../logger.js";
import { createUsageInsertCompiler } from "./usage-insert.js";
import { writeUsageRows } from "./write-usage-rows.js";

export interface UsageEvent {
  userId: string;
  apiKeyId: string | null;
  connectionId: string | null;
  endpoint: "chat.completions" | "embeddings";
  providerType: string | null;
  model: string | null;
  inputTokens: number;
  outputTokens: number;
  latencyMs: number;
  statusCode: number;
  errorCode: string | null;
}

export interface UsageRecorder {
  /** Never waits for the database: the row joins the next batch. */
  record(event: UsageEvent): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

const MAX_BATCH = 500;

/**
 * usage_records written off the hot path, in batches: every interval, or sooner when a batch fills.
 * A batch the database refuses is not lost with its one bad row (see writeUsageRows); what still
 * cannot be written is logged rather than retried forever, since the call it describes has already
 * been answered.
 */
export function createUsageRecorder(deps: {
  db: Kysely<Database>;
  logger: Pick<Logger, "info" | "warn">;
  intervalMs?: number;
}): UsageRecorder {
  let pending: UsageEvent[] = [];
  let flushing: Promise<void> = Promise.resolve();
  const writer = { ...deps, compileInsert: createUsageInsertCompiler(deps.db) };

  const write = async (batch: UsageEvent[]) => {
    const createdAt = new Date();
    try {
      await writeUsageRows(
        writer,
        batch.map((e) => ({
          id: newId(),
          user_id: e.userId,
          api_key_id: e.apiKeyId,
          connection_id: e.connectionId,
          endpoint: e.endpoint,
          provider_type: e.providerType,
          model: e.model?.slice(0, 200) ?? null,
          input_tokens: e.inputTokens,
          output_tokens: e.outputTokens,
          latency_ms: Math.round(e.latencyMs),
          status_code: e.statusCode,
          error_code: e.errorCode,
          created_at: createdAt,
        })),
      );
    } catch (error) {
      // writeUsageRows does not throw; this is the guard for a bug, since a rejected write would
      // leave every later flush chained behind it unwritten.
      deps.logger.warn({ err: error, rows: batch.length }, "could not write usage records");
    }
  };

  const flush = () => {
    if (pending.length === 0) return flushing;
    const batch = pending;
    pending = [];
    flushing = flushing.then(() => write(batch));
    return flushing;
  };

  const timer = setInterval(() => void flush(), deps.intervalMs ?? 2_000);
  timer.unref();

  return {
    record: (event) => {
      pending.push(event);
      if (pending.length >= MAX_BATCH) void flush();
    },
    flush,
    close: async () => {
      clearInterval(timer);
      await flush();
    },
  };
}
