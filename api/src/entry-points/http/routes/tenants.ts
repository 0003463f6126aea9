import { Router, type RequestHandler } from 'express';
import { CreateTenantRequest, type TenantCreated } from '../../../../../contracts/src';
import type { Pool } from '../../../../../platform/postgres';
import { signUpTenant } from '../../../use-cases/sign-up-tenant';
import { validate } from '../validate';
import { apiKeyView } from './api-keys';

/** Public: a business signs up and receives its first API key, shown once. */
export function tenantRoutes(deps: { pool: Pool; rateLimit: RequestHandler }): Router {
  const router = Router();
  router.post('/tenants', deps.rateLimit, async (req, res) => {
    const body = validate(CreateTenantRequest, req.body);
    const created = await signUpTenant(deps.pool, body);
    const response: TenantCreated = {
      tenant: { ...created.tenant, created_at: created.tenant.created_at.toISOString() },
      api_key: { ...apiKeyView(created.apiKey), key: created.key },
    };
    res.status(201).set('Cache-Control', 'no-store').json(response);
  });
  return router;
}
