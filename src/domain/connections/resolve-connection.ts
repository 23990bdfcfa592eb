import type { CachedMap } from "../../cache/interface.js";
import { managesOrg } from "../orgs/manages-org.js";
import type { OrgsRepo } from "../orgs/orgs.repo.js";
import type { SettingsService } from "../settings/settings.service.js";
import { connectionLabel } from "./connection-label.js";
import type { ConnectionRecord, ConnectionsRepo } from "./connections.repo.js";

/** Everything resolution needs about one user, cached per user and dropped on any change. */
export interface ResolutionCandidates {
  /** Enabled connections the user may use, in the order a name is looked up: own, orgs', system. */
  usable: ConnectionRecord[];
  userDefault: ConnectionRecord | undefined;
  orgDefaults: ConnectionRecord[];
  systemDefault: ConnectionRecord | undefined;
  fallbackToSystem: boolean;
  /** Resolution.label by connection id, made once per load rather than on every call. */
  labels: ReadonlyMap<string, string>;
}

export interface Resolution {
  connection: ConnectionRecord;
  /** The upstream model: the part after `<connection name>/`, the bare model asked for, or the connection's own. */
  model: string | undefined;
  /**
   * How upstream errors name the connection to this user (connection-label.ts), when they may not
   * change it by owning it or by an owner's or admin's role in its org: every system connection and
   * a plain member's org connections. Whether the user is an admin, who may change system
   * connections, is the caller's to apply (it comes with the request, see the gateway).
   */
  label: string | undefined;
}

export interface ConnectionResolver {
  /**
   * DESIGN.md's order: an explicit `<connection name>/<model>` among the connections the user may
   * use; else the user's default unless disabled; else their orgs' defaults; else the system default
   * if the setting allows. Undefined when nothing serves the user.
   */
  resolve(userId: string, requestedModel?: string): Promise<Resolution | undefined>;
  /**
   * The resolution first, then the defaults after it in the same order (org defaults, the system
   * default), for falling back when the first fails. An explicit `<name>/<model>` has no fallbacks:
   * the caller chose that connection. A fallback uses its own default model, since the model asked of
   * the first may not exist on another provider.
   */
  resolveWithFallbacks(userId: string, requestedModel?: string): Promise<Resolution[]>;
  /** The connections a user may call, for /v1/models. */
  usable(userId: string): Promise<ConnectionRecord[]>;
  /** After any change to connections, memberships or settings: every instance drops its answers. */
  invalidateAll(): Promise<void>;
}

const rank = (c: ConnectionRecord) => (c.scope === "user" ? 0 : c.scope === "org" ? 1 : 2);

export function createConnectionResolver(deps: {
  repo: Pick<ConnectionsRepo, "listVisible">;
  orgs: Pick<OrgsRepo, "membershipsOfUser">;
  settings: Pick<SettingsService, "get">;
  cache: CachedMap<ResolutionCandidates>;
}): ConnectionResolver {
  const candidates = async (userId: string): Promise<ResolutionCandidates> => {
    const found = await deps.cache.getOrLoad(userId, async () => {
      const memberships = await deps.orgs.membershipsOfUser(userId);
      const orgOrder = new Map(memberships.map((m, i) => [m.orgId, i]));
      const managedOrgs = new Set(memberships.filter((m) => managesOrg(m.role)).map((m) => m.orgId));
      const all = await deps.repo.listVisible({ userId, orgIds: memberships.map((m) => m.orgId) });
      const usable = all
        .filter((c) => c.isEnabled)
        .sort(
          (a, b) =>
            rank(a) - rank(b) || (orgOrder.get(a.orgId ?? "") ?? 0) - (orgOrder.get(b.orgId ?? "") ?? 0),
        );
      const enabledDefault = (c: ConnectionRecord) => c.isDefault && c.isEnabled;
      return {
        usable,
        userDefault: all.find((c) => c.scope === "user" && enabledDefault(c)),
        orgDefaults: usable.filter((c) => c.scope === "org" && c.isDefault),
        systemDefault: all.find((c) => c.scope === "system" && enabledDefault(c)),
        fallbackToSystem: await deps.settings.get("gateway.fallback_to_system_default"),
        labels: new Map(
          usable
            .filter((c) => c.scope === "system" || (c.scope === "org" && !managedOrgs.has(c.orgId ?? "")))
            .map((c) => [c.id, connectionLabel(c)]),
        ),
      };
    });
    return found!;
  };

  return {
    async resolve(userId, requestedModel) {
      return (await this.resolveWithFallbacks(userId, requestedModel))[0];
    },
    async resolveWithFallbacks(userId, requestedModel) {
      const c = await candidates(userId);
      if (requestedModel) {
        const slash = requestedModel.indexOf("/");
        if (slash > 0) {
          const name = requestedModel.slice(0, slash);
          const named = c.usable.find((x) => x.name === name);
          if (named)
            return [
              {
                connection: named,
                model: requestedModel.slice(slash + 1) || named.model || undefined,
                label: c.labels.get(named.id),
              },
            ];
        }
      }
      const chain = [
        c.userDefault,
        ...c.orgDefaults,
        c.fallbackToSystem ? c.systemDefault : undefined,
      ].filter((x): x is ConnectionRecord => x !== undefined);
      return chain.map((connection, i) => ({
        connection,
        model:
          (i === 0 ? (requestedModel ?? connection.model) : (connection.model ?? requestedModel)) ??
          undefined,
        label: c.labels.get(connection.id),
      }));
    },
    usable: async (userId) => (await candidates(userId)).usable,
    invalidateAll: () => deps.cache.clear(),
  };
}
