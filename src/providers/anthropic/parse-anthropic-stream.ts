import { Type } from "typebox";
import { Compile } from "typebox/compile";
import type { ChatStreamPart, ChatUsage } from "../chat-spec.js";
import { ProviderError } from "../errors.js";
import { expectShape } from "../expect-shape.js";
import type { ChatStreamParser } from "../run-chat-stream-parser.js";
import type { SseEvent } from "../sse.js";
import { anthropicStreamError } from "./anthropic-error.js";
import { mapAnthropicStopReason } from "./map-anthropic-stop-reason.js";
import { mapAnthropicUsage, type AnthropicUsage } from "./map-anthropic-usage.js";
import { AnthropicUsageShape } from "./parse-anthropic-response.js";

const MessageStart = Compile(
  Type.Object({ message: Type.Object({ id: Type.String(), usage: Type.Optional(AnthropicUsageShape) }) }),
);

const ContentBlockStart = Compile(
  Type.Object({
    index: Type.Number(),
    content_block: Type.Object({
      type: Type.String(),
      text: Type.Optional(Type.String()),
      thinking: Type.Optional(Type.String()),
      data: Type.Optional(Type.String()),
      id: Type.Optional(Type.String()),
      name: Type.Optional(Type.String()),
      input: Type.Optional(Type.Unknown()),
    }),
  }),
);

const ContentBlockDelta = Compile(
  Type.Object({
    index: Type.Number(),
    delta: Type.Object({
      type: Type.String(),
      text: Type.Optional(Type.String()),
      thinking: Type.Optional(Type.String()),
      signature: Type.Optional(Type.String()),
      partial_json: Type.Optional(Type.String()),
    }),
  }),
);

const ContentBlockStop = Compile(Type.Object({ index: Type.Number() }));

const MessageDelta = Compile(
  Type.Object({
    delta: Type.Object({ stop_reason: Type.Optional(Type.Union([Type.String(), Type.Null()])) }),
    usage: Type.Optional(AnthropicUsageShape),
  }),
);

interface OpenToolBlock {
  toolIndex: number;
  initialInput: unknown;
  sentArguments: boolean;
}

/**
 * Anthropic's SSE events -> parts, event by event: message_start (id, input usage),
 * content_block_start (a tool_use opens a tool call: id and name; a redacted_thinking block comes
 * whole, encrypted, and goes on as it is), content_block_delta (text_delta -> text; thinking_delta ->
 * signed reasoning; signature_delta -> the signature closing it; input_json_delta -> arguments),
 * content_block_stop, message_delta (stop_reason, output usage), message_stop -> the one finish.
 * `ping` and unknown events are skipped (Anthropic adds event types); an `error` event throws. Tool
 * calls are numbered among themselves, as OpenAI's index is, not by content block.
 */
export class AnthropicStreamParser implements ChatStreamParser<SseEvent> {
  /** The message id, once message_start has come. */
  id: string | undefined;
  #usage: AnthropicUsage = {};
  #stopReason: string | null | undefined;
  #finished = false;
  #toolCount = 0;
  readonly #toolBlocks = new Map<number, OpenToolBlock>();

  constructor(
    private readonly where: string,
    private readonly secrets: readonly string[] = [],
  ) {}

  push(event: SseEvent): ChatStreamPart[] {
    if (this.#finished) return [];
    const type = event.event ?? "message";
    if (type === "ping") return [];
    const data = this.#parse(event.data, type);
    switch (type) {
      case "error":
        throw anthropicStreamError(data, this.where, this.secrets);
      case "message_start": {
        const { message } = expectShape(MessageStart, data, this.#at(type));
        this.id = message.id;
        this.#usage = { ...this.#usage, ...withoutNulls(message.usage) };
        return [];
      }
      case "content_block_start":
        return this.#blockStart(expectShape(ContentBlockStart, data, this.#at(type)));
      case "content_block_delta":
        return this.#blockDelta(expectShape(ContentBlockDelta, data, this.#at(type)));
      case "content_block_stop":
        return this.#blockStop(expectShape(ContentBlockStop, data, this.#at(type)).index);
      case "message_delta": {
        const delta = expectShape(MessageDelta, data, this.#at(type));
        if (delta.delta.stop_reason !== undefined) this.#stopReason = delta.delta.stop_reason;
        this.#usage = { ...this.#usage, ...withoutNulls(delta.usage) };
        return [];
      }
      case "message_stop":
        this.#finished = true;
        return [
          { type: "finish", finishReason: mapAnthropicStopReason(this.#stopReason), usage: this.usage },
        ];
      default:
        return [];
    }
  }

  end(): ChatStreamPart[] {
    if (!this.#finished) {
      throw new ProviderError("bad_response", `${this.where} ended the stream before message_stop`);
    }
    return [];
  }

  /** The usage so far. */
  get usage(): ChatUsage {
    return mapAnthropicUsage(this.#usage);
  }

  #blockStart(start: {
    index: number;
    content_block: {
      type: string;
      text?: string;
      thinking?: string;
      data?: string;
      id?: string;
      name?: string;
      input?: unknown;
    };
  }): ChatStreamPart[] {
    const block = start.content_block;
    if (block.type === "text") {
      return block.text ? [{ type: "text-delta", delta: block.text }] : [];
    }
    if (block.type === "thinking") {
      return block.thinking ? [{ type: "reasoning-delta", delta: block.thinking, signed: true }] : [];
    }
    if (block.type === "redacted_thinking") {
      return block.data ? [{ type: "redacted-reasoning", data: block.data }] : [];
    }
    if (block.type !== "tool_use") return [];
    if (!block.id || !block.name) {
      throw new ProviderError(
        "bad_response",
        `${this.#at("content_block_start")} answered with an unexpected shape: a tool_use block without id or name`,
      );
    }
    const toolIndex = this.#toolCount++;
    this.#toolBlocks.set(start.index, { toolIndex, initialInput: block.input, sentArguments: false });
    return [
      { type: "tool-call-delta", index: toolIndex, id: block.id, name: block.name, argumentsDelta: "" },
    ];
  }

  #blockDelta(delta: {
    index: number;
    delta: { type: string; text?: string; thinking?: string; signature?: string; partial_json?: string };
  }): ChatStreamPart[] {
    if (delta.delta.type === "text_delta") {
      return delta.delta.text ? [{ type: "text-delta", delta: delta.delta.text }] : [];
    }
    if (delta.delta.type === "thinking_delta") {
      return delta.delta.thinking
        ? [{ type: "reasoning-delta", delta: delta.delta.thinking, signed: true }]
        : [];
    }
    if (delta.delta.type === "signature_delta") {
      // What Anthropic checks the block by when it is sent back: the caller keeps it with the block.
      return delta.delta.signature ? [{ type: "reasoning-signature", signature: delta.delta.signature }] : [];
    }
    if (delta.delta.type === "input_json_delta") {
      const tool = this.#toolBlocks.get(delta.index);
      const piece = delta.delta.partial_json ?? "";
      if (tool === undefined || piece.length === 0) return [];
      tool.sentArguments = true;
      return [{ type: "tool-call-delta", index: tool.toolIndex, argumentsDelta: piece }];
    }
    // citations_delta: nothing OpenAI's shape carries.
    return [];
  }

  /** A tool call whose input came whole in its start block, or empty, still gets its arguments. */
  #blockStop(index: number): ChatStreamPart[] {
    const tool = this.#toolBlocks.get(index);
    if (tool === undefined || tool.sentArguments) return [];
    tool.sentArguments = true;
    return [
      {
        type: "tool-call-delta",
        index: tool.toolIndex,
        argumentsDelta: JSON.stringify(tool.initialInput ?? {}),
      },
    ];
  }

  #parse(data: string, type: string): unknown {
    try {
      return JSON.parse(data) as unknown;
    } catch {
      throw new ProviderError("bad_response", `${this.#at(type)} was not JSON`);
    }
  }

  #at(type: string): string {
    return `${this.where} (event ${type})`;
  }
}

function withoutNulls(usage: AnthropicUsage | undefined): AnthropicUsage {
  const out: AnthropicUsage = {};
  for (const [key, value] of Object.entries(usage ?? {})) {
    if (typeof value === "number") out[key as keyof AnthropicUsage] = value;
  }
  return out;
}
