import type { ChatStreamPart } from "../providers/chat-spec.js";
import type { createChunkEncoder } from "./encode-openai-response.js";
import type { CancelSignal } from "../providers/cancel-signal.js";
import { DONE } from "../providers/iteration-done.js";

type FinishPart = Extract<ChatStreamPart, { type: "finish" }>;

/** What the gateway does as a stream goes: usage and metrics. */
export interface EventStreamHooks {
  /** Aborted when the caller went away: the stream stops at the next part. */
  signal: CancelSignal;
  /** The finish arrived (usage is known). */
  onFinish(part: FinishPart): void;
  /** Reading the parts failed after the stream started; the last event to send, if any. */
  onFailure(error: unknown): string | undefined;
  /** The stream stopped without its finish (the caller left, or the parts just ended). */
  onUnfinished(): void;
}

/**
 * A stream's parts as OpenAI's server-sent events: the role chunk first, then a chunk per part,
 * ending with the finish (and `[DONE]`) or, when the parts fail, OpenAI's error envelope. Written
 * out rather than as an async generator because it runs for every part of every stream. At the
 * finish the caller's answer is complete, so the events end there, and the parts are returned in
 * the background: after their finish that reads what is left of the upstream's body, so its
 * keep-alive connection is reused (see run-chat-stream-parser.ts).
 */
export class OpenAIEventStream implements AsyncIterableIterator<string> {
  private started = false;
  private done = false;
  private finished = false;
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
      // Not awaited: the caller's answer ends now, whatever returning the parts takes.
      void this.release().catch(() => undefined);
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
