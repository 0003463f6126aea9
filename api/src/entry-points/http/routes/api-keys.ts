import { Router } from 'express';
import { CreateApiKeyRequest, type ApiKey } from '../../../../../contracts/src';
import { newId } from '../../../../../platform/ids';
import type { Pool } from '../../../../../platform/postgres';
import type { Redis } from '../../../../../platform/redis';
import { generateApiKey } from '../../../domain/api-key';
import type { ApiKeyAuth } from '../authenticate';
import { insertApiKey, listApiKeys, revokeApiKey, type ApiKeyRow } from '../../../data-access/api-keys';
import { notFound } from '../api-error';
import { validate } from '../validate';
import { idParam } from '../params';

export const apiKeyView = (r: ApiKeyRow): ApiKey => ({
  id: r.id,
  name: r.name,
  prefix: r.prefix,
  created_at: r.created_at.toISOString(),
  last_used_at: r.last_used_at?.toISOString() ?? null,
});

export function apiKeyRoutes(deps: { pool: Pool; redis: Redis; auth: ApiKeyAuth }): Router {
  const router = Router();

  router.post('/api-keys', async (req, res) => {
    const body = validate(CreateApiKeyRequest, req.body ?? {});
    const key = generateApiKey();
    const row = await insertApiKey(deps.pool, {
      id: newId(),
      tenantId: res.locals.tenantId,
      name: body.name,
      ...key,
    });
    res
      .status(201)
      .set('Cache-Control', 'no-store')
      .json({ ...apiKeyView(row), key: key.key });
  });

  router.get('/api-keys', async (_req, res) => {
    const rows = await listApiKeys(deps.pool, res.locals.tenantId);
    res.json({ data: rows.map(apiKeyView), next_cursor: null });
  });

  router.delete('/api-keys/:id', async (req, res) => {
    const id = idParam(req);
    const hash = await revokeApiKey(deps.pool, res.locals.tenantId, id);
    if (!hash) throw notFound('API key');
    await deps.auth.revoked(deps.redis, hash);
    res.status(204).end();
  });
  return router;
}
