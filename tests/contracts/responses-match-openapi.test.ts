import { randomUUID } from 'node:crypto';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { client, fundedAccount, idem, newTenant, settled, type Reply } from '../support/client';
import { startSystem, type System } from '../support/system';

interface OpenApi {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>
  >;
}

describe('real responses match the served OpenAPI document', () => {
  let system: System;
  let ajv: Ajv2020;
  let doc: OpenApi;
  beforeAll(async () => {
    system = await startSystem();
    doc = (await client(system.url).get('/openapi.json')).body;
    ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema(doc, 'openapi.json');
  });
  afterAll(async () => {
    await system.stop();
  });

  /** The response schema the document declares for this path template, method and status. */
  const schemaFor = (path: string, method: string, status: number): ValidateFunction => {
    const operation = doc.paths[path]?.[method];
    if (!operation) throw new Error(`the document has no ${method} ${path}`);
    if (!operation.responses[String(status)]) throw new Error(`${method} ${path} does not declare ${status}`);
    const pointer = `openapi.json#/paths/${path.replace(/~/g, '~0').replace(/\//g, '~1')}/${method}/responses/${status}/content/application~1json/schema`;
    return ajv.getSchema(pointer) ?? ajv.compile({ $ref: pointer });
  };
  const conforms = (reply: Reply, path: string, method: string) => {
    const validate = schemaFor(path, method, reply.status);
    const ok = validate(reply.body);
    if (!ok) throw new Error(`${method} ${path} ${reply.status}: ${ajv.errorsText(validate.errors)}`);
  };

  it('for tenants, accounts, balances, statements and transfers, including errors', async () => {
    const signup = await client(system.url).post('/v1/tenants', {
      name: 'Docs',
      email: `${randomUUID()}@example.com`,
    });
    conforms(signup, '/v1/tenants', 'post');
    const { api } = await newTenant(system.url);
    const from = await fundedAccount(api, 'USD', 1_000);
    const to = await fundedAccount(api, 'USD', 0);

    const account = await api.get(`/v1/accounts/${from}`);
    conforms(account, '/v1/accounts/{id}', 'get');
    // The check has teeth: a balance sent as a JSON number breaks the contract.
    expect(schemaFor('/v1/accounts/{id}', 'get', 200)({ ...account.body, balance: 1000 })).toBe(false);
    conforms(await api.get('/v1/accounts?limit=1'), '/v1/accounts', 'get');
    conforms(await api.get(`/v1/accounts/${from}/balance`), '/v1/accounts/{id}/balance', 'get');
    conforms(await api.get(`/v1/accounts/${from}/entries`), '/v1/accounts/{id}/entries', 'get');
    const at = encodeURIComponent(new Date().toISOString());
    conforms(await api.get(`/v1/accounts/${from}/balance?at=${at}`), '/v1/accounts/{id}/balance', 'get');
    const history = `/v1/accounts/${from}/balance-history?interval=hour&from=2026-01-01T00:00:00%2B02:00&to=${at}`;
    conforms(
      await api.get(history.replace('interval=hour', 'interval=day')),
      '/v1/accounts/{id}/balance-history',
      'get',
    );
    conforms(await api.get(history), '/v1/accounts/{id}/balance-history', 'get');
    conforms(
      await api.get(
        `/v1/accounts/${randomUUID()}/balance-history?interval=day&from=2026-01-01T00:00:00Z&to=${at}`,
      ),
      '/v1/accounts/{id}/balance-history',
      'get',
    );
    conforms(await api.post('/v1/api-keys', { name: 'ci' }), '/v1/api-keys', 'post');
    conforms(await api.get('/v1/api-keys'), '/v1/api-keys', 'get');

    const submitted = await api.post(
      '/v1/transfers',
      { source_account_id: from, destination_account_id: to, amount: '10', currency: 'USD' },
      idem(),
    );
    conforms(submitted, '/v1/transfers', 'post');
    await settled(api, submitted.body.id);
    conforms(await api.get(`/v1/transfers/${submitted.body.id}`), '/v1/transfers/{id}', 'get');
    conforms(await api.get('/v1/transfers?limit=2'), '/v1/transfers', 'get');

    // A split, committed and rejected naming its leg, and a held split with its capture.
    const splitOf = (extra: object) =>
      api.post(
        '/v1/transfers',
        {
          source_account_id: from,
          legs: [
            { destination_account_id: to, amount: 3 },
            { destination_account_id: newAccount, amount: '2' },
          ],
          currency: 'USD',
          ...extra,
        },
        idem(),
      );
    const newAccount = await fundedAccount(api, 'USD', 0);
    const splitted = await splitOf({});
    conforms(splitted, '/v1/transfers', 'post');
    expect((await settled(api, splitted.body.id)).legs).toHaveLength(2);
    conforms(await api.get(`/v1/transfers/${splitted.body.id}`), '/v1/transfers/{id}', 'get');
    const heldSplit = await settled(api, (await splitOf({ capture: 'manual' })).body.id);
    const capturedSplit = await api.post(`/v1/transfers/${heldSplit.id}/capture`, {}, idem());
    await settled(api, capturedSplit.body.id);
    conforms(await api.get(`/v1/transfers/${capturedSplit.body.id}`), '/v1/transfers/{id}', 'get');
    conforms(
      await api.post(`/v1/transfers/${heldSplit.id}/capture`, { amount: 1 }, idem()),
      '/v1/transfers/{id}/capture',
      'post',
    );
    await api.patch(`/v1/accounts/${newAccount}`, { status: 'frozen' });
    const failed = await settled(api, (await splitOf({})).body.id);
    expect(failed).toMatchObject({ status: 'rejected', failed_leg: 1 });
    conforms(await api.get(`/v1/transfers/${failed.id}`), '/v1/transfers/{id}', 'get');
    conforms(
      await api.post(`/v1/transfers/${splitted.body.id}/refunds`, undefined, idem()),
      '/v1/transfers/{id}/refunds',
      'post',
    );
    conforms(await api.post('/v1/transfers', { amount: -1 }, idem()), '/v1/transfers', 'post');
    conforms(await api.get(`/v1/transfers/${randomUUID()}`), '/v1/transfers/{id}', 'get');
    conforms(await client(system.url).get('/v1/accounts'), '/v1/accounts', 'get');
  });

  it('for holds, their capture and void, including errors', async () => {
    const { api } = await newTenant(system.url);
    const from = await fundedAccount(api, 'USD', 1_000);
    const to = await fundedAccount(api, 'USD', 0);
    const hold = (extra: object = {}) =>
      api.post(
        '/v1/transfers',
        {
          source_account_id: from,
          destination_account_id: to,
          amount: '100',
          currency: 'USD',
          capture: 'manual',
          ...extra,
        },
        idem(),
      );
    const first = await hold();
    conforms(first, '/v1/transfers', 'post');
    await settled(api, first.body.id);
    conforms(await api.get(`/v1/transfers/${first.body.id}`), '/v1/transfers/{id}', 'get');
    const capture = await api.post(`/v1/transfers/${first.body.id}/capture`, { amount: 40 }, idem());
    conforms(capture, '/v1/transfers/{id}/capture', 'post');
    await settled(api, capture.body.id);
    conforms(await api.get(`/v1/transfers/${first.body.id}`), '/v1/transfers/{id}', 'get');
    conforms(await api.get(`/v1/transfers/${capture.body.id}`), '/v1/transfers/{id}', 'get');
    conforms(await api.get(`/v1/accounts/${from}/balance`), '/v1/accounts/{id}/balance', 'get');

    const second = await hold();
    await settled(api, second.body.id);
    const key = idem();
    conforms(
      await api.post(`/v1/transfers/${second.body.id}/void`, undefined, key),
      '/v1/transfers/{id}/void',
      'post',
    );
    conforms(
      await api.post(`/v1/transfers/${second.body.id}/capture`, {}, key),
      '/v1/transfers/{id}/capture',
      'post',
    );
    conforms(
      await api.post(`/v1/transfers/${second.body.id}/capture`, { amount: 101 }, idem()),
      '/v1/transfers/{id}/capture',
      'post',
    );
    conforms(
      await api.post(`/v1/transfers/${randomUUID()}/void`, undefined, idem()),
      '/v1/transfers/{id}/void',
      'post',
    );
    conforms(await hold({ expires_at: '2020-01-01T00:00:00Z' }), '/v1/transfers', 'post');
  });

  it('for refunds, the refunded original and refund lists, including errors', async () => {
    const { api } = await newTenant(system.url);
    const from = await fundedAccount(api, 'USD', 1_000);
    const to = await fundedAccount(api, 'USD', 0);
    const payment = await api.post(
      '/v1/transfers',
      { source_account_id: from, destination_account_id: to, amount: 100, currency: 'USD' },
      idem(),
    );
    await settled(api, payment.body.id);
    const key = idem();
    const partial = await api.post(`/v1/transfers/${payment.body.id}/refunds`, { amount: 40 }, key);
    conforms(partial, '/v1/transfers/{id}/refunds', 'post');
    await settled(api, partial.body.id);
    conforms(await api.get(`/v1/transfers/${partial.body.id}`), '/v1/transfers/{id}', 'get');
    conforms(await api.get(`/v1/transfers/${payment.body.id}`), '/v1/transfers/{id}', 'get');
    conforms(await api.get(`/v1/transfers?kind=refund&refund_of=${payment.body.id}`), '/v1/transfers', 'get');
    const errors = [
      // replayed, reused with another body, more than remains, no body at all, not refundable, missing
      await api.post(`/v1/transfers/${payment.body.id}/refunds`, { amount: 40 }, key),
      await api.post(`/v1/transfers/${payment.body.id}/refunds`, { amount: 41 }, key),
      await api.post(`/v1/transfers/${payment.body.id}/refunds`, { amount: 61 }, idem()),
      await api.post(`/v1/transfers/${payment.body.id}/refunds`, undefined, idem()),
      await api.post(
        `/v1/transfers/${(await api.get(`/v1/transfers?account_id=${from}&kind=deposit`)).body.data[0].id}/refunds`,
        {},
        idem(),
      ),
      await api.post(`/v1/transfers/${randomUUID()}/refunds`, {}, idem()),
    ];
    expect(errors.map((r) => r.status)).toEqual([202, 422, 400, 202, 409, 404]);
    for (const reply of errors) conforms(reply, '/v1/transfers/{id}/refunds', 'post');
  });

  it('for split refunds by leg, the refunded split and its payee`s restricted view, including errors', async () => {
    const payer = await newTenant(system.url, 'Payer');
    const seller = await newTenant(system.url, 'Seller');
    const card = await fundedAccount(payer.api, 'USD', 1_000);
    const fee = await fundedAccount(payer.api, 'USD', 0);
    const one = await fundedAccount(seller.api, 'USD', 0);
    const two = await fundedAccount(seller.api, 'USD', 0);
    const split = await payer.api.post(
      '/v1/transfers',
      {
        source_account_id: card,
        currency: 'USD',
        legs: [
          { destination_account_id: one, amount: 30 },
          { destination_account_id: fee, amount: 5 },
          { destination_account_id: two, amount: 20 },
        ],
      },
      idem(),
    );
    await settled(payer.api, split.body.id);
    const refund = await seller.api.post(
      `/v1/transfers/${split.body.id}/refunds`,
      { leg: 0, amount: 10 },
      idem(),
    );
    conforms(refund, '/v1/transfers/{id}/refunds', 'post');
    await settled(seller.api, refund.body.id);
    conforms(await seller.api.get(`/v1/transfers/${refund.body.id}`), '/v1/transfers/{id}', 'get');
    for (const api of [payer.api, seller.api])
      conforms(await api.get(`/v1/transfers/${split.body.id}`), '/v1/transfers/{id}', 'get');
    conforms(await seller.api.get(`/v1/transfers?account_id=${two}`), '/v1/transfers', 'get');
    const errors = [
      await seller.api.post(`/v1/transfers/${split.body.id}/refunds`, {}, idem()),
      await seller.api.post(`/v1/transfers/${split.body.id}/refunds`, { leg: 1 }, idem()),
      await seller.api.post(`/v1/transfers/${split.body.id}/refunds`, { leg: 16 }, idem()),
      await (await newTenant(system.url)).api.post(`/v1/transfers/${split.body.id}/refunds`, {}, idem()),
    ];
    expect(errors.map((r) => r.status)).toEqual([400, 400, 400, 404]);
    for (const reply of errors) conforms(reply, '/v1/transfers/{id}/refunds', 'post');
  });

  it('for webhook endpoints, their delivery log and replays, including errors', async () => {
    const { api } = await newTenant(system.url);
    const created = await api.post('/v1/webhook-endpoints', {
      url: 'https://example.com/hooks',
      event_types: ['transfer.committed', 'account.credited'],
    });
    conforms(created, '/v1/webhook-endpoints', 'post');
    // The check has teeth: the secret is part of the creation answer's contract.
    expect(schemaFor('/v1/webhook-endpoints', 'post', 201)({ ...created.body, secret: undefined })).toBe(
      false,
    );
    const id: string = created.body.id;
    const path = `/v1/webhook-endpoints/${id}`;
    conforms(await api.get('/v1/webhook-endpoints?limit=1'), '/v1/webhook-endpoints', 'get');
    conforms(await api.get(path), '/v1/webhook-endpoints/{id}', 'get');
    conforms(await api.patch(path, { description: 'docs' }), '/v1/webhook-endpoints/{id}', 'patch');
    conforms(await api.post(`${path}/rotate-secret`, {}), '/v1/webhook-endpoints/{id}/rotate-secret', 'post');
    conforms(await api.get(`${path}/deliveries`), '/v1/webhook-endpoints/{id}/deliveries', 'get');
    const since = new Date(0).toISOString();
    conforms(await api.post(`${path}/recover`, { since }), '/v1/webhook-endpoints/{id}/recover', 'post');
    conforms(await api.post(`${path}/disable`, {}), '/v1/webhook-endpoints/{id}/disable', 'post');
    conforms(await api.post(`${path}/recover`, { since }), '/v1/webhook-endpoints/{id}/recover', 'post');
    conforms(await api.post(`${path}/enable`, {}), '/v1/webhook-endpoints/{id}/enable', 'post');
    const retry = await api.post(`/v1/webhook-deliveries/${randomUUID()}/retry`, {});
    conforms(retry, '/v1/webhook-deliveries/{id}/retry', 'post');
    conforms(await api.post('/v1/webhook-endpoints', { url: 'ftp://x' }), '/v1/webhook-endpoints', 'post');
    expect((await api.delete(path)).status).toBe(204);
    conforms(await api.get(path), '/v1/webhook-endpoints/{id}', 'get');
  });
});
