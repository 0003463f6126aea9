import { clientBucket } from './client-ip';

describe('the rate-limit bucket of a client address', () => {
  it('is an IPv4 address itself, also when written IPv4-mapped', () => {
    expect(clientBucket('203.0.113.7')).toBe('203.0.113.7');
    expect(clientBucket('::ffff:203.0.113.7')).toBe('203.0.113.7');
  });

  it('is the /64 of an IPv6 address, however it is written', () => {
    expect(clientBucket('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(clientBucket('2001:0db8:0001:0002::1')).toBe('2001:db8:1:2::/64');
    expect(clientBucket('2001:DB8:1:2::ffff')).toBe('2001:db8:1:2::/64');
    expect(clientBucket('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientBucket('::1')).toBe('0:0:0:0::/64');
  });

  it('puts two addresses of one /64 together and neighbouring /64s apart', () => {
    expect(clientBucket('2001:db8:0:7::1')).toBe(clientBucket('2001:db8:0:7:ffff::9'));
    expect(clientBucket('2001:db8:0:7::1')).not.toBe(clientBucket('2001:db8:0:8::1'));
  });
});
