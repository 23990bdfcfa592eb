import type { ChatStreamPart } from "../providers/chat-spec.js";
import type { createChunkEncoder } from "./encode-openai-response.js";

type FinishPart = Extract<ChatStreamPart, { type: "finish" }>;

/** What the gateway does as a stream goes: usage and metrics. */
export interface EventStreamHooks {
  /** Aborted when the caller went away: the stream stops at the next part. */
  signal: AbortSignal;
  /** The finish arrived (usage is known). */
  onFinish(part: FinishPart): void;
  /** Reading the parts failed after the stream started; the last event to send, if any. */
  onFailure(error: unknown): string | undefined;
  /** The stream stopped without its finish (the caller left, or the parts just ended). */
  onUnfinished(): void;
}

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/** The longest settle() reads a finished stream's remainder before releasing it. */
const SETTLE_MS = 5_000;

/**
 * A stream's parts as OpenAI's server-sent events: the role chunk first, then a chunk per part,
 * ending with the finish (and `[DONE]`) or, when the parts fail, OpenAI's error envelope. Written
 * out rather than as an async generator because it runs for every part of every stream. At the
 * finish the caller's answer is complete, so the events end there; the upstream's remainder is read
 * in the background (settle), which lets its keep-alive connection go back to the pool.
 */
export class OpenAIEventStream implements AsyncIterableIterator<string> {
  private started = false;
  private done = false;
  private finished = false;
  /** The parts were returned, or handed to settle(): not ours to release any more. */
  private released = false;

  constructor(
    private readonly parts: AsyncIterator<ChatStreamPart>,
    private readonly encoder: ReturnType<typeof createChunkEncoder>,
    private readonly hooks: EventStreamHooks,
  ) {}

  [Symbol.asyncIterator](): AsyncIterableIterator<string> {
    return this;
  }

  async next(): Promise<IteratorResult<string, undefined>> {
    if (this.done) return DONE;
    if (!this.started) {
      this.started = true;
      return { done: false, value: this.encoder.start() };
    }
    if (this.hooks.signal.aborted) return this.close();
    let next: IteratorResult<ChatStreamPart>;
    try {
      next = await this.parts.next();
    } catch (error) {
      this.done = true;
      this.finished = true;
      await this.release();
      const last = this.hooks.onFailure(error);
      return last === undefined ? DONE : { done: false, value: last };
    }
    if (next.done === true) return this.close();
    const part = next.value;
    if (part.type === "finish") {
      this.done = true;
      this.finished = true;
      this.hooks.onFinish(part);
      this.released = true;
      void settle(this.parts);
    }
    return { done: false, value: this.encoder.part(part) };
  }

  async return(): Promise<IteratorResult<string, undefined>> {
    return this.close();
  }

  private async close(): Promise<IteratorReturnResult<undefined>> {
    this.done = true;
    await this.release();
    return DONE;
  }

  private async release(): Promise<void> {
    if (!this.released) {
      this.released = true;
      await this.parts.return?.();
    }
    if (!this.finished) {
      this.finished = true;
      this.hooks.onUnfinished();
    }
  }
}

/**
 * Reads a stream to its end after its finish (the adapter reads what follows the end marker) and
 * releases it if that takes longer than SETTLE_MS. Nothing read here reaches the caller, whose
 * answer was already complete.
 */
async function settle(parts: AsyncIterator<ChatStreamPart>): Promise<void> {
  const giveUp = setTimeout(() => void parts.return?.()?.catch(() => undefined), SETTLE_MS);
  try {
    while (!(await parts.next()).done) {
      // parts after the finish are not the caller's
    }
  } catch {
    // the answer was already whole
  } finally {
    clearTimeout(giveUp);
  }
}
