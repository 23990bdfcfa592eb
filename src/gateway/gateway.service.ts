import { randomBytes } from "node:crypto";
import { isAdmin, type UserActor } from "../domain/actor.js";
import {
  ConnectionNotCallable,
  type ConnectionTargetDeps,
  connectionTarget,
} from "../domain/connections/connection-target.js";
import type { ConnectionRecord } from "../domain/connections/connections.repo.js";
import type { ConnectionResolver, Resolution } from "../domain/connections/resolve-connection.js";
import type { SettingsService } from "../domain/settings/settings.service.js";
import { AppError, isAppError } from "../domain/errors.js";
import { parseInput } from "../domain/validate.js";
import type { ChatAdapter, ChatRequest, ChatWarning } from "../providers/chat-spec.js";
import { presentError } from "../http/error-status.js";
import { isProviderError } from "../providers/errors.js";
import type { ProviderType } from "../providers/spec.js";
import { createChunkEncoder, encodeChatCompletion } from "./encode-openai-response.js";
import { mapProviderError } from "./map-provider-error.js";
import { OpenAIEventStream } from "./openai-event-stream.js";
import type { Metrics } from "../metrics.js";
import type { GatewayLimits } from "./rate-limits.js";
import { ChatCompletionRequest, EmbeddingsRequest } from "./openai-request.schemas.js";
import { withReasoningBlocks } from "./thinking-blocks.js";
import type { UsageEvent, UsageRecorder } from "./usage-recorder.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy, withRetries } from "./with-retries.js";
import type { CancelSignal } from "../providers/cancel-signal.js";

export interface GatewayDeps extends ConnectionTargetDeps {
  resolver: Pick<ConnectionResolver, "resolveWithFallbacks" | "usable">;
  settings: Pick<SettingsService, "get">;
  adapterFor(type: ProviderType): ChatAdapter;
  usage: Pick<UsageRecorder, "record">;
  limits: Pick<GatewayLimits, "admit" | "consumed">;
  metrics: Pick<Metrics, "gatewayRequests" | "upstreamErrors">;
  retry?: RetryPolicy;
}

export type ChatResponse =
  | { kind: "json"; body: unknown; warnings: ChatWarning[]; headers: Record<string, string> }
  | {
      kind: "stream";
      warnings: ChatWarning[];
      events: AsyncIterable<string>;
      headers: Record<string, string>;
    };

const OPENAI_FIELDS = new Set([
  "model",
  "messages",
  "stream",
  "stream_options",
  "max_tokens",
  "max_completion_tokens",
  "temperature",
  "top_p",
  "stop",
  "tools",
  "tool_choice",
  "presence_penalty",
  "frequency_penalty",
  "seed",
  "response_format",
  "user",
  "n",
]);

/** Gateway input is passed on, never stored, so any text goes (see unstorableText); one object for every call. */
const PASSED_ON = { anyText: true } as const;

const completionId = () => `chatcmpl-${randomBytes(12).toString("base64url")}`;

/**
 * The hot path: a caller's OpenAI-shaped request, resolved to a connection from memory (the resolver
 * is cached), sent through that connection's adapter, and answered in OpenAI's shape; usage is
 * queued, never awaited.
 */
export function createGateway(deps: GatewayDeps) {
  const retry = deps.retry ?? DEFAULT_RETRY_POLICY;
  /** Every call ends here once: usage queued, counters moved. */
  const finished = (event: UsageEvent) => {
    deps.usage.record(event);
    deps.metrics.gatewayRequests.inc({
      endpoint: event.endpoint,
      provider_type: event.providerType ?? "none",
      status: String(event.statusCode),
    });
  };

  type Callable = Resolution & { adapter: ChatAdapter; model: string };

  // A literal, not a spread of the resolution: this runs for every call, and a spread showed up
  // at about 1% of the gateway's CPU in profiles.
  // An admin may change system connections, so their errors keep the host: the resolution, cached
  // per user, leaves that to the request's actor.
  const callable = (r: Resolution, admin: boolean): Callable | undefined =>
    r.model
      ? {
          connection: r.connection,
          model: r.model,
          adapter: deps.adapterFor(r.connection.providerType),
          label: admin && r.connection.scope === "system" ? undefined : r.label,
        }
      : undefined;

  /**
   * The connection that serves the call and, when the `gateway.fallback_on_failure` setting is on,
   * the defaults to try after it. The first must be callable (a clear 400 otherwise); fallbacks that
   * have no model are skipped.
   */
  async function resolveChain(actor: UserActor, model: string): Promise<Callable[]> {
    const resolutions = await deps.resolver.resolveWithFallbacks(actor.userId, model);
    const chain = (await deps.settings.get("gateway.fallback_on_failure"))
      ? resolutions
      : resolutions.slice(0, 1);
    const first = chain[0];
    if (!first) {
      throw new AppError(
        "bad_request",
        "No connection serves this user: create one, set a profile, or name one as `<connection>/<model>`",
      );
    }
    if (!first.model) {
      throw new AppError(
        "bad_request",
        `The connection ${first.connection.name} has no default model: name one`,
      );
    }
    const admin = isAdmin(actor);
    return chain.map((r) => callable(r, admin)).filter((r): r is Callable => r !== undefined);
  }

  /** Whether a failure of one connection is worth trying the next for (not the caller's own mistake). */
  const worthFallingBack = (error: unknown) =>
    error instanceof ConnectionNotCallable ||
    (isProviderError(error) && (error.isRetryable || error.kind === "auth" || error.kind === "unreachable"));

  /**
   * Calls down the chain (with retries on each) until one answers; `onAttempt` tells the caller
   * which connection is being tried, for usage and metrics.
   */
  async function firstAnswer<T>(
    chain: Callable[],
    call: (r: Callable, target: Awaited<ReturnType<typeof connectionTarget>>) => Promise<T>,
    onAttempt: (r: Callable) => void,
    signal: CancelSignal,
  ): Promise<{ resolution: Callable; value: T }> {
    for (const [i, resolution] of chain.entries()) {
      onAttempt(resolution);
      try {
        const target = await connectionTarget(deps, resolution.connection, resolution.label);
        return { resolution, value: await withRetries(() => call(resolution, target), retry, signal) };
      } catch (error) {
        if (i === chain.length - 1 || signal.aborted || !worthFallingBack(error)) throw error;
        if (isProviderError(error)) {
          deps.metrics.upstreamErrors.inc({
            connection_id: resolution.connection.id,
            provider_type: resolution.connection.providerType,
            kind: error.kind,
          });
        }
      }
    }
    throw new Error("unreachable: an empty chain is refused by resolveChain");
  }

  /** One call's usage row, built in one literal (this runs for every call). */
  const usageEvent = (
    actor: UserActor,
    c: ConnectionRecord | undefined,
    endpoint: UsageEvent["endpoint"],
    model: string | undefined,
    started: number,
    statusCode: number,
    errorCode: string | null,
    inputTokens = 0,
    outputTokens = 0,
  ): UsageEvent => ({
    userId: actor.userId,
    apiKeyId: actor.apiKeyId ?? null,
    connectionId: c?.id ?? null,
    endpoint,
    providerType: c?.providerType ?? null,
    model: model ?? null,
    inputTokens,
    outputTokens,
    latencyMs: performance.now() - started,
    statusCode,
    errorCode,
  });

  /** Upstream and setup failures as AppErrors, recorded in usage with the status they answer. */
  const fail = (
    error: unknown,
    connection: ConnectionRecord | undefined,
    record: (status: number, code: string) => void,
    signal: CancelSignal,
  ): never => {
    // The client went away (its abort is what failed the call): nothing to answer, nothing broke.
    if (signal.aborted && !isAppError(error)) {
      record(499, "client_closed");
      throw new AppError("bad_request", "The client closed the request");
    }
    if (isProviderError(error) && connection) {
      deps.metrics.upstreamErrors.inc({
        connection_id: connection.id,
        provider_type: connection.providerType,
        kind: error.kind,
      });
    }
    const appError = isProviderError(error)
      ? mapProviderError(error)
      : error instanceof ConnectionNotCallable
        ? new AppError("upstream_failed", error.message)
        : error;
    if (isAppError(appError)) record(presentError(appError.code).status, appError.code);
    throw appError;
  };

  return {
    async chat(actor: UserActor, input: unknown, signal: CancelSignal): Promise<ChatResponse> {
      const body = parseInput(ChatCompletionRequest, input, PASSED_ON);
      const admitted = await deps.limits.admit(actor);
      const spent = (tokens: number) => void deps.limits.consumed(admitted.limits, tokens).catch(() => {});
      const started = performance.now();
      let connection: ConnectionRecord | undefined;
      let upstreamModel: string | undefined;
      const record = (
        statusCode: number,
        errorCode: string | null,
        tokens?: { input: number; output: number },
      ) =>
        finished(
          usageEvent(
            actor,
            connection,
            "chat.completions",
            upstreamModel,
            started,
            statusCode,
            errorCode,
            tokens?.input,
            tokens?.output,
          ),
        );

      try {
        const chain = await resolveChain(actor, body.model);
        const onAttempt = (r: Callable) => {
          connection = r.connection;
          upstreamModel = r.model;
        };
        const created = Math.floor(Date.now() / 1000);

        if (!body.stream) {
          const { value: result } = await firstAnswer(
            chain,
            (r, target) => r.adapter.doGenerate(target, toChatRequest(body, r.model), signal),
            onAttempt,
            signal,
          );
          record(200, null, { input: result.usage.prompt_tokens, output: result.usage.completion_tokens });
          spent(result.usage.total_tokens);
          return {
            kind: "json",
            body: encodeChatCompletion(result.id ?? completionId(), body.model, created, result),
            warnings: result.warnings,
            headers: admitted.headers,
          };
        }

        // Retries and fallbacks happen only here, before the first byte: once streaming, an error ends the stream.
        const { value: stream } = await firstAnswer(
          chain,
          (r, target) => r.adapter.doStream(target, toChatRequest(body, r.model), signal),
          onAttempt,
          signal,
        );
        const encoder = createChunkEncoder(
          stream.id ?? completionId(),
          body.model,
          created,
          body.stream_options?.include_usage === true,
        );
        const events = new OpenAIEventStream(stream.parts[Symbol.asyncIterator](), encoder, {
          signal,
          onFinish: (part) => {
            record(200, null, { input: part.usage.prompt_tokens, output: part.usage.completion_tokens });
            spent(part.usage.total_tokens);
          },
          onFailure: (error) => {
            if (signal.aborted) {
              record(499, "client_closed");
              return undefined;
            }
            const appError = isProviderError(error) ? mapProviderError(error) : undefined;
            if (isProviderError(error) && connection) {
              deps.metrics.upstreamErrors.inc({
                connection_id: connection.id,
                provider_type: connection.providerType,
                kind: error.kind,
              });
            }
            record(502, appError?.code ?? "internal_error");
            return encoder.error(appError?.message ?? "The stream failed", "api_error");
          },
          onUnfinished: () => record(signal.aborted ? 499 : 200, signal.aborted ? "client_closed" : null),
        });
        return { kind: "stream", warnings: stream.warnings, events, headers: admitted.headers };
      } catch (error) {
        return fail(error, connection, (status, code) => record(status, code), signal);
      }
    },

    async embeddings(actor: UserActor, input: unknown, signal: CancelSignal) {
      const body = parseInput(EmbeddingsRequest, input, PASSED_ON);
      const admitted = await deps.limits.admit(actor);
      const started = performance.now();
      let connection: ConnectionRecord | undefined;
      let upstreamModel: string | undefined;
      const record = (statusCode: number, errorCode: string | null, tokens?: number) =>
        finished(
          usageEvent(actor, connection, "embeddings", upstreamModel, started, statusCode, errorCode, tokens),
        );
      try {
        const chain = (await resolveChain(actor, body.model)).filter((r) => r.adapter.doEmbed !== undefined);
        if (chain.length === 0)
          throw new AppError("bad_request", "The resolved connection has no embeddings endpoint");
        const { value: result } = await firstAnswer(
          chain,
          (r, target) => r.adapter.doEmbed!(target, { ...body, model: r.model }, signal),
          (r) => {
            connection = r.connection;
            upstreamModel = r.model;
          },
          signal,
        );
        record(200, null, result.usage.prompt_tokens);
        void deps.limits.consumed(admitted.limits, result.usage.total_tokens).catch(() => {});
        return {
          object: "list" as const,
          data: result.embeddings.map((embedding, index) => ({
            object: "embedding" as const,
            index,
            embedding,
          })),
          model: body.model,
          usage: result.usage,
        };
      } catch (error) {
        return fail(error, connection, (status, code) => record(status, code), signal);
      }
    },

    /** `<connection name>/<model>` for every enabled connection the caller may use that names a model. */
    async models(actor: UserActor) {
      const usable = await deps.resolver.usable(actor.userId);
      const seen = new Set<string>();
      const data = [];
      for (const c of usable) {
        const id = c.model ? `${c.name}/${c.model}` : undefined;
        if (!id || seen.has(id)) continue;
        seen.add(id);
        data.push({
          id,
          object: "model" as const,
          created: Math.floor(c.createdAt.getTime() / 1000),
          owned_by: c.scope,
        });
      }
      return { object: "list" as const, data };
    },
  };
}

export type Gateway = ReturnType<typeof createGateway>;

/** The gateway's own concerns, not the upstream's: streaming is chosen per call, n is always 1. */
const GATEWAY_FIELDS = new Set(["model", "stream", "stream_options", "n"]);

/**
 * One pass over the body, every call: no entries array, no deletes (they make V8 slow the object
 * down). A null is a field not sent, as OpenAI reads it, so no adapter sees one. An assistant
 * message's thinking_blocks become its reasoning blocks (see thinking-blocks.ts).
 */
function toChatRequest(body: ChatCompletionRequest, model: string): ChatRequest {
  const request: Record<string, unknown> = { model };
  let extra: Record<string, unknown> | undefined;
  for (const key in body) {
    if (GATEWAY_FIELDS.has(key)) continue;
    const value = (body as Record<string, unknown>)[key];
    if (value === null) continue;
    if (OPENAI_FIELDS.has(key)) request[key] = value;
    else (extra ??= {})[key] = value;
  }
  if (extra !== undefined) request.extra = extra;
  request.messages = withReasoningBlocks(body.messages);
  return request as unknown as ChatRequest;
}
