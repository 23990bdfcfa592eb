import type { FakeUpstream, FakeUpstreamOptions } from "./fake-upstreams/fake-server.js";
import { startFakeAnthropic } from "./fake-upstreams/anthropic.js";
import { startFakeGoogle } from "./fake-upstreams/google.js";
import { startFakeOllama } from "./fake-upstreams/ollama.js";
import { startFakeOpenAI } from "./fake-upstreams/openai.js";

/** What the fuzz tests mutate inputs and answers with: seeded, so a failing case reproduces. */

/** A chat wire format's fake, the model it serves, and the connection's base URL on an origin. */
export interface FuzzFormat {
  providerType: string;
  model: string;
  start(options: FakeUpstreamOptions): Promise<FakeUpstream>;
  /** The connection's base URL for a server at `origin` (the fake's, or a proxy's in front of it). */
  baseUrl(origin: string): string;
  /** The models option the fake needs to serve `model`. */
  fakeModels: string[];
}

export const FUZZ_FORMATS: FuzzFormat[] = [
  {
    providerType: "openai-compatible",
    model: "gpt-4o-mini",
    start: startFakeOpenAI,
    baseUrl: (origin) => `${origin}/v1`,
    fakeModels: ["gpt-4o-mini"],
  },
  {
    providerType: "anthropic",
    model: "claude-sonnet-4-5",
    start: startFakeAnthropic,
    baseUrl: (origin) => origin,
    fakeModels: ["claude-sonnet-4-5"],
  },
  {
    providerType: "google",
    model: "gemini-2.5-flash",
    start: startFakeGoogle,
    baseUrl: (origin) => origin,
    fakeModels: ["gemini-2.5-flash"],
  },
  {
    providerType: "ollama",
    model: "llama3.2",
    start: startFakeOllama,
    baseUrl: (origin) => origin,
    fakeModels: ["llama3.2:latest"],
  },
];

/** Values of every JSON kind, the awkward ones included, for a field that expects something else. */
export const ODD_JSON_VALUES: readonly unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  1e308,
  -1e308,
  "",
  "x",
  "\u0000",
  "\ud83d\ude00\u2028",
  "a".repeat(5000),
  [],
  [null],
  [[]],
  [{}],
  {},
  { a: 1 },
];

/** mulberry32: small, seeded, good enough to pick cases reproducibly. */
export function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every path to a value in `value` (object keys and array indices), the root left out. */
export function jsonPaths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== "object") return [];
  const entries: [string | number, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [i, v] as [number, unknown])
    : Object.entries(value);
  return entries.flatMap(([key, child]) => [[...prefix, key], ...jsonPaths(child, [...prefix, key])]);
}

/** As the replacement to `withValueAt` (pickReplacement picks it): the value is removed instead. */
const REMOVE = Symbol("remove");

/** A copy of `value` with the value at `path` replaced (or removed, for REMOVE). */
export function withValueAt<T>(value: T, path: (string | number)[], replacement: unknown): T {
  const copy = structuredClone(value);
  let parent = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  if (replacement === REMOVE) {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else Reflect.deleteProperty(parent, last);
  } else {
    parent[last] = replacement;
  }
  return copy;
}

/** One of `values`, or REMOVE, with equal odds. */
export function pickReplacement(random: () => number, values: readonly unknown[]): unknown {
  const pick = Math.floor(random() * (values.length + 1));
  return pick === values.length ? REMOVE : values[pick];
}

/** How a case names its replacement in a failure message. */
export function describeReplacement(replacement: unknown): string {
  return replacement === REMOVE ? "(removed)" : (JSON.stringify(replacement)?.slice(0, 40) ?? "undefined");
}
