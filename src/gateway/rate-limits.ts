import type { UserActor } from "../domain/actor.js";
import { AppError } from "../domain/errors.js";
import type { SettingsService } from "../domain/settings/settings.service.js";
import type { RateLimitStore, WindowCount } from "../ratelimit/interface.js";

const MINUTE = 60_000;

interface Limit {
  scope: "user" | "key";
  id: string;
  requests: number;
  tokens: number;
}

/** OpenAI's reset format: "1s", "6m0s". */
function resetText(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  return seconds >= 60 ? `${Math.floor(seconds / 60)}m${seconds % 60}s` : `${seconds}s`;
}

/**
 * Requests and tokens per minute, per user and per API key (a key's own limits override the key
 * settings; 0 means none). The request count is taken before the upstream call, in one atomic step
 * per window (a Lua script on Redis); tokens are added after it, once the upstream has reported them,
 * so a call that would overshoot is admitted and the next one waits. Answers carry OpenAI's
 * x-ratelimit-* headers; a refusal is 429 with Retry-After.
 */
export function createGatewayLimits(deps: { store: RateLimitStore; settings: Pick<SettingsService, "get"> }) {
  async function limitsFor(actor: UserActor): Promise<Limit[]> {
    const limits: Limit[] = [];
    const userRequests = await deps.settings.get("ratelimit.user_requests_per_minute");
    const userTokens = await deps.settings.get("ratelimit.user_tokens_per_minute");
    if (userRequests > 0 || userTokens > 0)
      limits.push({ scope: "user", id: actor.userId, requests: userRequests, tokens: userTokens });
    if (actor.apiKeyId) {
      const requests =
        actor.apiKeyLimits?.requestsPerMinute ??
        (await deps.settings.get("ratelimit.key_requests_per_minute"));
      const tokens =
        actor.apiKeyLimits?.tokensPerMinute ?? (await deps.settings.get("ratelimit.key_tokens_per_minute"));
      if (requests > 0 || tokens > 0) limits.push({ scope: "key", id: actor.apiKeyId, requests, tokens });
    }
    return limits;
  }

  const keyOf = (kind: "rpm" | "tpm", limit: Limit) => `${kind}:${limit.scope}:${limit.id}`;

  return {
    /** Admits the call or throws 429; returns the headers to send either way. */
    async admit(actor: UserActor): Promise<{ headers: Record<string, string>; limits: Limit[] }> {
      const limits = await limitsFor(actor);
      const headers: Record<string, string> = {};
      let tightestRequests: { limit: number; count: WindowCount } | undefined;
      let tightestTokens: { limit: number; count: WindowCount } | undefined;
      let refusal: { resetInMs: number; what: string } | undefined;

      for (const limit of limits) {
        if (limit.requests > 0) {
          const count = await deps.store.increment(keyOf("rpm", limit), MINUTE);
          if (
            !tightestRequests ||
            limit.requests - count.count < tightestRequests.limit - tightestRequests.count.count
          ) {
            tightestRequests = { limit: limit.requests, count };
          }
          if (count.count > limit.requests)
            refusal ??= { resetInMs: count.resetInMs, what: `requests per minute for this ${limit.scope}` };
        }
        if (limit.tokens > 0) {
          const count = await deps.store.peek(keyOf("tpm", limit));
          if (
            !tightestTokens ||
            limit.tokens - count.count < tightestTokens.limit - tightestTokens.count.count
          ) {
            tightestTokens = { limit: limit.tokens, count };
          }
          if (count.count >= limit.tokens)
            refusal ??= { resetInMs: count.resetInMs, what: `tokens per minute for this ${limit.scope}` };
        }
      }
      if (tightestRequests) {
        headers["x-ratelimit-limit-requests"] = String(tightestRequests.limit);
        headers["x-ratelimit-remaining-requests"] = String(
          Math.max(0, tightestRequests.limit - tightestRequests.count.count),
        );
        headers["x-ratelimit-reset-requests"] = resetText(tightestRequests.count.resetInMs);
      }
      if (tightestTokens) {
        headers["x-ratelimit-limit-tokens"] = String(tightestTokens.limit);
        headers["x-ratelimit-remaining-tokens"] = String(
          Math.max(0, tightestTokens.limit - tightestTokens.count.count),
        );
        headers["x-ratelimit-reset-tokens"] = resetText(tightestTokens.count.resetInMs || MINUTE);
      }
      if (refusal) {
        throw new AppError("rate_limited", `Rate limit reached: ${refusal.what}`, {
          retryAfterSeconds: Math.max(1, Math.ceil(refusal.resetInMs / 1000)),
          headers,
        });
      }
      return { headers, limits };
    },

    /** Counts the tokens a call used against every token limit that applied to it. */
    async consumed(limits: Limit[], tokens: number): Promise<void> {
      if (tokens <= 0) return;
      await Promise.all(
        limits.filter((l) => l.tokens > 0).map((l) => deps.store.increment(keyOf("tpm", l), MINUTE, tokens)),
      );
    },
  };
}

export type GatewayLimits = ReturnType<typeof createGatewayLimits>;
