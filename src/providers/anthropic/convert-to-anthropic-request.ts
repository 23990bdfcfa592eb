import type { ChatRequest, ChatWarning } from "../chat-spec.js";
import { ChatWarnings } from "../chat-warnings.js";
import { maxTokensOf, stopSequencesOf, warnUnhandledExtras } from "../read-chat-request.js";
import { convertToAnthropicMessages, type AnthropicMessage } from "./convert-to-anthropic-messages.js";
import { prepareAnthropicThinking, type AnthropicThinking } from "./prepare-anthropic-thinking.js";
import {
  prepareAnthropicTools,
  type AnthropicTool,
  type AnthropicToolChoice,
} from "./prepare-anthropic-tools.js";

/** Anthropic requires max_tokens; OpenAI callers often leave it out. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;

/** Anthropic's temperature range is 0..1 (OpenAI's is 0..2). */
const ANTHROPIC_MAX_TEMPERATURE = 1;

/** The body of `POST /v1/messages`. */
export interface AnthropicMessagesRequest {
  model: string;
  max_tokens: number;
  thinking?: AnthropicThinking;
  system?: { type: "text"; text: string }[];
  messages: AnthropicMessage[];
  temperature?: number;
  top_p?: number;
  stop_sequences?: string[];
  tools?: AnthropicTool[];
  tool_choice?: AnthropicToolChoice;
  metadata?: { user_id: string };
  stream?: boolean;
}

/**
 * An OpenAI chat request -> the body of Anthropic's Messages API, with a warning for every setting
 * Anthropic cannot honour (seed, penalties, JSON response formats, extras it has no field for).
 * `reasoning_effort` turns on extended thinking, which decides max_tokens and sampling itself.
 */
export function convertToAnthropicRequest(
  request: ChatRequest,
  options: { stream: boolean },
): { body: AnthropicMessagesRequest; warnings: ChatWarning[] } {
  const warnings = new ChatWarnings();
  const prompt = convertToAnthropicMessages(request.messages, warnings);
  const tools = prepareAnthropicTools(request, warnings);

  const sampling =
    prepareAnthropicThinking(
      request,
      prompt.messages,
      tools.tool_choice,
      ANTHROPIC_DEFAULT_MAX_TOKENS,
      warnings,
    ) ?? samplingWithoutThinking(request, warnings);

  if (request.seed !== undefined) warnings.add("seed", "Anthropic does not support seed; it was not sent");
  if (request.presence_penalty !== undefined && request.presence_penalty !== 0) {
    warnings.add("presence_penalty", "Anthropic does not support presence_penalty; it was not sent");
  }
  if (request.frequency_penalty !== undefined && request.frequency_penalty !== 0) {
    warnings.add("frequency_penalty", "Anthropic does not support frequency_penalty; it was not sent");
  }
  if (request.response_format !== undefined && request.response_format.type !== "text") {
    warnings.add(
      "response_format",
      `Anthropic has no JSON mode; response_format ${request.response_format.type} was not sent`,
    );
  }
  warnUnhandledExtras(request, ["parallel_tool_calls", "reasoning_effort"], "Anthropic", warnings);

  const stop = stopSequencesOf(request);
  const body: AnthropicMessagesRequest = {
    model: request.model,
    ...sampling,
    ...(prompt.system !== undefined ? { system: prompt.system } : {}),
    messages: prompt.messages,
    ...(stop !== undefined ? { stop_sequences: stop } : {}),
    ...tools,
    ...(request.user !== undefined ? { metadata: { user_id: request.user } } : {}),
    ...(options.stream ? { stream: true } : {}),
  };
  return { body, warnings: warnings.list };
}

function samplingWithoutThinking(
  request: ChatRequest,
  warnings: ChatWarnings,
): Pick<AnthropicMessagesRequest, "max_tokens" | "temperature" | "top_p"> {
  let temperature = request.temperature;
  if (temperature !== undefined && temperature > ANTHROPIC_MAX_TEMPERATURE) {
    warnings.add(
      "temperature",
      `Anthropic's temperature is at most ${ANTHROPIC_MAX_TEMPERATURE}; ${temperature} was sent as ${ANTHROPIC_MAX_TEMPERATURE}`,
    );
    temperature = ANTHROPIC_MAX_TEMPERATURE;
  }
  return {
    max_tokens: maxTokensOf(request) ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
    ...(temperature !== undefined ? { temperature } : {}),
    ...(request.top_p !== undefined ? { top_p: request.top_p } : {}),
  };
}
