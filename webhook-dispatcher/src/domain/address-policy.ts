import { isIPv4, isIPv6 } from 'node:net';

/**
 * Which IP addresses webhooks may be sent to (SSRF protection): public unicast addresses only,
 * unless the operator allowlists a range (tests allowlist 127.0.0.1). Checked on the address a
 * request actually connects to, after DNS resolution. Plain functions over strings.
 */

export type AddressKind =
  | 'public'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'shared'
  | 'link_local'
  | 'unique_local'
  | 'multicast'
  | 'reserved'
  | 'invalid';

interface Ip {
  family: 4 | 6;
  value: bigint;
}

export interface Cidr {
  family: 4 | 6;
  network: bigint;
  prefix: number;
}

function parseIPv4(text: string): bigint {
  return text.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function parseIPv6(text: string): bigint {
  let groups: string[];
  let tail = text;
  let v4: bigint | undefined;
  const lastColon = tail.lastIndexOf(':');
  if (tail.slice(lastColon + 1).includes('.')) {
    v4 = parseIPv4(tail.slice(lastColon + 1));
    tail = `${tail.slice(0, lastColon + 1)}0:0`;
  }
  if (tail.includes('::')) {
    const [head, rest] = tail.split('::') as [string, string];
    const h = head ? head.split(':') : [];
    const r = rest ? rest.split(':') : [];
    groups = [...h, ...Array<string>(8 - h.length - r.length).fill('0'), ...r];
  } else groups = tail.split(':');
  let value = groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
  if (v4 !== undefined) value = (value & ~0xffffffffn) | v4;
  return value;
}

/** An IPv4 or IPv6 address (an IPv6 zone such as %eth0 is ignored), or undefined. */
export function parseIp(text: string): Ip | undefined {
  const address = text.replace(/%.*$/, '');
  if (isIPv4(address)) return { family: 4, value: parseIPv4(address) };
  if (isIPv6(address)) return { family: 6, value: parseIPv6(address) };
  return undefined;
}

/** `a.b.c.d/n`, `x::y/n` or a bare address (a /32 or /128). @throws RangeError */
export function parseCidr(text: string): Cidr {
  const [address, prefixText] = text.trim().split('/') as [string, string | undefined];
  const ip = parseIp(address);
  const bits = ip?.family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (!ip || !/^\d{1,3}$/.test(prefixText ?? '0') || prefix > bits)
    throw new RangeError(`not a CIDR range: ${text}`);
  const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(bits - prefix);
  return { family: ip.family, network: ip.value & mask, prefix };
}

function contains(range: Cidr, ip: Ip): boolean {
  if (range.family !== ip.family) return false;
  const bits = ip.family === 4 ? 32 : 128;
  if (range.prefix === 0) return true;
  const mask = ((1n << BigInt(range.prefix)) - 1n) << BigInt(bits - range.prefix);
  return (ip.value & mask) === range.network;
}

const table = (rows: Array<[string, AddressKind]>) =>
  rows.map(([cidr, kind]) => ({ range: parseCidr(cidr), kind }));

const IPV4_RANGES = table([
  ['0.0.0.0/8', 'unspecified'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'shared'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link_local'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'reserved'],
  ['192.0.2.0/24', 'reserved'],
  ['192.88.99.0/24', 'reserved'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'reserved'],
  ['198.51.100.0/24', 'reserved'],
  ['203.0.113.0/24', 'reserved'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
]);

const IPV6_RANGES = table([
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['::/96', 'reserved'], // IPv4-compatible, deprecated
  ['100::/64', 'reserved'], // discard
  ['2001::/23', 'reserved'], // IETF protocol assignments (Teredo, ORCHID, ...)
  ['2001:db8::/32', 'reserved'], // documentation
  ['fc00::/7', 'unique_local'],
  ['fe80::/10', 'link_local'],
  ['fec0::/10', 'private'], // site-local, deprecated
  ['ff00::/8', 'multicast'],
]);

/** Prefixes that carry an IPv4 address in their low 32 bits: judged by that address. */
const EMBEDDING_V4 = [parseCidr('::ffff:0:0/96'), parseCidr('64:ff9b::/96')];
const SIX_TO_FOUR = parseCidr('2002::/16');

/** What kind of address this is; only 'public' is a destination by default. */
export function classifyAddress(text: string): AddressKind {
  const ip = parseIp(text);
  if (!ip) return 'invalid';
  if (ip.family === 6) {
    if (EMBEDDING_V4.some((r) => contains(r, ip))) return classifyV4(ip.value & 0xffffffffn);
    if (contains(SIX_TO_FOUR, ip)) return classifyV4((ip.value >> 80n) & 0xffffffffn);
  }
  const ranges = ip.family === 4 ? IPV4_RANGES : IPV6_RANGES;
  return ranges.find((r) => contains(r.range, ip))?.kind ?? 'public';
}

function classifyV4(value: bigint): AddressKind {
  const ip: Ip = { family: 4, value };
  return IPV4_RANGES.find((r) => contains(r.range, ip))?.kind ?? 'public';
}

/** Whether a webhook may connect to the address: public, or within an allowlisted range. */
export function isAddressAllowed(address: string, allowlist: readonly Cidr[]): boolean {
  const ip = parseIp(address);
  if (!ip) return false;
  if (classifyAddress(address) === 'public') return true;
  const mapped =
    ip.family === 6 && contains(EMBEDDING_V4[0]!, ip)
      ? { family: 4 as const, value: ip.value & 0xffffffffn }
      : ip;
  return allowlist.some((range) => contains(range, ip) || contains(range, mapped));
}
