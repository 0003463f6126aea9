import { isIPv6 } from 'node:net';

/**
 * The bucket a client address counts in: an IPv4 address as it is; an IPv6 address by its /64,
 * the block one subscriber usually holds whole (a client hopping between its own 2^64 addresses
 * would otherwise get a fresh budget each time). IPv4-mapped IPv6 counts as the IPv4 address.
 */
export function clientBucket(ip: string): string {
  if (!isIPv6(ip)) return ip;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  const [head = '', tail = ''] = ip.toLowerCase().split('::') as [string, string?];
  const left = head ? head.split(':') : [];
  const right = ip.includes('::') ? (tail ? tail.split(':') : []) : [];
  // A trailing dotted IPv4 part (::1.2.3.4) counts as two groups; only the first four groups matter.
  const width = (groups: string[]) => groups.reduce((n, g) => n + (g.includes('.') ? 2 : 1), 0);
  const groups = ip.includes('::')
    ? [...left, ...Array<string>(8 - width(left) - width(right)).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
