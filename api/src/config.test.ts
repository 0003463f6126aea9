import { ConfigError } from '../../platform/config';
import { loadApiConfig } from './config';

describe('the API key cache configuration', () => {
  it('keeps 100,000 key lookups and writes last_used_at at most once a minute unless told', () => {
    const config = loadApiConfig({});
    expect([config.AUTH_CACHE_ENTRIES_MAX, config.AUTH_TOUCH_INTERVAL_MS]).toEqual([100_000, 60_000]);
    expect(loadApiConfig({ AUTH_CACHE_ENTRIES_MAX: '500' }).AUTH_CACHE_ENTRIES_MAX).toBe(500);
  });

  it('refuses a cache that holds nothing, naming the variable', () => {
    expect(() => loadApiConfig({ AUTH_CACHE_ENTRIES_MAX: '0' })).toThrow(/AUTH_CACHE_ENTRIES_MAX/);
    expect(() => loadApiConfig({ AUTH_TOUCH_INTERVAL_MS: '-1' })).toThrow(/AUTH_TOUCH_INTERVAL_MS/);
  });
});

describe('the rate-limit configuration', () => {
  it('trusts no proxy for X-Forwarded-For unless told, and takes addresses, CIDR ranges and express names', () => {
    expect(loadApiConfig({}).API_TRUSTED_PROXIES).toEqual([]);
    expect(
      loadApiConfig({ API_TRUSTED_PROXIES: '10.0.0.1, 192.168.0.0/16,fd00::/8,loopback' })
        .API_TRUSTED_PROXIES,
    ).toEqual(['10.0.0.1', '192.168.0.0/16', 'fd00::/8', 'loopback']);
  });

  it.each(['10.0.0.300', '10.0.0.0/33', 'proxy.example.com', '*'])(
    'refuses to start with %s as a trusted proxy, naming the variable',
    (value) => {
      expect(() => loadApiConfig({ API_TRUSTED_PROXIES: value })).toThrow(ConfigError);
      expect(() => loadApiConfig({ API_TRUSTED_PROXIES: value })).toThrow(/API_TRUSTED_PROXIES/);
    },
  );

  it('reads a policy as quota/window_seconds and refuses what it cannot count', () => {
    expect(loadApiConfig({ RATE_LIMIT_WRITES_PER_KEY: '100/60' }).RATE_LIMIT_WRITES_PER_KEY).toEqual({
      quota: 100,
      window_s: 60,
    });
    for (const bad of ['100', '0/60', '100/0', '2000000/1', '1.5/60'])
      expect(() => loadApiConfig({ RATE_LIMIT_WRITES_PER_KEY: bad })).toThrow(/RATE_LIMIT_WRITES_PER_KEY/);
  });

  it('reads escalating block periods in seconds', () => {
    expect(loadApiConfig({}).RATE_LIMIT_BLOCK_SECONDS).toEqual([60, 300, 1800]);
    expect(() => loadApiConfig({ RATE_LIMIT_BLOCK_SECONDS: '60,,300' })).toThrow(/RATE_LIMIT_BLOCK_SECONDS/);
  });
});
