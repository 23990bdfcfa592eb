import { describe, expect, it } from "vitest";
import { baseUrlFor, DEFAULT_BASE_URLS } from "../../src/providers/default-base-urls.js";
import { adapterFor } from "../../src/providers/registry.js";
import { isProviderType, PROVIDER_TYPES, wireFormatOf } from "../../src/providers/spec.js";

// Pure lookups; nothing to fake.

describe("provider types", () => {
  it("names the eight types and refuses others (mock included)", () => {
    expect([...PROVIDER_TYPES].sort()).toEqual(
      [
        "anthropic",
        "azure-openai",
        "deepseek",
        "google",
        "litellm",
        "ollama",
        "openai",
        "openai-compatible",
      ].sort(),
    );
    expect(isProviderType("openai")).toBe(true);
    expect(isProviderType("mock")).toBe(false);
    expect(isProviderType(undefined)).toBe(false);
  });

  it("maps every type to its wire format and an adapter speaking it", () => {
    const expected = {
      openai: "openai",
      "openai-compatible": "openai",
      deepseek: "openai",
      litellm: "openai",
      "azure-openai": "openai",
      anthropic: "anthropic",
      google: "google",
      ollama: "ollama",
    } as const;
    for (const type of PROVIDER_TYPES) {
      expect(wireFormatOf(type)).toBe(expected[type]);
      const adapter = adapterFor(type);
      expect(adapter.specificationVersion).toBe("v1");
      expect(adapter.wireFormat).toBe(expected[type]);
    }
    expect(adapterFor("azure-openai")).not.toBe(adapterFor("openai"));
    expect(adapterFor("deepseek")).toBe(adapterFor("openai"));
  });
});

describe("default base URLs", () => {
  it("has one for every type that has a public or conventional home, none for the others", () => {
    expect(DEFAULT_BASE_URLS).toEqual({
      openai: "https://api.openai.com/v1",
      deepseek: "https://api.deepseek.com/v1",
      anthropic: "https://api.anthropic.com",
      google: "https://generativelanguage.googleapis.com",
      ollama: "http://localhost:11434",
      litellm: "http://localhost:4000/v1",
      "openai-compatible": undefined,
      "azure-openai": undefined,
    });
  });

  it("prefers the configured URL, ignoring blanks", () => {
    expect(baseUrlFor("openai", "https://proxy.example.com/v1")).toBe("https://proxy.example.com/v1");
    expect(baseUrlFor("openai", "  ")).toBe("https://api.openai.com/v1");
    expect(baseUrlFor("openai", null)).toBe("https://api.openai.com/v1");
    expect(baseUrlFor("openai-compatible")).toBeUndefined();
  });
});
