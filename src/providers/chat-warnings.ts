import type { ChatWarning } from "./chat-spec.js";

/**
 * The warnings of one conversion: each (setting, message) once, in the order first met, so a
 * setting repeated on every message is reported once.
 */
export class ChatWarnings {
  readonly #seen = new Set<string>();
  readonly #list: ChatWarning[] = [];

  add(setting: string, message: string): void {
    const key = `${setting}\u0000${message}`;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    this.#list.push({ setting, message });
  }

  get list(): ChatWarning[] {
    return [...this.#list];
  }
}
