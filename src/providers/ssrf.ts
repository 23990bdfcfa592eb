import dns from "node:dns";
import { BlockList, isIP } from "node:net";
import type { Socket } from "node:net";
import { Agent, buildConnector, type Dispatcher } from "undici";
import { ProviderError } from "./errors.js";

/**
 * Which upstream addresses a connection may reach. A base URL is checked when it is saved or tested
 * (checkBaseUrl), and again at connect time by the dispatcher every request goes through
 * (createGuardedDispatcher), against the address DNS returns then: a name that resolved to a public
 * address at check time and to 127.0.0.1 a second later (DNS rebinding) is refused at the socket.
 */

/** Why an address is not a public one. */
export type AddressClass =
  | "loopback"
  | "private"
  | "link-local"
  | "unspecified"
  | "shared (CGNAT)"
  | "benchmarking"
  | "cloud metadata"
  | "multicast"
  | "reserved"
  | "documentation";

/**
 * The classes `allowPrivate` lifts: addresses a self-hosted upstream really lives on (Ollama on
 * localhost, a LiteLLM on the LAN, a proxy's fake-IP range in 198.18/15). The others stay refused
 * even then: nothing legitimate serves an LLM API on a cloud metadata endpoint, a multicast group
 * or a documentation range.
 */
const LIFTED_BY_ALLOW_PRIVATE: ReadonlySet<AddressClass> = new Set<AddressClass>([
  "loopback",
  "private",
  "link-local",
  "unspecified",
  "shared (CGNAT)",
  "benchmarking",
]);

type Cidr = readonly [address: string, prefix: number];

/** IPv4 ranges, most specific first: 169.254.169.254 is cloud metadata before it is link-local. */
const IPV4_RANGES: readonly [AddressClass, readonly Cidr[]][] = [
  [
    "cloud metadata",
    [
      ["169.254.169.254", 32], // AWS, GCP, Azure, OCI, DigitalOcean, ...
      ["169.254.170.2", 32], // AWS ECS task metadata
      ["100.100.100.200", 32], // Alibaba Cloud
    ],
  ],
  ["unspecified", [["0.0.0.0", 8]]], // "this network"; 0.0.0.0 reaches the local host on Linux
  ["loopback", [["127.0.0.0", 8]]],
  [
    "private",
    [
      ["10.0.0.0", 8],
      ["172.16.0.0", 12],
      ["192.168.0.0", 16],
    ],
  ],
  ["link-local", [["169.254.0.0", 16]]],
  ["shared (CGNAT)", [["100.64.0.0", 10]]],
  ["benchmarking", [["198.18.0.0", 15]]],
  [
    "documentation",
    [
      ["192.0.2.0", 24],
      ["198.51.100.0", 24],
      ["203.0.113.0", 24],
    ],
  ],
  ["multicast", [["224.0.0.0", 4]]],
  [
    "reserved",
    [
      ["192.0.0.0", 24], // IETF protocol assignments
      ["192.88.99.0", 24], // 6to4 relay anycast
      ["240.0.0.0", 4], // reserved, and 255.255.255.255 broadcast
    ],
  ],
];

const IPV6_RANGES: readonly [AddressClass, readonly Cidr[]][] = [
  ["cloud metadata", [["fd00:ec2::254", 128]]], // AWS over IPv6
  ["unspecified", [["::", 128]]],
  ["loopback", [["::1", 128]]],
  [
    "private",
    [
      ["fc00::", 7], // unique local
      ["fec0::", 10], // site-local (deprecated, still routed by some stacks)
      ["64:ff9b:1::", 48], // local-use NAT64
    ],
  ],
  ["link-local", [["fe80::", 10]]],
  [
    "documentation",
    [
      ["2001:db8::", 32],
      ["3fff::", 20],
    ],
  ],
  ["multicast", [["ff00::", 8]]],
  [
    "reserved",
    [
      ["100::", 64], // discard-only
      ["2001::", 32], // Teredo: the IPv4 inside is obfuscated, so it cannot be checked
    ],
  ],
];

/**
 * IPv6 forms that carry an IPv4 address. BlockList already matches IPv4-mapped addresses
 * (::ffff:127.0.0.1) against IPv4 rules; the translation prefixes below are added as rules of their
 * own, so 64:ff9b::127.0.0.1 (NAT64) and 2002:7f00:1:: (6to4) classify as the IPv4 they wrap.
 */
function embeddedIpv4Rules(address: string, prefix: number): Cidr[] {
  const octets = address.split(".").map(Number) as [number, number, number, number];
  const hex = (a: number, b: number) => ((a << 8) | b).toString(16);
  return [
    [`64:ff9b::${address}`, 96 + prefix],
    [`2002:${hex(octets[0], octets[1])}:${hex(octets[2], octets[3])}::`, 16 + prefix],
  ];
}

const CLASSES: readonly [AddressClass, BlockList][] = (() => {
  const lists = new Map<AddressClass, BlockList>();
  const listFor = (cls: AddressClass) => {
    let list = lists.get(cls);
    if (list === undefined) lists.set(cls, (list = new BlockList()));
    return list;
  };
  for (const [cls, cidrs] of IPV4_RANGES) {
    for (const [address, prefix] of cidrs) {
      listFor(cls).addSubnet(address, prefix, "ipv4");
      for (const [v6, v6prefix] of embeddedIpv4Rules(address, prefix)) {
        listFor(cls).addSubnet(v6, v6prefix, "ipv6");
      }
    }
  }
  for (const [cls, cidrs] of IPV6_RANGES) {
    for (const [address, prefix] of cidrs) listFor(cls).addSubnet(address, prefix, "ipv6");
  }
  // Map order is insertion order: metadata is checked before link-local.
  return [...lists];
})();

/** The class of a non-public address; undefined for a public one. Throws for a non-IP string. */
export function addressClassOf(ip: string): AddressClass | undefined {
  const address = ip.replace(/%.*$/, ""); // an IPv6 zone id (fe80::1%eth0) does not change the class
  const family = isIP(address);
  if (family === 0) throw new TypeError(`not an IP address: ${JSON.stringify(ip)}`);
  const type = family === 4 ? "ipv4" : "ipv6";
  for (const [cls, list] of CLASSES) if (list.check(address, type)) return cls;
  return undefined;
}

export interface AddressPolicy {
  /** Lets loopback, private, link-local, CGNAT and benchmarking addresses through (not metadata). */
  allowPrivate: boolean;
}

/**
 * Whether the policy refuses this address: every non-public class without allowPrivate; with it,
 * still cloud metadata, multicast, reserved and documentation ranges. A string that is not an IP
 * address is refused.
 */
export function isBlockedAddress(ip: string, policy: AddressPolicy = { allowPrivate: false }): boolean {
  if (isIP(ip.replace(/%.*$/, "")) === 0) return true;
  const cls = addressClassOf(ip);
  if (cls === undefined) return false;
  return !(policy.allowPrivate && LIFTED_BY_ALLOW_PRIVATE.has(cls));
}

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Every address a host name resolves to; injectable so tests can play DNS (rebinding included). */
export type ResolveHost = (hostname: string) => Promise<ResolvedAddress[]>;

export const resolveWithSystemDns: ResolveHost = (hostname) => dns.promises.lookup(hostname, { all: true });

function blockedError(host: string, address: string): ProviderError {
  const cls = addressClassOf(address) ?? "reserved";
  const where = host === address ? `${address}` : `${host} (${address})`;
  return new ProviderError(
    "blocked_address",
    `refused to connect to ${where}: ${cls} addresses are not allowed for this connection`,
  );
}

/** A URL's host without the brackets of an IPv6 literal. */
function bareHostname(url: URL): string {
  return url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
}

export interface CheckBaseUrlOptions extends AddressPolicy {
  resolve?: ResolveHost;
}

/**
 * Validates a connection's base URL against the policy: http or https only; a literal IP is checked
 * as is; a host name is resolved and refused if ANY of its addresses is refused (the connect-time
 * guard checks again, so this is the early, explainable answer, not the only line). Throws
 * ProviderError `blocked_address` for a refusal and `unreachable` when the name does not resolve
 * (a caller saving a connection may prefer to treat that one as a warning). Messages name the host,
 * never the URL's userinfo, path or query.
 */
export async function checkBaseUrl(url: string, options: CheckBaseUrlOptions): Promise<URL> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ProviderError("blocked_address", "the base URL is not a valid absolute URL");
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new ProviderError(
      "blocked_address",
      `the base URL must use http or https, not ${parsed.protocol.replace(/:$/, "")}`,
    );
  }
  const host = bareHostname(parsed);
  if (isIP(host) !== 0) {
    if (isBlockedAddress(host, options)) throw blockedError(host, host);
    return parsed;
  }
  let addresses: ResolvedAddress[];
  try {
    addresses = await (options.resolve ?? resolveWithSystemDns)(host);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new ProviderError(
      "unreachable",
      `could not resolve ${host}${typeof code === "string" ? ` (${code})` : ""}`,
      {
        cause: error,
      },
    );
  }
  if (addresses.length === 0) throw new ProviderError("unreachable", `${host} resolves to no address`);
  for (const { address } of addresses) {
    if (isBlockedAddress(address, options)) throw blockedError(host, address);
  }
  return parsed;
}

export interface GuardedDispatcherOptions extends AddressPolicy {
  resolve?: ResolveHost;
  /** Idle keep-alive sockets live this long (undici default 4 s). */
  keepAliveTimeoutMs?: number;
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[],
  family?: number,
) => void;

/**
 * An undici Agent (keep-alive pools per origin) whose connector refuses blocked addresses at
 * connect time: a literal IP before any packet is sent, a host name through the `lookup` that
 * net/tls.connect call (so the address checked is the address dialled), and, as a last line, the
 * socket's remote address once connected, before a byte of the request is written. A refusal
 * rejects the request with ProviderError `blocked_address`. Make one per policy and reuse it
 * (dispatchers.ts does); close it on shutdown.
 */
export function createGuardedDispatcher(options: GuardedDispatcherOptions): Dispatcher {
  const policy: AddressPolicy = { allowPrivate: options.allowPrivate };
  const resolve = options.resolve ?? resolveWithSystemDns;

  const lookup = (hostname: string, lookupOptions: dns.LookupOptions, callback: LookupCallback) => {
    resolve(hostname).then(
      (found) => {
        const addresses =
          lookupOptions.family === 4 || lookupOptions.family === 6
            ? found.filter((a) => a.family === lookupOptions.family)
            : found;
        const blocked = found.find((a) => isBlockedAddress(a.address, policy));
        if (blocked !== undefined) return callback(blockedError(hostname, blocked.address), "");
        const first = addresses[0];
        if (first === undefined) {
          const error: NodeJS.ErrnoException = new Error(`${hostname} resolves to no usable address`);
          error.code = "ENOTFOUND";
          return callback(error, "");
        }
        if (lookupOptions.all === true) return callback(null, addresses);
        return callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ""),
    );
  };

  const connectSocket = buildConnector({ lookup });

  const connect: buildConnector.connector = (connectOptions, callback) => {
    const host = connectOptions.hostname;
    if (isIP(host) !== 0 && isBlockedAddress(host, policy)) {
      callback(blockedError(host, host), null);
      return;
    }
    connectSocket(connectOptions, (error, socket) => {
      if (error !== null) return callback(error, null);
      const remote = (socket as Socket).remoteAddress;
      if (remote === undefined) {
        socket.destroy();
        return callback(new ProviderError("unreachable", `the connection to ${host} closed at once`), null);
      }
      if (isBlockedAddress(remote, policy)) {
        socket.destroy();
        return callback(blockedError(host, remote), null);
      }
      callback(null, socket);
    });
  };

  return new Agent({ connect, keepAliveTimeout: options.keepAliveTimeoutMs ?? 4_000 });
}
