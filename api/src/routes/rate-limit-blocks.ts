import { Router } from 'express';
import { z } from 'zod';
import { notFound } from '../http/api-error';
import { requireAdmin } from '../http/require-admin';
import { validate } from '../http/validate';
import type { BlockAdmin } from '../rate-limits/blocks';
import type { RateLimiter } from '../rate-limits/limiter';

const BlockParams = z.object({ subject: z.enum(['ip', 'key', 'tenant']), id: z.string().min(1).max(200) });

/** Operator-only: see the clients blocked for going past a hard rate limit, and lift a block. */
export function rateLimitBlockRoutes(deps: {
  blocks: BlockAdmin;
  limiter: RateLimiter;
  adminToken: string | undefined;
}): Router {
  const router = Router();
  const admin = requireAdmin(deps.adminToken);

  router.get('/admin/rate-limit-blocks', admin, async (_req, res) => {
    res.json({ data: await deps.blocks.list(), next_cursor: null });
  });

  router.delete('/admin/rate-limit-blocks/:subject/:id', admin, async (req, res) => {
    const { subject, id } = validate(BlockParams, req.params, 'path');
    const inMemory = deps.limiter.liftInMemory(subject, id);
    const inRedis = await deps.blocks.lift(subject, id);
    if (!inRedis && !inMemory) throw notFound('rate-limit block');
    res.status(204).end();
  });
  return router;
}
