import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/** What the quick start needs: a tenant's key and two USD accounts, one funded. */
export interface Demo {
  key: string;
  source: string;
  destination: string;
}

async function call(url: string, method: string, path: string, key: string | undefined, body?: unknown) {
  const res = await fetch(url + path, {
    method,
    headers: {
      'content-type': 'application/json',
      'idempotency-key': randomUUID(),
      ...(key ? { authorization: `Bearer ${key}` } : {}),
    },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Creates the demo tenant once; later runs reuse it while its key still works. */
async function main(url: string, file: string): Promise<void> {
  if (existsSync(file)) {
    const demo = JSON.parse(readFileSync(file, 'utf8')) as Demo;
    const res = await fetch(`${url}/v1/accounts/${demo.source}`, {
      headers: { authorization: `Bearer ${demo.key}` },
    });
    if (res.ok) return;
  }
  const tenant = await call(url, 'POST', '/v1/tenants', undefined, {
    name: 'Demo Merchant',
    email: `demo-${randomUUID().slice(0, 8)}@example.com`,
  });
  const key = (tenant.api_key as { key: string }).key;
  const source = (await call(url, 'POST', '/v1/accounts', key, { name: 'Operating', currency: 'USD' }))
    .id as string;
  const destination = (await call(url, 'POST', '/v1/accounts', key, { name: 'Payouts', currency: 'USD' }))
    .id as string;
  const deposit = await call(url, 'POST', '/v1/transfers', key, {
    kind: 'deposit',
    destination_account_id: source,
    amount: '1000000',
    currency: 'USD',
  });
  await call(url, 'GET', `/v1/transfers/${String(deposit.id)}?wait=10`, key);
  writeFileSync(file, JSON.stringify({ key, source, destination } satisfies Demo, null, 2));
}

main(process.argv[2]!, process.argv[3]!).catch((error: unknown) => {
  console.error(`seeding the demo tenant failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
