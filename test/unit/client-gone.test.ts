import { EventEmitter } from "node:events";
import type { ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import { ClientGone } from "../../src/http/client-gone.js";
import type { CancelSignal } from "../../src/providers/cancel-signal.js";

/** What ClientGone watches of a response: its close, and whether it had finished. */
function response(): { res: ServerResponse; close(finished: boolean): void } {
  const emitter = new EventEmitter() as EventEmitter & { writableFinished: boolean };
  emitter.writableFinished = false;
  return {
    res: emitter as unknown as ServerResponse,
    close(finished) {
      emitter.writableFinished = finished;
      emitter.emit("close");
    },
  };
}

describe("ClientGone", () => {
  it("aborts once when the response closes unfinished, with an AbortError, telling each listener once", () => {
    const { res, close } = response();
    const gone = new ClientGone(res);
    // As adapters hold it: through the CancelSignal interface, which takes `once`.
    const signal: CancelSignal = gone;
    const heard: string[] = [];
    signal.addEventListener("abort", () => heard.push("a"));
    signal.addEventListener("abort", () => heard.push("b"), { once: true });
    expect(gone.aborted).toBe(false);
    close(false);
    close(false);
    expect(gone.aborted).toBe(true);
    expect(gone.reason).toBeInstanceOf(DOMException);
    expect((gone.reason as DOMException).name).toBe("AbortError");
    expect(heard).toEqual(["a", "b"]);
  });

  it("does not abort when the response finished before it closed (a normal keep-alive end)", () => {
    const { res, close } = response();
    const gone = new ClientGone(res);
    let heard = 0;
    gone.addEventListener("abort", () => heard++);
    close(true);
    expect(gone.aborted).toBe(false);
    expect(gone.reason).toBeUndefined();
    expect(heard).toBe(0);
  });

  it("a removed listener is not told", () => {
    const { res, close } = response();
    const gone = new ClientGone(res);
    let heard = 0;
    const listener = () => heard++;
    gone.addEventListener("abort", listener);
    gone.removeEventListener("abort", listener);
    gone.removeEventListener("abort", listener);
    close(false);
    expect(gone.aborted).toBe(true);
    expect(heard).toBe(0);
  });
});
