import { Router } from 'express';
import { z } from 'zod';
import { ApiError, notFound } from '../api-error';
import { requireAdmin } from '../require-admin';
import { validate } from '../validate';
import type { BlockAdmin } from '../../../data-access/rate-limits/blocks';
import type { RateLimiter } from '../../../use-cases/rate-limiter';

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
    res.json({ data: await inRedisOrUnavailable(() => deps.blocks.list()), next_cursor: null });
  });

  router.delete('/admin/rate-limit-blocks/:subject/:id', admin, async (req, res) => {
    const { subject, id } = validate(BlockParams, req.params, 'path');
    const inMemory = deps.limiter.liftInMemory(subject, id);
    const inRedis = await inRedisOrUnavailable(() => deps.blocks.lift(subject, id));
    if (!inRedis && !inMemory) throw notFound('rate-limit block');
    res.status(204).end();
  });
  return router;
}

/** Blocks live in Redis: while it cannot answer, operators get a 503 to retry, not a 500. */
async function inRedisOrUnavailable<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch {
    throw new ApiError(
      'service_unavailable',
      'Redis, where blocks are kept, cannot answer; try again shortly',
      undefined,
      {
        'Retry-After': '1',
      },
    );
  }
}
