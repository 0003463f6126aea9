import { classifyAddress, isAddressAllowed, parseCidr, type AddressKind } from './address-policy';

describe('address classification', () => {
  const cases: Array<[string, AddressKind]> = [
    ['93.184.216.34', 'public'],
    ['8.8.8.8', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'shared'],
    ['169.254.169.254', 'link_local'],
    ['fe80::1', 'link_local'],
    ['fe80::1%eth0', 'link_local'],
    ['fc00::1', 'unique_local'],
    ['fd12:3456::1', 'unique_local'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:8.8.8.8', 'public'],
    ['64:ff9b::a9fe:a9fe', 'link_local'],
    ['2002:c0a8:0101::1', 'private'],
    ['localhost', 'invalid'],
    ['999.1.1.1', 'invalid'],
  ];
  it.each(cases)('%s is %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
  });
});

describe('the webhook address policy', () => {
  it('allows public addresses and refuses the others', () => {
    expect(isAddressAllowed('93.184.216.34', [])).toBe(true);
    expect(isAddressAllowed('127.0.0.1', [])).toBe(false);
    expect(isAddressAllowed('::ffff:169.254.169.254', [])).toBe(false);
    expect(isAddressAllowed('not-an-ip', [])).toBe(false);
  });

  it('allows exactly what the operator allowlists', () => {
    const allowlist = [parseCidr('127.0.0.1'), parseCidr('10.20.0.0/16')];
    expect(isAddressAllowed('127.0.0.1', allowlist)).toBe(true);
    expect(isAddressAllowed('::ffff:127.0.0.1', allowlist)).toBe(true);
    expect(isAddressAllowed('127.0.0.2', allowlist)).toBe(false);
    expect(isAddressAllowed('10.20.255.1', allowlist)).toBe(true);
    expect(isAddressAllowed('10.21.0.1', allowlist)).toBe(false);
    expect(isAddressAllowed('::1', allowlist)).toBe(false);
  });

  it('refuses ranges that are not CIDR', () => {
    expect(() => parseCidr('10.0.0.0/33')).toThrow(RangeError);
    expect(() => parseCidr('example.com/8')).toThrow(RangeError);
    expect(parseCidr('::1/128')).toEqual({ family: 6, network: 1n, prefix: 128 });
  });
});
