import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  customHeaderIssues,
  firstUnsendableHeader,
  MAX_HEADERS_TOTAL_LENGTH,
} from "../../src/domain/connections/custom-headers.js";

// Real: the validator, and undici sending to a loopback server, so the rules are checked against
// what the client actually accepts rather than against a copy of its rules.

const SECRET = "hdr-secret-7f3a9c";

describe("custom headers a connection may carry", () => {
  it("accepts RFC 9110 token names, Latin-1 values, a tab and an empty value", () => {
    expect(
      customHeaderIssues({
        "X-Title": "My app",
        "x_custom.id~1": "a\tb",
        "!#$%&'*+-.^_`|~": "",
        "x-latin1": "café",
        "HTTP-Referer": "https://example.test/app",
      }),
    ).toEqual([]);
  });

  it("refuses a value with CR, LF, NUL, DEL or anything past U+00FF, naming the header and never quoting the value", () => {
    const headers = {
      "x-crlf": `${SECRET}\r\nx-injected: 1`,
      "x-lf": `${SECRET}\n`,
      "x-nul": `${SECRET}\u0000`,
      "x-del": `${SECRET}\u007f`,
      "x-snowman": `${SECRET}\u2603`,
      "x-ok": SECRET,
    };
    const issues = customHeaderIssues(headers);
    expect(issues.map((i) => i.field)).toEqual([
      "/config/headers/x-crlf",
      "/config/headers/x-lf",
      "/config/headers/x-nul",
      "/config/headers/x-del",
      "/config/headers/x-snowman",
    ]);
    for (const issue of issues) expect(issue.message).toMatch(/cannot be sent/);
    expect(JSON.stringify(issues)).not.toContain(SECRET);
  });

  it("refuses names that are not tokens (empty, spaces, colon, non-ASCII, line breaks) and too long ones, with the pointer escaped", () => {
    const issues = customHeaderIssues({
      "": "v",
      "x foo": "v",
      "x:foo": "v",
      "x-é": "v",
      "x-a\r\nx-b": "v",
      "a/b~c": "v",
      ["x".repeat(101)]: "v",
    });
    expect(issues.map((i) => i.field)).toEqual([
      "/config/headers/",
      "/config/headers/x foo",
      "/config/headers/x:foo",
      "/config/headers/x-é",
      "/config/headers/x-a\r\nx-b",
      "/config/headers/a~1b~0c",
      `/config/headers/${"x".repeat(101)}`,
    ]);
    expect(issues.slice(0, 6).every((i) => /RFC 9110 token/.test(i.message))).toBe(true);
    expect(issues[6]!.message).toMatch(/at most 100 characters/);
  });

  it("refuses key, framing and hop-by-hop names whatever their case, one issue each", () => {
    const names = [
      "Authorization",
      "x-api-key",
      "Cookie",
      "Host",
      "Content-Length",
      "Content-Type",
      "Accept",
      "Transfer-Encoding",
      "Upgrade",
      "Keep-Alive",
      "Expect",
      "Connection",
      "Proxy-Connection",
      "TE",
      "Trailer",
    ];
    const issues = customHeaderIssues(Object.fromEntries(names.map((n) => [n, "x"])));
    expect(issues.map((i) => i.field)).toEqual(names.map((n) => `/config/headers/${n}`));
    expect(issues[0]!.message).toBe("may not be set: keys go in api_key");
  });

  it("refuses a name repeated in another case (one would be dropped), non-string values, and too much in total", () => {
    expect(customHeaderIssues({ "X-Foo": "a", "x-foo": "b" })).toEqual([
      { field: "/config/headers/x-foo", message: expect.stringMatching(/case-insensitive/) as string },
    ]);
    expect(customHeaderIssues({ "x n": 5 }).map((i) => i.field)).toEqual(["/config/headers/x n"]);
    expect(customHeaderIssues({ "x-n": 5 })).toEqual([
      { field: "/config/headers/x-n", message: "must be a string" },
    ]);
    const big = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`x-h${i}`, "v".repeat(1000)]));
    expect(customHeaderIssues(big)).toEqual([
      {
        field: "/config/headers",
        message: expect.stringContaining(String(MAX_HEADERS_TOTAL_LENGTH)) as string,
      },
    ]);
  });

  it("firstUnsendableHeader flags only what the client refuses, so stored rows it accepts keep working", () => {
    expect(firstUnsendableHeader({ "x-ok": "1", Connection: "close", "X-Foo": "a", "x-foo": "b" })).toBe(
      undefined,
    );
    expect(firstUnsendableHeader({ "x-ok": "1", "x-bad": `${SECRET}\r\n` })).toEqual({
      field: "/config/headers/x-bad",
      message: expect.stringMatching(/cannot be sent/) as string,
    });
    expect(firstUnsendableHeader({ "transfer-encoding": "chunked" })?.field).toBe(
      "/config/headers/transfer-encoding",
    );
  });
});

describe("the client agrees: what firstUnsendableHeader passes undici sends, what it flags undici refuses", () => {
  let server: Server;
  let origin: string;
  let received: IncomingHttpHeaders = {};

  beforeAll(async () => {
    server = createServer((req, res) => {
      received = req.headers;
      res.end("ok");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const cases: [string, string][] = [
    ["x-plain", "value"],
    ["x_token.chars~!", "a\tb"],
    ["x-latin1", "café"],
    ["x-empty", ""],
    ["connection", "close"],
    ["x-cr", "a\rb"],
    ["x-lf", "a\nb"],
    ["x-nul", "a\u0000b"],
    ["x-del", "a\u007fb"],
    ["x-snowman", "\u2603"],
    ["x foo", "v"],
    ["x:foo", "v"],
    ["", "v"],
    ["x-é", "v"],
    ["transfer-encoding", "chunked"],
    ["upgrade", "websocket"],
    ["keep-alive", "timeout=5"],
    ["expect", "100-continue"],
  ];

  for (const [name, value] of cases) {
    it(`${JSON.stringify(name)}: ${JSON.stringify(value)}`, async () => {
      const flagged = firstUnsendableHeader({ [name]: value }) !== undefined;
      const sent = await request(origin, { headers: { [name]: value } }).then(
        async (res) => {
          await res.body.text();
          return true;
        },
        () => false,
      );
      expect(sent).toBe(!flagged);
      if (sent && name !== "connection") expect(received[name.toLowerCase()]).toBe(value);
    });
  }
});
