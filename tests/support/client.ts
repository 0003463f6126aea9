import { randomUUID } from 'node:crypto';

// Bodies are JSON of many shapes, asserted field by field in the tests.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface Reply<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** A small HTTP client for tests: JSON in, JSON out, over real HTTP. */
export function client(baseUrl: string, apiKey?: string) {
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply> => {
    const res = await fetch(baseUrl + path, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
        ...headers,
      },
      body: body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };
  return {
    get: (path: string, headers?: Record<string, string>) => call('GET', path, undefined, headers),
    post: (path: string, body?: unknown, headers?: Record<string, string>) =>
      call('POST', path, body, headers),
    patch: (path: string, body?: unknown) => call('PATCH', path, body),
    put: (path: string, body?: unknown, headers?: Record<string, string>) => call('PUT', path, body, headers),
    delete: (path: string) => call('DELETE', path),
    raw: call,
  };
}

export type Client = ReturnType<typeof client>;

/** Signs up a new tenant; returns its id and a client authenticated with its first key. */
export async function newTenant(baseUrl: string, name = 'Acme') {
  const res = await client(baseUrl).post('/v1/tenants', { name, email: `${randomUUID()}@example.com` });
  if (res.status !== 201)
    throw new Error(`tenant creation failed: ${res.status} ${JSON.stringify(res.body)}`);
  return {
    id: res.body.tenant.id as string,
    key: res.body.api_key.key as string,
    api: client(baseUrl, res.body.api_key.key),
  };
}

/** Opens an account and funds it with a deposit, waiting until the deposit commits. */
export async function fundedAccount(api: Client, currency: string, amount: string | number) {
  const account = await api.post('/v1/accounts', { name: `acct ${currency}`, currency });
  if (account.status !== 201) throw new Error(`account creation failed: ${JSON.stringify(account.body)}`);
  if (BigInt(amount) > 0n) {
    const deposit = await api.post(
      '/v1/transfers',
      { kind: 'deposit', destination_account_id: account.body.id, amount, currency },
      { 'idempotency-key': randomUUID() },
    );
    await settled(api, deposit.body.id);
  }
  return account.body.id as string;
}

/** Waits (server side, bounded) for a transfer to reach a final state. */
export async function settled(api: Client, transferId: string) {
  const res = await api.get(`/v1/transfers/${transferId}?wait=20`);
  if (res.body?.status === 'pending') throw new Error(`transfer ${transferId} still pending after 20 s`);
  return res.body;
}

export const idem = () => ({ 'idempotency-key': randomUUID() });
