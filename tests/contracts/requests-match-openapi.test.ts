import { randomUUID } from 'node:crypto';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { client, idem, newTenant, type Client, type Reply } from '../support/client';
import { ADMIN_TOKEN, startSystem, type System } from '../support/system';

interface Operation {
  parameters?: Array<{ name: string; in: string }>;
  requestBody?: { required?: boolean };
}
interface OpenApi {
  paths: Record<string, Record<string, Operation>>;
}

/**
 * A client generated from the served OpenAPI document must never build a request the API refuses:
 * each request below is sent to the real API, which refuses it, and checked against the
 * document's own schema, which must refuse it too. Requests the API takes pass both.
 */
describe('the OpenAPI document refuses the requests the API refuses', () => {
  let system: System;
  let ajv: Ajv2020;
  let doc: OpenApi;
  let api: Client;
  beforeAll(async () => {
    system = await startSystem();
    doc = (await client(system.url).get('/openapi.json')).body;
    ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema(doc, 'openapi.json');
    ({ api } = await newTenant(system.url));
  });
  afterAll(async () => {
    await system.stop();
  });

  const pointer = (path: string) => path.replace(/~/g, '~0').replace(/\//g, '~1');
  const compile = (ref: string): ValidateFunction => ajv.getSchema(ref) ?? ajv.compile({ $ref: ref });
  /** The document's schema of the JSON body of an operation. */
  const bodySchema = (path: string, method: string) =>
    compile(`openapi.json#/paths/${pointer(path)}/${method}/requestBody/content/application~1json/schema`);
  /** The document's schema of a query parameter of an operation. */
  const querySchema = (path: string, method: string, name: string) => {
    const index = doc.paths[path]![method]!.parameters!.findIndex((p) => p.in === 'query' && p.name === name);
    expect(index).toBeGreaterThanOrEqual(0);
    return compile(`openapi.json#/paths/${pointer(path)}/${method}/parameters/${index}/schema`);
  };
  const refused = (reply: Reply, field: string) => {
    expect(reply.status).toBe(400);
    expect(reply.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
  };

  describe('POST /v1/transfers: the accounts each kind needs', () => {
    const [a, b] = [randomUUID(), randomUUID()];
    it.each([
      [
        'a deposit naming a source',
        { kind: 'deposit', source_account_id: a, destination_account_id: b },
        'source_account_id',
      ],
      ['a deposit without a destination', { kind: 'deposit' }, 'destination_account_id'],
      [
        'a withdrawal naming a destination',
        { kind: 'withdrawal', source_account_id: a, destination_account_id: b },
        'destination_account_id',
      ],
      ['a withdrawal without a source', { kind: 'withdrawal' }, 'source_account_id'],
      [
        'a transfer without a destination',
        { kind: 'transfer', source_account_id: a },
        'destination_account_id',
      ],
      ['a transfer (kind left out) without a source', { destination_account_id: b }, 'source_account_id'],
      ['a deposit held', { kind: 'deposit', destination_account_id: b, capture: 'manual' }, 'capture'],
      [
        'an expiry without manual capture',
        { source_account_id: a, destination_account_id: b, expires_at: '2030-01-01T00:00:00Z' },
        'expires_at',
      ],
    ])('%s', async (_label, accounts, field) => {
      const request = { ...accounts, amount: '10', currency: 'USD' };
      refused(await api.post('/v1/transfers', request, idem()), field);
      expect(bodySchema('/v1/transfers', 'post')(request)).toBe(false);
    });

    it.each([
      ['a deposit', { kind: 'deposit', destination_account_id: b }],
      ['a withdrawal', { kind: 'withdrawal', source_account_id: a }],
      ['a transfer', { kind: 'transfer', source_account_id: a, destination_account_id: b }],
      ['a transfer with kind left out', { source_account_id: a, destination_account_id: b }],
      ['a hold', { source_account_id: a, destination_account_id: b, capture: 'manual' }],
      ['a withdrawal hold', { kind: 'withdrawal', source_account_id: a, capture: 'manual' }],
      [
        'a deposit, captured automatically',
        { kind: 'deposit', destination_account_id: b, capture: 'automatic' },
      ],
    ])('takes %s with the accounts it needs (the check has teeth)', async (_label, accounts) => {
      const request = { ...accounts, amount: '10', currency: 'USD' };
      expect(bodySchema('/v1/transfers', 'post')(request)).toBe(true);
      // Past validation: the accounts do not exist, which is a 404, not a 400.
      expect((await api.post('/v1/transfers', request, idem())).status).toBe(404);
    });
  });

  describe('POST /v1/transfers: split transfers (legs)', () => {
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    const legs = [
      { destination_account_id: b, amount: 6 },
      { destination_account_id: c, amount: '4' },
    ];
    it.each([
      [
        'legs and a destination',
        { source_account_id: a, destination_account_id: b, legs },
        'destination_account_id',
      ],
      ['a deposit with legs', { kind: 'deposit', legs }, 'legs'],
      ['a withdrawal with legs', { kind: 'withdrawal', source_account_id: a, legs }, 'legs'],
      ['neither legs nor an amount', { source_account_id: a, destination_account_id: b }, 'amount'],
      ['no legs at all', { source_account_id: a, legs: [] }, 'legs'],
      [
        'seventeen legs',
        {
          source_account_id: a,
          legs: Array.from({ length: 17 }, () => ({ destination_account_id: b, amount: 1 })),
        },
        'legs',
      ],
      [
        'a leg of zero',
        { source_account_id: a, legs: [{ destination_account_id: b, amount: 0 }] },
        'legs.0.amount',
      ],
      [
        'a leg without an account',
        { source_account_id: a, legs: [{ amount: 1 }] },
        'legs.0.destination_account_id',
      ],
    ])('refuses %s', async (_label, body, field) => {
      const request = { ...body, currency: 'USD' };
      refused(await api.post('/v1/transfers', request, idem()), field);
      expect(bodySchema('/v1/transfers', 'post')(request)).toBe(false);
    });

    it.each([
      ['a split', { source_account_id: a, legs }],
      ['a split with its sum', { source_account_id: a, legs, amount: '10' }],
      ['a split held', { kind: 'transfer', source_account_id: a, legs, capture: 'manual' }],
    ])('takes %s (the check has teeth)', async (_label, body) => {
      const request = { ...body, currency: 'USD' };
      expect(bodySchema('/v1/transfers', 'post')(request)).toBe(true);
      expect((await api.post('/v1/transfers', request, idem())).status).toBe(404);
    });

    it('refuses what only the API can check: an amount that is not the sum, a destination twice, the source as a leg', async () => {
      refused(
        await api.post('/v1/transfers', { source_account_id: a, legs, amount: 11, currency: 'USD' }, idem()),
        'amount',
      );
      const twice = [legs[0], legs[0]];
      refused(
        await api.post('/v1/transfers', { source_account_id: a, legs: twice, currency: 'USD' }, idem()),
        'legs.1.destination_account_id',
      );
      const self = [{ destination_account_id: a, amount: 1 }];
      refused(
        await api.post('/v1/transfers', { source_account_id: a, legs: self, currency: 'USD' }, idem()),
        'legs.0.destination_account_id',
      );
    });
  });

  it.each([
    ['an amount of zero', { amount: 0 }, 'amount'],
    ['a currency (a refund is in the original destination currency)', { currency: 'USD' }, 'body'],
  ])('a refund with %s', async (_label, request, field) => {
    refused(await api.post(`/v1/transfers/${randomUUID()}/refunds`, request, idem()), field);
    expect(bodySchema('/v1/transfers/{id}/refunds', 'post')(request)).toBe(false);
    expect(bodySchema('/v1/transfers/{id}/refunds', 'post')({ amount: '10' })).toBe(true);
    // Past validation: no such transfer, a 404, not a 400.
    expect((await api.post(`/v1/transfers/${randomUUID()}/refunds`, { amount: 10 }, idem())).status).toBe(
      404,
    );
  });

  it('PATCH bodies need at least one field', async () => {
    refused(await api.patch(`/v1/accounts/${randomUUID()}`, {}), 'body');
    expect(bodySchema('/v1/accounts/{id}', 'patch')({})).toBe(false);
    expect(bodySchema('/v1/accounts/{id}', 'patch')({ name: 'x' })).toBe(true);
    refused(await api.patch(`/v1/webhook-endpoints/${randomUUID()}`, {}), 'body');
    expect(bodySchema('/v1/webhook-endpoints/{id}', 'patch')({})).toBe(false);
    expect(bodySchema('/v1/webhook-endpoints/{id}', 'patch')({ description: 'x' })).toBe(true);
  });

  it('event types of a webhook endpoint do not repeat', async () => {
    const request = {
      url: 'https://example.com/h',
      event_types: ['transfer.committed', 'transfer.committed'],
    };
    refused(await api.post('/v1/webhook-endpoints', request), 'event_types');
    expect(bodySchema('/v1/webhook-endpoints', 'post')(request)).toBe(false);
    expect(
      bodySchema('/v1/webhook-endpoints', 'post')({ ...request, event_types: ['transfer.committed'] }),
    ).toBe(true);
  });

  it.each(['0', '0.000', '000000000000.0'])('an exchange rate of %s', async (rate) => {
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    refused(await client(system.url).put('/v1/admin/fx-rates/AUD/CHF', { rate }, admin), 'rate');
    expect(bodySchema('/v1/admin/fx-rates/{base}/{quote}', 'put')({ rate })).toBe(false);
    expect(bodySchema('/v1/admin/fx-rates/{base}/{quote}', 'put')({ rate: '0.001' })).toBe(true);
  });

  it('a cursor is what the API hands out, not any string', async () => {
    await api.post('/v1/accounts', { name: 'a', currency: 'USD' });
    await api.post('/v1/accounts', { name: 'b', currency: 'USD' });
    const cursor: string = (await api.get('/v1/accounts?limit=1')).body.next_cursor;
    expect(querySchema('/v1/accounts', 'get', 'cursor')(cursor)).toBe(true);
    for (const forged of ['not-a-cursor!', '', 'a b', 'x'.repeat(201)]) {
      refused(await api.get(`/v1/accounts?cursor=${encodeURIComponent(forged)}`), 'cursor');
      expect(querySchema('/v1/accounts', 'get', 'cursor')(forged)).toBe(false);
    }
  });

  it('request bodies are required wherever the API refuses a request without one', async () => {
    const withoutBody: Array<[string, string, () => Promise<Reply>]> = [
      ['/v1/tenants', 'post', () => client(system.url).post('/v1/tenants')],
      ['/v1/accounts', 'post', () => api.post('/v1/accounts')],
      ['/v1/accounts/{id}', 'patch', () => api.patch(`/v1/accounts/${randomUUID()}`)],
      ['/v1/transfers', 'post', () => api.post('/v1/transfers', undefined, idem())],
      ['/v1/webhook-endpoints', 'post', () => api.post('/v1/webhook-endpoints')],
      ['/v1/webhook-endpoints/{id}', 'patch', () => api.patch(`/v1/webhook-endpoints/${randomUUID()}`)],
      [
        '/v1/webhook-endpoints/{id}/recover',
        'post',
        () => api.post(`/v1/webhook-endpoints/${randomUUID()}/recover`),
      ],
      [
        '/v1/admin/fx-rates/{base}/{quote}',
        'put',
        () =>
          client(system.url).put('/v1/admin/fx-rates/AUD/CHF', undefined, {
            authorization: `Bearer ${ADMIN_TOKEN}`,
          }),
      ],
    ];
    for (const [path, method, send] of withoutBody) {
      refused(await send(), 'body');
      expect([path, method, doc.paths[path]![method]!.requestBody?.required]).toEqual([path, method, true]);
    }
    // The one body that may be left out: a key created without one is named "default".
    expect((await api.post('/v1/api-keys')).status).toBe(201);
    expect(doc.paths['/v1/api-keys']!.post!.requestBody?.required).not.toBe(true);
  });
});
