import type { ServerResponse } from "node:http";
import type { CancelSignal } from "../providers/cancel-signal.js";

/**
 * Aborted when the client goes away before its answer is complete (the response closes unfinished),
 * which cancels the upstream call. One is made for every /v1 request, so it is a plain object that
 * holds the one or two listeners a call adds, not an AbortController. Its reason is the AbortError
 * an AbortController's abort() gives.
 */
export class ClientGone implements CancelSignal {
  aborted = false;
  reason: unknown = undefined;
  private listeners: (() => void)[] = [];

  constructor(res: ServerResponse) {
    res.once("close", () => {
      if (!res.writableFinished) this.abort();
    });
  }

  /** Each listener is told once in any case (`once` or not): the signal aborts only once. */
  addEventListener(_type: "abort", listener: () => void): void {
    this.listeners.push(listener);
  }

  removeEventListener(_type: "abort", listener: () => void): void {
    const at = this.listeners.indexOf(listener);
    if (at !== -1) this.listeners.splice(at, 1);
  }

  private abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = new DOMException("This operation was aborted", "AbortError");
    const listeners = this.listeners;
    this.listeners = [];
    for (const listener of listeners) listener();
  }
}
