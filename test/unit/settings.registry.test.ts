import { Value } from "typebox/value";
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  defaultSettingValue,
  isSettingKey,
  isValidSettingValue,
  SETTING_KEYS,
  SETTINGS,
  type SettingKey,
  type SettingValue,
  settingValueErrors,
} from "../../src/domain/settings/settings.registry.js";

describe("settings registry", () => {
  it.each(SETTING_KEYS)("%s: the default validates against its own schema", (key) => {
    expect(Value.Check(SETTINGS[key].schema, SETTINGS[key].default)).toBe(true);
    expect(settingValueErrors(key, defaultSettingValue(key))).toEqual([]);
  });

  it.each(SETTING_KEYS)("%s: has a description", (key) => {
    expect(SETTINGS[key].description.trim()).not.toBe("");
  });

  it("registers the keys later work reads", () => {
    expect(SETTING_KEYS).toEqual([
      "auth.registration",
      "auth.access_token_ttl_seconds",
      "gateway.fallback_to_system_default",
      "gateway.fallback_on_failure",
      "connections.allow_private_base_urls",
      "connections.env_key_allowlist",
      "health.periodic_checks",
      "health.check_interval_seconds",
      "health.failure_threshold",
      "ratelimit.user_requests_per_minute",
      "ratelimit.user_tokens_per_minute",
      "ratelimit.key_requests_per_minute",
      "ratelimit.key_tokens_per_minute",
      "ratelimit.user_connection_checks_per_minute",
    ]);
  });

  it("types each key's value statically", () => {
    expectTypeOf<SettingValue<"auth.registration">>().toEqualTypeOf<"open" | "closed">();
    expectTypeOf<SettingValue<"auth.access_token_ttl_seconds">>().toEqualTypeOf<number>();
    expectTypeOf<SettingValue<"gateway.fallback_to_system_default">>().toEqualTypeOf<boolean>();
    expectTypeOf<SettingValue<"connections.env_key_allowlist">>().toEqualTypeOf<string[]>();
  });

  it("knows only registered keys, not inherited properties", () => {
    expect(isSettingKey("auth.registration")).toBe(true);
    expect(isSettingKey("auth.nope")).toBe(false);
    expect(isSettingKey("toString")).toBe(false);
    expect(isSettingKey("__proto__")).toBe(false);
  });

  const rejected: Array<[SettingKey, unknown]> = [
    ["auth.registration", "invite"],
    ["auth.registration", "OPEN"],
    ["auth.registration", true],
    ["auth.registration", null],
    ["auth.registration", undefined],
    ["auth.access_token_ttl_seconds", "900"],
    ["auth.access_token_ttl_seconds", 900.5],
    ["auth.access_token_ttl_seconds", 59],
    ["auth.access_token_ttl_seconds", 86_401],
    ["auth.access_token_ttl_seconds", Number.NaN],
    ["auth.access_token_ttl_seconds", null],
    ["gateway.fallback_to_system_default", "true"],
    ["gateway.fallback_to_system_default", 1],
    ["gateway.fallback_to_system_default", null],
    ["gateway.fallback_to_system_default", {}],
  ];
  it.each(rejected)("%s rejects %o", (key, value) => {
    expect(isValidSettingValue(key, value)).toBe(false);
    expect(settingValueErrors(key, value).length).toBeGreaterThan(0);
  });

  const accepted: Array<[SettingKey, unknown]> = [
    ["auth.registration", "open"],
    ["auth.registration", "closed"],
    ["auth.access_token_ttl_seconds", 60],
    ["auth.access_token_ttl_seconds", 86_400],
    ["gateway.fallback_to_system_default", false],
  ];
  it.each(accepted)("%s accepts %o", (key, value) => {
    expect(isValidSettingValue(key, value)).toBe(true);
  });

  it("names what is expected in its messages", () => {
    const messages = (key: SettingKey, value: unknown) =>
      settingValueErrors(key, value).map((e) => e.message);
    expect(messages("auth.registration", "invite")).toEqual(['must be one of "open", "closed"']);
    expect(messages("auth.access_token_ttl_seconds", 59)).toEqual(["must be >= 60"]);
    expect(messages("auth.access_token_ttl_seconds", "900")).toEqual(["must be integer"]);
    expect(messages("gateway.fallback_to_system_default", "yes")).toEqual(["must be boolean"]);
    expect(settingValueErrors("auth.registration", "invite")[0]?.path).toBe("");
  });
});
