import type { ChatRequest, ChatWarning } from "../chat-spec.js";
import { ChatWarnings } from "../chat-warnings.js";
import { maxTokensOf, stopSequencesOf, warnUnhandledExtras } from "../read-chat-request.js";
import { convertToGoogleMessages, type GoogleContent } from "./convert-to-google-messages.js";
import { mapGoogleReasoningEffort, type GoogleThinkingConfig } from "./map-google-reasoning-effort.js";
import {
  prepareGoogleTools,
  type GoogleFunctionDeclaration,
  type GoogleToolConfig,
} from "./prepare-google-tools.js";

export interface GoogleGenerationConfig {
  stopSequences?: string[];
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  responseMimeType?: string;
  responseJsonSchema?: Record<string, unknown>;
  thinkingConfig?: GoogleThinkingConfig;
}

/** The body of `:generateContent` and `:streamGenerateContent`. */
export interface GoogleGenerateContentRequest {
  contents: GoogleContent[];
  systemInstruction?: { parts: { text: string }[] };
  tools?: [{ functionDeclarations: GoogleFunctionDeclaration[] }];
  toolConfig?: GoogleToolConfig;
  generationConfig?: GoogleGenerationConfig;
}

/**
 * An OpenAI chat request -> a Gemini generateContent body (the model goes in the URL). Gemini has a
 * field for most of OpenAI's settings (reasoning_effort, an extra, is its thinkingConfig); what it
 * has none for (user, other extras) is reported.
 */
export function convertToGoogleRequest(request: ChatRequest): {
  body: GoogleGenerateContentRequest;
  warnings: ChatWarning[];
} {
  const warnings = new ChatWarnings();
  const prompt = convertToGoogleMessages(request.messages, warnings);
  const tools = prepareGoogleTools(request, warnings);

  const config: GoogleGenerationConfig = {};
  const stop = stopSequencesOf(request);
  if (stop !== undefined) config.stopSequences = stop;
  const maxTokens = maxTokensOf(request);
  if (maxTokens !== undefined) config.maxOutputTokens = maxTokens;
  if (request.temperature !== undefined) config.temperature = request.temperature;
  if (request.top_p !== undefined) config.topP = request.top_p;
  if (request.seed !== undefined) config.seed = request.seed;
  if (request.presence_penalty !== undefined) config.presencePenalty = request.presence_penalty;
  if (request.frequency_penalty !== undefined) config.frequencyPenalty = request.frequency_penalty;
  const format = request.response_format;
  if (format?.type === "json_object") {
    config.responseMimeType = "application/json";
  } else if (format?.type === "json_schema") {
    config.responseMimeType = "application/json";
    const schema = format.json_schema?.schema;
    if (typeof schema === "object" && schema !== null && !Array.isArray(schema)) {
      config.responseJsonSchema = schema as Record<string, unknown>;
    } else {
      warnings.add(
        "response_format",
        "response_format json_schema has no schema object; only JSON output was asked for",
      );
    }
  }
  const thinking = mapGoogleReasoningEffort(request, warnings);
  if (thinking !== undefined) config.thinkingConfig = thinking;
  if (request.user !== undefined) warnings.add("user", "Gemini does not support user; it was not sent");
  warnUnhandledExtras(request, ["reasoning_effort"], "Gemini", warnings);

  const body: GoogleGenerateContentRequest = {
    contents: prompt.contents,
    ...(prompt.systemInstruction !== undefined ? { systemInstruction: prompt.systemInstruction } : {}),
    ...tools,
    ...(Object.keys(config).length > 0 ? { generationConfig: config } : {}),
  };
  return { body, warnings: warnings.list };
}
