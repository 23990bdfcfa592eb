import type { ConnectionRecord } from "./connections.repo.js";

/**
 * How upstream error messages name a connection to a caller who may use it but not change it, in
 * place of its host/path (ProviderTarget.label): the name they call it by, which tells them nothing
 * of where it points.
 */
export function connectionLabel(c: Pick<ConnectionRecord, "name">): string {
  return `connection ${JSON.stringify(c.name)}`;
}
