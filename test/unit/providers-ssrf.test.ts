import { describe, expect, it } from "vitest";
import { ProviderError } from "../../src/providers/errors.js";
import {
  addressClassOf,
  checkBaseUrl,
  isBlockedAddress,
  type ResolveHost,
} from "../../src/providers/ssrf.js";

// Pure address policy. DNS is real only for "localhost"; other names go through a fake resolver.

const PRIVATE = { allowPrivate: false };
const ALLOW_PRIVATE = { allowPrivate: true };

function fakeDns(table: Record<string, string[]>): ResolveHost {
  return async (hostname) => {
    const addresses = table[hostname];
    if (addresses === undefined) {
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
    }
    return addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };
}

async function refusal(promise: Promise<unknown>): Promise<ProviderError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe("isBlockedAddress", () => {
  const blocked: [string, string][] = [
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["::1", "loopback"],
    ["10.0.0.1", "private"],
    ["10.255.255.255", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["fc00::1", "private"],
    ["fd12:3456:789a::1", "private"],
    ["169.254.0.1", "link-local"],
    ["169.254.169.254", "cloud metadata"],
    ["fe80::1", "link-local"],
    ["fe80::1%eth0", "link-local"],
    ["0.0.0.0", "unspecified"],
    ["::", "unspecified"],
    ["100.64.0.1", "shared (CGNAT)"],
    ["100.127.255.255", "shared (CGNAT)"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:10.1.2.3", "private"],
    ["::ffff:169.254.169.254", "cloud metadata"],
    ["64:ff9b::127.0.0.1", "loopback"],
    ["2002:a00:1::", "private"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["ff02::1", "multicast"],
    ["255.255.255.255", "reserved"],
    ["240.0.0.1", "reserved"],
    ["192.0.2.10", "documentation"],
    ["2001:db8::1", "documentation"],
    ["198.18.0.1", "benchmarking"],
  ];
  it.each(blocked)("refuses %s (%s)", (ip, cls) => {
    expect(addressClassOf(ip)).toBe(cls);
    expect(isBlockedAddress(ip)).toBe(true);
    expect(isBlockedAddress(ip, PRIVATE)).toBe(true);
  });

  const publicAddresses = [
    "8.8.8.8",
    "1.1.1.1",
    "104.18.6.192",
    "172.15.255.255",
    "172.32.0.1",
    "100.63.255.255",
    "100.128.0.1",
    "169.253.255.255",
    "2606:4700:4700::1111",
    "2a00:1450:4001:82b::200a",
    "::ffff:8.8.8.8",
    "64:ff9b::8.8.8.8",
  ];
  it.each(publicAddresses)("allows the public address %s", (ip) => {
    expect(addressClassOf(ip)).toBeUndefined();
    expect(isBlockedAddress(ip)).toBe(false);
  });

  it("allowPrivate lifts loopback, private, link-local, CGNAT, unspecified and benchmarking", () => {
    for (const ip of [
      "127.0.0.1",
      "::1",
      "::ffff:127.0.0.1",
      "10.0.0.1",
      "192.168.1.1",
      "fd00::1",
      "fe80::1",
      "169.254.1.1",
      "100.64.0.1",
      "0.0.0.0",
      "198.18.0.1",
    ]) {
      expect(isBlockedAddress(ip, ALLOW_PRIVATE), ip).toBe(false);
    }
  });

  it("allowPrivate does not lift cloud metadata, multicast, reserved or documentation ranges", () => {
    for (const ip of [
      "169.254.169.254",
      "::ffff:169.254.169.254",
      "fd00:ec2::254",
      "100.100.100.200",
      "224.0.0.1",
      "255.255.255.255",
      "192.0.2.1",
    ]) {
      expect(isBlockedAddress(ip, ALLOW_PRIVATE), ip).toBe(true);
    }
  });

  it("refuses strings that are not IP addresses", () => {
    expect(isBlockedAddress("localhost")).toBe(true);
    expect(isBlockedAddress("")).toBe(true);
    expect(isBlockedAddress("127.1")).toBe(true);
    expect(() => addressClassOf("example.com")).toThrow(TypeError);
  });
});

describe("checkBaseUrl", () => {
  it("accepts a public literal IP and a host name that resolves only to public addresses", async () => {
    const url = await checkBaseUrl("https://8.8.8.8/v1", PRIVATE);
    expect(url.hostname).toBe("8.8.8.8");
    const resolve = fakeDns({ "api.example.com": ["93.184.216.34", "2606:2800:220:1::1"] });
    await expect(checkBaseUrl("https://api.example.com/v1", { ...PRIVATE, resolve })).resolves.toBeInstanceOf(
      URL,
    );
  });

  it.each([
    "ftp://api.example.com/",
    "file:///etc/passwd",
    "gopher://127.0.0.1:6379/_INFO",
    "ws://api.example.com/",
    "javascript:alert(1)",
    "data:text/plain,hi",
  ])("refuses the non-http scheme of %s", async (url) => {
    const error = await refusal(checkBaseUrl(url, ALLOW_PRIVATE));
    expect(error.kind).toBe("blocked_address");
    expect(error.message).toMatch(/must use http or https/);
  });

  it("refuses a string that is not a URL", async () => {
    const error = await refusal(checkBaseUrl("api.openai.com/v1", PRIVATE));
    expect(error.kind).toBe("blocked_address");
  });

  it.each([
    "http://127.0.0.1:11434",
    "http://[::1]:8080/v1",
    "http://[::ffff:127.0.0.1]/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fe80::1]/",
    "http://100.64.0.1/",
    "http://0.0.0.0:4000/v1",
    "http://10.0.0.5/v1",
    // Spellings the URL parser normalises to 127.0.0.1.
    "http://2130706433/",
    "http://0x7f.1/",
    "http://127.1/",
  ])("refuses the literal address in %s", async (url) => {
    const error = await refusal(checkBaseUrl(url, PRIVATE));
    expect(error.kind).toBe("blocked_address");
    expect(error.isRetryable).toBe(false);
  });

  it("names the host but not the userinfo, path or query of the URL", async () => {
    const error = await refusal(
      checkBaseUrl("http://admin:hunter2-secret@10.1.2.3/v1?key=AIzaSyA-secret-key-value", PRIVATE),
    );
    expect(error.message).toContain("10.1.2.3");
    expect(error.message).not.toContain("hunter2");
    expect(error.message).not.toContain("secret");
    expect(error.message).not.toContain("admin");
  });

  it("refuses localhost (a name that resolves to loopback) unless allowPrivate", async () => {
    const error = await refusal(checkBaseUrl("http://localhost:11434", PRIVATE));
    expect(error.kind).toBe("blocked_address");
    expect(error.message).toContain("localhost");
    expect(error.message).toMatch(/loopback/);
    await expect(checkBaseUrl("http://localhost:11434", ALLOW_PRIVATE)).resolves.toBeInstanceOf(URL);
  });

  it("refuses a name when ANY of its addresses is blocked", async () => {
    const resolve = fakeDns({ "mixed.example.com": ["93.184.216.34", "10.0.0.7"] });
    const error = await refusal(checkBaseUrl("https://mixed.example.com", { ...PRIVATE, resolve }));
    expect(error.kind).toBe("blocked_address");
    expect(error.message).toContain("mixed.example.com (10.0.0.7)");
  });

  it("refuses a name pointing at cloud metadata even with allowPrivate", async () => {
    const resolve = fakeDns({ "metadata.google.internal": ["169.254.169.254"] });
    const error = await refusal(
      checkBaseUrl("http://metadata.google.internal/", { ...ALLOW_PRIVATE, resolve }),
    );
    expect(error.kind).toBe("blocked_address");
    expect(error.message).toMatch(/cloud metadata/);
  });

  it("reports a name that does not resolve as unreachable", async () => {
    const resolve = fakeDns({});
    const error = await refusal(checkBaseUrl("https://nowhere.invalid/v1", { ...PRIVATE, resolve }));
    expect(error.kind).toBe("unreachable");
    expect(error.message).toContain("nowhere.invalid");
    expect(error.message).toContain("ENOTFOUND");
  });
});
