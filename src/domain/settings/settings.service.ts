import { type Actor, actorUserId, isAdmin } from "../actor.js";
import type { CachedMap } from "../../cache/interface.js";
import type { AuditRecorder } from "../audit/audit.types.js";
import { AppError } from "../errors.js";
import {
  defaultSettingValue,
  isSettingKey,
  isValidSettingValue,
  SETTING_KEYS,
  SETTINGS,
  type SettingKey,
  type SettingValue,
  settingValueErrors,
} from "./settings.registry.js";
import type { SettingsRepo, StoredSetting } from "./settings.repo.js";
import type { SettingList, SettingView } from "./settings.schemas.js";

export interface SettingsServiceDeps {
  repo: Pick<SettingsRepo, "findByKey" | "list" | "upsert" | "delete">;
  audit: Pick<AuditRecorder, "record">;
  /** Told after a value changes, so caches that depend on settings can drop what they hold. */
  onChange?(): Promise<void>;
  /**
   * Values in effect, cached per instance and invalidated across instances on every change, so the
   * gateway reads settings from memory. Without one, every read goes to the database.
   */
  cache?: CachedMap<{ value: unknown }>;
}

/** A registered key takes its own type; any other string (say, from a URL) is checked at run time. */
export type SettingInput<K extends string> = K extends SettingKey ? SettingValue<K> : unknown;

export type SettingsService = ReturnType<typeof createSettingsService>;

export function createSettingsService({ repo, audit, onChange, cache }: SettingsServiceDeps) {
  /** The value in effect: the stored one if it still validates, else the default. */
  function get<K extends SettingKey>(key: K): Promise<SettingValue<K>> {
    // The gateway reads several settings per call: a cached value costs no closure and no async frame.
    const hit = cache?.get(key);
    return hit !== undefined ? Promise.resolve(hit.value as SettingValue<K>) : read(key);
  }

  async function read<K extends SettingKey>(key: K): Promise<SettingValue<K>> {
    const load = async () => {
      const stored = await repo.findByKey(key);
      // A value written under an older schema falls back rather than failing every caller that reads it.
      return {
        value:
          stored !== undefined && isValidSettingValue(key, stored.value)
            ? stored.value
            : defaultSettingValue(key),
      };
    };
    const entry = cache ? await cache.getOrLoad(key, load) : await load();
    return entry!.value as SettingValue<K>;
  }

  async function list(actor: Actor): Promise<SettingList> {
    requireAdmin(actor);
    const stored = new Map((await repo.list()).map((row) => [row.key, row]));
    return { items: SETTING_KEYS.map((key) => toView(key, stored.get(key))) };
  }

  async function set<K extends string>(actor: Actor, key: K, value: SettingInput<K>): Promise<SettingView> {
    requireAdmin(actor);
    const known = requireKnownKey(key);
    const errors = settingValueErrors(known, value);
    if (errors.length > 0) {
      const summary = errors.map((e) => (e.path === "" ? e.message : `${e.path} ${e.message}`)).join("; ");
      throw new AppError("validation_failed", `Invalid value for setting "${known}": ${summary}`, {
        issues: errors.map((e) => ({ field: `/value${e.path}`, message: e.message })),
      });
    }
    const written = await repo.upsert({
      key: known,
      value,
      description: SETTINGS[known].description,
      updatedBy: actorUserId(actor),
    });
    await cache?.invalidate(known);
    await onChange?.();
    await audit.record(actor, {
      action: "setting.update",
      resourceType: "setting",
      resourceId: known,
      details: { value },
    });
    return toView(known, written);
  }

  /** Deletes the stored value, so the default (including a later change to it) is in effect. */
  async function reset(actor: Actor, key: string): Promise<SettingView> {
    requireAdmin(actor);
    const known = requireKnownKey(key);
    await repo.delete(known);
    await cache?.invalidate(known);
    await onChange?.();
    await audit.record(actor, { action: "setting.reset", resourceType: "setting", resourceId: known });
    return toView(known, undefined);
  }

  return { get, list, set, reset };
}

function requireAdmin(actor: Actor): void {
  if (!isAdmin(actor)) throw new AppError("forbidden", "Only an admin may read or change settings");
}

function requireKnownKey(key: string): SettingKey {
  if (!isSettingKey(key)) throw new AppError("unknown_setting", `There is no setting named "${key}"`);
  return key;
}

/** A stored value that no longer validates is shown as what get() serves: the default. */
function toView(key: SettingKey, stored: StoredSetting | undefined): SettingView {
  const base = {
    key,
    default: defaultSettingValue(key),
    description: SETTINGS[key].description,
  };
  if (stored === undefined || !isValidSettingValue(key, stored.value)) {
    return { ...base, value: defaultSettingValue(key), is_default: true, updated_at: null, updated_by: null };
  }
  return {
    ...base,
    value: stored.value,
    is_default: false,
    updated_at: stored.updatedAt.toISOString(),
    updated_by: stored.updatedBy,
  };
}
