import { randomInt, randomUUID } from 'node:crypto';
import { client, newTenant } from '../support/client';
import { expectStandardError, raw } from '../support/raw-http';
import { startSystem, type System } from '../support/system';

const tenantBody = () => JSON.stringify({ name: 'Acme', email: `${randomUUID()}@example.com` });

describe('errors have one shape, precise codes and statuses, and never show internals', () => {
  let system: System;
  beforeAll(async () => {
    system = await startSystem();
  });
  afterAll(async () => {
    await system.stop();
  });

  it('when the JSON is malformed, answers 400 invalid_json in the standard body', async () => {
    const reply = await raw(`${system.url}/v1/tenants`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name": "Acme", "email": ',
    });

    expectStandardError(reply, 400, 'invalid_json');
  });

  it('when the JSON is malformed on a protected route, answers 400 invalid_json as well', async () => {
    const { key } = await newTenant(system.url);

    const reply = await raw(`${system.url}/v1/accounts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: "{'name': 'single quotes'}",
    });

    expectStandardError(reply, 400, 'invalid_json');
  });

  it('when the body is a JSON scalar rather than an object, answers 400 and not 500', async () => {
    const reply = await raw(`${system.url}/v1/tenants`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '"just a string"',
    });

    // Either code is a fair answer (strict parsing, or schema validation of the body); a 500 is not.
    expect(['invalid_json', 'validation_failed']).toContain(reply.json?.error?.code);
    expectStandardError(reply, 400, reply.json!.error!.code!);
  });

  it.each([
    ['text/plain', 'name=Acme'],
    ['application/x-www-form-urlencoded', 'name=Acme&email=a%40example.com'],
    ['application/xml', '<tenant><name>Acme</name></tenant>'],
  ])('when a POST body is %s, answers 415 unsupported_media_type', async (contentType, body) => {
    const reply = await raw(`${system.url}/v1/tenants`, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body,
    });

    expectStandardError(reply, 415, 'unsupported_media_type');
  });

  it('when a PATCH body is not JSON, answers 415 unsupported_media_type', async () => {
    const { api, key } = await newTenant(system.url);
    const account = await api.post('/v1/accounts', { name: 'Wallet', currency: 'USD' });

    const reply = await raw(`${system.url}/v1/accounts/${account.body.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'text/plain', authorization: `Bearer ${key}` },
      body: 'name=Other',
    });

    expectStandardError(reply, 415, 'unsupported_media_type');
    expect((await api.get(`/v1/accounts/${account.body.id}`)).body.name).toBe('Wallet');
  });

  it('when the body is over API_BODY_BYTES_MAX (64 KiB by default), answers 413 payload_too_large', async () => {
    const body = JSON.stringify({ name: 'x'.repeat(64 * 1024), email: `${randomUUID()}@example.com` });
    expect(Buffer.byteLength(body)).toBeGreaterThan(64 * 1024);

    const reply = await raw(`${system.url}/v1/tenants`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });

    expectStandardError(reply, 413, 'payload_too_large');
  });

  it('accepts a body just under the limit (it is then judged on its content)', async () => {
    const { key } = await newTenant(system.url);
    // 50 metadata values of 500 characters: about 27 KiB, within the limit and the metadata bounds.
    const metadata = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v'.repeat(500)]));

    const reply = await raw(`${system.url}/v1/accounts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ name: 'Big but fine', currency: 'USD', metadata }),
    });

    expect(reply.status).toBe(201);
  });

  it('when no route matches, answers 404 route_not_found', async () => {
    const { key } = await newTenant(system.url);

    const outside = await raw(`${system.url}/no/such/route`);
    const underV1 = await raw(`${system.url}/v1/no-such-route`, {
      headers: { authorization: `Bearer ${key}` },
    });

    expectStandardError(outside, 404, 'route_not_found');
    expectStandardError(underV1, 404, 'route_not_found');
  });

  it('echoes an incoming X-Request-Id in the header and in the error body', async () => {
    const requestId = `req-${randomUUID()}`;

    const reply = await raw(`${system.url}/no/such/route`, { headers: { 'x-request-id': requestId } });

    expect(reply.headers.get('x-request-id')).toBe(requestId);
    expect(reply.json?.error?.request_id).toBe(requestId);
  });

  it('echoes an incoming X-Request-Id on success too', async () => {
    const requestId = `req-${randomUUID()}`;

    const res = await client(system.url).post(
      '/v1/tenants',
      { name: 'Acme', email: `${randomUUID()}@example.com` },
      { 'x-request-id': requestId },
    );

    expect(res.status).toBe(201);
    expect(res.headers.get('x-request-id')).toBe(requestId);
  });

  it('replaces an unusable incoming X-Request-Id with its own', async () => {
    const unusable = `has spaces and ${'x'.repeat(200)}`;

    const reply = await raw(`${system.url}/no/such/route`, { headers: { 'x-request-id': unusable } });

    const given = reply.headers.get('x-request-id');
    expect(given).toBeTruthy();
    expect(given).not.toBe(unusable);
    expect(reply.json?.error?.request_id).toBe(given);
  });

  it('gives every response its own request id when none is sent', async () => {
    const replies = await Promise.all([1, 2, 3].map(() => raw(`${system.url}/no/such/route`)));

    const ids = replies.map((r) => r.json?.error?.request_id);
    expect(new Set(ids).size).toBe(3);
    replies.forEach((r) => expect(r.json?.error?.request_id).toBe(r.headers.get('x-request-id')));
  });

  it('carries request_id equal to X-Request-Id in every kind of error body', async () => {
    const { key } = await newTenant(system.url);
    const auth = { authorization: `Bearer ${key}` };
    const json = { 'content-type': 'application/json' };

    const replies = await Promise.all([
      raw(`${system.url}/v1/tenants`, { method: 'POST', headers: json, body: '{' }),
      raw(`${system.url}/v1/tenants`, { method: 'POST', headers: json, body: JSON.stringify({ name: '' }) }),
      raw(`${system.url}/v1/accounts`),
      raw(`${system.url}/v1/accounts`, { headers: { authorization: 'Bearer nope' } }),
      raw(`${system.url}/v1/accounts/018f0000-0000-7000-8000-000000000000`, { headers: auth }),
      raw(`${system.url}/v1/transfers`, { method: 'POST', headers: { ...auth, ...json }, body: '{}' }),
      raw(`${system.url}/v1/admin/fx-rates/USD/EUR`, { method: 'PUT', headers: json, body: '{"rate":"1"}' }),
    ]);

    expect(replies.map((r) => r.status)).toEqual([400, 400, 401, 401, 404, 400, 401]);
    for (const reply of replies) expectStandardError(reply, reply.status, reply.json!.error!.code!);
  });

  it('when a list cursor was forged, answers 400 naming `cursor` on every list, never a 500', async () => {
    const { api, key } = await newTenant(system.url);
    const account = await api.post('/v1/accounts', { name: 'Wallet', currency: 'USD' });
    const forged = (parts: unknown[]) => Buffer.from(JSON.stringify(parts)).toString('base64url');
    const auth = { authorization: `Bearer ${key}` };

    const replies = await Promise.all(
      [
        `/v1/accounts?cursor=${forged(['not-a-uuid'])}`,
        `/v1/accounts/${account.body.id}/entries?cursor=${forged(['99999999999999999999999'])}`,
        `/v1/transfers?cursor=${forged(['yesterday', 'not-a-uuid'])}`,
        `/v1/transfers?cursor=${forged([new Date().toISOString(), 'not-a-uuid'])}`,
      ].map((path) => raw(system.url + path, { headers: auth })),
    );

    for (const reply of replies) {
      expectStandardError(reply, 400, 'validation_failed');
      expect(reply.json?.error?.details).toEqual([expect.objectContaining({ field: 'cursor' })]);
    }
  });

  it('serves the OpenAPI 3.1 document at /openapi.json', async () => {
    const reply = await raw(`${system.url}/openapi.json`);

    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
    expect(reply.json).toMatchObject({ openapi: '3.1.0' });
    const doc = JSON.parse(reply.text);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/tenants', '/v1/accounts']));
  });

  describe('rate limiting of public routes', () => {
    let limited: System;
    beforeAll(async () => {
      limited = await startSystem({ RATE_LIMIT_SIGNUP_PER_IP: '3/60', API_TRUSTED_PROXIES: 'loopback' });
    });
    afterAll(async () => {
      await limited.stop();
    });

    // Limits live in Redis, shared by every API process and every test file, keyed by client IP.
    // This API trusts X-Forwarded-For from loopback (configured: none by default), so each test is its own client with a unique
    // documentation address (RFC 5737 / RFC 3849) and counts no one else's requests.
    const uniqueClientIp = () =>
      `2001:db8:${randomInt(0xffff).toString(16)}:${randomInt(0xffff).toString(16)}::1`;

    const signUp = (ip: string) =>
      raw(`${limited.url}/v1/tenants`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
        body: tenantBody(),
      });

    it('answers the 4th tenant creation from one IP within a minute with 429 rate_limited, Retry-After and RateLimit headers', async () => {
      const ip = uniqueClientIp();
      const allowed = [];
      for (let i = 0; i < 3; i++) allowed.push(await signUp(ip));

      const refused = await signUp(ip);

      expect(allowed.map((r) => r.status)).toEqual([201, 201, 201]);
      expect(allowed.map((r) => r.headers.get('ratelimit'))).toEqual([
        expect.stringMatching(/\br=2\b/),
        expect.stringMatching(/\br=1\b/),
        expect.stringMatching(/\br=0\b/),
      ]);
      expectStandardError(refused, 429, 'rate_limited');
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(Number.isInteger(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(refused.headers.get('ratelimit-policy')).toBe('"ip-signup";q=3;w=60');
      // The quota is whole again in a minute; one more sign-up is possible in 20 s (plus jitter).
      expect(refused.headers.get('ratelimit')).toMatch(/^"ip-signup";r=0;t=(59|60)$/);
      expect(retryAfter).toBeGreaterThanOrEqual(19);
    });

    it('counts each client IP on its own: one client’s 429 leaves another’s requests alone', async () => {
      const noisy = uniqueClientIp();
      for (let i = 0; i < 4; i++) await signUp(noisy);
      expect((await signUp(noisy)).status).toBe(429);

      const quiet = await signUp(uniqueClientIp());

      expect(quiet.status).toBe(201);
    });

    it('does not create the tenant it refused', async () => {
      const ip = uniqueClientIp();
      for (let i = 0; i < 3; i++) expect((await signUp(ip)).status).toBe(201);
      const email = `${randomUUID()}@example.com`;

      const refused = await raw(`${limited.url}/v1/tenants`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
        body: JSON.stringify({ name: 'Refused', email }),
      });

      expect(refused.status).toBe(429);
      const { rows } = await limited.pool.query('SELECT 1 FROM tenants WHERE lower(email) = lower($1)', [
        email,
      ]);
      expect(rows).toHaveLength(0);
    });
  });
});
