import { Router, type RequestHandler } from 'express';
import { CreateTenantRequest, type TenantCreated } from '../../../../../contracts/src';
import { newId } from '../../../../../platform/ids';
import {
  PG_UNIQUE_VIOLATION,
  pgErrorCode,
  withTransaction,
  type Pool,
} from '../../../../../platform/postgres';
import { generateApiKey } from '../../../domain/api-key';
import { insertApiKey } from '../../../data-access/api-keys';
import { ApiError } from '../api-error';
import { validate } from '../validate';
import { apiKeyView } from './api-keys';

/** Public: a business signs up and receives its first API key, shown once. */
export function tenantRoutes(deps: { pool: Pool; rateLimit: RequestHandler }): Router {
  const router = Router();
  router.post('/tenants', deps.rateLimit, async (req, res) => {
    const body = validate(CreateTenantRequest, req.body);
    const tenantId = newId();
    const key = generateApiKey();
    try {
      const created = await withTransaction(deps.pool, async (client) => {
        const { rows } = await client.query<{ id: string; name: string; email: string; created_at: Date }>(
          'INSERT INTO tenants (id, name, email) VALUES ($1, $2, $3) RETURNING id, name, email, created_at',
          [tenantId, body.name, body.email],
        );
        const apiKey = await insertApiKey(client, { id: newId(), tenantId, name: 'default', ...key });
        return { tenant: rows[0]!, apiKey };
      });
      const response: TenantCreated = {
        tenant: { ...created.tenant, created_at: created.tenant.created_at.toISOString() },
        api_key: { ...apiKeyView(created.apiKey), key: key.key },
      };
      res.status(201).set('Cache-Control', 'no-store').json(response);
    } catch (error) {
      if (pgErrorCode(error) === PG_UNIQUE_VIOLATION)
        throw new ApiError('tenant_email_taken', 'a tenant with this email already exists', [
          { field: 'email', reason: 'already registered', code: 'duplicate' },
        ]);
      throw error;
    }
  });
  return router;
}
