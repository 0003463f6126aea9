import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { newTenant, type Client } from '../support/client';
import { expectStandardError, raw, rawExchange, rawRequest, type RawReply } from '../support/raw-http';
import { startSystem, type System } from '../support/system';

/** The probes of issue 9 item 8, each of which answered 500 (or silently changed the data) before. */
describe('hostile input is a 4xx in the common error body, never a 500', () => {
  let system: System;
  let api: Client;
  let key: string;
  let accountId: string;
  let endpointId: string;
  beforeAll(async () => {
    system = await startSystem();
    ({ api, key } = await newTenant(system.url));
    accountId = (await api.post('/v1/accounts', { name: 'Wallet', currency: 'USD' })).body.id;
    endpointId = (
      await api.post('/v1/webhook-endpoints', {
        url: 'https://receiver.example/hooks',
        event_types: ['transfer.committed'],
      })
    ).body.id;
  });
  afterAll(async () => {
    await system.stop();
  });

  const send = (method: string, path: string, body: string | Buffer, headers: Record<string, string> = {}) =>
    raw(system.url + path, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers },
      body,
    });

  const expectFieldError = (reply: RawReply, field: string, code: string) => {
    expectStandardError(reply, 400, 'validation_failed');
    expect(reply.json?.error?.details).toEqual([expect.objectContaining({ field, code })]);
  };

  describe('text the ledger stores holds no NUL and no lone surrogate', () => {
    // Bodies as JSON text, so that the escapes reach the server exactly as a client may send them.
    it.each([
      [
        'a NUL in the sign-up name (public route)',
        'POST',
        '/v1/tenants',
        () => `{"name":"Ac\\u0000me","email":"${randomUUID()}@example.com"}`,
        'name',
      ],
      [
        'a NUL in an account name',
        'POST',
        '/v1/accounts',
        () => '{"name":"W\\u0000","currency":"USD"}',
        'name',
      ],
      [
        'a NUL in a metadata value',
        'POST',
        '/v1/accounts',
        () => '{"name":"W","currency":"USD","metadata":{"k":"v\\u0000"}}',
        'metadata.k',
      ],
      [
        'a NUL in a metadata key',
        'POST',
        '/v1/accounts',
        () => '{"name":"W","currency":"USD","metadata":{"k\\u0000":"v"}}',
        'metadata.k\u0000',
      ],
      [
        'a lone surrogate in a metadata value',
        'POST',
        '/v1/accounts',
        () => '{"name":"W","currency":"USD","metadata":{"k":"\\ud800"}}',
        'metadata.k',
      ],
      [
        'a lone surrogate in an account name',
        'POST',
        '/v1/accounts',
        () => '{"name":"W\\udc00","currency":"USD"}',
        'name',
      ],
      ['a NUL in an API key name', 'POST', '/v1/api-keys', () => '{"name":"ci\\u0000"}', 'name'],
      [
        'a NUL in a webhook URL',
        'POST',
        '/v1/webhook-endpoints',
        () => '{"url":"https://r.example/\\u0000","event_types":["transfer.committed"]}',
        'url',
      ],
      [
        'a lone surrogate in a webhook description',
        'POST',
        '/v1/webhook-endpoints',
        () => '{"url":"https://r.example/h","event_types":["transfer.committed"],"description":"\\ud83d"}',
        'description',
      ],
    ])(
      'when %s, answers 400 validation_failed naming the field',
      async (_what, method, path, body, field) => {
        const reply = await send(method, path, body());

        expectFieldError(reply, field, 'invalid_text');
      },
    );

    it('when an account rename carries a lone surrogate, refuses it rather than storing U+FFFD', async () => {
      const reply = await send('PATCH', `/v1/accounts/${accountId}`, '{"name":"Caf\\udce9"}');

      expectFieldError(reply, 'name', 'invalid_text');
      expect((await api.get(`/v1/accounts/${accountId}`)).body.name).toBe('Wallet');
    });

    it('when a transfer description carries a NUL, refuses the transfer before accepting it', async () => {
      const reply = await send(
        'POST',
        '/v1/transfers',
        `{"kind":"deposit","destination_account_id":"${accountId}","amount":1,"currency":"USD","description":"\\u0000"}`,
        { 'idempotency-key': randomUUID() },
      );

      expectFieldError(reply, 'description', 'invalid_text');
    });

    it('keeps text that is merely unusual: emoji, accents, right-to-left, other planes', async () => {
      const name = 'Café 😀 שלום 𝔘𝔫𝔦';

      const reply = await api.post('/v1/accounts', { name, currency: 'EUR', metadata: { ключ: '値' } });

      expect(reply.status).toBe(201);
      expect((await api.get(`/v1/accounts/${reply.body.id}`)).body).toMatchObject({
        name,
        metadata: { ключ: '値' },
      });
    });

    it('when a metadata key is __proto__, refuses it by name instead of dropping it silently', async () => {
      const reply = await send(
        'POST',
        '/v1/accounts',
        '{"name":"W","currency":"USD","metadata":{"__proto__":"x","a":"b"}}',
      );

      expectFieldError(reply, 'metadata.__proto__', 'reserved_key');
    });

    it('keeps metadata keys named like Object.prototype members', async () => {
      const metadata = { constructor: 'c', toString: 't', hasOwnProperty: 'h' };

      const reply = await api.post('/v1/accounts', { name: 'W', currency: 'USD', metadata });

      expect(reply.status).toBe(201);
      expect(reply.body.metadata).toEqual(metadata);
    });
  });

  describe('date-times are bounded to what PostgreSQL holds', () => {
    const outOfRange = [
      ['year 0000', '0000-01-01T00:00:00Z', 'date_out_of_range'],
      ['an offset of +18:00', '2026-01-01T00:00:00+18:00', 'offset_out_of_range'],
      ['an offset of -16:30', '2026-01-01T00:00:00-16:30', 'offset_out_of_range'],
      ['an instant before year 0001 once in UTC', '0001-01-01T00:30:00+01:00', 'date_out_of_range'],
    ];
    const filters = () => [
      ['/v1/transfers', 'from'],
      ['/v1/transfers', 'to'],
      [`/v1/accounts/${accountId}/entries`, 'from'],
      [`/v1/accounts/${accountId}/entries`, 'to'],
    ];

    it.each(outOfRange)(
      'when a time filter has %s, every listing answers 400 naming it',
      async (_what, value, code) => {
        const replies = await Promise.all(
          filters().map(([path, field]) => api.raw('GET', `${path}?${field}=${encodeURIComponent(value!)}`)),
        );

        expect(
          replies.map((r) => [r.status, r.body.error?.details?.[0]?.field, r.body.error?.details?.[0]?.code]),
        ).toEqual(filters().map(([, field]) => [400, field, code]));
      },
    );

    it.each(outOfRange)(
      'when a webhook recover `since` has %s, answers 400 naming it',
      async (_what, value, code) => {
        const reply = await send(
          'POST',
          `/v1/webhook-endpoints/${endpointId}/recover`,
          JSON.stringify({ since: value }),
        );

        expectFieldError(reply, 'since', code!);
      },
    );

    it('when a forged transfers cursor holds year 0000, answers 400 naming `cursor`', async () => {
      const cursor = Buffer.from(JSON.stringify(['0000-01-01T00:00:00Z', randomUUID()])).toString(
        'base64url',
      );

      const reply = await raw(`${system.url}/v1/transfers?cursor=${cursor}`, {
        headers: { authorization: `Bearer ${key}` },
      });

      expectFieldError(reply, 'cursor', 'invalid_cursor');
    });

    it('accepts the extremes it allows: ±14:00, year 0001 and 9999', async () => {
      const values = [
        '2026-01-01T00:00:00+14:00',
        '2026-01-01T00:00:00-14:00',
        '0001-01-01T00:00:00Z',
        '9999-12-31T23:59:59.999999Z',
      ];

      const replies = await Promise.all(
        values.map((v) => api.get(`/v1/transfers?from=${encodeURIComponent(v)}`)),
      );

      expect(replies.map((r) => r.status)).toEqual(values.map(() => 200));
    });
  });

  describe('bodies that cannot be decoded', () => {
    const garbage = Buffer.from('this is not compressed at all, just bytes \x00\xff\xfe');

    it.each(['gzip', 'deflate', 'br', 'zstd'])(
      'when the body is garbage labelled Content-Encoding: %s, answers 400 invalid_body',
      async (encoding) => {
        const reply = await send('POST', '/v1/accounts', garbage, {
          'content-encoding': encoding,
        });

        expectStandardError(reply, 400, 'invalid_body');
      },
    );

    it('when the Content-Encoding is unknown, answers 415 unsupported_media_type', async () => {
      const reply = await send('POST', '/v1/accounts', '{"name":"W","currency":"USD"}', {
        'content-encoding': 'snappy',
      });

      expectStandardError(reply, 415, 'unsupported_media_type');
    });

    it('still accepts a body that is really gzip', async () => {
      const body = gzipSync(JSON.stringify({ name: 'Zipped', currency: 'USD' }));

      const reply = await send('POST', '/v1/accounts', body, {
        'content-encoding': 'gzip',
      });

      expect(reply.status).toBe(201);
    });

    it('when a path parameter is not valid percent-encoding, answers 400 naming the path', async () => {
      const reply = await raw(`${system.url}/v1/accounts/%E0%A4%A`, {
        headers: { authorization: `Bearer ${key}` },
      });

      expectFieldError(reply, 'path', 'invalid_encoding');
    });
  });

  describe('requests HTTP itself refuses carry the common body too', () => {
    it('when the headers are too large, answers 431 request_header_fields_too_large in JSON', async () => {
      const { host } = new URL(system.url);

      const reply = await rawExchange(
        system.url,
        `GET /v1/accounts HTTP/1.1\r\nHost: ${host}\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      );

      expectStandardError(reply, 431, 'request_header_fields_too_large');
    });

    it('when the request is not HTTP at all, answers 400 malformed_request in JSON', async () => {
      const reply = await rawExchange(system.url, 'HELLO THERE\r\n\r\n');

      expectStandardError(reply, 400, 'malformed_request');
    });
  });

  describe('methods', () => {
    it.each([
      ['TRACE', '/v1/accounts', 'GET, HEAD, OPTIONS, POST'],
      ['PUT', '/v1/accounts', 'GET, HEAD, OPTIONS, POST'],
      ['DELETE', '/v1/accounts/018f0000-0000-7000-8000-000000000000', 'GET, HEAD, OPTIONS, PATCH'],
      ['GET', '/v1/tenants', 'OPTIONS, POST'],
      ['POST', '/v1/transfers/018f0000-0000-7000-8000-000000000000', 'GET, HEAD, OPTIONS'],
    ])(
      'when %s is sent to %s, answers 405 method_not_allowed with Allow: %s',
      async (method, path, allow) => {
        const reply = await rawRequest(system.url + path, {
          method,
          headers: { authorization: `Bearer ${key}` },
        });

        expectStandardError(reply, 405, 'method_not_allowed');
        expect(reply.headers.get('allow')).toBe(allow);
      },
    );

    it('when OPTIONS is sent to a known path, answers 204 with Allow and no body', async () => {
      const reply = await rawRequest(`${system.url}/v1/webhook-endpoints/${endpointId}`, {
        method: 'OPTIONS',
      });

      expect(reply.status).toBe(204);
      expect(reply.headers.get('allow')).toBe('DELETE, GET, HEAD, OPTIONS, PATCH');
      expect(reply.text).toBe('');
    });

    it('when the path is unknown, answers 404 route_not_found whatever the method', async () => {
      const replies = await Promise.all(
        ['GET', 'PUT', 'TRACE', 'OPTIONS'].map((method) =>
          rawRequest(`${system.url}/v1/no-such-thing`, {
            method,
            headers: { authorization: `Bearer ${key}` },
          }),
        ),
      );

      for (const reply of replies) expectStandardError(reply, 404, 'route_not_found');
    });
  });
});
