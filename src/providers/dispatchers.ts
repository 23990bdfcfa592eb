import type { Dispatcher } from "undici";
import { createGuardedDispatcher, type AddressPolicy, type ResolveHost } from "./ssrf.js";

/**
 * The guarded dispatchers of one Switchyard instance, one per policy, made on first use and reused
 * so keep-alive pools are shared by every connection with the same policy. The composition root
 * owns one of these (no module-level singleton) and closes it on shutdown.
 */
export interface ProviderDispatchers {
  forPolicy(policy: AddressPolicy): Dispatcher;
  close(): Promise<void>;
}

export function createProviderDispatchers(options: { resolve?: ResolveHost } = {}): ProviderDispatchers {
  const made = new Map<boolean, Dispatcher>();
  return {
    forPolicy({ allowPrivate }) {
      let dispatcher = made.get(allowPrivate);
      if (dispatcher === undefined) {
        dispatcher = createGuardedDispatcher({ allowPrivate, resolve: options.resolve });
        made.set(allowPrivate, dispatcher);
      }
      return dispatcher;
    },
    async close() {
      const all = [...made.values()];
      made.clear();
      await Promise.all(all.map((d) => d.close()));
    },
  };
}
