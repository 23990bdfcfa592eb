/**
 * A caller's cancellation as adapters use it: whether it happened, why, and a way to hear of it. An
 * AbortSignal is one. The gateway passes a lighter one of its own (src/http/client-gone.ts): an
 * AbortController costs about 5 µs to make and a few more to listen to, on every proxied request.
 */
export interface CancelSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: "abort", listener: () => void): void;
}
