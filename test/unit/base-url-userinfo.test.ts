import { describe, expect, it } from "vitest";
import { hasUserinfo, maskUserinfo, shownBaseUrl } from "../../src/domain/connections/base-url-userinfo.js";

describe("userinfo in a connection's base URL", () => {
  it("finds it where a URL parser would, and nowhere else", () => {
    for (const url of [
      "http://user:pw@host/v1",
      "https://user@host",
      "http://:pw@host:8080/x",
      "http://@host/v1",
      "http://u:p@ss@host/",
      "http://user:pw@",
      "http://\\user:pw@host/",
      "http:///user:pw@host/",
    ]) {
      expect(hasUserinfo(url), url).toBe(true);
    }
    for (const url of [
      "https://api.openai.com/v1",
      "http://host/v1@x",
      "http://host?a=b@c",
      "http://host#a@b",
      "http://host\\@evil/",
      "not a url @ all",
    ]) {
      expect(hasUserinfo(url), url).toBe(false);
    }
  });

  it("masks all of it (up to the last @ of the authority) and keeps the rest as stored", () => {
    expect(maskUserinfo("http://user:s3cret-pw@host:8080/v1?x=1")).toBe("http://***@host:8080/v1?x=1");
    expect(maskUserinfo("http://u:p@ss@host/")).toBe("http://***@host/");
    expect(maskUserinfo("https://user@host")).toBe("https://***@host");
    expect(maskUserinfo("https://api.openai.com/v1")).toBe("https://api.openai.com/v1");
    expect(maskUserinfo("http://host/v1@x")).toBe("http://host/v1@x");
    expect(maskUserinfo("http://\\user:pw@host/")).toBe("http://\\***@host/");
  });

  it("shownBaseUrl masks the stored URL and falls back to the type's default", () => {
    expect(shownBaseUrl("openai-compatible", "http://u:pw@llm.example.test/v1")).toBe(
      "http://***@llm.example.test/v1",
    );
    expect(shownBaseUrl("openai", null)).toBe("https://api.openai.com/v1");
    expect(shownBaseUrl("openai-compatible", null)).toBeNull();
  });
});
