import { randomBytes, randomUUID } from 'node:crypto';
import { client, newTenant, type Reply } from '../support/client';
import { eventually } from '../support/eventually';
import { startSystem, type System } from '../support/system';

const uniqueEmail = () => `owner-${randomUUID()}@example.com`;

const expectError = (res: Reply, status: number, code: string) => {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
};

describe('tenants sign up and manage their API keys', () => {
  let system: System;
  beforeAll(async () => {
    system = await startSystem();
  });
  afterAll(async () => {
    await system.stop();
  });

  describe('POST /v1/tenants', () => {
    it('creates the tenant and answers 201 with its first sk_live_ key, shown once and stored only as a hash', async () => {
      const email = uniqueEmail();

      const res = await client(system.url).post('/v1/tenants', { name: 'Acme Payments', email });

      expect(res.status).toBe(201);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.body.tenant).toEqual({
        id: expect.any(String),
        name: 'Acme Payments',
        email,
        created_at: expect.any(String),
      });
      const key: string = res.body.api_key.key;
      // sk_live_ and at least 128 random bits in base64url (22 characters).
      expect(key).toMatch(/^sk_live_[A-Za-z0-9_-]{22,}$/);
      expect(key.startsWith(res.body.api_key.prefix)).toBe(true);
      expect(res.body.api_key.prefix.length).toBeLessThan(key.length - 16);
      expect(res.body.api_key.last_used_at).toBeNull();

      const listed = await client(system.url, key).get('/v1/api-keys');
      expect(listed.status).toBe(200);
      expect(listed.body.data).toEqual([
        {
          id: res.body.api_key.id,
          name: res.body.api_key.name,
          prefix: res.body.api_key.prefix,
          created_at: res.body.api_key.created_at,
          // Written in the background on first use: this very request may or may not show it yet.
          last_used_at: listed.body.data[0]?.last_used_at === null ? null : expect.any(String),
        },
      ]);
      expect(JSON.stringify(listed.body)).not.toContain(key);

      const stored = await system.pool.query(
        'SELECT to_jsonb(k)::text AS row FROM api_keys k WHERE id = $1',
        [res.body.api_key.id],
      );
      expect(stored.rows).toHaveLength(1);
      expect(stored.rows[0].row).not.toContain(key);
      expect(stored.rows[0].row).not.toContain(key.slice(res.body.api_key.prefix.length));
    });

    it('when the name is missing, answers 400 validation_failed naming the field `name`', async () => {
      const res = await client(system.url).post('/v1/tenants', { email: uniqueEmail() });

      expectError(res, 400, 'validation_failed');
      expect(res.body.error.details).toContainEqual(expect.objectContaining({ field: 'name' }));
    });

    it('when the name is blank, answers 400 validation_failed naming the field `name`', async () => {
      const res = await client(system.url).post('/v1/tenants', { name: '   ', email: uniqueEmail() });

      expectError(res, 400, 'validation_failed');
      expect(res.body.error.details).toContainEqual(expect.objectContaining({ field: 'name' }));
    });

    it.each(['not-an-email', 'a@', '@example.com', 'two@@example.com', ''])(
      'when the email is %p, answers 400 validation_failed naming the field `email`',
      async (email) => {
        const res = await client(system.url).post('/v1/tenants', { name: 'Acme', email });

        expectError(res, 400, 'validation_failed');
        expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'email' })]);
      },
    );

    it('when the email is already registered in another letter case, answers 409 tenant_email_taken', async () => {
      const local = `owner-${randomUUID()}`;
      const first = await client(system.url).post('/v1/tenants', {
        name: 'Acme',
        email: `${local}@example.com`,
      });
      expect(first.status).toBe(201);

      const again = await client(system.url).post('/v1/tenants', {
        name: 'Acme again',
        email: `${local.toUpperCase()}@EXAMPLE.com`,
      });

      expectError(again, 409, 'tenant_email_taken');
      expect(again.body.error.details).toContainEqual(expect.objectContaining({ field: 'email' }));
    });
  });

  describe('POST, GET and DELETE /v1/api-keys', () => {
    it('creates a named key shown once, lists it by prefix and name, and the new key authenticates', async () => {
      const tenant = await newTenant(system.url);

      const created = await tenant.api.post('/v1/api-keys', { name: 'reporting job' });

      expect(created.status).toBe(201);
      expect(created.headers.get('cache-control')).toBe('no-store');
      expect(created.body).toEqual({
        id: expect.any(String),
        name: 'reporting job',
        prefix: expect.stringMatching(/^sk_live_/),
        created_at: expect.any(String),
        last_used_at: null,
        key: expect.stringMatching(/^sk_live_[A-Za-z0-9_-]{22,}$/),
      });
      expect(created.body.key).not.toBe(tenant.key);
      const listed = await tenant.api.get('/v1/api-keys');
      expect(listed.body.data.map((k: { name: string }) => k.name)).toEqual(['default', 'reporting job']);
      expect(JSON.stringify(listed.body)).not.toContain(created.body.key);
      const withNewKey = await client(system.url, created.body.key).get('/v1/api-keys');
      expect(withNewKey.status).toBe(200);
      expect(withNewKey.body.data).toHaveLength(2);
    });

    it('names a key "default" when no name is given', async () => {
      const tenant = await newTenant(system.url);

      const created = await tenant.api.post('/v1/api-keys');

      expect(created.status).toBe(201);
      expect(created.body.name).toBe('default');
    });

    it('when the name is longer than 100 characters, answers 400 validation_failed naming `name`', async () => {
      const tenant = await newTenant(system.url);

      const res = await tenant.api.post('/v1/api-keys', { name: 'k'.repeat(101) });

      expectError(res, 400, 'validation_failed');
      expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'name' })]);
    });

    it('lists only the calling tenant’s keys', async () => {
      const mine = await newTenant(system.url);
      const theirs = await newTenant(system.url);
      await theirs.api.post('/v1/api-keys', { name: 'theirs' });

      const listed = await mine.api.get('/v1/api-keys');

      expect(listed.body.data).toHaveLength(1);
      expect(listed.body.data[0].name).toBe('default');
    });

    it('sets last_used_at once a key has been used', async () => {
      const tenant = await newTenant(system.url);
      const created = await tenant.api.post('/v1/api-keys', { name: 'used once' });
      expect(created.body.last_used_at).toBeNull();

      await client(system.url, created.body.key).get('/v1/accounts');

      const lastUsedAt = await eventually(async () => {
        const listed = await tenant.api.get('/v1/api-keys');
        const key = listed.body.data.find((k: { id: string }) => k.id === created.body.id);
        return key?.last_used_at ?? undefined;
      });
      expect(Date.parse(lastUsedAt)).toBeGreaterThanOrEqual(Date.parse(created.body.created_at));
      expect(Date.parse(lastUsedAt)).toBeLessThanOrEqual(Date.now() + 1_000);
    });

    it('revokes a key: DELETE answers 204, the key leaves the list and is refused with api_key_revoked on the very next request', async () => {
      const tenant = await newTenant(system.url);
      const created = await tenant.api.post('/v1/api-keys', { name: 'to revoke' });
      const doomed = client(system.url, created.body.key);
      // Warm this process's authentication cache with the key before revoking it.
      expect((await doomed.get('/v1/api-keys')).status).toBe(200);

      const revoked = await tenant.api.delete(`/v1/api-keys/${created.body.id}`);

      expect(revoked.status).toBe(204);
      expectError(await doomed.get('/v1/api-keys'), 401, 'api_key_revoked');
      const listed = await tenant.api.get('/v1/api-keys');
      expect(listed.body.data.map((k: { id: string }) => k.id)).not.toContain(created.body.id);
      expect((await tenant.api.get('/v1/api-keys')).status).toBe(200);
    });

    it('lets a key revoke itself, after which it is refused with api_key_revoked', async () => {
      const tenant = await newTenant(system.url);
      const self = await tenant.api.get('/v1/api-keys');

      const revoked = await tenant.api.delete(`/v1/api-keys/${self.body.data[0].id}`);

      expect(revoked.status).toBe(204);
      expectError(await tenant.api.get('/v1/accounts'), 401, 'api_key_revoked');
    });

    it('when the key is already revoked, DELETE answers 404', async () => {
      const tenant = await newTenant(system.url);
      const created = await tenant.api.post('/v1/api-keys', { name: 'twice' });
      expect((await tenant.api.delete(`/v1/api-keys/${created.body.id}`)).status).toBe(204);

      const again = await tenant.api.delete(`/v1/api-keys/${created.body.id}`);

      expectError(again, 404, 'not_found');
    });

    it('does not let a tenant revoke another tenant’s key: 404, and the key keeps working', async () => {
      const owner = await newTenant(system.url);
      const intruder = await newTenant(system.url);
      const ownerKeys = await owner.api.get('/v1/api-keys');

      const res = await intruder.api.delete(`/v1/api-keys/${ownerKeys.body.data[0].id}`);

      expectError(res, 404, 'not_found');
      expect((await owner.api.get('/v1/api-keys')).status).toBe(200);
    });

    it('when the key id is not a UUID, DELETE answers 400 validation_failed naming `id`', async () => {
      const tenant = await newTenant(system.url);

      const res = await tenant.api.delete('/v1/api-keys/not-a-uuid');

      expectError(res, 400, 'validation_failed');
      expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'id' })]);
    });
  });

  describe('authentication failures are 401 with a precise code', () => {
    it('without an Authorization header, answers api_key_missing', async () => {
      const res = await client(system.url).get('/v1/accounts');

      expectError(res, 401, 'api_key_missing');
    });

    it.each([
      ['a Basic scheme', () => `Basic ${Buffer.from('user:pass').toString('base64')}`],
      ['Bearer without a key', () => 'Bearer '],
      ['a key without the Bearer scheme', () => `sk_live_${randomBytes(32).toString('base64url')}`],
      ['a token without the sk_live_ prefix', () => `Bearer ${randomBytes(32).toString('base64url')}`],
      ['a truncated key', () => 'Bearer sk_live_abc'],
      ['two keys', () => `Bearer sk_live_${randomBytes(32).toString('base64url')} sk_live_x`],
    ])('with %s, answers api_key_invalid', async (_label, header) => {
      const res = await client(system.url).get('/v1/accounts', { authorization: header() });

      expectError(res, 401, 'api_key_invalid');
    });

    it('with a well-formed key that was never issued, answers api_key_invalid', async () => {
      const unknown = `sk_live_${randomBytes(32).toString('base64url')}`;

      const res = await client(system.url, unknown).get('/v1/accounts');

      expectError(res, 401, 'api_key_invalid');
    });

    it('accepts the Bearer scheme in any letter case', async () => {
      const tenant = await newTenant(system.url);

      const res = await client(system.url).get('/v1/api-keys', { authorization: `bearer ${tenant.key}` });

      expect(res.status).toBe(200);
    });
  });
});
